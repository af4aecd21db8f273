"""``tenderwatch serve``: APScheduler with jobs built from the config, one leader, graceful stop.

Start-up: load the config (an invalid one refuses to start with the ``config check``
message), apply pending migrations, take the leader lock (or wait as standby), build the jobs
from the config with the next run times the last scheduler recorded (``jobstore.py``: job ids
and times in ``scheduler_jobs``, never pickles), run. SIGTERM/SIGINT: stop taking jobs, ask a
running crawl child to finish, wait for the running job, release the lock.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from db import migrate
from db.models.alerts import Subscriber
from db.session import session_scope
from monitor import sources
from monitor.appconfig import ConfigError
from monitor.config import AppConfig
from monitor.enverrors import describe
from monitor.service import health, jobs
from monitor.service.confighold import ConfigHolder
from monitor.service.jobstore import (
    RecordedJobStore,
    StoredTime,
    describe_trigger,
    forget_others,
    stored_times,
)
from monitor.service.leader import LeaderLock
from monitor.settings import Settings
from monitor.subscribers import sync_from_config

log = logging.getLogger("tenderwatch.service")

# A run missed by up to an hour (service down, machine asleep) still runs once on start;
# older misses are skipped: the watermark's overlap window recovers their notices anyway.
MISFIRE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[..., Any]
    trigger: Any
    args: tuple[Any, ...] = ()


def desired_jobs(config: AppConfig) -> list[JobSpec]:
    """The schedule the config asks for."""
    tz = config.service.timezone
    specs: list[JobSpec] = []
    for source, section in sources.enabled(config.sources):
        specs.append(
            JobSpec(f"crawl:{source.key}", jobs.crawl_job, section.schedule.trigger(tz), (source.key,))
        )
    svc = config.service

    send_seconds = svc.send_every_seconds or svc.send_every_minutes * 60
    specs.append(JobSpec("send", jobs.send_job, IntervalTrigger(seconds=send_seconds, timezone=tz)))
    specs.append(
        JobSpec("digests", jobs.digest_job, IntervalTrigger(minutes=svc.digest_check_minutes, timezone=tz))
    )
    specs.append(JobSpec("health", jobs.health_job, svc.health_check.trigger(tz)))
    # First working day of the month, mid-morning: APScheduler's "1st mon-fri" cron form.
    specs.append(
        JobSpec(
            "report:monthly",
            jobs.report_job,
            CronTrigger(day="1st mon,1st tue,1st wed,1st thu,1st fri", hour=9, minute=0, timezone=tz),
        )
    )
    return specs


class Service:
    def __init__(self, settings: Settings, *, standby_poll: float = 5.0, tick: float = 2.0) -> None:
        """Raises :class:`ConfigError` when the config is invalid: the service refuses to start."""
        self.settings = settings
        self.stopping = threading.Event()
        self.standby_poll = standby_poll
        self.tick = tick
        self.config = ConfigHolder(
            settings.config_dir, on_refused=self._config_refused, on_reloaded=self._config_reloaded
        )
        self.lock = LeaderLock(settings.db_url, settings.data_dir)
        self.scheduler: BackgroundScheduler | None = None

    # ------------------------------------------------------------------ life cycle
    def run(self, *, install_signals: bool = True) -> None:
        if install_signals:
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        if migrate.pending(self.settings.db_url):
            log.info("applying pending database migrations")
            migrate.upgrade(self.settings.db_url)
        if not self._wait_for_leadership():
            return
        self._bootstrap_subscribers()
        jobs.CURRENT = self
        try:
            self._start_scheduler()
            while not self.stopping.wait(self.tick):
                self.config.current()  # picks up config edits between jobs; never raises
        finally:
            self._shutdown()

    def _bootstrap_subscribers(self) -> None:
        """On a fresh database, import the example subscribers from config/subscribers.yaml.

        Only when there are none at all: afterwards subscribers are managed with
        `tenderwatch subscribers`, and re-syncing the file would undo those edits.
        """
        data = self.config.current().get("subscribers.yaml")
        if data is None:
            return
        with session_scope(self.settings.db_url) as session:
            if session.scalar(select(func.count()).select_from(Subscriber)):
                return
            stats = sync_from_config(session, data)
        log.info("fresh database: imported the example subscribers from subscribers.yaml (%s)", stats)

    def stop(self) -> None:
        self.stopping.set()

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("received %s: finishing the running job, then stopping", signal.Signals(signum).name)
        self.stopping.set()

    def _wait_for_leadership(self) -> bool:
        announced = False
        while not self.stopping.is_set():
            if self.lock.acquire():
                log.info("this instance schedules (%s)", self.lock.describe())
                return True
            if not announced:
                log.warning(
                    "another `tenderwatch serve` holds the scheduler (%s); waiting as standby",
                    self.lock.describe(),
                )
                announced = True
            self.stopping.wait(self.standby_poll)
        return False

    def _start_scheduler(self) -> None:
        config = self.config.current()
        self.scheduler = BackgroundScheduler(
            # In memory, built from the config; only the next run times are written down (no pickles).
            jobstores={"default": RecordedJobStore(self.settings.db_url)},
            # Crawls run in child processes, so threads mostly wait; 4 lets a crawl, the
            # sender and a digest run side by side.
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=config.service.timezone,
        )
        self.scheduler.add_listener(
            self._job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )
        self.scheduler.start(paused=True)
        self.reconcile(config, stored=stored_times(self.settings.db_url))
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s next at %s", job.id, job.next_run_time)

    def _shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()  # no new job is submitted while the executor winds down
            self.scheduler.shutdown(wait=True)  # lets the running job finish or roll back
        jobs.CURRENT = None
        self.lock.release()
        log.info("service stopped")

    # ------------------------------------------------------------------ schedule
    def reconcile(self, config: AppConfig, *, stored: dict[str, StoredTime] | None = None) -> None:
        """Make the scheduler's jobs match the config, keeping the times of unchanged jobs.

        At start (``stored``: the next run times the last scheduler recorded) a job whose
        trigger is unchanged gets its recorded time back, so a run missed while the service
        was down fires once on start (coalesced, within the grace time); a changed one starts
        afresh, and rows of jobs the config no longer has are deleted.
        Every trigger is built (``desired_jobs``) before the first job changes, so a config the
        scheduler cannot use changes nothing.
        """
        assert self.scheduler is not None
        wanted = {spec.id: spec for spec in desired_jobs(config)}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                log.info("removing job %s (no longer configured)", job.id)
                job.remove()
        if stored is not None:
            forget_others(self.settings.db_url, set(wanted))
        for spec in wanted.values():
            job = self.scheduler.get_job(spec.id)
            if job is None:
                kwargs: dict[str, Any] = {}
                saved = (stored or {}).get(spec.id)
                if (
                    saved is not None
                    and saved.next_run_time is not None
                    and saved.trigger == describe_trigger(spec.trigger)
                ):
                    kwargs["next_run_time"] = saved.next_run_time
                self.scheduler.add_job(
                    spec.func, spec.trigger, id=spec.id, args=spec.args, name=spec.id, **kwargs
                )
            elif (
                describe_trigger(job.trigger) != describe_trigger(spec.trigger)
                or tuple(job.args) != spec.args
            ):
                log.info("rescheduling %s: %s → %s", spec.id, job.trigger, spec.trigger)
                self.scheduler.reschedule_job(spec.id, trigger=spec.trigger)

    def _config_reloaded(self, old: AppConfig, new: AppConfig) -> None:
        """Apply a new config; raising refuses it (``ConfigHolder``), so leave ``old`` in force."""
        if self.scheduler is not None:
            try:
                self.reconcile(new)
            except Exception:
                self.reconcile(old)  # undo what changed before the failure
                raise
        try:
            health.config_accepted(self.settings, new)
        except Exception:  # the new config is in force either way; only the notice is lost
            log.exception("could not record the accepted config edit")

    def _config_refused(self, error: ConfigError) -> None:
        health.config_refused(self.settings, self.config.last_good, error)

    # ------------------------------------------------------------------ logging
    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_EXECUTED:
            log.info(
                "job %s ok %s",
                event.job_id,
                _figures(event.retval),
                extra={"job": event.job_id, "outcome": "ok", "figures": event.retval},
            )
        elif event.code == EVENT_JOB_ERROR:
            line = describe(event.exception, self.settings.db_url)
            log.error(
                "job %s failed: %s",
                event.job_id,
                line or repr(event.exception),
                # A fault of the machine (read-only database, full disk) is one line, at every
                # run; a bug keeps its traceback.
                exc_info=None
                if line
                else (type(event.exception), event.exception, event.exception.__traceback__),
                extra={"job": event.job_id, "outcome": "error"},
            )
        elif event.code == EVENT_JOB_MISSED:
            log.warning(
                "job %s missed its run at %s (past the grace time)",
                event.job_id,
                event.scheduled_run_time,
                extra={"job": event.job_id, "outcome": "missed"},
            )
        else:
            log.warning(
                "job %s still running; this run skipped",
                event.job_id,
                extra={"job": event.job_id, "outcome": "skipped"},
            )


def _figures(value: Any) -> str:
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    return " ".join(f"{k}={v}" for k, v in value.items())


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass (used by tests and the demo)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
