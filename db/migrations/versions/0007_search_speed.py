"""search: indexes in the order each search sort reads notices (the web benchmark's searches)

A search for a common word (``palvelu`` is in a fifth of the notices) used to fetch every hit
and sort them all by date to keep 20: 2.5 s p95 on SQLite and 31 s on PostgreSQL with a million
notices (bench/bench_web.py). ``monitor.search.query`` now walks the current notices in the
page's order and probes the word index per notice when the capped count says matches are
common, and stops at the page. These indexes are that walk, one per sort, over current notices
only (``superseded_by_pk IS NULL``, as every search asks), in exactly the ORDER BY the query
writes for its dialect:

- PostgreSQL sorts NULL first in DESC, so the query writes ``NULLS LAST`` and so do the indexes;
- SQLite sorts NULL smallest, so ``DESC`` already puts it last; the deadline sort (ascending,
  NULL last) keeps its ``deadline IS NULL`` term and gets an index on that expression.

They are dialect-specific (expressions, NULLS LAST), so the models do not declare them and
``db.migrate.include_object`` leaves them out of the model comparison (prefix ``ix_search_``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "WHERE superseded_by_pk IS NULL"
SQLITE = [
    f"CREATE INDEX ix_search_newest ON notices (publication_date DESC, id DESC) {CURRENT}",
    f"CREATE INDEX ix_search_deadline ON notices ((deadline IS NULL), deadline, id DESC) {CURRENT}",
    f"CREATE INDEX ix_search_value ON notices (estimated_value_amount DESC, id DESC) {CURRENT}",
]
POSTGRES = [
    f"CREATE INDEX ix_search_newest ON notices (publication_date DESC NULLS LAST, id DESC) {CURRENT}",
    f"CREATE INDEX ix_search_deadline ON notices (deadline ASC NULLS LAST, id DESC) {CURRENT}",
    f"CREATE INDEX ix_search_value ON notices (estimated_value_amount DESC NULLS LAST, id DESC) {CURRENT}",
]
NAMES = ("ix_search_newest", "ix_search_deadline", "ix_search_value")


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    for name in NAMES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
