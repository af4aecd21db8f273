"""sources: failed documents are retried; the scheduler keeps job ids and times, not pickles

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 12:00:00

- ``document_failures``: a listed document that could not be stored, with its attempts, so
  later crawls fetch it again until a good copy arrives or the source's bound is reached
  (issue #13, point 7; db/models/failures.py).
- ``scheduler_jobs``: the service's job ids and next run times as plain columns; the jobs are
  rebuilt from the config at start (issue #13, point 8; db/models/scheduler.py).
- ``apscheduler_jobs`` is dropped: APScheduler's SQLAlchemy job store kept each job as a
  pickle, and unpickling a row is running code whoever wrote it. Its only content, the next
  run times, is not carried over: after the upgrade every job is scheduled afresh from the
  config, once.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('document_failures',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('first_failed_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('given_up_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source', 'source_id', name=op.f('pk_document_failures'))
    )
    with op.batch_alter_table('document_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_failures_given_up_at'), ['given_up_at'], unique=False)

    op.create_table('scheduler_jobs',
    sa.Column('job_id', sa.String(length=200), nullable=False),
    sa.Column('next_run_time', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.Text(), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_jobs'))
    )
    # Created by APScheduler itself (never by a migration), so it may or may not exist.
    op.execute('DROP TABLE IF EXISTS apscheduler_jobs')


def downgrade() -> None:
    # apscheduler_jobs is not restored: an older `serve` creates it again itself.
    op.drop_table('scheduler_jobs')
    with op.batch_alter_table('document_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_failures_given_up_at'))
    op.drop_table('document_failures')
