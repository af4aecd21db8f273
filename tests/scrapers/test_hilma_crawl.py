"""The HILMA spider against the loopback server: windows, paging, batch reads, key, 429."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from db.models.notices import Notice, NoticeSource
from db.session import session_scope
from monitor.demo.loopback import LoopbackSources
from scrapers.spiders.hilma import KEY_ENV
from tests.scrapers.conftest import Crawler, get_run

KEY = {KEY_ENV: "loopback-key"}


def hilma_records(db_url: str) -> dict[str, dict]:
    with session_scope(db_url) as session:
        rows = session.execute(
            select(NoticeSource.source_id, Notice.record)
            .join(Notice, Notice.id == NoticeSource.notice_pk)
            .where(NoticeSource.source == "hilma")
        )
        return {r[0]: r[1] for r in rows}


def test_windows_paging_batches_and_innovation_answers(
    crawl: Crawler, fake: LoopbackSources, today: date
) -> None:
    window = {today - timedelta(days=d) for d in range(3)}
    finnish = [n for n in fake.hilma if n.publication_date in window]
    outcome = crawl(
        "hilma",
        env=KEY,
        from_date=str(today - timedelta(days=2)),
        to_date=str(today),
        window_hours=24,
        page_size=40,
    )
    assert outcome.status == "finished", outcome
    assert outcome.new == len(finnish) > 100

    searches = fake.requests_of("hilma_search")
    assert len(searches) > 3  # three day windows, several pages in the busy ones
    keys = {r.headers.get("Ocp-Apim-Subscription-Key") for r in fake.log if "hilma" in r.kind}
    assert keys == {"loopback-key"}
    batches = [parse_qs(urlsplit(r.path).query)["id"] for r in fake.requests_of("hilma_batch")]
    assert all(len(ids) <= 50 for ids in batches)
    assert sum(len(ids) for ids in batches) == len(finnish)
    assert len(batches) == -(-len(finnish) // 50)  # ids are gathered across pages into full batches

    records = hilma_records(crawl.db_url)
    national = [r for r in records.values() if r["national"]]
    assert national
    for record in national:  # HILMA's national extension also lands in signals
        for key, value in record["national"].items():
            if isinstance(value, bool):
                assert record["signals"][f"hilma:{key}"] == [str(value).lower()]
    innovative = [fake.hilma_ids[i] for i in records if fake.hilma_ids[i].innovative]
    assert innovative, "the corpus should hold innovation-flagged Finnish notices"
    for doc_id, record in records.items():
        notice = fake.hilma_ids[doc_id]
        if not notice.lot_ids:  # HILMA's statistics are per lot: nothing to answer
            assert not any(k.startswith("hilma:") for k in record["signals"])
            continue
        expected = ["true"] if notice.innovative else ["false"]
        assert record["signals"].get("hilma:innovationConsidered") == expected
        for lot in record["lots"]:
            assert lot["signals"].get("hilma:innovationConsidered") == expected
        if notice.innovative:
            assert record["signals"]["hilma:solutionNewToMarketOrIndustry"] == ["false"]
        else:
            assert "hilma:solutionNewToBuyer" not in record["signals"]  # unanswered adds nothing

    fake.reset_counts()
    again = crawl(
        "hilma",
        env=KEY,
        from_date=str(today - timedelta(days=2)),
        to_date=str(today),
        window_hours=24,
        page_size=40,
    )
    assert again.status == "finished" and fake.counts["hilma_batch"] == 0 and again.seen == 0


def test_missing_key_skips_with_one_line_and_a_status_entry(
    crawl: Crawler, fake: LoopbackSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    outcome = crawl("hilma")
    assert outcome.status == "skipped" and outcome.exit_code == 0
    assert outcome.close_reason == "skipped_no_subscription_key"
    assert fake.counts["hilma_search"] == fake.counts["hilma_batch"] == 0
    warnings = [line for line in crawl.last_log.splitlines() if " WARNING: " in line or " ERROR: " in line]
    assert len(warnings) == 1 and KEY_ENV in warnings[0]
    assert get_run(crawl.db_url, outcome.run_id).status == "skipped"


def test_plain_text_429_waits_and_unusual_field_names_are_tolerated(
    tmp_path, sqlite_url, corpus, today: date
) -> None:
    with LoopbackSources(corpus, hilma_id_field="id", hilma_cpv_as_string=True) as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        server.add_fault("hilma_search", status=429, body=b"Rate limit is exceeded. Try again in 1 seconds.")
        outcome = crawl(
            "hilma", env=KEY, from_date=str(today - timedelta(days=3)), to_date=str(today), window_hours=96
        )
        assert outcome.status == "finished", outcome
        searches = server.requests_of("hilma_search")
        assert searches[0].status == 429 and searches[1].received - searches[0].at >= 0.95
        window = {today - timedelta(days=d) for d in range(4)}  # 4 days hold a weekday
        assert outcome.new == len([n for n in server.hilma if n.publication_date in window]) > 0


def test_hilma_copies_of_notices_ted_brought_add_their_answers_and_are_no_conflicts(
    crawl: Crawler, fake: LoopbackSources, today: date
) -> None:
    """TED crawled first, then HILMA over the same days: HILMA's copies carry its answers
    (``hilma:*``), which TED's lack. They are the same notices, not conflicts, and the stored
    records gain the answers (db/store_merge.py)."""
    from sqlalchemy import func

    from db.models.notices import NoticeConflict

    ted = crawl("ted", start_days_back=2)
    assert ted.status == "finished" and ted.new > 0
    hilma = crawl("hilma", env=KEY, from_date=str(today - timedelta(days=2)), to_date=str(today))
    assert hilma.status == "finished", hilma
    with session_scope(crawl.db_url) as session:
        assert session.scalar(select(func.count()).select_from(NoticeConflict)) == 0
        sources: dict[int, set[str]] = {}
        for pk, source in session.execute(select(NoticeSource.notice_pk, NoticeSource.source)):
            sources.setdefault(pk, set()).add(source)
        both = [pk for pk, s in sources.items() if s == {"ted", "hilma"}]
        assert len(both) == ted.new  # every notice TED brought, HILMA brought again
        assert hilma.updated == len(both) and hilma.new == len(sources) - len(both)
        records = {pk: session.get(Notice, pk).record for pk in both}
    by_number = {n.publication_number: n for n in fake.hilma}
    answered = 0
    for record in records.values():
        notice = by_number[record["publication_number"]]
        if notice.lot_ids:
            expected = ["true"] if notice.innovative else ["false"]
            assert record["signals"].get("hilma:innovationConsidered") == expected
            assert all(lot["signals"].get("hilma:innovationConsidered") == expected for lot in record["lots"])
            answered += 1
    assert answered > 0
