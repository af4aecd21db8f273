"""Scrapy settings for every TenderWatch spider.

Every value that differs from Scrapy's default says why. Per-source politeness (HILMA's
12.5-second delay) lives on the spider as ``custom_settings``; the runner adds the database
URL, the run id and the User-Agent built from ``monitor.settings`` (``scrapers`` must not
import ``monitor``, docs/architecture.md#import-rules), and tests override delays with
``-s`` settings.
"""

from __future__ import annotations

import os

BOT_NAME = "tenderwatch"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Honest crawler form with a contact URL; TED's WAF challenges other forms
# (docs/ted.md#waf-challenge).
# The runner replaces it with monitor.settings.Settings.user_agent (version + contact URL).
USER_AGENT = "Mozilla/5.0 (compatible; tenderwatch/0.1; +https://github.com/tenderwatch/tenderwatch)"

ROBOTSTXT_OBEY = True  # ted.europa.eu disallows its search pages; we must never crawl them

# Politeness. TED fair use allows ~700 requests a minute and blocks above 666/min or 500 GETs
# in 6 minutes (docs/ted.md#fair-use-and-blocking): one request at a time, about one a second,
# is ~10 % of the per-minute cap and at most 360 GETs in 6 minutes, 72 % of that threshold,
# under the 80 % we allow ourselves of any limit (HILMA's spider keeps 80 % of its own).
CONCURRENT_REQUESTS = 2  # one per source host; the rest would only queue behind the delay
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # TED packages allow 3 concurrent downloads; APIs are stricter
DOWNLOAD_DELAY = 1.0  # TED fair use: ≤ 60/min per host, ≤ 360 GETs per 6 min (72 % of 500)
DOWNLOAD_DELAY_JITTER = 0  # a fixed delay keeps "at most 1 request/s" literally true
AUTOTHROTTLE_ENABLED = True  # slow down further when the server answers slowly
AUTOTHROTTLE_START_DELAY = 1.0  # start at the polite delay, not Scrapy's 5 s
AUTOTHROTTLE_MAX_DELAY = 60.0  # matches the 1-minute windows TED's limits are counted in
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # never more than one request in flight per host

# Resilience. 429 and 503 are retried after the server's Retry-After (RetryAfterMiddleware).
RETRY_TIMES = 5  # Scrapy's 2 is too few for a rate-limited API that asks us to wait and retry
RETRY_AFTER_MAX = 900.0  # a longer requested wait gives up the request instead of hanging the crawl
RETRY_BACKOFF_BASE = 2.0  # seconds for the first retry without Retry-After; doubles per attempt
DOWNLOAD_TIMEOUT = 120  # TED's search can take tens of seconds; 180 s default hides dead servers
DOWNLOAD_WARNSIZE = 64 * 1024 * 1024  # daily packages are ~19 MB; warn only on something odd
DOWNLOAD_MAXSIZE = 512 * 1024 * 1024  # a monthly package is large, but never 1 GB (the default)

COOKIES_ENABLED = False  # no source needs a session; cookies would only make runs differ
TELNETCONSOLE_ENABLED = False  # a crawl child process needs no open port
REMOTE_CONTROL_ENABLED = False  # nor a remote-control HTTP port (Scrapy 2.19 opens one by default)
LOG_LEVEL = "INFO"  # DEBUG logs every request: too much for a service log

DOWNLOADER_MIDDLEWARES = {
    # Replaces Scrapy's RetryMiddleware (same slot) with one that honours Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.RetryAfterMiddleware": 550,
    # Sees responses before retrying (higher runs first on the way back): a WAF challenge is
    # "blocked", never retried.
    "scrapers.middlewares.WafChallengeMiddleware": 560,
}

ITEM_PIPELINES = {
    "scrapers.pipelines.StorePipeline": 300,
}

EXTENSIONS = {
    "scrapers.extensions.CrawlRunRecorder": 500,
    "scrapers.extensions.ProgressReporter": 510,
}

# --- TenderWatch settings (read by the pipeline and the extensions) -------------------------
# Used by StorePipeline and CrawlRunRecorder; from the environment so no password is on a command line.
TENDERWATCH_DATABASE_URL = os.environ.get("TENDERWATCH_DATABASE_URL")
TENDERWATCH_RUN_ID = None  # Used by CrawlRunRecorder: the run the runner created; None = start one
TENDERWATCH_COMMIT_EVERY = 200  # Used by StorePipeline: one transaction per 200 notices, not per notice
# Used by StorePipeline: ...or after 2 s, so a slow crawl never holds SQLite's write lock for long.
TENDERWATCH_COMMIT_SECONDS = 2.0
TENDERWATCH_PROGRESS = False  # Used by ProgressReporter: print JSON progress lines for the parent
# Used by StorePipeline: a document that failed (download or parse) is fetched again by later
# crawls, this many attempts in all, then given up and reported; the runner sets it from the
# source's ``retry_failed_documents``. Five crawls span an hour or more on every schedule.
TENDERWATCH_RETRY_FAILED_DOCUMENTS = 5
