"""What every TenderWatch spider shares: argument parsing, store look-ups, error counting.

Spider arguments arrive as strings (``-a key=value``); they are parsed here once, in
``__init__``, so a bad value fails the crawl before any request with a clear
:class:`SpiderArgumentError` (docs/architecture.md#conventions: fail early and by type).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from db.clock import utcnow
from db.session import session_scope
from db.store import Store
from scrapers.items import FailedDocumentItem

log = logging.getLogger(__name__)


class SpiderArgumentError(ValueError):
    """A spider argument has a value the spider cannot use; raised from ``__init__``."""


def parse_date(name: str, value: str | date | None) -> date | None:
    """``YYYY-MM-DD`` (or a date) → date; None stays None.

    >>> parse_date("from_date", "2026-01-31")
    datetime.date(2026, 1, 31)
    """
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SpiderArgumentError(f"{name}={value!r}: expected a date like 2026-01-31") from None


def parse_list(value: str | Iterable[str] | None, default: list[str]) -> list[str]:
    """A comma-separated argument → list of non-empty, stripped items.

    >>> parse_list("FIN, SWE", ["FIN"]), parse_list(None, ["FIN"])
    (['FIN', 'SWE'], ['FIN'])
    """
    if value is None:
        return list(default)
    items = value.split(",") if isinstance(value, str) else list(value)
    return [i.strip() for i in items if i.strip()]


def parse_number(name: str, value: Any, default: float, *, minimum: float = 0) -> float:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"{name}={value!r}: expected a number") from None
    if number < minimum:
        raise SpiderArgumentError(f"{name}={value!r}: must be at least {minimum}")
    return number


def day_of(value: Any, fallback: date) -> date:
    """The day a listing's date field names (``2026-07-13+02:00``, ``2026-07-13T08:00:00Z``), or
    ``fallback`` when it names none: the window's first day is never later than the notice's.

    >>> day_of("2026-07-13+02:00", date(2026, 7, 1)), day_of(None, date(2026, 7, 1))
    (datetime.date(2026, 7, 13), datetime.date(2026, 7, 1))
    """
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return fallback


def normalize_publication_number(value: str) -> str:
    """TED publication numbers with or without leading zeros → the API's form.

    >>> normalize_publication_number("00497150-2026"), normalize_publication_number("00497150_2026")
    ('497150-2026', '497150-2026')
    """
    number, _, year = value.replace("_", "-").partition("-")
    return f"{number.lstrip('0') or '0'}-{year}"


class TenderSpider(scrapy.Spider):
    """Base of the TenderWatch spiders.

    Common spider arguments: ``from_date``/``to_date`` (YYYY-MM-DD; default from the
    watermark), ``overlap_days`` (re-query this many days before the watermark so late
    publications are not missed), ``start_days_back`` (window of a first crawl).

    The CrawlRunRecorder extension moves the watermark to :attr:`watermark` when the crawl
    finishes cleanly; a spider sets it once it knows its whole window was listed. It goes no
    further than the day before the oldest document in :attr:`listed` that is still not stored
    (:meth:`settled_watermark`), so the next crawl's window lists that one again.
    """

    publication_numbers = False
    """Whether ids are TED publication numbers, known whichever source stored the notice."""

    source_name = "?"
    """The store's source name for what this spider fetches."""

    def __init__(
        self,
        *args: Any,
        from_date: str | None = None,
        to_date: str | None = None,
        overlap_days: str | int | None = None,
        start_days_back: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.from_date = parse_date("from_date", from_date)
        self.to_date = parse_date("to_date", to_date)
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise SpiderArgumentError(f"from_date {self.from_date} is after to_date {self.to_date}")
        self.overlap_days = int(parse_number("overlap_days", overlap_days, 2))
        self.start_days_back = int(parse_number("start_days_back", start_days_back, 7, minimum=1))
        self.watermark: datetime | None = None
        self.watermark_source = self.name
        self.previous_watermark: datetime | None = None
        self.listed: dict[str, date | None] = {}
        """Ids this crawl set out to fetch (not stored when listed) → their publication day."""

    # ------------------------------------------------------------------ store access
    @property
    def db_url(self) -> str | None:
        return self.settings.get("TENDERWATCH_DATABASE_URL")

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store, through the pipeline's session when it has one open.

        Sharing matters on SQLite: a transaction takes the write lock when it begins, and the
        pipeline keeps one open for a batch of notices; a second session in this same
        (single-threaded) process would wait for a commit that can never come while it waits.
        Reading through the pipeline's session also sees the notices stored moments ago.
        """
        pipeline = getattr(self.crawler, "tenderwatch_pipeline", None)
        if pipeline is not None and pipeline.session is not None:
            try:
                yield Store(pipeline.session)
            finally:
                pipeline.release()
            return
        assert self.db_url
        with session_scope(self.db_url) as session:
            yield Store(session)

    def read_watermark(self) -> datetime | None:
        if not self.db_url:
            return None
        with self.store() as store:
            return store.get_watermark(self.watermark_source)

    def window_start(self, now: datetime) -> datetime:
        """Where the crawl starts: ``from_date``, else the watermark minus the overlap, else a
        first look back of ``start_days_back`` days. Reads the watermark once per crawl."""
        self.previous_watermark = self.read_watermark()
        if self.from_date:
            return datetime.combine(self.from_date, datetime.min.time(), UTC)
        if self.previous_watermark is not None:
            return self.previous_watermark - timedelta(days=self.overlap_days)
        return now - timedelta(days=self.start_days_back)

    def window_end(self, now: datetime) -> datetime:
        """``to_date`` (its whole day), or now."""
        if self.to_date:
            return datetime.combine(self.to_date, datetime.max.time(), UTC)
        return now

    def advance_watermark(self, value: datetime) -> None:
        """Offer a new watermark; it never moves backwards (a re-crawl of an old window) nor
        past the present (a window ending later today)."""
        value = min(value, utcnow())
        if self.previous_watermark is None or value > self.previous_watermark:
            self.watermark = value

    def known_ids(self, ids: list[str]) -> set[str]:
        """Which of these the store already has, so they are never downloaded again.

        Stored means stored well: a document that failed is not known until a good copy came
        or it was given up (``Store.known_source_ids``). With :attr:`publication_numbers`,
        notices stored from any other source under that TED publication number count too
        (the same notice reached us through HILMA or a package); a failure recorded here for
        one of those is forgotten, as this crawl will not fetch it again.
        """
        if not ids or not self.db_url:
            return set()
        with self.store() as store:
            known = store.known_ids(self.source_name, ids, publication_numbers=self.publication_numbers)
            store.forget_failures(self.source_name, known)
            return known

    def settled_watermark(self, store: Store) -> datetime | None:
        """:attr:`watermark`, held back before the oldest listed document still not stored
        (``Store.held_watermark``); None: leave the watermark where it is."""
        if self.watermark is None:
            return None
        return store.held_watermark(
            self.source_name, self.watermark, self.listed, publication_numbers=self.publication_numbers
        )

    def document_failed(
        self, failure: Failure, source_id: str, *, kind: str = "download"
    ) -> FailedDocumentItem:
        """Count a failed download of one listed document and hand it to the pipeline, which
        records the attempt: the next crawl fetches it again (up to the bound)."""
        self.on_error(failure)
        request = getattr(failure, "request", None)
        if isinstance(failure.value, HttpError):
            error = f"HTTP {failure.value.response.status}"
        else:
            error = f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}"
        return FailedDocumentItem(
            source=self.source_name,
            source_id=source_id,
            url=getattr(request, "url", None),
            error=error,
            kind=kind,
            published=self.listed.get(source_id),
        )

    # ------------------------------------------------------------------ errors
    def api_json(self, response: Response, what: str) -> Any:
        """The JSON body of an API answer; an error status or a non-JSON body is counted, logged
        with the API's own message and ends the crawl as ``api_error`` (retrying cannot help)."""
        assert self.crawler.stats is not None
        if response.status >= 400:
            message = api_error_message(response)
            self.count_error(
                f"api_{response.status}", "%s refused (HTTP %s): %s", what, response.status, message
            )
            self.crawler.stats.set_value("tenderwatch/api_error", message)
            raise CloseSpider("api_error")
        try:
            return json_body(response)
        except ValueError:
            body = response.text if isinstance(response, TextResponse) else response.body
            self.count_error("api_not_json", "%s answered something that is not JSON: %.200r", what, body)
            raise CloseSpider("api_error") from None

    def count_error(self, kind: str, message: str, *args: Any) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"tenderwatch/errors/{kind}")
        self.logger.error(message, *args)

    def on_error(self, failure: Failure) -> None:
        """Errback: count a failed download by kind (``http_404``, ``TimeoutError``...)."""
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            self.count_error(f"http_{response.status}", "HTTP %s for %s", response.status, response.url)
        else:
            request = getattr(failure, "request", None)
            self.count_error(
                failure.type.__name__ if failure.type else "error",
                "download failed for %s: %s",
                getattr(request, "url", "?"),
                failure.getErrorMessage(),
            )


def json_body(response: Response) -> Any:
    """``response.json()``; ValueError also for a response Scrapy did not take for text (a binary
    content type), which has no ``json()`` and would otherwise fail with AttributeError."""
    if not isinstance(response, TextResponse):
        raise ValueError(f"not a text response: {response.headers.get('Content-Type')!r}")
    return response.json()


def api_error_message(response: Response) -> str:
    """The error text of a 4xx/5xx API answer, whatever its shape (JSON or not)."""
    try:
        data = json.loads(response.text)
    except (ValueError, AttributeError):
        return response.text[:300] if hasattr(response, "text") else f"HTTP {response.status}"
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("error", "type", "code", "message", "detail") if data.get(k)]
        if parts:
            return ": ".join(dict.fromkeys(parts))
    return json.dumps(data)[:300]
