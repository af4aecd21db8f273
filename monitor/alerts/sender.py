"""Sending the outbox: claim a batch, open one connection, send, record each result at once.

Each sent email is marked in its own commit straight after the server accepted it, so a
crash can repeat at most the one email in flight, and that repeat carries the same
Message-ID (see ``outbox``). Safe to run in several processes at once: claims are disjoint.

What a failure does (``outbox`` has the state machine):

- the server cannot be reached, or drops us: this batch waits (temporary), the run stops;
- a 4xx for one message: that message waits (temporary); the batch goes on;
- a 5xx for one message, an address that cannot be encoded, an email that cannot be built:
  that message has failed for good; the batch goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.clock import utcnow
from db.models.alerts import CANCELLED, OutboxMessage, Subscriber
from db.session import get_sessionmaker
from monitor.alerts import outbox
from monitor.alerts.mailer import (
    ConnectionLost,
    MessageDeferred,
    MessageRejected,
    Transport,
    transport_for,
)
from monitor.alerts.render import build_message
from monitor.settings import Settings

log = logging.getLogger(__name__)
BATCH = 50


@dataclass
class SendStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    """Temporary failures: back to ``pending``, tried again after the back-off."""
    failed: int = 0
    """Permanent failures: ``failed``."""
    expired: int = 0
    """Rows that stopped mattering before they could be sent."""
    skipped: int = 0
    """Rows of subscribers who were disabled or unsubscribed before their email went out."""
    batches: int = 0
    server_ok: bool = False
    """The mail server (or the ``.eml`` folder) took a connection in this run."""
    server_error: str | None = None
    """Why the server could not be used in this run, if it could not."""


def send_pending(
    url_or_sessionmaker: str | sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    limit: int | None = None,
    *,
    transport: Transport | None = None,
    batch_size: int = BATCH,
    max_age: timedelta = outbox.MAX_AGE,
) -> SendStats:
    """Expire what stopped mattering, then send every due outbox row (up to ``limit``)."""
    maker = (
        get_sessionmaker(url_or_sessionmaker) if isinstance(url_or_sessionmaker, str) else url_or_sessionmaker
    )
    transport = transport or transport_for(settings)
    stats = SendStats()
    with maker() as session:
        stats.expired = outbox.expire(session, now or utcnow(), max_age)
        session.commit()
    if stats.expired:
        log.info("%d unsent email(s) expired: past their deadline or older than %s", stats.expired, max_age)
    while limit is None or stats.claimed < limit:
        size = batch_size if limit is None else min(batch_size, limit - stats.claimed)
        at = now or utcnow()
        with maker() as session:
            ids = outbox.claim(session, at, size)
            if not ids:
                break
            stats.claimed += len(ids)
            stats.batches += 1
            if not _send_batch(session, ids, settings, transport, now, stats):
                break  # the server is down: everything claimed is rescheduled; stop this run
    return stats


def _send_batch(
    session: Session,
    ids: list[int],
    settings: Settings,
    transport: Transport,
    fixed_now: datetime | None,
    stats: SendStats,
) -> bool:
    """Send one claimed batch over one connection; False when the connection could not be used.

    The emails are built first and the transaction closed before the first byte goes to the
    server: no database lock is held while waiting on SMTP (SQLite writers begin IMMEDIATE).
    """
    ready = _build_batch(session, ids, settings, fixed_now, stats)
    session.commit()
    if not ready:
        return True
    try:
        transport.open()
    except ConnectionLost as exc:
        log.warning("mail server unavailable, %d emails wait: %s", len(ready), exc)
        _retry_all(session, [r for r, _ in ready], str(exc), fixed_now or utcnow(), stats)
        return False
    stats.server_ok = True
    try:
        for i, (row_id, msg) in enumerate(ready):
            try:
                transport.send(msg)
            except ConnectionLost as exc:
                log.warning("mail server connection lost after %d of %d: %s", i, len(ready), exc)
                _retry_all(session, [r for r, _ in ready[i:]], str(exc), fixed_now or utcnow(), stats)
                return False
            except MessageDeferred as exc:
                outbox.mark_retry(session, row_id, f"deferred: {exc}", fixed_now or utcnow())
                stats.retrying += 1
            except MessageRejected as exc:
                outbox.mark_failed(session, row_id, f"rejected: {exc}", fixed_now or utcnow())
                stats.failed += 1
            except Exception as exc:  # a bug with this one message must fail it, not the outbox
                log.exception("outbox row %d could not be sent", row_id)
                outbox.mark_failed(session, row_id, f"{type(exc).__name__}: {exc}", fixed_now or utcnow())
                stats.failed += 1
                session.commit()
                if not _reconnect(transport, session, ready[i + 1 :], fixed_now, stats):
                    return False
                continue
            else:
                outbox.mark_sent(session, row_id, fixed_now or utcnow())
                stats.sent += 1
            session.commit()
    finally:
        transport.close()
    return True


def _build_batch(
    session: Session, ids: list[int], settings: Settings, fixed_now: datetime | None, stats: SendStats
) -> list[tuple[int, Message]]:
    """The emails of a claimed batch; rows of disabled subscribers cancelled, unbuildable failed."""
    ready: list[tuple[int, Message]] = []
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    subs = {
        s.id: s
        for s in session.scalars(select(Subscriber).where(Subscriber.id.in_({r.subscriber_id for r in rows})))
    }
    for row in rows:
        row_id = row.id
        sub = subs.get(row.subscriber_id)
        if sub is None or not sub.enabled:
            row.state = CANCELLED
            row.claim_token = None
            stats.skipped += 1
            continue
        try:
            items = _digest_items(session, row) if row.kind == "digest" else None
            ready.append((row_id, build_message(row, sub, settings, items)))
        except Exception as exc:  # a rendering bug or a bad address fails this row, not the outbox
            log.warning("outbox row %d could not be built: %s: %s", row_id, type(exc).__name__, exc)
            outbox.mark_failed(session, row_id, f"{type(exc).__name__}: {exc}", fixed_now or utcnow())
            stats.failed += 1
    return ready


def _reconnect(
    transport: Transport,
    session: Session,
    rest: list[tuple[int, Message]],
    fixed_now: datetime | None,
    stats: SendStats,
) -> bool:
    """After an unexpected error the connection is in an unknown state: start a fresh one."""
    transport.close()
    if not rest:
        return True
    try:
        transport.open()
    except ConnectionLost as exc:
        _retry_all(session, [r for r, _ in rest], str(exc), fixed_now or utcnow(), stats)
        return False
    return True


def _retry_all(session: Session, ids: list[int], error: str, at: datetime, stats: SendStats) -> None:
    for row_id in ids:
        outbox.mark_retry(session, row_id, error, at)
    session.commit()
    stats.retrying += len(ids)
    stats.server_error = error


def _digest_items(session: Session, row: OutboxMessage) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.digest_id == row.id).order_by(OutboxMessage.id)
        )
    )
