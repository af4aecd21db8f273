"""eForms UBL XML (every subtype, SDK 1.3–1.15, TED and HILMA) → :class:`db.record.NoticeRecord`.

Field map: docs/eforms.md#field-map and docs/eforms.md#innovation-fields. How it is built,
and why:

- **Parse once, walk children.** The document is parsed once (safely, see ``xmlsafe``); then
  each level is walked child by child, dispatching on Clark-notation tags, and subtrees nobody
  needs (exclusion grounds, criteria, contacts) are never entered. Extraction has to cost no
  more than parsing (``bench/bench_parser.py`` measures the ratio); what each step of the walk
  costs, and what follows from it, is noted above the small readers below. Compiled XPath per
  field, or one concat()/union XPath per lot, was measured with callgrind and costs more
  instructions than this walk; ``find()`` (ElementPath) costs 5–10 µs a call and is not used.
- **The subtype is OPP-070, never the root.** Subtypes 10–12 appear under ``ContractNotice``
  in SDK 1.6–1.7 notices and HILMA writes E1 under ``ContractNotice``; the root only tells us
  that the document is eForms. BT-02/BT-03 are read as written.
- **Codes are filtered by ``@listName``** where one element carries several lists
  (``ProcurementTypeCode`` holds BT-06/531/754/774/775/776/805). Where real notices omit
  ``listName`` the code is attributed only if it belongs to exactly one list.
- **Lenient about what is optional, strict about identity.** Missing optional fields become
  None/empty; a notice without a BT-701 id cannot be stored or deduplicated, so it raises
  :class:`IncompleteNoticeError`.

Decisions the SDK leaves open:
- A deadline given as a date without a time is read as 23:59:59 that day, in the date's own
  offset (UTC when it has none): the deadline is not over until that day is.
- A lot with both BT-1311 (requests to participate) and BT-131 (tenders) takes the earlier one,
  which is what a supplier must act on first. ``NoticeRecord.deadline`` is the earliest lot
  deadline.
- Change descriptions are BT-141 (``efac:Change/efbc:ChangeDescription``); when a notice has
  none, the BT-762 reason descriptions stand in, so a reader still learns what changed.
- Winners are read only for lot results whose BT-142 status is ``selec-w`` (or missing);
  ``Award.value`` is the sum of the winning tenders' BT-720 amounts when they share a currency.
- Texts repeated with the same ``languageID`` are joined with a blank line; a text without
  ``languageID`` belongs to the notice language (BT-702).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

from lxml import etree

from db.record import Award, Buyer, Change, Lot, Money, NoticeRecord
from scrapers.parsers.errors import IncompleteNoticeError, NotEformsError
from scrapers.parsers.xmlsafe import EFORMS_ROOTS, local_name

_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
_EXT = "{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}"
_EFEXT = "{http://data.europa.eu/p27/eforms-ubl-extensions/1}"
_EFAC = "{http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1}"
_EFBC = "{http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1}"
_HILMA = "{urn:hanselHilma:NationalNoticeExtension}"

# root level
T_UBLEXTENSIONS = _EXT + "UBLExtensions"
T_CUSTOMIZATION = _CBC + "CustomizationID"
T_ID = _CBC + "ID"
T_FOLDER = _CBC + "ContractFolderID"
T_ISSUE_DATE = _CBC + "IssueDate"
T_VERSION = _CBC + "VersionID"
T_REGDOMAIN = _CBC + "RegulatoryDomain"
T_NOTICE_TYPE = _CBC + "NoticeTypeCode"
T_NOTICE_LANG = _CBC + "NoticeLanguageCode"
T_ADD_LANG = _CAC + "AdditionalNoticeLanguage"
T_CONTRACTING_PARTY = _CAC + "ContractingParty"
T_TENDERING_PROCESS = _CAC + "TenderingProcess"
T_TENDERING_TERMS = _CAC + "TenderingTerms"
T_PROJECT = _CAC + "ProcurementProject"
T_LOT = _CAC + "ProcurementProjectLot"
T_NOTE = _CBC + "Note"
T_BUSINESS_PARTY = _CAC + "BusinessParty"
T_HILMA_EXT = _HILMA + "NationalExtension"
# extension
T_EFORMS_EXTENSION = _EFEXT + "EformsExtension"
P_EFORMS_EXT = (_EXT + "UBLExtension", _EXT + "ExtensionContent", T_EFORMS_EXTENSION)
T_CHANGES = _EFAC + "Changes"
T_NOTICE_RESULT = _EFAC + "NoticeResult"
T_SUBTYPE = _EFAC + "NoticeSubType"
T_SUBTYPE_CODE = _CBC + "SubTypeCode"
T_ORGANIZATIONS = _EFAC + "Organizations"
T_PUBLICATION = _EFAC + "Publication"
T_PUB_ID = _EFBC + "NoticePublicationID"
T_PUB_DATE = _EFBC + "PublicationDate"
T_COMPANY = _EFAC + "Company"
T_PARTY_ID = _CAC + "PartyIdentification"
T_PARTY_NAME = _CAC + "PartyName"
T_NAME = _CBC + "Name"
T_POSTAL = _CAC + "PostalAddress"
T_CITY = _CBC + "CityName"
T_SUBENTITY = _CBC + "CountrySubentityCode"
T_COUNTRY = _CAC + "Country"
T_IDCODE = _CBC + "IdentificationCode"
T_LEGAL_ENTITY = _CAC + "PartyLegalEntity"
T_COMPANY_ID = _CBC + "CompanyID"
T_REGISTRATION_NAME = _CBC + "RegistrationName"
T_PARTY = _CAC + "Party"
T_PARTY_TYPE = _CAC + "ContractingPartyType"
T_PARTY_TYPE_CODE = _CBC + "PartyTypeCode"
T_ACTIVITY = _CAC + "ContractingActivity"
T_ACTIVITY_CODE = _CBC + "ActivityTypeCode"
# changes
T_CHANGED_ID = _EFBC + "ChangedNoticeIdentifier"
T_CHANGE_REASON = _EFAC + "ChangeReason"
T_REASON_CODE = _CBC + "ReasonCode"
T_REASON_DESC = _EFBC + "ReasonDescription"
T_CHANGE = _EFAC + "Change"
T_CHANGE_DESC = _EFBC + "ChangeDescription"
# results
T_LOT_RESULT = _EFAC + "LotResult"
T_LOT_TENDER = _EFAC + "LotTender"
T_TENDERING_PARTY = _EFAC + "TenderingParty"
T_TENDERER = _EFAC + "Tenderer"
T_TENDER_LOT = _EFAC + "TenderLot"
T_SETTLED_CONTRACT = _EFAC + "SettledContract"
T_RESULT_CODE = _CBC + "TenderResultCode"
T_MONETARY_TOTAL = _CAC + "LegalMonetaryTotal"
T_PAYABLE = _CBC + "PayableAmount"
# procedure and lots
T_PROCEDURE_CODE = _CBC + "ProcedureCode"
T_JUSTIFICATION = _CAC + "ProcessJustification"
T_REASON_CODE_PROCESS = _CBC + "ProcessReasonCode"
T_DESCRIPTION = _CBC + "Description"
T_TYPE_CODE = _CBC + "ProcurementTypeCode"
T_ADDITIONAL_TYPE = _CAC + "ProcurementAdditionalType"
T_REQUESTED_TOTAL = _CAC + "RequestedTenderTotal"
T_ESTIMATED = _CBC + "EstimatedOverallContractAmount"
T_MAIN_CLASS = _CAC + "MainCommodityClassification"
T_ADD_CLASS = _CAC + "AdditionalCommodityClassification"
T_ITEM_CODE = _CBC + "ItemClassificationCode"
T_LOCATION = _CAC + "RealizedLocation"
T_ADDRESS = _CAC + "Address"
T_TENDER_DEADLINE = _CAC + "TenderSubmissionDeadlinePeriod"
T_PARTICIPATION_DEADLINE = _CAC + "ParticipationRequestReceptionPeriod"
T_END_DATE = _CBC + "EndDate"
T_END_TIME = _CBC + "EndTime"
T_CONTRACTING_SYSTEM = _CAC + "ContractingSystem"
T_CONTRACTING_SYSTEM_CODE = _CBC + "ContractingSystemTypeCode"
T_VARIANT = _CBC + "VariantConstraintCode"
T_FUNDING_CODE = _CBC + "FundingProgramCode"
T_FUNDING = _EFAC + "Funding"
T_DOC_REF = _CAC + "CallForTendersDocumentReference"
T_DOC_TYPE = _CBC + "DocumentType"
T_ATTACHMENT = _CAC + "Attachment"
T_EXTERNAL_REF = _CAC + "ExternalReference"
T_URI = _CBC + "URI"
T_AWARDING_TERMS = _CAC + "AwardingTerms"
T_FOLLOWUP = _CBC + "FollowupContractIndicator"
T_BINDING = _CBC + "BindingOnBuyerIndicator"
T_PRIZE = _CAC + "Prize"
T_RANK = _CBC + "RankCode"
T_VALUE_AMOUNT = _CBC + "ValueAmount"
T_HILMA_EU = _HILMA + "IsEUApplicableConstraintIndicator"
T_HILMA_LEGISLATION = _HILMA + "ApplicableLegislationCode"

ADDITIONAL_TYPE_FIELDS: dict[str, str] = {
    "strategic-procurement": "BT-06",
    "innovative-acquisition": "BT-776",
    "environmental-impact": "BT-774",
    "social-objective": "BT-775",
    "gpp-criteria": "BT-805",
    "accessibility": "BT-754",
}
"""``ProcurementAdditionalType/ProcurementTypeCode/@listName`` → the business term it carries."""

_CODES_OF_FIELD: dict[str, tuple[str, ...]] = {
    "BT-06": ("inn-pur", "env-imp", "soc-obj"),
    "BT-776": ("mar-nov", "proc-innov", "prod-innov", "rd-act", "org-nov", "buy-eff", "fp-requ"),
    "BT-774": ("biodiv-eco", "circ-econ", "clim-adapt", "clim-mitig", "pollu-prev", "water-mar"),
    "BT-775": ("acc-all", "et-eq", "gen-eq", "hum-right", "opp", "work-cond"),
    "BT-805": ("eu", "national"),
    "BT-754": ("inc", "n-inc", "n-inc-just"),
}
UNAMBIGUOUS_CODE_FIELD: dict[str, str] = {c: f for f, codes in _CODES_OF_FIELD.items() for c in codes}
"""For codes written without ``@listName``: codes that belong to exactly one list (``other`` and
``none`` belong to several and are then dropped)."""

DESIGN_CONTEST_SUBTYPES = frozenset({"23", "24", "36", "37"})
_NO_WINNER = frozenset({"open-nw", "clos-nw"})


# ----------------------------------------------------------------------------------- small readers
# What the walk costs (callgrind, lxml 6, CPython 3.11), per call: a child's element proxy ~650
# CPU instructions, its ``.tag`` ~1,450 (two UTF-8 decodes and a join), ``.text`` ~1,500,
# ``.get()`` ~1,700, a Python function call ~350. Wall time follows instruction-cache misses
# and mispredicted branches more than instruction counts, and those come from the variety of
# code run per element. Hence:
# - children are walked as ``el[:]``, the list of child proxies lxml builds in one C call; a
#   ``for child in el`` iterator object costs ~0.2 µs to set up (a child iterator and a tag
#   matcher), and a notice has ~90 such walks: with ``el[:]`` extraction took 10 % less time;
# - each child's tag is read once; a few kinds are told apart by comparisons in schema order,
#   many kinds (a project's children) by one dict lookup.
def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = el.text  # read once: every .text access builds a new Python string
    return (value.strip() or None) if value else None


def _first(el: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child with ``tag``. A plain loop: ``find()`` costs 5–10 µs a call in lxml
    (ElementPath), this well under one for the handful of children UBL elements have; and the
    first child, usually the one wanted, is looked at by index before listing them all."""
    if el is None or not len(el):
        return None
    child = el[0]
    if child.tag == tag:
        return child
    for child in el[:]:
        if child.tag == tag:
            return child
    return None


def _path(el: etree._Element | None, *tags: str) -> etree._Element | None:
    for tag in tags:
        el = _first(el, tag)
    return el


def _child_text(el: etree._Element, tag: str) -> str | None:
    return _text(_first(el, tag))


def _eforms_extension(el: etree._Element) -> etree._Element | None:
    """``ext:UBLExtensions`` → its ``efext:EformsExtension``; indexing first because the wrapper
    chain is nearly always exactly one element deep at each level (a fifth of the cost)."""
    try:
        found = el[0][0][0]
    except IndexError:
        found = None
    if found is not None and found.tag == T_EFORMS_EXTENSION:
        return found
    return _path(el, *P_EFORMS_EXT)


def _add_text(texts: dict[str, str], el: etree._Element, default_lang: str) -> None:
    value = el.text
    if not value:
        return
    value = value.strip()
    if not value:
        return
    lang = el.get("languageID")
    key = lang.lower() if lang else default_lang
    texts[key] = f"{texts[key]}\n\n{value}" if key in texts else value


@lru_cache(maxsize=64)
def _tz(suffix: str) -> timezone | None:
    if not suffix:
        return None
    if suffix == "Z":
        return UTC
    sign = -1 if suffix[0] == "-" else 1
    hours, _, minutes = suffix[1:].partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def parse_date(value: str | None) -> date | None:
    """``2023-09-12+00:00`` / ``2023-09-05Z`` / ``2023-09-05`` → date (the offset is dropped)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_deadline(day: str | None, clock: str | None) -> datetime | None:
    """eForms date + time (each may carry an offset) → aware datetime in the notice's offset."""
    if not day:
        return None
    try:
        d = date.fromisoformat(day[:10])
        date_tz = _tz(day[10:].strip())
        if not clock:
            return datetime.combine(d, time(23, 59, 59), date_tz or UTC)
        clock = clock.strip()
        i = 8
        if len(clock) > 8 and clock[8] == ".":  # fractional seconds
            i = 9
            while i < len(clock) and clock[i].isdigit():
                i += 1
        t = time.fromisoformat(clock[:8])
        tz = _tz(clock[i:]) or date_tz or UTC
        return datetime.combine(d, t, tz)
    except (ValueError, IndexError):
        return None


def _money(el: etree._Element | None) -> Money | None:
    if el is None:
        return None
    value = el.text
    if not value:
        return None
    try:
        return Money(float(value.strip()), el.get("currencyID") or "EUR")
    except ValueError:
        return None


def _add_signal(signals: dict[str, list[str]], key: str, code: str | None) -> None:
    if code:
        codes = signals.get(key)
        if codes is None:
            signals[key] = [code]
        elif code not in codes:
            codes.append(code)


# ----------------------------------------------------------------------------------- project blocks
class _Project:
    """What a ``cac:ProcurementProject`` (procedure or lot) says."""

    __slots__ = (
        "cpv_additional",
        "cpv_main",
        "description",
        "nature",
        "note",
        "nuts",
        "signals",
        "title",
        "value",
    )

    def __init__(self) -> None:
        self.title: dict[str, str] = {}
        self.description: dict[str, str] = {}
        self.note: dict[str, str] = {}
        self.nature: str | None = None
        self.cpv_main: str | None = None
        self.cpv_additional: list[str] = []
        self.nuts: list[str] = []
        self.value: Money | None = None
        self.signals: dict[str, list[str]] = {}


# A project has many kinds of children (and real notices add more that nobody reads): one dict
# lookup per child. The smaller blocks below tell their few kinds apart with comparisons.
# Keyed by tag strings, looked up with any child's ``.tag`` (a comment's is a function).
_PROJECT_CHILD: dict[object, int] = {
    T_NAME: 1,
    T_DESCRIPTION: 2,
    T_NOTE: 3,
    T_TYPE_CODE: 4,
    T_ADDITIONAL_TYPE: 5,
    T_MAIN_CLASS: 6,
    T_ADD_CLASS: 7,
    T_LOCATION: 8,
    T_REQUESTED_TOTAL: 9,
}


def _read_project(el: etree._Element, lang: str) -> _Project:
    p = _Project()
    for child in el[:]:
        kind = _PROJECT_CHILD.get(child.tag)
        if kind is None:
            continue
        if kind == 1:
            _add_text(p.title, child, lang)
        elif kind == 2:
            _add_text(p.description, child, lang)
        elif kind == 3:
            _add_text(p.note, child, lang)
        elif kind == 4:
            if child.get("listName") in (None, "contract-nature"):
                p.nature = _text(child)
        elif kind == 5:
            for code_el in child[:]:
                if code_el.tag != T_TYPE_CODE:
                    continue
                code = _text(code_el)
                if not code:
                    continue
                list_name = code_el.get("listName")
                key = ADDITIONAL_TYPE_FIELDS.get(list_name) if list_name else UNAMBIGUOUS_CODE_FIELD.get(code)
                if key:
                    _add_signal(p.signals, key, code)
        elif kind == 6:
            p.cpv_main = _child_text(child, T_ITEM_CODE)
        elif kind == 7:
            code = _child_text(child, T_ITEM_CODE)
            if code and code not in p.cpv_additional:
                p.cpv_additional.append(code)
        elif kind == 8:
            address = _first(child, T_ADDRESS)
            if address is not None:
                nuts = _child_text(address, T_SUBENTITY)
                if nuts and nuts not in p.nuts:
                    p.nuts.append(nuts)
        else:
            amount = _first(child, T_ESTIMATED)
            if amount is not None:
                p.value = _money(amount)
    return p


def _read_lot_terms(el: etree._Element, signals: dict[str, list[str]]) -> str | None:
    """Lot ``cac:TenderingTerms``: signals BT-63/60/7220/41/42/44/644; returns the BT-15 URL."""
    url = None
    for child in el[:]:
        tag = child.tag  # in schema order: the extension comes first
        if tag == T_UBLEXTENSIONS:
            ext = _eforms_extension(child)
            if ext is not None:
                for funding in ext[:]:
                    if funding.tag == T_FUNDING:
                        _add_signal(signals, "BT-7220", _child_text(funding, T_FUNDING_CODE))
        elif tag == T_VARIANT:
            _add_signal(signals, "BT-63", _text(child))
        elif tag == T_FUNDING_CODE:
            if child.get("listName") in (None, "eu-funded"):
                _add_signal(signals, "BT-60", _text(child))
        elif tag == T_DOC_REF:
            if url is None:
                doc_type = uri = None
                for sub in child[:]:
                    stag = sub.tag
                    if stag == T_DOC_TYPE:
                        doc_type = _text(sub)
                    elif stag == T_ATTACHMENT:
                        uri = _text(_path(sub, T_EXTERNAL_REF, T_URI))
                if doc_type != "restricted-document":
                    url = uri
        elif tag == T_AWARDING_TERMS:
            for sub in child[:]:
                stag = sub.tag
                if stag == T_FOLLOWUP:
                    _add_signal(signals, "BT-41", _text(sub))
                elif stag == T_BINDING:
                    _add_signal(signals, "BT-42", _text(sub))
                elif stag == T_PRIZE:
                    for prize in sub[:]:
                        ptag = prize.tag
                        if ptag == T_RANK:
                            _add_signal(signals, "BT-44", _text(prize))
                        elif ptag == T_VALUE_AMOUNT:
                            _add_signal(signals, "BT-644", _text(prize))
    return url


def _read_lot_process(el: etree._Element, signals: dict[str, list[str]]) -> datetime | None:
    """Lot ``cac:TenderingProcess``: the deadline (BT-131/BT-1311) and BT-765."""
    deadline = None
    for child in el[:]:
        tag = child.tag
        if tag in (T_TENDER_DEADLINE, T_PARTICIPATION_DEADLINE):
            day = clock = None
            for sub in child[:]:
                stag = sub.tag
                if stag == T_END_DATE:
                    day = _text(sub)
                elif stag == T_END_TIME:
                    clock = _text(sub)
            found = parse_deadline(day, clock)
            if found is not None and (deadline is None or found < deadline):
                deadline = found
        elif tag == T_CONTRACTING_SYSTEM:
            code_el = _first(child, T_CONTRACTING_SYSTEM_CODE)
            if code_el is not None and code_el.get("listName") == "framework-agreement":
                _add_signal(signals, "BT-765", _text(code_el))
    return deadline


def _read_lot(el: etree._Element, lang: str) -> Lot | None:
    lot_id = None
    project = None
    signals: dict[str, list[str]] = {}
    url = None
    deadline = None
    for child in el[:]:
        tag = child.tag  # in schema order
        if tag == T_ID:
            if child.get("schemeName") == "LotsGroup":
                return None
            lot_id = _text(child)
        elif tag == T_TENDERING_TERMS:
            url = _read_lot_terms(child, signals)
        elif tag == T_TENDERING_PROCESS:
            deadline = _read_lot_process(child, signals)
        elif tag == T_PROJECT:
            project = _read_project(child, lang)
    if lot_id is None or lot_id.startswith("GLO-"):
        return None
    if project is None:
        project = _Project()
    for key, codes in project.signals.items():
        have = signals.get(key)
        if have is None:
            signals[key] = codes
        else:
            have.extend(c for c in codes if c not in have)
    for codes in signals.values():
        codes.sort()  # in place: these lists were built for this lot alone
    return Lot(
        lot_id=lot_id,
        title=project.title,
        description=project.description,
        additional_info=project.note,
        cpv_main=project.cpv_main,
        cpv_additional=project.cpv_additional,
        place_nuts=project.nuts,
        deadline=deadline,
        estimated_value=project.value,
        documents_url=url,
        signals=signals,
    )


# ----------------------------------------------------------------------------------- organisations
def _organizations(el: etree._Element | None) -> dict[str, etree._Element]:
    """OPT-200 organisation id → its ``efac:Company``."""
    companies: dict[str, etree._Element] = {}
    if el is None:
        return companies
    for org in el[:]:
        company = org[0] if len(org) else None
        if company is None or company.tag != T_COMPANY:
            company = _first(org, T_COMPANY)
            if company is None:
                continue
        for child in company[:]:
            if child.tag == T_PARTY_ID:
                org_id = _child_text(child, T_ID)
                if org_id:
                    companies[org_id] = company
                break
    return companies


def _company_name(company: etree._Element) -> str | None:
    return _text(_path(company, T_PARTY_NAME, T_NAME))


def _buyer(company: etree._Element, legal_type: str | None, activity: str | None) -> Buyer:
    name = org_id = city = country = nuts = None
    for child in company[:]:
        tag = child.tag
        if tag == T_PARTY_NAME and name is None:
            name = _child_text(child, T_NAME)
        elif tag == T_POSTAL:
            for sub in child[:]:
                stag = sub.tag
                if stag == T_CITY:
                    city = _text(sub)
                elif stag == T_SUBENTITY:
                    nuts = _text(sub)
                elif stag == T_COUNTRY:
                    country = _child_text(sub, T_IDCODE)
        elif tag == T_LEGAL_ENTITY and org_id is None:
            org_id = _child_text(child, T_COMPANY_ID)
    return Buyer(
        name=name or "",
        org_id=org_id,
        country=country,
        city=city,
        nuts=nuts,
        legal_type=legal_type,
        activity=activity,
    )


def _contracting_party(el: etree._Element) -> tuple[str | None, str | None, str | None]:
    """(organisation reference, BT-11 legal type, BT-10 or BT-610 activity)."""
    ref = legal_type = activity = None
    for child in el[:]:
        tag = child.tag
        if tag == T_PARTY:
            ref = _text(_path(child, T_PARTY_ID, T_ID))
        elif tag == T_PARTY_TYPE:
            code = _first(child, T_PARTY_TYPE_CODE)
            if code is not None and code.get("listName") in (None, "buyer-legal-type"):
                legal_type = _text(code)
        elif tag == T_ACTIVITY:
            code = _first(child, T_ACTIVITY_CODE)
            if code is not None and (activity is None or code.get("listName") == "authority-activity"):
                activity = _text(code)
    return ref, legal_type, activity


def _business_party(el: etree._Element) -> Buyer | None:
    """X01/X02 registrations name the registered business instead of a buyer."""
    entity = _first(el, T_LEGAL_ENTITY)
    if entity is None:
        return None
    name = _child_text(entity, T_REGISTRATION_NAME)
    return Buyer(name=name or "", org_id=_child_text(entity, T_COMPANY_ID)) if name else None


# ----------------------------------------------------------------------------------- changes, results
def _changes(el: etree._Element, lang: str) -> Change | None:
    changed = None
    reasons: list[str] = []
    descriptions: dict[str, str] = {}
    reason_texts: dict[str, str] = {}
    for child in el[:]:
        tag = child.tag
        if tag == T_CHANGED_ID:
            changed = _text(child)
        elif tag == T_CHANGE_REASON:
            for sub in child[:]:
                if sub.tag == T_REASON_CODE:
                    code = _text(sub)
                    if code and code not in reasons:
                        reasons.append(code)
                elif sub.tag == T_REASON_DESC:
                    _add_text(reason_texts, sub, lang)
        elif tag == T_CHANGE:
            for sub in child[:]:
                if sub.tag == T_CHANGE_DESC:
                    _add_text(descriptions, sub, lang)
    if changed is None:
        return None
    return Change(changed_notice=changed, reasons=reasons, descriptions=descriptions or reason_texts)


def _awards(el: etree._Element, companies: dict[str, etree._Element]) -> list[Award]:
    """LotResult → LotTender (BT-720) → TenderingParty → Tenderer → organisation name.

    Some notices (VEAT, modifications) name no tender in the lot result, only the settled
    contract; its ``efac:LotTender`` references then lead to the winners."""
    results: list[etree._Element] = []
    tenders: dict[str, tuple[Money | None, str | None]] = {}
    parties: dict[str, list[str]] = {}
    contracts: dict[str, list[str]] = {}
    for child in el[:]:
        tag = child.tag
        if tag == T_LOT_RESULT:
            results.append(child)
        elif tag == T_LOT_TENDER:
            tender_id = _child_text(child, T_ID)
            if tender_id:
                money = _money(_path(child, T_MONETARY_TOTAL, T_PAYABLE))
                tenders[tender_id] = (money, _text(_path(child, T_TENDERING_PARTY, T_ID)))
        elif tag == T_TENDERING_PARTY:
            party_id = _child_text(child, T_ID)
            if party_id:
                parties[party_id] = [
                    ref for t in child if t.tag == T_TENDERER and (ref := _child_text(t, T_ID))
                ]
        elif tag == T_SETTLED_CONTRACT:
            contract_id = _child_text(child, T_ID)
            if contract_id:
                contracts[contract_id] = [
                    ref for t in child if t.tag == T_LOT_TENDER and (ref := _child_text(t, T_ID))
                ]
    awards = []
    for result in results:
        status = lot_id = None
        refs: list[str] = []
        contract_refs: list[str] = []
        for child in result[:]:
            tag = child.tag
            if tag == T_RESULT_CODE:
                status = _text(child)
            elif tag == T_LOT_TENDER:
                ref = _child_text(child, T_ID)
                if ref:
                    refs.append(ref)
            elif tag == T_TENDER_LOT:
                lot_id = _child_text(child, T_ID)
            elif tag == T_SETTLED_CONTRACT:
                ref = _child_text(child, T_ID)
                if ref:
                    contract_refs.append(ref)
        if not refs:
            refs = [tender for contract in contract_refs for tender in contracts.get(contract, ())]
        winners: list[str] = []
        amounts: list[Money] = []
        if status not in _NO_WINNER:
            for ref in refs:
                money, party = tenders.get(ref, (None, None))
                if money is not None:
                    amounts.append(money)
                for org in parties.get(party or "", ()):
                    company = companies.get(org)
                    name = _company_name(company) if company is not None else None
                    if name and name not in winners:
                        winners.append(name)
        value = None
        if winners and amounts and len({m.currency for m in amounts}) == 1:
            value = Money(round(sum(m.amount for m in amounts), 2), amounts[0].currency)
        awards.append(Award(lot_id=lot_id, status=status, winners=winners, value=value))
    return awards


def _national(el: etree._Element) -> dict[str, object]:
    """HILMA ``hilma:NationalExtension`` → FI-20, FI-11 and any other leaf as ``hilma:<name>``."""
    national: dict[str, object] = {}
    for leaf in el.iter():
        if len(leaf) or not isinstance(leaf.tag, str):
            continue
        value = _text(leaf)
        if value is None:
            continue
        tag = leaf.tag
        if tag == T_HILMA_EU:
            national["FI-20"] = value.lower() == "true"
        elif tag == T_HILMA_LEGISLATION:
            national["FI-11"] = value
        else:
            national[f"hilma:{local_name(tag)}"] = (
                value.lower() == "true" if value.lower() in ("true", "false") else value
            )
    return national


# ----------------------------------------------------------------------------------- the notice
def parse_notice_element(root: etree._Element, *, source_name: str = "<element>") -> NoticeRecord:
    """Extract a record from an already parsed (and trusted) eForms root element.

    Callers parse through :func:`scrapers.parsers.parse_notice`, which sends legacy TED roots
    to ``ted_legacy``; here any other root is a :class:`NotEformsError` saying what it is."""
    name = local_name(root.tag) if isinstance(root.tag, str) else ""
    if name not in EFORMS_ROOTS:
        if name == "TED_EXPORT":
            raise NotEformsError(
                source_name, "a legacy TED XML (TED_EXPORT) document, not eForms", kind="ted-export"
            )
        if name.lower() == "html":
            raise NotEformsError(source_name, "an HTML page, not an eForms notice", kind="html")
        raise NotEformsError(source_name, f"root element <{name}> is not an eForms notice", kind="unknown")

    ext = sdk = notice_id = procedure_id = issue = version = legal_basis = None
    notice_type = form_type = language = None
    extra_langs: list[str] = []
    parties: list[etree._Element] = []
    process = project = hilma = None
    lots_el: list[etree._Element] = []
    notes: list[etree._Element] = []
    business: list[etree._Element] = []
    for child in root[:]:
        tag = child.tag
        if tag == T_LOT:
            lots_el.append(child)
        elif tag == T_UBLEXTENSIONS:
            ext = _eforms_extension(child)
        elif tag == T_ID:
            if child.get("schemeName") in (None, "notice-id"):
                notice_id = _text(child)
        elif tag == T_FOLDER:
            procedure_id = _text(child)
        elif tag == T_VERSION:
            version = _text(child)
        elif tag == T_CUSTOMIZATION:
            sdk = _text(child)
        elif tag == T_ISSUE_DATE:
            value = child.text
            issue = parse_date(value.strip()) if value else None
        elif tag == T_REGDOMAIN:
            legal_basis = _text(child)
        elif tag == T_NOTICE_TYPE:
            notice_type = _text(child)
            form_type = child.get("listName")
        elif tag == T_NOTICE_LANG:
            language = _text(child)
        elif tag == T_ADD_LANG:
            code = _child_text(child, T_ID)
            if code:
                extra_langs.append(code.lower())
        elif tag == T_CONTRACTING_PARTY:
            parties.append(child)
        elif tag == T_TENDERING_PROCESS:
            process = child
        elif tag == T_PROJECT:
            project = child
        elif tag == T_HILMA_EXT:
            hilma = child
        elif tag == T_NOTE:
            notes.append(child)
        elif tag == T_BUSINESS_PARTY:
            business.append(child)

    if notice_id is None:
        raise IncompleteNoticeError(
            source_name, "no BT-701 notice identifier (cbc:ID[@schemeName='notice-id'])"
        )
    lang = language.lower() if language else "und"

    subtype = publication_number = None
    publication_date = None
    change = None
    awards: list[Award] = []
    result_el = None
    companies: dict[str, etree._Element] = {}
    if ext is not None:
        for child in ext[:]:
            tag = child.tag
            if tag == T_SUBTYPE:
                subtype = _child_text(child, T_SUBTYPE_CODE)
            elif tag == T_ORGANIZATIONS:
                companies = _organizations(child)
            elif tag == T_PUBLICATION:
                publication_number = _child_text(child, T_PUB_ID)
                publication_date = parse_date(_child_text(child, T_PUB_DATE))
            elif tag == T_CHANGES:
                change = _changes(child, lang)
            elif tag == T_NOTICE_RESULT:
                result_el = child
    if result_el is not None:
        awards = _awards(result_el, companies)

    buyers: list[Buyer] = []
    for party in parties:
        ref, legal_type, activity = _contracting_party(party)
        company = companies.get(ref) if ref else None
        if company is not None:
            buyers.append(_buyer(company, legal_type, activity))
    for party in business:
        buyer = _business_party(party)
        if buyer is not None:
            buyers.append(buyer)

    # The notice's signals are the union of the procedure's and the lots': sets, sorted at the end.
    signals: dict[str, set[str]] = {}
    procedure_type = None
    if process is not None:
        for child in process[:]:
            tag = child.tag
            if tag == T_PROCEDURE_CODE:
                procedure_type = _text(child)
                if procedure_type:
                    signals.setdefault("BT-105", set()).add(procedure_type)
            elif tag == T_JUSTIFICATION:
                for code_el in child[:]:
                    if (
                        code_el.tag == T_REASON_CODE_PROCESS
                        and code_el.get("listName") == "direct-award-justification"
                    ):
                        code = _text(code_el)
                        if code:
                            signals.setdefault("BT-136", set()).add(code)

    proc = _read_project(project, lang) if project is not None else _Project()
    for note in notes:
        _add_text(proc.note, note, lang)
    for key, codes in proc.signals.items():
        signals.setdefault(key, set()).update(codes)

    languages = extra_langs
    if language:
        languages = [lang]
        for code in extra_langs:
            if code not in languages:
                languages.append(code)

    lots: list[Lot] = []
    deadline = None
    documents_url = None
    for el in lots_el:
        lot = _read_lot(el, lang)
        if lot is None:
            continue
        lots.append(lot)
        for key, codes in lot.signals.items():
            signals.setdefault(key, set()).update(codes)
        if lot.deadline is not None and (deadline is None or lot.deadline < deadline):
            deadline = lot.deadline
        if documents_url is None:
            documents_url = lot.documents_url

    return NoticeRecord(
        notice_id=notice_id,
        version=version,
        procedure_id=procedure_id,
        publication_number=publication_number,
        publication_date=publication_date,
        subtype=subtype,
        notice_type=notice_type,
        form_type=form_type,
        language=language.lower() if language else None,
        title=proc.title,
        description=proc.description,
        additional_info=proc.note,
        buyers=buyers,
        procedure_type=procedure_type,
        main_nature=proc.nature,
        legal_basis=legal_basis,
        cpv_main=proc.cpv_main,
        cpv_additional=proc.cpv_additional,
        place_nuts=proc.nuts,
        estimated_value=proc.value,
        deadline=deadline,
        lots=lots,
        changes=change,
        awards=awards,
        signals={k: sorted(signals[k]) for k in sorted(signals)},
        documents_url=documents_url,
        issue_date=issue,
        sdk_version=sdk,
        languages=languages,
        national=_national(hilma) if hilma is not None else {},
    )
