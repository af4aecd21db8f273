"""web application: sign-in links, one-click unsubscribe times, feed keys, the search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: an external-content FTS5 table over notice_search, kept in step by triggers.
# remove_diacritics 0: "tähti" and "tahti" are different Finnish words.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE notice_search_fts USING fts5(fwd, rev, content='notice_search', "
    "content_rowid='notice_pk', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER notice_search_fts_ai AFTER INSERT ON notice_search BEGIN "
    "INSERT INTO notice_search_fts(rowid, fwd, rev) VALUES (new.notice_pk, new.fwd, new.rev); END",
    "CREATE TRIGGER notice_search_fts_ad AFTER DELETE ON notice_search BEGIN "
    "INSERT INTO notice_search_fts(notice_search_fts, rowid, fwd, rev) "
    "VALUES ('delete', old.notice_pk, old.fwd, old.rev); END",
    "CREATE TRIGGER notice_search_fts_au AFTER UPDATE ON notice_search BEGIN "
    "INSERT INTO notice_search_fts(notice_search_fts, rowid, fwd, rev) "
    "VALUES ('delete', old.notice_pk, old.fwd, old.rev); "
    "INSERT INTO notice_search_fts(rowid, fwd, rev) VALUES (new.notice_pk, new.fwd, new.rev); END",
]
PG_GIN = [
    "CREATE INDEX gin_notice_search_fwd ON notice_search USING gin (fwd)",
    "CREATE INDEX gin_notice_search_rev ON notice_search USING gin (rev)",
]


def upgrade() -> None:
    op.create_table('signin_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signin_tokens_token_hash'))
    )
    with op.batch_alter_table('signin_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_tokens_email'), ['email'], unique=False)

    terms = sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')
    op.create_table('notice_search',
    sa.Column('notice_pk', sa.Integer(), nullable=False),
    sa.Column('fwd', terms, nullable=False),
    sa.Column('rev', terms, nullable=False),
    sa.Column('indexed_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notice_pk'], ['notices.id'], name=op.f('fk_notice_search_notice_pk_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notice_pk', name=op.f('pk_notice_search'))
    )

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribed_at', db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('feed_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_subscriptions_feed_key'), ['feed_key'])

    for statement in SQLITE_FTS if op.get_bind().dialect.name == 'sqlite' else PG_GIN:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('notice_search_fts_au', 'notice_search_fts_ad', 'notice_search_fts_ai'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS notice_search_fts')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subscriptions_feed_key'), type_='unique')
        batch_op.drop_column('feed_key')
        batch_op.drop_column('unsubscribed_at')
    op.drop_table('notice_search')
    with op.batch_alter_table('signin_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_tokens_email'))
    op.drop_table('signin_tokens')
