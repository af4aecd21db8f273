"""The live preview: what a subscription being edited would have matched in the last 90 days.

It runs the service's own matching (``SubscriptionIndex`` over the one subscription, with the
branch mapping and the classifier's stored labels), each notice judged as of its publication
day. SQL only narrows the notices with filters that cannot drop a match (period, kind of notice,
innovation label, and for plain keywords the word index); then the newest ``SCAN`` of them are
checked in full, and the page says how many were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from monitor.branches import BranchesConfig
from monitor.matching import SubscriptionFilters, build_facts
from monitor.matching.facts import FORM_KINDS
from monitor.matching.index import DEFAULT_KINDS, CompiledSubscription, SubscriptionIndex
from monitor.search.query import prefer_word_index, word_condition
from monitor.search.terms import query_words

WINDOW = timedelta(days=90)
SCAN = 2000
SHOW = 50


@dataclass
class PreviewHit:
    notice: Notice
    procedure_key: str
    label: str | None
    reasons: list[dict[str, Any]]


@dataclass
class Preview:
    hits: list[PreviewHit] = field(default_factory=list)
    matched: int = 0
    checked: int = 0
    capped: bool = False


def _innovation_reasons(cls: NoticeClassification | None) -> list[dict[str, Any]]:
    if cls is None:
        return []
    return [
        {k: r.get(k) for k in ("signal_id", "field", "matched", "weight", "lang")}
        for r in (cls.result or {}).get("reasons") or []
    ]


def keyword_prefilter(session: Session, keywords: list[str]) -> Any | None:
    """Notices that could contain one of ``keywords``; None when the word index cannot say
    (a regex or a ``stem*`` keyword can match where no whole form does)."""
    if not keywords or any(k.startswith("/") or k.endswith("*") for k in keywords):
        return None
    dialect = session.get_bind().dialect.name
    conds = []
    for k in keywords:
        words = [w for w in query_words(f'"{k}"') if not w.prefix]
        if not words:
            return None
        conds.append(Notice.id.in_(word_condition(dialect, words)))
    return or_(*conds)


def preview(
    session: Session, filters: SubscriptionFilters, branches: BranchesConfig | None, now: datetime
) -> Preview:
    index = SubscriptionIndex([CompiledSubscription.compile(0, 0, "preview", filters)])
    kinds = filters.kinds or DEFAULT_KINDS
    forms = [form for form, kind in FORM_KINDS.items() if kind in kinds]
    stmt = (
        select(Notice, Procedure.procedure_key, NoticeClassification)
        .join(Procedure, Procedure.id == Notice.procedure_pk)
        .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
        .where(
            Notice.superseded_by_pk.is_(None),
            Notice.lifecycle != "cancel",
            Notice.publication_date >= (now - WINDOW).date(),
            Notice.form_type.in_(forms),
        )
    )
    if filters.innovation:
        wanted = ("innovative",) if filters.innovation == "innovative" else ("innovative", "possible")
        stmt = stmt.where(NoticeClassification.label.in_(wanted))
    words = keyword_prefilter(session, filters.keywords)
    if words is not None:
        stmt = stmt.where(words)
        prefer_word_index(session, query_words(" ".join(f'"{k}"' for k in filters.keywords)))
    rows = session.execute(
        stmt.order_by(Notice.publication_date.desc(), Notice.id.desc()).limit(SCAN + 1)
    ).all()
    out = Preview(checked=min(len(rows), SCAN), capped=len(rows) > SCAN)
    for notice, key, cls in rows[:SCAN]:
        facts = build_facts(
            notice.to_record(),
            branches=branches,
            notice_id=notice.id,
            key=key,
            innovation=cls.label if cls else None,
            innovation_score=cls.score if cls else None,
            innovation_reasons=_innovation_reasons(cls),
        )
        day = notice.publication_date or now.date()
        matches = index.match(facts, datetime.combine(day, time(12), UTC))
        if not matches:
            continue
        out.matched += 1
        if len(out.hits) < SHOW:
            out.hits.append(PreviewHit(notice, key, cls.label if cls else None, matches[0].reasons))
    return out
