"""TED Search API v3: list notices by publication date and buyer country, fetch only new XML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import JsonRequest, Response
from twisted.python.failure import Failure

from db.clock import utcnow
from scrapers.items import DocumentItem, FailedDocumentItem
from scrapers.spiders.base import SpiderArgumentError, TenderSpider, day_of, parse_list, parse_number

# Only what deciding needs: the number names the XML URL and the store key; the rest shows in
# logs and lets a reader check the filter worked. One unknown field fails the whole request.
FIELDS = ["publication-number", "publication-date", "notice-type", "buyer-country"]
MAX_LIMIT = 250  # the API's maximum page size (docs/ted.md#limits)


def build_query(start: date, end: date, countries: list[str], notice_types: list[str]) -> str:
    """The expert query for a publication-date window, newest first.

    >>> build_query(date(2026, 1, 1), date(2026, 1, 31), ["FIN"], []).split(" AND ")[1:]
    ['publication-date<=20260131', 'buyer-country=FIN SORT BY publication-date DESC']
    >>> build_query(date(2026, 1, 1), date(2026, 1, 1), ["FIN", "SWE"], ["cn-standard"]).split(" AND ")[2:]
    ['buyer-country IN (FIN SWE)', 'notice-type=cn-standard SORT BY publication-date DESC']
    """
    parts = [f"publication-date>={start:%Y%m%d}", f"publication-date<={end:%Y%m%d}"]
    for field, values in (
        ("buyer-country", [c for c in countries if c != "ALL"]),
        ("notice-type", notice_types),
    ):
        if len(values) == 1:
            parts.append(f"{field}={values[0]}")
        elif values:
            parts.append(f"{field} IN ({' '.join(values)})")
    # ASC is rejected by the API; DESC works with ITERATION (docs/ted.md#expert-query).
    return " AND ".join(parts) + " SORT BY publication-date DESC"


class TedSpider(TenderSpider):
    """
    Domain
      TED, the EU's Tenders Electronic Daily (OJ S), through the Search API v3.
    API documentation
      https://docs.ted.europa.eu/api/latest/index.html (search: /v3/notices/search, anonymous);
      what the spider relies on, and how sure it is: docs/ted.md#search-api
    How it works
      POSTs one expert query for the publication-date window (``buyer-country`` and
      ``notice-type`` filters from the arguments) in ITERATION mode, 250 notices a page,
      asking only the fields needed to decide. Every publication number the store does not
      have (under any source) is fetched once as XML from ``{site_url}/en/notice/{number}/xml``.
    Spider arguments
      from_date, to_date
        YYYY-MM-DD publication window. Default: the ``ted`` watermark minus ``overlap_days``
        (or ``start_days_back`` on a first crawl) up to today.
      countries
        Comma-separated ISO alpha-3 buyer countries, or ``ALL``. Default ``FIN``.
      notice_types
        Comma-separated BT-02 notice types (``cn-standard,pin-only``); default all.
      api_url, site_url
        Base URLs (defaults: the real TED; tests point them at the loopback server).
      timed_out_retries
        How often a page answered with ``timedOut: true`` is asked again (default 3).
    Caveats
      A page with ``timedOut: true`` is incomplete and retried; a 400 (e.g. an unknown field)
      ends the crawl as ``api_error`` with the API's message; the watermark moves only after the
      last page of a cleanly finished crawl, to the window's last day, and no further than the
      day before a listed notice whose XML failed (refused, a 5xx after the retries, or bytes
      that do not parse): the next crawl lists it again and fetches it, up to the bound
      ``TENDERWATCH_RETRY_FAILED_DOCUMENTS`` (docs/ted.md#notice-xml).
    """

    name = "ted"
    source_name = "ted"
    publication_numbers = True

    def __init__(
        self,
        *args: Any,
        countries: str | None = None,
        notice_types: str | None = None,
        api_url: str = "https://api.ted.europa.eu",
        site_url: str = "https://ted.europa.eu",
        timed_out_retries: str | int | None = None,
        fields: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.countries = [c.upper() for c in parse_list(countries, ["FIN"])]
        for c in self.countries:
            if c != "ALL" and (len(c) != 3 or not c.isalpha()):
                raise SpiderArgumentError(f"countries: {c!r} is not an ISO alpha-3 code such as FIN")
        self.notice_types = parse_list(notice_types, [])
        self.api_url = api_url.rstrip("/")
        self.site_url = site_url.rstrip("/")
        self.timed_out_retries = int(parse_number("timed_out_retries", timed_out_retries, 3))
        self.fields = parse_list(fields, FIELDS)
        self.window: tuple[date, date] | None = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        now = utcnow()
        start, end = self.window_start(now).date(), self.window_end(now).date()
        self.window = (start, end)
        query = build_query(start, end, self.countries, self.notice_types)
        self.logger.info("TED search %s .. %s: %s", start, end, query)
        yield self.search_request(
            {
                "query": query,
                "fields": self.fields,
                "limit": MAX_LIMIT,
                "scope": "ALL",
                "checkQuerySyntax": False,
                "paginationMode": "ITERATION",
            }
        )

    def search_request(self, body: dict[str, Any]) -> JsonRequest:
        return JsonRequest(
            f"{self.api_url}/v3/notices/search",
            data=body,
            callback=self.parse_search,
            errback=self.on_search_error,
            # Pages first: an iteration token may not live forever, XML downloads can wait.
            priority=10,
            meta={"handle_httpstatus_list": [400, 401, 403, 404, 429, 500, 503], "body": body},
            dont_filter=True,
        )

    def on_search_error(self, failure: Failure) -> None:
        """A listing page that cannot be fetched (after retries) fails the crawl: without the
        list nothing is known, and the watermark must stay where it is."""
        self.on_error(failure)
        raise CloseSpider("api_unreachable")

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        data = self.api_json(response, "TED search")
        if data.get("timedOut"):
            stats.inc_value("tenderwatch/timed_out_pages")
            assert response.request is not None  # a callback's response has its request
            retry = get_retry_request(
                response.request, spider=self, reason="timedOut page", max_retry_times=self.timed_out_retries
            )
            if retry is None:
                self.count_error(
                    "api_timed_out", "TED search page still timedOut after %s tries", self.timed_out_retries
                )
                raise CloseSpider("api_timed_out")
            yield retry
            return
        notices = data.get("notices") or []
        stats.inc_value("tenderwatch/listed", len(notices))
        if stats.get_value("tenderwatch/total_listed") is None:
            stats.set_value("tenderwatch/total_listed", data.get("totalNoticeCount"))
        assert self.window is not None
        days = {
            str(n["publication-number"]): day_of(n.get("publication-date"), self.window[0])
            for n in notices
            if n.get("publication-number")
        }
        numbers = list(days)
        known = self.known_ids(numbers)
        stats.inc_value("tenderwatch/known_skipped", len(known))
        for number in numbers:
            if number not in known:
                self.listed[number] = days[number]
                yield scrapy.Request(
                    f"{self.site_url}/en/notice/{number}/xml",
                    callback=self.parse_notice_xml,
                    errback=self.on_xml_error,
                    cb_kwargs={"number": number},
                )
        token = data.get("iterationNextToken")
        if token and notices:
            body = {**response.meta["body"], "iterationNextToken": token}
            yield self.search_request(body)
        else:
            self.advance_watermark(datetime.combine(self.window[1], datetime.min.time(), UTC))

    def on_xml_error(self, failure: Failure) -> Iterator[FailedDocumentItem]:
        """A notice's XML that could not be fetched: counted, and recorded so the next crawl
        fetches it again; the watermark waits for it (:meth:`TenderSpider.settled_watermark`)."""
        request = getattr(failure, "request", None)
        number = request.cb_kwargs.get("number") if request is not None else None
        if number is None:
            self.on_error(failure)
            return
        yield self.document_failed(failure, number)

    def parse_notice_xml(self, response: Response, number: str) -> Iterator[DocumentItem]:
        media_type = (response.headers.get(b"Content-Type") or b"application/xml").decode("latin-1")
        yield DocumentItem(
            source=self.source_name,
            source_id=number,
            url=response.url,
            content=response.body,
            fetched_at=utcnow(),
            media_type=media_type.split(";")[0].strip(),
        )
