"""Fast single-row statements for the store's hot path.

Why not ``insert(Model).values(**row)``: SQLAlchemy then embeds the values in the statement
and builds its cache key over them — including a notice's whole JSON record — and goes
through the ORM bulk path; profiling showed that at 4 ms per statement. These statements are
built once per table against the Core ``Table`` and take the row as execution parameters,
so the compiled SQL is cached and reused. They run on the session's Core connection, skipping
the ORM execution layer (the store reads columns, never entities).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import CursorResult, Result, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from db.base import Base
from db.models.notices import Notice, NoticeDiff, Procedure, RawDocument


def table_of(model: type[Base]) -> Table:
    """A model's Core ``Table`` (SQLAlchemy types ``__table__`` as any ``FromClause``)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE run through ``Session.execute`` matched. That is typed to return a
    ``Result``; for an UPDATE it is a ``CursorResult``, the kind that has ``rowcount``."""
    assert isinstance(result, CursorResult)
    return result.rowcount


@cache
def _insert_ignore_stmt(dialect: str, table: Table) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def insert_ignore(session: Session, model: type[Base], row: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None if a unique key existed."""
    stmt = _insert_ignore_stmt(session.get_bind().dialect.name, table_of(model))
    return session.connection().execute(stmt, row).scalar_one_or_none()


@cache
def _update_stmt(table: Table) -> Update:
    # "b_pk", not "id": Core reserves the column names for the SET clause.
    return update(table).where(table.c.id == bindparam("b_pk"))


def update_by_pk(session: Session, model: type[Base], pk: int, values: dict[str, Any]) -> int:
    """UPDATE one row by primary key, setting ``values``; returns the rows matched (0 or 1)."""
    return session.connection().execute(_update_stmt(table_of(model)), {"b_pk": pk, **values}).rowcount


@cache
def _supersede_stmt(table: Table) -> Update:
    return update(table).where(table.c.id == bindparam("b_pk"), table.c.superseded_by_pk.is_(None))


def supersede(session: Session, base_pk: int, change_pk: int, now: Any) -> None:
    """Mark ``base_pk`` superseded by ``change_pk`` unless another change superseded it first."""
    session.connection().execute(
        _supersede_stmt(table_of(Notice)), {"b_pk": base_pk, "superseded_by_pk": change_pk, "updated_at": now}
    )


# ---------------------------------------------------------------------------------- queries
def _queries() -> dict[str, Any]:
    n, p, r, d = Notice.__table__.c, Procedure.__table__.c, RawDocument.__table__.c, NoticeDiff.__table__.c
    existing = (n.id, n.record_hash, n.procedure_pk, n.publication_key, n.publication_date)
    return {
        "notice_by_version": select(*existing).where(
            n.notice_id == bindparam("nid"), n.version == bindparam("ver")
        ),
        "notice_by_source_key": select(*existing).where(n.source_key == bindparam("key")),
        "base_by_version": select(n.id, n.record, n.procedure_pk)
        .where(n.notice_id == bindparam("nid"), n.version == bindparam("ver"))
        .limit(1),
        "base_by_publication": select(n.id, n.record, n.procedure_pk)
        .where(n.publication_key == bindparam("pub"))
        .limit(1),
        "changes_naming": select(n.id, n.changes_notice_pk, n.procedure_pk).where(
            n.changed_notice_ref.in_(bindparam("refs", expanding=True))
        ),
        "record": select(n.record).where(n.id == bindparam("pk")),
        # PostgreSQL: the row stays locked until commit, so two copies merged into one notice at
        # once take turns and the second merges into the first's result (SQLite writers already do).
        "record_for_update": select(n.record).where(n.id == bindparam("pk")).with_for_update(),
        "changes_notice": select(n.changes_notice_pk).where(n.id == bindparam("pk")),
        "raw_owner": select(n.raw_document_pk).where(n.id == bindparam("pk")),
        "raw_error": select(r.parse_error).where(r.id == bindparam("pk")),
        "raw_url": select(r.url).where(r.id == bindparam("pk")),
        "diffs_of": select(d.id, d.notice_pk, d.base_notice_pk).where(
            (d.notice_pk == bindparam("pk")) | (d.base_notice_pk == bindparam("pk"))
        ),
        "raw_by_hash": select(r.id, r.parse_error).where(
            r.source == bindparam("source"),
            r.source_id == bindparam("sid"),
            r.content_hash == bindparam("hash"),
        ),
        "procedure_by_key": select(p.id).where(p.procedure_key == bindparam("key")),
        "procedure_of_publication": select(n.procedure_pk)
        .where(n.publication_key == bindparam("pub"))
        .order_by(n.id)
        .limit(1),
    }


QUERIES: dict[str, Any] = {}


def query(session: Session, name: str, **params: Any) -> Any:
    """Run one of the store's prebuilt SELECTs (compiled once, cached) on the session's connection."""
    if not QUERIES:
        QUERIES.update(_queries())
    return session.connection().execute(QUERIES[name], params)
