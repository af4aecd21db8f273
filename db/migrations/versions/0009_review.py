"""review_verdicts and reader_feedback: admins' verdicts and readers' answers on notices (issue #15)

``review_verdicts``: one current verdict per notice (unique ``notice_pk``), gone with its notice.
``reader_feedback``: one current answer per (subscriber, notice); gone with its notice, kept
without the person when the subscriber is deleted (``SET NULL``: the answer is about the notice,
and the rule quality figures should not move because someone left). Downgrading drops both.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_pk", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("label_then", sa.String(length=16), nullable=True),
        sa.Column("score_then", sa.Float(), nullable=True),
        sa.Column("reviewer", sa.String(length=320), nullable=False),
        sa.Column("decided_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_pk"], ["notices.id"], name=op.f("fk_review_verdicts_notice_pk_notices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_verdicts")),
        sa.UniqueConstraint("notice_pk", name=op.f("uq_review_verdicts_notice_pk")),
    )
    op.create_index(op.f("ix_review_verdicts_decided_at"), "review_verdicts", ["decided_at"], unique=False)
    op.create_table(
        "reader_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("notice_pk", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("label_then", sa.String(length=16), nullable=True),
        sa.Column("answered_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_pk"], ["notices.id"], name=op.f("fk_reader_feedback_notice_pk_notices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_reader_feedback_subscriber_id_subscribers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reader_feedback")),
        sa.UniqueConstraint("subscriber_id", "notice_pk", name=op.f("uq_reader_feedback_subscriber_id_notice_pk")),
    )
    op.create_index(op.f("ix_reader_feedback_notice_pk"), "reader_feedback", ["notice_pk"], unique=False)
    op.create_index(op.f("ix_reader_feedback_subscriber_id"), "reader_feedback", ["subscriber_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reader_feedback_subscriber_id"), table_name="reader_feedback")
    op.drop_index(op.f("ix_reader_feedback_notice_pk"), table_name="reader_feedback")
    op.drop_table("reader_feedback")
    op.drop_index(op.f("ix_review_verdicts_decided_at"), table_name="review_verdicts")
    op.drop_table("review_verdicts")
