"""Health checks that tell admins when something needs a human, once per problem.

A check produces the set of problems that hold *now*; :func:`reconcile` compares it with the
open rows in ``health_problems``: a new problem opens a row and mails the admins, a problem
that no longer holds is resolved and mails them once more. Running the check every minute
or once a night gives the same emails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.alerts import FAILED, PENDING, OutboxMessage
from db.models.health import HealthProblem
from db.models.runs import CrawlRun
from db.session import session_scope
from monitor import sources
from monitor.appconfig import ConfigError
from monitor.config import AppConfig
from monitor.safety import header_safe
from monitor.service.adminmail import send_admin_mail
from monitor.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    key: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- checks
def source_problems(session: Session, config: AppConfig, now: datetime) -> list[Problem]:
    """Failing N runs in a row; or zero notices on recent working days when it usually has some."""
    health = config.service.health
    tz = ZoneInfo(config.service.timezone)
    problems: list[Problem] = []
    for source, _ in sources.enabled(config.sources):
        name = source.key
        recent = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source == name, CrawlRun.finished_at.is_not(None))
            .order_by(CrawlRun.started_at.desc())
            .limit(health.failures_before_alert)
        ).all()
        if len(recent) == health.failures_before_alert and all(r.status != "finished" for r in recent):
            last = recent[0]
            problems.append(
                Problem(
                    f"source-failing:{name}",
                    f"source {name} failed its last {len(recent)} runs "
                    f"(last: {last.status}, {last.close_reason})",
                    {"source": name, "statuses": [r.status for r in recent], "last_errors": last.errors},
                )
            )
            continue
        quiet = _quiet_problem(session, name, now, tz, health.quiet_working_days)
        if quiet:
            problems.append(quiet)
    return problems


def _working_days_back(now: datetime, tz: ZoneInfo, count: int) -> datetime:
    """Start (local midnight) of the window holding the last ``count`` completed working days."""
    day = now.astimezone(tz).date()
    found = 0
    while found < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            found += 1
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _quiet_problem(session: Session, name: str, now: datetime, tz: ZoneInfo, days: int) -> Problem | None:
    window_start = _working_days_back(now, tz, days)
    baseline_start = _working_days_back(now, tz, days + 20)

    def seen_in(start: datetime, end: datetime) -> int:
        return (
            session.scalar(
                select(func.coalesce(func.sum(CrawlRun.notices_seen), 0)).where(
                    CrawlRun.source == name,
                    CrawlRun.status == "finished",
                    CrawlRun.started_at >= start,
                    CrawlRun.started_at < end,
                )
            )
            or 0
        )

    runs_in_window = session.scalar(
        select(func.count())
        .select_from(CrawlRun)
        .where(CrawlRun.source == name, CrawlRun.status == "finished", CrawlRun.started_at >= window_start)
    )
    if not runs_in_window:
        return None  # nothing ran: the failing check or the schedule is the story, not quietness
    if seen_in(window_start, now) == 0 and seen_in(baseline_start, window_start) > 0:
        return Problem(
            f"source-quiet:{name}",
            f"source {name} brought no notices on the last {days} working day(s) though it usually does",
            {"source": name, "since": window_start.isoformat()},
        )
    return None


def outbox_problems(session: Session, config: AppConfig, now: datetime) -> list[Problem]:
    """Alert emails refused for good (``failed``): someone has to look at the addresses."""
    age = timedelta(minutes=config.service.health.outbox_failure_age_minutes)
    old_failed = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.state == FAILED, OutboxMessage.created_at < now - age)
    )
    if old_failed:
        return [
            Problem(
                "outbox-failures",
                f"{old_failed} alert email(s) were refused for good and are older than {age} "
                "(`tenderwatch alerts list --state failed`; `alerts retry --failed` after a fix)",
                {"count": old_failed},
            )
        ]
    return []


def run_checks(settings: Settings, config: AppConfig, now: datetime) -> dict[str, Any]:
    with session_scope(settings.db_url) as session:
        problems = source_problems(session, config, now) + outbox_problems(session, config, now)
        prefixes = ("source-", "outbox-")
        opened, resolved = reconcile(session, problems, now, scope=prefixes)
    notify(settings, config, opened, resolved)
    notify(settings, config, *_unsent(settings))  # mail that could not go out before
    return {"problems": len(problems), "opened": len(opened), "resolved": len(resolved)}


def _unsent(settings: Settings) -> tuple[list[HealthProblem], list[HealthProblem]]:
    """Problems whose mail has not gone out yet (the mail server was down when they changed).
    The mail-down problem's opening mail has its own timing (:func:`mail_delivery`)."""
    with session_scope(settings.db_url) as session:
        rows = session.scalars(
            select(HealthProblem).where(
                or_(
                    and_(
                        HealthProblem.resolved_at.is_(None),
                        HealthProblem.notified_open.is_(False),
                        HealthProblem.key != MAIL_DOWN,
                    ),
                    and_(
                        HealthProblem.resolved_at.is_not(None),
                        HealthProblem.notified_open.is_(True),
                        HealthProblem.notified_resolved.is_(False),
                    ),
                )
            )
        ).all()
    return [r for r in rows if r.resolved_at is None], [r for r in rows if r.resolved_at is not None]


# ---------------------------------------------------------------------------------- mail delivery
MAIL_DOWN = "mail-down"


def mail_delivery(
    settings: Settings, config: AppConfig, *, ok: bool, error: str | None, now: datetime
) -> str | None:
    """After a send run: alert mail could not be delivered (``error``), or could (``ok``).

    The problem opens at the first failure; the admins are told once it has lasted
    ``health.mail_down_minutes`` (a one-minute blip is no news). That mail cannot go through
    a server that is down: it is kept as a file and logged (``adminmail``) and tried again
    at each send run. When delivery works again the problem resolves, and the admins get
    the resolved mail if they were, or should have been, told that it opened. Returns what
    happened, for the send job's figures.
    """
    if error and not ok:
        return _mail_down(settings, config, error, now)
    if ok and not error:
        return _mail_up(settings, config, now)
    return None  # connected, then lost: the next run tells which it is


def _mail_down(settings: Settings, config: AppConfig, error: str, now: datetime) -> str:
    threshold = timedelta(minutes=config.service.health.mail_down_minutes)
    where = (
        f"cannot reach the mail server {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f"cannot write alert emails to {settings.outbox_dir}"
    )
    try:
        with session_scope(settings.db_url) as session:
            row = _open_row(session, MAIL_DOWN)
            if row is None:
                summary = f"{where}; alert emails wait and are retried"
                row = HealthProblem(key=MAIL_DOWN, summary=summary, details={"error": error}, opened_at=now)
                session.add(row)
                session.flush()
            waiting = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == PENDING)
            )
            row.details = {**row.details, "last_error": header_safe(error, 300), "emails_waiting": waiting}
            due = not row.notified_open and now - row.opened_at >= threshold
    except IntegrityError:  # another instance opened the problem at the same moment
        return "mail-down"
    if due:
        notify(settings, config, [row], [])
    return "mail-down"


def _mail_up(settings: Settings, config: AppConfig, now: datetime) -> str | None:
    threshold = timedelta(minutes=config.service.health.mail_down_minutes)
    with session_scope(settings.db_url) as session:
        row = _open_row(session, MAIL_DOWN)
        if row is None:
            return None
        row.resolved_at = now
        told = row.notified_open or now - row.opened_at >= threshold
        # The resolved mail tells the whole story when the opening one never got through.
        row.notified_open = row.notified_open or told
        row.notified_resolved = not told  # a short blip: resolved without a word
    if told:
        notify(settings, config, [], [row])
    return "mail-up"


def _open_row(session: Session, key: str) -> HealthProblem | None:
    return session.scalar(
        select(HealthProblem).where(HealthProblem.key == key, HealthProblem.resolved_at.is_(None))
    )


# ---------------------------------------------------------------------------------- bookkeeping
def reconcile(
    session: Session, problems: list[Problem], now: datetime, scope: tuple[str, ...]
) -> tuple[list[HealthProblem], list[HealthProblem]]:
    """Open rows for new problems, resolve rows (whose key starts with ``scope``) that cleared.

    Read, then write: two instances checking at once would both open the same problem, and the
    second would fail on the one-open-row-per-key index; one at a time (``db.locks``).
    """
    serialize(session, "health")
    open_rows = {
        row.key: row
        for row in session.scalars(select(HealthProblem).where(HealthProblem.resolved_at.is_(None)))
        if row.key.startswith(scope)
    }
    current = {p.key: p for p in problems}
    opened = []
    for key, problem in current.items():
        if key not in open_rows:
            row = HealthProblem(key=key, summary=problem.summary, details=problem.details, opened_at=now)
            session.add(row)
            opened.append(row)
    resolved = []
    for key, row in open_rows.items():
        if key not in current:
            row.resolved_at = now
            resolved.append(row)
    session.flush()
    return opened, resolved


def notify(
    settings: Settings, config: AppConfig, opened: list[HealthProblem], resolved: list[HealthProblem]
) -> None:
    """Mail the admins about each newly opened and each resolved problem, and mark it mailed."""
    if not (opened or resolved):
        return
    for row in opened:
        log.warning("health problem: %s", row.summary, extra={"problem": row.key})
    for row in resolved:
        log.info("health problem resolved: %s", row.summary, extra={"problem": row.key})
    with session_scope(settings.db_url) as session:
        for row, kind in [(r, "open") for r in opened] + [(r, "resolved") for r in resolved]:
            fresh = session.get(HealthProblem, row.id)
            if fresh is None:
                continue
            flag = "notified_open" if kind == "open" else "notified_resolved"
            if getattr(fresh, flag):
                continue
            subject = (
                f"[TenderWatch] problem: {fresh.summary}"
                if kind == "open"
                else f"[TenderWatch] resolved: {fresh.summary}"
            )
            body = _body(fresh, kind)
            if send_admin_mail(
                settings, list(config.service.admins), subject, body, key=f"{fresh.id}-{kind}"
            ):
                setattr(fresh, flag, True)


def _body(row: HealthProblem, kind: str) -> str:
    lines = [row.summary, "", f"opened: {row.opened_at:%Y-%m-%d %H:%M} UTC"]
    if kind == "resolved" and row.resolved_at:
        lines.append(f"resolved: {row.resolved_at:%Y-%m-%d %H:%M} UTC")
    if row.details:
        lines += ["", "details:"] + [f"  {k}: {v}" for k, v in row.details.items()]
    lines += ["", "`tenderwatch status` shows every source's runs and the outbox."]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- config
def config_refused(settings: Settings, running: AppConfig, error: ConfigError) -> None:
    """A bad config edit: one email per distinct bad edit; the last good config keeps running."""
    now = utcnow()
    report = error.report()
    key = "config-refused"
    with session_scope(settings.db_url) as session:
        serialize(session, "health")  # read, then write: as in reconcile
        row = session.scalar(
            select(HealthProblem).where(HealthProblem.key == key, HealthProblem.resolved_at.is_(None))
        )
        if row is not None and row.details.get("report") == report:
            return
        if row is not None:
            row.resolved_at = now  # superseded by a different bad edit
            row.notified_resolved = True
        session.flush()
        summary = f"config edit refused; still running version {running.version}"
        opened = HealthProblem(key=key, summary=summary, details={"report": report}, opened_at=now)
        session.add(opened)
    notify(settings, running, [opened], [])


def config_accepted(settings: Settings, config: AppConfig) -> None:
    with session_scope(settings.db_url) as session:
        _, resolved = reconcile(session, [], utcnow(), scope=("config-",))
    notify(settings, config, [], resolved)
