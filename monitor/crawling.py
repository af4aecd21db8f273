"""From settings and ``config/sources.yaml`` to one crawl in a child process.

The one place that turns a source's config into spider arguments and Scrapy settings, used
by ``tenderwatch crawl``, ``run --once``, the service and the demo. ``scrapers`` never
imports ``monitor`` (docs/architecture.md#import-rules), so everything the spider needs travels as arguments,
settings (``-s``) and environment variables (secrets).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.appconfig import AppConfig
from monitor.settings import Settings

SPIDERS = {"ted": "ted", "ted_packages": "ted_packages", "hilma": "hilma"}


def spider_args(settings: Settings, config: AppConfig | None, source: str) -> dict[str, Any]:
    """Spider arguments for ``source`` from the config (defaults where it has no section)."""
    if source not in SPIDERS:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(SPIDERS)}")
    cfg = getattr(config.sources, source, None) if config is not None else None
    args: dict[str, Any] = {}
    if cfg is not None:
        args["overlap_days"] = cfg.overlap_days
        args["start_days_back"] = cfg.start_days_back
    if source in ("ted", "ted_packages"):
        args["site_url"] = settings.ted_site_url
        if cfg is not None:
            args["countries"] = cfg.countries
    if source == "ted":
        args["api_url"] = settings.ted_api_url
        if cfg is not None and cfg.notice_types:
            args["notice_types"] = cfg.notice_types
    if source == "hilma":
        args["api_url"] = settings.hilma_api_url
    return args


def scrapy_settings(settings: Settings, config: AppConfig | None, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {"USER_AGENT": settings.user_agent}
    cfg = getattr(config.sources, source, None) if config is not None else None
    if cfg is not None and cfg.download_delay is not None:
        out["DOWNLOAD_DELAY"] = cfg.download_delay
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
    from scrapers.runner import run_crawl

    cfg = getattr(config.sources, source, None) if config is not None else None
    env = {}
    if settings.hilma_subscription_key is not None:
        env["TENDERWATCH_HILMA_SUBSCRIPTION_KEY"] = settings.hilma_subscription_key.get_secret_value()
    outcome = run_crawl(
        SPIDERS[source],
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
