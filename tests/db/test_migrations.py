"""The single initial migration builds the schema on both databases and matches the models."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401  (registers every table)
from db import migrate
from db.base import Base
from db.migrate import include_object
from db.session import get_engine
from tests.conftest import PG_ADMIN_URL

STORE_TABLES = {
    "raw_documents",
    "notices",
    "notice_sources",
    "notice_conflicts",
    "notice_diffs",
    "procedures",
    "procedure_events",
    "crawl_runs",
    "source_watermarks",
    "document_failures",
    "scheduler_jobs",
}


def test_migrated_schema_has_the_store_tables(db_url: str) -> None:
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert tables >= STORE_TABLES, STORE_TABLES - tables


def test_models_match_the_migration(db_url: str) -> None:
    """``alembic check``: autogenerate against the migrated DB finds nothing to change."""
    with get_engine(db_url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = list(compare_metadata(ctx, Base.metadata))
    assert diff == []


def test_0004_drops_the_pickled_job_table(tmp_path: Path) -> None:
    """A database that an older ``serve`` used holds APScheduler's pickled jobs: 0004 drops them."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    migrate.upgrade(url, "0003")
    with get_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, job_state BLOB)"))
    migrate.upgrade(url)
    tables = set(inspect(get_engine(url)).get_table_names())
    assert "apscheduler_jobs" not in tables and {"scheduler_jobs", "document_failures"} <= tables


def test_0004_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.sqlite'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "0003")
    tables = set(inspect(get_engine(url)).get_table_names())
    assert not {"scheduler_jobs", "document_failures"} & tables and "notices" in tables


def test_two_processes_migrating_at_once_take_turns(pg_url: str) -> None:
    """Two ``run --once`` after an upgrade both apply the migrations: the second waits (issue #13)."""
    name = f"tenderwatch_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            subprocess.run(
                [sys.executable, "-c", f"from db import migrate; migrate.upgrade({url!r})"],
                check=True,
                capture_output=True,
                timeout=300,
            )
        except subprocess.CalledProcessError as exc:
            errors.append(RuntimeError(exc.stderr.decode()[-2000:]))

    try:
        threads = [threading.Thread(target=upgrade) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(310)
        assert errors == []
        assert migrate.current_revision(url) == migrate.head_revision(url)
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
