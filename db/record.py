"""The normalized notice record: what every parser produces and what the store accepts.

It lives in ``db`` because the store is its consumer and ``db`` imports nothing of ours
(docs/architecture.md#import-rules). Frozen dataclasses with slots rather than pydantic
models: the eForms parser builds thousands of these a second, and validation already
happened in the parser.

Conventions:
- Language keys are ISO 639-3, lower case (``fin``, ``swe``, ``eng``), as TED's API writes them.
- Times are timezone-aware ``datetime`` (the notice's own offset is kept); dates are ``date``.
- ``signals`` maps an eForms business-term id (``BT-776``) or a source-specific key
  (``hilma:innovationConsidered``) to the sorted, de-duplicated codes seen for it.
  A source-specific key (any key with a ``source:`` prefix) is that source's own content: it
  does not make two sources' copies of a notice differ, and the store adds it to the stored
  record whichever copy came first (``db.store_merge``, docs/architecture.md#identity).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

Texts = dict[str, str]
"""Language (ISO 639-3, lower case) → text."""

Signals = dict[str, list[str]]
"""Field id → codes, e.g. ``{"BT-776": ["mar-nov"], "BT-105": ["innovation"]}``."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class Buyer:
    name: str
    org_id: str | None = None
    country: str | None = None
    city: str | None = None
    nuts: str | None = None
    legal_type: str | None = None
    activity: str | None = None


@dataclass(frozen=True, slots=True)
class Lot:
    lot_id: str
    title: Texts = field(default_factory=dict)
    description: Texts = field(default_factory=dict)
    additional_info: Texts = field(default_factory=dict)
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    place_nuts: list[str] = field(default_factory=list)
    deadline: datetime | None = None
    estimated_value: Money | None = None
    documents_url: str | None = None
    signals: Signals = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Change:
    """BT-758 and BT-140: which notice this one changes, and why."""

    changed_notice: str
    reasons: list[str] = field(default_factory=list)
    descriptions: Texts = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Award:
    """One lot's result: BT-142 status, winners' names and the tender value."""

    lot_id: str | None
    status: str | None = None
    winners: list[str] = field(default_factory=list)
    value: Money | None = None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """One notice version as a source published it, normalized."""

    notice_id: str | None
    """BT-701 notice UUID; None for non-eForms sources."""
    version: str | None
    """BT-757, ``01``..``99``."""
    procedure_id: str | None
    """BT-04; groups a procedure's notices."""
    publication_number: str | None
    """OPP-010 as written in the XML, e.g. ``00553370-2023``; None before publication."""
    publication_date: date | None
    subtype: str | None
    """OPP-070: ``1``..``40``, ``E1``..``E6``, ``CEI``, ``T01``, ``T02``, ``X01``, ``X02``."""
    notice_type: str | None
    """BT-02, e.g. ``cn-standard``."""
    form_type: str | None
    """BT-03, e.g. ``competition``."""
    language: str | None
    """BT-702 main language, ISO 639-3 lower case."""
    title: Texts = field(default_factory=dict)
    description: Texts = field(default_factory=dict)
    additional_info: Texts = field(default_factory=dict)
    buyers: list[Buyer] = field(default_factory=list)
    procedure_type: str | None = None
    main_nature: str | None = None
    legal_basis: str | None = None
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    place_nuts: list[str] = field(default_factory=list)
    estimated_value: Money | None = None
    deadline: datetime | None = None
    """The earliest tender or participation deadline over the lots."""
    lots: list[Lot] = field(default_factory=list)
    changes: Change | None = None
    awards: list[Award] = field(default_factory=list)
    signals: Signals = field(default_factory=dict)
    documents_url: str | None = None
    issue_date: date | None = None
    sdk_version: str | None = None
    languages: list[str] = field(default_factory=list)
    national: dict[str, Any] = field(default_factory=dict)
    """Source-specific extras, e.g. HILMA's FI-20 EU-applicability and FI-11 legislation."""

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO 8601 strings); the ``parse --json`` output shape."""
        return _jsonable(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoticeRecord:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old stored JSON still loads."""
        d = _known(cls, data)
        d["publication_date"] = _date(d.get("publication_date"))
        d["issue_date"] = _date(d.get("issue_date"))
        d["deadline"] = _datetime(d.get("deadline"))
        d["estimated_value"] = _money(d.get("estimated_value"))
        d["buyers"] = [Buyer(**_known(Buyer, b)) for b in d.get("buyers") or []]
        d["lots"] = [_lot(x) for x in d.get("lots") or []]
        ch = d.get("changes")
        d["changes"] = Change(**_known(Change, ch)) if ch else None
        d["awards"] = [
            Award(**{**_known(Award, a), "value": _money(a.get("value"))}) for a in d.get("awards") or []
        ]
        return cls(**d)

    # ------------------------------------------------------------------ helpers for readers
    def text(self, texts: Texts, prefer: tuple[str, ...] = ("fin", "swe", "eng")) -> str | None:
        """Pick one text: the notice language first, then ``prefer``, then any."""
        if not texts:
            return None
        for lang in (self.language, *prefer):
            if lang and lang in texts:
                return texts[lang]
        return next(iter(texts.values()))

    @property
    def all_cpv(self) -> list[str]:
        """Every CPV code of the procedure and its lots, de-duplicated, in order."""
        seen: dict[str, None] = {}
        for code in [self.cpv_main, *self.cpv_additional]:
            if code:
                seen[code] = None
        for lot in self.lots:
            for code in [lot.cpv_main, *lot.cpv_additional]:
                if code:
                    seen[code] = None
        return list(seen)

    @property
    def all_nuts(self) -> list[str]:
        seen: dict[str, None] = dict.fromkeys(self.place_nuts)
        for lot in self.lots:
            seen.update(dict.fromkeys(lot.place_nuts))
        return list(seen)

    @property
    def buyer_countries(self) -> list[str]:
        return list(dict.fromkeys(b.country for b in self.buyers if b.country))


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _jsonable(value: Any) -> Any:
    # Exact-type dispatch first: the store serialises every record it ingests, and the generic
    # checks below (is_dataclass, isinstance chains) were a quarter of its ingest time.
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return [_jsonable(v) for v in value]
    if kind is dict:
        return {k: _jsonable(v) for k, v in value.items()}
    names = _FIELD_NAMES.get(kind)
    if names is not None:
        return {name: _jsonable(getattr(value, name)) for name in names}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
        return _jsonable(value)
    return _generic_jsonable(value)


def _generic_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _money(value: Any) -> Money | None:
    if not value:
        return None
    if isinstance(value, Money):
        return value
    return Money(amount=float(value["amount"]), currency=value["currency"])


def _lot(data: dict[str, Any]) -> Lot:
    d = _known(Lot, data)
    d["deadline"] = _datetime(d.get("deadline"))
    d["estimated_value"] = _money(d.get("estimated_value"))
    return Lot(**d)
