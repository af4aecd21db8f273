"""Legacy TED notices in the store: identity by publication number, procedures by reference.

Parsed from the hand-written fixtures in ``tests/data/legacy`` (an F02 call, its F14 corrigendum
and F03 award) and from generated chains, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import Notice, NoticeDiff, Procedure, ProcedureEvent, RawDocument
from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import RawDoc, Store, reparse
from monitor.demo.samples.legacy import LegacyLot, LegacySpec, build_legacy_xml
from scrapers.parsers import parse_notice
from tests.conftest import shared_path
from tests.db.records import NOW

DATA = Path(__file__).resolve().parent.parent / "data" / "legacy"
CHAIN = ("f02_call_fin.xml", "f14_corrigendum_fin.xml", "f03_award_fin.xml")


def document(content: bytes, name: str) -> tuple[NoticeRecord, RawDoc]:
    """What the package spider delivers: source ``ted``, the publication number as the API writes it."""
    record = parse_notice(content, source_name=name)
    assert record.publication_number is not None
    number, year = record.publication_number.split("-")
    raw = RawDoc("ted", f"{int(number)}-{year}", f"https://ted.example/{name}", content, NOW)
    return record, raw


def fixture(name: str) -> tuple[NoticeRecord, RawDoc]:
    return document((DATA / name).read_bytes(), name)


@pytest.fixture
def session(db_url: str) -> Session:
    with get_sessionmaker(db_url)() as s:
        yield s
        s.rollback()


def _timeline(session: Session) -> list[tuple[str, str, str]]:
    procs = {p.id: p.procedure_key for p in session.scalars(select(Procedure))}
    return sorted(
        (procs[n.procedure_pk], n.subtype or "", n.lifecycle) for n in session.scalars(select(Notice))
    )


@pytest.mark.parametrize("order", list(itertools.permutations(CHAIN)))
def test_call_corrigendum_and_award_form_one_procedure_in_any_order(
    session: Session, order: tuple[str, ...]
) -> None:
    store = Store(session, clock=lambda: NOW)
    for name in order:
        store.ingest(*fixture(name))
    key = "ted-legacy:4201-2022"
    assert _timeline(session) == [(key, "F02", "call"), (key, "F03", "award"), (key, "F14", "change")]
    call, corrigendum = (
        session.scalar(select(Notice).where(Notice.subtype == form)) for form in ("F02", "F14")
    )
    assert corrigendum.changes_notice_pk == call.id and call.superseded_by_pk == corrigendum.id
    [diff] = session.scalars(select(NoticeDiff)).all()
    # the corrigendum says only what changed: no lot, value or document "removal" in its diff
    assert set(diff.fields) == {"deadline"} and diff.reasons == ["cor-buy"]
    events = sorted((e.kind, e.new) for e in session.scalars(select(ProcedureEvent)))
    assert [kind for kind, _ in events] == ["awarded", "deadline_moved"]
    assert events[1][1] == "2022-02-28T12:00:00+02:00"
    proc = session.scalar(select(Procedure))
    assert proc.state == "awarded"
    assert proc.deadline == datetime(2022, 2, 28, 10, 0, tzinfo=UTC)  # the corrigendum's deadline
    # what is bought still reads from the call, which the corrigendum only amends
    assert proc.title == "Asiakastietojärjestelmän kehittäminen"
    assert (proc.estimated_value_amount, proc.cpv_main) == (900000.0, "72000000")
    assert [lot["lot_id"] for lot in proc.lots] == ["LOT-0001", "LOT-0002"]
    assert (proc.first_published, proc.last_published) == (date(2022, 1, 5), date(2022, 4, 8))


def test_a_legacy_notice_is_one_notice_per_publication_number(session: Session) -> None:
    """No BT-701: the key is (source, publication number as the API writes it), which the package
    spider and the Search API spider both use, so a second delivery is a duplicate."""
    store = Store(session, clock=lambda: NOW)
    record, raw = fixture("f02_call_fin.xml")
    assert store.ingest(record, raw).status == "new"
    assert store.ingest(record, raw).status == "duplicate"
    notice = session.scalar(select(Notice))
    assert (notice.notice_id, notice.version, notice.source_key) == (None, None, "ted:4201-2022")
    assert (notice.publication_number, notice.publication_key) == ("00004201-2022", "4201-2022")
    assert notice.buyer_country == "FIN" and notice.title == "Asiakastietojärjestelmän kehittäminen"


def _spec(number: str, day: date, form: str, reference: str | None = None) -> LegacySpec:
    lots = () if form == "F14" else (LegacyLot(None, "", "Kuvaus."),)
    return LegacySpec(
        number=number,
        published=day,
        form=form,
        title="Robottibussien pilotointi",
        reference=reference,
        lots=lots,
        deadline=datetime(day.year, day.month, day.day, 12, 0) if form == "F02" else None,
    )


PIN_TO_MODIFICATION = (
    _spec("000101-2019", date(2019, 1, 10), "F01"),
    _spec("000202-2019", date(2019, 3, 1), "F02", reference="000101-2019"),
    _spec("000303-2019", date(2019, 6, 3), "F03", reference="000202-2019"),
    _spec("000404-2020", date(2020, 2, 3), "F20", reference="000303-2019"),
)
"""A PIN, the call naming it, the award naming the call, a modification naming the award: each
notice names only the one before it."""


def test_a_longer_chain_forms_one_procedure_in_publication_order(session: Session) -> None:
    store = Store(session, clock=lambda: NOW)
    for spec in PIN_TO_MODIFICATION:
        store.ingest(*document(build_legacy_xml(spec), spec.number))
    key = "ted-legacy:101-2019"
    assert _timeline(session) == [
        (key, "F01", "planning"),
        (key, "F02", "call"),
        (key, "F03", "award"),
        (key, "F20", "award"),
    ]
    assert session.scalar(select(Procedure)).state == "awarded"


def test_a_longer_chain_stored_backwards_stays_apart_where_it_names_a_later_link(session: Session) -> None:
    """The documented limit: the store joins a chain in publication order (as the package backfill
    delivers it). Stored newest first, each notice can only go by the one it names, which is not
    stored yet; the pairs that name the same notice still meet."""
    store = Store(session, clock=lambda: NOW)
    for spec in reversed(PIN_TO_MODIFICATION):
        store.ingest(*document(build_legacy_xml(spec), spec.number))
    assert _timeline(session) == [
        ("ted-legacy:101-2019", "F01", "planning"),
        ("ted-legacy:101-2019", "F02", "call"),
        ("ted-legacy:202-2019", "F03", "award"),
        ("ted-legacy:303-2019", "F20", "award"),
    ]


def test_reparse_brings_in_legacy_documents_kept_as_failures(db_url: str) -> None:
    """Before the legacy parser, a TED_EXPORT document fetched through the Search API was kept as a
    failure ('not eForms'); reparse turns it into a notice, and a second run changes nothing."""
    maker = get_sessionmaker(db_url)
    record, raw = fixture("f02_call_fin.xml")
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).record_failure(
            raw, "NotEformsError: ted:4201-2022: a legacy TED XML (TED_EXPORT) document, not eForms"
        )

    def parse(content: bytes, name: str) -> NoticeRecord:
        return parse_notice(content, source_name=name)

    with maker.begin() as session:
        stats = reparse(session, parse, store=Store(session, clock=lambda: NOW))
        assert stats.outcomes == {"new": 1}
    with maker.begin() as session:
        notice = session.scalar(select(Notice))
        assert notice.publication_number == record.publication_number and notice.lifecycle == "call"
        document_row = session.scalar(select(RawDocument))
        assert document_row.parse_error is None and zlib.decompress(document_row.content) == raw.content
        assert reparse(session, parse, store=Store(session, clock=lambda: NOW)).outcomes == {"unchanged": 1}


def test_corpus_chains_join_in_publication_order(session: Session) -> None:
    """The shared corpus's linked notices (38 refer to another one there), stored by publication
    date: every notice lands in the procedure of the notice it names, including the three whose
    named notice refers further back."""
    directory = shared_path("fixtures", "ted-legacy")
    records = {p.name: parse_notice(p.read_bytes(), source_name=p.name) for p in directory.glob("*.xml")}
    own = {
        f"ted-legacy:{int(r.publication_number[:8])}-{r.publication_number[-4:]}": n
        for n, r in records.items()
    }
    linked = {name for name, r in records.items() if own.get(r.procedure_id or "") not in (None, name)}
    involved = linked | {own[records[name].procedure_id] for name in linked}
    store = Store(session, clock=lambda: NOW)
    for name in sorted(involved, key=lambda n: (records[n].publication_date, n)):
        store.ingest(*document((directory / name).read_bytes(), name))
    procedure_of = {
        n.publication_number: p.procedure_key
        for n, p in session.execute(
            select(Notice, Procedure).join(Procedure, Notice.procedure_pk == Procedure.id)
        )
    }
    for name in linked:
        named = own[records[name].procedure_id]
        assert (
            procedure_of[records[name].publication_number] == procedure_of[records[named].publication_number]
        )
    assert procedure_of["00377668-2021"] == procedure_of["00273853-2021"] == "ted-legacy:214401-2021"
