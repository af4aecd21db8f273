"""Stored innovation classifications and the history of label changes.

One ``NoticeClassification`` per notice: the latest result, the rules version (a content hash
of the rules) that produced it, and the reasons as JSON, so ``tenderwatch explain`` shows
exactly what the stored label was based on. A ``ClassificationChange`` row is written whenever
a notice's label differs from its previous one (including its first label), so alerting can
act on label changes only and an admin can audit what a rules change did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType
from db.clock import utcnow

STALE_RULES_VERSION = "stale"
"""``rules_version`` of a result whose notice record has been re-derived since (``tenderwatch
reparse``): re-classified at the next run like a result of older rules (open and planned
procedures), and its text hits, found in the old text, are never re-scored."""


class NoticeClassification(Base):
    __tablename__ = "notice_classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), unique=True)
    label: Mapped[str] = mapped_column(String(16), index=True)
    score: Mapped[float] = mapped_column(Float)
    rules_version: Mapped[str] = mapped_column(String(16), index=True)  # "what is stale" after a rules change
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """``Classification.to_dict()``: reasons, not-counted hits, excluded spans."""
    classified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassificationChange(Base):
    __tablename__ = "classification_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    procedure_pk: Mapped[int | None] = mapped_column(
        ForeignKey("procedures.id", ondelete="CASCADE"), index=True
    )
    old_label: Mapped[str | None] = mapped_column(String(16))
    """None when the notice was classified for the first time."""
    new_label: Mapped[str] = mapped_column(String(16))
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    rules_version: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # alerting reads "since"
