"""The admin audit log: one row per change an admin (or a branch contact) makes in the web app.

Written in the same transaction as the change itself, so a change without its row (or a row
without its change) cannot happen. ``old`` and ``new`` are JSON: whatever the action changed,
in a shape the action chooses (a count, a row's fields), readable without the code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType
from db.clock import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    """The signed-in person's email address (the longest an address may be: 320)."""
    action: Mapped[str] = mapped_column(String(64))
    """What was done, a stable identifier: ``alerts.retry_failed``."""
    target: Mapped[str] = mapped_column(String(200), default="")
    """What it was done to: ``outbox``, ``outbox:42``, ``branch:TEM``."""
    old: Mapped[Any | None] = mapped_column(JSONType, default=None)
    new: Mapped[Any | None] = mapped_column(JSONType, default=None)
