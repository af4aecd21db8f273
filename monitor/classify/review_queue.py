"""The admin review queue (issue #15, point 3): which notices wait for a verdict, and what each shows.

Waiting: every current notice labelled ``possible`` without a verdict, and a fixed sample of the
``innovative`` and ``none`` ones (without the sample, nobody would ever see what the rules got
wrong with confidence). The sample is a hash of the notice's store id, the same in Python and in
SQL (:func:`in_sample`, :func:`sample_clause`), so the queue does not reshuffle between page
loads, a notice stays in or out of it when its label changes back and forth, and the count of
waiting items is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, literal, select
from sqlalchemy.orm import Session

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.models.review import ReviewVerdict

HASH_MULTIPLIER = 2654435761
"""Knuth's multiplicative (Fibonacci) hash: 2^32 / golden ratio. The product's low 32 bits, read
as a fraction of 2^32, spread consecutive ids evenly over [0, 1), so the sample is not "every
200th notice stored" (a fixed stride that would follow the crawl's order)."""
HASH_SPACE = 2**32
SAMPLE_PER_MILLE = {"innovative": 200, "none": 5}
"""Sample rates: 1 in 5 innovative notices (few, and a false positive costs readers' trust), 1 in
200 of the rest (the large majority: enough to find missed calls without burying the queue)."""
FILTERS = ("possible", "innovative", "none", "decided")
PER_PAGE = 25
REASONS_SHOWN = 8


def in_sample(notice_pk: int, label: str) -> bool:
    """Whether a notice with this label is in the queue's sample (``possible``: always)."""
    rate = SAMPLE_PER_MILLE.get(label)
    return rate is None or (notice_pk * HASH_MULTIPLIER) % HASH_SPACE < _threshold(rate)


def _threshold(per_mille: int) -> int:
    return per_mille * HASH_SPACE // 1000


def sample_clause(label: str, notice_pk: ColumnElement[int] | None = None) -> ColumnElement[bool]:
    """:func:`in_sample` in SQL (64-bit integers on SQLite and PostgreSQL alike), on ``notice_pk``
    (default: the classification's)."""
    rate = SAMPLE_PER_MILLE.get(label)
    if rate is None:
        return literal(True)
    pk = NoticeClassification.notice_pk if notice_pk is None else notice_pk
    # ids below 3.4e9 keep the product inside 64 bits
    return (cast(pk, BigInteger) * HASH_MULTIPLIER) % HASH_SPACE < _threshold(rate)


@dataclass
class ReasonView:
    signal_id: str
    kind: str
    field: str
    matched: str
    snippet: str
    weight: float
    lang: str | None


@dataclass
class QueueItem:
    notice_pk: int
    title: str
    buyer: str | None
    publication_number: str | None
    procedure_key: str
    label: str
    score: float
    reasons: list[ReasonView] = field(default_factory=list)
    verdict: str | None = None
    reviewer: str | None = None
    decided_at: datetime | None = None


@dataclass
class QueuePage:
    items: list[QueueItem]
    waiting: dict[str, int]
    """Items waiting per label (``possible``, ``innovative``, ``none``) and ``decided`` (verdicts)."""
    page: int
    pages: int


def reasons_of(result: dict[str, Any] | None) -> list[ReasonView]:
    out = []
    for r in ((result or {}).get("reasons") or [])[:REASONS_SHOWN]:
        out.append(
            ReasonView(
                signal_id=r.get("signal_id", ""),
                kind=r.get("kind", ""),
                field=r.get("field", ""),
                matched=r.get("matched", ""),
                snippet=r.get("snippet", ""),
                weight=float(r.get("weight") or 0),
                lang=r.get("lang"),
            )
        )
    return out


def _waiting_where(label: str) -> list[ColumnElement[bool]]:
    return [
        NoticeClassification.label == label,
        sample_clause(label),
        ReviewVerdict.id.is_(None),
        Notice.superseded_by_pk.is_(None),  # a notice's later version is the one to judge
    ]


def _base() -> Any:
    return (
        select(NoticeClassification, Notice.title, Notice.buyer_name, Notice.publication_number)
        .add_columns(Procedure.procedure_key, ReviewVerdict)
        .join(Notice, Notice.id == NoticeClassification.notice_pk)
        .join(Procedure, Procedure.id == Notice.procedure_pk)
        .outerjoin(ReviewVerdict, ReviewVerdict.notice_pk == NoticeClassification.notice_pk)
    )


def waiting_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in ("possible", "innovative", "none"):
        counts[label] = (
            session.scalar(
                select(func.count())
                .select_from(NoticeClassification)
                .join(Notice, Notice.id == NoticeClassification.notice_pk)
                .outerjoin(ReviewVerdict, ReviewVerdict.notice_pk == NoticeClassification.notice_pk)
                .where(and_(*_waiting_where(label)))
            )
            or 0
        )
    counts["decided"] = session.scalar(select(func.count()).select_from(ReviewVerdict)) or 0
    return counts


def queue_page(session: Session, filter_: str, page: int = 1, per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue: waiting notices of a label, newest first, or the decided ones (latest
    verdict first)."""
    filter_ = filter_ if filter_ in FILTERS else "possible"
    counts = waiting_counts(session)
    total = counts[filter_]
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    # The page's ids first, then their rows: sorting whole rows would carry every candidate's
    # result JSON through the sort (half the page's time with a million notices, bench_review.py).
    ids = (
        select(NoticeClassification.notice_pk)
        .join(Notice, Notice.id == NoticeClassification.notice_pk)
        .outerjoin(ReviewVerdict, ReviewVerdict.notice_pk == NoticeClassification.notice_pk)
    )
    if filter_ == "decided":
        ids = ids.where(ReviewVerdict.id.is_not(None)).order_by(
            ReviewVerdict.decided_at.desc(), ReviewVerdict.id.desc()
        )
    else:
        ids = ids.where(*_waiting_where(filter_)).order_by(NoticeClassification.notice_pk.desc())
    chosen = list(session.scalars(ids.limit(per_page).offset((page - 1) * per_page)))
    found = (
        {
            row[0].notice_pk: row
            for row in session.execute(_base().where(NoticeClassification.notice_pk.in_(chosen))).all()
        }
        if chosen
        else {}
    )
    items = []
    for cls, title, buyer, number, key, verdict in (found[pk] for pk in chosen if pk in found):
        items.append(
            QueueItem(
                notice_pk=cls.notice_pk,
                title=title or number or "—",
                buyer=buyer,
                publication_number=number,
                procedure_key=key,
                label=cls.label,
                score=cls.score,
                reasons=reasons_of(cls.result),
                verdict=verdict.verdict if verdict else None,
                reviewer=verdict.reviewer if verdict else None,
                decided_at=verdict.decided_at if verdict else None,
            )
        )
    return QueuePage(items, counts, page, pages)
