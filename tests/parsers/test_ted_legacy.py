"""Legacy TED XML (TED_EXPORT R2.0.9/R2.0.8) → the same normalized record eForms notices give.

The fixtures in ``tests/data/legacy`` are hand-written for this project: one per form family
(an F02 call, its F14 corrigendum and F03 award, a German innovation partnership with TED's
translated headings, an R2.0.8 contract notice). ``monitor.demo.samples.legacy`` generates many more.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from db.record import Money, NoticeRecord
from db.store_keys import lifecycle
from monitor.demo.samples.legacy import build_legacy_xml, generate_legacy_specs
from scrapers.parsers import (
    IncompleteNoticeError,
    MalformedXmlError,
    UnsafeXmlError,
    parse_notice,
    sniff_kind,
)
from scrapers.parsers.ted_codes import COUNTRY_ALPHA3, country, language

DATA = Path(__file__).resolve().parent.parent / "data" / "legacy"
HELSINKI_WINTER = timezone(timedelta(hours=2))


def parse(name: str) -> NoticeRecord:
    return parse_notice((DATA / name).read_bytes(), source_name=name)


def test_f02_call_reads_like_an_eforms_contract_notice() -> None:
    r = parse("f02_call_fin.xml")
    assert (r.notice_id, r.version) == (None, None)  # no BT-701: keyed by publication number
    assert r.publication_number == "00004201-2022"  # eForms' spelling of OPP-010
    assert r.publication_date == date(2022, 1, 5) and r.issue_date == date(2021, 12, 30)
    assert (r.subtype, r.notice_type, r.form_type) == ("F02", "cn-standard", "competition")
    assert lifecycle(r) == "call"
    assert r.procedure_id == "ted-legacy:4201-2022"
    assert r.language == "fin" and r.sdk_version == "R2.0.9.S05.E01"
    assert r.title["fin"] == "Asiakastietojärjestelmän kehittäminen"  # the buyer's own title
    assert r.title["swe"] == "Datatjänster" and r.title["eng"].startswith("IT services")  # TED's headings
    assert "deu" not in r.title  # headings are read in the languages TenderWatch reads
    assert r.national == {"ted:heading": {"fin": "Tietotekniset palvelut"}}
    # paragraphs one per line, a wrapped line's whitespace collapsed
    assert r.description == {
        "fin": "Hankinnan kohteena on asiakastietojärjestelmän jatkokehitys ja ylläpito.\n"
        "Sopimuskausi on kolme vuotta."
    }
    assert r.additional_info == {"fin": "Kysymykset esitetään kirjallisesti."}
    [buyer] = r.buyers  # the review body is an organisation too, but not a buyer
    assert (buyer.name, buyer.org_id, buyer.country, buyer.city, buyer.nuts) == (
        "Esimerkkikaupunki",
        "0123456-7",
        "FIN",
        "Helsinki",
        "FI1B1",
    )
    assert (buyer.legal_type, buyer.activity) == ("ra", "gen-pub")
    assert (r.procedure_type, r.main_nature, r.legal_basis) == ("open", "services", "32014L0024")
    assert r.cpv_main == "72000000" and r.all_cpv == ["72000000", "72212000", "72267000"]
    assert r.estimated_value == Money(900000.0, "EUR")
    assert r.deadline == datetime(2022, 2, 14, 12, 0, tzinfo=HELSINKI_WINTER)  # Helsinki local time
    assert r.documents_url == "https://tarjoukset.example/4201"
    assert [lot.lot_id for lot in r.lots] == ["LOT-0001", "LOT-0002"]
    first, second = r.lots
    assert first.title == {"fin": "Kehitys"} and first.cpv_additional == ["72212000"]
    assert first.estimated_value == Money(600000.0, "EUR") and first.deadline == r.deadline
    assert first.signals == {"BT-60": ["no-eu-funds"], "BT-63": ["allowed"]}
    assert second.additional_info == {"fin": "Optio kahdesta lisävuodesta."}
    assert r.signals["BT-105"] == ["open"] and r.signals["BT-63"] == ["allowed", "not-allowed"]
    assert r.languages == ["fin"] and r.awards == [] and r.changes is None


def test_f14_corrigendum_is_a_change_of_the_call_with_its_new_deadline() -> None:
    r = parse("f14_corrigendum_fin.xml")
    assert (r.subtype, r.notice_type, r.form_type) == ("F14", "corr", "change")
    assert lifecycle(r) == "change"
    assert r.procedure_id == parse("f02_call_fin.xml").procedure_id  # joins the call's procedure
    assert r.changes is not None and r.changes.changed_notice == "00004201-2022"
    assert r.changes.reasons == ["cor-buy"]
    text = r.changes.descriptions["fin"]
    assert "IV.2.2 Tarjousten vastaanottamisen määräaika: 2022-02-14 12:00 → 2022-02-28 12:00" in text
    assert "Määräaikaa jatketaan kahdella viikolla." in text
    assert r.deadline == datetime(2022, 2, 28, 12, 0, tzinfo=HELSINKI_WINTER)
    assert r.lots == [] and r.awards == []  # a corrigendum repeats only what it changes


def test_f03_award_names_winners_per_lot_and_a_discontinued_lot() -> None:
    r = parse("f03_award_fin.xml")
    assert (r.subtype, r.notice_type, r.form_type) == ("F03", "can-standard", "result")
    assert lifecycle(r) == "award"
    assert r.procedure_id == "ted-legacy:4201-2022"
    won, lost = r.awards
    assert (won.lot_id, won.status, won.winners) == ("LOT-0001", "selec-w", ["Koodi Oy", "Data Ab"])
    assert won.value == Money(580000.0, "EUR")  # the contract's total, not the estimate beside it
    assert (lost.lot_id, lost.status, lost.winners, lost.value) == ("LOT-0002", "clos-nw", [], None)
    assert r.estimated_value is None  # VAL_TOTAL is what was paid, not an estimate
    assert r.buyers[0].legal_type == "ra" and r.buyers[0].activity is None


def test_innovation_partnership_with_translated_headings() -> None:
    r = parse("f02_innovation_partnership_deu.xml")
    assert r.procedure_type == "innovation" and r.signals["BT-105"] == ["innovation"]
    assert r.language == "deu" and r.sdk_version == "R2.0.9.S02.E01"
    # the German buyer's own title, and TED's translated headings for the Finnish, Swedish and
    # English readers (the other 20 languages are not kept)
    assert r.title == {
        "deu": "Innovationspartnerschaft: Sensorik für Stadtbäume",
        "eng": "Research and experimental development services",
        "fin": "Tutkimus- ja kehityspalvelut",
        "swe": "Forsknings- och utvecklingstjänster",
    }
    assert [b.name for b in r.buyers] == ["Senatsverwaltung für Umwelt", "Bezirksamt Mitte"]
    assert {b.activity for b in r.buyers} == {"env-pro"}
    assert r.legal_basis == "32014L0024"  # from DIRECTIVE, as this schema release writes it
    # a date without a time is the end of that day, Berlin summer time
    assert r.deadline == datetime(2018, 4, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=2)))
    assert [lot.lot_id for lot in r.lots] == ["LOT-0000"]  # not divided into lots, as eForms writes it


def test_r208_contract_notice() -> None:
    r = parse("r208_contract_swe.xml")
    assert (r.subtype, r.notice_type, r.form_type) == ("F02", "cn-standard", "competition")
    assert r.sdk_version == "R2.0.8.S02.E01"
    assert r.title["swe"] == "Lokalvård i kommunens skolor" and r.title["fin"] == "Siivouspalvelut"
    [buyer] = r.buyers  # not the contact office, not the appeal court
    assert (buyer.name, buyer.org_id, buyer.country, buyer.legal_type) == (
        "Uppsala kommun",
        "212000-3005",
        "SWE",
        "ra",
    )
    assert (r.cpv_main, r.cpv_additional, r.place_nuts) == ("90910000", ["90911200"], ["SE121"])
    assert r.estimated_value == Money(2500000.0, "SEK")
    assert r.deadline == datetime(2015, 10, 12, 23, 59, tzinfo=timezone(timedelta(hours=2)))
    assert [(lot.lot_id, lot.title, lot.cpv_main) for lot in r.lots] == [
        ("LOT-0001", {"swe": "Norra skolområdet"}, "90911200"),
        ("LOT-0002", {"swe": "Södra skolområdet"}, None),
    ]
    assert r.additional_info == {"swe": "Frågor ställs via upphandlingsverktyget."}


def test_records_survive_the_store_round_trip() -> None:
    for path in sorted(DATA.glob("*.xml")):
        record = parse(path.name)
        assert NoticeRecord.from_dict(record.to_dict()).to_dict() == record.to_dict(), path.name


# ----------------------------------------------------------------------------------- hostile input
def _legacy() -> bytes:
    return (DATA / "f02_call_fin.xml").read_bytes()


def test_legacy_document_with_entities_is_refused_without_expansion() -> None:
    body = _legacy().partition(b"<TED_EXPORT")[2]
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE TED_EXPORT [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<TED_EXPORT' + body.replace(b"Kehitys", b"&b;")
    )
    with pytest.raises(UnsafeXmlError) as info:
        parse_notice(bomb, source_name="bomb.xml")
    assert str(info.value).startswith("bomb.xml: DOCTYPE")
    xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + b"<TED_EXPORT" + body
    with pytest.raises(UnsafeXmlError):
        parse_notice(xxe)


def test_legacy_document_with_a_bare_doctype_is_refused() -> None:
    data = _legacy().replace(b"<TED_EXPORT", b'<!DOCTYPE TED_EXPORT SYSTEM "TED_EXPORT.dtd">\n<TED_EXPORT', 1)
    with pytest.raises(UnsafeXmlError):
        parse_notice(data, source_name="dtd.xml")


@pytest.mark.parametrize("cut", [200, 2000, -30])
def test_truncated_legacy_document(cut: int) -> None:
    with pytest.raises(MalformedXmlError) as info:
        parse_notice(_legacy()[:cut], source_name="part.xml")
    assert str(info.value).startswith("part.xml: not well-formed XML")


def test_legacy_document_without_publication_number_is_incomplete() -> None:
    data = _legacy().replace(b'DOC_ID="004201-2022"', b"").replace(b"2022/S 003-004201", b"")
    with pytest.raises(IncompleteNoticeError, match="publication number"):
        parse_notice(data, source_name="nodoc.xml")
    assert sniff_kind(_legacy()) == "ted-export"


# ----------------------------------------------------------------------------------- generated
def test_generated_notices_read_back_as_specified() -> None:
    """Hundreds of generated notices of every form the generator writes: what the generator
    put in is what the parser reads out (an independent statement: the spec)."""
    procedures = {
        "PT_OPEN": "open",
        "PT_RESTRICTED": "restricted",
        "PT_COMPETITIVE_NEGOTIATION": "neg-w-call",
        "PT_COMPETITIVE_DIALOGUE": "comp-dial",
        "PT_INNOVATION_PARTNERSHIP": "innovation",
        "PT_NEGOTIATED_WITHOUT_PUBLICATION": "neg-wo-call",
    }
    specs = generate_legacy_specs(400, seed=11, day=date(2021, 6, 2), finnish_share=0.3)
    forms = set()
    for spec in specs:
        r = parse_notice(build_legacy_xml(spec), source_name=spec.number)
        forms.add(spec.form)
        number, year = spec.number.split("-")
        assert r.publication_number == f"{int(number):08d}-{year}"
        assert r.publication_date == spec.published and r.subtype == spec.form
        assert r.buyers[0].name == spec.buyer and r.buyers[0].country == country(spec.country)
        assert r.language == language(spec.language) and r.title[r.language] == spec.title
        assert r.cpv_main == spec.cpv_main
        assert r.procedure_type == procedures[spec.procedure], spec
        if spec.deadline is not None:
            assert r.deadline is not None and r.deadline.replace(tzinfo=None) == spec.deadline
        if spec.form == "F14":
            assert r.changes is not None and r.form_type == "change"
            assert spec.reference is not None
            ref_number, ref_year = spec.reference.split("-")
            assert r.changes.changed_notice == f"{int(ref_number):08d}-{ref_year}"
        elif spec.form in ("F17", "F18"):  # R2.0.8 names lots only when the contract is divided
            assert len(r.lots) == (len(spec.lots) if spec.form == "F17" and len(spec.lots) > 1 else 0)
        else:
            assert len(r.lots) == len(spec.lots)
        winners = [a.winner for a in spec.awards if a.winner]
        assert [w for a in r.awards for w in a.winners] == winners
        expected_start = spec.reference or spec.number
        assert r.procedure_id == f"ted-legacy:{int(expected_start.split('-')[0])}-{expected_start[-4:]}"
    assert {"F01", "F02", "F03", "F14", "F15", "F17", "F18", "F20", "F21"} <= forms


def test_country_and_language_codes() -> None:
    assert (country("FI"), country("UK"), country("EL"), country("gr")) == ("FIN", "GBR", "GRC", "GRC")
    assert country("ZZ") == "ZZ" and country(None) is None  # unknown codes are kept, not dropped
    assert (language("FI"), language("SV"), language("GA"), language("xx")) == ("fin", "swe", "gle", "xx")
    assert len(set(COUNTRY_ALPHA3.values())) == len(COUNTRY_ALPHA3) - 2  # UK and EL are aliases
