"""Saved states of the admins' config files (issue #15, point 2): rules and branches versions.

Each row is the whole text of one file as it was saved, so a rollback is a plain copy of an
old row and a diff needs no other row. ``number`` counts up per file from 1; the unique
(file, number) pair is what refuses a second save built on the same version, whatever the
processes (``monitor/appconfig/versions.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow


class ConfigVersionRow(Base):
    __tablename__ = "config_versions"
    __table_args__ = (UniqueConstraint("file", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(String(64))
    """The file's name in the config folder: ``innovation.yaml``."""
    number: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(320))
    """The admin's address, or ``file`` for an edit made on disk and found afterwards."""
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
