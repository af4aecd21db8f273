"""HILMA (hankintailmoitukset.fi) AVP read API: Finnish notices, national ones included."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import JsonRequest, Response
from twisted.python.failure import Failure

from db.clock import utcnow
from scrapers.items import DocumentItem, Signals
from scrapers.spiders.base import TenderSpider, json_body, parse_number

KEY_ENV = "TENDERWATCH_HILMA_SUBSCRIPTION_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_PORTAL = "https://hns-hilma-prod-apim.developer.azure-api.net"
BATCH_MAX = 50  # the batch read takes at most 50 ids (docs/hilma.md#endpoints, documented)
SELECT = "noticeId,id,eFormsId,datePublished,mainType,cpvCodes,titleFi"
ID_FIELDS = ("noticeId", "id", "eFormsId")
INNOVATION_ANSWERS = ("innovationConsidered", "solutionNewToBuyer", "solutionNewToMarketOrIndustry")
SKIPPED_NO_KEY = "skipped_no_subscription_key"


def document_id(doc: dict[str, Any]) -> str | None:
    """A search hit's notice id, whichever name the index uses.

    HILMA's index field names are known only from third-party clients
    (docs/hilma.md#search-index-fields says which are guessed), so the first present of
    ``noticeId``, ``id`` and ``eFormsId`` wins.

    >>> document_id({"noticeId": 123}), document_id({"id": "9"}), document_id({"titleFi": "x"})
    ('123', '9', None)
    """
    for key in ID_FIELDS:
        value = doc.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def answers_to_signals(statistics: Any) -> tuple[Signals, dict[str, Signals]]:
    """``hilmaStatistics`` (keyed by lot id) → record-level and per-lot ``hilma:*`` signals.

    Only the three innovation answers are kept; ``true``/``false`` become the codes
    ``"true"``/``"false"`` and an unanswered (null) question adds nothing.

    >>> answers_to_signals({"LOT-0001": {"innovationConsidered": True, "solutionNewToBuyer": None}})
    ({'hilma:innovationConsidered': ['true']}, {'LOT-0001': {'hilma:innovationConsidered': ['true']}})
    """
    record: Signals = {}
    lots: dict[str, Signals] = {}
    if not isinstance(statistics, dict):
        return record, lots
    for lot_id, answers in statistics.items():
        if not isinstance(answers, dict):
            continue
        for question in INNOVATION_ANSWERS:
            value = answers.get(question)
            if value is None:
                continue
            code = str(value).lower() if isinstance(value, bool) else str(value)
            key = f"hilma:{question}"
            lots.setdefault(str(lot_id), {})[key] = [code]
            record[key] = sorted(set(record.get(key, [])) | {code})
    return record, lots


def batch_entries(data: Any) -> list[dict[str, Any]]:
    """The notices of a batch-read answer: a JSON list, or a wrapper object holding one."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)]
    if isinstance(data, dict):
        for key in ("value", "notices", "items", "results"):
            if isinstance(data.get(key), list):
                return [d for d in data[key] if isinstance(d, dict)]
        if "eForm" in data:
            return [data]
    return []


class HilmaSpider(TenderSpider):
    """
    Domain
      HILMA, Finland's public procurement notice service (hankintailmoitukset.fi), AVP read API.
    API documentation
      https://github.com/Hankintailmoitukset/hilma-api/blob/HEAD/endpoints/avpendpoints.md;
      what the spider relies on, and how sure it is: docs/hilma.md
    How it works
      Searches the eForms index (``POST /avp/eformnotices/docs/search``) one ``datePublished``
      window at a time (``window_hours``, default 24), paging with ``top``/``skip``; collects the
      ids the store does not have and reads them in batches of at most 50
      (``GET /avp-eforms/external-read/v1/notices?id=..``), decoding each base64 eForms XML.
      The innovation answers of ``hilmaStatistics`` become ``hilma:innovationConsidered``,
      ``hilma:solutionNewToBuyer`` and ``hilma:solutionNewToMarketOrIndustry`` signals, per lot
      and on the record.
    Spider arguments
      from_date, to_date, overlap_days, start_days_back: as for every spider.
      api_url: base URL (tests: the loopback server). window_hours, page_size (``top``, ≤ 1000).
    Tolerance (the index's field names are known only from third-party clients)
      The id of a hit is the first of ``noticeId``, ``id``, ``eFormsId``; other fields
      (``cpvCodes`` string or list, titles) are not needed and may be missing. ``@odata.count``
      may be absent: paging then stops at the first short page. The batch answer may be a list
      or an object with ``value``/``notices``/``items``; the XML may be under ``eForm``,
      ``eform`` or ``eFormXml``. An entry without XML (a legacy notice) is counted and skipped.
    Caveats
      Needs a subscription key in ``TENDERWATCH_HILMA_SUBSCRIPTION_KEY``; without one the crawl
      is skipped with one log line and a ``skipped`` run. The rate limit is undisclosed: 6
      requests a minute by default; 429 answers (plain-text body) wait as asked.
    """

    name = "hilma"
    source_name = "hilma"
    custom_settings: ClassVar[dict[str, Any]] = {  # type: ignore[misc]  # Scrapy reads it off the class
        "DOWNLOAD_DELAY": 10.0,  # HILMA's last published limit: 6 requests a minute (2020 memo)
        "AUTOTHROTTLE_START_DELAY": 10.0,  # AutoThrottle must not start faster than the delay
    }

    def __init__(
        self,
        *args: Any,
        api_url: str = "https://api.hankintailmoitukset.fi",
        window_hours: str | int | None = None,
        page_size: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_url.rstrip("/")
        self.window_hours = parse_number("window_hours", window_hours, 24, minimum=1)
        self.page_size = int(parse_number("page_size", page_size, 100, minimum=1))
        self.page_size = min(self.page_size, 1000)  # Azure AI Search's maximum ``top``
        self.key = os.environ.get(KEY_ENV, "").strip()
        self.pending: list[str] = []
        self.queued: set[str] = set()
        self.window_end_value: datetime | None = None
        self.incomplete = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.flush_batches, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.key:
            self.logger.warning(
                "HILMA skipped: no subscription key (set %s; keys: %s, product avp-read)", KEY_ENV, KEY_PORTAL
            )
            raise CloseSpider(SKIPPED_NO_KEY)
        now = utcnow()
        start, end = self.window_start(now), self.window_end(now)
        self.window_end_value = end
        step = timedelta(hours=self.window_hours)
        cursor = start
        while cursor < end:
            upper = min(cursor + step, end)
            yield self.search_request(cursor, upper, 0)
            cursor = upper

    # ------------------------------------------------------------------ search
    def search_request(self, lower: datetime, upper: datetime, skip: int) -> JsonRequest:
        body = {
            "search": "*",
            "filter": f"datePublished ge {_iso(lower)} and datePublished lt {_iso(upper)}",
            "orderby": "datePublished asc",
            "select": SELECT,
            "top": self.page_size,
            "skip": skip,
            "count": True,
        }
        return JsonRequest(
            f"{self.api_url}/avp/eformnotices/docs/search",
            data=body,
            headers={KEY_HEADER: self.key},
            callback=self.parse_search,
            errback=self.on_search_error,
            priority=10,  # list everything first, then read in full batches
            cb_kwargs={"lower": lower, "upper": upper, "skip": skip},
            meta={"handle_httpstatus_list": [400, 401, 403, 429, 503]},
            dont_filter=True,
        )

    def parse_search(self, response: Response, lower: datetime, upper: datetime, skip: int) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        data = self.api_json(response, "HILMA search")
        hits = data.get("value") or [] if isinstance(data, dict) else []
        stats.inc_value("tenderwatch/listed", len(hits))
        ids = []
        for hit in hits:
            doc_id = document_id(hit) if isinstance(hit, dict) else None
            if doc_id is None:
                stats.inc_value("tenderwatch/errors/hilma_hit_without_id")
            elif doc_id not in self.queued:
                ids.append(doc_id)
        known = self.known_ids(ids)
        stats.inc_value("tenderwatch/known_skipped", len(known))
        for doc_id in ids:
            if doc_id not in known:
                self.queued.add(doc_id)
                self.pending.append(doc_id)
        while len(self.pending) >= BATCH_MAX:
            yield self.batch_request(self.pending[:BATCH_MAX])
            del self.pending[:BATCH_MAX]
        total = data.get("@odata.count") if isinstance(data, dict) else None
        more = len(hits) >= self.page_size and (total is None or skip + len(hits) < int(total))
        if more:
            yield self.search_request(lower, upper, skip + len(hits))

    def on_search_error(self, failure: Failure) -> None:
        """A search page that could not be read (after retries) leaves its window unlisted:
        the crawl fails and the watermark stays."""
        self.incomplete = True
        self.on_error(failure)
        raise CloseSpider("api_unreachable")

    def flush_batches(self) -> None:
        """On idle, read the ids still waiting for a full batch; keeps the spider open for them."""
        if not self.pending:
            if self.window_end_value is not None and not self.incomplete:
                self.advance_watermark(self.window_end_value)
            return
        assert self.crawler.engine is not None
        while self.pending:
            self.crawler.engine.crawl(self.batch_request(self.pending[:BATCH_MAX]))
            del self.pending[:BATCH_MAX]
        raise DontCloseSpider

    # ------------------------------------------------------------------ batch read
    def batch_request(self, ids: list[str]) -> scrapy.Request:
        query = urlencode([("id", i) for i in ids])
        return scrapy.Request(
            f"{self.api_url}/avp-eforms/external-read/v1/notices?{query}",
            headers={KEY_HEADER: self.key, "Accept": "application/json"},
            callback=self.parse_batch,
            errback=self.on_error,
            cb_kwargs={"ids": ids},
        )

    def parse_batch(self, response: Response, ids: list[str]) -> Iterator[DocumentItem]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        try:
            entries = batch_entries(json_body(response))
        except ValueError:
            self.count_error("api_not_json", "HILMA batch read answered something that is not JSON")
            return
        fetched_at = utcnow()
        for entry in entries:
            doc_id = str(entry.get("id") or entry.get("noticeId") or "")
            encoded = entry.get("eForm") or entry.get("eform") or entry.get("eFormXml")
            if not doc_id or not encoded:
                stats.inc_value("tenderwatch/hilma_without_eform")
                continue
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                # Not base64: keep what came so the failure is recorded with the bytes.
                content = encoded.encode("utf-8") if isinstance(encoded, str) else bytes(encoded)
            record_signals, lot_signals = answers_to_signals(entry.get("hilmaStatistics"))
            yield DocumentItem(
                source=self.source_name,
                source_id=doc_id,
                url=f"{self.api_url}/avp-eforms/external-read/v1/notice/{doc_id}",
                content=content,
                fetched_at=fetched_at,
                extra_signals=record_signals,
                lot_signals=lot_signals,
            )
        missing = set(ids) - {str(e.get("id") or e.get("noticeId") or "") for e in entries}
        if missing:
            stats.inc_value("tenderwatch/errors/hilma_missing_in_batch", len(missing))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
