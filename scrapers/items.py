"""What spiders yield: one fetched document, as bytes, with where it came from.

A dataclass rather than a ``scrapy.Item``: the fields are fixed and typed, and the pipeline
builds a ``db.store.RawDoc`` from it field by field. Spiders never parse; the pipeline does,
so a parse failure is recorded in one place (docs/architecture.md#conventions: spider =
inputs only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Signals = dict[str, list[str]]


@dataclass(slots=True)
class DocumentItem:
    """One document as a source served it.

    ``extra_signals`` and ``lot_signals`` carry facts the source gives beside the document
    (HILMA's ``hilmaStatistics`` answers); the pipeline merges them into the parsed record's
    ``signals`` (record level) and each lot's ``signals`` (by lot id).

    ``countries``: when set, a parsed notice is stored only if one of its buyers is in one of
    these ISO alpha-3 countries (daily packages carry all of Europe; the API filters itself).
    """

    source: str
    source_id: str
    url: str | None
    content: bytes
    fetched_at: datetime
    media_type: str = "application/xml"
    extra_signals: Signals = field(default_factory=dict)
    lot_signals: dict[str, Signals] = field(default_factory=dict)
    countries: frozenset[str] | None = None


@dataclass(slots=True)
class WatermarkItem:
    """ "Everything yielded before me is stored: set this watermark in the same commit."

    Yielded by the package spider after a package's last document, so a day is marked
    finished (and never downloaded again) exactly when its notices are committed.
    """

    key: str
    value: datetime
