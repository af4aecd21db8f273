"""Digests: at each subscriber's hour (daily) or day and hour (weekly), bundle their held rows.

A digest is itself an outbox row (kind ``digest``, ``ref`` = the period it closes, e.g.
``daily:2026-11-26``), so the unique constraint makes building it twice a no-op and the
sender treats it like any email. Rows held before the moment are attached to it
(``digest_id``) and become ``digested``; rows held after it wait for the next moment.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models.alerts import DIGESTED, HELD, PENDING, OutboxMessage, Subscriber
from monitor.alerts import outbox
from monitor.alerts.i18n import HELSINKI


def due_period(sub: Subscriber, now: datetime) -> tuple[str, datetime] | None:
    """The latest digest moment at or before ``now`` and its period key; None for instant mail."""
    local = now.astimezone(HELSINKI)
    if sub.delivery == "daily":
        moment = datetime.combine(local.date(), time(sub.digest_hour), HELSINKI)
        if moment > local:
            moment -= timedelta(days=1)
        return f"daily:{moment.date().isoformat()}", moment
    if sub.delivery == "weekly":
        days_back = (local.weekday() - sub.digest_weekday) % 7
        moment = datetime.combine(local.date() - timedelta(days=days_back), time(sub.digest_hour), HELSINKI)
        if moment > local:
            moment -= timedelta(days=7)
        return f"weekly:{moment.date().isoformat()}", moment
    return None


def build_due_digests(session: Session, now: datetime) -> int:
    """Create every digest that is due and has something in it; return how many were created."""
    built = 0
    # A subscriber who switched from a digest to instant mail: what was held goes out now.
    instant = select(Subscriber.id).where(Subscriber.delivery == "instant")
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == HELD, OutboxMessage.subscriber_id.in_(instant))
        .values(state=PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    subs = session.scalars(
        select(Subscriber).where(Subscriber.enabled.is_(True), Subscriber.delivery.in_(("daily", "weekly")))
    ).all()
    for sub in subs:
        due = due_period(sub, now)
        if due is None:
            continue
        period, moment = due
        held = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.subscriber_id == sub.id,
                    OutboxMessage.state == HELD,
                    OutboxMessage.created_at <= moment,  # later ones wait for the next moment
                )
            )
        )
        if not held:
            continue
        digest_id = outbox.enqueue(
            session,
            subscriber_id=sub.id,
            kind="digest",
            procedure_key="",
            ref=period,
            payload={"period": period, "items": len(held)},
            state=PENDING,
            now=now,
        )
        if digest_id is None:
            continue  # this period's digest exists; the newer held rows wait for the next one
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(held), OutboxMessage.state == HELD)
            .values(state=DIGESTED, digest_id=digest_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        sub.last_digest_at = now
        built += 1
    session.flush()
    return built
