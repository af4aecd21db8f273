"""Subscription matching: which subscriptions want a notice, and why (see ``index``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber, Subscription
from monitor.matching.facts import NoticeFacts, build_facts, procedure_key
from monitor.matching.filters import SubscriptionFilters, cpv_prefix
from monitor.matching.index import CompiledSubscription, Match, SubscriptionIndex

__all__ = [
    "CompiledSubscription",
    "Match",
    "NoticeFacts",
    "SubscriptionFilters",
    "SubscriptionIndex",
    "build_facts",
    "cpv_prefix",
    "load_index",
    "procedure_key",
]


def load_index(session: Session) -> SubscriptionIndex:
    """The index over every enabled subscription of every enabled subscriber."""
    rows = session.execute(
        select(Subscription.id, Subscription.subscriber_id, Subscription.name, Subscription.filters)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscriber.enabled.is_(True), Subscription.enabled.is_(True))
    ).all()
    return SubscriptionIndex(
        CompiledSubscription.compile(r.id, r.subscriber_id, r.name, SubscriptionFilters(**r.filters))
        for r in rows
    )
