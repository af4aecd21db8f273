"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, settings, the shared corpus.

PostgreSQL: the server at ``TENDERWATCH_TEST_POSTGRES_URL`` (default: trust auth on
127.0.0.1:5432). The suite creates its own uniquely named database there, migrates it once,
empties its tables after each test and drops it at the end. Where no server answers the
PostgreSQL half is skipped with the reason, except under CI (``CI=true``), where it fails:
CI must prove both databases.

Time: no test reads the real date. The run's day is ``TENDERWATCH_TEST_TODAY`` (default
2026-12-05, a Saturday, the day a weekday-only assumption broke CI); every process of the run,
crawl children and ``serve`` included, sees it through ``db.clock`` (``TENDERWATCH_CLOCK``).
Tests that build data around "today" take the ``today``/``now`` fixtures; they are marked
``dates`` and ``make test-dates`` runs them again on the days that break date code (a
weekday, Sunday, 1 January, both DST changes in Helsinki, 29 February).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.clock import CLOCK_ENV, clock_value

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PG_ADMIN_URL = os.environ.get(
    "TENDERWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


TODAY = date.fromisoformat(os.environ.get("TENDERWATCH_TEST_TODAY", "2026-12-05"))
"""The run's "today" (Helsinki), chosen, never read off the machine."""
NOW = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=10)
"""The run's start instant: 10:00 UTC, midday in Helsinki, clear of both midnights."""

# Set at import, before any fixture or test module runs, so code that asks the clock while a
# test module is collected sees the chosen day too. The anchor is the real second this ran:
# time then moves at real speed, so timeouts and back-offs behave, and children agree.
os.environ[CLOCK_ENV] = clock_value(NOW, anchor=time.time())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="Save the web's main pages (fi, sv, en; desktop and phone) under var/screenshots/",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that build their data around the day, for ``make test-dates``."""
    for item in items:
        if {"today", "now"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dates)


@pytest.fixture(scope="session")
def today() -> date:
    """The run's "today" (see the module docstring)."""
    return TODAY


@pytest.fixture(scope="session")
def now() -> datetime:
    """The run's start instant, aware, in UTC."""
    return NOW


def shared_path(*parts: str) -> Path:
    """A path in the shared corpus (``../shared``), or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not present at {path} (it exists beside the repo in CI)")
    return path


# ---------------------------------------------------------------------------------- SQLite
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from db import migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    migrate.upgrade(f"sqlite:///{path}")
    from db.session import get_engine

    get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated SQLite database file for this test."""
    path = tmp_path / "tenderwatch.sqlite"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


# ---------------------------------------------------------------------------------- PostgreSQL
def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure means "no server here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    why = _pg_available()
    if why:
        message = f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {why}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"tenderwatch_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    from db import migrate

    migrate.upgrade(url)
    try:
        yield url
    finally:
        from db.session import get_engine

        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    from db.base import Base
    from db.session import get_engine

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    if tables:
        with get_engine(url).begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_url(_pg_database: str) -> Iterator[str]:
    """The suite's PostgreSQL database, migrated, emptied after this test."""
    yield _pg_database
    _truncate_all(_pg_database)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


# ---------------------------------------------------------------------------------- settings
@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str) -> Path:
    """Point TENDERWATCH_* at a temporary data dir and database; returns the data dir."""
    from monitor.settings import get_settings

    data = tmp_path / "var"
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(data))
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("TENDERWATCH_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so CI's log shows both were exercised."""
    counts: dict[str, dict[str, int]] = {"sqlite": {}, "postgresql": {}}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for db in counts:
                if f"[{db}" in nodeid or f"-{db}]" in nodeid or f"-{db}-" in nodeid:
                    counts[db][outcome] = counts[db].get(outcome, 0) + 1
    parts = []
    for db, c in counts.items():
        parts.append(f"{db}: " + (", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "none"))
    terminalreporter.write_line("database-parametrized tests — " + "; ".join(parts))
