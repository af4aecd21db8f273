"""The service half of ``tenderwatch status``: schedule, outbox, rules in force, open problems.

Read straight from the database, so it works whether or not a service is running, and from
any machine that shares the database.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.models.alerts import OutboxMessage
from db.models.classification import NoticeClassification
from db.models.health import HealthProblem
from db.models.scheduler import ScheduledJob


def schedule_lines(session: Session, tz: str) -> list[str]:
    """Each scheduled job and its next run, as the last scheduler recorded them (``scheduler_jobs``)."""
    rows = session.execute(
        select(ScheduledJob.job_id, ScheduledJob.next_run_time).order_by(
            ScheduledJob.next_run_time, ScheduledJob.job_id
        )
    ).all()
    if not rows:
        return ["schedule: the service has not run yet (`tenderwatch serve` or `make run`)"]
    zone = ZoneInfo(tz)
    out = ["schedule:"]
    for job_id, next_run in rows:
        when = (
            next_run.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if next_run is not None else "paused"
        )
        out.append(f"  {job_id:<16} next {when}")
    return out


def outbox_lines(session: Session, now: datetime) -> list[str]:
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
    parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "empty"
    line = f"outbox: {parts}"
    if retrying:
        line += f"; {retrying} pending after a temporary failure (server down or busy)"
    if oldest_failed is not None:
        line += f" (oldest failure {(now - oldest_failed).total_seconds() / 3600:.1f} h ago)"
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


def problem_lines(session: Session) -> list[str]:
    rows = session.scalars(
        select(HealthProblem).where(HealthProblem.resolved_at.is_(None)).order_by(HealthProblem.opened_at)
    ).all()
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
