"""Failed documents: count each attempt, give up at a bound, forget a failure once a good copy came.

``Store`` (``db/store.py``) calls these; they never import it. Each statement is one
``INSERT … ON CONFLICT`` or one set-based DELETE/SELECT, so two crawls failing or storing the
same document at once never abort each other (issue #13, point 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models.failures import DocumentFailure
from db.store_sql import table_of

RETRY_FAILED_DOCUMENTS = 5
"""Default bound: attempts at one document before it is given up (config: ``retry_failed_documents``)."""
_CHUNK = 500  # ids per IN (...): under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class FailedDocument:
    """One failed fetch or parse of a listed document."""

    source: str
    source_id: str
    kind: str
    error: str
    url: str | None = None
    published: date | None = None


def record(session: Session, failure: FailedDocument, now: datetime, give_up_after: int) -> bool:
    """Count one more attempt at the document; True when this attempt reached the bound.

    An upsert: the attempt counter is incremented by the database, so two crawls that fail on
    the same document at once count two attempts and neither fails.
    """
    table = table_of(DocumentFailure)
    # Failures are rare: one more look-up to tell "given up now" from "given up before".
    before = (
        session.connection()
        .execute(
            select(table.c.given_up_at).where(
                table.c.source == failure.source, table.c.source_id == failure.source_id
            )
        )
        .scalar_one_or_none()
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(
        source=failure.source,
        source_id=failure.source_id,
        url=failure.url,
        kind=failure.kind,
        published_on=failure.published,
        attempts=1,
        last_error=failure.error[:2000],
        first_failed_at=now,
        last_failed_at=now,
        given_up_at=now if give_up_after <= 1 else None,
    )
    attempts = table.c.attempts + 1
    upsert = stmt.on_conflict_do_update(
        index_elements=["source", "source_id"],
        set_={
            "url": func.coalesce(stmt.excluded.url, table.c.url),
            "kind": stmt.excluded.kind,
            "published_on": func.coalesce(stmt.excluded.published_on, table.c.published_on),
            "attempts": attempts,
            "last_error": stmt.excluded.last_error,
            "last_failed_at": now,
            "given_up_at": case(
                (table.c.given_up_at.is_not(None), table.c.given_up_at),
                (attempts >= give_up_after, now),
                else_=None,
            ),
        },
    ).returning(table.c.attempts, table.c.given_up_at)
    row = session.connection().execute(upsert).one()
    return before is None and row.given_up_at is not None  # this attempt gave up: reported once


def clear(session: Session, source: str, source_ids: Iterable[str]) -> None:
    """A good copy of these arrived: their failures are history (the raw bytes stay kept)."""
    ids = list(dict.fromkeys(source_ids))
    table = table_of(DocumentFailure)
    for i in range(0, len(ids), _CHUNK):
        session.connection().execute(
            delete(table).where(table.c.source == source, table.c.source_id.in_(ids[i : i + _CHUNK]))
        )


def given_up(session: Session, source: str, source_ids: Iterable[str]) -> set[str]:
    """Which of these were given up: they count as known, so nobody fetches them again."""
    return _failing(session, source, source_ids, given_up=True)


def still_failing(session: Session, source: str, source_ids: Iterable[str]) -> set[str]:
    """Which of these have a failure not given up: to be retried, unless a good copy came."""
    return _failing(session, source, source_ids, given_up=False)


def _failing(session: Session, source: str, source_ids: Iterable[str], *, given_up: bool) -> set[str]:
    ids = list(dict.fromkeys(source_ids))
    found: set[str] = set()
    t = table_of(DocumentFailure).c
    state = t.given_up_at.is_not(None) if given_up else t.given_up_at.is_(None)
    for i in range(0, len(ids), _CHUNK):
        found.update(
            session.connection()
            .execute(
                select(t.source_id).where(t.source == source, t.source_id.in_(ids[i : i + _CHUNK]), state)
            )
            .scalars()
        )
    return found


def hold(value: datetime, unstored: Mapping[str, date | None]) -> datetime | None:
    """The watermark a crawl may set when ``unstored`` (id → publication day) were listed but not stored.

    At most midnight (UTC) of the day before the oldest of them, so the next crawl's window,
    which starts ``overlap_days`` before the watermark, lists it again whatever the overlap;
    None (do not move) when one of them came without a publication day.

    >>> v = datetime(2026, 12, 5, tzinfo=UTC)
    >>> hold(v, {}) == v, hold(v, {"a": date(2026, 12, 3), "b": date(2026, 12, 4)})
    (True, datetime.datetime(2026, 12, 2, 0, 0, tzinfo=datetime.timezone.utc))
    >>> hold(v, {"a": None}) is None
    True
    """
    if not unstored:
        return value
    days = list(unstored.values())
    if any(d is None for d in days):
        return None
    oldest = min(d for d in days if d is not None)
    return min(value, datetime.combine(oldest - timedelta(days=1), datetime.min.time(), UTC))


@dataclass(frozen=True)
class FailureLine:
    source: str
    source_id: str
    kind: str
    attempts: int
    last_error: str | None
    published_on: date | None
    given_up_at: datetime | None


def summary(session: Session, limit: int = 10) -> tuple[dict[tuple[str, bool], int], list[FailureLine]]:
    """Counts by (source, given up) and the latest ``limit`` given-up documents, for ``status``."""
    t = table_of(DocumentFailure).c
    counts: dict[tuple[str, bool], int] = {}
    rows: Any = session.execute(
        select(t.source, t.given_up_at.is_not(None), func.count()).group_by(
            t.source, t.given_up_at.is_not(None)
        )
    )
    for source, gave_up, n in rows:
        counts[(source, bool(gave_up))] = counts.get((source, bool(gave_up)), 0) + int(n)
    latest = session.execute(
        select(t.source, t.source_id, t.kind, t.attempts, t.last_error, t.published_on, t.given_up_at)
        .where(t.given_up_at.is_not(None))
        .order_by(t.given_up_at.desc(), t.source, t.source_id)
        .limit(limit)
    )
    return counts, [FailureLine(*row) for row in latest]
