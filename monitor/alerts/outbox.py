"""The outbox state machine: enqueue once, claim, mark sent or failed, back off, retry.

::

    held ──(digest built)──► digested
    pending ──claim──► sending ──► sent
                          │
                          └──► failed ──(next_attempt_at due)──► sending …
                                  └── after MAX_ATTEMPTS: stays failed until ``alerts retry``

A row in ``sending`` whose claim is older than ``LEASE`` belongs to a sender that died between
handing the message to the server and recording it; it is claimed again and re-sent with the
same Message-ID, so the email is never lost and a receiver can recognise the repeat.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models.alerts import FAILED, PENDING, SENDING, SENT, OutboxMessage

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
LEASE = timedelta(minutes=10)
"""A claim older than this is presumed dead (a batch of 50 emails takes seconds, not minutes)."""


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failure, capped at six hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def enqueue(
    session: Session,
    *,
    subscriber_id: int,
    kind: str,
    procedure_key: str = "",
    ref: str = "",
    notice_id: int | None = None,
    payload: dict[str, Any],
    state: str = PENDING,
    now: datetime,
) -> int | None:
    """Insert one outbox row unless its (subscriber, kind, procedure, ref) exists; return its id or None.

    ``INSERT … ON CONFLICT DO NOTHING`` rather than check-then-insert: two enqueuers racing
    (two service instances, or a CLI run beside the service) cannot both insert.
    """
    values = {
        "subscriber_id": subscriber_id,
        "kind": kind,
        "procedure_key": procedure_key,
        "ref": ref,
        "notice_id": notice_id,
        "payload": payload,
        "state": state,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["subscriber_id", "kind", "procedure_key", "ref"])
        .returning(OutboxMessage.id)
    )
    return session.execute(stmt).scalar()


def claimable(now: datetime) -> ColumnElement[bool]:
    """Rows a sender may take now: pending, failed and due, or abandoned mid-send."""
    return or_(
        and_(
            OutboxMessage.state == PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(
            OutboxMessage.state == FAILED,
            OutboxMessage.next_attempt_at.is_not(None),
            OutboxMessage.next_attempt_at <= now,
        ),
        and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_at < now - LEASE),
    )


def claim(session: Session, now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` rows for this sender and commit the claim; return their ids.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` so concurrent senders take disjoint rows without
    waiting. SQLite has one writer at a time; the conditional UPDATE below re-checks the state,
    so a row another process claimed in between is simply not taken.
    """
    token = secrets.token_hex(8)
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(claimable(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        session.commit()
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), claimable(now))
        .values(state=SENDING, claimed_at=now, claim_token=token, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    mine = list(
        session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
        )
    )
    session.commit()
    return mine


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    # Core on the session's connection: one small UPDATE per email, without the ORM's overhead.
    session.connection().execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            state=SENT,
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
            next_attempt_at=None,
            claim_token=None,
            updated_at=now,
        )
    )


def mark_failed(session: Session, row_id: int, error: str, now: datetime) -> datetime | None:
    """Record a failed attempt; schedule the next one, or none after ``MAX_ATTEMPTS``."""
    row = session.get(OutboxMessage, row_id)
    assert row is not None
    row.attempts += 1
    row.state = FAILED
    row.last_error = error[:2000]
    row.claim_token = None
    row.next_attempt_at = now + backoff(row.attempts) if row.attempts < MAX_ATTEMPTS else None
    row.updated_at = now
    return row.next_attempt_at


def retry(session: Session, row_id: int, now: datetime) -> OutboxMessage | None:
    """An admin's ``alerts retry ID``: a failed (or stuck) row goes back to pending now."""
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    if row.state in (FAILED, SENDING):
        row.state = PENDING
        row.next_attempt_at = now
        row.claim_token = None
        row.updated_at = now
    return row


def message_id(row: OutboxMessage, domain: str) -> str:
    """Derived from the row alone, so every attempt of one email carries the same Message-ID."""
    key = f"{row.subscriber_id}|{row.kind}|{row.procedure_key}|{row.ref}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<tenderwatch.{row.id}.{row.kind}.{digest}@{domain}>"
