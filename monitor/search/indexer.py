"""Keeping ``notice_search`` filled: each stored notice's index terms, written once.

The service's process step (``monitor.pipeline.process``) calls :func:`index_pending` after
classification, so a crawled notice is searchable by words within one cycle; filters that are
plain columns (CPV, country, dates, label) find it at once. ``tenderwatch reparse`` drops the
rows of re-derived notices, which are then indexed again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.notices import Notice
from db.models.web import NoticeSearch
from db.record import NoticeRecord
from monitor.search.terms import notice_terms

BATCH = 500


def terms_value(dialect: str, terms: Iterable[str]) -> str:
    """The column value for a set of terms: a ``tsvector`` literal on PostgreSQL, plain text on SQLite.

    Terms are letters and digits only (``index_term``), so quoting each is enough for tsvector input.
    """
    ordered = sorted(set(terms))
    if dialect == "postgresql":
        return " ".join(f"'{t}'" for t in ordered)
    return " ".join(ordered)


def row_values(dialect: str, notice_pk: int, record: NoticeRecord) -> dict[str, object]:
    terms = notice_terms(record)
    return {
        "notice_pk": notice_pk,
        "fwd": terms_value(dialect, terms),
        "rev": terms_value(dialect, (t[::-1] for t in terms)),
        "indexed_at": utcnow(),
    }


def index_pending(session: Session, *, batch: int = BATCH, limit: int | None = None) -> int:
    """Index every notice without an index row, or changed since (a reparse re-derives its record),
    up to ``limit``; return how many were indexed."""
    serialize(session, "search-index")  # read what is unindexed, then write: one indexer at a time
    dialect = session.get_bind().dialect.name
    done = 0
    last = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = session.execute(
            select(Notice.id, Notice.record, NoticeSearch.notice_pk)
            .outerjoin(NoticeSearch, NoticeSearch.notice_pk == Notice.id)
            .where(
                Notice.id > last,
                or_(NoticeSearch.notice_pk.is_(None), NoticeSearch.indexed_at < Notice.updated_at),
            )
            .order_by(Notice.id)
            .limit(size)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        forget(session, [pk for pk, _, had in rows if had is not None])
        session.execute(
            insert(NoticeSearch),
            [row_values(dialect, pk, NoticeRecord.from_dict(data)) for pk, data, _ in rows],
        )
        session.flush()
        done += len(rows)
    return done


def forget(session: Session, notice_pks: Iterable[int]) -> None:
    """Drop index rows (a re-derived notice is indexed again at the next ``index_pending``)."""
    pks = list(notice_pks)
    if pks:
        session.execute(delete(NoticeSearch).where(NoticeSearch.notice_pk.in_(pks)))
