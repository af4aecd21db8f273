"""Subscribers, their subscriptions and the outbox: the tables behind "exactly once" alerts.

The outbox is the heart of it. One row per (subscriber, kind, procedure, ref):

- ``new``: a matching call reached the store (``ref`` is empty: one per procedure, ever);
- ``update``: a material change of a procedure the subscriber already heard about
  (``ref`` = the store's ProcedureEvent id, so two deadline moves are two updates);
- ``reminder``: the deadline is N days away (``ref`` = N, opt-in per subscriber);
- ``digest``: one email bundling ``held`` rows (``procedure_key`` empty, ``ref`` = the period).

The unique constraint makes a second enqueue a no-op, whichever process tries it. A row's
``payload`` freezes what the email says at enqueue time, so a retry sends the same content
with the same Message-ID (derived from the row id), and a receiver can recognise it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, JSONType
from db.clock import utcnow

# Outbox states. ``held`` rows wait for their subscriber's digest; ``digested`` ones went out in it.
# ``pending`` includes rows waiting to retry after a temporary failure (``failure_kind``);
# ``failed`` (a permanent refusal) and ``expired`` (no longer worth sending) are final.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
HELD = "held"
DIGESTED = "digested"
CANCELLED = "cancelled"
OUTBOX_STATES = (PENDING, SENDING, SENT, FAILED, EXPIRED, HELD, DIGESTED, CANCELLED)
# Why the last attempt failed: ``temporary`` (retried with back-off) or ``permanent`` (final).
TEMPORARY = "temporary"
PERMANENT = "permanent"
OUTBOX_KINDS = ("new", "update", "reminder", "digest", "report")  # report: monitor.reports.monthly


class Subscriber(Base):
    """A company or a branch contact: one email address, one language, one delivery mode."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="company")
    """``company`` or ``branch`` (a ministry's contact for its administrative branch)."""
    branch: Mapped[str | None] = mapped_column(String(32), default=None)
    """For branch contacts: the branch id in config/branches.yaml (e.g. ``TEM``)."""
    language: Mapped[str] = mapped_column(String(2), default="fi")
    delivery: Mapped[str] = mapped_column(String(16), default="instant")
    """``instant``, ``daily`` or ``weekly``."""
    digest_hour: Mapped[int] = mapped_column(Integer, default=7)
    """Hour of day (Europe/Helsinki) at which a daily or weekly digest is due."""
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)
    """Weekly digests: 0 = Monday … 6 = Sunday."""
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Opt-in deadline reminders, e.g. ``[7, 2]``: a reminder N days before the deadline."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", order_by="Subscription.id"
    )


class Subscription(Base):
    """One filter of a subscriber; ``filters`` is a validated ``SubscriptionFilters`` dump."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    """False when paused, or ended by an unsubscribe link (then ``unsubscribed_at`` is set)."""
    unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When a List-Unsubscribe request (RFC 8058) first ended this subscription's mail."""
    feed_key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    """The secret part of this subscription's Atom and iCalendar feed URLs; a new one revokes the old."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")


class OutboxMessage(Base):
    """One email to send (or one item held for a digest), with its delivery state machine."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "kind", "procedure_key", "ref"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_procedure_key", "procedure_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    procedure_key: Mapped[str] = mapped_column(String(200), default="")
    """The store's procedure key (BT-04, or the notice's own key without one); '' for digests."""
    ref: Mapped[str] = mapped_column(String(64), default="")
    notice_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The store's notice row the email is about (no FK: the outbox outlives store pruning)."""
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    failure_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    """``temporary`` or ``permanent``: what the last failed attempt was; None before any."""
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the email stops being worth sending by its content (a call's deadline); the
    service's maximum age (``alert_max_age_days``) applies on top. None: only the age."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriber: Mapped[Subscriber] = relationship()


class AlertSourceDone(Base):
    """What the enqueuer has already looked at: a notice, a procedure event or a label change.

    A set rather than a high-water mark: on PostgreSQL, ids from concurrent crawl transactions
    commit out of order, and a watermark would skip the late one.
    """

    __tablename__ = "alert_source_done"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``notice``, ``event`` or ``label``."""
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
