"""The scheduler's jobs live in memory, rebuilt from the config; only their next run times are kept.

APScheduler's SQLAlchemy job store kept every job as a pickle in ``apscheduler_jobs``; loading
a row is unpickling it, and unpickling runs whatever code the row names. Whoever could write
one row of the database (a leaked read-write password, an SQL injection anywhere, a restored
backup from elsewhere) ran code in ``serve`` (issue #13, point 8). The jobs hold nothing worth
a pickle: their functions are this package's, their triggers come from config/sources.yaml
and service.yaml. So the service builds them from the config at every start and keeps them in
APScheduler's :class:`MemoryJobStore`; :class:`RecordedJobStore` adds one thing, writing each
job's next run time to ``scheduler_jobs`` (plain columns) whenever APScheduler changes it.
At the next start :func:`stored_times` gives those times back, so a run missed while the
service was down still fires once on start, within the grace time, as before.

Nothing read from the table is executed or evaluated: a row is only a job id, a timestamp and
the trigger's text, compared with the configured trigger's text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from db.clock import utcnow
from db.models.scheduler import ScheduledJob
from db.session import session_scope

log = logging.getLogger(__name__)


def describe_trigger(trigger: Any) -> str:
    """A trigger as stable text: ``interval[0:15:00] Europe/Helsinki``.

    ``str()`` of APScheduler's triggers names the schedule but not the time zone, and ``repr()``
    of an interval holds its computed start; the zone is added so a zone change counts.
    """
    return f"{trigger} {getattr(trigger, 'timezone', '')}".strip()


@dataclass(frozen=True)
class StoredTime:
    next_run_time: datetime | None
    trigger: str


def stored_times(db_url: str) -> dict[str, StoredTime]:
    """The next run times the last scheduler recorded, by job id (empty if none or unreadable)."""
    try:
        with session_scope(db_url) as session:
            rows = session.execute(
                select(ScheduledJob.job_id, ScheduledJob.next_run_time, ScheduledJob.trigger)
            )
            return {job_id: StoredTime(when, trigger) for job_id, when, trigger in rows}
    except SQLAlchemyError:
        log.exception("could not read the stored schedule; every job is scheduled afresh")
        return {}


def forget_others(db_url: str, keep: set[str]) -> None:
    """Delete the rows of jobs the config no longer has (or never had)."""
    with session_scope(db_url) as session:
        session.execute(delete(ScheduledJob).where(ScheduledJob.job_id.not_in(keep)))


class RecordedJobStore(MemoryJobStore):
    """APScheduler's memory store, writing each job's next run time to ``scheduler_jobs``.

    A failed write is logged and the schedule goes on from memory (the next change writes
    again): the database being away for a moment must not stop the scheduler.
    """

    def __init__(self, db_url: str) -> None:
        super().__init__()
        self.db_url = db_url

    def add_job(self, job: Job) -> None:
        super().add_job(job)
        self._record(job)

    def update_job(self, job: Job) -> None:
        super().update_job(job)
        self._record(job)

    def remove_job(self, job_id: str) -> None:
        super().remove_job(job_id)
        self._forget([job_id])

    def remove_all_jobs(self) -> None:
        ids = [job.id for job in self.get_all_jobs()]
        super().remove_all_jobs()
        self._forget(ids)

    def shutdown(self) -> None:
        """The scheduler stops: drop the jobs from memory, keep their rows (the next start's times).

        ``MemoryJobStore.shutdown`` removes every job, which here would also forget them.
        """
        MemoryJobStore.remove_all_jobs(self)

    def _record(self, job: Job) -> None:
        now = utcnow()
        values = {
            "job_id": job.id,
            "next_run_time": job.next_run_time,
            "trigger": describe_trigger(job.trigger),
            "updated_at": now,
        }
        try:
            with session_scope(self.db_url) as session:
                insert = (
                    postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
                )
                stmt = insert(ScheduledJob).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["job_id"],
                    set_={k: stmt.excluded[k] for k in ("next_run_time", "trigger", "updated_at")},
                )
                session.execute(stmt)
        except SQLAlchemyError:
            log.exception("could not record the next run of job %s; the schedule goes on", job.id)

    def _forget(self, ids: list[str]) -> None:
        if not ids:
            return
        try:
            with session_scope(self.db_url) as session:
                session.execute(delete(ScheduledJob).where(ScheduledJob.job_id.in_(ids)))
        except SQLAlchemyError:
            log.exception("could not forget jobs %s", ids)
