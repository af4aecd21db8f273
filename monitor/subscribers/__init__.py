"""Subscribers and their subscriptions: create, update, import, export, disable, unsubscribe.

Imports are idempotent by email: a subscriber is updated in place, its subscriptions by name,
and a subscription missing from the file is removed (the file describes the subscriber whole).
A subscriber who unsubscribed stays unsubscribed whatever a later import says: their choice
outranks an admin's old spreadsheet.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from db.clock import utcnow
from db.models.alerts import Subscriber, Subscription
from monitor.subscribers.config import WEEKDAYS, SubscribersFile, SubscriberSpec, SubscriptionSpec
from monitor.subscribers.optout import cancel_unwanted

__all__ = [
    "SearchPage",
    "SubscriberSpec",
    "SubscribersFile",
    "SyncStats",
    "disable",
    "enable",
    "export_all",
    "find",
    "search",
    "sync_from_config",
    "to_spec",
    "upsert",
]


@dataclass
class SyncStats:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def find(session: Session, email: str) -> Subscriber | None:
    return session.scalar(
        select(Subscriber)
        .where(Subscriber.email == email.strip().lower())
        .options(selectinload(Subscriber.subscriptions))
    )


def upsert(session: Session, spec: SubscriberSpec) -> tuple[Subscriber, str]:
    """Create or update one subscriber from ``spec``; returns it and created/updated/unchanged."""
    sub = find(session, spec.email)
    created = sub is None
    if sub is None:
        sub = Subscriber(email=spec.email)
        session.add(sub)
    before = None if created else to_spec(sub).model_dump()
    sub.name = spec.name
    sub.kind = spec.kind
    sub.branch = spec.branch
    sub.language = spec.language
    sub.delivery = spec.delivery
    sub.digest_hour = spec.digest_hour
    sub.digest_weekday = WEEKDAYS.index(spec.digest_day)
    sub.reminder_days = list(spec.reminder_days)
    sub.enabled = spec.enabled and sub.unsubscribed_at is None
    existing = {s.name: s for s in sub.subscriptions}
    wanted = {s.name: s for s in spec.subscriptions}
    for name, row in existing.items():
        if name not in wanted:
            sub.subscriptions.remove(row)
    for name, s in wanted.items():
        filters = s.filters().model_dump(mode="json")
        current = existing.get(name)
        if current is None:
            sub.subscriptions.append(Subscription(name=name, filters=filters, enabled=s.enabled))
        else:
            if current.filters != filters:
                current.filters = filters
            current.enabled = s.enabled
    session.flush()
    if created:
        return sub, "created"
    return sub, "unchanged" if to_spec(sub).model_dump() == before else "updated"


def sync_from_config(session: Session, data: SubscribersFile) -> SyncStats:
    """Upsert every subscriber of ``data`` (``config/subscribers.yaml`` or an import file)."""
    stats = SyncStats()
    for spec in data.subscribers:
        _, what = upsert(session, spec)
        getattr(stats, what).append(spec.email)
    return stats


def to_spec(sub: Subscriber) -> SubscriberSpec:
    return SubscriberSpec(
        email=sub.email,
        name=sub.name,
        # The columns hold what a SubscriberSpec wrote; validation checks them again here, so
        # the type checker's view of them as plain strings is safe to widen.
        kind=cast(Any, sub.kind),
        branch=sub.branch,
        language=cast(Any, sub.language),
        delivery=cast(Any, sub.delivery),
        digest_hour=sub.digest_hour,
        digest_day=cast(Any, WEEKDAYS[sub.digest_weekday]),
        reminder_days=list(sub.reminder_days or []),
        enabled=sub.enabled,
        subscriptions=[
            SubscriptionSpec(name=s.name, enabled=s.enabled, **s.filters) for s in sub.subscriptions
        ],
    )


def export_all(session: Session) -> SubscribersFile:
    subs = session.scalars(
        select(Subscriber).order_by(Subscriber.email).options(selectinload(Subscriber.subscriptions))
    ).all()
    return SubscribersFile(subscribers=[to_spec(s) for s in subs])


def disable(
    session: Session, email: str, *, unsubscribed: bool = False, now: datetime | None = None
) -> Subscriber | None:
    """Stop all mail to ``email``. ``unsubscribed`` records that the person asked for it.

    Their unsent emails are cancelled here, not only skipped by the sender: enabling them again
    later must not release a backlog of stale alerts.
    """
    sub = find(session, email)
    if sub is None:
        return None
    at = now or utcnow()
    sub.enabled = False
    if unsubscribed and sub.unsubscribed_at is None:
        sub.unsubscribed_at = at
    session.flush()
    cancel_unwanted(session, sub, at)
    return sub


def enable(session: Session, email: str) -> Subscriber | None:
    """Let mail reach ``email`` again, unless the person unsubscribed themselves.

    The same rule as :func:`upsert`: their own unsubscribe outranks an admin, so an
    unsubscribed subscriber stays disabled (they can sign in and subscribe again).
    """
    sub = find(session, email)
    if sub is None:
        return None
    if sub.unsubscribed_at is None:
        sub.enabled = True
    return sub


STATES = ("active", "disabled")
"""What the admin page's filter calls a subscriber's ``enabled`` switch."""


@dataclass
class SearchPage:
    """One page of :func:`search`: the rows and the total that matched (for the pager)."""

    rows: list[Subscriber]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    session: Session,
    text: str = "",
    *,
    kind: str | None = None,
    state: str | None = None,
    branches: Collection[str] | None = None,
    page: int = 1,
    per_page: int = 50,
) -> SearchPage:
    """Subscribers whose email or name contains ``text`` (any case), by email, one page of them.

    ``branches``: only branch contacts of these branches (what a branch contact may see).
    """
    where: list[Any] = []
    needle = text.strip().lower()
    if needle:
        # LIKE wildcards typed by the admin are matched literally: "a_b" finds "a_b", not "axb".
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                func.lower(Subscriber.email).like(pattern, escape="\\"),
                func.lower(Subscriber.name).like(pattern, escape="\\"),
            )
        )
    if kind:
        where.append(Subscriber.kind == kind)
    if branches is not None:
        where.extend([Subscriber.kind == "branch", Subscriber.branch.in_(sorted(branches))])
    if state == "active":
        where.append(Subscriber.enabled.is_(True))
    elif state == "disabled":
        where.append(Subscriber.enabled.is_(False))
    total = session.scalar(select(func.count()).select_from(Subscriber).where(*where)) or 0
    page = max(1, page)
    rows = session.scalars(
        select(Subscriber)
        .where(*where)
        .order_by(Subscriber.email)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Subscriber.subscriptions))
    ).all()
    return SearchPage(list(rows), int(total), page, per_page)
