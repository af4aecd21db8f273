"""``tenderwatch crawl`` and ``tenderwatch backfill ted`` end to end, against the loopback server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo.loopback import LoopbackSources, issue_number, make_corpus
from monitor.settings import get_settings
from tests.scrapers.conftest import count_notices

SOURCES = """
ted:
  schedule: {cron: "15 * * * mon-fri"}
  download_delay: 0   # our own loopback server: no politeness delay owed
ted_packages:
  schedule: {cron: "45 10 * * mon-fri"}
  download_delay: 0
"""


@pytest.fixture
def small_fake(monkeypatch: pytest.MonkeyPatch, settings_env, tmp_path, today: date) -> LoopbackSources:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "sources.yaml").write_text(SOURCES)
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(tmp_path / "config"))
    corpus = make_corpus(24, seed=5, start=today - timedelta(days=2), end=today)
    corpus += make_corpus(30, seed=6, start=date(2026, 3, 2), end=date(2026, 3, 3))
    with LoopbackSources(corpus, today=today) as server:
        monkeypatch.setenv("TENDERWATCH_TED_API_URL", server.url)
        monkeypatch.setenv("TENDERWATCH_TED_SITE_URL", server.url)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def test_crawl_command_stores_and_reports(small_fake: LoopbackSources, today: date) -> None:
    result = CliRunner().invoke(
        cli, ["crawl", "ted", "--country", "ALL", "--from", str(today - timedelta(days=2))]
    )
    assert result.exit_code == 0, result.output
    assert "ted: finished (finished)" in result.output
    stored = count_notices(get_settings().db_url)
    assert stored == small_fake.counts["ted_xml"] == 24
    assert f"{stored} new" in result.output
    assert small_fake.log[0].headers["User-Agent"] == get_settings().user_agent


def test_backfill_command_resumes(small_fake: LoopbackSources) -> None:
    args = ["backfill", "ted", "--from", "2026-03-02", "--to", "2026-03-03", "--country", "ALL"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "ted_packages: finished" in first.output and "30 new" in first.output
    small_fake.reset_counts()
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "0 new" in again.output
    done = {f"/packages/daily/2026{issue_number(date(2026, 3, d)):05d}" for d in (2, 3)}
    assert small_fake.requests_of("package") and not done & {
        r.path for r in small_fake.requests_of("package")
    }


def test_bad_dates_are_refused_before_crawling() -> None:
    result = CliRunner().invoke(cli, ["backfill", "ted", "--from", "2026-13-01", "--to", "2026-01-02"])
    assert result.exit_code == 2 and "not a date like" in result.output


def test_backfill_from_a_date_stores_legacy_notices(
    monkeypatch: pytest.MonkeyPatch, settings_env, tmp_path
) -> None:
    """``tenderwatch backfill ted --from DATE`` (no --to: until today): packages of legacy TED
    XML, as TED published before eForms, are parsed and their Finnish notices stored."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "sources.yaml").write_text(SOURCES)
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(tmp_path / "config"))
    with LoopbackSources(
        [], legacy_per_package=5, legacy_finnish_share=0.6, today=date(2026, 3, 3)
    ) as server:
        monkeypatch.setenv("TENDERWATCH_TED_SITE_URL", server.url)
        get_settings.cache_clear()
        finnish = [
            s
            for d in (date(2026, 3, 2), date(2026, 3, 3))
            for s in server.legacy_specs(d)
            if s.country == "FI"
        ]
        result = CliRunner().invoke(cli, ["backfill", "ted", "--from", "2026-03-02"])
        assert result.exit_code == 0, result.output
        assert 0 < len(finnish) < 10 and f"{len(finnish)} new" in result.output
        assert count_notices(get_settings().db_url) == len(finnish)
        # the walk went on past the last published day and stopped at its 404
        assert [r.status for r in server.requests_of("package")][-1] == 404
    get_settings.cache_clear()
