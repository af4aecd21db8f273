"""What spiders yield: one fetched document, as bytes, with where it came from.

A dataclass rather than a ``scrapy.Item``: the fields are fixed and typed, and the pipeline
builds a ``db.store.RawDoc`` from it field by field. Spiders never parse; the pipeline does,
so a parse failure is recorded in one place (docs/architecture.md#conventions: spider =
inputs only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
class FailedDocumentItem:
    """A listed document the spider could not get: the pipeline counts the attempt in the store.

    ``kind``: ``download`` (refused, or a server error that outlasted the retries), ``missing``
    (a batch answer left it out) or ``no_eforms`` (the source has no eForms XML for it:
    ``permanent``, given up at once). ``published``: the listing's publication day, if any.
    """

    source: str
    source_id: str
    url: str | None
    error: str
    kind: str = "download"
    published: date | None = None
    permanent: bool = False


@dataclass(slots=True)
class WatermarkItem:
    """ "Everything yielded before me is stored: set this watermark in the same commit."

    Yielded by the package spider after a package's last document, so a day is marked
    finished (and never downloaded again) exactly when its notices are committed; and by the
    HILMA spider after each finished window, so a run cut short keeps its progress.

    ``held``: the documents of ``source`` the crawl listed to fetch so far (id → publication
    day); the pipeline moves the mark no further than the day before the oldest of them that
    is still not stored (``Store.held_watermark``).
    """

    key: str
    value: datetime
    held: dict[str, date | None] | None = None
    source: str | None = None
