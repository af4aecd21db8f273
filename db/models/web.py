"""Tables the web application adds: sign-in links and the word index behind search.

Sign-in links are single-use and short-lived, and only a hash of each is stored: whoever reads
the database cannot sign in as anyone. The address is kept rather than a subscriber id, since a
new person's first link creates their subscriber only when they use it.

``NoticeSearch`` holds, per notice, the forms of its words (surface and lemmas, as the keyword
matcher sees them) and the same forms reversed, so a word found as a prefix of a form or as
the end of one (a compound's head) is an index look-up on both databases. On PostgreSQL the
columns are ``tsvector`` with GIN indexes; on SQLite they are text behind an FTS5 table
(``notice_search_fts``). The migration creates those dialect-specific parts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.clock import utcnow

SearchTerms = Text().with_variant(TSVECTOR(), "postgresql")
"""Space-separated index terms: a ``tsvector`` on PostgreSQL, text read by FTS5 on SQLite."""


class SigninToken(Base):
    __tablename__ = "signin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex of the token in the emailed link; the token itself is never stored."""
    email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class NoticeSearch(Base):
    __tablename__ = "notice_search"

    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    fwd: Mapped[str] = mapped_column(SearchTerms)
    """Forms of the notice's words (title, description, additional information, lots)."""
    rev: Mapped[str] = mapped_column(SearchTerms)
    """The same forms, each written backwards: a suffix query becomes a prefix query."""
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)
