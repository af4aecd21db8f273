"""Arrival order does not matter, and ``ingest_many`` gives the same store as ``ingest`` per item."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import RawDoc, Store
from tests.db.records import NOW, award_of, call, change_of, links, raw, snapshot


def deliveries() -> list[tuple[NoticeRecord, RawDoc]]:
    """A small crawl's worth: calls, HILMA copies, changes (both BT-758 forms), an award, a cancel."""
    out: list[tuple[NoticeRecord, RawDoc]] = []
    for i in range(12):
        rec = call(publication_number=f"{i + 100:08d}-2026", deadline=NOW + timedelta(days=i - 3))
        out.append((rec, raw(rec)))
        if i % 3 == 0:
            hilma = dataclasses.replace(rec, publication_number=None, publication_date=None)
            out.append((hilma, raw(hilma, "hilma")))
        if i % 4 == 1:
            ref = f"{i + 100}-2026" if i % 8 == 1 else None
            ch = change_of(
                rec,
                ref=ref,
                publication_number=f"{i + 500:08d}-2026",
                deadline=rec.deadline + timedelta(days=5),
            )
            out.append((ch, raw(ch)))
        if i == 2:
            aw = award_of(rec, publication_number="00000900-2026")
            out.append((aw, raw(aw)))
        if i == 4:
            cancel = change_of(rec, reasons=("cancel",), publication_number="00000901-2026")
            out.append((cancel, raw(cancel)))
    return out


def _fill(url: str, items: list[tuple[NoticeRecord, RawDoc]], batch: bool) -> tuple[dict, set]:
    maker = get_sessionmaker(url)
    with maker.begin() as session:
        store = Store(session, clock=lambda: NOW)
        results = store.ingest_many(items) if batch else [store.ingest(r, d) for r, d in items]
        assert len(results) == len(items)
    with maker() as session:
        return snapshot(session, keep_keys=False), links(session)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_gives_the_same_store(db_url: str, tmp_path, seed: int) -> None:
    items = deliveries()
    shuffled = items[:]
    random.Random(seed).shuffle(shuffled)
    from db import migrate

    reference_url = f"sqlite:///{tmp_path}/reference.sqlite"
    migrate.upgrade(reference_url)
    in_order = _fill(reference_url, items, batch=False)
    assert _fill(db_url, shuffled, batch=False) == in_order


def test_ingest_many_equals_one_by_one(db_url: str, tmp_path) -> None:
    from db import migrate

    items = deliveries()
    random.Random(9).shuffle(items)
    reference_url = f"sqlite:///{tmp_path}/reference.sqlite"
    migrate.upgrade(reference_url)
    one_by_one = _fill(reference_url, items, batch=False)
    half = len(items) // 2
    maker = get_sessionmaker(db_url)
    with maker.begin() as session:
        store = Store(session, clock=lambda: NOW)
        first = store.ingest_many(items[:half])
        assert [r.status for r in first][:3] and all(r.notice_pk for r in first)
        again = store.ingest_many(items[:half])  # a re-sent batch is all duplicates
        assert {r.status for r in again} == {"duplicate"}
        store.ingest_many(items[half:])
    with maker() as session:
        assert (snapshot(session, keep_keys=False), links(session)) == one_by_one


def test_ingest_many_takes_the_bulk_path_for_plain_new_notices(db_url: str) -> None:
    """Twenty plain calls: far fewer statements than twenty ``ingest`` calls (~7 each)."""
    from sqlalchemy import event

    from db.session import get_engine

    items = [(rec, raw(rec)) for rec in (call(publication_number=f"{i:08d}-2026") for i in range(1, 21))]
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        # Not counted: PostgreSQL's statistics upkeep, which depends on what earlier tests wrote.
        if not statement.startswith("ANALYZE") and "pg_stat_user_tables" not in statement:
            statements.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with get_sessionmaker(db_url).begin() as session:
            results = Store(session, clock=lambda: NOW).ingest_many(items)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [r.status for r in results] == ["new"] * 20
    assert len({r.procedure_pk for r in results}) == 20
    assert len(statements) < 20, "\n".join(statements)


def test_ingest_many_fills_publication_numbers_in_bulk_like_one_by_one(
    db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HILMA's copies first (no OJ S number), TED's a batch later: the bulk enrichment path."""
    from db import migrate

    teds = [call(publication_number=f"{i:08d}-2026") for i in range(1, 9)]
    hilmas = [dataclasses.replace(t, publication_number=None, publication_date=None) for t in teds]
    batches = [[(h, raw(h, "hilma")) for h in hilmas], [(t, raw(t)) for t in teds]]
    reference_url = f"sqlite:///{tmp_path}/reference.sqlite"
    migrate.upgrade(reference_url)
    one_by_one = _fill(reference_url, batches[0] + batches[1], batch=False)
    maker = get_sessionmaker(db_url)
    with maker.begin() as session:
        store = Store(session, clock=lambda: NOW)
        assert {r.status for r in store.ingest_many(batches[0])} == {"new"}
        # proof that the bulk path did it: the one-by-one path is not available
        monkeypatch.setattr(Store, "_ingest", lambda *a: pytest.fail("took the one-by-one path"))
        second = store.ingest_many(batches[1])
        assert {r.status for r in second} == {"new_source"}
    with maker() as session:
        assert (snapshot(session, keep_keys=False), links(session)) == one_by_one
        from sqlalchemy import select

        from db.models.notices import Procedure

        days = set(session.scalars(select(Procedure.first_published)))
        assert days == {teds[0].publication_date}  # the procedures learnt TED's publication date


def test_ingest_many_refreshes_planner_statistics_on_postgresql(pg_url: str) -> None:
    """A bulk load outruns autovacuum (off on some servers): ingest_many runs ANALYZE itself."""
    from sqlalchemy import func, select, text

    def last_analyze(session) -> object:  # type: ignore[no-untyped-def]
        return session.scalar(text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'notices'"))

    maker = get_sessionmaker(pg_url)
    with maker() as session:
        before = last_analyze(session)
    calls = [call(publication_number=f"{i:08d}-2026") for i in range(1, 121)]
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).ingest_many([(r, raw(r)) for r in calls[:60]])
        session.execute(select(func.pg_stat_force_next_flush()))  # the counters reach the server at commit
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).ingest_many([(r, raw(r)) for r in calls[60:]])
    with maker() as session:
        after = last_analyze(session)
    assert after is not None and (before is None or after > before)
