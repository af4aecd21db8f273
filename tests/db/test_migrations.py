"""The single initial migration builds the schema on both databases and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import db.models  # noqa: F401  (registers every table)
from db.base import Base
from db.migrate import include_object
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
}


def test_migrated_schema_has_the_store_tables(db_url: str) -> None:
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert tables >= STORE_TABLES, STORE_TABLES - tables


def test_models_match_the_migration(db_url: str) -> None:
    """``alembic check``: autogenerate against the migrated DB finds nothing to change."""
    with get_engine(db_url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []
