"""The item pipeline: parse each fetched document and hand it to the store.

One pipeline, because parsing and storing are one step for a crawl: a document that does not
parse is still stored (``record_failure`` keeps its bytes and the error), counted by kind, and
the crawl goes on. It counts as an attempt, like a document the spider could not download
(``FailedDocumentItem``): later crawls fetch it again until a good copy arrives or
``TENDERWATCH_RETRY_FAILED_DOCUMENTS`` attempts were made (then it is given up and reported).
Transactions are batched (``TENDERWATCH_COMMIT_EVERY`` notices, or
``TENDERWATCH_COMMIT_SECONDS`` seconds, whichever comes first)
because a transaction per notice would make a 3,000-notice daily package take minutes; a
database error on one notice rolls back and replays its batch so only that one is lost.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import sys
from collections.abc import Callable
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.record import Lot, NoticeRecord, Signals
from db.session import get_sessionmaker
from db.store import FailedDocument, IngestResult, RawDoc, Store
from scrapers.items import DocumentItem, FailedDocumentItem, WatermarkItem
from scrapers.parsers import NoticeParseError, parse_notice, sniff_kind, ted_codes

log = logging.getLogger(__name__)

Item = DocumentItem | FailedDocumentItem | WatermarkItem
"""What spiders yield to this pipeline."""

# IngestResult.status → the crawl-run counter it adds to. "new_source": a notice we had from
# another source (or under another id) gained this one; it counts as updated, not new.
# "failed": a document that failed (again) and will be fetched again; "given_up": the attempt
# that reached the bound.
_COUNTER = {
    "new": "new",
    "new_source": "updated",
    "duplicate": "duplicate",
    "conflict": "conflict",
    "failed": "failed_documents",
    "given_up": "given_up",
}


def merge_signals(record: NoticeRecord, extra: Signals, per_lot: dict[str, Signals]) -> NoticeRecord:
    """Add source-given signals (HILMA's innovation answers) to a parsed record.

    Lot answers go to the lot with that id; the record's signals get the union of everything,
    as the parser does for signals read from the XML. Codes stay sorted and de-duplicated.

    >>> r = NoticeRecord(None, None, None, None, None, None, None, None, None, lots=[Lot("LOT-0001")])
    >>> m = merge_signals(r, {}, {"LOT-0001": {"hilma:innovationConsidered": ["true"]}})
    >>> m.signals, m.lots[0].signals
    ({'hilma:innovationConsidered': ['true']}, {'hilma:innovationConsidered': ['true']})
    """
    if not extra and not per_lot:
        return record
    lots: list[Lot] = []
    for lot in record.lots:
        add = per_lot.get(lot.lot_id)
        lots.append(dataclasses.replace(lot, signals=_union(lot.signals, add)) if add else lot)
    signals = _union(record.signals, extra)
    for add in per_lot.values():
        signals = _union(signals, add)
    return dataclasses.replace(record, signals=signals, lots=lots)


def national_signals(record: NoticeRecord) -> Signals:
    """HILMA's national extension (parsed into ``record.national``) as ``hilma:*`` signals.

    The classifier and the matcher read ``signals``; FI-20 (EU-applicable or national) and
    FI-11 (legislation) belong there beside the innovation answers.

    >>> r = NoticeRecord(None, None, None, None, None, None, None, None, None, national={"FI-20": False})
    >>> national_signals(r)
    {'hilma:FI-20': ['false']}
    """
    out: Signals = {}
    for key, value in (record.national or {}).items():
        if isinstance(value, bool):
            out[f"hilma:{key}"] = [str(value).lower()]
        elif isinstance(value, (str, int)):
            out[f"hilma:{key}"] = [str(value)]
        elif isinstance(value, list):
            out[f"hilma:{key}"] = sorted({str(v) for v in value})
    return out


def mentions_any_country(content: bytes, countries: frozenset[str]) -> bool:
    """Whether the document writes any of these countries where a buyer's country is written.

    A necessary condition for a buyer from there, checked on the bytes before parsing: a TED
    day is ~2 % Finnish, and this skips parsing the other 98 %. The exact filter on the parsed
    buyers still decides. eForms writes ``<cbc:IdentificationCode listName="country">FIN</…>``;
    legacy TED XML writes ISO alpha-2 (``<COUNTRY VALUE="FI"/>``, ``<ISO_COUNTRY VALUE="FI"/>``,
    with ``UK`` and ``EL`` for the United Kingdom and Greece).

    >>> mentions_any_country(b'<cbc:IdentificationCode listName="country">FIN</c', frozenset({"FIN"}))
    True
    >>> mentions_any_country(b"<NoticeLanguageCode>FIN</c><IdentificationCode>DEU<", frozenset({"FIN"}))
    False
    >>> legacy = b'<TED_EXPORT><CODED_DATA_SECTION><ISO_COUNTRY VALUE="FI"/>'
    >>> mentions_any_country(legacy, frozenset({"FIN"})), mentions_any_country(legacy, frozenset({"SWE"}))
    (True, False)
    """
    if sniff_kind(content) == "ted-export":
        return _legacy_country_pattern(countries).search(content) is not None
    pattern = _country_pattern(countries)
    return pattern.search(content) is not None


@functools.cache
def _country_pattern(countries: frozenset[str]) -> re.Pattern[bytes]:
    alternatives = b"|".join(re.escape(c.encode("ascii")) for c in sorted(countries))
    # The element, not just ">FIN<": FIN is also the Finnish *language* code (NoticeLanguageCode).
    return re.compile(rb"IdentificationCode[^>]*>\s*(?:" + alternatives + rb")\s*<")


@functools.cache
def _legacy_country_pattern(countries: frozenset[str]) -> re.Pattern[bytes]:
    codes = sorted(a2 for a2, a3 in ted_codes.COUNTRY_ALPHA3.items() if a3 in countries)
    alternatives = b"|".join(re.escape(c.encode("ascii")) for c in codes) or b"(?!)"
    # COUNTRY VALUE="…": the buyer's address (and ISO_COUNTRY); never the language (LG="FI").
    return re.compile(rb'COUNTRY VALUE="(?:' + alternatives + rb')"')


def _union(base: Signals, add: Signals | None) -> Signals:
    if not add:
        return base
    merged = {k: list(v) for k, v in base.items()}
    for key, codes in add.items():
        merged[key] = sorted(set(merged.get(key, [])) | set(codes))
    return merged


class StorePipeline:
    """Parse with :func:`scrapers.parsers.parse_notice` (eForms or legacy TED XML), then store a
    batch at a time (``Store.ingest_many``: batched inserts; one by one only to isolate a failing
    notice).

    Counters (crawl-run figures): ``tenderwatch/seen``, ``/new``, ``/updated``, ``/duplicate``,
    ``/filtered`` (wrong country), ``/failed_documents`` (failed, to be fetched again),
    ``/given_up``; errors as ``tenderwatch/errors/<kind>`` (``parse_<kind>``
    for documents that are not eForms or not XML, ``store`` for a database error on one
    notice, ``conflict`` for the same notice version with different content).
    """

    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.commit_every = crawler.settings.getint("TENDERWATCH_COMMIT_EVERY", 200)
        self.commit_seconds = crawler.settings.getfloat("TENDERWATCH_COMMIT_SECONDS", 2.0)
        self.retry_bound = crawler.settings.getint("TENDERWATCH_RETRY_FAILED_DOCUMENTS", 5)
        self.timer: Any = None
        self.session: Session | None = None
        self.store: Store | None = None
        self.batch: list[tuple[Callable[[Store], IngestResult | None], IngestResult | None]] = []
        self.pending: list[tuple[NoticeRecord, RawDoc]] = []
        """Parsed notices waiting for the batch's one ``Store.ingest_many``."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("TENDERWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("TENDERWATCH_DATABASE_URL is not set: items are not stored")
        return cls(crawler, url)

    def open_spider(self) -> None:
        self.session = get_sessionmaker(self.url)()
        self.store = Store(self.session)
        # Spiders read the store through this pipeline's session (TenderSpider.store says why).
        self.crawler.tenderwatch_pipeline = self  # type: ignore[attr-defined]  # ours, on Scrapy's Crawler

    def close_spider(self) -> None:
        if self.session is not None:
            self._commit()
            self.session.close()
            self.crawler.tenderwatch_pipeline = None  # type: ignore[attr-defined]  # ours, as above

    def process_item(self, item: Item) -> Item:
        assert self.session is not None and self.store is not None
        stats = self.crawler.stats
        assert stats is not None
        if isinstance(item, WatermarkItem):
            self._watermark(item)
            return item
        if isinstance(item, FailedDocumentItem):
            failure = FailedDocument(
                item.source, item.source_id, item.kind, item.error, item.url, item.published
            )
            bound = 1 if item.permanent else self.retry_bound
            self._write(
                lambda store: _reported(store.record_fetch_failure(failure, give_up_after=bound), item)
            )
            return item
        stats.inc_value("tenderwatch/seen")
        raw = RawDoc(
            source=item.source,
            source_id=item.source_id,
            url=item.url,
            content=item.content,
            fetched_at=item.fetched_at,
            media_type=item.media_type,
        )
        if item.countries is not None and not mentions_any_country(item.content, item.countries):
            stats.inc_value("tenderwatch/filtered")  # no buyer can be from there: not worth parsing
            stats.inc_value("tenderwatch/filtered_unparsed")
            return item
        try:
            record = parse_notice(item.content, source_name=f"{item.source}:{item.source_id}")
        except NoticeParseError as err:
            kind = getattr(err, "kind", None) or type(err).__name__
            stats.inc_value(f"tenderwatch/errors/parse_{kind}")
            log.warning("%s %s did not parse (%s): %s", item.source, item.source_id, kind, err)
            message = str(err)
            bound = self.retry_bound
            self._write(
                lambda store: _reported(store.record_failure(raw, message, give_up_after=bound), item)
            )
            return item
        if item.countries is not None and not set(record.buyer_countries) & item.countries:
            stats.inc_value("tenderwatch/filtered")
            return item
        record = merge_signals(record, {**national_signals(record), **item.extra_signals}, item.lot_signals)
        if not self.batch and not self.pending:
            self._schedule_commit()
        self.pending.append((record, raw))
        if len(self.batch) + len(self.pending) >= self.commit_every:
            self._commit()
        return item

    def _watermark(self, item: WatermarkItem) -> None:
        """Set a mark after the documents before it; with ``held``, only as far as they were stored."""
        assert self.store is not None
        if item.held is None:
            self.store.set_watermark(item.key, item.value)
            self._commit()  # the mark and the documents before it, in one transaction
            return
        self._commit()  # first store what came before, then ask which of the held ones are stored
        assert item.source is not None
        value = self.store.held_watermark(item.source, item.value, item.held)
        if value is not None:
            self.store.set_watermark(item.key, value)
        self._commit()

    # ------------------------------------------------------------------ batching
    def _write(self, action: Callable[[Store], IngestResult | None]) -> None:
        """Run one store call in the open batch; commit every ``commit_every`` calls.

        No SAVEPOINT per notice (it would add two statements to every one); instead the batch
        remembers its calls, and when one fails with a database error the batch is rolled
        back and replayed call by call, each in a SAVEPOINT, so only the failing one is lost.
        """
        assert self.session is not None and self.store is not None
        try:
            result = action(self.store)
        except SQLAlchemyError:
            self._replay(action)
        else:
            if not self.batch:
                self._schedule_commit()
            self.batch.append((action, result))
            self._count(result, +1)
        if len(self.batch) + len(self.pending) >= self.commit_every:
            self._commit()

    def _flush(self) -> None:
        """Store the pending notices in one ``ingest_many``; on a database error, replay the
        whole batch one call at a time so only the failing notice is lost."""
        assert self.store is not None
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        try:
            results = self.store.ingest_many(pending)
        except SQLAlchemyError:
            actions = [functools.partial(_ingest_one, record=r, raw=w) for r, w in pending]
            self._replay(*actions)
            return
        for (record, raw), result in zip(pending, results, strict=True):
            self.batch.append((functools.partial(_ingest_one, record=record, raw=raw), result))
            self._count(result, +1)

    def _replay(self, *failed: Callable[[Store], IngestResult | None]) -> None:
        assert self.session is not None and self.store is not None
        self.session.rollback()
        done, self.batch = self.batch, []
        for action, old in [*done, *((f, None) for f in failed)]:
            self._count(old, -1)
            try:
                with self.session.begin_nested():
                    result = action(self.store)
            except SQLAlchemyError:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("tenderwatch/errors/store")
                log.exception("storing a document failed; it is skipped and the crawl goes on")
                continue
            self.batch.append((action, result))
            self._count(result, +1)

    def _count(self, result: IngestResult | None, step: int) -> None:
        if result is None:
            return
        assert self.crawler.stats is not None
        counter = _COUNTER.get(result.status, result.status)
        key = "tenderwatch/errors/conflict" if counter == "conflict" else f"tenderwatch/{counter}"
        self.crawler.stats.inc_value(key, step)

    def release(self) -> None:
        """End the session's transaction if it holds no uncommitted notices.

        Called after a spider read through this session: on SQLite every transaction holds
        the write lock, and a read between two slow downloads must not keep the service's
        other jobs waiting.
        """
        if not self.batch and not self.pending and self.session is not None:
            self.session.commit()

    def _schedule_commit(self) -> None:
        """Commit a started batch at the latest ``commit_seconds`` later, even if no more notices
        come (HILMA's 12.5-second delay): on SQLite an open batch holds the write lock."""
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is None:
            return  # not inside a crawl (a unit test): importing it here would install one
        if self.timer is None or not self.timer.active():
            self.timer = reactor.callLater(self.commit_seconds, self._commit)

    def _commit(self) -> None:
        assert self.session is not None
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
        self._flush()
        self.session.commit()
        self.batch = []


def _reported(result: IngestResult, item: DocumentItem | FailedDocumentItem) -> IngestResult:
    """Log a document given up (once, by the attempt that reached the bound): an admin may want it."""
    if result.status == "given_up":
        log.warning(
            "%s %s given up after its last failed attempt; no crawl fetches it again (%s)",
            item.source,
            item.source_id,
            "see tenderwatch status",
        )
    return result


def _ingest_one(store: Store, *, record: NoticeRecord, raw: RawDoc) -> IngestResult:
    """One notice through :meth:`Store.ingest`: how a failed batch is replayed."""
    return store.ingest(record, raw)
