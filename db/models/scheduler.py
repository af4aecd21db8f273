"""The service's schedule as plain columns: job ids and their next run times, never pickles.

``tenderwatch serve`` rebuilds its jobs from the config at every start (the schedule comes
from config/sources.yaml and service.yaml) and keeps them in memory; this table only
remembers when each job runs next, so a run missed while the service was down still fires
once on start (within the grace time). Nothing read from it is executed: the job functions
come from the code, and a row naming no configured job is ignored and deleted. It replaces
APScheduler's SQLAlchemy job store, whose pickled rows meant that whoever could write one row
of the database ran code in ``serve`` (issue #13, point 8).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow


class ScheduledJob(Base):
    __tablename__ = "scheduler_jobs"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``crawl:ted``, ``send``, ``digests`` …: the ids ``monitor.service.app.desired_jobs`` gives."""
    next_run_time: Mapped[datetime | None] = mapped_column()
    """None: paused (the service never pauses a job; such a row is scheduled afresh)."""
    trigger: Mapped[str] = mapped_column(Text, default="")
    """The trigger as text (``interval[0:15:00] Europe/Helsinki``): a different one in the config
    means the stored time belongs to an old schedule and is dropped."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
