"""HILMA (hankintailmoitukset.fi) AVP read API: Finnish notices, national ones included."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Self
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import JsonRequest, Response, TextResponse
from twisted.python.failure import Failure

from db.clock import utcnow
from scrapers.items import DocumentItem, FailedDocumentItem, Signals, WatermarkItem
from scrapers.spiders.base import TenderSpider, day_of, json_body, parse_number

KEY_ENV = "TENDERWATCH_HILMA_SUBSCRIPTION_KEY"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_PORTAL = "https://hns-hilma-prod-apim.developer.azure-api.net"
BATCH_MAX = 50  # the batch read takes at most 50 ids (docs/hilma.md#endpoints, documented)
ID_FIELDS = ("noticeId", "id", "eFormsId")
SELECT_FIELDS = (*ID_FIELDS, "datePublished", "mainType", "cpvCodes", "titleFi")
"""What a search asks for (docs/hilma.md#search-index-fields); names the index rejects are dropped."""
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
      window at a time (``window_hours``, default 24), oldest first, paging with
      ``top``/``skip``; collects the ids the store does not have and reads them in batches of at
      most 50 (``GET /avp-eforms/external-read/v1/notices?id=..``), decoding each base64 eForms
      XML. Batches are read as soon as they are full, before the next search; the rest of a
      window's ids ride with the next window's and are read at its end at the latest. Once a
      window is finished (listed, and every id it found read or recorded as failed) its end is
      written as the ``hilma`` watermark, in the commit of its notices.
      A run cut short (the runner's timeout after a long gap, an API error) keeps the windows
      it finished, and the next run resumes there (docs/hilma.md#catching-up).
      The innovation answers of ``hilmaStatistics`` become ``hilma:innovationConsidered``,
      ``hilma:solutionNewToBuyer`` and ``hilma:solutionNewToMarketOrIndustry`` signals, per lot
      and on the record.
    Spider arguments
      from_date, to_date, overlap_days, start_days_back: as for every spider.
      api_url: base URL (tests: the loopback server). window_hours, page_size (``top``, ≤ 1000).
    Tolerance (the index's field names are known only from third-party clients)
      ``select`` names the id fields clients use (``noticeId``, ``id``, ``eFormsId``); an index
      that lacks one answers 400 naming it, and the spider drops that name and asks again
      (what worked is in the crawl's stats, ``tenderwatch/hilma_select``). The id of a hit is
      the first of those present; other fields (``cpvCodes`` string or list, titles) are not
      needed and may be missing. ``@odata.count`` may be absent: paging then stops at the first
      short page. The batch answer may be a list or an object with ``value``/``notices``/
      ``items``; the XML may be under ``eForm``, ``eform`` or ``eFormXml``. An entry without XML
      (a legacy notice) is counted and recorded as given up.
    Failures
      A batch read that fails (after the retries), an id the answer leaves out, or an XML that
      does not parse is recorded; the watermark stops the day before the oldest such notice,
      so a later crawl lists and reads it again (up to ``TENDERWATCH_RETRY_FAILED_DOCUMENTS``).
    Caveats
      Needs a subscription key in ``TENDERWATCH_HILMA_SUBSCRIPTION_KEY``; without one the crawl
      is skipped with one log line and a ``skipped`` run. The rate limit is undisclosed: 80 % of
      the last published one (6 requests a minute) by default; 429 answers (plain-text body)
      wait as asked.
    """

    name = "hilma"
    source_name = "hilma"
    custom_settings: ClassVar[dict[str, Any]] = {  # type: ignore[misc]  # Scrapy reads it off the class
        # 80 % of HILMA's last published limit, 6 requests a minute (2020 memo): 4.8 a minute,
        # headroom for the 429s of a limit that may have been lowered since
        # (docs/hilma.md#rate-limit).
        "DOWNLOAD_DELAY": 12.5,
        "AUTOTHROTTLE_START_DELAY": 12.5,  # AutoThrottle must not start faster than the delay
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
        self.select = list(SELECT_FIELDS)
        """What ``select`` asks for; a name the index rejected is dropped for the rest of the crawl."""
        self.dropped: list[str] = []
        self.pending: list[str] = []
        self.queued: set[str] = set()
        self.windows: list[tuple[datetime, datetime]] = []
        self.window_of: dict[str, int] = {}
        self.unanswered: list[int] = []
        """Per window: its ids waiting for a batch answer."""
        self.listed_windows = 0
        """Windows listed to their last page (always the first ones: they are listed in order)."""
        self.marked = 0
        """Windows whose end is written as the watermark."""

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
        step = timedelta(hours=self.window_hours)
        cursor = start
        while cursor < end:
            upper = min(cursor + step, end)
            self.windows.append((cursor, upper))
            cursor = upper
        self.unanswered = [0] * len(self.windows)
        if self.windows:
            self.logger.info("HILMA: %s windows from %s to %s", len(self.windows), start, end)
            yield self.search_request(0, 0)

    # ------------------------------------------------------------------ search
    def search_request(self, index: int, skip: int) -> JsonRequest:
        lower, upper = self.windows[index]
        body = {
            "search": "*",
            "filter": f"datePublished ge {_iso(lower)} and datePublished lt {_iso(upper)}",
            "orderby": "datePublished asc",
            "select": ",".join(self.select),
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
            priority=10,  # below batch reads: a full batch is read before the next search
            cb_kwargs={"index": index, "skip": skip},
            meta={"handle_httpstatus_list": [400, 401, 403, 429, 503]},
            dont_filter=True,
        )

    def parse_search(self, response: Response, index: int, skip: int) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        rejected = self.rejected_field(response)
        if rejected is not None:
            yield self.search_request(index, skip)  # the same page, without the field
            return
        data = self.api_json(response, "HILMA search")
        stats.set_value("tenderwatch/hilma_select", ",".join(self.select))
        hits = data.get("value") or [] if isinstance(data, dict) else []
        stats.inc_value("tenderwatch/listed", len(hits))
        lower = self.windows[index][0].date()
        days: dict[str, date] = {}
        for hit in hits:
            doc_id = document_id(hit) if isinstance(hit, dict) else None
            if doc_id is None:
                stats.inc_value("tenderwatch/errors/hilma_hit_without_id")
            elif doc_id not in self.queued:
                days[doc_id] = day_of(hit.get("datePublished"), lower)
        known = self.known_ids(list(days))
        stats.inc_value("tenderwatch/known_skipped", len(known))
        for doc_id, day in days.items():
            if doc_id not in known:
                self.queued.add(doc_id)
                self.pending.append(doc_id)
                self.listed[doc_id] = day
                self.window_of[doc_id] = index
                self.unanswered[index] += 1
        while len(self.pending) >= BATCH_MAX:
            yield self.batch_request(self.pending[:BATCH_MAX])
            del self.pending[:BATCH_MAX]
        total = data.get("@odata.count") if isinstance(data, dict) else None
        more = len(hits) >= self.page_size and (total is None or skip + len(hits) < int(total))
        if more:
            yield self.search_request(index, skip + len(hits))
            return
        self.listed_windows = index + 1
        if self.pending and self.window_of[self.pending[0]] < index:
            # Ids carried over from the window before stay unread no longer: a quiet period
            # (a weekend, a long gap's holidays) must not hold many windows' watermarks back.
            while self.pending:
                yield self.batch_request(self.pending[:BATCH_MAX])
                del self.pending[:BATCH_MAX]
        if index + 1 < len(self.windows):
            yield self.search_request(index + 1, 0)
        yield from self.marks()

    def rejected_field(self, response: Response) -> str | None:
        """A 400 naming a field of our ``select`` the index lacks: drop it, and say so once.

        Azure AI Search answers "Could not find a property named 'eFormsId' on type
        'search.document'" (docs/hilma.md#tolerating-field-names). The id fields are guesses
        from other clients, so any of them may be missing; ``datePublished`` is needed (the
        filter), and so is one id field: without them this is an API error like any other.
        """
        if response.status != 400 or not isinstance(response, TextResponse):
            return None
        named = set(re.findall(r"'([A-Za-z_]\w*)'", response.text))
        droppable = [f for f in self.select if f in named and f != "datePublished"]
        if not droppable:
            return None
        field = droppable[0]
        if field in ID_FIELDS and not [f for f in self.select if f in ID_FIELDS and f != field]:
            return None
        assert self.crawler.stats is not None
        self.select.remove(field)
        self.dropped.append(field)
        self.crawler.stats.set_value("tenderwatch/hilma_select_dropped", ",".join(self.dropped))
        self.logger.warning(
            "HILMA's index has no field %r (HTTP 400): searching without it; select is now %s",
            field,
            ",".join(self.select),
        )
        return field

    def on_search_error(self, failure: Failure) -> None:
        """A search page that could not be read (after retries) leaves its window unlisted:
        the crawl fails; the watermark keeps the windows finished before it."""
        self.on_error(failure)
        raise CloseSpider("api_unreachable")

    def marks(self) -> Iterator[WatermarkItem]:
        """The watermark for the windows now finished: listed, and each of their ids answered.

        One item for the latest of them; the pipeline writes it after the documents before it
        and no further than the oldest listed document still not stored (``held``).
        """
        done = self.marked
        while done < self.listed_windows and self.unanswered[done] == 0:
            done += 1
        if done == self.marked:
            return
        self.marked = done
        upper = self.windows[done - 1][1]
        yield WatermarkItem(self.watermark_source, upper, held=dict(self.listed), source=self.source_name)

    def flush_batches(self) -> None:
        """On idle, read the ids still waiting for a full batch; keeps the spider open for them."""
        if not self.pending:
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
            errback=self.on_batch_error,
            priority=20,  # before the next search: its window is finished sooner
            cb_kwargs={"ids": ids},
        )

    def parse_batch(self, response: Response, ids: list[str]) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        try:
            entries = batch_entries(json_body(response))
        except ValueError:
            self.count_error("api_not_json", "HILMA batch read answered something that is not JSON")
            yield from self.failed(ids, "download", "the batch answer is not JSON")
            return
        fetched_at = utcnow()
        answered: set[str] = set()
        for entry in entries:
            doc_id = str(entry.get("id") or entry.get("noticeId") or "")
            encoded = entry.get("eForm") or entry.get("eform") or entry.get("eFormXml")
            answered.add(doc_id)
            if not doc_id or not encoded:
                stats.inc_value("tenderwatch/hilma_without_eform")
                if doc_id in self.window_of:  # a legacy notice: no eForms XML will ever come
                    yield from self.failed(
                        [doc_id], "no_eforms", "no eForms XML in the answer", permanent=True
                    )
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
                url=self.notice_url(doc_id),
                content=content,
                fetched_at=fetched_at,
                extra_signals=record_signals,
                lot_signals=lot_signals,
            )
        missing = [i for i in ids if i not in answered]
        if missing:
            stats.inc_value("tenderwatch/errors/hilma_missing_in_batch", len(missing))
            yield from self.failed(missing, "missing", "not in the batch read's answer")
        self.answered(ids)
        yield from self.marks()

    def on_batch_error(self, failure: Failure) -> Iterator[Any]:
        """A batch read that failed after the retries: each of its ids is recorded as failed
        (read again by a later crawl) and its windows can still finish."""
        request = getattr(failure, "request", None)
        ids: list[str] = list(request.cb_kwargs.get("ids", [])) if request is not None else []
        for doc_id in ids:
            yield self.document_failed(failure, doc_id)
        self.answered(ids)
        yield from self.marks()

    def failed(
        self, ids: list[str], kind: str, error: str, *, permanent: bool = False
    ) -> Iterator[FailedDocumentItem]:
        for doc_id in ids:
            yield FailedDocumentItem(
                source=self.source_name,
                source_id=doc_id,
                url=self.notice_url(doc_id),
                error=error,
                kind=kind,
                published=self.listed.get(doc_id),
                permanent=permanent,
            )

    def answered(self, ids: list[str]) -> None:
        for doc_id in ids:
            index = self.window_of.pop(doc_id, None)
            if index is not None:
                self.unanswered[index] -= 1

    def notice_url(self, doc_id: str) -> str:
        return f"{self.api_url}/avp-eforms/external-read/v1/notice/{doc_id}"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
