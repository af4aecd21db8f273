"""``Store.ingest_many``: the same result as calling ``ingest`` per item, with far fewer statements.

Most deliveries in a crawl are plain new notices that open their own procedure, or another
source's copy of a stored notice (perhaps adding TED's publication number, or HILMA's own
answers: ``db.store_merge``). For those the outcome is known after a few set-based look-ups
per batch, so they are written with one executemany statement per table. Everything else —
copies that add a publication number to a procedure of several notices, or add it and own
answers at once, change notices, awards, cancellations, notices joining a known procedure,
anything a waiting change notice names — goes through ``Store.ingest`` one by one afterwards.
That reorders the batch, which is fine because the store's outcome does not depend on arrival
order (that is tested).

If another process writes one of the same rows meanwhile, the bulk part rolls back to its
savepoint and the whole batch goes the one-by-one way, which handles every collision.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models.notices import Notice, NoticeSource, Procedure, RawDocument
from db.record import NoticeRecord
from db.store_keys import procedure_key, publication_key, record_hash, version_ref
from db.store_merge import has_own_content, merge_own
from db.store_rows import IngestResult, RawDoc, notice_columns, raw_document_row, single_summary
from db.store_sql import table_of
from db.store_stale import mark_derived_stale

IngestOne = Callable[[NoticeRecord, RawDoc, dict[str, Any]], IngestResult]
"""``ingest_one(record, raw, record.to_dict())``: ``Store``'s careful path for one item."""

_CHUNK = 500  # values per IN (...): under SQLite's and PostgreSQL's parameter limits
_SIMPLE_LIFECYCLES = frozenset({"planning", "call"})  # no events, no links on arrival


@dataclass
class _Item:
    index: int
    record: NoticeRecord
    raw: RawDoc
    data: dict[str, Any]
    values: dict[str, Any]
    raw_hash: str
    proc_key: str


def ingest_many(
    session: Session,
    clock: Callable[[], datetime],
    items: Iterable[tuple[NoticeRecord, RawDoc]],
    ingest_one: IngestOne,
) -> list[IngestResult]:
    """``Store.ingest_many``: what needs no per-item logic in bulk, the rest through ``ingest_one``."""
    pairs = list(items)
    prepared = [_prepare(i, rec, raw) for i, (rec, raw) in enumerate(pairs)]
    fresh, copies, enriching, merges = _classify(session, prepared)
    results: list[IngestResult | None] = [None] * len(pairs)
    if fresh or copies or enriching:
        try:
            with session.begin_nested():
                written = _bulk_write(session, clock, fresh) if fresh else {}
                for it, row in copies + enriching:
                    written[it.index] = (row[2], row[4])
                _bulk_sources(session, clock, [(it, row[2]) for it, row in copies + enriching])
                _bulk_enrich(session, clock, enriching)
                _bulk_merge(
                    session, clock, [(row[2], merges[it.index]) for it, row in copies if it.index in merges]
                )
        except IntegrityError:  # a concurrent writer got there first: take the careful path
            written = {}
        copied = {it.index for it, _ in copies + enriching}
        for index, (notice_pk, proc_pk) in written.items():
            results[index] = IngestResult("new_source" if index in copied else "new", notice_pk, proc_pk, [])
    for it in prepared:
        if results[it.index] is None:
            results[it.index] = ingest_one(it.record, it.raw, it.data)
    if session.get_bind().dialect.name == "postgresql":
        _refresh_statistics(session)
    return [r for r in results if r is not None]


_STATS_TABLES = tuple(m.__tablename__ for m in (Notice, NoticeSource, Procedure, RawDocument))


def _refresh_statistics(session: Session) -> None:
    """ANALYZE the store's tables on PostgreSQL once they have changed by 10 % since the last time.

    Autovacuum does this, but a bulk load (a backfill into a new database) outruns it, and some
    servers run with it off. With statistics of an empty table, the planner answers this
    module's ``IN (...)`` look-ups with sequential scans, and a 100,000-notice load ran at a
    third of its speed. The rule is autovacuum's default (50 rows + 10 %); the counters are the
    server's own, so several writers share the work.
    """
    conn = session.connection()
    stale = conn.execute(
        text(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE relname IN :tables AND n_mod_since_analyze > 50 + 0.1 * n_live_tup"
        ).bindparams(bindparam("tables", expanding=True)),
        {"tables": list(_STATS_TABLES)},
    ).scalars()
    for table in stale:  # names from our own models, not from input
        conn.exec_driver_sql(f'ANALYZE "{table}"')


def _prepare(index: int, record: NoticeRecord, raw: RawDoc) -> _Item:
    data = record.to_dict()
    values = notice_columns(record, data, record_hash(data), raw.source, raw.source_id)
    return _Item(
        index=index,
        record=record,
        raw=raw,
        data=data,
        values=values,
        raw_hash=hashlib.sha256(raw.content).hexdigest(),
        proc_key=procedure_key(record, raw.source, raw.source_id),
    )


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _classify(
    session: Session, items: list[_Item]
) -> tuple[list[_Item], list[tuple[_Item, Any]], list[tuple[_Item, Any]], dict[int, dict[str, Any]]]:
    """Split off what needs no per-item logic.

    ``fresh``: a new notice opening a new procedure, no events, no links.
    ``copies``: another source's identical copy of a stored notice that adds nothing to it.
    ``enriching``: such a copy that adds TED's publication number or date (see ``_plain_enrichments``).
    ``merges``: item index → the stored record with the copy's source-own content merged in
    (``db.store_merge``), for the copies that add some; an enriching copy that adds some too
    takes the careful path.
    """
    conn = session.connection()
    n, p, s, r = (m.__table__.c for m in (Notice, Procedure, NoticeSource, RawDocument))
    # Anything that occurs twice in the batch depends on the other occurrence: careful path.
    ident_count = Counter((it.values["notice_id"], it.values["version"]) for it in items)
    proc_count = Counter(it.proc_key for it in items)
    source_count = Counter((it.raw.source, it.raw.source_id) for it in items)
    candidates = [
        it
        for it in items
        if it.values["source_key"] is None  # eForms identity
        and ident_count[(it.values["notice_id"], it.values["version"])] == 1
        and source_count[(it.raw.source, it.raw.source_id)] == 1
    ]
    if not candidates:
        return [], [], [], {}
    nids = sorted({it.values["notice_id"] for it in candidates})
    stored: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(nids):
        cols = (
            n.notice_id,
            n.version,
            n.id,
            n.record_hash,
            n.procedure_pk,
            n.publication_key,
            n.publication_date,
        )
        for row in conn.execute(select(*cols).where(n.notice_id.in_(chunk))):
            stored.setdefault(row[0], {})[row[1]] = row
    # One query per source with ``source = ? AND source_id IN (...)``: PostgreSQL plans a row-value
    # IN list as hundreds of OR-ed index scans (~50 ms of planning per query), or, without fresh
    # statistics, as an index range over the whole source, rechecked row by row.
    ids_by_source: dict[str, set[str]] = {}
    for it in candidates:
        ids_by_source.setdefault(it.raw.source, set()).add(it.raw.source_id)
    taken = {
        (source, row[0])
        for table in (s, r)
        for source, ids in ids_by_source.items()
        for chunk in _chunks(sorted(ids))
        for row in conn.execute(
            select(table.source_id).where(table.source == source, table.source_id.in_(chunk))
        )
    }
    candidates = [it for it in candidates if (it.raw.source, it.raw.source_id) not in taken]

    copies, enriching = [], []
    for it in candidates:
        found = stored.get(it.values["notice_id"], {}).get(it.values["version"])
        if found is None or found[3] != it.values["record_hash"]:
            continue
        adds_number = found[5] is None and it.values["publication_key"] is not None
        adds_date = found[6] is None and it.values["publication_date"] is not None
        if not (adds_number or adds_date):
            copies.append((it, found))
        elif proc_count[it.proc_key] == 1:
            enriching.append((it, found))
    merges = _own_content_merges(conn, copies + enriching)
    enriching = _plain_enrichments(conn, [(it, row) for it, row in enriching if it.index not in merges])

    fresh = [
        it
        for it in candidates
        if it.values["notice_id"] not in stored
        and it.values["lifecycle"] in _SIMPLE_LIFECYCLES
        and it.values["changed_notice_ref"] is None
        and proc_count[it.proc_key] == 1
    ]
    keys = sorted({it.proc_key for it in fresh})
    known_procs = {
        row[0]
        for chunk in _chunks(keys)
        for row in conn.execute(select(p.procedure_key).where(p.procedure_key.in_(chunk)))
    }
    refs = sorted({k for it in fresh for k in _ref_keys(it)})
    waiting = {
        row[0]
        for chunk in _chunks(refs)
        for row in conn.execute(select(n.changed_notice_ref).where(n.changed_notice_ref.in_(chunk)))
    }
    fresh = [it for it in fresh if it.proc_key not in known_procs and not (set(_ref_keys(it)) & waiting)]
    return fresh, copies, enriching, merges


def _own_content_merges(conn: Any, items: list[tuple[_Item, Any]]) -> dict[int, dict[str, Any]]:
    """Item index → stored record with the copy's source-own content merged in, for the copies
    that bring some the stored record lacks (HILMA's answers on a notice TED brought).

    Only copies carrying own content at all cost a look at the stored record (one query per chunk).
    The rows are read locked, in id order (so two batches never wait on each other in a circle),
    for the reason ``Store._enrich`` gives: another process's merge must not be overwritten.
    """
    own = [(it, row) for it, row in items if has_own_content(it.data)]
    if not own:
        return {}
    n = Notice.__table__.c
    pks = sorted({row[2] for _, row in own})
    records = {
        row[0]: row[1]
        for chunk in _chunks(pks)
        for row in conn.execute(
            select(n.id, n.record).where(n.id.in_(chunk)).order_by(n.id).with_for_update()
        )
    }
    merged = {it.index: merge_own(records[row[2]], it.data) for it, row in own}
    return {index: record for index, record in merged.items() if record is not None}


def _bulk_merge(
    session: Session, clock: Callable[[], datetime], items: list[tuple[int, dict[str, Any]]]
) -> None:
    """Write merged records (notice pk, record), as ``Store._enrich`` does for a copy that adds
    only own content: the record changes, nothing the procedure's summary reads does, and what
    was derived from the record is marked stale (``db.store_stale``)."""
    if not items:
        return
    now = clock()
    notice_t = table_of(Notice)
    session.connection().execute(
        update(notice_t).where(notice_t.c.id == bindparam("b_pk")),
        [{"b_pk": pk, "record": record, "updated_at": now} for pk, record in items],
    )
    mark_derived_stale(session, [pk for pk, _ in items])


def _plain_enrichments(conn: Any, items: list[tuple[_Item, Any]]) -> list[tuple[_Item, Any]]:
    """Copies that only add TED's publication number/date to a notice alone in its procedure,
    with no stored change notice waiting for that number: their procedure summary is known."""
    if not items:
        return []
    n = Notice.__table__.c
    procs = sorted({row[4] for _, row in items})
    alone = {
        row[0]
        for chunk in _chunks(procs)
        for row in conn.execute(
            select(n.procedure_pk)
            .where(n.procedure_pk.in_(chunk))
            .group_by(n.procedure_pk)
            .having(func.count() == 1)
        )
    }
    keys = sorted({it.values["publication_key"] for it, _ in items if it.values["publication_key"]})
    waiting = {
        row[0]
        for chunk in _chunks(keys)
        for row in conn.execute(select(n.changed_notice_ref).where(n.changed_notice_ref.in_(chunk)))
    }
    return [(it, row) for it, row in items if row[4] in alone and it.values["publication_key"] not in waiting]


def _bulk_enrich(session: Session, clock: Callable[[], datetime], items: list[tuple[_Item, Any]]) -> None:
    """Fill the publication fields (as ``Store._enrich`` does) and re-summarise the procedures."""
    if not items:
        return
    conn = session.connection()
    now = clock()
    n = Notice.__table__.c
    pks = [row[2] for _, row in items]
    records = {
        row[0]: row[1]
        for chunk in _chunks(pks)
        for row in conn.execute(select(n.id, n.record).where(n.id.in_(chunk)))
    }
    notice_updates, proc_updates = [], []
    for it, row in items:
        merged = dict(records[row[2]])
        values = dict(it.values)
        if row[5] is None and it.values["publication_key"] is not None:
            merged["publication_number"] = it.record.publication_number
        else:
            values.update(publication_number=merged["publication_number"], publication_key=row[5])
        if row[6] is None and it.record.publication_date is not None:
            merged["publication_date"] = it.record.publication_date.isoformat()
        else:
            values["publication_date"] = row[6]
        values["record"] = merged
        notice_updates.append(
            {
                "b_pk": row[2],
                "publication_number": values["publication_number"],
                "publication_key": values["publication_key"],
                "publication_date": values["publication_date"],
                "record": merged,
                "updated_at": now,
            }
        )
        proc_updates.append({"b_pk": row[4], **single_summary(row[2], values, now), "updated_at": now})
    notice_t, proc_t = table_of(Notice), table_of(Procedure)
    conn.execute(update(notice_t).where(notice_t.c.id == bindparam("b_pk")), notice_updates)
    conn.execute(update(proc_t).where(proc_t.c.id == bindparam("b_pk")), proc_updates)


def _ref_keys(it: _Item) -> list[str]:
    keys = [version_ref(it.values["notice_id"], it.values["version"])]
    pub = publication_key(it.record.publication_number)
    return [*keys, pub] if pub else keys


def _insert(session: Session, model: Any) -> Any:
    table = model.__table__
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _allocate_ids(session: Session, model: Any, n: int) -> list[int]:
    """Primary keys for ``n`` new rows, so they can go in as one plain executemany.

    Why not ``INSERT … RETURNING``: SQLAlchemy runs a RETURNING executemany as multi-VALUES
    statements of a thousand rows, which psycopg parses on the client each time (too long for
    its statement cache): a third of a PostgreSQL bulk load. A plain executemany is parsed once
    and pipelined. On SQLite the session's ``BEGIN IMMEDIATE`` holds the write lock, so no other
    writer can take the ids above the current maximum; a collision anyway would raise
    IntegrityError, which sends the batch down the careful path.
    """
    conn = session.connection()
    table = model.__table__
    if conn.dialect.name == "postgresql":
        # A subquery, evaluated once per statement (an InitPlan), not once per row.
        sequence = select(func.pg_get_serial_sequence(table.name, "id")).scalar_subquery()
        series = select(func.nextval(sequence)).select_from(func.generate_series(1, n))
        return list(conn.execute(series).scalars())
    top = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(top + 1, top + n + 1))


def _insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with freshly allocated ids; the ids in row order."""
    ids = _allocate_ids(session, model, len(rows))
    session.connection().execute(
        _insert(session, model), [{**row, "id": pk} for row, pk in zip(rows, ids, strict=True)]
    )
    return ids


def _write_raw(session: Session, items: list[_Item]) -> list[int]:
    """The raw documents of ``items``; their ids in item order."""
    return _insert_rows(session, RawDocument, [raw_document_row(it.raw, it.raw_hash) for it in items])


def _bulk_sources(session: Session, clock: Callable[[], datetime], items: list[tuple[_Item, int]]) -> None:
    """Raw documents and source rows for copies of notices already stored (``new_source``)."""
    if not items:
        return
    raw_ids = _write_raw(session, [it for it, _ in items])
    now = clock()
    session.connection().execute(
        _insert(session, NoticeSource),
        [
            {
                "notice_pk": notice_pk,
                "source": it.raw.source,
                "source_id": it.raw.source_id,
                "url": it.raw.url,
                "first_seen_at": now,
                "raw_document_pk": raw_pk,
            }
            for (it, notice_pk), raw_pk in zip(items, raw_ids, strict=True)
        ],
    )


def _bulk_write(
    session: Session, clock: Callable[[], datetime], items: list[_Item]
) -> dict[int, tuple[int, int]]:
    """One executemany INSERT per table for the simple items: ``index → (notice pk, procedure pk)``."""
    conn = session.connection()
    now = clock()
    raw_ids = _write_raw(session, items)
    proc_t = table_of(Procedure)
    proc_rows = []
    for it in items:
        summary = single_summary(0, it.values, now)
        summary.pop("latest_notice_pk")
        proc_rows.append({"procedure_key": it.proc_key, **summary, "created_at": now, "updated_at": now})
    proc_ids = _insert_rows(session, Procedure, proc_rows)
    notice_rows = [
        {
            **it.values,
            "procedure_pk": proc_pk,
            "changes_notice_pk": None,
            "superseded_by_pk": None,
            "raw_document_pk": raw_pk,
            "content_hash": it.raw_hash,
            "first_seen_at": now,
            "updated_at": now,
        }
        for it, raw_pk, proc_pk in zip(items, raw_ids, proc_ids, strict=True)
    ]
    notice_ids = _insert_rows(session, Notice, notice_rows)
    conn.execute(
        _insert(session, NoticeSource),
        [
            {
                "notice_pk": notice_pk,
                "source": it.raw.source,
                "source_id": it.raw.source_id,
                "url": it.raw.url,
                "first_seen_at": now,
                "raw_document_pk": raw_pk,
            }
            for it, notice_pk, raw_pk in zip(items, notice_ids, raw_ids, strict=True)
        ],
    )
    conn.execute(
        update(proc_t).where(proc_t.c.id == bindparam("b_pk")).values(latest_notice_pk=bindparam("b_latest")),
        [
            {"b_pk": proc_pk, "b_latest": notice_pk}
            for proc_pk, notice_pk in zip(proc_ids, notice_ids, strict=True)
        ],
    )
    return {
        it.index: (notice_pk, proc_pk)
        for it, notice_pk, proc_pk in zip(items, notice_ids, proc_ids, strict=True)
    }
