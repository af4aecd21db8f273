"""The store on real SQLite and PostgreSQL: dedup across sources, changes, procedures, events."""

from __future__ import annotations

import dataclasses
import zlib
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.failures import DocumentFailure
from db.models.notices import (
    Notice,
    NoticeConflict,
    NoticeDiff,
    NoticeSource,
    Procedure,
    ProcedureEvent,
    RawDocument,
)
from db.models.runs import CrawlRun
from db.procedures import refresh_states
from db.record import Award, Lot
from db.session import get_sessionmaker
from db.store import FailedDocument, Store, StoreError
from tests.db.records import NOW, award_of, call, change_of, raw

TABLES = (RawDocument, Notice, NoticeSource, NoticeConflict, NoticeDiff, Procedure, ProcedureEvent)


@pytest.fixture
def session(db_url: str) -> Session:
    with get_sessionmaker(db_url)() as s:
        yield s
        s.rollback()


def counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def store(session: Session, now=NOW) -> Store:
    return Store(session, clock=lambda: now)


def events(session: Session) -> list[tuple[str, object, object]]:
    rows = session.execute(
        select(ProcedureEvent.kind, ProcedureEvent.old, ProcedureEvent.new).order_by(ProcedureEvent.id)
    )
    return [tuple(r) for r in rows]


def test_new_notice_is_stored_with_its_raw_document_source_and_procedure(session: Session) -> None:
    rec = call()
    doc = raw(rec)
    result = store(session).ingest(rec, doc)
    assert result.status == "new" and result.events == []
    notice = session.get(Notice, result.notice_pk)
    assert notice.to_record() == rec
    assert (notice.notice_id, notice.version, notice.publication_key) == (rec.notice_id, "01", "711911-2026")
    assert notice.title == "Innovatiivinen liikennejärjestelmä" and notice.buyer_org_id == "0201256-6"
    rawdoc = session.get(RawDocument, notice.raw_document_pk)
    assert rawdoc.raw_bytes() == doc.content and rawdoc.parse_error is None
    proc = session.get(Procedure, result.procedure_pk)
    assert proc.procedure_key == rec.procedure_id
    assert (proc.state, proc.deadline, proc.estimated_value_amount) == ("open", rec.deadline, 100_000.0)
    assert proc.latest_notice_pk == notice.id and proc.lots[0]["lot_id"] == "LOT-0001"
    assert proc.buyer_legal_type == "la"


@pytest.mark.parametrize("order", [("hilma", "ted"), ("ted", "hilma")])
def test_same_notice_from_hilma_and_ted_is_one_row_with_two_sources(session: Session, order) -> None:
    ted = call()
    # HILMA delivers before TED publishes: no OJ S number or publication date yet, and extras.
    hilma = dataclasses.replace(
        ted, publication_number=None, publication_date=None, national={"FI-20": "true"}
    )
    docs = {"ted": (ted, raw(ted, "ted")), "hilma": (hilma, raw(hilma, "hilma"))}
    s = store(session)
    first = s.ingest(*docs[order[0]])
    second = s.ingest(*docs[order[1]])
    assert (first.status, second.status) == ("new", "new_source")
    assert first.notice_pk == second.notice_pk
    assert counts(session)["notices"] == 1 and counts(session)["raw_documents"] == 2
    assert sorted(session.scalars(select(NoticeSource.source))) == ["hilma", "ted"]
    notice = session.get(Notice, first.notice_pk)
    assert notice.publication_number == "00711911-2026" and notice.publication_date == date(2026, 3, 1)
    assert notice.to_record().publication_number == "00711911-2026"
    assert s.has_publication_numbers(["711911-2026", "00711911-2026", "1-2026"]) == {
        "711911-2026",
        "00711911-2026",
    }


def test_resent_identical_document_changes_nothing(session: Session) -> None:
    rec = call()
    s = store(session)
    s.ingest(rec, raw(rec))
    before = counts(session)
    again = s.ingest(rec, raw(rec))
    assert again.status == "duplicate" and again.events == []
    assert counts(session) == before


def test_deadline_moved_by_change_notice_gives_exactly_one_event(session: Session) -> None:
    original = call()
    later = original.deadline + timedelta(days=14)
    change = change_of(original, deadline=later, lots=[dataclasses.replace(original.lots[0], deadline=later)])
    s = store(session)
    s.ingest(original, raw(original))
    result = s.ingest(change, raw(change))
    assert result.status == "new" and result.events == ["deadline_moved"]
    assert events(session) == [("deadline_moved", original.deadline.isoformat(), later.isoformat())]
    base = session.scalar(select(Notice).where(Notice.version == "01"))
    newer = session.scalar(select(Notice).where(Notice.version == "02"))
    assert base.superseded_by_pk == newer.id and newer.changes_notice_pk == base.id
    diff = session.scalar(select(NoticeDiff))
    assert diff.base_notice_pk == base.id and set(diff.fields) == {"deadline"}
    assert diff.reasons == ["update-add"]
    proc = session.get(Procedure, result.procedure_pk)
    assert proc.deadline == later and proc.latest_notice_pk == newer.id
    # re-ingesting either notice, from either source, raises nothing new
    before = counts(session)
    assert s.ingest(change, raw(change)).events == []
    assert s.ingest(original, raw(original)).status == "duplicate"
    assert counts(session) == before


def test_change_notice_material_changes_each_give_one_event(session: Session) -> None:
    original = call(lots=("LOT-0001", "LOT-0002"))
    lots = [original.lots[0], Lot(lot_id="LOT-0003", deadline=original.deadline)]
    change = change_of(
        original,
        lots=lots,
        estimated_value=None,
        documents_url="https://tarjouspalvelu.fi/docs/2",
        title={"fin": "Uusi otsikko"},
    )
    s = store(session)
    s.ingest(original, raw(original))
    result = s.ingest(change, raw(change))
    assert sorted(result.events) == ["documents_changed", "lots_added", "lots_removed", "value_changed"]
    kinds = {k: (old, new) for k, old, new in events(session)}
    assert kinds["lots_added"] == (["LOT-0001", "LOT-0002"], ["LOT-0003"])
    assert kinds["lots_removed"] == (["LOT-0001", "LOT-0002"], ["LOT-0002"])
    assert kinds["value_changed"] == ({"amount": 100_000.0, "currency": "EUR"}, None)
    diff = session.scalar(select(NoticeDiff))
    assert diff.fields["title"]["new"] == {"fin": "Uusi otsikko"}  # stored, but no event for a title edit


def test_change_by_publication_number_without_leading_zeros(session: Session) -> None:
    original = call(publication_number="00711911-2026")
    change = change_of(original, ref="711911-2026", deadline=original.deadline + timedelta(days=1))
    s = store(session)
    s.ingest(original, raw(original))
    assert s.ingest(change, raw(change)).events == ["deadline_moved"]


@pytest.mark.parametrize("ref_form", ["uuid", "publication"])
def test_change_arriving_before_its_original_is_linked_later(db_url: str, ref_form: str) -> None:
    original = call()
    later = original.deadline + timedelta(days=7)
    ref = "711911-2026" if ref_form == "publication" else None
    change = change_of(original, ref=ref, deadline=later)
    with get_sessionmaker(db_url)() as session:
        s = store(session)
        early = s.ingest(change, raw(change))
        assert early.events == [] and session.get(Notice, early.notice_pk).changes_notice_pk is None
        late = s.ingest(original, raw(original))
        assert late.events == ["deadline_moved"]
        assert events(session) == [("deadline_moved", original.deadline.isoformat(), later.isoformat())]
        changed = session.get(Notice, early.notice_pk)
        assert changed.changes_notice_pk == late.notice_pk
        assert session.get(Notice, late.notice_pk).superseded_by_pk == early.notice_pk
        proc = session.get(Procedure, late.procedure_pk)
        # the change notice is the current one although the original arrived last
        assert proc.deadline == later and proc.latest_notice_pk == early.notice_pk
        session.rollback()


def test_change_via_publication_number_learnt_from_ted_after_hilma(session: Session) -> None:
    """HILMA has no publication number; the change names one; TED's copy brings it."""
    original = call()
    hilma = dataclasses.replace(original, publication_number=None, publication_date=None)
    change = change_of(original, ref="711911-2026", deadline=original.deadline + timedelta(days=2))
    s = store(session)
    s.ingest(hilma, raw(hilma, "hilma"))
    assert s.ingest(change, raw(change)).events == []
    result = s.ingest(original, raw(original, "ted"))
    assert result.status == "new_source" and result.events == ["deadline_moved"]


def test_cancellation_makes_procedure_cancelled(session: Session) -> None:
    original = call()
    cancel = change_of(original, reasons=("cancel",))
    s = store(session)
    first = s.ingest(original, raw(original))
    result = s.ingest(cancel, raw(cancel))
    assert "cancelled" in result.events
    assert session.get(Procedure, first.procedure_pk).state == "cancelled"
    assert ("cancelled", None, {"reasons": ["cancel"]}) in events(session)


def test_result_with_every_lot_closed_without_winner_cancels(session: Session) -> None:
    original = call()
    s = store(session)
    first = s.ingest(original, raw(original))
    discontinued = award_of(original, status="clos-nw")
    assert s.ingest(discontinued, raw(discontinued)).events == ["cancelled"]
    assert session.get(Procedure, first.procedure_pk).state == "cancelled"


@pytest.mark.parametrize("award_first", [False, True])
def test_award_links_to_its_call_through_bt04(session: Session, award_first: bool) -> None:
    original = call()
    award = award_of(original)
    s = store(session)
    pair = (
        [(award, raw(award)), (original, raw(original))]
        if award_first
        else [
            (original, raw(original)),
            (award, raw(award)),
        ]
    )
    results = [s.ingest(*p) for p in pair]
    assert results[0].procedure_pk == results[1].procedure_pk
    assert "awarded" in results[0 if award_first else 1].events
    proc = session.get(Procedure, results[0].procedure_pk)
    assert proc.state == "awarded"
    # the call, not the award, describes what is bought
    assert proc.deadline == original.deadline and proc.estimated_value_amount == 100_000.0
    awarded = [e for e in events(session) if e[0] == "awarded"]
    assert len(awarded) == 1 and awarded[0][2][0]["winners"] == ["Firma Oy"]


def test_conflicting_content_for_same_version_is_recorded_not_applied(session: Session) -> None:
    rec = call()
    other = dataclasses.replace(rec, title={"fin": "Eri otsikko"})
    s = store(session)
    first = s.ingest(rec, raw(rec, "ted"))
    result = s.ingest(other, raw(other, "hilma"))
    assert result.status == "conflict" and result.notice_pk == first.notice_pk
    conflict = session.scalar(select(NoticeConflict))
    assert conflict.source == "hilma" and conflict.fields == ["title"]
    assert session.get(Notice, first.notice_pk).to_record() == rec
    assert counts(session)["raw_documents"] == 2  # the conflicting bytes are kept too
    before = counts(session)
    assert s.ingest(other, raw(other, "hilma")).status == "conflict"
    assert counts(session) == before


def test_record_failure_keeps_the_bytes_and_the_error(session: Session) -> None:
    rec = call()
    doc = dataclasses.replace(raw(rec), content=b"<Notice><broken")
    s = store(session)
    s.record_failure(doc, "XMLSyntaxError: line 1")
    stored = session.scalar(select(RawDocument))
    assert (
        zlib.decompress(stored.content) == b"<Notice><broken"
        and stored.parse_error == "XMLSyntaxError: line 1"
    )
    # Kept, but not known: the next crawl that lists it fetches it again (issue #13).
    assert s.known_source_ids("ted", [doc.source_id, "other"]) == set()
    failure = session.get(DocumentFailure, ("ted", doc.source_id))
    assert failure is not None and failure.kind == "parse" and failure.attempts == 1
    # the same bytes parsed successfully later clear the error, keeping one document
    s.ingest(rec, doc)
    assert counts(session)["raw_documents"] == 1 and session.scalar(select(RawDocument.parse_error)) is None
    assert s.known_source_ids("ted", [doc.source_id]) == {doc.source_id}
    session.expire_all()
    assert session.get(DocumentFailure, ("ted", doc.source_id)) is None  # the good copy replaced it


def test_a_failed_document_is_retried_up_to_the_bound_then_given_up(session: Session) -> None:
    s = store(session)
    failed = FailedDocument("hilma", "100007", "download", "HTTP 500", published=date(2026, 11, 30))
    outcomes = [s.record_fetch_failure(failed, give_up_after=3).status for _ in range(4)]
    assert outcomes == ["failed", "failed", "given_up", "failed"]  # reported once, when it happens
    row = session.get(DocumentFailure, ("hilma", "100007"))
    assert row.attempts == 4 and row.given_up_at == NOW and row.published_on == date(2026, 11, 30)
    assert s.known_source_ids("hilma", ["100007", "100008"]) == {"100007"}  # given up counts as known
    # A permanent failure (HILMA lists a notice it has no eForms XML for) is given up at once.
    legacy = FailedDocument("hilma", "100009", "no_eforms", "no eForm in the answer")
    assert s.record_fetch_failure(legacy, give_up_after=1).status == "given_up"


def test_a_good_copy_in_a_batch_clears_the_failure(session: Session) -> None:
    rec = call()
    s = store(session)
    s.record_fetch_failure(FailedDocument("ted", raw(rec).source_id, "download", "HTTP 403"))
    s.ingest_many([(rec, raw(rec))])
    session.expire_all()
    assert session.get(DocumentFailure, ("ted", raw(rec).source_id)) is None


def test_the_watermark_stops_before_a_listed_notice_that_is_not_stored(session: Session) -> None:
    rec = call()
    s = store(session)
    s.ingest(rec, raw(rec))
    stored, missing = raw(rec).source_id, "999-2026"
    end, day = NOW + timedelta(days=3), NOW.date()
    listed = {stored: day - timedelta(days=9), missing: day - timedelta(days=5)}
    assert s.held_watermark("ted", end, {stored: day}) == end
    held = s.held_watermark("ted", end, listed)
    assert held == datetime.combine(day - timedelta(days=6), time(), UTC)  # the day before the missing one
    assert s.held_watermark("ted", end, {missing: None}) is None  # no day known: do not move
    s.record_fetch_failure(FailedDocument("ted", missing, "download", "HTTP 403"), give_up_after=1)
    assert s.held_watermark("ted", end, listed) == end  # given up: it holds nothing any more
    assert session.get(DocumentFailure, ("ted", missing)) is not None  # and stays reported


def test_a_failure_another_source_made_good_is_cleared_when_the_crawl_settles(session: Session) -> None:
    rec = call()
    s = store(session)
    number = rec.publication_number
    s.record_fetch_failure(FailedDocument("ted", number, "download", "HTTP 403"))
    s.ingest(rec, raw(rec, "hilma", "100001"))  # HILMA brought the same notice
    end = NOW + timedelta(days=1)
    assert s.held_watermark("ted", end, {number: NOW.date()}, publication_numbers=True) == end
    session.expire_all()
    assert session.get(DocumentFailure, ("ted", number)) is None


def test_states_follow_time_and_planning(session: Session) -> None:
    s = store(session)
    pin = dataclasses.replace(call(deadline=None), form_type="planning", subtype="4", notice_type="pin-only")
    planned = s.ingest(pin, raw(pin))
    assert session.get(Procedure, planned.procedure_pk).state == "planned"
    rec = call(deadline=NOW + timedelta(days=1))
    opened = s.ingest(rec, raw(rec, source_id="x-1"))
    assert session.get(Procedure, opened.procedure_pk).state == "open"
    assert refresh_states(session, NOW + timedelta(days=2)) == 1
    session.expire_all()
    assert session.get(Procedure, opened.procedure_pk).state == "closed"
    assert session.get(Procedure, planned.procedure_pk).state == "planned"
    assert refresh_states(session, NOW + timedelta(days=2)) == 0


def test_notice_without_eforms_identity_falls_back_to_source_key(session: Session) -> None:
    rec = dataclasses.replace(call(), notice_id=None, version=None, procedure_id=None)
    s = store(session)
    first = s.ingest(rec, raw(rec, "ocds", "ocds-123"))
    assert s.ingest(rec, raw(rec, "ocds", "ocds-123")).status == "duplicate"
    notice = session.get(Notice, first.notice_pk)
    assert notice.source_key == "ocds:ocds-123"
    assert session.get(Procedure, first.procedure_pk).procedure_key == "source:ocds:ocds-123"


def test_award_value_and_winners_survive_in_the_record(session: Session) -> None:
    rec = dataclasses.replace(
        award_of(call()), awards=[Award(lot_id=None, status="selec-w", winners=["A", "B"])]
    )
    result = store(session).ingest(rec, raw(rec))
    assert session.get(Notice, result.notice_pk).to_record().awards[0].winners == ["A", "B"]


def test_watermarks_and_crawl_runs(session: Session) -> None:
    s = store(session)
    assert s.get_watermark("ted") is None
    s.set_watermark("ted", NOW)
    s.set_watermark("ted", NOW + timedelta(hours=1))
    assert s.get_watermark("ted") == NOW + timedelta(hours=1)
    # A crawl that read less far (finishing after a concurrent one) never moves it back.
    s.set_watermark("ted", NOW)
    assert s.get_watermark("ted") == NOW + timedelta(hours=1)
    run_id = s.start_run("ted")
    assert session.get(CrawlRun, run_id).status == "running"
    s.finish_run(
        run_id,
        status="finished",
        requests=12,
        seen=10,
        new=7,
        updated=1,
        errors={"parse": 1},
        close_reason="finished",
        stats={"downloader/response_count": 12},
    )
    session.expire_all()
    run = session.get(CrawlRun, run_id)
    assert (run.status, run.requests, run.notices_new, run.errors) == ("finished", 12, 7, {"parse": 1})
    assert run.finished_at == NOW
    with pytest.raises(StoreError, match="status"):
        s.finish_run(run_id, status="done", requests=0, seen=0, new=0, updated=0, errors={}, close_reason="")
    with pytest.raises(StoreError, match="no crawl run"):
        s.finish_run(
            999999, status="failed", requests=0, seen=0, new=0, updated=0, errors={}, close_reason=""
        )
