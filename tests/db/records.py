"""Build NoticeRecords and RawDocs for store tests directly (no XML needed)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import (
    Notice,
    NoticeConflict,
    NoticeDiff,
    NoticeSource,
    Procedure,
    ProcedureEvent,
    RawDocument,
)
from db.record import Award, Buyer, Change, Lot, Money, NoticeRecord
from db.store import RawDoc

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


def call(
    *,
    notice_id: str | None = None,
    version: str = "01",
    procedure_id: str | None = None,
    publication_number: str | None = "00711911-2026",
    publication_date: date | None = date(2026, 3, 1),
    deadline: datetime | None = NOW + timedelta(days=30),
    lots: tuple[str, ...] = ("LOT-0001",),
    value: float | None = 100_000.0,
    documents_url: str | None = "https://tarjouspalvelu.fi/docs/1",
    title: str = "Innovatiivinen liikennejärjestelmä",
) -> NoticeRecord:
    """A competition notice (contract notice, subtype 16)."""
    return NoticeRecord(
        notice_id=notice_id or new_uuid(),
        version=version,
        procedure_id=procedure_id or new_uuid(),
        publication_number=publication_number,
        publication_date=publication_date,
        subtype="16",
        notice_type="cn-standard",
        form_type="competition",
        language="fin",
        title={"fin": title, "eng": "Innovative traffic system"},
        description={"fin": "Kuvaus"},
        buyers=[Buyer(name="Helsingin kaupunki", org_id="0201256-6", country="FIN", legal_type="la")],
        cpv_main="72000000",
        estimated_value=Money(value, "EUR") if value is not None else None,
        deadline=deadline,
        lots=[
            Lot(lot_id=lot, title={"fin": f"Osa {lot}"}, deadline=deadline, documents_url=documents_url)
            for lot in lots
        ],
        documents_url=documents_url,
        issue_date=(publication_date - timedelta(days=3)) if publication_date else date(2026, 2, 26),
    )


def change_of(
    original: NoticeRecord,
    *,
    ref: str | None = None,
    reasons: tuple[str, ...] = ("update-add",),
    publication_number: str | None = "00712000-2026",
    publication_date: date | None = date(2026, 3, 5),
    **changes: object,
) -> NoticeRecord:
    """An eForms change notice: the whole notice again, a new version, BT-758 naming the original."""
    ref = ref or f"{original.notice_id}-{original.version}"
    version = f"{int(original.version or '1') + 1:02d}"
    return dataclasses.replace(
        original,
        version=version,
        publication_number=publication_number,
        publication_date=publication_date,
        changes=Change(changed_notice=ref, reasons=list(reasons)),
        **changes,  # type: ignore[arg-type]
    )


def award_of(
    original: NoticeRecord, *, status: str = "selec-w", publication_number: str = "00800000-2026"
) -> NoticeRecord:
    return dataclasses.replace(
        original,
        notice_id=new_uuid(),
        version="01",
        publication_number=publication_number,
        publication_date=date(2026, 5, 1),
        subtype="29",
        notice_type="can-standard",
        form_type="result",
        deadline=None,
        changes=None,
        awards=[Award(lot_id="LOT-0001", status=status, winners=["Firma Oy"], value=Money(90_000.0, "EUR"))],
    )


def raw(record: NoticeRecord, source: str = "ted", source_id: str | None = None, extra: str = "") -> RawDoc:
    """The raw document a source would have sent: bytes derived from the record (stand-in XML)."""
    sid = source_id or (record.publication_number if source == "ted" else f"hilma-{record.notice_id}")
    body = json.dumps({"source": source, "record": record.to_dict(), "extra": extra}, sort_keys=True)
    return RawDoc(
        source=source,
        source_id=sid or "x",
        url=f"https://example.invalid/{source}/{sid}",
        content=body.encode(),
        fetched_at=NOW,
    )


VOLATILE = {"id", "created_at", "updated_at", "first_seen_at", "detected_at", "content"}
FK_COLUMNS = {"procedure_pk", "notice_pk", "raw_document_pk", "changes_notice_pk", "superseded_by_pk",
              "base_notice_pk", "latest_notice_pk"}  # fmt: skip


def snapshot(session: Session, *, keep_keys: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Every store row by content (ids and timestamps left out), sorted, for whole-store equality.

    ``keep_keys=False`` also drops foreign keys, for comparing stores filled in different orders
    (row ids differ; the links are compared through ``links`` instead).
    """
    # Without keys, the notice's first document (content_hash) goes too: which copy came first
    # is the one thing arrival order legitimately decides.
    drop = VOLATILE if keep_keys else VOLATILE | FK_COLUMNS | {"content_hash"}
    out = {}
    for model in (RawDocument, Notice, NoticeSource, NoticeConflict, NoticeDiff, Procedure, ProcedureEvent):
        rows = [
            {c.key: getattr(obj, c.key) for c in model.__table__.columns if c.key not in drop}
            for obj in session.scalars(select(model))
        ]
        out[model.__tablename__] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def links(session: Session) -> set[tuple[str, ...]]:
    """The store's links by natural keys: notice → procedure, change → base, superseded → by."""
    notices = {n.id: n for n in session.scalars(select(Notice))}
    procs = {p.id: p for p in session.scalars(select(Procedure))}

    def key(pk: int | None) -> str:
        return f"{notices[pk].notice_id}-{notices[pk].version}" if pk else "-"

    out = set()
    for n in notices.values():
        out.add(("in", key(n.id), procs[n.procedure_pk].procedure_key))
        out.add(("changes", key(n.id), key(n.changes_notice_pk)))
        out.add(("superseded_by", key(n.id), key(n.superseded_by_pk)))
    for p in procs.values():
        out.add(("latest", p.procedure_key, key(p.latest_notice_pk)))
    return out
