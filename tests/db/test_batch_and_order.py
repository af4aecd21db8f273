"""Arrival order does not matter, and ``ingest_many`` gives the same store as ``ingest`` per item."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest

from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import RawDoc, Store
from scrapers.pipelines import merge_signals
from tests.db.records import NOW, award_of, call, change_of, links, raw, snapshot


def with_answers(record: NoticeRecord) -> NoticeRecord:
    """HILMA's national extension and statistics answers, as the pipeline adds them."""
    record = dataclasses.replace(record, national={"FI-20": True})
    lot = {"hilma:innovationConsidered": ["true"], "hilma:solutionNewToBuyer": ["false"]}
    return merge_signals(record, {"hilma:FI-20": ["true"]}, {record.lots[0].lot_id: lot})


def deliveries() -> list[tuple[NoticeRecord, RawDoc]]:
    """A small crawl's worth: calls, HILMA copies, changes (both BT-758 forms), an award, a cancel."""
    out: list[tuple[NoticeRecord, RawDoc]] = []
    for i in range(12):
        rec = call(publication_number=f"{i + 100:08d}-2026", deadline=NOW + timedelta(days=i - 3))
        out.append((rec, raw(rec)))
        if i % 3 == 0:
            # HILMA's copy: no OJ S number yet, and its own answers, which the notice gains
            # whichever copy comes first (db/store_merge.py).
            hilma = with_answers(dataclasses.replace(rec, publication_number=None, publication_date=None))
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


def _derived(session) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Notice id → (classification rules version, notice-level declaration rule version)."""
    from sqlalchemy import select

    from db.models.classification import NoticeClassification
    from db.models.declarations import NoticeDeclaration
    from db.models.notices import Notice

    nc, nd = NoticeClassification, NoticeDeclaration
    rows = session.execute(
        select(Notice.notice_id, nc.rules_version, nd.rule_version)
        .join(nc, nc.notice_pk == Notice.id)
        .join(nd, nd.notice_pk == Notice.id)
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _classified(session) -> None:  # type: ignore[no-untyped-def]
    """Stand-ins for the processing step's rows: every notice classified and declared under "v1"."""
    from sqlalchemy import insert, select

    from db.models.classification import NoticeClassification
    from db.models.declarations import NoticeDeclaration
    from db.models.notices import Notice

    for pk in session.scalars(select(Notice.id)):
        label = {"label": "none", "score": 0.0, "rules_version": "v1", "classified_at": NOW}
        session.execute(
            insert(NoticeClassification).values(notice_pk=pk, result={"matcher_version": "m1"}, **label)
        )
        declared = {"answers": {}, "declared": False, "matched": [], "rule_version": "v1", "changed_at": NOW}
        session.execute(insert(NoticeDeclaration).values(notice_pk=pk, lot_id="", **declared))


def _fill_processed_then(
    url: str, first: list[NoticeRecord], second: list[tuple[NoticeRecord, RawDoc]], *, batch: bool
) -> tuple[tuple[dict, set, dict], list[str | None]]:
    """``first`` (TED's) stored and processed, then ``second``; the store, and the notices of
    ``second`` that took the one-by-one path."""
    maker = get_sessionmaker(url)
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).ingest_many([(t, raw(t)) for t in first])
        _classified(session)
    careful: list[str | None] = []
    with maker.begin() as session:
        store = Store(session, clock=lambda: NOW)
        one = store._ingest

        def counted(record: NoticeRecord, doc: RawDoc, data: dict) -> object:
            careful.append(record.notice_id)
            return one(record, doc, data)

        store._ingest = counted  # type: ignore[method-assign]
        results = store.ingest_many(second) if batch else [store.ingest(r, d) for r, d in second]
        assert {r.status for r in results} == {"new_source"}
    with maker() as session:
        return (snapshot(session, keep_keys=False), links(session), _derived(session)), careful


def test_ingest_many_merges_hilma_answers_like_one_by_one(db_url: str, tmp_path) -> None:
    """TED's copies first and processed; HILMA's a batch later: the ones that bring answers change
    the record and make classification and declaration stale, the one that brings none does not."""
    from db import migrate

    teds = [call(publication_number=f"{i:08d}-2026") for i in range(1, 7)]
    brings = {t.notice_id for i, t in enumerate(teds) if i % 3}
    hilmas = [with_answers(t) if t.notice_id in brings else dataclasses.replace(t, national={}) for t in teds]
    second = [(h, raw(h, "hilma")) for h in hilmas]
    reference_url = f"sqlite:///{tmp_path}/reference.sqlite"
    migrate.upgrade(reference_url)
    one_by_one, _ = _fill_processed_then(reference_url, teds, second, batch=False)
    batched, careful = _fill_processed_then(db_url, teds, second, batch=True)
    assert batched == one_by_one
    assert careful == []  # copies with answers and without: all on the bulk path
    stale = {t.notice_id for t in teds if batched[2][t.notice_id] == ("stale", "stale")}
    assert stale == brings and set(batched[2].values()) == {("stale", "stale"), ("v1", "v1")}
    notices = {n["notice_id"]: n["record"] for n in batched[0]["notices"]}
    some = next(iter(brings))
    assert notices[some]["lots"][0]["signals"]["hilma:innovationConsidered"] == ["true"]
    answered = {pk for pk, record in notices.items() if "hilma:innovationConsidered" in record["signals"]}
    assert answered == brings


def test_a_copy_adding_a_publication_number_and_answers_goes_one_by_one(db_url: str, tmp_path) -> None:
    from db import migrate

    teds = [call(publication_number=f"{i:08d}-2026") for i in range(1, 4)]
    unnumbered = [dataclasses.replace(t, publication_number=None, publication_date=None) for t in teds]
    second = [(with_answers(t), raw(with_answers(t), "hilma")) for t in teds]
    reference_url = f"sqlite:///{tmp_path}/reference.sqlite"
    migrate.upgrade(reference_url)
    one_by_one, _ = _fill_processed_then(reference_url, unnumbered, second, batch=False)
    batched, careful = _fill_processed_then(db_url, unnumbered, second, batch=True)
    assert batched == one_by_one
    assert sorted(careful, key=str) == sorted((t.notice_id for t in teds), key=str)
    assert set(batched[2].values()) == {("stale", "stale")}
    assert {n["publication_number"] for n in batched[0]["notices"]} == {t.publication_number for t in teds}
