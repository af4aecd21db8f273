"""Synthetic eForms notices: a spec (``NoticeSpec``) in, realistic eForms UBL XML out.

Why: tests, benchmarks and the offline demo need many varied notices (every subtype family,
joint buyers, several languages, change and award notices that point at earlier ones,
innovation signals, HILMA's national extension) without copying anything from the shared
corpus into the repository. The XML follows the shape of real published notices (element
order, ``efac:Publication``, the organisations block, listName attributes) closely enough that
an eForms consumer that reads real notices reads these.

Speed matters (benchmarks generate 100,000 notices), so XML is assembled from string pieces
rather than through a DOM; every text value goes through :func:`_esc`.

:func:`expected_record` is the independent statement of what a correct parser must return for
a spec; the parser's round-trip test compares against it.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, cast

import monitor.demo.samples.boilerplate as bp
from db.record import Award, Buyer, Change, Lot, Money, NoticeRecord
from monitor.demo.samples.texts import CHANGE_TEXTS, NOTES, SCOPE, TOPICS

# ----------------------------------------------------------------------------------- codelists
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "efext": "http://data.europa.eu/p27/eforms-ubl-extensions/1",
    "efac": "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1",
    "efbc": "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1",
    "hilma": "urn:hanselHilma:NationalNoticeExtension",
}
ROOT_NS = {
    "PriorInformationNotice": "urn:oasis:names:specification:ubl:schema:xsd:PriorInformationNotice-2",
    "ContractNotice": "urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2",
    "ContractAwardNotice": "urn:oasis:names:specification:ubl:schema:xsd:ContractAwardNotice-2",
    "BusinessRegistrationInformationNotice": (
        "http://data.europa.eu/p27/eforms-business-registration-information-notice/1"
    ),
}

_D24, _D25, _D81, _D23 = "32014L0024", "32014L0025", "32009L0081", "32014L0023"
SUBTYPES: dict[str, tuple[str, str, str, str]] = {}
"""subtype → (root element, BT-02 notice type, BT-03 form type, BT-01 legal basis); SDK 1.15."""


def _st(codes: str, root: str, notice_type: str, form: str, bases: tuple[str, ...]) -> None:
    for code, basis in zip(codes.split(), bases, strict=True):
        SUBTYPES[code] = (root, notice_type, form, basis)


_PIN, _CN, _CAN = "PriorInformationNotice", "ContractNotice", "ContractAwardNotice"
_st("1 2 3", _PIN, "pin-buyer", "planning", (_D24, _D25, _D81))
_st("4 5 6", _PIN, "pin-only", "planning", (_D24, _D25, _D81))
_st("7 8 9", _PIN, "pin-rtl", "planning", (_D24, _D25, _D81))
_st("10 11", _PIN, "pin-cfc-standard", "competition", (_D24, _D25))
_st("12 13 14", _PIN, "pin-cfc-social", "competition", (_D24, _D25, _D23))
_st("15", _CN, "qu-sy", "competition", (_D25,))
_st("16 17 18 19", _CN, "cn-standard", "competition", (_D24, _D25, _D81, _D23))
_st("20 21", _CN, "cn-social", "competition", (_D24, _D25))
_st("22", _CN, "subco", "competition", (_D81,))
_st("23 24", _CN, "cn-desg", "competition", (_D24, _D25))
_st("25 26 27 28", _CAN, "veat", "dir-awa-pre", (_D24, _D25, _D81, _D23))
_st("29 30 31 32", _CAN, "can-standard", "result", (_D24, _D25, _D81, _D23))
_st("33 34 35", _CAN, "can-social", "result", (_D24, _D25, _D23))
_st("36 37", _CAN, "can-desg", "result", (_D24, _D25))
_st("38 39 40", _CAN, "can-modif", "cont-modif", (_D24, _D25, _D23))
_st("E1", _PIN, "pmc", "consultation", ("other",))
_st("E2", _PIN, "pin-only", "planning", ("other",))
_st("E3", _CN, "cn-standard", "competition", ("other",))
_st("E4", _CAN, "can-standard", "result", ("other",))
_st("E5", _CAN, "compl", "completion", ("other",))
_st("E6", _CAN, "can-modif", "cont-modif", ("other",))
_st("CEI", _PIN, "pin-cfc-standard", "competition", ("32024R2509",))
_st("T01", _PIN, "pin-tran", "planning", ("32007R1370",))
_st("T02", _CAN, "can-tran", "result", ("32007R1370",))
_st("X01", "BusinessRegistrationInformationNotice", "brin-eeig", "bri", ("31985R2137",))
_st("X02", "BusinessRegistrationInformationNotice", "brin-ecs", "bri", ("32001R2157",))

PART_SUBTYPES = frozenset({"4", "5", "6", "E2"})
"""PIN-only notices describe Parts (``PAR-0001``) instead of lots."""
NO_LOT_SUBTYPES = frozenset({"1", "2", "3", "X01", "X02"})
"""Buyer-profile PINs and business registrations have no lots at all."""
STRATEGIC_FORBIDDEN = frozenset({"1", "2", "3", "4", "5", "6", "CEI", "E1", "E2", "T01", "T02", "X01", "X02"})
"""BT-06/774/775/776/805 are forbidden in these subtypes (docs/eforms.md#innovation-fields)."""
DESIGN_CONTEST_SUBTYPES = frozenset({"23", "24", "36", "37"})

ADDITIONAL_TYPE_LISTS: dict[str, str] = {
    "BT-06": "strategic-procurement",
    "BT-776": "innovative-acquisition",
    "BT-774": "environmental-impact",
    "BT-775": "social-objective",
    "BT-805": "gpp-criteria",
    "BT-754": "accessibility",
}
"""Lot signals written as ``cac:ProcurementAdditionalType/cbc:ProcurementTypeCode[@listName]``."""

LOT_SIGNAL_KEYS = (
    *ADDITIONAL_TYPE_LISTS,
    "BT-63",
    "BT-60",
    "BT-7220",
    "BT-765",
    "BT-41",
    "BT-42",
    "BT-44",
    "BT-644",
)
"""Every lot-level signal key the builder (and the parser) know."""

LEGACY_BT776 = ("org-nov", "buy-eff", "fp-requ", "other")
CURRENT_BT776 = ("mar-nov", "proc-innov", "prod-innov", "rd-act")


# ----------------------------------------------------------------------------------- the spec
@dataclass(slots=True)
class LotSpec:
    """One lot (or PIN part). Mirrors :class:`db.record.Lot` plus how the deadline is written."""

    lot_id: str = "LOT-0001"
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    note: dict[str, str] = field(default_factory=dict)
    """BT-300 additional information → ``Lot.additional_info``."""
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    place_nuts: list[str] = field(default_factory=list)
    place_country: str | None = None
    deadline: datetime | None = None
    """Aware datetime; written as BT-131 (tender) or BT-1311 (participation) date + time."""
    deadline_kind: str = "tender"
    """``tender`` (BT-131) or ``participation`` (BT-1311)."""
    deadline_date_only: bool = False
    """Write only ``cbc:EndDate`` (no time): the parser reads it as 23:59:59 that day."""
    estimated_value: Money | None = None
    documents_url: str | None = None
    signals: dict[str, list[str]] = field(default_factory=dict)
    """Keys from :data:`LOT_SIGNAL_KEYS`; BT-41/BT-42 take ``true``/``false``, BT-44 prize ranks,
    BT-644 prize amounts (EUR, as decimal strings)."""


@dataclass(slots=True)
class NoticeSpec:
    """Everything needed to write one eForms notice. Defaults make a minimal Finnish CN (16)."""

    notice_id: str = "00000000-0000-4000-8000-000000000000"
    version: str = "01"
    procedure_id: str = "00000000-0000-4000-8000-000000000001"
    publication_number: str | None = None
    """OPP-010 as written, e.g. ``00553370-2023``; None for an unpublished notice."""
    publication_date: date | None = None
    issue_date: date = date(2024, 1, 1)
    subtype: str = "16"
    notice_type: str | None = None
    """BT-02; derived from the subtype when None."""
    form_type: str | None = None
    """BT-03; derived from the subtype when None."""
    legal_basis: str | None = None
    """BT-01; derived from the subtype when None."""
    root: str | None = None
    """Root element; derived from the subtype when None (HILMA writes E1 under ContractNotice)."""
    sdk_version: str = "1.10"
    language: str = "fin"
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    additional_info: dict[str, str] = field(default_factory=dict)
    buyers: list[Buyer] = field(default_factory=lambda: [Buyer(name="Esimerkkikunta")])
    procedure_type: str | None = "open"
    """BT-105."""
    direct_award_justification: list[str] = field(default_factory=list)
    """BT-136 codes (``rd``, ``resd``, ``urgency`` ...)."""
    main_nature: str | None = "services"
    cpv_main: str | None = None
    cpv_additional: list[str] = field(default_factory=list)
    place_nuts: list[str] = field(default_factory=list)
    place_country: str | None = None
    estimated_value: Money | None = None
    lots: list[LotSpec] = field(default_factory=list)
    change: Change | None = None
    """BT-758 (either ``<uuid>-<ver>`` or a publication number), BT-140 reasons, BT-141 texts."""
    awards: list[Award] = field(default_factory=list)
    """One per lot result: BT-142 status, winner names (organisations are made up), value."""
    national: dict[str, Any] | None = None
    """HILMA national extension: ``{"FI-20": bool, "FI-11": "procurement-legislation"}``."""
    boilerplate: bool = True
    """Also write what real notices carry but TenderWatch does not extract (contacts, exclusion
    grounds, selection and award criteria, the review body): see ``boilerplate.py``."""

    def resolved(self) -> tuple[str, str, str, str]:
        """(root, notice type, form type, legal basis) with the subtype's defaults filled in."""
        root, notice_type, form, basis = SUBTYPES[self.subtype]
        return (
            self.root or root,
            self.notice_type or notice_type,
            self.form_type or form,
            self.legal_basis or basis,
        )

    @property
    def languages(self) -> list[str]:
        """Main language first, then every other language any text uses, in first-seen order."""
        seen: dict[str, None] = {self.language: None}
        for texts in (self.title, self.description, self.additional_info):
            seen.update(dict.fromkeys(texts))
        for lot in self.lots:
            for texts in (lot.title, lot.description, lot.note):
                seen.update(dict.fromkeys(texts))
        if self.change:
            seen.update(dict.fromkeys(self.change.descriptions))
        return list(seen)


# ----------------------------------------------------------------------------------- writing
def _esc(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:  # rare: skip four copies otherwise
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text


def _offset(value: datetime | date) -> str:
    off = value.utcoffset() if isinstance(value, datetime) else None
    if not off:
        return "Z"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _texts(out: list[str], tag: str, texts: dict[str, str]) -> None:
    for lang, text in texts.items():
        out.append(f'<{tag} languageID="{lang.upper()}">{_esc(text)}</{tag}>')


def _amount(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=1024)
def _domain(name: str) -> str:
    slug = "".join(
        ch for ch in name.lower().replace(" ", "-") if ch.isascii() and (ch.isalnum() or ch == "-")
    )
    return f"{slug.strip('-')[:30] or 'org'}.example"


def _org(out: list[str], org_id: str, buyer: Buyer, full: bool = False, street: str = "Katu 1") -> None:
    out.append(_org_xml(org_id, buyer, full, street))


@lru_cache(maxsize=8192)
def _org_xml(org_id: str, buyer: Buyer, full: bool, street: str) -> str:
    """One ``efac:Organization``; cached because the same buyers recur throughout a corpus."""
    out: list[str] = []
    out.append("<efac:Organization><efac:Company>")
    if full:
        out.append(f"<cbc:WebsiteURI>https://www.{_domain(buyer.name)}</cbc:WebsiteURI>")
    out.append(
        f'<cac:PartyIdentification><cbc:ID schemeName="organization">{org_id}</cbc:ID>'
        "</cac:PartyIdentification>"
    )
    out.append(f"<cac:PartyName><cbc:Name>{_esc(buyer.name)}</cbc:Name></cac:PartyName>")
    if buyer.city or buyer.country or buyer.nuts:
        out.append("<cac:PostalAddress>")
        if full:
            out.append(f"<cbc:StreetName>{_esc(street)}</cbc:StreetName>")
        if buyer.city:
            out.append(f"<cbc:CityName>{_esc(buyer.city)}</cbc:CityName>")
        if full:
            out.append("<cbc:PostalZone>00100</cbc:PostalZone>")
        if buyer.nuts:
            out.append(f'<cbc:CountrySubentityCode listName="nuts">{buyer.nuts}</cbc:CountrySubentityCode>')
        if buyer.country:
            out.append(
                f'<cac:Country><cbc:IdentificationCode listName="country">{buyer.country}'
                "</cbc:IdentificationCode></cac:Country>"
            )
        out.append("</cac:PostalAddress>")
    if buyer.org_id:
        out.append(
            f"<cac:PartyLegalEntity><cbc:CompanyID>{_esc(buyer.org_id)}</cbc:CompanyID>"
            "</cac:PartyLegalEntity>"
        )
    if full:
        out.append(bp.contact(buyer.name, _domain(buyer.name)))
    out.append("</efac:Company></efac:Organization>")
    return "".join(out)


def _place(out: list[str], nuts: list[str], country: str | None) -> None:
    if not nuts and not country:
        return
    codes: list[str | None] = [*nuts] or [None]
    for code in codes:
        out.append("<cac:RealizedLocation><cac:Address>")
        if code:
            out.append(f'<cbc:CountrySubentityCode listName="nuts">{code}</cbc:CountrySubentityCode>')
        if country:
            out.append(
                f'<cac:Country><cbc:IdentificationCode listName="country">{country}'
                "</cbc:IdentificationCode></cac:Country>"
            )
        out.append("</cac:Address></cac:RealizedLocation>")


def _project(
    out: list[str],
    title: dict[str, str],
    description: dict[str, str],
    note: dict[str, str],
    nature: str | None,
    additional: dict[str, list[str]],
    value: Money | None,
    cpv_main: str | None,
    cpv_additional: list[str],
    nuts: list[str],
    country: str | None,
) -> None:
    out.append("<cac:ProcurementProject>")
    _texts(out, "cbc:Name", title)
    _texts(out, "cbc:Description", description)
    _texts(out, "cbc:Note", note)
    if nature:
        out.append(f'<cbc:ProcurementTypeCode listName="contract-nature">{nature}</cbc:ProcurementTypeCode>')
    for key, list_name in ADDITIONAL_TYPE_LISTS.items():
        for code in additional.get(key, ()):
            out.append(
                f'<cac:ProcurementAdditionalType><cbc:ProcurementTypeCode listName="{list_name}">'
                f"{code}</cbc:ProcurementTypeCode></cac:ProcurementAdditionalType>"
            )
    if value is not None:
        out.append(
            f'<cac:RequestedTenderTotal><cbc:EstimatedOverallContractAmount currencyID="{value.currency}">'
            f"{_amount(value.amount)}</cbc:EstimatedOverallContractAmount></cac:RequestedTenderTotal>"
        )
    if cpv_main:
        out.append(
            '<cac:MainCommodityClassification><cbc:ItemClassificationCode listName="cpv">'
            f"{cpv_main}</cbc:ItemClassificationCode></cac:MainCommodityClassification>"
        )
    for code in cpv_additional:
        out.append(
            '<cac:AdditionalCommodityClassification><cbc:ItemClassificationCode listName="cpv">'
            f"{code}</cbc:ItemClassificationCode></cac:AdditionalCommodityClassification>"
        )
    _place(out, nuts, country)
    out.append("</cac:ProcurementProject>")


def _deadline(out: list[str], lot: LotSpec) -> None:
    if lot.deadline is None:
        return
    tag = (
        "cac:TenderSubmissionDeadlinePeriod"
        if lot.deadline_kind == "tender"
        else "cac:ParticipationRequestReceptionPeriod"
    )
    off = _offset(lot.deadline)
    out.append(f"<{tag}><cbc:EndDate>{lot.deadline.date().isoformat()}{off}</cbc:EndDate>")
    if not lot.deadline_date_only:
        out.append(f"<cbc:EndTime>{lot.deadline.strftime('%H:%M:%S')}{off}</cbc:EndTime>")
    out.append(f"</{tag}>")


def _lot(
    out: list[str], lot: LotSpec, scheme: str, nature: str | None, lang: str, review_org: str | None
) -> None:
    sig = lot.signals
    full = review_org is not None
    out.append(f'<cac:ProcurementProjectLot><cbc:ID schemeName="{scheme}">{lot.lot_id}</cbc:ID>')
    out.append("<cac:TenderingTerms>")
    if sig.get("BT-7220") or full:
        out.append("<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><efext:EformsExtension>")
        if full:
            out.append(bp.selection_criteria(lang))
        for code in sig.get("BT-7220", ()):
            out.append(
                f'<efac:Funding><cbc:FundingProgramCode listName="eu-programme">{code}'
                "</cbc:FundingProgramCode></efac:Funding>"
            )
        out.append("</efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>")
    for code in sig.get("BT-63", ()):
        out.append(f'<cbc:VariantConstraintCode listName="permission">{code}</cbc:VariantConstraintCode>')
    for code in sig.get("BT-60", ()):
        out.append(f'<cbc:FundingProgramCode listName="eu-funded">{code}</cbc:FundingProgramCode>')
    if lot.documents_url:
        out.append(
            "<cac:CallForTendersDocumentReference><cbc:ID>DOC-1</cbc:ID>"
            "<cbc:DocumentType>non-restricted-document</cbc:DocumentType><cac:Attachment>"
            f"<cac:ExternalReference><cbc:URI>{_esc(lot.documents_url)}</cbc:URI></cac:ExternalReference>"
            "</cac:Attachment></cac:CallForTendersDocumentReference>"
        )
    if full:
        out.append(bp.lot_terms_middle(lang))
    if full or any(sig.get(k) for k in ("BT-41", "BT-42", "BT-44", "BT-644")):
        out.append("<cac:AwardingTerms>")
        for code in sig.get("BT-41", ()):
            out.append(f"<cbc:FollowupContractIndicator>{code}</cbc:FollowupContractIndicator>")
        for code in sig.get("BT-42", ()):
            out.append(f"<cbc:BindingOnBuyerIndicator>{code}</cbc:BindingOnBuyerIndicator>")
        if full:
            out.append(bp.award_criteria(lang))
        ranks, values = sig.get("BT-44", []), sig.get("BT-644", [])
        for i in range(max(len(ranks), len(values))):
            out.append("<cac:Prize>")
            if i < len(ranks):
                out.append(f"<cbc:RankCode>{ranks[i]}</cbc:RankCode>")
            if i < len(values):
                out.append(f'<cbc:ValueAmount currencyID="EUR">{values[i]}</cbc:ValueAmount>')
            out.append("</cac:Prize>")
        out.append("</cac:AwardingTerms>")
    if review_org is not None:
        out.append(bp.lot_terms_tail(lang, review_org, f"https://tarjoukset.example/{lot.lot_id.lower()}"))
    out.append("</cac:TenderingTerms>")
    out.append("<cac:TenderingProcess>")
    if full:
        out.append('<cbc:SubmissionMethodCode listName="esubmission">required</cbc:SubmissionMethodCode>')
    _deadline(out, lot)
    if full and lot.deadline is not None:
        ask = lot.deadline - timedelta(days=10)
        out.append(
            f"<cac:AdditionalInformationRequestPeriod><cbc:EndDate>{ask.date().isoformat()}{_offset(ask)}"
            f"</cbc:EndDate><cbc:EndTime>12:00:00{_offset(ask)}</cbc:EndTime>"
            "</cac:AdditionalInformationRequestPeriod>"
        )
    for code in sig.get("BT-765", ()):
        out.append(
            '<cac:ContractingSystem><cbc:ContractingSystemTypeCode listName="framework-agreement">'
            f"{code}</cbc:ContractingSystemTypeCode></cac:ContractingSystem>"
        )
    if full:
        out.append(
            '<cac:ContractingSystem><cbc:ContractingSystemTypeCode listName="dps-usage">none'
            "</cbc:ContractingSystemTypeCode></cac:ContractingSystem>"
        )
    out.append("</cac:TenderingProcess>")
    _project(
        out,
        lot.title,
        lot.description,
        lot.note,
        nature,
        sig,
        lot.estimated_value,
        lot.cpv_main,
        lot.cpv_additional,
        lot.place_nuts,
        lot.place_country,
    )
    out.append("</cac:ProcurementProjectLot>")


def _results(out: list[str], awards: list[Award], first_org: int) -> None:
    """efac:NoticeResult: LotResult → LotTender → TenderingParty → Tenderer → organisation."""
    total_cents: dict[str, int] = {}
    results, tenders, parties = [], [], []
    org = first_org
    for r, award in enumerate(awards, 1):
        res = [f'<efac:LotResult><cbc:ID schemeName="result">RES-{r:04d}</cbc:ID>']
        if award.status:
            res.append(
                f'<cbc:TenderResultCode listName="winner-selection-status">{award.status}'
                "</cbc:TenderResultCode>"
            )
        shares = _split(award.value, len(award.winners))
        for w in range(len(award.winners)):
            ten, tpa = f"TEN-{r:04d}-{w + 1:02d}", f"TPA-{r:04d}-{w + 1:02d}"
            res.append(f'<efac:LotTender><cbc:ID schemeName="tender">{ten}</cbc:ID></efac:LotTender>')
            tender = [f'<efac:LotTender><cbc:ID schemeName="tender">{ten}</cbc:ID>']
            if award.value is not None:
                cur = award.value.currency
                total_cents[cur] = total_cents.get(cur, 0) + shares[w]
                tender.append(
                    f'<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="{cur}">'
                    f"{_amount(shares[w] / 100)}</cbc:PayableAmount></cac:LegalMonetaryTotal>"
                )
            tender.append(
                f'<efac:TenderingParty><cbc:ID schemeName="tendering-party">{tpa}</cbc:ID>'
                "</efac:TenderingParty>"
            )
            if award.lot_id:
                tender.append(
                    f'<efac:TenderLot><cbc:ID schemeName="Lot">{award.lot_id}</cbc:ID></efac:TenderLot>'
                )
            tender.append("</efac:LotTender>")
            tenders.append("".join(tender))
            parties.append(
                f'<efac:TenderingParty><cbc:ID schemeName="tendering-party">{tpa}</cbc:ID>'
                f'<efac:Tenderer><cbc:ID schemeName="organization">ORG-{org:04d}</cbc:ID>'
                "</efac:Tenderer></efac:TenderingParty>"
            )
            org += 1
        if award.lot_id:
            res.append(f'<efac:TenderLot><cbc:ID schemeName="Lot">{award.lot_id}</cbc:ID></efac:TenderLot>')
        res.append("</efac:LotResult>")
        results.append("".join(res))
    out.append("<efac:NoticeResult>")
    if len(total_cents) == 1:
        cur, cents = next(iter(total_cents.items()))
        out.append(f'<cbc:TotalAmount currencyID="{cur}">{_amount(cents / 100)}</cbc:TotalAmount>')
    out.extend(results)
    out.extend(tenders)
    out.extend(parties)
    out.append("</efac:NoticeResult>")


def _split(value: Money | None, n: int) -> list[int]:
    """Split a value into n tender amounts in cents that add up exactly."""
    if value is None or n == 0:
        return [0] * n
    cents = round(value.amount * 100)
    base, rest = divmod(cents, n)
    return [base + (1 if i < rest else 0) for i in range(n)]


def build_notice_xml(spec: NoticeSpec) -> bytes:
    """Write ``spec`` as eForms UBL XML (UTF-8 bytes, with XML declaration)."""
    root, notice_type, form_type, legal_basis = spec.resolved()
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n<', root, ' xmlns="', ROOT_NS[root], '"']
    for prefix, uri in NS.items():
        if prefix != "hilma" or spec.national is not None:
            out.append(f' xmlns:{prefix}="{uri}"')
    out.append(">\n<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><efext:EformsExtension>")
    if spec.change is not None:
        ch = spec.change
        out.append(
            f"<efac:Changes><efbc:ChangedNoticeIdentifier>{_esc(ch.changed_notice)}"
            "</efbc:ChangedNoticeIdentifier>"
        )
        if ch.descriptions:
            out.append("<efac:Change>")
            _texts(out, "efbc:ChangeDescription", ch.descriptions)
            out.append(
                "<efac:ChangedSection><efbc:ChangedSectionIdentifier>PROCEDURE"
                "</efbc:ChangedSectionIdentifier></efac:ChangedSection></efac:Change>"
            )
        for code in ch.reasons:
            out.append(
                '<efac:ChangeReason><cbc:ReasonCode listName="change-corrig-justification">'
                f"{code}</cbc:ReasonCode></efac:ChangeReason>"
            )
        out.append("</efac:Changes>")
    winners_first_org = len(spec.buyers) + 1
    if spec.awards:
        _results(out, spec.awards, winners_first_org)
    out.append(
        f'<efac:NoticeSubType><cbc:SubTypeCode listName="notice-subtype">{spec.subtype}'
        "</cbc:SubTypeCode></efac:NoticeSubType>"
    )
    full = spec.boilerplate
    out.append("<efac:Organizations>")
    for i, buyer in enumerate(spec.buyers, 1):
        _org(out, f"ORG-{i:04d}", buyer, full)
    org = winners_first_org
    country = spec.buyers[0].country if spec.buyers else None
    for award in spec.awards:
        for name in award.winners:
            _org(out, f"ORG-{org:04d}", Buyer(name=name, country=country), full, "Yrityskuja 3")
            org += 1
    review_org = None
    if full and country in bp.REVIEW_BODIES:
        review_org = f"ORG-{org:04d}"
        name, city, nuts, _ = bp.REVIEW_BODIES[country]
        _org(out, review_org, Buyer(name=name, country=country, city=city, nuts=nuts), full, "Oikeustie 5")
    out.append("</efac:Organizations>")
    if spec.publication_number:
        out.append(
            '<efac:Publication><efbc:NoticePublicationID schemeName="ojs-notice-id">'
            f"{spec.publication_number}</efbc:NoticePublicationID>"
        )
        if spec.publication_date:
            issue = f"{spec.publication_date.timetuple().tm_yday % 250 + 1}/{spec.publication_date.year}"
            out.append(
                f'<efbc:GazetteID schemeName="ojs-id">{issue}</efbc:GazetteID>'
                f"<efbc:PublicationDate>{spec.publication_date.isoformat()}Z</efbc:PublicationDate>"
            )
        out.append("</efac:Publication>")
    out.append("</efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>\n")
    out.append(
        f"<cbc:UBLVersionID>2.3</cbc:UBLVersionID><cbc:CustomizationID>eforms-sdk-{spec.sdk_version}"
        f'</cbc:CustomizationID><cbc:ID schemeName="notice-id">{spec.notice_id}</cbc:ID>'
    )
    if root != "BusinessRegistrationInformationNotice":
        out.append(f"<cbc:ContractFolderID>{spec.procedure_id}</cbc:ContractFolderID>")
    out.append(
        f"<cbc:IssueDate>{spec.issue_date.isoformat()}Z</cbc:IssueDate><cbc:IssueTime>09:00:00Z"
        f"</cbc:IssueTime><cbc:VersionID>{spec.version}</cbc:VersionID>"
        f"<cbc:RegulatoryDomain>{legal_basis}</cbc:RegulatoryDomain>"
        f'<cbc:NoticeTypeCode listName="{form_type}">{notice_type}</cbc:NoticeTypeCode>'
        f'<cbc:NoticeLanguageCode listName="eu-official-language">{spec.language.upper()}'
        "</cbc:NoticeLanguageCode>"
    )
    for lang in spec.languages[1:]:
        out.append(
            f"<cac:AdditionalNoticeLanguage><cbc:ID>{lang.upper()}</cbc:ID></cac:AdditionalNoticeLanguage>"
        )
    for i, buyer in enumerate(spec.buyers, 1):
        out.append("<cac:ContractingParty>")
        if buyer.legal_type:
            out.append(
                '<cac:ContractingPartyType><cbc:PartyTypeCode listName="buyer-legal-type">'
                f"{buyer.legal_type}</cbc:PartyTypeCode></cac:ContractingPartyType>"
            )
        if buyer.activity:
            out.append(
                '<cac:ContractingActivity><cbc:ActivityTypeCode listName="authority-activity">'
                f"{buyer.activity}</cbc:ActivityTypeCode></cac:ContractingActivity>"
            )
        out.append(
            f'<cac:Party><cac:PartyIdentification><cbc:ID schemeName="organization">ORG-{i:04d}'
            "</cbc:ID></cac:PartyIdentification></cac:Party></cac:ContractingParty>"
        )
    if full and form_type in ("competition", "result", "planning"):
        out.append(bp.procedure_terms(spec.language))
    if spec.procedure_type or spec.direct_award_justification:
        out.append("<cac:TenderingProcess>")
        if spec.procedure_type:
            out.append(
                f'<cbc:ProcedureCode listName="procurement-procedure-type">{spec.procedure_type}'
                "</cbc:ProcedureCode>"
            )
        for code in spec.direct_award_justification:
            out.append(
                '<cac:ProcessJustification><cbc:ProcessReasonCode listName="direct-award-justification">'
                f"{code}</cbc:ProcessReasonCode></cac:ProcessJustification>"
            )
        out.append("</cac:TenderingProcess>")
    _project(
        out,
        spec.title,
        spec.description,
        spec.additional_info,
        spec.main_nature,
        {},
        spec.estimated_value,
        spec.cpv_main,
        spec.cpv_additional,
        spec.place_nuts,
        spec.place_country,
    )
    scheme = "Part" if spec.subtype in PART_SUBTYPES else "Lot"
    for lot in spec.lots:
        _lot(out, lot, scheme, spec.main_nature, spec.language, review_org)
    if spec.national is not None:
        out.append("<hilma:NationalExtension><hilma:ProcurementProject>")
        if "FI-11" in spec.national:
            out.append(
                '<hilma:ApplicableLegislationCode listName="applicable-legislation-national">'
                f"{spec.national['FI-11']}</hilma:ApplicableLegislationCode>"
            )
        if "FI-20" in spec.national:
            flag = "true" if spec.national["FI-20"] else "false"
            out.append(
                f"<hilma:IsEUApplicableConstraintIndicator>{flag}</hilma:IsEUApplicableConstraintIndicator>"
            )
        out.append("</hilma:ProcurementProject></hilma:NationalExtension>")
    out.append(f"\n</{root}>\n")
    return "".join(out).encode("utf-8")


# ----------------------------------------------------------------------------------- expectation
def end_of_day(day: date, tz: timezone | None) -> datetime:
    """How a date-only deadline is read: the last second of that day, in the date's own offset
    (UTC when it has none). A deadline is not over until the day is."""
    return datetime.combine(day, time(23, 59, 59), tz or UTC)


def expected_record(spec: NoticeSpec) -> NoticeRecord:
    """What a correct eForms parser must produce for ``build_notice_xml(spec)``."""
    root, notice_type, form_type, legal_basis = spec.resolved()
    lots: list[Lot] = []
    signals: dict[str, set[str]] = {}
    for lot in spec.lots:
        deadline = lot.deadline
        if deadline is not None and lot.deadline_date_only:
            deadline = end_of_day(
                deadline.date(), cast(timezone | None, deadline.tzinfo)
            )  # specs use fixed offsets
        lot_signals = {k: sorted(set(v)) for k, v in lot.signals.items() if v}
        for key, codes in lot_signals.items():
            signals.setdefault(key, set()).update(codes)
        lots.append(
            Lot(
                lot_id=lot.lot_id,
                title=dict(lot.title),
                description=dict(lot.description),
                additional_info=dict(lot.note),
                cpv_main=lot.cpv_main,
                cpv_additional=list(lot.cpv_additional),
                place_nuts=list(lot.place_nuts),
                deadline=deadline,
                estimated_value=lot.estimated_value,
                documents_url=lot.documents_url,
                signals=lot_signals,
            )
        )
    if spec.procedure_type:
        signals.setdefault("BT-105", set()).add(spec.procedure_type)
    if spec.direct_award_justification:
        signals.setdefault("BT-136", set()).update(spec.direct_award_justification)
    deadlines = [lot.deadline for lot in lots if lot.deadline is not None]
    change = None
    if spec.change is not None:
        change = Change(spec.change.changed_notice, list(spec.change.reasons), dict(spec.change.descriptions))
    awards = [Award(a.lot_id, a.status, list(a.winners), a.value if a.winners else None) for a in spec.awards]
    return NoticeRecord(
        notice_id=spec.notice_id,
        version=spec.version,
        procedure_id=None if root == "BusinessRegistrationInformationNotice" else spec.procedure_id,
        publication_number=spec.publication_number,
        publication_date=spec.publication_date if spec.publication_number else None,
        subtype=spec.subtype,
        notice_type=notice_type,
        form_type=form_type,
        language=spec.language,
        title=dict(spec.title),
        description=dict(spec.description),
        additional_info=dict(spec.additional_info),
        buyers=list(spec.buyers),
        procedure_type=spec.procedure_type,
        main_nature=spec.main_nature,
        legal_basis=legal_basis,
        cpv_main=spec.cpv_main,
        cpv_additional=list(spec.cpv_additional),
        place_nuts=list(spec.place_nuts),
        estimated_value=spec.estimated_value,
        deadline=min(deadlines) if deadlines else None,
        lots=lots,
        changes=change,
        awards=awards,
        signals={k: sorted(v) for k, v in sorted(signals.items())},
        documents_url=next((lot.documents_url for lot in spec.lots if lot.documents_url), None),
        issue_date=spec.issue_date,
        sdk_version=f"eforms-sdk-{spec.sdk_version}",
        languages=spec.languages,
        national=dict(spec.national or {}),
    )


# ----------------------------------------------------------------------------------- random specs
@dataclass(frozen=True, slots=True)
class _BuyerTemplate:
    name: str
    country: str
    city: str
    nuts: str
    legal_type: str
    activity: str
    languages: tuple[str, ...]


_BUYERS: tuple[_BuyerTemplate, ...] = (
    _BuyerTemplate("Helsingin kaupunki", "FIN", "Helsinki", "FI1B1", "la", "gen-pub", ("fin", "swe", "eng")),
    _BuyerTemplate("Tampereen kaupunki", "FIN", "Tampere", "FI197", "la", "gen-pub", ("fin", "eng")),
    _BuyerTemplate("Oulun kaupunki", "FIN", "Oulu", "FI1D9", "la", "gen-pub", ("fin",)),
    _BuyerTemplate("Väylävirasto", "FIN", "Helsinki", "FI1B1", "cga", "gen-pub", ("fin", "swe")),
    _BuyerTemplate("Kristinestads stad", "FIN", "Kristinestad", "FI195", "la", "gen-pub", ("swe", "fin")),
    _BuyerTemplate("Pirkanmaan hyvinvointialue", "FIN", "Tampere", "FI197", "body-pl", "health", ("fin",)),
    _BuyerTemplate(
        "Jyväskylän yliopisto", "FIN", "Jyväskylä", "FI193", "body-pl", "education", ("fin", "eng")
    ),
    _BuyerTemplate("Region Västerbotten", "SWE", "Umeå", "SE331", "ra", "gen-pub", ("swe", "eng")),
    _BuyerTemplate("Göteborgs Stad", "SWE", "Göteborg", "SE232", "la", "gen-pub", ("swe",)),
    _BuyerTemplate("Tallinna Linnavalitsus", "EST", "Tallinn", "EE001", "la", "gen-pub", ("est", "eng")),
    _BuyerTemplate("Stadt Freiburg im Breisgau", "DEU", "Freiburg", "DE131", "la", "gen-pub", ("deu",)),
    _BuyerTemplate("Bundesamt für Infrastruktur", "DEU", "Bonn", "DEA22", "cga", "gen-pub", ("deu", "eng")),
)

_WINNERS = (
    "Innovaatiotekniikka Oy",
    "Nordic Mobility AB",
    "Rakennus ja Kiertotalous Oy",
    "Tervetuloa Ateriat Oy",
    "Siisti Tila Oy",
    "Baltic Sensors OÜ",
    "Medizintechnik Nord GmbH",
    "Datapilotti Oy",
    "Väg och Drift AB",
)

# weights: competition notices dominate real traffic; every family appears
_SUBTYPE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("16", 22),
    ("17", 6),
    ("19", 2),
    ("20", 6),
    ("21", 3),
    ("23", 2),
    ("24", 2),
    ("15", 1),
    ("18", 1),
    ("22", 1),
    ("10", 3),
    ("11", 1),
    ("12", 1),
    ("13", 1),
    ("14", 1),
    ("4", 2),
    ("5", 1),
    ("6", 1),
    ("7", 1),
    ("1", 1),
    ("25", 2),
    ("26", 1),
    ("29", 8),
    ("30", 2),
    ("33", 1),
    ("36", 1),
    ("38", 1),
    ("E1", 2),
    ("E2", 1),
    ("E3", 3),
    ("E4", 2),
)
_SUBTYPE_CODES = [s for s, _ in _SUBTYPE_WEIGHTS]
_SUBTYPE_CUM = list(itertools.accumulate(w for _, w in _SUBTYPE_WEIGHTS))
_SDK = ("1.3", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12", "1.13", "1.15")
_CN_TO_CAN = {
    "16": "29",
    "17": "30",
    "18": "31",
    "19": "32",
    "20": "33",
    "21": "34",
    "23": "36",
    "24": "37",
    "E3": "E4",
}


_TZ = {h: timezone(timedelta(hours=h)) for h in (1, 2, 3)}


def y_tunnus(rng: random.Random) -> str:
    """A syntactically valid Finnish business id (7 digits + mod-11 check digit)."""
    while True:
        digits = [rng.randrange(10) for _ in range(7)]
        rem = sum(d * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        if rem != 1:
            return "".join(map(str, digits)) + "-" + str(0 if rem == 0 else 11 - rem)


def _org_id(rng: random.Random, country: str) -> str | None:
    if country == "FIN":
        return y_tunnus(rng)
    if country == "SWE":
        return f"2120{rng.randrange(10**6):06d}"
    if country == "EST":
        return f"75{rng.randrange(10**6):06d}"
    return None if rng.random() < 0.5 else f"DE{rng.randrange(10**9):09d}"


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID from ``rng`` (same bits as ``uuid.UUID(int=..., version=4)``, without
    the object: this runs twice per generated notice)."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _pick_texts(rng: random.Random, texts: dict[str, str], langs: list[str]) -> dict[str, str]:
    return {lang: texts[lang] for lang in langs if lang in texts}


def _describe(rng: random.Random, texts: dict[str, str], langs: list[str]) -> dict[str, str]:
    """The topic's description followed by one or two generic scope paragraphs, as real
    descriptions run to several paragraphs."""
    picks = rng.sample(range(3), rng.randint(1, 2))
    out = {}
    for lang in langs:
        if lang in texts:
            scope = SCOPE.get(lang, ())
            extra = [scope[i] for i in picks if i < len(scope)]
            out[lang] = "\n\n".join([texts[lang], *extra])
    return out


def _lot_signals(
    rng: random.Random, subtype: str, sdk: str, innovative: bool, form: str
) -> dict[str, list[str]]:
    sig: dict[str, list[str]] = {}
    if subtype not in STRATEGIC_FORBIDDEN:
        if innovative and rng.random() < 0.7:
            legacy = tuple(int(x) for x in sdk.split(".")) < (1, 7)
            pool = LEGACY_BT776 + CURRENT_BT776 if legacy else CURRENT_BT776
            sig["BT-776"] = sorted(set(rng.sample(pool, rng.randint(1, 2))))
        if rng.random() < 0.3:
            sig["BT-06"] = (
                ["inn-pur"] if innovative and rng.random() < 0.5 else [rng.choice(("env-imp", "soc-obj"))]
            )
        if rng.random() < 0.2:
            sig["BT-775"] = sorted(set(rng.sample(("hum-right", "work-cond", "opp", "acc-all"), 2)))
        if rng.random() < 0.15:
            sig["BT-774"] = [rng.choice(("clim-mitig", "circ-econ", "biodiv-eco", "other"))]
        if rng.random() < 0.15:
            sig["BT-805"] = [rng.choice(("eu", "national", "none"))]
        if rng.random() < 0.15:
            sig["BT-754"] = [rng.choice(("inc", "n-inc", "n-inc-just"))]
    if form == "competition" and rng.random() < 0.3:
        sig["BT-63"] = ["allowed" if innovative else rng.choice(("not-allowed", "allowed"))]
    if rng.random() < 0.5:
        sig["BT-60"] = ["eu-funds" if innovative and rng.random() < 0.5 else "no-eu-funds"]
        if sig["BT-60"] == ["eu-funds"]:
            sig["BT-7220"] = [rng.choice(("HORIZONEU", "H2020", "LIFE_2021", "RRF"))]
    if rng.random() < 0.2:
        sig["BT-765"] = [rng.choice(("fa-wo-rc", "fa-w-rc", "fa-mix", "none"))]
    if subtype in DESIGN_CONTEST_SUBTYPES:
        sig["BT-41"] = [rng.choice(("true", "false"))]
        sig["BT-42"] = [rng.choice(("true", "false"))]
        if rng.random() < 0.6:
            sig["BT-44"] = ["1", "2"]
            sig["BT-644"] = [str(rng.randrange(5, 50) * 1000), str(rng.randrange(1, 5) * 1000)]
    return sig


def random_spec(rng: random.Random, **overrides: Any) -> NoticeSpec:
    """A varied, realistic spec; ``overrides`` replace fields of the result (e.g. ``subtype="E1"``).

    The subtype is chosen first (or taken from ``overrides``) because it decides what may appear.
    """
    subtype = (
        overrides.get("subtype")
        or _SUBTYPE_CODES[bisect.bisect_right(_SUBTYPE_CUM, rng.randrange(_SUBTYPE_CUM[-1]))]
    )
    _, _, form, _ = SUBTYPES[subtype]
    topic = TOPICS[rng.randrange(len(TOPICS))]
    sdk = rng.choice(_SDK)
    main = rng.choice(_BUYERS)
    templates = [main]
    if rng.random() < 0.12:  # joint procurement: a second buyer from the same country
        others = [b for b in _BUYERS if b.country == main.country and b is not main]
        if others:
            templates.append(rng.choice(others))
    buyers = [
        Buyer(
            name=t.name,
            org_id=_org_id(rng, t.country),
            country=t.country,
            city=t.city,
            nuts=t.nuts,
            legal_type=t.legal_type,
            activity=t.activity,
        )
        for t in templates
    ]
    langs = [main.languages[0]] + [x for x in main.languages[1:] if rng.random() < 0.6]
    if not any(lang in topic.title for lang in langs):
        langs.append("eng")
    language = next(lang for lang in langs if lang in topic.title)
    langs = [language] + [x for x in langs if x != language and x in topic.title]
    nature = "works" if topic.cpv.startswith("45") else ("supplies" if topic.cpv[0] == "3" else "services")
    pub_date = date(2024, 1, 2) + timedelta(days=rng.randrange(700))
    procedure = "open"
    if form in ("competition", "planning", "consultation"):
        if topic.innovative:
            procedure = rng.choice(("innovation", "comp-dial", "neg-w-call", "open", "restricted"))
        else:
            procedure = rng.choice(("open", "open", "open", "restricted", "neg-w-call"))
    elif form == "dir-awa-pre":
        procedure = "neg-wo-call"
    direct = []
    if form == "dir-awa-pre" or (form == "result" and rng.random() < 0.1):
        direct = [rng.choice(("rd", "resd") if topic.innovative else ("urgency", "technical", "exclusive"))]
    currency = "SEK" if main.country == "SWE" else "EUR"
    value = Money(float(rng.randrange(20, 5000) * 1000), currency) if rng.random() < 0.6 else None
    lots: list[LotSpec] = []
    if subtype not in NO_LOT_SUBTYPES:
        n_lots = 1 if rng.random() < 0.7 else rng.randint(2, 5)
        prefix = "PAR" if subtype in PART_SUBTYPES else "LOT"
        start = 0 if n_lots == 1 and rng.random() < 0.5 else 1
        for i in range(n_lots):
            deadline = None
            if form == "competition" or (form == "consultation" and rng.random() < 0.5):
                tz = _TZ[rng.choice((2, 3) if main.country == "FIN" else (1, 2))]
                deadline = datetime.combine(
                    pub_date + timedelta(days=rng.randint(20, 60)),
                    time(rng.choice((10, 12, 13, 16)), rng.choice((0, 0, 30))),
                    tz,
                )
            lot_title = _pick_texts(rng, topic.title, langs)
            if n_lots > 1:
                lot_title = {k: f"{v} - {i + 1}" for k, v in lot_title.items()}
            lots.append(
                LotSpec(
                    lot_id=f"{prefix}-{start + i:04d}",
                    title=lot_title,
                    description=_describe(rng, topic.description, langs),
                    note=_pick_texts(rng, NOTES, langs) if rng.random() < 0.3 else {},
                    cpv_main=topic.cpv,
                    cpv_additional=list(topic.extra_cpv[: rng.randint(0, len(topic.extra_cpv))]),
                    place_nuts=[main.nuts],
                    place_country=main.country,
                    deadline=deadline,
                    deadline_kind="participation"
                    if procedure in ("restricted", "neg-w-call", "comp-dial", "innovation")
                    else "tender",
                    deadline_date_only=deadline is not None and rng.random() < 0.05,
                    estimated_value=(
                        Money(round(value.amount / n_lots, 2), currency) if value and n_lots > 1 else None
                    ),
                    documents_url=(
                        f"https://tarjouspalvelu.example/{main.country.lower()}/{rng.randrange(10**6)}"
                        if form == "competition"
                        else None
                    ),
                    signals=_lot_signals(rng, subtype, sdk, topic.innovative, form),
                )
            )
    awards: list[Award] = []
    if form in ("result", "dir-awa-pre", "cont-modif", "completion"):
        for lot in lots or [LotSpec(lot_id="LOT-0000")]:
            won = form != "result" or rng.random() < 0.85
            winners = (
                ([rng.choice(_WINNERS)] if rng.random() < 0.85 else rng.sample(_WINNERS, 2)) if won else []
            )
            awards.append(
                Award(
                    lot_id=lot.lot_id,
                    status="selec-w" if won else rng.choice(("open-nw", "clos-nw")),
                    winners=winners,
                    value=Money(float(rng.randrange(10, 3000) * 1000), currency) if won else None,
                )
            )
    national = None
    if main.country == "FIN" and subtype in ("E1", "E3", "E4"):
        national = {
            "FI-20": False,
            "FI-11": rng.choice(
                ("procurement-legislation", "procurement-legislation", "defence-legislation")
            ),
        }
    spec = NoticeSpec(
        notice_id=_uuid(rng),
        version="01",
        procedure_id=_uuid(rng),
        publication_number=f"{rng.randrange(1, 800000):08d}-{pub_date.year}",
        publication_date=pub_date,
        issue_date=pub_date - timedelta(days=rng.randint(1, 5)),
        subtype=subtype,
        sdk_version=sdk,
        language=language,
        title=_pick_texts(rng, topic.title, langs),
        description=_describe(rng, topic.description, langs),
        additional_info=_pick_texts(rng, NOTES, langs) if rng.random() < 0.2 else {},
        buyers=buyers,
        procedure_type=procedure if form != "bri" else None,
        direct_award_justification=direct,
        main_nature=nature,
        cpv_main=topic.cpv,
        cpv_additional=list(topic.extra_cpv[:1]) if topic.extra_cpv and rng.random() < 0.5 else [],
        place_nuts=[main.nuts],
        place_country=main.country,
        estimated_value=value,
        lots=lots,
        awards=awards,
        national=national,
    )
    return dataclasses.replace(spec, **overrides) if overrides else spec


def change_of(rng: random.Random, original: NoticeSpec, **overrides: Any) -> NoticeSpec:
    """A change notice (BT-758) for ``original``: a new notice id in the same procedure, pointing
    at the original either as ``<uuid>-<ver>`` or by publication number (real notices use both)."""
    if original.publication_number and rng.random() < 0.5:
        number, year = original.publication_number.split("-")
        ref = f"{int(number)}-{year}" if rng.random() < 0.5 else original.publication_number
    else:
        ref = f"{original.notice_id}-{original.version}"
    reasons = [rng.choice(("cor-buy", "update-add", "cor-esen", "cancel", "cancel-intent"))]
    langs = [lang for lang in original.languages if lang in CHANGE_TEXTS] or ["eng"]
    pub = (original.publication_date or date(2024, 1, 1)) + timedelta(days=rng.randint(3, 20))
    lots = []
    for lot in original.lots:  # a typical change: deadlines move a week later
        later = lot.deadline + timedelta(days=7) if lot.deadline else None
        lots.append(dataclasses.replace(lot, deadline=later))
    spec = dataclasses.replace(
        original,
        notice_id=_uuid(rng),
        version="01",
        publication_number=f"{rng.randrange(1, 800000):08d}-{pub.year}",
        publication_date=pub,
        issue_date=pub - timedelta(days=1),
        lots=lots,
        change=Change(ref, reasons, {lang: CHANGE_TEXTS[lang] for lang in langs[:2]}),
    )
    return dataclasses.replace(spec, **overrides) if overrides else spec


def award_of(rng: random.Random, call: NoticeSpec, **overrides: Any) -> NoticeSpec:
    """The award notice for a competition notice: same procedure id, result subtype, winners."""
    subtype = _CN_TO_CAN.get(call.subtype, "29")
    pub = (call.publication_date or date(2024, 1, 1)) + timedelta(days=rng.randint(60, 150))
    currency = call.estimated_value.currency if call.estimated_value else "EUR"
    awards = []
    for lot in call.lots or [LotSpec(lot_id="LOT-0000")]:
        won = rng.random() < 0.9
        awards.append(
            Award(
                lot.lot_id,
                "selec-w" if won else "clos-nw",
                [rng.choice(_WINNERS)] if won else [],
                Money(float(rng.randrange(10, 3000) * 1000), currency) if won else None,
            )
        )
    lots = [
        dataclasses.replace(
            lot,
            deadline=None,
            documents_url=None,
            signals={k: v for k, v in lot.signals.items() if k not in ("BT-63",)},
        )
        for lot in call.lots
    ]
    national = call.national
    spec = dataclasses.replace(
        call,
        notice_id=_uuid(rng),
        version="01",
        subtype=subtype,
        publication_number=f"{rng.randrange(1, 800000):08d}-{pub.year}",
        publication_date=pub,
        issue_date=pub - timedelta(days=2),
        lots=lots,
        awards=awards,
        change=None,
        national=national,
    )
    return dataclasses.replace(spec, **overrides) if overrides else spec


def generate_specs(n: int, seed: int = 0) -> Iterator[NoticeSpec]:
    """``n`` varied specs, deterministic for ``seed``: mostly fresh notices, about 8 % change
    notices pointing at an earlier notice of the stream and about 8 % award notices that close
    an earlier competition notice's procedure."""
    rng = random.Random(seed)
    calls: list[NoticeSpec] = []
    published: list[NoticeSpec] = []
    # OJ S numbers are unique and grow through each year; random ones would collide in big corpora
    next_number: dict[int, int] = {}
    for _ in range(n):
        roll = rng.random()
        if roll < 0.08 and published:
            spec = change_of(rng, published[rng.randrange(len(published))])
        elif roll < 0.16 and calls:
            spec = award_of(rng, calls.pop(rng.randrange(len(calls))))
        else:
            spec = random_spec(rng)
        if spec.publication_date is not None:
            year = spec.publication_date.year
            number = next_number.get(year, rng.randrange(1000, 100000)) + rng.randint(1, 9)
            next_number[year] = number
            spec.publication_number = f"{number:08d}-{year}"
        if spec.change is None and spec.subtype in _CN_TO_CAN:  # a call that an award can close later
            calls.append(spec)
            if len(calls) > 500:
                calls.pop(0)
        published.append(spec)
        if len(published) > 500:
            published.pop(0)
        yield spec


def generate_corpus(n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """``(publication_number, xml bytes)`` for :func:`generate_specs` ``(n, seed)``."""
    for spec in generate_specs(n, seed):
        yield spec.publication_number or spec.notice_id, build_notice_xml(spec)
