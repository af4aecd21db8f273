"""The single initial migration builds the schema on both databases and matches the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import db.models  # noqa: F401  (registers every table)
from db import migrate
from db.base import Base
from db.session import get_engine

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
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = list(compare_metadata(ctx, Base.metadata))
    assert diff == []  # no exception for APScheduler's table any more: 0002 drops it


def test_0002_drops_the_pickled_job_table(tmp_path: Path) -> None:
    """A database that an older ``serve`` used holds APScheduler's pickled jobs: 0002 drops them."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    migrate.upgrade(url, "0001")
    with get_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, job_state BLOB)"))
    migrate.upgrade(url)
    tables = set(inspect(get_engine(url)).get_table_names())
    assert "apscheduler_jobs" not in tables and {"scheduler_jobs", "document_failures"} <= tables


def test_0002_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.sqlite'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "0001")
    tables = set(inspect(get_engine(url)).get_table_names())
    assert not {"scheduler_jobs", "document_failures"} & tables and "notices" in tables
