"""The outbox state machine: enqueue once, claim, send, and decide what a failure means.

::

    held ──(digest built)──► digested
    pending ──claim──► sending ──► sent
       ▲                  │
       └──── temporary ───┤  unreachable, timeout, 4xx: back off (1, 2, 4 … 15 min), try again
                          ├──► failed    permanent: 5xx for this recipient, an address that
                          │              cannot be encoded; final until ``alerts retry``
    pending ──────────────┴──► expired   no longer worth sending: the call's deadline passed
                                         (``expires_at``) or the row is older than the max age

A temporary failure never ends a row, however long the outage: the row waits until it is
sent or stops mattering. Only a permanent failure ends a row, and only that row.

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

from db.models.alerts import (
    EXPIRED,
    FAILED,
    PENDING,
    PERMANENT,
    SENDING,
    SENT,
    TEMPORARY,
    OutboxMessage,
    Subscriber,
)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(minutes=15)
"""The longest wait between two tries: mail goes out at most this long after the server is
back, and a try costs one connection attempt per send run while it is down."""
MAX_AGE = timedelta(days=7)
"""Give up on an unsent email this old (``service.yaml`` ``alert_max_age_days`` overrides)."""
LEASE = timedelta(minutes=10)
"""A claim older than this is presumed dead (a batch of 50 emails takes seconds, not minutes)."""
DEADLINE_KINDS = ("new", "reminder")
"""Kinds about a call's deadline: worthless after it. An update (an award, a cancellation)
still matters after the deadline, so only the maximum age ends it."""


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failure, capped at ``BACKOFF_MAX``."""
    exponent = min(max(attempts - 1, 0), 16)  # past the cap anyway; keeps 2**n small
    return min(BACKOFF_BASE * (2**exponent), BACKOFF_MAX)


def expiry(kind: str, payload: dict[str, Any]) -> datetime | None:
    """When an email stops being worth sending by its content: the call's deadline for the
    kinds about it (``DEADLINE_KINDS``), else None (the maximum age alone decides)."""
    if kind not in DEADLINE_KINDS:
        return None
    text = (payload.get("notice") or {}).get("deadline")
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else None  # a deadline without its offset is no instant


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
        "expires_at": expiry(kind, payload),
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
    """Rows a sender may take now: pending and due, or abandoned mid-send."""
    return or_(
        and_(
            OutboxMessage.state == PENDING,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_at < now - LEASE),
    )


def expire(session: Session, now: datetime, max_age: timedelta = MAX_AGE) -> int:
    """Unsent rows that stopped mattering become ``expired``; return how many.

    A row mid-send is left alone until its claim's lease runs out (its sender may be about to
    record it sent).
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            or_(
                OutboxMessage.state == PENDING,
                and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_at < now - LEASE),
            ),
            or_(OutboxMessage.expires_at <= now, OutboxMessage.created_at <= now - max_age),
        )
        .values(state=EXPIRED, next_attempt_at=None, claim_token=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
            failure_kind=None,
            next_attempt_at=None,
            claim_token=None,
            updated_at=now,
        )
    )


def mark_retry(session: Session, row_id: int, error: str, now: datetime) -> datetime:
    """A temporary failure: back to ``pending``, due again after the back-off; returns when."""
    attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)) or 0
    due = now + backoff(attempts + 1)
    _record_failure(session, row_id, error, now, state=PENDING, kind=TEMPORARY, next_attempt_at=due)
    return due


def mark_failed(session: Session, row_id: int, error: str, now: datetime) -> None:
    """A permanent failure of this row alone: ``failed``, never tried again by itself."""
    _record_failure(session, row_id, error, now, state=FAILED, kind=PERMANENT, next_attempt_at=None)


def _record_failure(
    session: Session,
    row_id: int,
    error: str,
    now: datetime,
    *,
    state: str,
    kind: str,
    next_attempt_at: datetime | None,
) -> None:
    session.connection().execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            state=state,
            attempts=OutboxMessage.attempts + 1,
            last_error=error[:2000],
            failure_kind=kind,
            next_attempt_at=next_attempt_at,
            claim_token=None,
            updated_at=now,
        )
    )


RESENDABLE = (SENT, FAILED)
"""What the admin's subscriber page offers to send again: a sent email (the person lost it) or a
failed one (the cause is fixed). Same row, so the same Message-ID: a receiver sees a repeat."""


def retry(session: Session, row_id: int, now: datetime, *, resend: bool = False) -> OutboxMessage | None:
    """An admin's ``alerts retry ID``: a failed (or stuck) row goes back to pending now.

    ``resend``: a sent row too (the subscriber page's resend button); the row keeps its id, so
    the email goes out again with the same Message-ID.
    """
    row = session.get(OutboxMessage, row_id)
    if row is None:
        return None
    if row.state in (FAILED, SENDING) or (resend and row.state == SENT):
        row.state = PENDING
        row.next_attempt_at = now
        row.claim_token = None
        row.updated_at = now
    return row


def retry_failed(session: Session, now: datetime, since: datetime | None = None) -> int:
    """An admin's ``alerts retry --failed [--since]``: every failed row (created since
    ``since``) goes back to pending now; returns how many."""
    where = [OutboxMessage.state == FAILED]
    if since is not None:
        where.append(OutboxMessage.created_at >= since)
    result = session.execute(
        update(OutboxMessage)
        .where(*where)
        .values(state=PENDING, next_attempt_at=now, claim_token=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def outbox_rows(
    session: Session, state: str | None = None, limit: int = 50, *, subscriber_id: int | None = None
) -> list[tuple[OutboxMessage, str]]:
    """Outbox rows (only in ``state`` when given), newest first, each with its recipient's address:
    ``tenderwatch alerts list`` and the web's operations page."""
    query = (
        select(OutboxMessage, Subscriber.email)
        .join(Subscriber)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if state:
        query = query.where(OutboxMessage.state == state)
    if subscriber_id is not None:  # the admin's subscriber page: what was sent to one person
        query = query.where(OutboxMessage.subscriber_id == subscriber_id)
    return [(row, email) for row, email in session.execute(query).all()]


def message_id(row: OutboxMessage, domain: str) -> str:
    """Derived from the row alone, so every attempt of one email carries the same Message-ID."""
    key = f"{row.subscriber_id}|{row.kind}|{row.procedure_key}|{row.ref}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<tenderwatch.{row.id}.{row.kind}.{digest}@{domain}>"
