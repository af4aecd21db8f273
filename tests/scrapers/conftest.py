"""Fixtures for the spider tests: a generated corpus, the loopback sources, a crawl helper.

Every crawl runs for real: ``scrapers.runner.run_crawl`` starts ``python -m scrapers.crawl``
in a child process against the loopback server, exactly as the service does, with the
politeness delays turned down so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.notices import Notice, RawDocument
from db.models.runs import CrawlRun
from db.session import session_scope
from monitor.demo.loopback import CorpusNotice, LoopbackSources, make_corpus
from scrapers.runner import CrawlOutcome, run_crawl

FAST = {
    "DOWNLOAD_DELAY": 0,  # tests: no politeness delay against our own loopback server
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "RETRY_BACKOFF_BASE": 0.2,
}


@pytest.fixture(scope="session")
def corpus(today: date) -> list[CorpusNotice]:
    """600 notices published on the weekdays of the last 5 days (today included), all countries.

    Any 5 days hold at least 3 weekdays, so a crawl that looks 3 days back finds notices
    whatever day the run has chosen; 1 or 2 days back may fall on a weekend and find none.
    """
    return make_corpus(600, seed=7, start=today - timedelta(days=4), end=today)


@pytest.fixture
def fake(corpus: list[CorpusNotice]) -> Iterator[LoopbackSources]:
    with LoopbackSources(corpus) as server:
        yield server


class Crawler:
    """Runs crawls against one loopback server and database; keeps each child's log."""

    def __init__(self, db_url: str, server: LoopbackSources, tmp_path: Path) -> None:
        self.db_url = db_url
        self.server = server
        self.tmp_path = tmp_path
        self.runs = 0

    def __call__(
        self,
        spider: str,
        *,
        settings: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 600,  # generous: a loaded machine (CI beside other jobs) is slow, not broken
        **args: Any,
    ) -> CrawlOutcome:
        self.runs += 1
        base = {"site_url": self.server.url} if spider != "hilma" else {}
        if spider == "ted":
            base["api_url"] = self.server.url
        if spider == "hilma":
            base["api_url"] = self.server.url
        log_path = self.tmp_path / f"crawl-{self.runs}-{spider}.log"
        outcome = run_crawl(
            spider,
            db_url=self.db_url,
            args={**base, **args},
            settings={**FAST, **(settings or {})},
            env=env,
            timeout=timeout,
            log_path=log_path,
        )
        self.last_log = log_path.read_text(encoding="utf-8", errors="replace")
        print(self.last_log[-4000:])  # shown by pytest only when the test fails
        return outcome


@pytest.fixture
def crawl(sqlite_url: str, fake: LoopbackSources, tmp_path: Path) -> Crawler:
    return Crawler(sqlite_url, fake, tmp_path)


def count_notices(db_url: str) -> int:
    with session_scope(db_url) as session:
        return session.scalar(select(func.count()).select_from(Notice)) or 0


def failures(db_url: str) -> list[tuple[str, str]]:
    with session_scope(db_url) as session:
        rows = session.execute(
            select(RawDocument.source_id, RawDocument.parse_error).where(RawDocument.parse_error.is_not(None))
        )
        return [(r[0], r[1]) for r in rows]


def get_run(db_url: str, run_id: int) -> CrawlRun:
    with session_scope(db_url) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        session.expunge(run)
        return run
