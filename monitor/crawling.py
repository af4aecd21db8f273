"""From settings and ``config/sources.yaml`` to one crawl in a child process.

The one place that runs a source's spider, with the arguments its entry in the table of
sources (``monitor/sources.py``) builds, used by ``tenderwatch crawl``, ``run --once``, the
service and the demo. ``scrapers`` never imports ``monitor``
(docs/architecture.md#import-rules), so everything the spider needs travels as arguments,
settings (``-s``) and environment variables (secrets).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.config import AppConfig
from monitor.settings import Settings
from monitor.sources import get_source, section
from scrapers.runner import run_crawl


def spider_args(settings: Settings, config: AppConfig | None, key: str) -> dict[str, Any]:
    """Spider arguments for source ``key`` from its config section (defaults where it has none)."""
    source = get_source(key)
    return source.crawl_args(settings, section(config.sources if config else None, key))


def scrapy_settings(settings: Settings, config: AppConfig | None, key: str) -> dict[str, Any]:
    """Scrapy settings for source ``key``: the User-Agent, and what its config section sets."""
    out: dict[str, Any] = {"USER_AGENT": settings.user_agent}
    cfg = section(config.sources if config else None, key)
    if cfg is not None and cfg.download_delay is not None:
        out["DOWNLOAD_DELAY"] = cfg.download_delay
        # AutoThrottle starts at its own delay (a spider's, e.g. HILMA's 12.5 s); a configured
        # delay replaces both, or a shorter one would still wait the spider's first.
        out["AUTOTHROTTLE_START_DELAY"] = cfg.download_delay
    if cfg is not None:
        out["TENDERWATCH_RETRY_FAILED_DOCUMENTS"] = cfg.retry_failed_documents
    return out


def run_source(
    settings: Settings,
    config: AppConfig | None,
    source: str,
    *,
    overrides: dict[str, Any] | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
    stop_event: threading.Event | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    log_path: Path | None = None,
    timeout_minutes: float | None = None,
) -> dict[str, Any]:
    """Crawl ``source`` now in a child process; return the crawl run's figures.

    ``overrides`` replace spider arguments (``from_date``, ``to_date``, URLs in the demo);
    ``scrapy_overrides`` replace Scrapy settings (tests shorten delays).
    ``timeout_minutes`` replaces the source's configured timeout (a long backfill).
    """
    cfg = section(config.sources if config else None, source)
    env = {}
    if settings.hilma_subscription_key is not None:
        env["TENDERWATCH_HILMA_SUBSCRIPTION_KEY"] = settings.hilma_subscription_key.get_secret_value()
    outcome = run_crawl(
        get_source(source).spider,
        db_url=settings.db_url,
        args={**spider_args(settings, config, source), **(overrides or {})},
        settings={**scrapy_settings(settings, config, source), **(scrapy_overrides or {})},
        env=env,
        timeout=(timeout_minutes or (cfg.timeout_minutes if cfg is not None else 30)) * 60.0,
        stop_event=stop_event,
        on_progress=on_progress,
        log_path=log_path,
    )
    return outcome.as_dict()
