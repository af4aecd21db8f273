"""Daily-package backfill against the loopback server: walk, resume, eForms and legacy TED, countries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from db.models.notices import Notice
from db.models.runs import SourceWatermark
from db.session import session_scope
from monitor.demo.loopback import LoopbackSources, issue_number, make_corpus
from tests.scrapers.conftest import Crawler, count_notices, get_run

MONDAY, FRIDAY = date(2026, 3, 2), date(2026, 3, 6)


@pytest.fixture(scope="module")
def march() -> list:
    return make_corpus(200, seed=3, start=MONDAY, end=FRIDAY)


def requested_days(server: LoopbackSources) -> list[int]:
    return [int(r.path[-5:]) for r in server.requests_of("package")]


def test_backfill_stores_finland_in_both_formats_and_resumes(march: list, sqlite_url: str, tmp_path) -> None:
    """A package carries eForms and legacy TED_EXPORT notices (the mix of autumn 2023); both are
    parsed, filtered by buyer country the same way, and stored."""
    with LoopbackSources(march, legacy_per_package=3, today=FRIDAY) as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        first = crawl("ted_packages", from_date="2026-03-02", to_date="2026-03-04")
        assert first.status == "finished", first
        window = [MONDAY.replace(day=d) for d in (2, 3, 4)]
        fin = [n for n in march if n.publication_date in window and "FIN" in n.countries]
        others = [n for n in march if n.publication_date in window and "FIN" not in n.countries]
        legacy = [spec for d in window for spec in server.legacy_specs(d)]
        legacy_fin = [spec for spec in legacy if spec.country == "FI"]
        assert legacy_fin and len(legacy_fin) < len(legacy) == 3 * 3
        assert first.new == len(fin) + len(legacy_fin) == count_notices(sqlite_url) and others
        stats = get_run(sqlite_url, first.run_id).stats
        assert stats["tenderwatch/package_kinds/ted-export"] == 3 * 3
        assert stats["tenderwatch/package_kinds/eforms"] == len(fin) + len(others)
        assert stats["tenderwatch/seen"] == len(fin) + len(others) + len(legacy)
        # foreign legacy notices are dropped before parsing, by the buyer's COUNTRY, as eForms ones
        foreign = len(others) + len(legacy) - len(legacy_fin)
        assert stats["tenderwatch/filtered"] == stats["tenderwatch/filtered_unparsed"] == foreign
        with session_scope(sqlite_url) as session:
            stored = {
                n.publication_number: n
                for n in session.scalars(select(Notice).where(Notice.notice_id.is_(None)))
            }
        assert sorted(stored) == sorted(f"{int(s.number[:6]):08d}-2026" for s in legacy_fin)
        for spec in legacy_fin:
            notice = stored[f"{int(spec.number[:6]):08d}-2026"]
            assert (notice.subtype, notice.buyer_country, notice.title) == (spec.form, "FIN", spec.title)
            assert notice.source_key == f"ted:{int(spec.number[:6])}-2026"
        in_window = {issue_number(d) for d in window}
        assert in_window <= set(requested_days(server))
        with session_scope(sqlite_url) as session:
            marks = dict(session.execute(select(SourceWatermark.source, SourceWatermark.value)).all())
        for d in window:
            day_start = datetime.combine(d, datetime.min.time(), UTC)
            assert marks[f"ted_packages:2026{issue_number(d):05d}"] == day_start

        server.reset_counts()
        second = crawl("ted_packages", from_date="2026-03-02", to_date="2026-03-06")
        assert second.status == "finished"
        again = set(requested_days(server))
        assert not again & in_window  # a finished day is never downloaded again
        assert {issue_number(date(2026, 3, 5)), issue_number(FRIDAY)} <= again
        later = [n for n in march if n.publication_date > window[-1] and "FIN" in n.countries]
        later_legacy = [
            s for d in (date(2026, 3, 5), FRIDAY) for s in server.legacy_specs(d) if s.country == "FI"
        ]
        assert second.new == len(later) + len(later_legacy)


def test_all_countries_day_from_the_tar_and_a_missing_issue_ends_the_walk(
    march: list, sqlite_url: str, tmp_path
) -> None:
    with LoopbackSources(march, today=date(2026, 3, 3), content_disposition=False) as server:
        crawl = Crawler(sqlite_url, server, tmp_path)
        outcome = crawl("ted_packages", from_date="2026-03-02", to_date="2026-03-06", countries="ALL")
        assert outcome.status == "finished"
        published = [n for n in march if n.publication_date <= date(2026, 3, 3)]
        assert outcome.new == len(published)
        missing = [r for r in server.requests_of("package") if r.status == 404]
        assert len(missing) == 1  # Wednesday is not out yet: one 404, then stop
