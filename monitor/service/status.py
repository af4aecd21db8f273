"""``tenderwatch status``'s facts: crawl runs, watermarks, schedule, outbox, rules, open problems.

Read straight from the database, so it works whether or not a service is running, and from
any machine that shares the database. The data functions (``recent_runs``, ``watermarks``,
``outbox_summary``, ``open_problems``) are what both the command's text and the web app's
operations page show, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.models.alerts import OutboxMessage
from db.models.classification import NoticeClassification
from db.models.health import HealthProblem
from db.models.runs import CrawlRun, SourceWatermark
from db.models.scheduler import ScheduledJob


def scheduled_jobs(session: Session) -> list[ScheduledJob]:
    """Each scheduled job with its next run and trigger, as the last scheduler recorded them
    (``scheduler_jobs``), soonest first; [] when the service has never run."""
    return list(
        session.scalars(select(ScheduledJob).order_by(ScheduledJob.next_run_time, ScheduledJob.job_id))
    )


def schedule_lines(session: Session, tz: str) -> list[str]:
    """:func:`scheduled_jobs` as the lines of ``tenderwatch status``."""
    jobs = scheduled_jobs(session)
    if not jobs:
        return ["schedule: the service has not run yet (`tenderwatch serve` or `make run`)"]
    zone = ZoneInfo(tz)
    out = ["schedule:"]
    for job in jobs:
        next_run = job.next_run_time
        when = (
            next_run.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if next_run is not None else "paused"
        )
        out.append(f"  {job.job_id:<16} next {when}")
    return out


def recent_runs(session: Session, runs: int = 5) -> list[CrawlRun]:
    """The last ``runs`` crawl runs of each source, by source, newest first."""
    ranked = select(
        CrawlRun, func.row_number().over(partition_by=CrawlRun.source, order_by=CrawlRun.id.desc()).label("n")
    ).subquery()
    return list(
        session.execute(
            select(CrawlRun)
            .join(ranked, CrawlRun.id == ranked.c.id)
            .where(ranked.c.n <= runs)
            .order_by(CrawlRun.source, CrawlRun.id.desc())
        )
        .scalars()
        .all()
    )


def watermarks(session: Session) -> list[SourceWatermark]:
    """Where each source's next crawl starts, by source."""
    return list(session.scalars(select(SourceWatermark).order_by(SourceWatermark.source)).all())


@dataclass(frozen=True)
class OutboxSummary:
    counts: dict[str, int]
    """Rows by state; states without rows are absent."""
    retrying: int
    """Pending rows whose last attempt failed for a temporary reason (server down or busy)."""
    oldest_failed: datetime | None
    """When the oldest failed row was queued."""


def outbox_summary(session: Session) -> OutboxSummary:
    counts = dict(
        session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
    )
    oldest_failed = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.state == "failed")
    )
    retrying = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.state == "pending", OutboxMessage.failure_kind == "temporary")
    )
    return OutboxSummary({str(k): int(v) for k, v in counts.items()}, int(retrying or 0), oldest_failed)


def outbox_lines(session: Session, now: datetime) -> list[str]:
    summary = outbox_summary(session)
    parts = ", ".join(f"{n} {state}" for state, n in sorted(summary.counts.items())) or "empty"
    line = f"outbox: {parts}"
    if summary.retrying:
        line += f"; {summary.retrying} pending after a temporary failure (server down or busy)"
    if summary.oldest_failed is not None:
        line += f" (oldest failure {(now - summary.oldest_failed).total_seconds() / 3600:.1f} h ago)"
    return [line]


def rules_lines(session: Session, version_in_force: str | None) -> list[str]:
    stored = dict(
        session.execute(
            select(NoticeClassification.rules_version, func.count()).group_by(
                NoticeClassification.rules_version
            )
        ).all()
    )
    line = f"innovation rules in force: {version_in_force or '(config invalid)'}"
    if stored:
        line += "; stored results by version: " + ", ".join(f"{v} {n}" for v, n in sorted(stored.items()))
    return [line]


def open_problems(session: Session) -> list[HealthProblem]:
    """The health check's problems not resolved yet, oldest first."""
    return list(
        session.scalars(
            select(HealthProblem).where(HealthProblem.resolved_at.is_(None)).order_by(HealthProblem.opened_at)
        ).all()
    )


def problem_lines(session: Session) -> list[str]:
    rows = open_problems(session)
    if not rows:
        return ["health: no open problems"]
    return ["health:"] + [f"  since {r.opened_at:%Y-%m-%d %H:%M} UTC: {r.summary}" for r in rows]


def service_status(session: Session, *, tz: str, rules_version: str | None) -> list[str]:
    now = utcnow()
    return (
        schedule_lines(session, tz)
        + outbox_lines(session, now)
        + rules_lines(session, rules_version)
        + problem_lines(session)
    )
