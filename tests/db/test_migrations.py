"""The single initial migration builds the schema on both databases and matches the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, column, create_engine, insert, inspect, select, table, text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401  (registers every table)
from db import migrate
from db.base import Base, JSONType, UTCDateTime
from db.models.alerts import OutboxMessage
from db.session import get_engine, get_sessionmaker
from tests.conftest import NOW, PG_ADMIN_URL

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
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(ctx, Base.metadata) if not _ignored(d)]
    assert diff == []


def _ignored(change: object) -> bool:
    # APScheduler's own job table is created by APScheduler, not by our migrations.
    text = repr(change)
    return "apscheduler_jobs" in text


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the suite's shared one stays at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    request.getfixturevalue("_pg_database")  # skips (or fails under CI) without a server
    name = f"tenderwatch_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0002_requeues_what_the_old_code_left_failed_and_dates_unsent_calls(fresh_url: str) -> None:
    """Rows the old retry horizon ended as ``failed`` are pending again; unsent ``new`` rows
    carry their call's deadline as ``expires_at``; downgrade leaves no state 0001 lacks."""
    migrate.upgrade(fresh_url, "0001")
    deadline = "2026-12-20T12:00:00+02:00"
    # The tables as 0001 made them (the models have moved on), with the app's column types.
    subscribers = table(
        "subscribers",
        *(column(c) for c in ("id", "email", "name", "kind", "language", "delivery", "enabled")),
        column("digest_hour"),
        column("digest_weekday"),
        column("reminder_days", JSON()),
        column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    outbox = table(
        "outbox",
        *(column(c) for c in ("id", "subscriber_id", "kind", "procedure_key", "ref", "state", "attempts")),
        column("payload", JSONType),
        column("next_attempt_at", UTCDateTime()),
        column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    with get_engine(fresh_url).begin() as conn:
        conn.execute(
            insert(subscribers).values(
                id=1, email="a@example.org", name="", kind="company", language="fi", delivery="instant",
                enabled=True, digest_hour=7, digest_weekday=0, reminder_days=[], created_at=NOW,
                updated_at=NOW,
            )
        )  # fmt: skip
        for row_id, kind, state, next_at in [
            (1, "new", "failed", None),  # gave up after eight attempts
            (2, "update", "failed", NOW),  # still backing off
            (3, "new", "pending", None),
            (4, "new", "sent", None),
        ]:
            conn.execute(
                insert(outbox).values(
                    id=row_id, subscriber_id=1, kind=kind, procedure_key=f"p{row_id}", ref="", state=state,
                    attempts=8, payload={"notice": {"deadline": deadline}}, next_attempt_at=next_at,
                    created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
    migrate.upgrade(fresh_url)
    with get_sessionmaker(fresh_url)() as session:
        rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
        assert (rows[1].state, rows[1].failure_kind) == ("pending", "temporary")
        assert rows[1].next_attempt_at is not None
        assert (rows[2].state, rows[2].next_attempt_at) == ("pending", NOW)
        assert rows[3].expires_at == datetime.fromisoformat(deadline)
        assert rows[2].expires_at is None  # an update is not about the deadline
        assert (rows[4].state, rows[4].expires_at) == ("sent", None)
        session.execute(text("UPDATE outbox SET state = 'expired' WHERE id = 3"))
        session.commit()
    _downgrade(fresh_url)
    with get_engine(fresh_url).connect() as conn:
        assert conn.execute(text("SELECT state FROM outbox WHERE id = 3")).scalar() == "failed"


def _downgrade(url: str) -> None:
    command.downgrade(migrate.alembic_config(url), "0001")
