"""Judgements of the innovation labels: admins' verdicts and readers' answers (issue #15, point 3).

``ReviewVerdict``: one current verdict per notice (innovative or not), from the admin review
queue; a changed verdict replaces the row, and the audit log keeps the old one. It is the truth
the rule quality table measures the rules against and what ``tenderwatch review export`` turns
into a labelled set.

``ReaderFeedback``: one current answer per (subscriber, notice), "relevant" or "not", from the
signed links in alert emails. When a subscriber is deleted their answers stay, without the
person (``SET NULL``): the answer is about the notice, and the rule quality figures should not
move because someone left; nothing in the row names who gave it any more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow

VERDICTS = ("innovative", "not_innovative")


class ReviewVerdict(Base):
    __tablename__ = "review_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), unique=True)
    verdict: Mapped[str] = mapped_column(String(16))
    """``innovative`` or ``not_innovative`` (``VERDICTS``)."""
    label_then: Mapped[str | None] = mapped_column(String(16))
    """The stored label when the verdict was given: what the admin was agreeing or disagreeing with."""
    score_then: Mapped[float | None] = mapped_column(Float)
    reviewer: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReaderFeedback(Base):
    __tablename__ = "reader_feedback"
    __table_args__ = (UniqueConstraint("subscriber_id", "notice_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    relevant: Mapped[bool] = mapped_column(Boolean)
    label_then: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
