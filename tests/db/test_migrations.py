"""Migrations: models and migrations agree; each migration's data changes and downgrades."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, column, create_engine, func, insert, inspect, select, table, text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401  (registers every table)
from db import migrate
from db.base import Base, JSONType, UTCDateTime
from db.migrate import include_object
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


def test_0006_adds_the_audit_log_and_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    migrate.upgrade(url)
    assert "audit_log" in inspect(get_engine(url)).get_table_names()
    command.downgrade(migrate.alembic_config(url), "0005")
    get_engine(url).dispose()
    assert "audit_log" not in inspect(get_engine(url)).get_table_names()
    migrate.upgrade(url)
    assert "audit_log" in inspect(get_engine(url)).get_table_names()


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


def test_0005_requeues_what_the_old_code_left_failed_and_dates_unsent_calls(fresh_url: str) -> None:
    """Rows the old retry horizon ended as ``failed`` are pending again; unsent ``new`` rows
    carry their call's deadline as ``expires_at``; downgrade leaves no state 0004 lacks."""
    migrate.upgrade(fresh_url, "0004")
    deadline = "2026-12-20T12:00:00+02:00"
    # The tables as 0004 left them (the models have moved on), with the app's column types.
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
    command.downgrade(migrate.alembic_config(url), "0004")


def _hash_before_0010(data: dict) -> str:
    """``record_hash`` as it was up to 0008: source-own signals counted."""
    import hashlib
    import json

    core = {k: v for k, v in data.items() if k not in ("publication_number", "publication_date", "national")}
    blob = json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _fields_before_0010(a: dict, b: dict) -> list[str]:
    keys = (set(a) | set(b)) - {"publication_number", "publication_date", "national"}
    return sorted(k for k in keys if a.get(k) != b.get(k))


def test_0010_rehashes_and_settle_conflicts_applies_the_copies_that_differed_only_in_hilma_answers(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store the old rule filled: HILMA's copies with answers were conflicts, a HILMA-first notice
    kept a hash with its answers in it. After 0010 and ``settle-conflicts`` it is the store the new
    rule fills; a real conflict stays; downgrading brings the old hashes back."""
    import dataclasses

    from db import store as store_module
    from db.models.classification import STALE_RULES_VERSION, NoticeClassification
    from db.models.notices import Notice, NoticeConflict, NoticeSource
    from db.store import Store
    from db.store_keys import record_hash
    from tests.db.records import call, raw
    from tests.db.test_source_own import ANSWERS, hilma_copy

    migrate.upgrade(fresh_url, "0009")
    ted_first, hilma_first, real = (call(publication_number=f"{n:08d}-2026") for n in (11, 12, 13))
    moved = dataclasses.replace(hilma_copy(real), deadline=real.deadline + timedelta(days=7))
    maker = get_sessionmaker(fresh_url)
    with monkeypatch.context() as old_rule, maker.begin() as session:
        old_rule.setattr(store_module, "record_hash", _hash_before_0010)
        old_rule.setattr(store_module, "differing_fields", _fields_before_0010)
        s = Store(session, clock=lambda: NOW)
        a = s.ingest(ted_first, raw(ted_first)).notice_pk
        assert s.ingest(hilma_copy(ted_first), raw(hilma_copy(ted_first), "hilma")).status == "conflict"
        b = s.ingest(hilma_copy(hilma_first), raw(hilma_copy(hilma_first), "hilma")).notice_pk
        assert s.ingest(hilma_first, raw(hilma_first)).status == "conflict"
        c = s.ingest(real, raw(real)).notice_pk
        assert s.ingest(moved, raw(moved, "hilma")).status == "conflict"
        # The same moved deadline under another HILMA id with other answers: one more conflict
        # then; the same conflicting content as the first under the new rule.
        other = dataclasses.replace(moved, signals={**moved.signals, "hilma:innovationConsidered": ["false"]})
        assert s.ingest(other, raw(other, "hilma", "hilma-second")).status == "conflict"
        result = {"label": "none", "matcher_version": "m1"}
        label = NoticeClassification(notice_pk=a, label="none", score=0.0, rules_version="v1", result=result)
        session.add(label)
    with maker() as session:
        assert session.get(Notice, b).record_hash != record_hash(session.get(Notice, b).record)
        fields = {row.notice_pk: row.fields for row in session.scalars(select(NoticeConflict))}
        assert fields[a] == ["lots", "signals"]
        assert session.scalar(select(func.count()).select_from(NoticeConflict)) == 4

    migrate.upgrade(fresh_url)
    with maker() as session:
        notices = list(session.scalars(select(Notice)))
        assert all(n.record_hash == record_hash(n.record) for n in notices)
        conflicts = {row.notice_pk: row for row in session.scalars(select(NoticeConflict))}
        assert session.scalar(select(func.count()).select_from(NoticeConflict)) == 3
        assert all(c.record_hash == record_hash(c.record) for c in conflicts.values())
        assert {pk: row.fields for pk, row in conflicts.items()} == {a: [], b: [], c: ["deadline"]}

    with maker.begin() as session:
        stats = Store(session, clock=lambda: NOW).settle_conflicts()
        assert (stats.seen, stats.settled) == (3, 2)
    with maker.begin() as session:
        (left,) = session.scalars(select(NoticeConflict)).all()
        assert left.fields == ["deadline"] and left.source_id == raw(moved, "hilma").source_id
        sources = {(s.notice_pk, s.source) for s in session.scalars(select(NoticeSource))}
        assert {(a, "hilma"), (a, "ted"), (b, "hilma"), (b, "ted")} <= sources
        answered = session.get(Notice, a)
        assert answered.to_record().lots[0].signals == ANSWERS
        assert session.scalar(select(NoticeClassification.rules_version)) == STALE_RULES_VERSION
        numbered = session.get(Notice, b)  # TED's copy brought the OJ S number HILMA's lacked
        assert (numbered.publication_key, numbered.to_record().lots[0].signals) == ("12-2026", ANSWERS)
        s = Store(session, clock=lambda: NOW)
        assert s.ingest(hilma_first, raw(hilma_first)).status == "duplicate"
        assert s.settle_conflicts().settled == 0

    command.downgrade(migrate.alembic_config(fresh_url), "0009")
    with maker() as session:
        assert all(n.record_hash == _hash_before_0010(n.record) for n in session.scalars(select(Notice)))
