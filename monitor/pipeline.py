"""The steps of one TenderWatch cycle, shared by ``run --once``, ``demo`` and the service's jobs.

crawl (child process per source) → process (classify, match, queue) → deliver (send outbox).
Each step opens its own unit of work, so a failure in one leaves the others' work committed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from db.private import private_file
from db.session import get_sessionmaker, session_scope
from monitor import sources
from monitor.alerts import outbox
from monitor.alerts.digest import build_due_digests
from monitor.alerts.enqueue import enqueue_pending
from monitor.alerts.sender import send_pending
from monitor.classify.declarations import declare_pending
from monitor.classify.service import classify_pending
from monitor.config import AppConfig
from monitor.crawling import run_source
from monitor.reports.facts import refresh_report_procedures
from monitor.reports.monthly import queue_monthly_reports
from monitor.search.indexer import index_pending
from monitor.settings import Settings

log = logging.getLogger(__name__)


def crawl(
    settings: Settings,
    config: AppConfig,
    source: str,
    *,
    overrides: dict[str, Any] | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
    stop_event: threading.Event | None = None,
) -> dict[str, Any]:
    """Run one source's spider in a child process; return its crawl-run figures."""
    started = time.monotonic()
    result = run_source(
        settings,
        config,
        source,
        overrides=overrides or {},
        scrapy_overrides=scrapy_overrides,
        stop_event=stop_event,
        log_path=crawl_log(settings, source),
    )
    log.info("crawl %s: %s", source, " ".join(f"{k}={v}" for k, v in result.items()))
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def crawl_log(settings: Settings, source: str) -> Path:
    """The file a source's crawl child logs to (the service log keeps one line per job),
    created private: request logs name the notices and, on errors, the URLs asked."""
    return private_file(settings.data_dir / "logs" / f"crawl-{source}.log")


def process(settings: Settings, config: AppConfig, now: datetime) -> dict[str, Any]:
    """Classify new notices and record what their buyers declare, then match and queue alerts."""
    with session_scope(settings.db_url) as session:
        changes = classify_pending(session, config.rules_compiled)
    with session_scope(settings.db_url) as session:  # its own unit: a failure here keeps the labels
        declared = declare_pending(session, config.rules.declared)
    with session_scope(settings.db_url) as session:
        queued = enqueue_pending(session, now, branches=config.branches, ted_site_url=settings.ted_site_url)

    with session_scope(settings.db_url) as session:  # keeps the branch report's rows current
        report_rows = refresh_report_procedures(session, config.branches).derived
    with session_scope(settings.db_url) as session:  # the web's word search
        indexed = index_pending(session)
    return {
        "label_changes": len(changes),
        "declarations_written": declared.written,
        **_asdict(queued),
        "report_rows": report_rows,
        "indexed": indexed,
    }


def digests(settings: Settings, now: datetime) -> dict[str, Any]:
    with session_scope(settings.db_url) as session:
        built = build_due_digests(session, now)
    return {"digests_built": built}


def deliver(
    settings: Settings, now: datetime | None = None, config: AppConfig | None = None
) -> dict[str, Any]:
    """Send the outbox; ``config`` (the held one) says when an unsent alert stops mattering."""
    max_age = timedelta(days=config.service.alert_max_age_days) if config else outbox.MAX_AGE
    stats = send_pending(get_sessionmaker(settings.db_url), settings, now=now, max_age=max_age)
    return _asdict(stats)


def monthly_reports(settings: Settings, config: AppConfig, now: datetime) -> dict[str, Any]:
    with session_scope(settings.db_url) as session:
        queued = queue_monthly_reports(session, config, now, ted_site_url=settings.ted_site_url)
    return {"report_emails_queued": queued, **deliver(settings, now, config)}


def run_once(
    settings: Settings,
    config: AppConfig,
    sources: list[str] | None = None,
    *,
    now: datetime,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One full cycle: crawl the enabled (or given) sources, process, build digests, send."""
    figures: dict[str, Any] = {}
    for source in sources if sources is not None else enabled_sources(config):
        figures[f"crawl:{source}"] = crawl(settings, config, source, overrides=(overrides or {}).get(source))
    figures["process"] = process(settings, config, now)
    figures["digests"] = digests(settings, now)
    figures["deliver"] = deliver(settings, now, config)
    return figures


def enabled_sources(config: AppConfig) -> list[str]:
    return [source.key for source, _ in sources.enabled(config.sources)]


def _asdict(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return value
    return {"result": value}
