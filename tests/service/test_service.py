"""The scheduled service, driven with second-scale intervals against the loopback sources."""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from db.models.alerts import OutboxMessage, Subscriber
from db.models.health import HealthProblem
from db.models.notices import Notice, NoticeSource
from db.models.runs import CrawlRun
from db.record import Buyer
from db.session import session_scope
from monitor.config import load_config
from monitor.demo.loopback import LoopbackSources
from monitor.service.app import Service, desired_jobs
from monitor.settings import Settings
from monitor.subscribers import upsert
from monitor.subscribers.config import SubscriberSpec
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.service.conftest import REPO_CONFIG, RunningService, eventually, write_config


def _subscribe_everyone(url: str) -> None:
    spec = SubscriberSpec(
        email="all@example.org",
        name="Everything in Finland",
        language="en",
        subscriptions=[{"name": "all", "countries": ["FIN"]}],
    )
    with session_scope(url) as session:
        upsert(session, spec)


def _runs(url: str) -> list[CrawlRun]:
    with session_scope(url) as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def _count(url: str, model: type, *where: object) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_desired_jobs_follow_the_config() -> None:
    jobs = {spec.id: spec for spec in desired_jobs(load_config(REPO_CONFIG))}
    assert {
        "crawl:ted",
        "crawl:ted_packages",
        "crawl:hilma",
        "send",
        "digests",
        "health",
        "report:monthly",
    } <= set(jobs)
    assert "mon-fri" in str(jobs["crawl:ted"].trigger)
    assert jobs["crawl:ted"].args == ("ted",)


def test_a_full_cycle_delivers_alerts_unattended(
    service_settings: Settings, fake_sources: LoopbackSources
) -> None:
    url = service_settings.db_url
    from db import migrate

    migrate.upgrade(url)
    _subscribe_everyone(url)
    outbox = service_settings.outbox_dir
    with RunningService(service_settings):
        eventually(lambda: list(outbox.glob("*.eml")) if outbox.exists() else [], 90, "alert emails")
        eventually(
            lambda: _count(url, OutboxMessage, OutboxMessage.state == "pending") == 0,
            60,
            "the outbox to drain",
        )
    runs = _runs(url)
    assert runs and runs[0].status == "finished" and runs[0].notices_new > 0
    stored = _count(url, Notice)
    assert stored == runs[0].notices_new
    sent = _count(url, OutboxMessage, OutboxMessage.state == "sent")
    assert sent >= 1
    # The crawl came first, then processing queued alerts, then the sender sent them.
    with session_scope(url) as session:
        first_sent = session.scalar(select(func.min(OutboxMessage.sent_at)))
        first_queued = session.scalar(select(func.min(OutboxMessage.created_at)))
    assert runs[0].finished_at <= first_queued <= first_sent
    # A later crawl of the same data fetched no XML again.
    assert all(r.notices_new == 0 for r in runs[1:])


def test_a_failing_crawl_is_recorded_and_the_next_job_runs(
    tmp_path: Path, sqlite_url: str, fake_sources: LoopbackSources
) -> None:
    # An invalid spider argument makes the child exit at once: a crash as far as the service knows.
    config = write_config(tmp_path / "config", ted_every=1)
    sources = yaml.safe_load((config / "sources.yaml").read_text())
    sources["ted"]["countries"] = ["ALL"]
    (config / "sources.yaml").write_text(yaml.safe_dump(sources))
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=sqlite_url,
        config_dir=config,
        ted_api_url="http://127.0.0.1:9",
        ted_site_url="http://127.0.0.1:9",
    )
    with RunningService(settings):
        eventually(lambda: len([r for r in _runs(sqlite_url) if r.finished_at]) >= 2, 90, "two crawl runs")
    runs = [r for r in _runs(sqlite_url) if r.finished_at]
    assert all(r.status == "failed" for r in runs), [(r.status, r.close_reason) for r in runs]
    assert all(r.close_reason for r in runs)


def test_bad_config_edit_is_refused_and_a_good_one_picked_up(service_settings: Settings) -> None:
    config_dir = service_settings.config_dir
    with RunningService(service_settings) as running:
        service = running.service
        eventually(lambda: service.scheduler is not None and service.scheduler.get_job("send"), 30, "jobs")
        good_version = service.config.current().version
        sources = config_dir / "sources.yaml"
        original = sources.read_text()
        sources.write_text(original.replace("every_seconds: 2", "every_seconds: two"))
        eventually(lambda: service.config.last_error is not None, 10, "the edit to be refused")
        assert service.config.current().version == good_version
        assert "every_seconds" in service.config.last_error.report()
        # The admins were told, once, with the same text `config check` prints.
        emails = eventually(lambda: list(service_settings.outbox_dir.glob("admin-*.eml")), 10, "admin mail")
        assert len(emails) == 1 and b"config edit refused" in emails[0].read_bytes()
        time.sleep(0.6)
        assert len(list(service_settings.outbox_dir.glob("admin-*.eml"))) == 1
        # A valid edit is picked up and the job rescheduled.
        sources.write_text(original.replace("every_seconds: 2", "every_seconds: 7"))
        eventually(lambda: service.config.current().version != good_version, 10, "the new config")
        assert "0:00:07" in str(service.scheduler.get_job("crawl:ted").trigger)
        assert service.config.last_error is None


def test_health_mails_once_per_problem_and_once_on_recovery(sqlite_url: str, tmp_path: Path) -> None:
    from monitor.service import health

    settings = Settings(
        data_dir=tmp_path / "var", database_url=sqlite_url, config_dir=write_config(tmp_path / "config")
    )
    config = load_config(settings.config_dir)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    with session_scope(sqlite_url) as session:
        for i in range(3):
            session.add(
                CrawlRun(
                    source="ted",
                    started_at=now - timedelta(hours=3 - i),
                    finished_at=now - timedelta(hours=3 - i, minutes=-1),
                    status="failed",
                    close_reason="connection refused",
                    errors={"http": 1},
                )
            )

    def mails() -> list[Path]:  # oldest first: the file names are hashes
        found = settings.outbox_dir.glob("admin-*.eml") if settings.outbox_dir.exists() else []
        return sorted(found, key=lambda p: p.stat().st_mtime_ns)

    assert health.run_checks(settings, config, now)["opened"] == 1
    assert health.run_checks(settings, config, now + timedelta(minutes=5))["opened"] == 0
    assert len(mails()) == 1 and b"source ted failed its last 3 runs" in mails()[0].read_bytes()
    with session_scope(sqlite_url) as session:
        session.add(
            CrawlRun(
                source="ted",
                started_at=now + timedelta(minutes=10),
                finished_at=now + timedelta(minutes=11),
                status="finished",
                notices_seen=4,
            )
        )
    assert health.run_checks(settings, config, now + timedelta(minutes=15))["resolved"] == 1
    assert health.run_checks(settings, config, now + timedelta(minutes=20))["resolved"] == 0
    assert len(mails()) == 2 and b"resolved" in mails()[1].read_bytes()
    assert _count(sqlite_url, HealthProblem, HealthProblem.resolved_at.is_(None)) == 0


def test_a_quiet_working_day_is_a_problem(sqlite_url: str, tmp_path: Path) -> None:
    from monitor.service import health

    settings = Settings(
        data_dir=tmp_path / "var", database_url=sqlite_url, config_dir=write_config(tmp_path / "config")
    )
    config = load_config(settings.config_dir)
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday; Wednesday was quiet
    with session_scope(sqlite_url) as session:
        for day in range(2, 12):  # a busy baseline the weeks before
            t = now - timedelta(days=day)
            session.add(
                CrawlRun(source="ted", started_at=t, finished_at=t, status="finished", notices_seen=120)
            )
        t = now - timedelta(hours=20)
        session.add(CrawlRun(source="ted", started_at=t, finished_at=t, status="finished", notices_seen=0))
    with session_scope(sqlite_url) as session:
        problems = health.source_problems(session, config, now)
    assert [p.key for p in problems] == ["source-quiet:ted"]


def _serve(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TENDERWATCH_DATABASE_URL": settings.db_url,
        "TENDERWATCH_DATA_DIR": str(settings.data_dir),
        "TENDERWATCH_CONFIG_DIR": str(settings.config_dir),
        "TENDERWATCH_TED_API_URL": settings.ted_api_url,
        "TENDERWATCH_TED_SITE_URL": settings.ted_site_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_sigterm_during_a_crawl_leaves_a_consistent_database(
    service_settings: Settings, fake_sources: LoopbackSources, tmp_path: Path
) -> None:
    url = service_settings.db_url
    from db import migrate

    migrate.upgrade(url)
    # Slow notice-XML answers keep the crawl busy while the signal arrives.
    fake_sources.add_fault("ted_xml", "slow", delay=0.3, times=1000)
    log = tmp_path / "serve.log"
    proc = _serve(service_settings, log)
    try:
        eventually(lambda: fake_sources.counts["ted_xml"] >= 3, 60, "the crawl to be fetching XML")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "finishing the running job" in text and "service stopped" in text
    runs = _runs(url)
    assert runs and all(r.status != "running" and r.finished_at for r in runs), [(r.status) for r in runs]
    # Every stored notice has its source row and raw document: nothing half-written.
    notices = _count(url, Notice)
    assert notices == _count(url, NoticeSource)
    assert notices < len(fake_sources.notices)  # it really was interrupted


@pytest.mark.slow
def test_two_instances_on_postgresql_run_each_job_once(
    pg_url: str, tmp_path: Path, fake_sources: LoopbackSources
) -> None:
    config = write_config(tmp_path / "config", ted_every=2)
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=pg_url,
        config_dir=config,
        ted_api_url=fake_sources.url,
        ted_site_url=fake_sources.url,
    )
    from db import migrate

    migrate.upgrade(pg_url)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _serve(settings, logs[0])
    try:
        eventually(lambda: "this instance schedules" in logs[0].read_text(), 60, "the first to lead")
        second = _serve(settings, logs[1])
        try:
            eventually(lambda: "waiting as standby" in logs[1].read_text(), 60, "the second to stand by")
            eventually(lambda: len([r for r in _runs(pg_url) if r.finished_at]) >= 3, 90, "three crawl runs")
            # Runs never overlapped: one scheduler, max_instances=1.
            runs = [r for r in _runs(pg_url) if r.finished_at]
            for before, after in itertools.pairwise(runs):
                assert before.finished_at <= after.started_at
            # The leader goes; the standby takes over.
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=90) == 0
            eventually(lambda: "this instance schedules" in logs[1].read_text(), 60, "the standby to lead")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=90)
    finally:
        if first.poll() is None:
            first.kill()
    assert "this instance schedules" not in logs[0].read_text().split("service stopped")[-1]


def test_service_status_shows_the_schedule(service_settings: Settings) -> None:
    with RunningService(service_settings) as running:
        eventually(
            lambda: running.service.scheduler is not None and running.service.scheduler.get_job("crawl:ted"),
            30,
            "jobs",
        )
    from click.testing import CliRunner

    from monitor.cli import cli

    env = {
        "TENDERWATCH_DATABASE_URL": service_settings.db_url,
        "TENDERWATCH_CONFIG_DIR": str(service_settings.config_dir),
        "TENDERWATCH_DATA_DIR": str(service_settings.data_dir),
    }
    from monitor.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner(env=env).invoke(cli, ["status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "crawl:ted" in result.output and "next" in result.output


def test_standby_waits_while_another_holds_the_lock(service_settings: Settings) -> None:
    from monitor.service.leader import LeaderLock

    other = LeaderLock(service_settings.db_url, service_settings.data_dir)
    assert other.acquire()
    try:
        with RunningService(service_settings) as running:
            time.sleep(1.0)
            assert running.service.scheduler is None  # standing by, scheduling nothing
            other.release()
            eventually(lambda: running.service.scheduler is not None, 10, "the standby to take over")
    finally:
        other.release()


def test_service_refuses_an_invalid_config(tmp_path: Path, sqlite_url: str) -> None:
    from monitor.appconfig import ConfigError

    config = write_config(tmp_path / "config")
    (config / "service.yaml").write_text("admins: [not-an-address]\n")
    with pytest.raises(ConfigError) as info:
        Service(Settings(data_dir=tmp_path, database_url=sqlite_url, config_dir=config))
    assert "service.yaml:1" in info.value.report()


def test_a_refused_branches_edit_keeps_branch_subscriptions_matching(
    service_settings: Settings, now: datetime
) -> None:
    """The held (last good) branches reach matching: a bad edit of branches.yaml on disk must
    not make branch subscriptions silently match nothing until someone fixes the file."""
    from monitor.service import jobs

    url = service_settings.db_url
    with session_scope(url) as session:
        upsert(session, SubscriberSpec(email="tem@example.org", kind="branch", branch="TEM", language="fi"))
    ministry = dataclasses.replace(
        call(
            publication_number="00700001-2026",
            title="Yritystukien tietojärjestelmä",
            deadline=now + timedelta(days=30),
        ),
        publication_date=now.date(),
        buyers=[Buyer("Työ- ja elinkeinoministeriö", None, "FIN", legal_type="cga")],
    )
    write_config(service_settings.config_dir, ted_every=None)  # no crawl: only what the test stores
    with RunningService(service_settings) as running:
        service = running.service
        eventually(lambda: jobs.CURRENT is service and service.scheduler is not None, 30, "the service")
        branches = service_settings.config_dir / "branches.yaml"
        branches.write_text(branches.read_text() + "\nbranches: [this is not a mapping]\n")
        eventually(lambda: service.config.last_error is not None, 10, "the edit to be refused")
        assert "branches.yaml" in service.config.last_error.report()
        with session_scope(url) as session:
            ingest(session, ministry, now)
        jobs.process_job()
    with session_scope(url) as session:
        rows = session.execute(
            select(Subscriber.email, OutboxMessage.kind).join(
                Subscriber, Subscriber.id == OutboxMessage.subscriber_id
            )
        ).all()
    assert ("tem@example.org", "new") in [tuple(r) for r in rows]
