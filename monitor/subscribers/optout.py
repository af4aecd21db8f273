"""Ending mail: one-click unsubscribe, pausing a subscription, and the queued mail that goes with it.

Whoever ends mail (the RFC 8058 POST, the web page, ``tenderwatch unsubscribe``) calls
:func:`unsubscribe`, so each records the same thing: the subscription is disabled, the time
of the first request is kept (a repeat changes nothing), and queued emails that only those
subscriptions wanted are cancelled, so "no more mail" holds for what is already in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.alerts import CANCELLED, FAILED, HELD, PENDING, OutboxMessage, Subscriber, Subscription

UNSENT = (PENDING, HELD, FAILED)


@dataclass
class OptOut:
    subscriber: Subscriber
    ended: list[str] = field(default_factory=list)
    """Names of the subscriptions this request ended (empty on a repeat)."""
    names: list[str] = field(default_factory=list)
    """Names of every subscription the request named (ended now or before)."""
    all_mail: bool = False
    """The request ended all of the subscriber's mail (a token naming no subscription)."""
    cancelled: int = 0
    """Queued emails cancelled."""


def unsubscribe(session: Session, sub: Subscriber, subscription_ids: Iterable[int], now: datetime) -> OptOut:
    """End the named subscriptions' mail (or, with none named, all the subscriber's); idempotent."""
    ids = set(subscription_ids)
    out = OptOut(sub, all_mail=not ids)
    if not ids:
        if sub.enabled or sub.unsubscribed_at is None:
            out.ended.append("*")
        sub.enabled = False
        if sub.unsubscribed_at is None:
            sub.unsubscribed_at = now
    for s in sub.subscriptions:
        if s.id not in ids:
            continue
        out.names.append(s.name)
        if s.enabled or s.unsubscribed_at is None:
            out.ended.append(s.name)
        s.enabled = False
        if s.unsubscribed_at is None:
            s.unsubscribed_at = now
    session.flush()
    out.cancelled = cancel_unwanted(session, sub, now)
    return out


def set_paused(session: Session, subscription: Subscription, paused: bool, now: datetime) -> int:
    """Pause or resume a subscription; a resume also clears a one-click unsubscribe. Returns cancelled."""
    subscription.enabled = not paused
    if not paused:
        subscription.unsubscribed_at = None
    subscription.updated_at = now
    session.flush()
    return cancel_unwanted(session, subscription.subscriber, now) if paused else 0


def cancel_unwanted(session: Session, sub: Subscriber, now: datetime) -> int:
    """Cancel unsent rows that no enabled subscription of ``sub`` wants any more; return how many.

    A row remembers which subscriptions matched it (``payload.matches``); a digest, those of its
    items. Rows without any (the monthly branch report) follow the subscriber's own switch.
    """
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.subscriber_id == sub.id, OutboxMessage.state.in_(UNSENT))
    ).all()
    if not rows:
        return 0
    wanted = {s.id for s in sub.subscriptions if s.enabled} if sub.enabled else set()
    cancelled = 0
    for row in rows:
        matched = _matched(session, row)
        if (matched and not matched & wanted) or not sub.enabled:
            row.state = CANCELLED
            row.claim_token = None
            row.updated_at = now
            cancelled += 1
    session.flush()
    return cancelled


def _matched(session: Session, row: OutboxMessage) -> set[int]:
    payloads = [row.payload or {}]
    if row.kind == "digest":
        payloads = [
            p or {}
            for p in session.scalars(select(OutboxMessage.payload).where(OutboxMessage.digest_id == row.id))
        ]
    return {
        int(m["subscription_id"])
        for p in payloads
        for m in p.get("matches") or []
        if m.get("subscription_id") is not None
    }


def matched_subscription_ids(payloads: Iterable[dict[str, Any]]) -> list[int]:
    """Every subscription id named by these outbox payloads' matches, in order, without repeats."""
    out: list[int] = []
    for p in payloads:
        for m in (p or {}).get("matches") or []:
            sid = m.get("subscription_id")
            if sid is not None and int(sid) not in out:
                out.append(int(sid))
    return out
