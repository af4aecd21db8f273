"""Crawl runs and per-source watermarks: what each crawl did, and where the next one starts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType
from db.clock import utcnow

RUN_STATUSES = ("running", "finished", "failed", "blocked", "skipped")  # skipped: e.g. HILMA without a key


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    notices_seen: Mapped[int] = mapped_column(Integer, default=0)
    notices_new: Mapped[int] = mapped_column(Integer, default=0)
    notices_updated: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    """Error count by kind, e.g. ``{"parse": 2, "http_429": 1}``."""
    close_reason: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Free-form (Scrapy stats, spider arguments)."""


class SourceWatermark(Base):
    """How far a source has been read (e.g. the newest publication time seen)."""

    __tablename__ = "source_watermarks"

    # Wider than a source name: spiders keep sub-marks such as "ted_packages:2026-042".
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
