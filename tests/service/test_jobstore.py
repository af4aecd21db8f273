"""The service's schedule: jobs rebuilt from the config, next run times kept, nothing unpickled.

Issue #13, point 8: APScheduler's SQLAlchemy job store kept each job as a pickle, so whoever
could write one row of the database ran code in ``serve``. The service now keeps job ids and
next run times in ``scheduler_jobs`` and builds the jobs from the config at start; a run
missed while it was down still fires once on start within the grace time.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table, func, select, update

from db.models.runs import CrawlRun
from db.models.scheduler import ScheduledJob
from db.session import get_engine, session_scope
from monitor.config import load_config
from monitor.demo.loopback import LoopbackSources
from monitor.service.app import desired_jobs
from monitor.service.jobstore import describe_trigger
from monitor.settings import Settings
from tests.service.conftest import RunningService, eventually, write_config


class _Payload:
    """Unpickles into ``open(path, "w")``: the file appears if anything unpickles it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _settings(tmp_path: Path, url: str, fake: LoopbackSources, **config: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=url,
        config_dir=write_config(tmp_path / "config", **config),
        ted_api_url=fake.url,
        ted_site_url=fake.url,
    )


def _rows(url: str) -> dict[str, tuple[datetime | None, str]]:
    with session_scope(url) as session:
        rows = session.execute(select(ScheduledJob.job_id, ScheduledJob.next_run_time, ScheduledJob.trigger))
        return {job_id: (when, trigger) for job_id, when, trigger in rows}


def _crawl_runs(url: str) -> list[CrawlRun]:
    with session_scope(url) as session:
        return list(session.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_not(None))))


@contextmanager
def planted_pickles(url: str, marker: Path) -> Iterator[None]:
    """Rows that unpickle into ``open(marker, "w")`` where APScheduler's SQLAlchemy job store read
    its jobs (as an older ``serve`` left them, or anyone able to write one row), due now; and
    hostile text in our own table. The old table is dropped again on exit (it is not ours)."""
    payload = pickle.dumps(_Payload(marker))
    as_text = base64.b64encode(payload).decode("ascii")  # text columns hold no NUL on PostgreSQL
    legacy = Table(
        "apscheduler_jobs",
        MetaData(),
        Column("id", String(191), primary_key=True),
        Column("next_run_time", Float(25), index=True),
        Column("job_state", LargeBinary, nullable=False),
    )
    engine = get_engine(url)
    legacy.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(legacy.insert().values(id="crawl:ted", next_run_time=0.0, job_state=payload))
            conn.execute(legacy.insert().values(id="evil", next_run_time=0.0, job_state=payload))
        with session_scope(url) as session:
            session.add(ScheduledJob(job_id="evil", next_run_time=None, trigger=as_text))
            session.add(ScheduledJob(job_id="send", next_run_time=None, trigger=as_text))
        yield
    finally:
        legacy.drop(engine, checkfirst=True)


def test_the_service_never_unpickles_anything_from_the_database(
    tmp_path: Path, sqlite_url: str, fake_sources: LoopbackSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, sqlite_url, fake_sources)
    marker = tmp_path / "unpickled"
    unpickled: list[bytes] = []
    real_loads = pickle.loads

    def loads(data: bytes, *args: Any, **kwargs: Any) -> Any:
        unpickled.append(data)
        return real_loads(data, *args, **kwargs)

    monkeypatch.setattr(pickle, "loads", loads)
    with planted_pickles(sqlite_url, marker), RunningService(settings) as running:
        eventually(lambda: len(_crawl_runs(sqlite_url)) >= 1, 90, "a crawl from the configured schedule")
        assert running.service.scheduler is not None
        jobs = {job.id for job in running.service.scheduler.get_jobs()}
    assert not marker.exists() and unpickled == []
    wanted = {spec.id: spec for spec in desired_jobs(load_config(settings.config_dir))}
    assert jobs == set(wanted)  # from the config, nothing from the rows
    rows = _rows(sqlite_url)
    assert set(rows) == set(wanted)  # the row of no configured job is gone
    assert rows["send"][1] == describe_trigger(wanted["send"].trigger)  # hostile text replaced, never read


@pytest.mark.parametrize(
    ("every", "behind", "fires"),
    [
        (1800, timedelta(minutes=31), True),  # missed by a minute: runs once on start
        (7200, timedelta(hours=3, minutes=30), False),  # missed by 90 minutes: past the 1 h grace
    ],
    ids=["within-grace", "past-grace"],
)
def test_a_run_missed_while_the_service_was_down(
    tmp_path: Path,
    sqlite_url: str,
    fake_sources: LoopbackSources,
    caplog: pytest.LogCaptureFixture,
    every: int,
    behind: timedelta,
    fires: bool,
) -> None:
    settings = _settings(tmp_path, sqlite_url, fake_sources, ted_every=every)
    with RunningService(settings):
        eventually(lambda: "crawl:ted" in _rows(sqlite_url), 30, "the schedule to be recorded")
    recorded = _rows(sqlite_url)["crawl:ted"][0]
    assert recorded is not None and _crawl_runs(sqlite_url) == []  # its first run is `every` away
    # The service was down while its next run came and went: move the recorded time back
    # (rather than waiting), by more than one interval.
    with session_scope(sqlite_url) as session:
        session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.job_id == "crawl:ted")
            .values(next_run_time=recorded - behind)
        )
    with RunningService(settings):
        moved = eventually(
            lambda: (_rows(sqlite_url)["crawl:ted"][0] or recorded) > recorded - behind,
            30,
            "the scheduler to take up the missed run",
        )
        assert moved
        if fires:
            eventually(lambda: len(_crawl_runs(sqlite_url)) == 1, 90, "the missed run")
        else:
            eventually(lambda: "missed its run" in caplog.text, 30, "the miss to be logged")
    assert len(_crawl_runs(sqlite_url)) == (1 if fires else 0)  # once, not once per missed interval
    with session_scope(sqlite_url) as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == (1 if fires else 0)
