"""Extensions: record each crawl as a run in the database, and report progress to a parent.

Outputs only, driven by signals (docs/architecture.md#conventions): spiders fetch, the
pipeline stores, these record what happened. Health checks and ``tenderwatch status`` read
the runs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import date, datetime
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from db.session import session_scope
from db.store import Store
from scrapers.middlewares import BLOCKED

log = logging.getLogger(__name__)

SKIPPED_PREFIX = "skipped"
"""A close reason starting with this (e.g. ``skipped_no_subscription_key``) records status ``skipped``."""


def run_status(reason: str) -> str:
    """Map a Scrapy close reason to a crawl-run status.

    >>> [run_status(r) for r in ("finished", "blocked", "skipped_no_key", "api_error", "shutdown")]
    ['finished', 'blocked', 'skipped', 'failed', 'failed']
    """
    if reason == "finished":
        return "finished"
    if reason == BLOCKED:
        return "blocked"
    if reason.startswith(SKIPPED_PREFIX):
        return "skipped"
    return "failed"


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    """Error counts by kind, from the crawl's stats.

    Our own counters (``tenderwatch/errors/<kind>``), plus Scrapy's download exceptions,
    callback exceptions and requests that ran out of retries.
    """
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("tenderwatch/errors/"):
            errors[key.removeprefix("tenderwatch/errors/")] = int(value)
        elif key.startswith("downloader/exception_type_count/"):
            errors["download:" + key.rsplit(".", 1)[-1]] = int(value)
        elif key.startswith("spider_exceptions/") and key.count("/") == 1:
            errors["spider:" + key.removeprefix("spider_exceptions/")] = int(value)
    if stats.get("retry/max_reached"):
        errors["retries_exhausted"] = int(stats["retry/max_reached"])
    return errors


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, (datetime, date)):
            out[key] = value.isoformat()
        elif isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out


class CrawlRunRecorder:
    """Starts (or adopts) a crawl run on open; on close writes its figures and the watermark.

    The runner usually creates the run before starting the child process (so it can mark a
    killed child's run as failed) and passes its id as ``TENDERWATCH_RUN_ID``; a bare
    ``scrapy crawl`` starts its own. The watermark is moved only when the crawl finished
    cleanly and the spider set ``watermark`` (a datetime) and ``watermark_source``: a failed or
    blocked crawl must query the same window again next time. A ``TenderSpider`` settles it
    first (``settled_watermark``): never past a document it listed and the store lacks.
    """

    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.run_id: int | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("TENDERWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("TENDERWATCH_DATABASE_URL is not set: crawl runs are not recorded")
        ext = cls(crawler, url)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        given = self.crawler.settings.get("TENDERWATCH_RUN_ID")
        if given:
            self.run_id = int(given)
        else:
            with session_scope(self.url) as session:
                self.run_id = Store(session).start_run(spider.name)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("tenderwatch/run_id", self.run_id)
        spider.run_id = self.run_id  # type: ignore[attr-defined]  # ours; Scrapy's Spider has none

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None and self.run_id is not None
        stats = self.crawler.stats.get_stats()
        status = run_status(reason)
        errors = errors_by_kind(stats)
        figures = {
            "requests": int(stats.get("downloader/request_count", 0)),
            "seen": int(stats.get("tenderwatch/seen", 0)),
            "new": int(stats.get("tenderwatch/new", 0)),
            "updated": int(stats.get("tenderwatch/updated", 0)),
        }
        extra = _jsonable(stats)
        extra["seconds"] = round(time.monotonic() - self.started, 2)
        with session_scope(self.url) as session:
            store = Store(session)
            store.finish_run(
                self.run_id, status=status, errors=errors, close_reason=reason, stats=extra, **figures
            )
            if status == "finished":
                # A TenderSpider holds the mark back before a listed document not stored.
                settle = getattr(spider, "settled_watermark", None)
                watermark = settle(store) if callable(settle) else getattr(spider, "watermark", None)
                if watermark is not None:
                    store.set_watermark(getattr(spider, "watermark_source", spider.name), watermark)
        log.info(
            "crawl run %s (%s): %s, reason %s, %s, errors %s",
            self.run_id,
            spider.name,
            status,
            reason,
            figures,
            errors or "none",
        )


class ProgressReporter:
    """Prints ``@@progress {json}`` lines on stdout for a parent process's progress bar.

    Enabled by ``TENDERWATCH_PROGRESS``. The spider may offer ``progress() -> dict`` (e.g. days
    done and total for a backfill); the notices counted so far are added. At most two lines a
    second, plus one at the end.
    """

    PREFIX = "@@progress "

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("TENDERWATCH_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.tick, signal=signals.item_scraped)
        crawler.signals.connect(ext.tick, signal=signals.response_received)
        crawler.signals.connect(ext.final, signal=signals.spider_closed)
        return ext

    def tick(self) -> None:
        if time.monotonic() - self.last >= 0.5:
            self.emit()

    def final(self) -> None:
        self.emit()

    def emit(self) -> None:
        self.last = time.monotonic()
        spider = self.crawler.spider
        stats = self.crawler.stats
        assert stats is not None
        line: dict[str, Any] = {
            "seen": stats.get_value("tenderwatch/seen", 0),
            "new": stats.get_value("tenderwatch/new", 0),
        }
        progress = getattr(spider, "progress", None)
        if callable(progress):
            line.update(progress())
        sys.stdout.write(self.PREFIX + json.dumps(line) + "\n")
        sys.stdout.flush()
