"""The pure parts of the crawl machinery, and the pipeline against a real SQLite store."""

from __future__ import annotations

import doctest
import importlib
import io
import json
import tarfile
import urllib.error
import urllib.request
from datetime import date

import pytest
from scrapy.http import Response, TextResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from db.clock import utcnow
from db.models.notices import Notice, RawDocument
from db.session import session_scope
from db.store import Store
from monitor.demo.loopback import LoopbackSources, issue_day, issue_number, make_corpus
from scrapers.extensions import errors_by_kind, run_status
from scrapers.items import DocumentItem
from scrapers.middlewares import retry_after_seconds
from scrapers.parsers import parse_notice
from scrapers.pipelines import StorePipeline
from scrapers.spiders.base import SpiderArgumentError, json_body
from scrapers.spiders.hilma import answers_to_signals, batch_entries, document_id
from scrapers.spiders.ted import TedSpider
from scrapers.spiders.ted_packages import TedPackagesSpider, estimate_issue

MODULES = [
    "scrapers.middlewares",
    "scrapers.extensions",
    "scrapers.pipelines",
    "scrapers.spiders.base",
    "scrapers.spiders.ted",
    "scrapers.spiders.hilma",
    "scrapers.spiders.ted_packages",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    failed, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failed == 0


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "120"}, b"", 120.0),  # TED/FTS: delta-seconds
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"", 0.0),  # an HTTP date in the past
        ({}, b"Rate limit is exceeded. Try again in 7 seconds.", 7.0),  # HILMA/APIM plain text
        ({}, b"12 request limit in 2 minute", None),  # FTS body without a wait: back off instead
    ],
)
def test_retry_after_forms(headers: dict, body: bytes, expected: float | None) -> None:
    response = TextResponse("http://x/", status=429, headers=headers, body=body)
    assert retry_after_seconds(response, now=1e10 if headers else None) == expected


def test_run_status_and_errors_by_kind() -> None:
    stats = {
        "tenderwatch/errors/http_404": 2,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
        "spider_exceptions/KeyError": 1,
        "retry/max_reached": 3,
        "log_count/ERROR": 9,
    }
    assert errors_by_kind(stats) == {
        "http_404": 2,
        "download:TimeoutError": 1,
        "spider:KeyError": 1,
        "retries_exhausted": 3,
    }
    assert run_status("closespider_timeout") == "failed"


def test_issue_estimate_walks_towards_the_package_day() -> None:
    spider = TedPackagesSpider(from_date="2026-03-03", to_date="2026-03-04")
    spider.first, spider.last = date(2026, 3, 3), date(2026, 3, 4)
    n = estimate_issue(date(2026, 3, 3))
    assert spider.next_steps(n, date(2026, 3, 2), "start") == [(n + 1, "forward")]  # guessed too early
    assert spider.next_steps(n, date(2026, 3, 5), "start") == [(n - 1, "backward")]  # too late
    assert spider.next_steps(n, date(2026, 3, 4), "start") == [(n + 1, "forward"), (n - 1, "backward")]
    assert spider.next_steps(n, date(2026, 3, 5), "forward") == []  # past the window: stop
    assert spider.next_steps(n, date(2026, 3, 2), "backward") == []  # before it: stop
    assert issue_day(2026, issue_number(date(2026, 3, 3))) == date(2026, 3, 3)


def test_bad_spider_arguments_fail_before_any_request() -> None:
    with pytest.raises(SpiderArgumentError, match="from_date"):
        TedSpider(from_date="31.1.2026")
    with pytest.raises(SpiderArgumentError, match="alpha-3"):
        TedSpider(countries="FI")
    with pytest.raises(SpiderArgumentError, match="after to_date"):
        TedSpider(from_date="2026-02-01", to_date="2026-01-01")


def test_json_body_refuses_a_response_that_is_not_text() -> None:
    """A body Scrapy did not take for text is "not JSON" (ValueError), not an AttributeError."""
    text = TextResponse("http://x/", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert json_body(text) == {"a": 1}
    binary = Response("http://x/", body=b"\x00\x01", headers={"Content-Type": "application/octet-stream"})
    with pytest.raises(ValueError, match="not a text response"):
        json_body(binary)
    with pytest.raises(ValueError):
        json_body(TextResponse("http://x/", body=b"<html>", headers={"Content-Type": "text/html"}))


def test_hilma_tolerates_field_names() -> None:
    assert [document_id(d) for d in ({"eFormsId": "u-1"}, {"id": 0}, {"noticeId": ""})] == ["u-1", "0", None]
    assert batch_entries({"value": [{"id": 1}]}) == batch_entries([{"id": 1}]) == [{"id": 1}]
    assert batch_entries({"id": 1, "eForm": "x"}) == [{"id": 1, "eForm": "x"}]
    record, lots = answers_to_signals(
        {"LOT-1": {"innovationConsidered": False}, "LOT-2": {"innovationConsidered": True}}
    )
    assert record == {"hilma:innovationConsidered": ["false", "true"]}
    assert lots["LOT-2"] == {"hilma:innovationConsidered": ["true"]}
    assert answers_to_signals(None) == ({}, {})


def _fetch(url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_loopback_plays_the_apis() -> None:
    corpus = make_corpus(30, seed=1, start=date(2026, 3, 2), end=date(2026, 3, 3))
    with LoopbackSources(corpus, legacy_per_package=2, today=date(2026, 3, 3)) as fake:
        status, body = _fetch(
            f"{fake.url}/v3/notices/search", {"query": "publication-date>=20260302", "limit": 251}
        )
        assert status == 400 and b"SEARCH_EXCEEDS_MAX_LIMIT" in body
        status, body = _fetch(f"{fake.url}/v3/notices/search", {"query": "FT ~ x", "limit": 5})
        assert status == 400 and b"unsupported query clause" in body
        query = {
            "query": "publication-date>=20260302 SORT BY publication-date DESC",
            "limit": 20,
            "fields": ["publication-number"],
            "paginationMode": "ITERATION",
        }
        page = json.loads(_fetch(f"{fake.url}/v3/notices/search", query)[1])
        rest = json.loads(
            _fetch(
                f"{fake.url}/v3/notices/search", {**query, "iterationNextToken": page["iterationNextToken"]}
            )[1]
        )
        assert page["totalNoticeCount"] == 30 and len(page["notices"]) + len(rest["notices"]) == 30
        assert rest["iterationNextToken"] is None and not page["notices"][0]["publication-number"].startswith(
            "0"
        )
        assert _fetch(f"{fake.url}/v3/notices/search", {**query, "iterationNextToken": "bogus"})[0] == 500

        status, data = _fetch(f"{fake.url}/packages/daily/2026{issue_number(date(2026, 3, 2)):05d}")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            names = archive.getnames()
            members = [m for m in archive if m.isfile()]
            legacy = [archive.extractfile(m).read() for m in members[-2:]]  # after the eForms ones
        assert names[0] == f"20260302_{issue_number(date(2026, 3, 2)):03d}" and len(names) == 1 + 15 + 2
        # the legacy files are real TED_EXPORT notices, numbered apart from the eForms corpus
        first = 800_000 + (issue_number(date(2026, 3, 2)) - 1) * 2
        assert [parse_notice(doc).publication_number for doc in legacy] == [
            f"{first:08d}-2026",
            f"{first + 1:08d}-2026",
        ]
        assert _fetch(f"{fake.url}/packages/daily/2026{issue_number(date(2026, 3, 4)):05d}")[0] == 404

        search = {"search": "*", "filter": "datePublished ge 2026-03-02T00:00:00Z", "top": 5, "count": True}
        assert _fetch(f"{fake.url}/avp/eformnotices/docs/search", search)[0] == 401
        key = {"Ocp-Apim-Subscription-Key": "loopback-key"}
        hits = json.loads(_fetch(f"{fake.url}/avp/eformnotices/docs/search", search, key)[1])
        assert hits["@odata.count"] == len(fake.hilma) and len(hits["value"]) == min(5, len(fake.hilma))
        ids = "&".join(f"id={i}" for i in range(100000, 100051))
        assert _fetch(f"{fake.url}/avp-eforms/external-read/v1/notices?{ids}", headers=key)[0] == 400
    assert dict(fake.counts) == {"ted_search": 5, "package": 2, "hilma_search": 2, "hilma_batch": 1}


def test_pipeline_isolates_a_database_error_to_its_notice(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(12, seed=4)
    crawler = get_crawler(
        settings_dict={"TENDERWATCH_DATABASE_URL": sqlite_url, "TENDERWATCH_COMMIT_EVERY": 5}
    )
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    real_ingest = Store.ingest
    victim = corpus[7].api_number

    def flaky(self: Store, record, raw):  # type: ignore[no-untyped-def]
        if raw.source_id == victim:
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        return real_ingest(self, record, raw)

    def flaky_many(self: Store, items):  # type: ignore[no-untyped-def]
        items = list(items)
        if any(raw.source_id == victim for _, raw in items):
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        return real_many(self, items)

    real_many = Store.ingest_many
    monkeypatch.setattr(Store, "ingest", flaky)
    monkeypatch.setattr(Store, "ingest_many", flaky_many)
    now = utcnow()
    for notice in corpus:
        pipeline.process_item(DocumentItem("ted", notice.api_number, None, notice.xml, now))
    pipeline.close_spider()
    with session_scope(sqlite_url) as session:
        assert session.scalar(select(func.count()).select_from(Notice)) == 11
        assert session.scalar(select(func.count()).select_from(RawDocument)) == 11
    stats = crawler.stats.get_stats()
    assert stats["tenderwatch/new"] == 11 and stats["tenderwatch/errors/store"] == 1
