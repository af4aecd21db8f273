"""outbox: temporary and permanent failures, an expiry, the expired state (issue #13)

A temporary failure (server unreachable, 4xx) no longer ends a row after eight attempts: the
row stays ``pending`` and is retried until it stops mattering (``expires_at``, or the
service's maximum age), when it becomes ``expired``. Only a permanent failure (5xx for its
recipient, an address that cannot be encoded) leaves a row ``failed``.

Data: rows the old code left ``failed`` were all treated as temporary (it retried every
failure, then gave up after eight), so they become ``pending`` again, to be retried once: a
5xx refusal then ends them as ``failed`` for good, an alert past its time as ``expired``.
Unsent ``new`` and ``reminder`` rows get their call's deadline from the frozen payload.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this migration knows it (never the live model, which later migrations change).
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("state", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("next_attempt_at", db.base.UTCDateTime(timezone=True)),
    sa.column("claim_token", sa.String),
    sa.column("failure_kind", sa.String),
    sa.column("expires_at", db.base.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("expires_at", db.base.UTCDateTime(timezone=True), nullable=True))

    conn = op.get_bind()
    now = datetime.now(UTC)  # a migration runs outside the app's clock; "due now" is what it means
    conn.execute(
        outbox.update()
        .where(outbox.c.state == "failed")
        .values(
            state="pending",
            failure_kind="temporary",
            claim_token=None,
            next_attempt_at=sa.func.coalesce(outbox.c.next_attempt_at, now),
        )
    )
    unsent = conn.execute(
        sa.select(outbox.c.id, outbox.c.payload).where(
            outbox.c.state.in_(("pending", "sending", "held")), outbox.c.kind.in_(("new", "reminder"))
        )
    ).all()
    for row_id, payload in unsent:
        deadline = _deadline(payload)
        if deadline is not None:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(expires_at=deadline))


def _deadline(payload: object) -> datetime | None:
    notice = payload.get("notice") if isinstance(payload, dict) else None
    text = notice.get("deadline") if isinstance(notice, dict) else None
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def downgrade() -> None:
    conn = op.get_bind()
    # The old code knows no "expired": a final failure is the nearest it has.
    conn.execute(
        outbox.update().where(outbox.c.state == "expired").values(state="failed", next_attempt_at=None)
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("failure_kind")
