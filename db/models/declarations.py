"""Declared innovation per notice and lot: the buyer's own answers, apart from the classifier's label.

``monitor.classify.declarations`` writes one row for the notice as a whole (``lot_id`` ``""``)
and one per lot that carries any answer the rule in ``config/innovation.yaml`` reads (BT-06,
BT-776, BT-105, HILMA's statistics answers), with the answers seen, whether the rule says
"declared innovative", which conditions fired, and the rule's version. The classifier's label
(``notice_classifications``) is another fact and lives in another table: the reports put the two
side by side, and ``tenderwatch eval --declared`` measures one against the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType
from db.clock import utcnow

STALE_RULE_VERSION = "stale"
"""``rule_version`` of a declaration whose notice record has changed since (another source's
answers merged in, ``tenderwatch reparse``): like a row of another rule version, the processing
step evaluates it again (``monitor.classify.declarations``), rewriting it only if the answers or
the verdict changed. Not a content hash, so it never equals a rule's version."""


class NoticeDeclaration(Base):
    """What one notice (or one of its lots) declares about innovation, under one rule version."""

    __tablename__ = "notice_declarations"
    # One row per level; the constraint's index also finds a notice's rows (notice_pk first).
    __table_args__ = (UniqueConstraint("notice_pk", "lot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    lot_id: Mapped[str] = mapped_column(String(64))
    """``""``: the notice as a whole (answers merged over the procedure and its lots, the verdict
    that counts); otherwise the lot (BT-137) the answers were written on."""
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Field → codes seen, for every field the rule reads (``{"BT-776": ["mar-nov"]}``)."""
    declared: Mapped[bool] = mapped_column(Boolean)
    matched: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Ids of the rule's conditions that fired (``innovation_partnership``)."""
    rule_version: Mapped[str] = mapped_column(String(16), index=True)  # "any row of another version?"
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # report rows stale since
    """When the row was written with these answers and this verdict. A rule change that changes
    neither only updates ``rule_version``, so the report rows depending on it stay fresh."""
