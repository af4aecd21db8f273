"""declared innovation: notice_declarations, and report_procedures.declared in the covering index

Revision ID: 0003
Revises: 0002 (the web tables)
Create Date: 2026-12-05

The buyer's declared innovation per notice and lot (issue #16), stored apart from the
classifier's label. Existing report rows get ``declared`` NULL; they are re-derived as soon as
the processing step has written the notices' declarations (``monitor.reports.facts`` treats a
declaration newer than a row as making it stale). The report's covering index is rebuilt with
``declared`` after ``label``, so the aggregation still reads the index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_pk", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.String(length=64), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.Column(
            "matched",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule_version", sa.String(length=16), nullable=False),
        sa.Column("changed_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_pk"],
            ["notices.id"],
            name=op.f("fk_notice_declarations_notice_pk_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_declarations")),
        sa.UniqueConstraint("notice_pk", "lot_id", name=op.f("uq_notice_declarations_notice_pk_lot_id")),
    )
    with op.batch_alter_table("notice_declarations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_declarations_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notice_declarations_rule_version"), ["rule_version"], unique=False
        )

    with op.batch_alter_table("report_procedures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("declared_notice_pk", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_report_procedures_aggregate")
        batch_op.create_index(
            "ix_report_procedures_aggregate",
            [
                "area",
                "label",
                "declared",
                "cancelled",
                "period_month",
                "period_date",
                "value_currency",
                "value_amount",
                "n_call",
                "n_change",
                "n_award",
                "n_cancel",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("report_procedures", schema=None) as batch_op:
        batch_op.drop_index("ix_report_procedures_aggregate")
        batch_op.create_index(
            "ix_report_procedures_aggregate",
            [
                "area",
                "label",
                "cancelled",
                "period_month",
                "period_date",
                "value_currency",
                "value_amount",
                "n_call",
                "n_change",
                "n_award",
                "n_cancel",
            ],
            unique=False,
        )
        batch_op.drop_column("declared_notice_pk")
        batch_op.drop_column("declared")

    with op.batch_alter_table("notice_declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_declarations_rule_version"))
        batch_op.drop_index(batch_op.f("ix_notice_declarations_changed_at"))

    op.drop_table("notice_declarations")
