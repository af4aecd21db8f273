"""Field-by-field behaviour on hand-made notices: the cases docs/eforms.md#pitfalls names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from db.record import Award, Buyer, Change, Money
from monitor.demo.samples.builder import LotSpec, NoticeSpec, build_notice_xml
from scrapers.parsers import parse_notice

HEL = timezone(timedelta(hours=3))


def _parse(spec: NoticeSpec):
    return parse_notice(build_notice_xml(spec), source_name="test")


def test_legacy_bt776_codes_are_kept_and_unioned_into_notice_signals() -> None:
    spec = NoticeSpec(
        sdk_version="1.5",
        lots=[
            LotSpec(lot_id="LOT-0001", signals={"BT-776": ["org-nov", "fp-requ"], "BT-06": ["inn-pur"]}),
            LotSpec(lot_id="LOT-0002", signals={"BT-776": ["buy-eff", "other", "org-nov"]}),
        ],
    )
    record = _parse(spec)
    assert record.lots[0].signals["BT-776"] == ["fp-requ", "org-nov"]
    assert record.signals["BT-776"] == ["buy-eff", "fp-requ", "org-nov", "other"]
    assert record.signals["BT-06"] == ["inn-pur"]
    assert record.sdk_version == "eforms-sdk-1.5"


def test_change_notice_in_both_bt758_forms() -> None:
    uuid_form = _parse(
        NoticeSpec(change=Change("f42be27e-09cf-4f0e-a745-63ec689631e6-01", ["cancel"], {"fin": "Peruttu"}))
    )
    assert uuid_form.changes == Change(
        "f42be27e-09cf-4f0e-a745-63ec689631e6-01", ["cancel"], {"fin": "Peruttu"}
    )
    number_form = _parse(NoticeSpec(change=Change("711911-2023", ["cor-buy", "update-add"])))
    assert number_form.changes is not None
    assert number_form.changes.changed_notice == "711911-2023"
    assert number_form.changes.reasons == ["cor-buy", "update-add"]


def test_joint_buyers_each_resolved_through_the_organisations_block() -> None:
    buyers = [
        Buyer("Väylävirasto", "1010547-1", "FIN", "Helsinki", "FI1B1", "cga", "gen-pub"),
        Buyer("Sastamalan kaupunki", "0145175-5", "FIN", "Sastamala", "FI197", "la", "gen-pub"),
    ]
    record = _parse(NoticeSpec(buyers=buyers, awards=[Award("LOT-0001", "selec-w", ["Urakoitsija Oy"])]))
    assert record.buyers == buyers  # winners and the review body are organisations too, not buyers


def test_multilingual_texts_keyed_by_lower_case_iso639_3() -> None:
    spec = NoticeSpec(
        language="swe",
        title={"swe": "Städtjänster", "fin": "Siivouspalvelut", "eng": "Cleaning"},
        description={"swe": "Beskrivning", "fin": "Kuvaus"},
        lots=[LotSpec(lot_id="LOT-0001", title={"swe": "Del 1", "fin": "Osa 1"}, note={"eng": "Note"})],
    )
    record = _parse(spec)
    assert record.language == "swe"
    assert record.languages == ["swe", "fin", "eng"]
    assert record.title == {"swe": "Städtjänster", "fin": "Siivouspalvelut", "eng": "Cleaning"}
    assert record.lots[0].additional_info == {"eng": "Note"}
    assert record.text(record.title) == "Städtjänster"


def test_awards_follow_the_result_chain_to_winner_names_and_sum_values() -> None:
    spec = NoticeSpec(
        subtype="29",
        lots=[LotSpec(lot_id="LOT-0001"), LotSpec(lot_id="LOT-0002")],
        awards=[
            Award("LOT-0001", "selec-w", ["Alpha Oy", "Beta AB"], Money(1000.01, "EUR")),
            Award("LOT-0002", "clos-nw", []),
        ],
    )
    record = _parse(spec)
    assert record.awards[0] == Award("LOT-0001", "selec-w", ["Alpha Oy", "Beta AB"], Money(1000.01, "EUR"))
    assert record.awards[1] == Award("LOT-0002", "clos-nw", [], None)
    assert record.form_type == "result" and record.notice_type == "can-standard"


def test_hilma_national_extension() -> None:
    spec = NoticeSpec(subtype="E3", national={"FI-20": False, "FI-11": "defence-legislation"})
    record = _parse(spec)
    assert record.national == {"FI-20": False, "FI-11": "defence-legislation"}
    assert record.legal_basis == "other"


def test_deadlines_date_only_is_end_of_day_and_earliest_lot_wins() -> None:
    spec = NoticeSpec(
        lots=[
            LotSpec(lot_id="LOT-0001", deadline=datetime(2025, 3, 10, 12, 0, tzinfo=HEL)),
            LotSpec(
                lot_id="LOT-0002", deadline=datetime(2025, 3, 1, 9, 0, tzinfo=HEL), deadline_date_only=True
            ),
            LotSpec(
                lot_id="LOT-0003",
                deadline=datetime(2025, 2, 20, 16, 0, tzinfo=HEL),
                deadline_kind="participation",
            ),
        ]
    )
    record = _parse(spec)
    assert record.lots[1].deadline == datetime(2025, 3, 1, 23, 59, 59, tzinfo=HEL)
    assert record.lots[1].deadline.utcoffset() == timedelta(hours=3)  # the notice's own offset is kept
    assert record.deadline == datetime(2025, 2, 20, 13, 0, tzinfo=UTC)


def test_participation_deadline_before_tender_deadline_is_the_one_to_act_on() -> None:
    xml = build_notice_xml(
        NoticeSpec(lots=[LotSpec(lot_id="LOT-0001", deadline=datetime(2025, 5, 5, 12, 0, tzinfo=HEL))])
    )
    xml = xml.replace(
        b"</cac:TenderSubmissionDeadlinePeriod>",
        b"</cac:TenderSubmissionDeadlinePeriod><cac:ParticipationRequestReceptionPeriod>"
        b"<cbc:EndDate>2025-04-01+03:00</cbc:EndDate><cbc:EndTime>10:00:00+03:00</cbc:EndTime>"
        b"</cac:ParticipationRequestReceptionPeriod>",
    )
    record = parse_notice(xml)
    assert record.deadline == datetime(2025, 4, 1, 10, 0, tzinfo=HEL)


def test_subtype_decides_not_the_root_element() -> None:
    record = _parse(NoticeSpec(subtype="10", root="ContractNotice"))
    assert record.subtype == "10"
    assert record.notice_type == "pin-cfc-standard" and record.form_type == "competition"


def test_pin_parts_and_lots_groups() -> None:
    xml = build_notice_xml(NoticeSpec(subtype="4", lots=[LotSpec(lot_id="PAR-0001", title={"fin": "Osa"})]))
    assert b'schemeName="Part">PAR-0001' in xml
    group = (
        b'<cac:ProcurementProjectLot><cbc:ID schemeName="LotsGroup">GLO-0001</cbc:ID><cac:ProcurementProject>'
        b"<cbc:Name>Group</cbc:Name></cac:ProcurementProject></cac:ProcurementProjectLot>"
    )
    xml = xml.replace(b"\n</PriorInformationNotice>", group + b"\n</PriorInformationNotice>")
    record = parse_notice(xml)
    assert [lot.lot_id for lot in record.lots] == ["PAR-0001"]


def test_procurement_type_codes_are_told_apart_by_list_name() -> None:
    xml = build_notice_xml(NoticeSpec(lots=[LotSpec(lot_id="LOT-0001", signals={"BT-775": ["opp"]})]))
    extra = (
        b"<cac:ProcurementAdditionalType>"
        b'<cbc:ProcurementTypeCode listName="contract-nature">works</cbc:ProcurementTypeCode>'
        b"</cac:ProcurementAdditionalType><cac:ProcurementAdditionalType>"
        b"<cbc:ProcurementTypeCode>mar-nov</cbc:ProcurementTypeCode></cac:ProcurementAdditionalType>"
        b"<cac:ProcurementAdditionalType><cbc:ProcurementTypeCode>other</cbc:ProcurementTypeCode>"
        b"</cac:ProcurementAdditionalType>"
    )
    marker = b'<cac:ProcurementAdditionalType><cbc:ProcurementTypeCode listName="social-objective">'
    xml = xml.replace(marker, extra + marker)
    record = parse_notice(xml)
    # BT-531 (contract-nature) is not a signal; an unlabelled mar-nov can only be BT-776;
    # an unlabelled "other" belongs to several lists and is dropped rather than guessed
    assert record.lots[0].signals == {"BT-775": ["opp"], "BT-776": ["mar-nov"]}
    assert record.main_nature == "services"


def test_design_contest_and_strategic_fields() -> None:
    signals = {
        "BT-41": ["true"],
        "BT-42": ["false"],
        "BT-44": ["1", "2"],
        "BT-644": ["20000", "5000"],
        "BT-63": ["allowed"],
        "BT-7220": ["HORIZONEU"],
        "BT-60": ["eu-funds"],
        "BT-765": ["fa-w-rc"],
        "BT-754": ["inc"],
        "BT-774": ["clim-mitig"],
        "BT-805": ["eu"],
    }
    record = _parse(NoticeSpec(subtype="23", lots=[LotSpec(lot_id="LOT-0001", signals=signals)]))
    assert record.lots[0].signals == {k: sorted(v) for k, v in signals.items()}
    assert record.signals["BT-105"] == ["open"]


def test_direct_award_justification_is_filtered_by_list_name() -> None:
    xml = build_notice_xml(
        NoticeSpec(subtype="25", procedure_type="neg-wo-call", direct_award_justification=["rd"])
    )
    xml = xml.replace(
        b"</cbc:ProcedureCode>",
        b"</cbc:ProcedureCode><cac:ProcessJustification>"
        b'<cbc:ProcessReasonCode listName="accelerated-procedure">true</cbc:ProcessReasonCode>'
        b"</cac:ProcessJustification>",
    )
    assert parse_notice(xml).signals["BT-136"] == ["rd"]


def test_publication_fields_and_values() -> None:
    record = _parse(
        NoticeSpec(
            publication_number="00553370-2023",
            publication_date=date(2023, 9, 12),
            estimated_value=Money(90000.0, "EUR"),
            cpv_main="73100000",
            cpv_additional=["72244000"],
            place_nuts=["FI1B1"],
            lots=[LotSpec(lot_id="LOT-0001", documents_url="https://example.org/docs?a=1&b=2")],
        )
    )
    assert record.publication_number == "00553370-2023"
    assert record.publication_date == date(2023, 9, 12)
    assert record.estimated_value == Money(90000.0, "EUR")
    assert record.all_cpv == ["73100000", "72244000"]
    assert record.documents_url == "https://example.org/docs?a=1&b=2"
