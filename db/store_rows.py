"""What goes into the store and what comes out, and the row values derived from a record.

Shared by ``db.store`` (one notice at a time) and ``db.store_batch`` (plain notices in bulk),
so both write exactly the same columns. Imports no other ``db.store*`` module but the keys.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.procedures import NoticeFacts, summarise
from db.record import NoticeRecord
from db.store_keys import changed_notice_ref, lifecycle, normalise_version, publication_key, source_key

ZLIB_LEVEL = 6  # zlib's default: ~5x on eForms XML; level 9 costs twice the time for ~3 % more


@dataclass(frozen=True)
class RawDoc:
    """What a spider fetched, before parsing."""

    source: str
    source_id: str
    url: str | None
    content: bytes
    fetched_at: datetime
    media_type: str = "application/xml"


@dataclass(frozen=True)
class IngestResult:
    status: str
    """``new`` | ``duplicate`` | ``new_source`` | ``conflict``; for a recorded failure (no notice)
    ``failed`` | ``given_up`` (the attempt that reached the bound)."""
    notice_pk: int | None
    procedure_pk: int | None
    events: list[str]
    """Kinds of the procedure events this ingest created (possibly for a late-linked notice)."""


class StoreError(ValueError):
    """A value the store cannot accept (unknown run status, …)."""


def raw_document_row(raw: RawDoc, raw_hash: str, parse_error: str | None = None) -> dict[str, Any]:
    """The ``raw_documents`` columns for a fetched document (``raw_hash``: sha256 of its bytes)."""
    return {
        "source": raw.source,
        "source_id": raw.source_id,
        "url": raw.url,
        "fetched_at": raw.fetched_at,
        "content_hash": raw_hash,
        "content": zlib.compress(raw.content, ZLIB_LEVEL),
        "size": len(raw.content),
        "media_type": raw.media_type,
        "parse_error": parse_error,
    }


def notice_columns(
    record: NoticeRecord, data: dict[str, Any], rhash: str, source: str, source_id: str
) -> dict[str, Any]:
    """The ``notices`` columns derived from a record alone (no foreign keys, no timestamps)."""
    eforms = bool(record.notice_id and record.version)
    buyer = record.buyers[0] if record.buyers else None
    value = record.estimated_value
    return {
        "notice_id": record.notice_id.strip().lower() if eforms and record.notice_id else None,
        "version": normalise_version(record.version) if eforms else None,
        "source_key": None if eforms else source_key(source, source_id),
        "procedure_id": record.procedure_id,
        "publication_number": record.publication_number,
        "publication_key": publication_key(record.publication_number),
        "publication_date": record.publication_date,
        "issue_date": record.issue_date,
        "subtype": record.subtype,
        "notice_type": record.notice_type,
        "form_type": record.form_type,
        "lifecycle": lifecycle(record),
        "language": record.language,
        "title": record.text(record.title),
        "buyer_name": buyer.name if buyer else None,
        "buyer_org_id": buyer.org_id if buyer else None,
        "buyer_country": buyer.country if buyer else None,
        "deadline": record.deadline,
        "cpv_main": record.cpv_main or next(iter(record.all_cpv), None),
        "estimated_value_amount": value.amount if value else None,
        "estimated_value_currency": value.currency if value else None,
        "changed_notice_ref": changed_notice_ref(record.changes.changed_notice) if record.changes else None,
        "record_hash": rhash,
        "record": data,
    }


def single_summary(notice_pk: int, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The summary of a procedure that has just this one notice (``values``: its columns)."""
    facts = NoticeFacts(
        pk=notice_pk,
        notice_id=values["notice_id"],
        version=values["version"],
        lifecycle=values["lifecycle"],
        form_type=values["form_type"],
        publication_date=values["publication_date"],
        issue_date=values["issue_date"],
        deadline=values["deadline"],
        superseded=False,
        title=values["title"],
        cpv_main=values["cpv_main"],
        estimated_value_amount=values["estimated_value_amount"],
        estimated_value_currency=values["estimated_value_currency"],
        record=values["record"],
    )
    return summarise([facts], now)
