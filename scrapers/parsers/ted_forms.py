"""The form readers of the legacy TED parser: one ``FORM_SECTION`` form → :class:`FormData`.

Two readers, because the schemas differ in shape, not just in names:

- :func:`read_form` for the 2014 standard forms (``F01_2014`` … ``F25_2014``) and ``MOVE``
  (T01/T02) of R2.0.9: sections are fixed children (``CONTRACTING_BODY``, ``OBJECT_CONTRACT``
  with one ``OBJECT_DESCR`` per lot, ``PROCEDURE``, ``AWARD_CONTRACT``, ``CHANGES``…), so the
  reader walks them child by child and never enters what nobody reads (``LEFTI``, review
  bodies, award criteria).
- :func:`read_r208_form` for the R2.0.8 forms (before 2016, and the defence forms F16–F19
  until eForms): deeply nested, with section names that differ per form
  (``OBJECT_CONTRACT_INFORMATION_DEFENCE``, ``…_CONTRACT_AWARD_NOTICE``), so it walks the
  whole form once and recognises the leaf elements every form shares (``TITLE_CONTRACT``,
  ``CPV_MAIN``, ``RECEIPT_LIMIT_DATE``, ``AWARD_OF_CONTRACT``…), skipping contact and
  appeal blocks whose organisations are not the buyer.

A translation (``CATEGORY="TRANSLATION"``, or a second original in another language) is read
with ``texts_only``: its titles and descriptions join the original's, lot by lot in order.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from db.record import Buyer, Money
from scrapers.parsers import ted_codes
from scrapers.parsers.ted_xml import (
    add_text,
    attr,
    child,
    child_text,
    compact_date,
    flat,
    kinds,
    local,
    money,
    paragraphs,
    record_builder,
)

_new_buyer = record_builder(Buyer)


class LotData:
    """One ``OBJECT_DESCR`` (R2.0.9) or lot annex (R2.0.8), before lot ids are normalised."""

    __slots__ = (
        "additional_info",
        "cpv_additional",
        "cpv_main",
        "description",
        "lot_no",
        "nuts",
        "signals",
        "title",
        "value",
    )

    def __init__(self) -> None:
        self.lot_no: str | None = None
        self.cpv_main: str | None = None
        """R2.0.8 lot annexes name one; R2.0.9 lots have only additional codes."""
        self.title: dict[str, str] = {}
        self.description: dict[str, str] = {}
        self.additional_info: dict[str, str] = {}
        self.cpv_additional: list[str] = []
        self.nuts: list[str] = []
        self.value: Money | None = None
        self.signals: dict[str, list[str]] = {}


class AwardData:
    """One ``AWARD_CONTRACT`` / ``AWARDED_PRIZE`` / ``AWARD_OF_CONTRACT``: a contract (or prize)."""

    __slots__ = ("lot_no", "status", "value", "winners")

    def __init__(self) -> None:
        self.lot_no: str | None = None
        self.status: str | None = None
        self.winners: list[str] = []
        self.value: Money | None = None


class FormData:
    """What one form says, in the eForms vocabulary where a code is involved."""

    __slots__ = (
        "activity",
        "additional_info",
        "awards",
        "buyers",
        "change_reasons",
        "change_texts",
        "cpv_additional",
        "cpv_main",
        "deadline_clock",
        "deadline_day",
        "description",
        "divided",
        "documents_url",
        "justifications",
        "legal_basis",
        "legal_type",
        "lots",
        "nature",
        "notice_type",
        "nuts",
        "procedure_type",
        "references",
        "title",
        "value",
    )

    def __init__(self) -> None:
        self.notice_type: str | None = None
        """``NOTICE/@TYPE`` (F01, F04, F21–F23)."""
        self.legal_basis: str | None = None
        self.buyers: list[Buyer] = []
        self.legal_type: str | None = None
        self.activity: str | None = None
        self.title: dict[str, str] = {}
        self.description: dict[str, str] = {}
        self.additional_info: dict[str, str] = {}
        self.cpv_main: str | None = None
        self.cpv_additional: list[str] = []
        self.nuts: list[str] = []
        self.nature: str | None = None
        self.value: Money | None = None
        self.documents_url: str | None = None
        self.divided: bool | None = None
        self.lots: list[LotData] = []
        self.procedure_type: str | None = None
        self.justifications: list[str] = []
        self.deadline_day: date | None = None
        self.deadline_clock: str | None = None
        self.references: list[str] = []
        """Earlier OJ S publications the form names (``2019/S 166-405809``), in document order."""
        self.awards: list[AwardData] = []
        self.change_reasons: list[str] = []
        self.change_texts: dict[str, str] = {}


def _cpv(el: etree._Element) -> str | None:
    """``CPV_MAIN``/``CPV_ADDITIONAL`` → its ``CPV_CODE/@CODE``. The schema puts ``CPV_CODE`` first
    (before any ``CPV_SUPPLEMENTARY_CODE``), and a CPV code starts with digits, which a
    supplementary code (``EA19``) does not: the one case that needs a search."""
    code = el[0].get("CODE") if len(el) else None
    if code and code[:2].isdigit():
        return code.strip()
    return attr(child(el, "CPV_CODE"), "CODE")


def _add_code(codes: list[str], code: str | None) -> None:
    if code and code not in codes:
        codes.append(code)


def _signal(signals: dict[str, list[str]], key: str, code: str) -> None:
    codes = signals.setdefault(key, [])
    if code not in codes:
        codes.append(code)


_ADDRESS = kinds("OFFICIALNAME", "NATIONALID", "TOWN", "COUNTRY", "NUTS", "ORGANISATION")


def _buyer(
    address: etree._Element, legal_type: str | None = None, activity: str | None = None
) -> Buyer | None:
    """``ADDRESS_CONTRACTING_BODY`` (R2.0.9) or ``CA_CE_CONCESSIONAIRE_PROFILE`` (R2.0.8) → Buyer."""
    name = org_id = city = country = nuts = None
    for sub in address[:]:
        kind = _ADDRESS[sub.tag]
        if not kind:
            continue
        if kind == 1:
            name = flat(sub)
        elif kind == 2:
            org_id = flat(sub) or None
        elif kind == 3:
            city = flat(sub) or None
        elif kind == 4:
            country = ted_codes.country(sub.get("VALUE"))
        elif kind == 5:
            nuts = attr(sub, "CODE")
        else:  # R2.0.8 wraps the name and id in ORGANISATION
            name = name or (flat(o) if (o := child(sub, "OFFICIALNAME")) is not None else None)
            org_id = org_id or child_text(sub, "NATIONALID")
    if not name:
        return None
    return _new_buyer(name, org_id, country, city, nuts, legal_type, activity)


# ----------------------------------------------------------------------------------- R2.0.9
_FORM = kinds(
    "OBJECT_CONTRACT",
    "COMPLEMENTARY_INFO",
    "CONTRACTING_BODY",
    "PROCEDURE",
    "AWARD_CONTRACT",
    "RESULTS",
    "CHANGES",
    "LEGAL_BASIS",
    "DIRECTIVE",
    "NOTICE",
)


def read_form(el: etree._Element, lang: str, data: FormData, *, texts_only: bool = False) -> None:
    """Read an R2.0.9 form (``F01_2014`` … ``F25_2014``, ``MOVE``) into ``data``."""
    objects = 0
    lot_index = [0]
    for sub in el[:]:
        kind = _FORM[sub.tag]
        if not kind:
            continue
        if kind == 1:
            _object(sub, lang, data, texts_only, first=objects == 0, lot_index=lot_index)
            objects += 1
        elif kind == 2:
            _complementary(sub, lang, data, texts_only)
        elif texts_only:
            continue
        elif kind == 3:
            _contracting_body(sub, data)
        elif kind == 4:
            _procedure(sub, data)
        elif kind == 5:
            _award(sub, data)
        elif kind == 6:
            _results(sub, data)
        elif kind == 7:
            _changes(sub, lang, data)
        elif kind == 8:
            data.legal_basis = attr(sub, "VALUE") or data.legal_basis
        elif kind == 9:
            data.legal_basis = data.legal_basis or ted_codes.LEGAL_BASIS.get(sub.get("VALUE") or "")
        else:
            data.notice_type = attr(sub, "TYPE")


_BODY = kinds(
    "ADDRESS_CONTRACTING_BODY",
    "ADDRESS_CONTRACTING_BODY_ADDITIONAL",
    "CA_TYPE",
    "CA_ACTIVITY",
    "CE_ACTIVITY",
    "URL_DOCUMENT",
)


def _contracting_body(el: etree._Element, data: FormData) -> None:
    addresses = []
    for sub in el[:]:
        kind = _BODY[sub.tag]
        if not kind:
            continue
        if kind <= 2:
            addresses.append(sub)
        elif kind == 3:
            data.legal_type = ted_codes.BUYER_LEGAL_TYPE.get(sub.get("VALUE") or "")
        elif kind <= 5:
            data.activity = data.activity or ted_codes.BUYER_ACTIVITY.get(sub.get("VALUE") or "")
        else:
            data.documents_url = flat(sub) or None
    for address in addresses:  # after CA_TYPE/CA_ACTIVITY, which follow the addresses
        buyer = _buyer(address, data.legal_type, data.activity)
        if buyer is not None:
            data.buyers.append(buyer)


_OBJECT = kinds(
    "OBJECT_DESCR",
    "TITLE",
    "SHORT_DESCR",
    "CPV_MAIN",
    "TYPE_CONTRACT",
    "VAL_ESTIMATED_TOTAL",
    "LOT_DIVISION",
    "NO_LOT_DIVISION",
)


def _object(
    el: etree._Element, lang: str, data: FormData, texts_only: bool, *, first: bool, lot_index: list[int]
) -> None:
    for sub in el[:]:
        kind = _OBJECT[sub.tag]
        if not kind:
            continue
        if kind == 1:
            i = lot_index[0]
            lot_index[0] += 1
            if texts_only:
                if i < len(data.lots):
                    _lot(sub, lang, data.lots[i], texts_only=True)
                continue
            lot = LotData()
            _lot(sub, lang, lot, texts_only=False)
            data.lots.append(lot)
        elif not first:
            continue  # a PIN's further objects: only their lots are read
        elif kind == 2:
            add_text(data.title, lang, sub)
        elif kind == 3:
            add_text(data.description, lang, sub)
        elif texts_only:
            continue
        elif kind == 4:
            data.cpv_main = _cpv(sub)
        elif kind == 5:
            data.nature = ted_codes.CONTRACT_NATURE.get(sub.get("CTYPE") or "")
        elif kind == 6:
            data.value = money(sub)
        else:
            data.divided = kind == 7


_LOT = kinds(
    "TITLE",
    "SHORT_DESCR",
    "INFO_ADD",
    "LOT_NO",
    "CPV_ADDITIONAL",
    "NUTS",
    "VAL_OBJECT",
    "ACCEPTED_VARIANTS",
    "NO_ACCEPTED_VARIANTS",
    "EU_PROGR_RELATED",
    "NO_EU_PROGR_RELATED",
)
_LOT_SIGNALS = {
    8: ("BT-63", "allowed"),
    9: ("BT-63", "not-allowed"),
    10: ("BT-60", "eu-funds"),
    11: ("BT-60", "no-eu-funds"),
}


def _lot(el: etree._Element, lang: str, lot: LotData, *, texts_only: bool) -> None:
    for sub in el[:]:
        kind = _LOT[sub.tag]
        if not kind:
            continue
        if kind == 1:
            add_text(lot.title, lang, sub)
        elif kind == 2:
            add_text(lot.description, lang, sub)
        elif kind == 3:
            add_text(lot.additional_info, lang, sub)
        elif texts_only:
            continue
        elif kind == 4:
            lot.lot_no = flat(sub) or None
        elif kind == 5:
            _add_code(lot.cpv_additional, _cpv(sub))
        elif kind == 6:
            _add_code(lot.nuts, attr(sub, "CODE"))
        elif kind == 7:
            lot.value = money(sub)
        else:  # _signal() inlined: a lot has two or three of these, and a call costs as much
            key, code = _LOT_SIGNALS[kind]
            codes = lot.signals.get(key)
            if codes is None:
                lot.signals[key] = [code]
            elif code not in codes:
                codes.append(code)


_JUSTIFICATIONS = kinds("D_ACCORDANCE_ARTICLE", prefixes=(("PT_", 2),))


def _justifications(el: etree._Element, data: FormData) -> None:
    """``D_ACCORDANCE_ARTICLE`` (under a ``PT_…WITHOUT…`` element) → BT-136 codes."""
    for sub in el[:]:
        kind = _JUSTIFICATIONS[sub.tag]
        if kind == 1:
            for reason in sub[:]:
                _add_code(data.justifications, ted_codes.DIRECT_AWARD_JUSTIFICATION.get(local(reason.tag)))
        elif kind == 2:
            _procedure_element(sub, data)


def _procedure_element(el: etree._Element, data: FormData) -> None:
    tag = local(el.tag)
    code = ted_codes.PROCEDURE_ELEMENT.get(tag)
    if code and data.procedure_type is None:
        data.procedure_type = code
    _add_code(data.justifications, ted_codes.DIRECT_AWARD_JUSTIFICATION.get(tag))
    if len(el):
        _justifications(el, data)


_PROCEDURE = kinds(
    "DATE_RECEIPT_TENDERS",
    "TIME_RECEIPT_TENDERS",
    "NOTICE_NUMBER_OJ",
    prefixes=(("PT_", 4), ("DIRECTIVE_", 5)),  # F15/F03 annex D: DIRECTIVE_2014_24_EU/PT_…
)


def _procedure(el: etree._Element, data: FormData) -> None:
    for sub in el[:]:
        kind = _PROCEDURE[sub.tag]
        if not kind:
            continue
        if kind == 4:
            _procedure_element(sub, data)
        elif kind == 1:
            data.deadline_day = compact_date(sub.text)
        elif kind == 2:
            data.deadline_clock = flat(sub) or None
        elif kind == 3:
            _add_code(data.references, flat(sub) or None)
        else:
            _justifications(sub, data)


_COMPLEMENTARY = kinds("INFO_ADD", "NOTICE_NUMBER_OJ")
_COMPLEMENTARY_TAGS = ("{*}INFO_ADD", "{*}NOTICE_NUMBER_OJ")


def _complementary(el: etree._Element, lang: str, data: FormData, texts_only: bool) -> None:
    # Filtered in C: 2 of its ~10 children are read (review bodies, e-ordering… are not), and
    # each of the others cost a proxy and a tag: 0.8 µs a block instead of 1.9 (timeit).
    for sub in el.iterchildren(*_COMPLEMENTARY_TAGS):
        kind = _COMPLEMENTARY[sub.tag]
        if kind == 1:
            add_text(data.additional_info, lang, sub)
        elif kind == 2 and not texts_only:  # F14: the notice it corrects
            _add_code(data.references, flat(sub) or None)


_NAME_TAGS = ("{*}OFFICIALNAME",)


def _contractor_names(el: etree._Element, names: list[str]) -> None:
    """Names in ``CONTRACTORS``/``CONTRACTOR``/``WINNERS``/``WINNER`` blocks, in order (their
    only ``OFFICIALNAME``s are the contractors' or winners', found by one C-level ``iter()``)."""
    for name in el.iter(_NAME_TAGS):
        text = flat(name)
        if text and text not in names:
            names.append(text)


_AWARD = kinds("LOT_NO", "AWARDED_CONTRACT", "NO_AWARDED_CONTRACT")
_AWARDED = kinds("CONTRACTORS", "CONTRACTOR", "VALUES", "VALUE", "VAL_TOTAL")


def _award(el: etree._Element, data: FormData) -> None:
    award = AwardData()
    for sub in el[:]:
        kind = _AWARD[sub.tag]
        if kind == 1:
            award.lot_no = flat(sub) or None
        elif kind == 2:
            award.status = "selec-w"
            for part in sub[:]:
                part_kind = _AWARDED[part.tag]
                if not part_kind:
                    continue
                if part_kind <= 2:
                    _contractor_names(part, award.winners)
                elif part_kind <= 4:
                    award.value = money(child(part, "VAL_TOTAL")) or award.value
                else:
                    award.value = money(part)
        elif kind == 3:
            award.status = "clos-nw"  # procurement discontinued or unsuccessful: closed, no winner
    data.awards.append(award)


def _results(el: etree._Element, data: FormData) -> None:
    """F13 (design contest results): each ``AWARDED_PRIZE`` is an award, its winners the prize's."""
    for sub in el[:]:
        tag = local(sub.tag)
        award = AwardData()
        if tag == "AWARDED_PRIZE":
            award.status = "selec-w"
            _contractor_names(sub, award.winners)
            award.value = money(child(sub, "VAL_PRIZE"))
        elif tag == "NO_AWARDED_PRIZE":
            award.status = "clos-nw"
        else:
            continue
        data.awards.append(award)


def _value_text(el: etree._Element) -> str:
    """An ``OLD_VALUE``/``NEW_VALUE`` of an F14 change, as a reader would say it."""
    parts = []
    for sub in el[:]:
        tag = local(sub.tag)
        if tag == "TEXT":
            parts.append(" ".join((paragraphs(sub) or "").split()))
        elif tag in ("DATE", "TIME"):
            parts.append(flat(sub))
        elif tag in ("CPV_MAIN", "CPV_ADDITIONAL"):
            parts.append(attr(child(sub, "CPV_CODE"), "CODE") or "")
        elif tag == "NOTHING":
            parts.append("—")
    return " ".join(p for p in parts if p) or "—"


def _changes(el: etree._Element, lang: str, data: FormData) -> None:
    """F14: BT-140 reasons, a line per change (section, label, old → new), and a new deadline."""
    lines = []
    for sub in el[:]:
        tag = local(sub.tag)
        if tag == "MODIFICATION_ORIGINAL":
            _add_code(data.change_reasons, "cor-buy")
        elif tag == "PUBLICATION_TED":
            _add_code(data.change_reasons, "cor-pub")
        elif tag == "INFO_ADD":
            add_text(data.change_texts, lang, sub)
        elif tag == "CHANGE":
            where = child(sub, "WHERE")
            section = child_text(where, "SECTION") or ""
            label = (
                " ".join(flat(x) for x in where if local(x.tag) in ("LOT_NO", "LABEL"))
                if where is not None
                else ""
            )
            old, new = child(sub, "OLD_VALUE"), child(sub, "NEW_VALUE")
            before = _value_text(old) if old is not None else "—"
            after = _value_text(new) if new is not None else "—"
            lines.append(f"{section} {label}: {before} → {after}".strip())
            if section == "IV.2.2" and new is not None and child(new, "DATE") is not None:
                data.deadline_day = compact_date(child_text(new, "DATE"))
                data.deadline_clock = child_text(new, "TIME")
    if lines:
        text = "\n".join(lines)
        data.change_texts[lang] = (
            f"{data.change_texts[lang]}\n\n{text}" if lang in data.change_texts else text
        )


# ----------------------------------------------------------------------------------- R2.0.8
_R208_SKIP = (
    "PROCEDURES_FOR_APPEAL",
    "LEFTI",
    "AWARD_CRITERIA",
    "FURTHER_INFORMATION",
    "SPECIFICATIONS_AND_ADDITIONAL_DOCUMENTS",
    "TENDERS_REQUESTS_APPLICATIONS_MUST_BE_SENT_TO",
    "INTERNET_ADDRESSES",
    "CONTACT_DATA_OTHER_BEHALF",
)
"""Blocks of R2.0.8 forms nobody reads; their ``ORGANISATION``s are review bodies and contacts."""


def read_r208_form(el: etree._Element, lang: str, data: FormData, *, texts_only: bool = False) -> None:
    """Read an R2.0.8 form (``CONTRACT``, ``CONTRACT_AWARD_DEFENCE``…) into ``data``."""
    ctype = None
    for sub in el[:]:  # FD_CONTRACT CTYPE="SERVICES": the form's one child carries the nature
        ctype = ctype or sub.get("CTYPE")
    if ctype and not texts_only:
        data.nature = ted_codes.CONTRACT_NATURE.get(ctype)
    _walk_r208(el, lang, data, None, texts_only, [0])


def _walk_r208(
    el: etree._Element, lang: str, data: FormData, lot: LotData | None, texts_only: bool, lot_index: list[int]
) -> None:
    for sub in el[:]:
        tag = local(sub.tag)
        if tag.startswith(_R208_SKIP):
            continue
        if tag == "TITLE_CONTRACT" or tag == "LOT_TITLE":
            if lot is not None:
                add_text(lot.title, lang, sub)
            elif lang not in data.title:
                add_text(data.title, lang, sub)
        elif tag == "SHORT_CONTRACT_DESCRIPTION" or tag == "LOT_DESCRIPTION":
            if lot is not None:
                add_text(lot.description, lang, sub)
            elif lang not in data.description:
                add_text(data.description, lang, sub)
        elif tag == "ADDITIONAL_INFORMATION":
            if lot is None:
                add_text(data.additional_info, lang, sub)
        elif tag.endswith("ANNEX_B"):
            i = lot_index[0]
            lot_index[0] += 1
            if texts_only:
                if i < len(data.lots):
                    _walk_r208(sub, lang, data, data.lots[i], True, lot_index)
                continue
            new = LotData()
            data.lots.append(new)
            _walk_r208(sub, lang, data, new, False, lot_index)
        elif texts_only:
            if len(sub):
                _walk_r208(sub, lang, data, lot, True, lot_index)
        elif tag == "CA_CE_CONCESSIONAIRE_PROFILE":
            if not data.buyers and lot is None:
                buyer = _buyer(sub)
                if buyer is not None:
                    data.buyers.append(buyer)
        elif tag == "TYPE_OF_CONTRACTING_AUTHORITY":
            data.legal_type = ted_codes.BUYER_LEGAL_TYPE.get(sub.get("VALUE") or "")
        elif tag in ("TYPE_OF_ACTIVITY", "ACTIVITY_OF_CONTRACTING_ENTITY"):
            data.activity = data.activity or ted_codes.BUYER_ACTIVITY.get(sub.get("VALUE") or "")
        elif tag == "CPV_MAIN":
            code = attr(child(sub, "CPV_CODE"), "CODE")
            if lot is not None:
                lot.cpv_main = lot.cpv_main or code
            elif data.cpv_main is None:
                data.cpv_main = code
            else:
                _add_code(data.cpv_additional, code)
        elif tag == "CPV_ADDITIONAL":
            code = attr(child(sub, "CPV_CODE"), "CODE")
            _add_code(lot.cpv_additional if lot is not None else data.cpv_additional, code)
        elif tag == "NUTS":
            _add_code(lot.nuts if lot is not None else data.nuts, attr(sub, "CODE"))
        elif tag == "LOT_NUMBER" and lot is not None:
            lot.lot_no = flat(sub) or None
        elif tag == "TYPE_CONTRACT":
            data.nature = data.nature or ted_codes.CONTRACT_NATURE.get(sub.get("VALUE") or "")
        elif tag.startswith(("PT_", "F18_PT_", "F17_PT_", "F16_PT_")) or tag.startswith("D_"):
            _procedure_element(sub, data)
        elif tag == "RECEIPT_LIMIT_DATE":
            _r208_date(sub, data)
        elif tag == "NOTICE_NUMBER_OJ":
            _add_code(data.references, flat(sub) or None)
        elif tag.startswith("AWARD_OF_CONTRACT"):
            data.awards.append(_r208_award(sub))
        elif tag in ("COSTS_RANGE_AND_CURRENCY", "COSTS_RANGE_AND_CURRENCY_WITH_VAT_RATE"):
            value = money(child(sub, "VALUE_COST"), sub.get("CURRENCY"))
            if lot is not None:
                lot.value = lot.value or value
            elif data.value is None:
                data.value = value
        elif tag == "TOTAL_FINAL_VALUE":
            continue  # an award notice's total paid, not an estimate
        elif len(sub):
            _walk_r208(sub, lang, data, lot, texts_only, lot_index)


def _r208_date(el: etree._Element, data: FormData) -> None:
    day, month, year = (child_text(el, n) for n in ("DAY", "MONTH", "YEAR"))
    if day and month and year and day.isdigit() and month.isdigit() and year.isdigit():
        try:
            data.deadline_day = date(int(year), int(month), int(day))
        except ValueError:
            return
        data.deadline_clock = child_text(el, "TIME")


def _r208_award(el: etree._Element) -> AwardData:
    award = AwardData()
    for sub in el[:]:
        tag = local(sub.tag)
        if tag == "LOT_NUMBER":
            award.lot_no = flat(sub) or None
        elif tag == "ECONOMIC_OPERATOR_NAME_ADDRESS":
            for name in sub.iter():
                if local(name.tag) == "OFFICIALNAME":
                    text = flat(name)
                    if text and text not in award.winners:
                        award.winners.append(text)
        elif tag == "CONTRACT_VALUE_INFORMATION":
            for cost in sub[:]:
                if local(cost.tag) == "COSTS_RANGE_AND_CURRENCY_WITH_VAT_RATE":
                    award.value = money(child(cost, "VALUE_COST"), cost.get("CURRENCY"))
    award.status = "selec-w" if award.winners else None
    return award
