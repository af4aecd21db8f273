"""Re-derive notices from the kept raw documents, e.g. after a parser upgrade.

Documents a notice was parsed from go first, then the other sources' copies: a copy is
compared with its notice's re-derived record, not with the one the old parser made (which
would report every copy as a conflict). Documents that failed before are retried; ones that
fail now get their error recorded and lose nothing. Idempotent: a second run with the same
parser finds every document ``unchanged``.

This module walks the documents; what one re-parsed document changes is ``Store.rederive``,
handed in as ``rederive``. ``db.store.reparse`` joins the two (it is what callers use).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.models.notices import Notice, RawDocument
from db.record import NoticeRecord
from db.store_rows import RawDoc
from db.store_sql import update_by_pk

Parse = Callable[[bytes, str], NoticeRecord]
"""``parse(content, source_name)`` → record; raises on a document it cannot read."""

Rederive = Callable[[NoticeRecord, RawDoc, int], str]
"""``rederive(record, raw, raw_pk)`` → outcome: ``Store.rederive``."""

_BATCH = 500  # documents read per query: bounded memory on a store of millions


@dataclass
class ReparseStats:
    documents: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """``new`` / ``updated`` / ``unchanged`` / ``conflict`` / ``failed`` → count."""

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return f"{self.documents} documents: {parts or 'nothing to do'}"


def reparse_documents(
    session: Session,
    parse: Parse,
    rederive: Rederive,
    source: str | None = None,
    since: datetime | None = None,
) -> ReparseStats:
    """Parse every kept raw document again (of ``source``, fetched at or after ``since``)."""
    stats = ReparseStats()
    owner = exists().where(Notice.raw_document_pk == RawDocument.id)
    for first_pass in (True, False):
        query = select(RawDocument.id).where(owner if first_pass else ~owner)
        if source:
            query = query.where(RawDocument.source == source)
        if since:
            query = query.where(RawDocument.fetched_at >= since)
        ids = list(session.scalars(query.order_by(RawDocument.fetched_at, RawDocument.id)))
        for i in range(0, len(ids), _BATCH):
            docs = session.scalars(select(RawDocument).where(RawDocument.id.in_(ids[i : i + _BATCH])))
            for doc in sorted(docs, key=lambda d: (d.fetched_at, d.id)):
                stats.documents += 1
                stats.outcomes[_one(session, rederive, parse, doc)] += 1
    return stats


def _one(session: Session, rederive: Rederive, parse: Parse, doc: RawDocument) -> str:
    content = zlib.decompress(doc.content)
    try:
        record = parse(content, f"{doc.source}:{doc.source_id}")
    except Exception as exc:  # any parser failure is recorded on the document, never fatal
        error = f"{type(exc).__name__}: {exc}"
        if doc.parse_error != error:
            update_by_pk(session, RawDocument, doc.id, {"parse_error": error})
        return "failed"
    raw = RawDoc(doc.source, doc.source_id, doc.url, content, doc.fetched_at, doc.media_type)
    return rederive(record, raw, doc.id)
