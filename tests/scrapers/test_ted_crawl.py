"""The TED Search API spider, crawled for real against the loopback server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from db.models.runs import SourceWatermark
from db.session import session_scope
from monitor.demo.loopback import LoopbackSources, make_corpus
from tests.scrapers.conftest import Crawler, count_notices, failures, get_run


def search_bodies(fake: LoopbackSources) -> list[dict]:
    return [json.loads(r.body) for r in fake.requests_of("ted_search")]


def watermark(db_url: str, source: str) -> datetime | None:
    with session_scope(db_url) as session:
        return session.scalar(select(SourceWatermark.value).where(SourceWatermark.source == source))


def test_pages_through_iteration_tokens_and_a_second_crawl_fetches_no_xml(
    db_url: str, fake: LoopbackSources, tmp_path: Path, corpus: list, today: date
) -> None:
    crawl = Crawler(db_url, fake, tmp_path)
    first = crawl("ted", countries="ALL", from_date=str(today - timedelta(days=4)))
    assert first.status == "finished", first
    assert fake.counts["ted_search"] == 3  # 600 notices at 250 a page
    bodies = search_bodies(fake)
    assert "iterationNextToken" not in bodies[0]
    assert all(b["iterationNextToken"] for b in bodies[1:]) and all(b["limit"] == 250 for b in bodies)
    assert fake.counts["ted_xml"] == len(corpus) == first.new == count_notices(db_url)
    assert first.requests == fake.counts["ted_search"] + fake.counts["ted_xml"] + fake.counts["robots"]
    assert all("compatible; tenderwatch" in r.headers["User-Agent"] for r in fake.log)

    fake.reset_counts()
    second = crawl("ted", countries="ALL", from_date=str(today - timedelta(days=4)))
    assert second.status == "finished"
    assert fake.counts["ted_search"] == 3
    assert fake.counts["ted_xml"] == 0  # never re-download what the store has
    assert second.seen == 0 and count_notices(db_url) == len(corpus)


def test_default_crawl_filters_finland_and_overlaps_the_watermark(
    crawl: Crawler, fake: LoopbackSources, corpus: list, today: date
) -> None:
    first = crawl("ted", start_days_back=2)
    window = {today - timedelta(days=d) for d in range(3)}
    finnish = [n for n in corpus if "FIN" in n.countries and n.publication_date in window]
    assert 0 < len(finnish) < len(corpus)
    query = search_bodies(fake)[0]["query"]
    assert "buyer-country=FIN" in query and f"publication-date>={today - timedelta(days=2):%Y%m%d}" in query
    assert first.status == "finished" and first.new == fake.counts["ted_xml"] == len(finnish)
    assert watermark(crawl.db_url, "ted") == datetime.combine(today, datetime.min.time(), UTC)

    # A notice published yesterday but indexed late appears; the overlap window catches it.
    late = make_corpus(1, seed=99, start=today - timedelta(days=1), end=today - timedelta(days=1))[0]
    late = type(late)(**{**{f: getattr(late, f) for f in late.__slots__}, "countries": ("FIN",)})
    fake.add_notices([late])
    fake.reset_counts()
    second = crawl("ted", overlap_days=1)
    query = search_bodies(fake)[0]["query"]
    assert f"publication-date>={today - timedelta(days=1):%Y%m%d}" in query
    assert fake.counts["ted_xml"] == 1 and second.new == 1


def test_retry_after_is_honoured_on_429_and_503(crawl: Crawler, fake: LoopbackSources) -> None:
    fake.add_fault("ted_search", status=429, headers={"Retry-After": "1"}, body=b'{"message":"Too many"}')
    fake.add_fault("ted_xml", status=503, headers={"Retry-After": "1"}, skip=2)
    outcome = crawl("ted", start_days_back=3)  # 4 days hold a weekday, whatever today is
    assert outcome.status == "finished", outcome
    searches = fake.requests_of("ted_search")
    assert [r.status for r in searches[:2]] == [429, 200]
    assert searches[1].at - searches[0].at >= 0.95  # waited as asked, not Scrapy's immediate retry
    xml = fake.requests_of("ted_xml")
    refused = [r for r in xml if r.status == 503]
    assert len(refused) == 1
    again = [r for r in xml if r.path == refused[0].path and r.status == 200]
    assert len(again) == 1 and again[0].received - refused[0].at >= 0.95
    # The whole host paused: while the Retry-After second ran, at most the one request that
    # was already in the downloader (CONCURRENT_REQUESTS = 2) went out.
    assert len([r for r in xml if refused[0].at + 0.05 < r.received < refused[0].at + 0.95]) <= 1
    assert outcome.new == len({r.path for r in xml})  # the refused notice was fetched again and stored
    stats = get_run(crawl.db_url, outcome.run_id).stats
    assert stats["tenderwatch/retry_wait/429"] == 1 and stats["tenderwatch/retry_wait/503"] == 1


def test_timed_out_page_is_retried(crawl: Crawler, fake: LoopbackSources) -> None:
    fake.add_fault("ted_search", action="timed_out")
    outcome = crawl("ted", start_days_back=3)
    assert outcome.status == "finished"
    bodies = search_bodies(fake)
    assert bodies[0] == bodies[1]  # the timed-out first page was asked again, unchanged
    pages = {json.dumps(b, sort_keys=True) for b in bodies}  # later pages differ by their token
    assert len(bodies) == len(pages) + 1
    assert outcome.new == fake.counts["ted_xml"] > 0
    assert get_run(crawl.db_url, outcome.run_id).stats["tenderwatch/timed_out_pages"] == 1


def test_waf_challenge_ends_the_crawl_as_blocked(crawl: Crawler, fake: LoopbackSources) -> None:
    fake.add_fault("ted_xml", action="waf", times=10_000)
    outcome = crawl("ted", countries="ALL", start_days_back=4)
    assert outcome.status == "blocked" and outcome.exit_code == 3
    assert outcome.close_reason == "blocked"
    assert outcome.errors.get("waf_challenge", 0) >= 1
    assert fake.counts["ted_xml"] <= 8  # stopped at once: no retry loop over hundreds of notices
    assert watermark(crawl.db_url, "ted") is None  # the window must be listed again next time


def test_unknown_field_is_a_clear_api_error(crawl: Crawler, fake: LoopbackSources) -> None:
    outcome = crawl("ted", fields="publication-number,no-such-field")
    assert outcome.status == "failed" and outcome.close_reason == "api_error"
    assert outcome.errors == {"api_400": 1}
    assert "no-such-field" in get_run(crawl.db_url, outcome.run_id).stats["tenderwatch/api_error"]
    assert fake.counts["ted_xml"] == 0


def test_bad_documents_are_recorded_and_the_rest_stored(
    crawl: Crawler, fake: LoopbackSources, corpus: list, today: date
) -> None:
    window = today - timedelta(days=3)  # start_days_back=3: holds a weekday, whatever today is
    numbers = [n.api_number for n in corpus if "FIN" in n.countries and n.publication_date >= window]
    assert len(numbers) >= 3
    fake.documents[numbers[0]] = b"<?xml version='1.0'?><ContractNotice><cbc:ID>trunc"
    fake.documents[numbers[1]] = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"
    outcome = crawl("ted", start_days_back=3)
    assert outcome.status == "finished"
    bad = dict(failures(crawl.db_url))
    assert set(bad) == {numbers[0], numbers[1]}
    assert "Bad Gateway" in bad[numbers[1]]
    assert outcome.new == fake.counts["ted_xml"] - 2 == count_notices(crawl.db_url)
    assert sum(v for k, v in outcome.errors.items() if k.startswith("parse_")) == 2

    fake.reset_counts()
    crawl("ted", from_date=str(window))  # the same window again
    # A document kept as a failure is fetched again (issue #13); the stored ones are not.
    assert fake.counts["ted_xml"] == 2 and set(dict(failures(crawl.db_url))) == {numbers[0], numbers[1]}


def test_a_crawl_past_its_timeout_is_killed_and_recorded_failed(crawl: Crawler, fake: LoopbackSources):
    fake.add_fault("ted_search", action="slow", delay=60)
    outcome = crawl("ted", timeout=8)
    assert outcome.status == "failed" and outcome.close_reason == "timeout"
    assert outcome.seconds < 20


def test_an_unreachable_api_fails_the_crawl(sqlite_url: str, tmp_path: Path) -> None:
    with LoopbackSources([]) as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        outcome = crawl("ted", api_url="http://127.0.0.1:9", settings={"RETRY_TIMES": 1})
    assert outcome.status == "failed" and outcome.close_reason == "api_unreachable"
    assert any(k.startswith("download:") for k in outcome.errors), outcome.errors
    assert watermark(sqlite_url, "ted") is None
