"""A document that failed is fetched again by later crawls, and the watermark waits for it.

Issue #13, point 7: a notice refused once (403, or 500 after every retry), or served broken
(truncated XML, an HTML page with status 200), used to be lost for good: the crawl's watermark
moved past it, and a broken copy counted as "known". Each test crawls the loopback sources in
child processes, as the service does.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from db.models.failures import DocumentFailure
from db.models.notices import Notice, NoticeSource
from db.models.runs import SourceWatermark
from db.session import session_scope
from db.store import Store
from monitor.demo.loopback import CorpusNotice, LoopbackSources, make_corpus
from scrapers.spiders.hilma import KEY_ENV
from tests.scrapers.conftest import Crawler, get_run

KEY = {KEY_ENV: "loopback-key"}
TRUNCATED = b"<?xml version='1.0'?><ContractNotice><cbc:ID>trunc"
HTML_200 = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"


@pytest.fixture(scope="module")
def corpus(today: date) -> list[CorpusNotice]:
    """Smaller than the package's corpus: these tests crawl the same window several times."""
    return make_corpus(150, seed=5, start=today - timedelta(days=4), end=today)


def stored_ids(db_url: str, source: str) -> set[str]:
    with session_scope(db_url) as session:
        return set(session.scalars(select(NoticeSource.source_id).where(NoticeSource.source == source)))


def numbers_stored(db_url: str) -> set[str | None]:
    """Publication numbers stored, from whichever source."""
    with session_scope(db_url) as session:
        return set(session.scalars(select(Notice.publication_number)))


def watermark(db_url: str, source: str) -> datetime | None:
    with session_scope(db_url) as session:
        return session.scalar(select(SourceWatermark.value).where(SourceWatermark.source == source))


def failure(db_url: str, source: str, source_id: str) -> DocumentFailure | None:
    with session_scope(db_url) as session:
        row = session.get(DocumentFailure, (source, source_id))
        if row is not None:
            session.expunge(row)
        return row


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def oldest_finnish(corpus: list[CorpusNotice]) -> CorpusNotice:
    finnish = [n for n in corpus if "FIN" in n.countries]
    return min(finnish, key=lambda n: (n.publication_date, n.api_number))


def xml_requests(fake: LoopbackSources, number: str) -> int:
    return len([r for r in fake.requests_of("ted_xml") if f"/notice/{number}/xml" in r.path])


# ---------------------------------------------------------------------------------- TED
@pytest.mark.parametrize(
    ("status", "times"),
    [(403, 1), (500, 6)],  # a refusal, and a server error that outlasts Scrapy's five retries
    ids=["403", "six-500s"],
)
def test_ted_a_refused_notice_holds_the_watermark_and_is_fetched_next_time(
    crawl: Crawler, fake: LoopbackSources, corpus: list[CorpusNotice], today: date, status: int, times: int
) -> None:
    target = oldest_finnish(corpus)
    assert target.publication_date < today  # a later crawl's window would have left it behind
    fake.add_fault("ted_xml", status=status, times=times, path_contains=f"/notice/{target.api_number}/xml")
    first = crawl("ted", start_days_back=4)
    assert first.status == "finished", first
    assert target.api_number not in stored_ids(crawl.db_url, "ted")
    # The watermark stops the day before the notice that was listed but not stored.
    assert watermark(crawl.db_url, "ted") == midnight(target.publication_date - timedelta(days=1))
    row = failure(crawl.db_url, "ted", target.api_number)
    assert row is not None and row.attempts == 1 and row.given_up_at is None
    assert str(status) in (row.last_error or "")

    fake.reset_counts()
    second = crawl("ted", overlap_days=0)  # no overlap: only the held watermark brings it back
    assert second.status == "finished", second
    assert target.api_number in stored_ids(crawl.db_url, "ted")
    assert fake.counts["ted_xml"] == 1 and second.new == 1  # that notice alone, nothing else again
    assert failure(crawl.db_url, "ted", target.api_number) is None  # the good copy replaced it
    assert watermark(crawl.db_url, "ted") == midnight(today)


@pytest.mark.parametrize("broken", [TRUNCATED, HTML_200], ids=["truncated-xml", "html-with-200"])
def test_ted_a_broken_document_is_not_known_and_a_good_copy_replaces_it(
    crawl: Crawler, fake: LoopbackSources, corpus: list[CorpusNotice], today: date, broken: bytes
) -> None:
    target = oldest_finnish(corpus)
    good = fake.documents[target.api_number]
    fake.documents[target.api_number] = broken
    first = crawl("ted", start_days_back=4)
    assert first.status == "finished"
    assert failure(crawl.db_url, "ted", target.api_number) is not None
    assert watermark(crawl.db_url, "ted") == midnight(target.publication_date - timedelta(days=1))

    fake.documents[target.api_number] = good
    fake.reset_counts()
    second = crawl("ted", from_date=str(today - timedelta(days=4)))  # the same window again
    assert xml_requests(fake, target.api_number) == 1 and fake.counts["ted_xml"] == 1
    assert second.new == 1 and target.api_number in stored_ids(crawl.db_url, "ted")
    assert failure(crawl.db_url, "ted", target.api_number) is None


def test_ted_forgets_its_failure_when_hilma_brought_the_notice_first(
    crawl: Crawler, fake: LoopbackSources, corpus: list[CorpusNotice], today: date
) -> None:
    """TED's XML failed; HILMA then stored the same notice before TED's next crawl listed it.

    TED now counts it as known and never fetches it again, so that crawl must forget TED's
    failure: nothing else would, and it would stay reported (and counted) for ever. Seen in
    tests/faults/test_lost_at_source.py when HILMA's crawl happened to finish first.
    """
    target = oldest_finnish(corpus)
    good = fake.documents[target.api_number]
    fake.documents[target.api_number] = HTML_200
    crawl("ted", start_days_back=4)
    assert failure(crawl.db_url, "ted", target.api_number) is not None
    fake.documents[target.api_number] = good
    crawl("hilma", env=KEY, from_date=str(today - timedelta(days=4)))
    assert target.publication_number in numbers_stored(crawl.db_url)

    fake.reset_counts()
    crawl("ted", from_date=str(today - timedelta(days=4)))
    assert xml_requests(fake, target.api_number) == 0  # HILMA's copy is the good copy
    assert failure(crawl.db_url, "ted", target.api_number) is None


def test_ted_retries_are_bounded_then_the_document_is_given_up_and_reported(
    crawl: Crawler, fake: LoopbackSources, corpus: list[CorpusNotice], today: date
) -> None:
    target = oldest_finnish(corpus)
    fake.documents[target.api_number] = HTML_200
    bound = {"TENDERWATCH_RETRY_FAILED_DOCUMENTS": 3}
    window = str(today - timedelta(days=4))
    outcomes = [crawl("ted", from_date=window, settings=bound) for _ in range(4)]
    assert [xml_requests(fake, target.api_number)] == [3]  # three attempts, then no more
    row = failure(crawl.db_url, "ted", target.api_number)
    assert row is not None and row.attempts == 3 and row.given_up_at is not None
    stats = [get_run(crawl.db_url, o.run_id).stats for o in outcomes]
    assert [s.get("tenderwatch/given_up", 0) for s in stats] == [0, 0, 1, 0]
    assert [s.get("tenderwatch/failed_documents", 0) for s in stats] == [1, 1, 0, 0]
    # Given up, it no longer holds the watermark.
    assert watermark(crawl.db_url, "ted") == midnight(today)


# ---------------------------------------------------------------------------------- HILMA
def _batch_ids(fake: LoopbackSources) -> list[list[str]]:
    return [parse_qs(urlsplit(r.path).query)["id"] for r in fake.requests_of("hilma_batch")]


def test_hilma_a_failed_batch_read_holds_the_watermark_and_is_read_next_time(
    crawl: Crawler, fake: LoopbackSources, today: date
) -> None:
    # The batch holding the oldest notice fails on every try (Scrapy retries a 500 five times).
    fake.add_fault("hilma_batch", status=500, times=6, path_contains="?id=100000")
    first = crawl("hilma", env=KEY, from_date=str(today - timedelta(days=4)))
    assert first.status == "finished", first
    lost = {i for ids in _batch_ids(fake) if ids[0] == "100000" for i in ids}
    assert lost and not lost & stored_ids(crawl.db_url, "hilma")
    oldest = min(fake.hilma_ids[i].publication_date for i in lost)
    assert watermark(crawl.db_url, "hilma") == midnight(oldest - timedelta(days=1))

    fake.reset_counts()
    second = crawl("hilma", env=KEY, overlap_days=0)
    assert second.status == "finished", second
    assert lost <= stored_ids(crawl.db_url, "hilma")
    assert sorted(i for ids in _batch_ids(fake) for i in ids) == sorted(lost)  # only those again
    assert stored_ids(crawl.db_url, "hilma") == set(fake.hilma_ids)


def test_hilma_a_truncated_national_notice_is_read_again(
    crawl: Crawler, fake: LoopbackSources, today: date
) -> None:
    doc_id, notice = next(iter(fake.hilma_ids.items()))
    good = fake.documents[notice.api_number]
    fake.documents[notice.api_number] = good[: len(good) // 2]
    window = str(today - timedelta(days=4))
    crawl("hilma", env=KEY, from_date=window)
    assert doc_id not in stored_ids(crawl.db_url, "hilma")
    assert failure(crawl.db_url, "hilma", doc_id) is not None

    fake.documents[notice.api_number] = good
    fake.reset_counts()
    crawl("hilma", env=KEY, from_date=window)
    assert _batch_ids(fake) == [[doc_id]]
    assert doc_id in stored_ids(crawl.db_url, "hilma")
    assert failure(crawl.db_url, "hilma", doc_id) is None


def test_hilma_an_index_without_one_of_the_id_fields_is_searched_anyway(
    tmp_path, sqlite_url: str, corpus: list[CorpusNotice], today: date
) -> None:
    # Like any Azure AI Search index, the fake has one id field; it rejects a select naming another.
    with LoopbackSources(corpus, hilma_id_field="eFormsId") as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        outcome = crawl("hilma", env=KEY, from_date=str(today - timedelta(days=4)))
        rejected = [r for r in server.requests_of("hilma_search") if r.status == 400]
        assert len(rejected) == 2  # noticeId, then id: each dropped once, on the first search
    assert outcome.status == "finished", outcome
    assert stored_ids(sqlite_url, "hilma") == set(server.hilma_ids)
    stats = get_run(sqlite_url, outcome.run_id).stats
    assert stats["tenderwatch/hilma_select"] == "eFormsId,datePublished,mainType,cpvCodes,titleFi"
    assert stats["tenderwatch/hilma_select_dropped"] == "noticeId,id"


def test_hilma_a_long_gap_advances_window_by_window(sqlite_url: str, tmp_path, today: date) -> None:
    """A run that ends half-way keeps the windows it finished: the next one resumes there."""
    corpus = make_corpus(120, seed=11, start=today - timedelta(days=40), end=today)
    with LoopbackSources(corpus) as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        with session_scope(sqlite_url) as session:
            Store(session).set_watermark("hilma", midnight(today - timedelta(days=40)))
        # The 16th search fails for good (a 400 that names no field): the crawl ends there.
        server.add_fault("hilma_search", status=400, body=b'{"message": "bad"}', skip=15)
        first = crawl("hilma", env=KEY, overlap_days=0)
        assert first.status == "failed" and first.close_reason == "api_error"
        mark = watermark(sqlite_url, "hilma")
        start = midnight(today - timedelta(days=40))
        assert mark is not None and start < mark < start + timedelta(days=20)  # some windows, not all
        done = {i for i, n in server.hilma_ids.items() if midnight(n.publication_date) < mark}
        assert done and done <= stored_ids(sqlite_url, "hilma")

        server.reset_counts()
        second = crawl("hilma", env=KEY, overlap_days=0)
        assert second.status == "finished", second
        searches = [json.loads(r.body) for r in server.requests_of("hilma_search") if r.status == 200]
        assert searches[0]["filter"].startswith(f"datePublished ge {mark:%Y-%m-%dT%H:%M:%SZ}")  # resumed
        assert len(searches) <= (midnight(today) - mark).days + 1  # not the 41 windows from the start
    assert stored_ids(sqlite_url, "hilma") == set(server.hilma_ids)
