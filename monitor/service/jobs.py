"""The service's jobs: module-level functions, which the scheduler is given by reference when it
builds its jobs from the config at start (nothing about a job is read back from the database but
its next run time: ``monitor/service/jobstore.py``).

Each job reads the running service from :data:`CURRENT` (set when
``monitor.service.app.Service`` starts; typed by the :class:`RunningService` protocol, so this
module does not import the one that schedules it) and returns a dict of figures, which the
job listener logs as one line per run.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from db.clock import utcnow
from monitor import pipeline
from monitor.service import health
from monitor.service.confighold import ConfigHolder
from monitor.settings import Settings

log = logging.getLogger(__name__)


class RunningService(Protocol):
    """What a job needs of the service that runs it."""

    settings: Settings
    config: ConfigHolder
    stopping: threading.Event


CURRENT: RunningService | None = None
"""The service whose scheduler runs these jobs (one per process)."""

# Processing after two crawls that end together must not run twice at once: classification
# and matching would race for the same new notices. Crawls themselves may overlap.
_process_lock = threading.Lock()


def _service() -> RunningService:
    if CURRENT is None:
        raise RuntimeError("no service is running in this process")
    return CURRENT


def crawl_job(source: str) -> dict[str, Any]:
    """Crawl one source in a child process, then process what it brought."""
    svc = _service()
    config = svc.config.current()
    result = pipeline.crawl(svc.settings, config, source, stop_event=svc.stopping)
    figures: dict[str, Any] = {"source": source, **result}
    if not svc.stopping.is_set():
        figures["process"] = process_job()
    return figures


def process_job() -> dict[str, Any]:
    """Classify new notices, match them to subscriptions, queue alerts."""
    svc = _service()
    with _process_lock:
        return pipeline.process(svc.settings, svc.config.current(), now=utcnow())


def send_job() -> dict[str, Any]:
    """Send what the outbox holds (any instance may; rows are claimed one by one), and tell
    the admins when alert mail cannot be delivered, or can again."""
    svc = _service()
    config = svc.config.current()
    now = utcnow()
    figures = pipeline.deliver(svc.settings, now=now, config=config)
    figures["mail_health"] = health.mail_delivery(
        svc.settings, config, ok=figures["server_ok"], error=figures["server_error"], now=now
    )
    return figures


def digest_job() -> dict[str, Any]:
    svc = _service()
    return pipeline.digests(svc.settings, now=utcnow())


def health_job() -> dict[str, Any]:
    svc = _service()
    return health.run_checks(svc.settings, svc.config.current(), now=utcnow())


def report_job() -> dict[str, Any]:
    """Monthly branch reports (first working day of the month)."""
    svc = _service()
    return pipeline.monthly_reports(svc.settings, svc.config.current(), now=utcnow())
