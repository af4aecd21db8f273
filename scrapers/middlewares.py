"""Downloader middlewares: wait as long as the server asks, and stop when a WAF challenges us.

Both are about being a good guest (docs/architecture.md#politeness): a 429 or 503 pauses
every request to that host until its Retry-After has passed, not just the one that failed; a
WAF challenge is reported as ``blocked`` and ends the crawl, because retrying a challenge in
a loop is exactly what gets a crawler banned for a day.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

log = logging.getLogger(__name__)

# HILMA (Azure API Management) answers 429 with a plain-text body such as
# "Rate limit is exceeded. Try again in 5 seconds." and sometimes no header
# (docs/hilma.md#rate-limit).
_BODY_WAIT = re.compile(rb"(?:try again|retry)\D{0,20}?(\d{1,5})\s*(?:s\b|sec|second)", re.IGNORECASE)

BLOCKED = "blocked"
"""Close reason (and crawl-run status) when a WAF challenged us."""


def retry_after_seconds(response: Response, now: float | None = None) -> float | None:
    """The wait a 429/503 response asks for, in seconds, or None when it names none.

    Reads ``Retry-After`` as delta-seconds or an HTTP date, then falls back to a wait written
    in a plain-text body.

    >>> from scrapy.http import TextResponse
    >>> retry_after_seconds(TextResponse("http://x/", status=429, headers={"Retry-After": "7"}))
    7.0
    >>> retry_after_seconds(TextResponse("http://x/", status=429, body=b"Try again in 3 seconds."))
    3.0
    >>> retry_after_seconds(TextResponse("http://x/", status=503)) is None
    True
    """
    raw = response.headers.get(b"Retry-After")
    if raw:
        text = raw.decode("latin-1").strip()
        if text.isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    match = _BODY_WAIT.search(response.body[:2000])
    if match:
        return float(match.group(1))
    return None


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, plus: honour Retry-After for the whole host, back off when none is given.

    The wait is kept per host (``netloc``) as a "not before" time, and every request to that
    host waits in :meth:`process_request` until it has passed; so a 429 slows the crawl down
    instead of letting the next queued request hit the limit again (a request already past
    this middleware, at most ``CONCURRENT_REQUESTS`` - 1 of them, still goes). A requested wait longer
    than ``RETRY_AFTER_MAX`` gives the request up (logged, counted) rather than hanging.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 900.0)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self._not_before: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(crawler.settings)
        mw.crawler = crawler
        return mw

    async def process_request(self, request: Request) -> None:
        wait = self._not_before.get(urlparse_cached(request).netloc, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        # ``spider``: only to keep RetryMiddleware's signature; Scrapy passes it to no method
        # that does not require it (it is deprecated), so it is always None here.
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        assert stats is not None
        asked = retry_after_seconds(response)
        attempt = request.meta.get("retry_times", 0)
        wait = asked if asked is not None else self.backoff_base * (2**attempt)
        if wait > self.max_wait:
            stats.inc_value(f"tenderwatch/errors/retry_after_too_long_{response.status}")
            log.error(
                "%s asked us to wait %.0f s (more than RETRY_AFTER_MAX=%.0f s): giving up %s",
                response.status,
                wait,
                self.max_wait,
                request.url,
            )
            return response
        host = urlparse_cached(request).netloc
        self._not_before[host] = max(self._not_before.get(host, 0.0), time.monotonic() + wait)
        stats.inc_value(f"tenderwatch/retry_wait/{response.status}")
        # Seconds, fractional: inc_value is typed for int counts, so add up by hand.
        waited = stats.get_value("tenderwatch/retry_wait_seconds", 0)
        stats.set_value("tenderwatch/retry_wait_seconds", waited + wait)
        log.warning(
            "HTTP %s from %s: waiting %.1f s before retrying (%s)",
            response.status,
            host,
            wait,
            "Retry-After" if asked is not None else "backoff",
        )
        retried = self._retry(request, response_status_message(response.status))
        if retried is None:
            stats.inc_value(f"tenderwatch/errors/http_{response.status}")
            return response
        return retried


class WafChallengeMiddleware:
    """An AWS WAF challenge (HTTP 202 with ``x-amzn-waf-action``) closes the crawl as ``blocked``.

    TED's WAF began challenging some User-Agents on ``/packages`` and the notice XML in 2026
    (docs/ted.md#waf-challenge). The challenge wants a browser to solve JavaScript; we never
    pose as one, so the only honest reaction is to stop, record the run as blocked and let an
    admin look.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        action = response.headers.get(b"x-amzn-waf-action")
        if response.status != 202 or not action:
            return response
        stats = self.crawler.stats
        assert stats is not None and self.crawler.engine is not None
        stats.inc_value("tenderwatch/errors/waf_challenge")
        stats.set_value("tenderwatch/blocked_url", request.url)
        log.error(
            "blocked: %s answered 202 with x-amzn-waf-action=%s; ending the crawl (not retrying)",
            request.url,
            action.decode("latin-1"),
        )
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=BLOCKED))
        raise IgnoreRequest(f"WAF challenge at {request.url}")
