"""The store: where every parsed notice lands, deduplicated across sources and linked into its procedure.

Spiders hand over ``(NoticeRecord, RawDoc)`` pairs; :meth:`Store.ingest` decides whether the
notice version is new, a copy from another source, a re-send, or a conflicting copy, keeps
the raw bytes, links change notices to what they change (whichever arrives first), re-derives
the procedure's state and records material change events.

The store never commits: the caller owns the transaction (``db.session.session_scope``), so
a crawl can commit per page and a failed page rolls back whole.

Concurrency: every insert that can collide with another process (raw document, procedure,
notice, source, diff, event, conflict) is ``INSERT … ON CONFLICT DO NOTHING``, so two crawlers
delivering the same notice at once never abort each other's transaction; the loser re-reads
and takes the duplicate path. Failed documents and watermarks are upserts
(``db.store_failures``, :meth:`Store.set_watermark`).

Known means stored: a document that failed (not downloaded, or kept with a parse error) is
not known to the spiders until a good copy arrives or it is given up after the source's bound
of attempts (``db.models.failures``), so a later crawl fetches it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import store_failures
from db.base import Base
from db.clock import utcnow
from db.diff import diff_records, material_events
from db.models.notices import (
    Notice,
    NoticeConflict,
    NoticeDiff,
    NoticeSource,
    Procedure,
    ProcedureEvent,
    RawDocument,
)
from db.models.runs import RUN_STATUSES, CrawlRun, SourceWatermark
from db.procedures import compute_state, refresh_procedure, refresh_states
from db.record import NoticeRecord
from db.store_batch import ingest_many
from db.store_failures import RETRY_FAILED_DOCUMENTS, FailedDocument
from db.store_keys import (
    differing_fields,
    legacy_procedure_start,
    normalise_version,
    procedure_key,
    publication_key,
    record_hash,
    source_key,
    split_version_ref,
    version_ref,
)
from db.store_merge import has_own_content, merge_own
from db.store_reparse import Parse, ReparseStats, reparse_documents
from db.store_rows import (
    IngestResult,
    RawDoc,
    StoreError,
    notice_columns,
    raw_document_row,
    single_summary,
)
from db.store_sql import insert_ignore, query, rowcount, supersede, table_of, update_by_pk
from db.store_stale import mark_derived_stale

_CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class SettleStats:
    seen: int = 0
    """Conflict rows looked at."""
    settled: int = 0
    """Of those, the ones applied as copies and deleted (see ``Store.settle_conflicts``)."""


@dataclass(frozen=True)
class _Existing:
    pk: int
    record_hash: str
    procedure_pk: int
    publication_key: str | None
    has_publication_date: bool


class Store:
    """The store API for one session (one transaction at a time)."""

    def __init__(self, session: Session, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.session = session
        self.clock = clock
        """Current time: procedure states and timestamps are relative to it (tests move it)."""
        dialect = session.get_bind().dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    # ------------------------------------------------------------------------------ ingest
    def ingest(self, record: NoticeRecord, raw: RawDoc) -> IngestResult:
        """Store one parsed notice version with the document it came from; idempotent.

        A good copy: any failure recorded for this (source, source id) is forgotten.
        """
        result = self._ingest(record, raw, record.to_dict())
        store_failures.clear(self.session, raw.source, [raw.source_id])
        return result

    def _ingest(self, record: NoticeRecord, raw: RawDoc, data: dict[str, Any]) -> IngestResult:
        now = self.clock()
        rhash = record_hash(data)
        raw_hash = hashlib.sha256(raw.content).hexdigest()
        existing = self._find(record, raw)
        if existing is None:
            raw_pk = self._store_raw(raw, raw_hash)
            result = self._insert_new(record, data, rhash, raw, raw_pk, raw_hash, now)
            if result is not None:
                return result
            existing = self._find(record, raw)  # another process inserted it a moment ago
            assert existing is not None
        if existing.record_hash != rhash:
            return self._conflict(existing, data, rhash, raw, raw_hash, now)
        return self._another_copy(existing, record, data, raw, raw_hash, now)

    def ingest_many(self, items: Iterable[tuple[NoticeRecord, RawDoc]]) -> list[IngestResult]:
        """``ingest`` for a batch, results in input order; plain new notices go in batched INSERTs.

        Same database afterwards as calling :meth:`ingest` per item (see ``db.store_batch``).
        """
        pairs = list(items)
        results = ingest_many(self.session, self.clock, pairs, self._ingest)
        by_source: dict[str, list[str]] = {}
        for _, raw in pairs:
            by_source.setdefault(raw.source, []).append(raw.source_id)
        for source, ids in by_source.items():  # good copies: one DELETE per batch, not per notice
            store_failures.clear(self.session, source, ids)
        return results

    def record_failure(
        self, raw: RawDoc, error: str, *, give_up_after: int = RETRY_FAILED_DOCUMENTS
    ) -> IngestResult:
        """Keep a document that failed to parse, with the error, so a better parser can retry it;
        and count the attempt, so a later crawl fetches it again (``give_up_after`` attempts in all).

        Returns status ``failed``, or ``given_up`` when this attempt reached the bound.
        """
        raw_hash = hashlib.sha256(raw.content).hexdigest()
        pk = self._store_raw(raw, raw_hash, parse_error=error)
        update_by_pk(self.session, RawDocument, pk, {"parse_error": error})
        failure = FailedDocument(raw.source, raw.source_id, "parse", error, raw.url)
        return self._failed(failure, give_up_after)

    def record_fetch_failure(
        self, failure: FailedDocument, *, give_up_after: int = RETRY_FAILED_DOCUMENTS
    ) -> IngestResult:
        """A listed document could not be fetched (or the answer lacked it): count the attempt.

        Returns status ``failed``, or ``given_up`` when this attempt reached the bound.
        """
        return self._failed(failure, give_up_after)

    def _failed(self, failure: FailedDocument, give_up_after: int) -> IngestResult:
        gave_up = store_failures.record(self.session, failure, self.clock(), give_up_after)
        return IngestResult("given_up" if gave_up else "failed", None, None, [])

    # ------------------------------------------------------------------------------ lookups
    def known_source_ids(self, source: str, source_ids: Iterable[str]) -> set[str]:
        """Which of these source ids are stored: a document that parsed, or one given up.

        A document kept only with a parse error, or recorded as a failed download, is not
        known: the next crawl that lists it fetches it again (see ``db.models.failures``).
        """
        ids = list(dict.fromkeys(source_ids))
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            found.update(
                self.session.scalars(
                    select(RawDocument.source_id)
                    .where(
                        RawDocument.source == source,
                        RawDocument.source_id.in_(chunk),
                        RawDocument.parse_error.is_(None),
                    )
                    .distinct()
                )
            )
        found |= store_failures.given_up(self.session, source, set(ids) - found)
        return found

    def known_ids(self, source: str, ids: Iterable[str], *, publication_numbers: bool = False) -> set[str]:
        """:meth:`known_source_ids`, plus (``publication_numbers``) TED publication numbers stored
        from any source, in the caller's spelling: a notice HILMA or a package brought is known."""
        wanted = list(dict.fromkeys(ids))
        known = self.known_source_ids(source, wanted)
        if publication_numbers:
            known |= self.has_publication_numbers(set(wanted) - known)
        return known

    def has_publication_numbers(self, numbers: Iterable[str]) -> set[str]:
        """The given TED publication numbers (as spelled by the caller) already stored, from any source."""
        by_key: dict[str, list[str]] = {}
        for n in numbers:
            key = publication_key(n)
            if key:
                by_key.setdefault(key, []).append(n)
        keys = list(by_key)
        found: set[str] = set()
        for i in range(0, len(keys), _CHUNK):
            hits = self.session.scalars(
                select(Notice.publication_key).where(Notice.publication_key.in_(keys[i : i + _CHUNK]))
            )
            for key in hits:
                if key is not None:  # a nullable column, though ``IN`` matches no NULL
                    found.update(by_key[key])
        return found

    # ------------------------------------------------------------------------------ watermarks
    def get_watermark(self, source: str) -> datetime | None:
        return self.session.scalar(select(SourceWatermark.value).where(SourceWatermark.source == source))

    def set_watermark(self, source: str, value: datetime) -> None:
        """Move the watermark forward to ``value``; never backwards.

        Two crawls of one source may finish in either order (two ``run --once``, or the service
        beside a CLI crawl): the one that read less far must not undo the other's progress.
        """
        now = self.clock()
        stmt = self._insert(SourceWatermark).values(source=source, value=value, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={"value": value, "updated_at": now},
            where=SourceWatermark.value < stmt.excluded.value,
        )
        self.session.execute(stmt)

    def held_watermark(
        self,
        source: str,
        value: datetime,
        listed: Mapping[str, date | None],
        *,
        publication_numbers: bool = False,
    ) -> datetime | None:
        """The watermark a crawl may set, given the documents it ``listed`` to fetch (id → day).

        Never past a listed document that is not stored (nor given up): at most the day before
        the oldest such one (``db.store_failures.hold``); None means "do not move it". Failures
        of listed documents that are stored by now are deleted.
        """
        known = self.known_ids(source, listed, publication_numbers=publication_numbers)
        self.forget_failures(source, known)
        return store_failures.hold(value, {i: day for i, day in listed.items() if i not in known})

    def forget_failures(self, source: str, known: Iterable[str]) -> None:
        """Failures (not given up) of these documents, known by now, are history: a good copy
        came, perhaps from another source (HILMA brought a notice whose TED XML failed, so TED
        will not fetch it again and nothing else would ever clear its failure).

        Reads first and deletes only what it found: on SQLite a DELETE takes the write lock even
        when it matches nothing, and a crawl asks this for every page it lists.
        """
        failing = store_failures.still_failing(self.session, source, known)
        if failing:
            store_failures.clear(self.session, source, failing)

    # ------------------------------------------------------------------------------ crawl runs
    def start_run(self, source: str) -> int:
        stmt = self._insert(CrawlRun).values(source=source, started_at=self.clock(), status="running")
        return self.session.execute(stmt.returning(CrawlRun.id)).scalar_one()

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        requests: int,
        seen: int,
        new: int,
        updated: int,
        errors: dict[str, int],
        close_reason: str,
        stats: dict[str, Any] | None = None,
    ) -> None:
        if status not in RUN_STATUSES or status == "running":
            raise StoreError(f"finish_run status must be one of finished, failed, blocked; got {status!r}")
        done = self.session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(
                finished_at=self.clock(),
                status=status,
                requests=requests,
                notices_seen=seen,
                notices_new=new,
                notices_updated=updated,
                errors=dict(errors),
                close_reason=close_reason,
                stats=dict(stats or {}),
            )
        )
        if rowcount(done) != 1:
            raise StoreError(f"no crawl run with id {run_id}")

    # ------------------------------------------------------------------------------ conflicts
    def settle_conflicts(self) -> SettleStats:
        """Apply the stored conflicts that the current rule no longer counts as conflicts.

        A conflict row is a copy whose ``record_hash`` differed from its notice's when it came.
        When the rule of what makes two copies differ changes (migration 0010: source-own signals
        no longer count), some of them are copies like any other: each such row is applied as
        :meth:`ingest` would apply that copy today — a source row (first seen when the conflict
        was), its source-own content merged, the publication fields it adds, the change notices
        waiting for its publication number linked — and then deleted. Idempotent; the rest stay.
        """
        stats = SettleStats()
        c = table_of(NoticeConflict).c
        last = 0
        while True:
            rows = self.session.execute(
                select(c.id, c.notice_pk, c.source, c.source_id, c.raw_document_pk, c.record, c.detected_at)
                .where(c.id > last)
                .order_by(c.id)
                .limit(_CHUNK)
            ).all()
            if not rows:
                return stats
            last = rows[-1][0]
            for row in rows:
                stats.seen += 1
                if self._settle(*row):
                    stats.settled += 1

    def _settle(
        self,
        conflict_pk: int,
        notice_pk: int,
        source: str,
        source_id: str,
        raw_pk: int | None,
        data: dict[str, Any],
        detected_at: datetime,
    ) -> bool:
        if record_hash(self._record(notice_pk)) != record_hash(data):
            return False  # still a conflict
        record = NoticeRecord.from_dict(data)
        url = query(self.session, "raw_url", pk=raw_pk).scalar() if raw_pk is not None else None
        raw = RawDoc(source, source_id, url, b"", detected_at)  # the bytes are kept already
        existing = self._find(record, raw)
        if existing is None or existing.pk != notice_pk:
            return False
        added = self._add_source(notice_pk, raw, raw_pk, detected_at)
        self._enrich(existing, record, data, self.clock(), publication=added)
        conflicts = table_of(NoticeConflict)
        self.session.connection().execute(conflicts.delete().where(conflicts.c.id == conflict_pk))
        return True

    # ------------------------------------------------------------------------------ reparse
    def rederive(self, record: NoticeRecord, raw: RawDoc, raw_pk: int) -> str:
        """Apply a re-parsed record of a kept raw document; returns what happened.

        ``new``: the document now yields a notice the store lacked (it failed before);
        ``updated``: it is the document a notice was parsed from, and the record changed;
        ``unchanged``: nothing to do (also for a second source's copy that matches);
        ``conflict``: a second source's copy that differs (recorded, as in :meth:`ingest`).
        Running it twice with the same parser changes nothing the second time.
        """
        now = self.clock()
        if self._raw_error(raw_pk):
            update_by_pk(self.session, RawDocument, raw_pk, {"parse_error": None})
            store_failures.clear(self.session, raw.source, [raw.source_id])  # it parses now
        data = record.to_dict()
        rhash = record_hash(data)
        raw_hash = hashlib.sha256(raw.content).hexdigest()
        existing = self._find(record, raw)
        if existing is None:
            result = self._insert_new(record, data, rhash, raw, raw_pk, raw_hash, now)
            return "new" if result is not None else "unchanged"
        owner = query(self.session, "raw_owner", pk=existing.pk).scalar_one()
        if owner != raw_pk:
            if existing.record_hash != rhash:
                return self._conflict(existing, data, rhash, raw, raw_hash, now).status
            self._add_source(existing.pk, raw, raw_pk, now)
            before = self._record(existing.pk)
            self._enrich(existing, record, data, now, publication=False)  # its own content, if new
            return "unchanged" if self._record(existing.pk) == before else "updated"
        stored = self._record(existing.pk)
        # Keep what other sources added (TED's publication number on a HILMA-first notice), and
        # the source-own content, which the document alone may not give back: HILMA's answers
        # come beside its XML, and another source's were merged in (db/store_merge.py).
        for key in ("publication_number", "publication_date"):
            if data.get(key) is None and stored.get(key) is not None:
                data[key] = stored[key]
        data = merge_own(data, stored) or data
        if data == stored:
            return "unchanged"
        merged = NoticeRecord.from_dict(data)
        values = notice_columns(merged, data, rhash, raw.source, raw.source_id)
        proc_pk, _ = self._procedure_of(merged, raw, now)
        values.update(procedure_pk=proc_pk, updated_at=now)
        update_by_pk(self.session, Notice, existing.pk, values)
        touched = {existing.procedure_pk, proc_pk}
        ref = values["changed_notice_ref"]
        if ref and query(self.session, "changes_notice", pk=existing.pk).scalar_one() is None:
            base = self._resolve(ref)
            if base is not None:
                self._link(base[0], base[1], existing.pk, data, proc_pk, merged.changes, now)
        self._rediff(existing.pk)
        self._derived_are_stale(existing.pk)
        for pk in touched:
            refresh_procedure(self.session, pk, now)
        return "updated"

    def _derived_are_stale(self, notice_pk: int) -> None:
        """The notice's record changed under its classification and declaration: mark them."""
        mark_derived_stale(self.session, [notice_pk])

    def _raw_error(self, raw_pk: int) -> bool:
        return query(self.session, "raw_error", pk=raw_pk).scalar_one() is not None

    def _rediff(self, notice_pk: int) -> None:
        """Recompute the stored diffs this notice takes part in (its record changed)."""
        for diff_pk, change_pk, base_pk in query(self.session, "diffs_of", pk=notice_pk).all():
            diff = diff_records(
                NoticeRecord.from_dict(self._record(base_pk)), NoticeRecord.from_dict(self._record(change_pk))
            )
            update_by_pk(self.session, NoticeDiff, diff_pk, {"fields": diff})

    # ------------------------------------------------------------------------------ internals
    def _insert_ignore(self, model: type[Base], values: dict[str, Any]) -> int | None:
        """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None if it existed."""
        return insert_ignore(self.session, model, values)

    def _find(self, record: NoticeRecord, raw: RawDoc) -> _Existing | None:
        if record.notice_id and record.version:
            nid, ver = record.notice_id.strip().lower(), normalise_version(record.version)
            row = query(self.session, "notice_by_version", nid=nid, ver=ver).first()
        else:
            row = query(
                self.session, "notice_by_source_key", key=source_key(raw.source, raw.source_id)
            ).first()
        if row is None:
            return None
        return _Existing(row[0], row[1], row[2], row[3], row[4] is not None)

    def _store_raw(self, raw: RawDoc, raw_hash: str, parse_error: str | None = None) -> int:
        pk = self._insert_ignore(RawDocument, raw_document_row(raw, raw_hash, parse_error))
        if pk is not None:
            return pk
        pk, old_error = query(
            self.session, "raw_by_hash", source=raw.source, sid=raw.source_id, hash=raw_hash
        ).one()
        if old_error is not None and parse_error is None:  # it parses now
            update_by_pk(self.session, RawDocument, pk, {"parse_error": None})
        return pk

    def _procedure(self, key: str, now: datetime) -> tuple[int, bool]:
        pk = self._insert_ignore(
            Procedure,
            {"procedure_key": key, "state": "open", "lots": [], "created_at": now, "updated_at": now},
        )
        if pk is not None:
            return pk, True
        found = query(self.session, "procedure_by_key", key=key).scalar_one()
        return found, False

    def _procedure_of(self, record: NoticeRecord, raw: RawDoc, now: datetime) -> tuple[int, bool]:
        """The procedure a notice belongs to: its BT-04 (or synthetic key), created if new.

        A legacy TED notice's key names the earliest publication it refers to; when that notice
        is stored and itself belongs to an earlier one's procedure (PIN → call → award →
        modification), this notice joins that procedure, so a chain longer than one reference
        forms one procedure when its notices arrive in publication order (as the package
        backfill delivers them). A chain stored in another order keeps its later part apart.
        """
        key = procedure_key(record, raw.source, raw.source_id)
        start = legacy_procedure_start(key)
        if start is not None and start != publication_key(record.publication_number):
            found = query(self.session, "procedure_of_publication", pub=start).first()
            if found is not None:
                return found[0], False
        return self._procedure(key, now)

    def _insert_new(
        self,
        record: NoticeRecord,
        data: dict[str, Any],
        rhash: str,
        raw: RawDoc,
        raw_pk: int,
        raw_hash: str,
        now: datetime,
    ) -> IngestResult | None:
        proc_pk, proc_is_new = self._procedure_of(record, raw, now)
        values = notice_columns(record, data, rhash, raw.source, raw.source_id)
        ref = values["changed_notice_ref"]
        base = self._resolve(ref) if ref else None
        life = values["lifecycle"]
        eforms = values["source_key"] is None
        values.update(
            procedure_pk=proc_pk,
            changes_notice_pk=base[0] if base else None,
            raw_document_pk=raw_pk,
            content_hash=raw_hash,
            first_seen_at=now,
            updated_at=now,
        )
        notice_pk = self._insert_ignore(Notice, values)
        if notice_pk is None:
            return None
        self._add_source(notice_pk, raw, raw_pk, now)

        events: list[str] = []
        if life == "cancel":
            # ``old`` stays empty: the state before depends on which notices arrived first.
            reasons = list(record.changes.reasons) if record.changes else ["all lots closed without winner"]
            events += self._event(proc_pk, notice_pk, "cancelled", None, {"reasons": reasons}, now)
        elif life == "award":
            awards = data.get("awards") or []
            events += self._event(proc_pk, notice_pk, "awarded", None, awards, now)
        touched = {proc_pk}
        if base is not None:
            events += self._link(
                base[0], base[1], notice_pk, data, proc_pk, record.changes, now, change_row_linked=True
            )
            touched.add(base[2])
        keys = [values["publication_key"]]
        if eforms:
            keys.append(version_ref(values["notice_id"], values["version"]))
        for change_pk, change_record, change_proc in self._unlinked_changes(keys, notice_pk):
            change = NoticeRecord.from_dict(change_record).changes
            events += self._link(notice_pk, data, change_pk, change_record, change_proc, change, now)
            touched.add(change_proc)

        if proc_is_new and touched == {proc_pk}:
            # The common case: a notice opening its own procedure. Its summary needs no query.
            summary = single_summary(notice_pk, values, now)
            update_by_pk(self.session, Procedure, proc_pk, {**summary, "updated_at": now})
        else:
            for pk in touched:
                refresh_procedure(self.session, pk, now)
        return IngestResult("new", notice_pk, proc_pk, events)

    def _another_copy(
        self,
        existing: _Existing,
        record: NoticeRecord,
        data: dict[str, Any],
        raw: RawDoc,
        raw_hash: str,
        now: datetime,
    ) -> IngestResult:
        """The same content again: a re-send (``duplicate``) or another source (``new_source``).

        Either way its source-own content the stored record lacks is merged in (``db.store_merge``):
        a re-send of the same data finds nothing to add.
        """
        raw_pk = self._store_raw(raw, raw_hash)
        if not self._add_source(existing.pk, raw, raw_pk, now):  # this source carried it already
            self._enrich(existing, record, data, now, publication=False)
            return IngestResult("duplicate", existing.pk, existing.procedure_pk, [])
        events = self._enrich(existing, record, data, now)
        return IngestResult("new_source", existing.pk, existing.procedure_pk, events)

    def _enrich(
        self,
        existing: _Existing,
        record: NoticeRecord,
        data: dict[str, Any],
        now: datetime,
        *,
        publication: bool = True,
    ) -> list[str]:
        """Fill in what another copy has and the stored record lacks: its source-own signals and
        national extras (``db.store_merge``), and (``publication``) the publication fields one
        source has and the first one lacked (HILMA before TED). Returns the events of changes
        linked on learning the publication number.

        Merged own content changes what the classifier and the declared rule read, so the
        notice's classification and declaration are marked for re-doing.
        """
        new_key = publication_key(record.publication_number) if publication else None
        fill_number = existing.publication_key is None and new_key is not None
        new_date = None if existing.has_publication_date or not publication else record.publication_date
        own = has_own_content(data)
        if not (fill_number or new_date is not None or own):
            return []
        # Read under a row lock: another process merging its copy into this notice meanwhile
        # would otherwise have its answers overwritten by this read-merge-write.
        stored = query(self.session, "record_for_update", pk=existing.pk).scalar_one()
        merged = merge_own(stored, data) if own else None
        if not (fill_number or new_date is not None or merged is not None):
            return []
        if merged is not None:
            self._derived_are_stale(existing.pk)
        merged = dict(merged if merged is not None else stored)
        values: dict[str, Any] = {"updated_at": now}
        if fill_number:
            merged["publication_number"] = record.publication_number
            values.update(publication_number=record.publication_number, publication_key=new_key)
        if new_date is not None:
            merged["publication_date"] = new_date.isoformat()
            values["publication_date"] = new_date
        values["record"] = merged
        update_by_pk(self.session, Notice, existing.pk, values)
        if not (fill_number or new_date is not None):
            return []  # own content only: nothing the procedure's summary reads changed
        events: list[str] = []
        touched = {existing.procedure_pk}
        if fill_number:
            assert new_key is not None
            for change_pk, change_record, change_proc in self._unlinked_changes([new_key], existing.pk):
                change = NoticeRecord.from_dict(change_record).changes
                events += self._link(existing.pk, merged, change_pk, change_record, change_proc, change, now)
                touched.add(change_proc)
        for pk in touched:
            refresh_procedure(self.session, pk, now)
        return events

    def _conflict(
        self,
        existing: _Existing,
        data: dict[str, Any],
        rhash: str,
        raw: RawDoc,
        raw_hash: str,
        now: datetime,
    ) -> IngestResult:
        raw_pk = self._store_raw(raw, raw_hash)
        stored = self._record(existing.pk)
        self._insert_ignore(
            NoticeConflict,
            {
                "notice_pk": existing.pk,
                "source": raw.source,
                "source_id": raw.source_id,
                "raw_document_pk": raw_pk,
                "record_hash": rhash,
                "record": data,
                "fields": differing_fields(stored, data),
                "detected_at": now,
            },
        )
        return IngestResult("conflict", existing.pk, existing.procedure_pk, [])

    def _add_source(self, notice_pk: int, raw: RawDoc, raw_pk: int | None, now: datetime) -> bool:
        values = {
            "notice_pk": notice_pk,
            "source": raw.source,
            "source_id": raw.source_id,
            "url": raw.url,
            "first_seen_at": now,
            "raw_document_pk": raw_pk,
        }
        return self._insert_ignore(NoticeSource, values) is not None

    def _resolve(self, ref: str) -> tuple[int, dict[str, Any], int] | None:
        """The stored notice a BT-758 reference names: (pk, record, procedure pk), or None yet."""
        split = split_version_ref(ref)
        if split:
            row = query(self.session, "base_by_version", nid=split[0], ver=split[1]).first()
        else:
            row = query(self.session, "base_by_publication", pub=ref).first()
        return (row[0], row[1], row[2]) if row else None

    def _unlinked_changes(
        self, keys: list[str | None], exclude_pk: int
    ) -> list[tuple[int, dict[str, Any], int]]:
        """Change notices stored earlier that name one of ``keys`` and wait for their original."""
        wanted = [k for k in keys if k]
        if not wanted:
            return []
        # Only the indexed column in SQL: with "changes_notice_pk IS NULL" in the WHERE clause
        # SQLite chose that index (true for almost every row) and scanned the table per ingest.
        rows = query(self.session, "changes_naming", refs=wanted).all()
        waiting = [(r[0], r[2]) for r in rows if r[1] is None and r[0] != exclude_pk]
        return [(pk, self._record(pk), proc) for pk, proc in waiting]

    def _record(self, pk: int) -> dict[str, Any]:
        return query(self.session, "record", pk=pk).scalar_one()

    def _link(
        self,
        base_pk: int,
        base_record: dict[str, Any],
        change_pk: int,
        change_record: dict[str, Any],
        change_proc_pk: int,
        change: Any,
        now: datetime,
        *,
        change_row_linked: bool = False,
    ) -> list[str]:
        """Record that ``change_pk`` changes ``base_pk``: supersede, store the diff, raise events.

        ``change_row_linked``: the change notice's row already names its base (it was inserted so).
        """
        if not change_row_linked:
            update_by_pk(self.session, Notice, change_pk, {"changes_notice_pk": base_pk, "updated_at": now})
        supersede(self.session, base_pk, change_pk, now)
        diff = diff_records(NoticeRecord.from_dict(base_record), NoticeRecord.from_dict(change_record))
        inserted = self._insert_ignore(
            NoticeDiff,
            {
                "notice_pk": change_pk,
                "base_notice_pk": base_pk,
                "fields": diff,
                "reasons": list(change.reasons) if change else [],
                "created_at": now,
            },
        )
        if inserted is None:  # linked before (e.g. by a reparse): events exist already
            return []
        kinds: list[str] = []
        for kind, old, new in material_events(diff):
            kinds += self._event(change_proc_pk, change_pk, kind, old, new, now)
        return kinds

    def _event(self, proc_pk: int, notice_pk: int, kind: str, old: Any, new: Any, now: datetime) -> list[str]:
        pk = self._insert_ignore(
            ProcedureEvent,
            {
                "procedure_pk": proc_pk,
                "notice_pk": notice_pk,
                "kind": kind,
                "old": old,
                "new": new,
                "created_at": now,
            },
        )
        return [kind] if pk is not None else []


def reparse(
    session: Session,
    parse: Parse,
    source: str | None = None,
    since: datetime | None = None,
    *,
    store: Store | None = None,
) -> ReparseStats:
    """Re-derive notices from the kept raw documents (of ``source``, fetched at or after ``since``),
    e.g. after a parser upgrade; see :mod:`db.store_reparse`. ``store``: the store that applies
    each document (default: a new one on ``session``; tests pass one with their own clock)."""
    store = store or Store(session)
    return reparse_documents(session, parse, store.rederive, source=source, since=since)


__all__ = [
    "RETRY_FAILED_DOCUMENTS",
    "FailedDocument",
    "IngestResult",
    "RawDoc",
    "ReparseStats",
    "SettleStats",
    "Store",
    "StoreError",
    "compute_state",
    "refresh_states",
    "reparse",
]
