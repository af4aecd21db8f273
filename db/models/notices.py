"""Raw documents, notice versions and their sources, procedures and what changed in them.

Identity (docs/eforms.md#identity): an eForms notice version is (BT-701, BT-757); other
records fall back to ``source_key`` = ``"source:source_id"``. The same version from several
sources is ONE ``Notice`` with several ``NoticeSource`` rows. A procedure (BT-04) groups its
notices; its current state is a summary derived from them (see ``db.procedures``).

Internal foreign keys end in ``_pk`` because ``notice_id`` and ``procedure_id`` already
name the eForms identifiers (BT-701, BT-04) — mixing the two has bitten every tender
database we looked at.

Field-level diffs live in their own table, ``NoticeDiff`` (one row per change notice), and
material changes become ``ProcedureEvent`` rows (one per change notice and kind), so the
alerting part reads events without re-diffing.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, JSONType
from db.clock import utcnow
from db.record import NoticeRecord

PROCEDURE_STATES = ("planned", "open", "closed", "cancelled", "awarded")
EVENT_KINDS = (
    "deadline_moved",
    "cancelled",
    "lots_added",
    "lots_removed",
    "documents_changed",
    "value_changed",
    "awarded",
)


class RawDocument(Base):
    """A document exactly as fetched, zlib-compressed; kept even when it failed to parse."""

    __tablename__ = "raw_documents"
    # A re-sent identical document from the same source id is stored once.
    __table_args__ = (UniqueConstraint("source", "source_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(index=True)  # reparse --since
    content_hash: Mapped[str] = mapped_column(String(64))
    """sha256 hex of the raw (uncompressed) bytes."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
    """zlib-compressed raw bytes (stdlib, fast, about 5x on eForms XML)."""
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100), default="application/xml")
    parse_error: Mapped[str | None] = mapped_column(Text)

    def raw_bytes(self) -> bytes:
        return zlib.decompress(self.content)


class Procedure(Base):
    """A procedure (BT-04) and its current state, summarised from its notices."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_key: Mapped[str] = mapped_column(String(300), unique=True)
    """BT-04, or ``notice:<BT-701>`` / ``source:<source>:<id>`` for notices without one."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    deadline: Mapped[datetime | None] = mapped_column(index=True)  # refresh_states scans open ones
    estimated_value_amount: Mapped[float | None] = mapped_column(Float)
    estimated_value_currency: Mapped[str | None] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(Text)
    buyer_name: Mapped[str | None] = mapped_column(Text)
    buyer_org_id: Mapped[str | None] = mapped_column(String(100), index=True)
    buyer_country: Mapped[str | None] = mapped_column(String(3))
    buyer_legal_type: Mapped[str | None] = mapped_column(String(50))
    cpv_main: Mapped[str | None] = mapped_column(String(16))
    lots: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``[{"lot_id", "title", "deadline", "estimated_value", "cpv_main"}]`` of the current notice."""
    has_call: Mapped[bool] = mapped_column(Boolean, default=False)
    """Saw a notice beyond planning (state is then not ``planned``)."""
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_awarded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Plain integer, not a foreign key: notices already reference procedures, and a cycle of
    # foreign keys would make table creation and truncation order-dependent.
    latest_notice_pk: Mapped[int | None] = mapped_column(Integer)
    first_published: Mapped[date | None] = mapped_column(Date)
    last_published: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    notices: Mapped[list[Notice]] = relationship(back_populates="procedure", lazy="raise_on_sql")
    events: Mapped[list[ProcedureEvent]] = relationship(back_populates="procedure", lazy="raise_on_sql")


class Notice(Base):
    """One notice version (BT-701 + BT-757), however many sources carried it."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("notice_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(8))
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    """``source:source_id`` for records without BT-701/BT-757; null for eForms notices."""
    procedure_id: Mapped[str | None] = mapped_column(String(100))
    """BT-04 as published (the grouping key is on the procedure row)."""
    publication_number: Mapped[str | None] = mapped_column(String(32))
    publication_key: Mapped[str | None] = mapped_column(String(32), index=True)
    """The publication number normalised (``711911-2023``: no leading zeros) for matching."""
    publication_date: Mapped[date | None] = mapped_column(Date, index=True)
    issue_date: Mapped[date | None] = mapped_column(Date)
    subtype: Mapped[str | None] = mapped_column(String(8))
    notice_type: Mapped[str | None] = mapped_column(String(32))
    form_type: Mapped[str | None] = mapped_column(String(32))
    lifecycle: Mapped[str] = mapped_column(String(16))
    """planning, call, change, award or cancel (``db.store_keys.lifecycle``)."""
    language: Mapped[str | None] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(Text)
    """The title in the notice's main language (fallback fin, swe, eng, any)."""
    buyer_name: Mapped[str | None] = mapped_column(Text)
    buyer_org_id: Mapped[str | None] = mapped_column(String(100), index=True)
    buyer_country: Mapped[str | None] = mapped_column(String(3), index=True)
    deadline: Mapped[datetime | None] = mapped_column()
    cpv_main: Mapped[str | None] = mapped_column(String(16), index=True)
    estimated_value_amount: Mapped[float | None] = mapped_column(Float)
    estimated_value_currency: Mapped[str | None] = mapped_column(String(3))
    changed_notice_ref: Mapped[str | None] = mapped_column(String(100), index=True)  # late linking
    """BT-758 normalised (``<uuid>-<ver>`` lower case, or a publication key)."""
    procedure_pk: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    # No index on these two: they are read with the row, never searched by value; every index
    # costs ingest time (the 100k benchmark spends most of its SQLite time maintaining them).
    changes_notice_pk: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    """The notice this one changes (BT-758), once both are stored."""
    superseded_by_pk: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    raw_document_pk: Mapped[int | None] = mapped_column(ForeignKey("raw_documents.id"), index=True)
    """The document the stored record was parsed from (the first source's)."""
    content_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of that raw document."""
    record_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of the record without per-source fields: tells a conflict from another copy."""
    record: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """``NoticeRecord.to_dict()``."""
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    procedure: Mapped[Procedure] = relationship(back_populates="notices", lazy="raise_on_sql")
    sources: Mapped[list[NoticeSource]] = relationship(back_populates="notice", lazy="raise_on_sql")
    raw_document: Mapped[RawDocument | None] = relationship(lazy="raise_on_sql")

    def to_record(self) -> NoticeRecord:
        return NoticeRecord.from_dict(self.record)


class NoticeSource(Base):
    """One source that carried a notice version (TED, HILMA, …)."""

    __tablename__ = "notice_sources"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw_document_pk: Mapped[int | None] = mapped_column(ForeignKey("raw_documents.id"), index=True)

    notice: Mapped[Notice] = relationship(back_populates="sources", lazy="raise_on_sql")


class NoticeConflict(Base):
    """The same notice version with different content from another fetch: kept, not applied."""

    __tablename__ = "notice_conflicts"
    # The same conflicting content re-sent is one conflict.
    __table_args__ = (UniqueConstraint("notice_pk", "record_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(255))
    raw_document_pk: Mapped[int | None] = mapped_column(ForeignKey("raw_documents.id"))
    record_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSONType)
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Top-level record fields that differ from the stored version."""
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeDiff(Base):
    """Field-level diff of a change notice against the notice it changes (BT-758)."""

    __tablename__ = "notice_diffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    """The change notice."""
    base_notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    """The notice it changes."""
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """``{field: {"old": …, "new": …}}`` for deadline, value, lots, cpv, documents_url, title,
    description — only fields that differ."""
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """BT-140 reason codes."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcedureEvent(Base):
    """A material change for the alerting part; one per causing notice and kind."""

    __tablename__ = "procedure_events"
    # Re-ingesting or late-linking never repeats an event.
    __table_args__ = (UniqueConstraint("notice_pk", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_pk: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # alerts poll by time

    procedure: Mapped[Procedure] = relationship(back_populates="events", lazy="raise_on_sql")
