"""record hashes without source-own signals: HILMA's answers no longer make its copy a conflict

``record_hash`` now leaves out signal keys with a ``source:`` prefix (``hilma:innovationConsidered``),
record level and per lot, as it already left out the per-source fields
(docs/architecture.md#identity). A record without such keys hashes as before, so only rows whose
record mentions ``hilma:`` (the one source that writes such keys) are read; their hash is
recomputed with the function below, a copy: a migration keeps meaning what it meant when the
code moves on.

Conflict rows get the same treatment: their ``record_hash`` (which makes a re-sent conflict one
row) and their ``fields`` are recomputed. Two conflict rows of one notice that are now equal are
one conflict: the later one goes (its raw document stays). Conflict rows that are no conflict at
all under the new rule (a copy that differed only in its source-own signals) are left for
``tenderwatch settle-conflicts``, which applies each as the store would apply that copy today
(source row, merged answers, TED's publication number and the change notices waiting for it):
that is the store's own logic, which a migration must not import.

Downgrade: hashes computed the old way again; settled conflicts stay settled.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000  # rows per read: bounded memory (records are JSON), few round trips
MENTIONS = "%hilma:%"  # the only source that writes source-own signal keys (scrapers/spiders/hilma.py)

# The tables as this migration knows them (never the live models, which later migrations change).
notices = sa.table(
    "notices",
    sa.column("id", sa.Integer),
    sa.column("record_hash", sa.String),
    sa.column("record", db.base.JSONType),
)
conflicts = sa.table(
    "notice_conflicts",
    sa.column("id", sa.Integer),
    sa.column("notice_pk", sa.Integer),
    sa.column("record_hash", sa.String),
    sa.column("record", db.base.JSONType),
    sa.column("fields", db.base.JSONType),
)

PER_SOURCE_FIELDS = ("publication_number", "publication_date", "national")


def _own(key: str) -> bool:
    return ":" in key


def _shared(data: dict[str, Any]) -> dict[str, Any]:
    """The record without per-source fields and source-own signal keys (record level and lots)."""
    core = {k: v for k, v in data.items() if k not in PER_SOURCE_FIELDS}
    if core.get("signals"):
        core["signals"] = {k: v for k, v in core["signals"].items() if not _own(k)}
    if core.get("lots"):
        core["lots"] = [
            {**lot, "signals": {k: v for k, v in lot["signals"].items() if not _own(k)}}
            if lot.get("signals")
            else lot
            for lot in core["lots"]
        ]
    return core


def _old_shared(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in PER_SOURCE_FIELDS}


def _hash(core: dict[str, Any]) -> str:
    blob = json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _fields(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _mentions(column: Any) -> Any:
    return sa.cast(column, sa.Text).like(MENTIONS)


def _rehash_notices(conn: Any, shared: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    last = 0
    while True:
        rows = conn.execute(
            sa.select(notices.c.id, notices.c.record_hash, notices.c.record)
            .where(notices.c.id > last, _mentions(notices.c.record))
            .order_by(notices.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        for pk, old, record in rows:
            new = _hash(shared(record or {}))
            if new != old:
                conn.execute(notices.update().where(notices.c.id == pk).values(record_hash=new))


def _rehash_conflicts(conn: Any, shared: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Every conflict row (few: a conflict is rare), as its notice's record may be what mentions
    HILMA. Planned first and written after, duplicates deleted before any hash changes, so no
    update meets the unique (notice, hash) of a row that is about to go."""
    last = 0
    seen: set[tuple[int, str]] = set()
    duplicates: list[int] = []
    changes: list[dict[str, Any]] = []
    while True:
        rows = conn.execute(
            sa.select(conflicts.c.id, conflicts.c.notice_pk, conflicts.c.record_hash, conflicts.c.record)
            .where(conflicts.c.id > last)
            .order_by(conflicts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        pks = sorted({r[1] for r in rows})
        stored = dict(
            conn.execute(sa.select(notices.c.id, notices.c.record).where(notices.c.id.in_(pks))).all()
        )
        for pk, notice_pk, old, record in rows:
            mine = shared(record or {})
            new = _hash(mine)
            if (notice_pk, new) in seen:  # the same conflicting content as an earlier row, now
                duplicates.append(pk)
                continue
            seen.add((notice_pk, new))
            changes.append(
                {"b_id": pk, "b_hash": new, "b_fields": _fields(shared(stored.get(notice_pk) or {}), mine)}
            )
    for start in range(0, len(duplicates), BATCH):
        conn.execute(conflicts.delete().where(conflicts.c.id.in_(duplicates[start : start + BATCH])))
    if changes:
        conn.execute(
            conflicts.update()
            .where(conflicts.c.id == sa.bindparam("b_id"))
            .values(record_hash=sa.bindparam("b_hash"), fields=sa.bindparam("b_fields")),
            changes,
        )


def upgrade() -> None:
    conn = op.get_bind()
    _rehash_notices(conn, _shared)
    _rehash_conflicts(conn, _shared)


def downgrade() -> None:
    conn = op.get_bind()
    _rehash_notices(conn, _old_shared)
    _rehash_conflicts(conn, _old_shared)
