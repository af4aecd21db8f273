"""Open and resolved health problems, so admins get one email per problem and one on recovery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType
from db.clock import utcnow


class HealthProblem(Base):
    __tablename__ = "health_problems"
    __table_args__ = (
        # At most one open row per problem key: the check is idempotent across runs and instances.
        Index(
            "uq_health_problems_open_key",
            "key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    """What is wrong, stable across runs: ``source-failing:ted``, ``outbox-failures``, ``config``."""
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    notified_open: Mapped[bool] = mapped_column(default=False)
    notified_resolved: Mapped[bool] = mapped_column(default=False)
