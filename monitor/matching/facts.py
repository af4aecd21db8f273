"""A notice reduced to what subscriptions filter on, computed once per notice.

Matching tests one notice against many subscriptions; everything that does not depend on
the subscription (CPV prefixes, branch of each buyer, texts) is worked out
here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from db.record import NoticeRecord
from monitor.branches import BranchesConfig, normalize_business_id
from monitor.matching.keywords import FieldText

# BT-03 form type → the notice kind subscribers pick from.
FORM_KINDS = {
    "planning": "planning",
    "competition": "competition",
    "result": "result",
    "cont-modif": "result",
    "dir-awa-pre": "result",
}
LANG3 = {"fin": "fi", "swe": "sv", "eng": "en"}


@dataclass
class NoticeFacts:
    key: str
    """The procedure key the outbox uses."""
    record: NoticeRecord
    notice_id: int | None = None
    cpv: list[str] = field(default_factory=list)
    nuts: list[str] = field(default_factory=list)
    cpv_prefixes: dict[str, str] = field(default_factory=dict)
    """Every 2…8-digit prefix of every CPV code → the first code with it (hierarchy look-ups)."""
    nuts_prefixes: dict[str, str] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    buyer_ids: set[str] = field(default_factory=set)
    buyer_names: list[str] = field(default_factory=list)
    branch_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Branch id or group → how it was mapped (for the why-matched line)."""
    kind: str | None = None
    value_eur: float | None = None
    deadline: datetime | None = None
    innovation: str | None = None
    """Classifier label: ``innovative``, ``possible``, ``none``; None if not classified."""
    innovation_score: float | None = None
    innovation_reasons: list[dict[str, Any]] = field(default_factory=list)
    texts: list[FieldText] = field(default_factory=list)


def procedure_key(record: NoticeRecord) -> str:
    """BT-04, or the notice's own identity when a source has no procedure id."""
    if record.procedure_id:
        return record.procedure_id
    return f"notice:{record.notice_id or record.publication_number}"


def texts_of(record: NoticeRecord) -> list[FieldText]:
    out: list[FieldText] = []
    for name in ("title", "description", "additional_info"):
        for lang, text in (getattr(record, name) or {}).items():
            if text:
                out.append(FieldText(name, lang, text))
    for lot in record.lots:
        for name in ("title", "description"):
            for lang, text in (getattr(lot, name) or {}).items():
                if text:
                    out.append(FieldText(f"lot {lot.lot_id} {name}", lang, text))
    return out


def build_facts(
    record: NoticeRecord,
    *,
    branches: BranchesConfig | None = None,
    notice_id: int | None = None,
    key: str | None = None,
    innovation: str | None = None,
    innovation_score: float | None = None,
    innovation_reasons: list[dict[str, Any]] | None = None,
) -> NoticeFacts:
    on: date | None = record.publication_date or record.issue_date
    facts = NoticeFacts(
        key=key or procedure_key(record),
        record=record,
        notice_id=notice_id,
        cpv=[c[:8] for c in record.all_cpv],
        nuts=[n.upper() for n in record.all_nuts],
        kind=FORM_KINDS.get(record.form_type or ""),
        deadline=record.deadline,
        innovation=innovation,
        innovation_score=innovation_score,
        innovation_reasons=list(innovation_reasons or []),
    )
    if record.estimated_value and record.estimated_value.currency.upper() == "EUR":
        facts.value_eur = record.estimated_value.amount
    for b in record.buyers:
        if b.country:
            facts.countries.add(b.country.upper())
        bid = normalize_business_id(b.org_id) or (b.org_id or "").strip().upper()
        if bid:
            facts.buyer_ids.add(bid)
        facts.buyer_names.append((b.name or "").casefold())
        if branches is not None:
            m = branches.map_buyer(b, on)
            if m.key is not None and m.group is not None:  # mapped
                info = {"buyer": b.name, **m.to_dict()}
                facts.branch_keys.setdefault(m.key, info)
                facts.branch_keys.setdefault(m.group, info)
    if not facts.nuts:
        # No place of performance given: the buyer's own region is the best guess of where.
        facts.nuts = [b.nuts.upper() for b in record.buyers if b.nuts]
    facts.texts = texts_of(record)
    for code in facts.cpv:
        for n in range(2, 9):
            facts.cpv_prefixes.setdefault(code[:n], code)
    for code in facts.nuts:
        for n in range(2, len(code) + 1):
            facts.nuts_prefixes.setdefault(code[:n], code)
    return facts
