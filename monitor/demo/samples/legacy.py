"""Synthetic legacy TED notices (``TED_EXPORT`` R2.0.9, and R2.0.8 defence forms): a spec in, XML out.

Why: tests, the loopback server's daily packages and the backfill benchmarks need realistic
legacy notices in bulk (before November 2023 a TED daily package was all TED_EXPORT), and the
repository may not carry the shared corpus. The XML follows the shape of real published
notices: technical and links sections, the coded section with TED's codes, the translated
headings in all 24 official languages (``ML_TITLES``), and a 2014 standard form with the
administrative detail real forms carry (addresses with contact details, award criteria, LEFTI
conditions, the review body) so that a parser's speed and its skipping of what it does not need
are measured on realistic documents. Texts are the project's own (``texts``).

Self-contained on purpose (it only reads ``texts``): the eForms builder and this module may move
independently. Speed matters (a benchmark package has 3,000 notices): XML is assembled from
string pieces, every text through :func:`_esc`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from monitor.demo.samples.texts import CHANGE_TEXTS, NOTES, SCOPE, TOPICS

NS_R209 = "http://publications.europa.eu/resource/schema/ted/R2.0.9/publication"
NS_R208 = "http://publications.europa.eu/resource/schema/ted/R2.0.8/publication"
NS_NUTS = "http://publications.europa.eu/resource/schema/ted/2016/nuts"

OFFICIAL_LANGUAGES = (
    *("BG", "CS", "DA", "DE", "EL", "EN", "ES", "ET", "FI", "FR", "GA", "HR"),
    *("HU", "IT", "LT", "LV", "MT", "NL", "PL", "PT", "RO", "SK", "SL", "SV"),
)
"""TED writes ``ML_TITLES`` in every one of these, whatever the notice's own language."""

_ISO3 = {"FI": "fin", "SV": "swe", "EN": "eng", "ET": "est", "DE": "deu"}


@dataclass(frozen=True, slots=True)
class Place:
    """A buyer's country as legacy TED writes it, with a town, NUTS code and language."""

    country: str
    language: str
    town: str
    nuts: str
    buyer: str
    buyer_id: str
    review_body: str


PLACES: dict[str, Place] = {
    p.country: p
    for p in (
        Place("FI", "FI", "Helsinki", "FI1B1", "Helsingin kaupunki", "0201256-6", "Markkinaoikeus"),
        Place("SE", "SV", "Stockholm", "SE110", "Stockholms stad", "212000-0142", "Förvaltningsrätten"),
        Place("EE", "ET", "Tallinn", "EE001", "Tallinna Linnavalitsus", "75014920", "Vaidlustuskomisjon"),
        Place(
            "DE", "DE", "Bonn", "DEA22", "Bundesamt für Infrastruktur", "DE811", "Vergabekammer des Bundes"
        ),
        Place("FR", "FR", "Lyon", "FRK26", "Métropole de Lyon", "20004697700019", "Tribunal administratif"),
        Place("PL", "PL", "Kraków", "PL213", "Gmina Miejska Kraków", "351554353", "Krajowa Izba Odwoławcza"),
        Place("IT", "IT", "Torino", "ITC11", "Comune di Torino", "00514490010", "TAR Piemonte"),
        Place("ES", "ES", "Madrid", "ES300", "Ayuntamiento de Madrid", "P2807900B", "Tribunal de Contratos"),
        Place("NL", "NL", "Utrecht", "NL310", "Gemeente Utrecht", "30280353", "Rechtbank Midden-Nederland"),
        Place(
            "CZ", "CS", "Brno", "CZ064", "Statutární město Brno", "44992785", "Úřad pro ochranu hospodářské"
        ),
    )
}
OTHER_COUNTRIES = tuple(c for c in PLACES if c != "FI")

FORM_MIX: tuple[tuple[str, float], ...] = (
    ("F02", 0.30),
    ("F03", 0.28),
    ("F01", 0.08),
    ("F14", 0.08),
    ("F05", 0.06),
    ("F06", 0.06),
    ("F21", 0.05),
    ("F15", 0.04),
    ("F20", 0.02),
    ("F17", 0.02),
    ("F18", 0.01),
)
"""Roughly a TED day before eForms: calls and awards, then PINs and corrigenda; the defence
forms (F17/F18) are written in R2.0.8, as TED kept doing for them until eForms."""

_DOCUMENT_TYPE = {
    "F01": ("0", "Prior information notice without call for competition"),
    "F02": ("3", "Contract notice"),
    "F03": ("7", "Contract award notice"),
    "F05": ("3", "Contract notice"),
    "F06": ("7", "Contract award notice"),
    "F14": ("2", "Additional information"),
    "F15": ("V", "Voluntary ex ante transparency notice"),
    "F20": ("K", "Modification of a contract/concession during its term"),
    "F21": ("3", "Contract notice"),
    "F17": ("3", "Contract notice"),
    "F18": ("7", "Contract award notice"),
}
_PROCEDURE_CODE = {
    "PT_OPEN": ("1", "Open procedure"),
    "PT_RESTRICTED": ("2", "Restricted procedure"),
    "PT_COMPETITIVE_NEGOTIATION": ("B", "Competitive procedure with negotiation"),
    "PT_COMPETITIVE_DIALOGUE": ("C", "Competitive dialogue"),
    "PT_INNOVATION_PARTNERSHIP": ("G", "Innovation partnership"),
    "PT_NEGOTIATED_WITHOUT_PUBLICATION": ("T", "Negotiated without a prior call for competition"),
}
AWARD_FORMS = frozenset({"F03", "F06", "F15", "F18", "F20"})
CALL_FORMS = frozenset({"F02", "F05", "F21", "F17"})


@dataclass(frozen=True, slots=True)
class LegacyLot:
    number: int | None
    title: str
    description: str
    cpv_additional: tuple[str, ...] = ()
    nuts: str = "FI1B1"
    value: float | None = None
    variants: bool = False
    eu_funds: bool = False


@dataclass(frozen=True, slots=True)
class LegacyAward:
    lot_number: int | None
    winner: str | None
    """None: the lot was not awarded (``PROCUREMENT_DISCONTINUED``)."""
    value: float | None = None


@dataclass(frozen=True, slots=True)
class LegacySpec:
    """One legacy notice. ``number`` is the DOC_ID (``000163-2021``); texts are in ``language``."""

    number: str
    published: date
    form: str = "F02"
    country: str = "FI"
    language: str = "FI"
    buyer: str = "Helsingin kaupunki"
    buyer_id: str = "0201256-6"
    town: str = "Helsinki"
    nuts: str = "FI1B1"
    title: str = "Hankinta"
    description: str = "Hankinnan kuvaus."
    info: str | None = None
    cpv_main: str = "72000000"
    lots: tuple[LegacyLot, ...] = ()
    procedure: str = "PT_OPEN"
    deadline: datetime | None = None
    """Local time, no offset (as the forms write it)."""
    value: float | None = None
    awards: tuple[LegacyAward, ...] = ()
    reference: str | None = None
    """The earlier publication this notice names (DOC_ID form), e.g. a corrigendum's original."""
    changes: tuple[tuple[str, str, str, str], ...] = ()
    """F14: (section, label, old, new) per change; a IV.2.2 change carries ``YYYY-MM-DD HH:MM``."""
    headings: dict[str, str] = field(default_factory=dict)
    """TED's translated heading per two-letter language; missing languages get the English one."""
    review_body: str = "Markkinaoikeus"
    url: str | None = "https://tarjouspalvelu.example/tender"

    @property
    def lang3(self) -> str:
        return _ISO3.get(self.language, "eng")

    @property
    def renewal(self) -> str:
        texts = SCOPE.get(self.lang3) or SCOPE["eng"]
        return texts[0]

    @property
    def oj_number(self) -> str:
        """``2021/S 003-000163``: the OJ S issue is the publication's weekday count, roughly."""
        number, year = self.number.split("-")
        issue = max(1, self.published.timetuple().tm_yday * 5 // 7)
        return f"{year}/S {issue:03d}-{int(number):06d}"


def _esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _oj(number: str, published: date | None = None) -> str:
    year = number.split("-")[1]
    issue = max(1, (published.timetuple().tm_yday * 5 // 7) if published else 1)
    return f"{year}/S {issue:03d}-{int(number.split('-')[0]):06d}"


def _p(text: str) -> str:
    return "".join(f"<P>{_esc(part)}</P>" for part in text.split("\n") if part)


def _address(tag: str, name: str, national_id: str | None, town: str, country: str, nuts: str) -> str:
    ident = f"<NATIONALID>{_esc(national_id)}</NATIONALID>" if national_id else ""
    return (
        f"<{tag}><OFFICIALNAME>{_esc(name)}</OFFICIALNAME>{ident}<ADDRESS>Katu 1</ADDRESS>"
        f'<TOWN>{_esc(town)}</TOWN><POSTAL_CODE>00100</POSTAL_CODE><COUNTRY VALUE="{country}"/>'
        "<CONTACT_POINT>Hankintapalvelut</CONTACT_POINT><PHONE>+358 9 310 1641</PHONE>"
        "<E_MAIL>hankinnat@example.org</E_MAIL><FAX>+358 9 310 1642</FAX>"
        f'<n2016:NUTS CODE="{nuts}"/><URL_GENERAL>https://www.example.org</URL_GENERAL>'
        f"<URL_BUYER>https://www.example.org/hankinnat</URL_BUYER></{tag}>"
    )


def _coded(spec: LegacySpec) -> str:
    td_code, td_text = _DOCUMENT_TYPE.get(spec.form, ("3", "Contract notice"))
    pr_code, pr_text = _PROCEDURE_CODE.get(spec.procedure, ("1", "Open procedure"))
    ref = f"<REF_NOTICE><NO_DOC_OJS>{_oj(spec.reference)}</NO_DOC_OJS></REF_NOTICE>" if spec.reference else ""
    value = (
        f'<VALUES><VALUE TYPE="ESTIMATED_TOTAL" CURRENCY="EUR">{spec.value:.2f}</VALUE></VALUES>'
        if spec.value
        else ""
    )
    deadline = (
        f"<DT_DATE_FOR_SUBMISSION>{spec.deadline:%Y%m%d %H:%M}</DT_DATE_FOR_SUBMISSION>"
        if spec.deadline
        else ""
    )
    return (
        "<CODED_DATA_SECTION><REF_OJS><COLL_OJ>S</COLL_OJ>"
        f"<NO_OJ>{spec.oj_number.split(' ')[1].split('-')[0].lstrip('0')}</NO_OJ>"
        f"<DATE_PUB>{spec.published:%Y%m%d}</DATE_PUB></REF_OJS><NOTICE_DATA>"
        f"<NO_DOC_OJS>{spec.oj_number}</NO_DOC_OJS><URI_LIST>"
        f'<URI_DOC LG="{spec.language}">http://ted.europa.eu/udl?uri=TED:NOTICE:{spec.number}:TEXT:'
        f"{spec.language}:HTML</URI_DOC></URI_LIST><LG_ORIG>{spec.language}</LG_ORIG>"
        f'<ISO_COUNTRY VALUE="{spec.country}"/><IA_URL_GENERAL>www.example.org</IA_URL_GENERAL>'
        f'<ORIGINAL_CPV CODE="{spec.cpv_main}">Services</ORIGINAL_CPV>'
        f'<n2016:PERFORMANCE_NUTS CODE="{spec.nuts}">{_esc(spec.town)}</n2016:PERFORMANCE_NUTS>'
        f'<n2016:CA_CE_NUTS CODE="{spec.nuts}">{_esc(spec.town)}</n2016:CA_CE_NUTS>'
        f"{value}{ref}</NOTICE_DATA><CODIF_DATA>"
        f"<DS_DATE_DISPATCH>{spec.published - timedelta(days=5):%Y%m%d}</DS_DATE_DISPATCH>{deadline}"
        '<AA_AUTHORITY_TYPE CODE="3">Regional or local authority</AA_AUTHORITY_TYPE>'
        f'<TD_DOCUMENT_TYPE CODE="{td_code}">{td_text}</TD_DOCUMENT_TYPE>'
        '<NC_CONTRACT_NATURE CODE="4">Services</NC_CONTRACT_NATURE>'
        f'<PR_PROC CODE="{pr_code}">{pr_text}</PR_PROC>'
        '<RP_REGULATION CODE="4">European Union</RP_REGULATION>'
        '<TY_TYPE_BID CODE="9">Not applicable</TY_TYPE_BID>'
        '<AC_AWARD_CRIT CODE="2">The most economic tender</AC_AWARD_CRIT>'
        '<MA_MAIN_ACTIVITIES CODE="R">General public services</MA_MAIN_ACTIVITIES>'
        "<HEADING>01A03</HEADING><INITIATOR>01</INITIATOR></CODIF_DATA></CODED_DATA_SECTION>"
    )


def _translations(spec: LegacySpec) -> str:
    english = spec.headings.get("EN") or spec.title
    docs = []
    for lang in OFFICIAL_LANGUAGES:
        heading = spec.headings.get(lang) or (spec.title if lang == spec.language else english)
        docs.append(
            f'<ML_TI_DOC LG="{lang}"><TI_CY>{spec.country}</TI_CY><TI_TOWN>{_esc(spec.town)}</TI_TOWN>'
            f"<TI_TEXT><P>{_esc(heading)}</P></TI_TEXT></ML_TI_DOC>"
        )
    return (
        "<TRANSLATION_SECTION><ML_TITLES>"
        + "".join(docs)
        + f'</ML_TITLES><ML_AA_NAMES><AA_NAME LG="{spec.language}">{_esc(spec.buyer)}</AA_NAME>'
        "</ML_AA_NAMES></TRANSLATION_SECTION>"
    )


_CONDITIONS: dict[str, tuple[str, ...]] = {
    "fin": (
        "Tarjoajan on oltava merkitty kaupparekisteriin tai vastaavaan sijoittautumismaansa rekisteriin.",
        "Tarjoajan on toimitettava pyydettäessä selvitys verojen ja eläkevakuutusmaksujen maksamisesta.",
        "Tarjoajan liikevaihdon on oltava vähintään kaksi kertaa hankinnan arvioitu vuosiarvo.",
        "Tarjoajalla on oltava vähintään kolme vastaavaa toimitusta viimeisen kolmen vuoden ajalta.",
        "Sopimuksen erityisehdot, kuten sanktiot ja laatuvaatimukset, on esitetty hankinta-asiakirjoissa.",
    ),
    "swe": (
        "Anbudsgivaren ska vara registrerad i handelsregistret eller motsvarande register i sitt land.",
        "Anbudsgivaren ska på begäran visa att skatter och socialförsäkringsavgifter är betalda.",
        "Anbudsgivarens omsättning ska vara minst två gånger kontraktets uppskattade årsvärde.",
        "Anbudsgivaren ska ha minst tre motsvarande uppdrag under de senaste tre åren.",
        "Särskilda kontraktsvillkor, såsom viten och kvalitetskrav, anges i upphandlingsdokumenten.",
    ),
    "eng": (
        "The tenderer must be entered in the trade register or an equivalent register of its country.",
        "On request, the tenderer must show that taxes and social security contributions have been paid.",
        "The tenderer's turnover must be at least twice the estimated annual value of the contract.",
        "The tenderer must have at least three similar contracts in the last three years.",
        "Special conditions, such as penalties and quality requirements, are in the tender documents.",
    ),
}
_REVIEW: dict[str, str] = {
    "fin": "Hankintaan liittyvästä päätöksestä voi tehdä valituksen markkinaoikeuteen 14 päivän kuluessa "
    "siitä, kun asianosainen on saanut tiedon hankintapäätöksestä valitusosoituksineen. Hankintaoikaisua "
    "voi vaatia hankintayksiköltä samassa määräajassa.",
    "swe": "Överklagande av ett upphandlingsbeslut ska göras till marknadsdomstolen inom 14 dagar från det "
    "att parten fått del av beslutet med besvärsanvisning. Upphandlingsrättelse kan begäras inom samma tid.",
    "eng": "An appeal against a procurement decision may be lodged with the Market Court within 14 days of "
    "the party being informed of the decision and of how to appeal. Rectification may be requested from "
    "the buyer within the same period.",
}


def _lefti(lang3: str) -> str:
    a, b, c, d, e = _CONDITIONS.get(lang3) or _CONDITIONS["eng"]
    return (
        f"<LEFTI><SUITABILITY><P>{_esc(a)}</P><P>{_esc(b)}</P></SUITABILITY><ECONOMIC_FINANCIAL_INFO>"
        f"<P>{_esc(c)}</P></ECONOMIC_FINANCIAL_INFO><ECONOMIC_FINANCIAL_MIN_LEVEL><P>{_esc(c)}</P>"
        f"</ECONOMIC_FINANCIAL_MIN_LEVEL><TECHNICAL_PROFESSIONAL_INFO><P>{_esc(d)}</P>"
        f"</TECHNICAL_PROFESSIONAL_INFO><TECHNICAL_PROFESSIONAL_MIN_LEVEL><P>{_esc(d)}</P>"
        f"</TECHNICAL_PROFESSIONAL_MIN_LEVEL><PERFORMANCE_CONDITIONS><P>{_esc(e)}</P><P>{_esc(b)}</P>"
        f"</PERFORMANCE_CONDITIONS><PERFORMANCE_STAFF_QUALIFICATION/><RULES_CRITERIA><P>{_esc(a)}</P>"
        f"<P>{_esc(d)}</P></RULES_CRITERIA></LEFTI>"
    )


def _lot(spec: LegacySpec, lot: LegacyLot, item: int) -> str:
    number = f"<LOT_NO>{lot.number}</LOT_NO>" if lot.number is not None else ""
    title = f"<TITLE>{_p(lot.title)}</TITLE>" if lot.title else ""
    cpvs = "".join(f'<CPV_ADDITIONAL><CPV_CODE CODE="{c}"/></CPV_ADDITIONAL>' for c in lot.cpv_additional)
    value = f'<VAL_OBJECT CURRENCY="EUR">{lot.value:.2f}</VAL_OBJECT>' if lot.value else ""
    variants = "<ACCEPTED_VARIANTS/>" if lot.variants else "<NO_ACCEPTED_VARIANTS/>"
    funds = "<EU_PROGR_RELATED><P>EAKR</P></EU_PROGR_RELATED>" if lot.eu_funds else "<NO_EU_PROGR_RELATED/>"
    return (
        f'<OBJECT_DESCR ITEM="{item}">{title}{number}{cpvs}<n2016:NUTS CODE="{lot.nuts}"/>'
        f"<MAIN_SITE><P>{_esc(spec.town)}</P></MAIN_SITE><SHORT_DESCR>{_p(lot.description)}</SHORT_DESCR>"
        "<AC><AC_QUALITY><AC_CRITERION>Toteutussuunnitelma: työn organisointi, aikataulu ja riskienhallinta"
        "</AC_CRITERION><AC_WEIGHTING>30</AC_WEIGHTING></AC_QUALITY><AC_QUALITY><AC_CRITERION>"
        "Laadunvarmistus, raportointi ja asiakastyytyväisyyden seuranta sopimuskauden aikana</AC_CRITERION>"
        "<AC_WEIGHTING>30</AC_WEIGHTING></AC_QUALITY><AC_PRICE><AC_WEIGHTING>40</AC_WEIGHTING></AC_PRICE></AC>"
        f'{value}<DURATION TYPE="MONTH">24</DURATION><RENEWAL/><RENEWAL_DESCR><P>{_esc(spec.renewal)}</P>'
        f"</RENEWAL_DESCR>{variants}<OPTIONS/><OPTIONS_DESCR><P>{_esc(spec.renewal)}</P></OPTIONS_DESCR>"
        f"{funds}</OBJECT_DESCR>"
    )


def _procedure(spec: LegacySpec) -> str:
    if spec.form in ("F14", "F20"):
        ref = f"<NOTICE_NUMBER_OJ>{_oj(spec.reference)}</NOTICE_NUMBER_OJ>" if spec.reference else ""
        return f"<PROCEDURE>{ref}</PROCEDURE>" if spec.form == "F20" else ""
    if spec.procedure == "PT_NEGOTIATED_WITHOUT_PUBLICATION":
        kind = (
            "<DIRECTIVE_2014_24_EU><PT_NEGOTIATED_WITHOUT_PUBLICATION><D_ACCORDANCE_ARTICLE>"
            "<D_TECHNICAL/></D_ACCORDANCE_ARTICLE><D_JUSTIFICATION><P>Vain yksi toimittaja.</P>"
            "</D_JUSTIFICATION></PT_NEGOTIATED_WITHOUT_PUBLICATION></DIRECTIVE_2014_24_EU>"
        )
    else:
        kind = f"<{spec.procedure}/>"
    deadline = ""
    if spec.deadline and spec.form in CALL_FORMS:
        deadline = (
            f"<DATE_RECEIPT_TENDERS>{spec.deadline:%Y-%m-%d}</DATE_RECEIPT_TENDERS>"
            f"<TIME_RECEIPT_TENDERS>{spec.deadline:%H:%M}</TIME_RECEIPT_TENDERS>"
            '<LANGUAGES><LANGUAGE VALUE="FI"/></LANGUAGES>'
        )
    ref = f"<NOTICE_NUMBER_OJ>{_oj(spec.reference)}</NOTICE_NUMBER_OJ>" if spec.reference else ""
    details = ""
    if spec.form in CALL_FORMS and spec.deadline:
        details = (
            f'<DURATION_TENDER_VALID TYPE="MONTH">4</DURATION_TENDER_VALID><OPENING_CONDITION>'
            f"<DATE_OPENING_TENDERS>{spec.deadline:%Y-%m-%d}</DATE_OPENING_TENDERS><TIME_OPENING_TENDERS>"
            f"{spec.deadline:%H:%M}</TIME_OPENING_TENDERS><PLACE><P>{_esc(spec.town)}</P></PLACE>"
            "<INFO_ADD><P>Avaustilaisuus ei ole julkinen.</P></INFO_ADD></OPENING_CONDITION>"
        )
    return f"<PROCEDURE>{kind}<CONTRACT_COVERED_GPA/>{ref}{deadline}{details}</PROCEDURE>"


def _awards(spec: LegacySpec) -> str:
    out = []
    for item, award in enumerate(spec.awards, start=1):
        number = f"<LOT_NO>{award.lot_number}</LOT_NO>" if award.lot_number is not None else ""
        if award.winner is None:
            out.append(
                f'<AWARD_CONTRACT ITEM="{item}">{number}<NO_AWARDED_CONTRACT><PROCUREMENT_DISCONTINUED/>'
                "</NO_AWARDED_CONTRACT></AWARD_CONTRACT>"
            )
            continue
        value = (
            f'<VALUES><VAL_TOTAL CURRENCY="EUR">{award.value:.2f}</VAL_TOTAL></VALUES>' if award.value else ""
        )
        winner = _address("ADDRESS_CONTRACTOR", award.winner, "1234567-8", spec.town, spec.country, spec.nuts)
        out.append(
            f'<AWARD_CONTRACT ITEM="{item}"><CONTRACT_NO>{item}</CONTRACT_NO>{number}<AWARDED_CONTRACT>'
            f"<DATE_CONCLUSION_CONTRACT>{spec.published - timedelta(days=20):%Y-%m-%d}"
            "</DATE_CONCLUSION_CONTRACT>"
            "<TENDERS><NB_TENDERS_RECEIVED>3</NB_TENDERS_RECEIVED><NB_TENDERS_RECEIVED_SME>2</NB_TENDERS_RECEIVED_SME>"
            "<NB_TENDERS_RECEIVED_OTHER_EU>0</NB_TENDERS_RECEIVED_OTHER_EU><NB_TENDERS_RECEIVED_NON_EU>0"
            "</NB_TENDERS_RECEIVED_NON_EU><NB_TENDERS_RECEIVED_EMEANS>3</NB_TENDERS_RECEIVED_EMEANS></TENDERS>"
            f"<CONTRACTORS><NO_AWARDED_TO_GROUP/><CONTRACTOR>{winner}<SME/></CONTRACTOR></CONTRACTORS>{value}"
            '<LIKELY_SUBCONTRACTED/><VAL_SUBCONTRACTING CURRENCY="EUR">50000.00</VAL_SUBCONTRACTING>'
            "<PCT_SUBCONTRACTING>10</PCT_SUBCONTRACTING><INFO_ADD_SUBCONTRACTING><P>Osa palveluista "
            "toteutetaan alihankintana, ja alihankkijat nimetään ennen sopimuksen allekirjoittamista."
            "</P></INFO_ADD_SUBCONTRACTING></AWARDED_CONTRACT></AWARD_CONTRACT>"
        )
    return "".join(out)


def _changes(spec: LegacySpec) -> str:
    out = []
    for section, label, old, new in spec.changes:
        values = []
        for text in (old, new):
            if section == "IV.2.2":
                day, _, clock = text.partition(" ")
                values.append(f"<DATE>{day}</DATE><TIME>{clock}</TIME>")
            else:
                values.append(f"<TEXT>{_p(text)}</TEXT>")
        out.append(
            f"<CHANGE><WHERE><SECTION>{_esc(section)}</SECTION><LABEL>{_esc(label)}</LABEL></WHERE>"
            f"<OLD_VALUE>{values[0]}</OLD_VALUE><NEW_VALUE>{values[1]}</NEW_VALUE></CHANGE>"
        )
    info = f"<INFO_ADD>{_p(spec.info)}</INFO_ADD>" if spec.info else ""
    return "<CHANGES>" + "".join(out) + info + "</CHANGES>"


def _form_2014(spec: LegacySpec) -> str:
    form = spec.form
    value = (
        f'<VAL_ESTIMATED_TOTAL CURRENCY="EUR">{spec.value:.2f}</VAL_ESTIMATED_TOTAL>' if spec.value else ""
    )
    division = "<LOT_DIVISION><LOT_ALL/></LOT_DIVISION>" if len(spec.lots) > 1 else "<NO_LOT_DIVISION/>"
    lots = "" if form == "F14" else "".join(_lot(spec, lot, i) for i, lot in enumerate(spec.lots, start=1))
    notice = (
        '<NOTICE TYPE="PRI_ONLY"/>'
        if form == "F01"
        else ('<NOTICE TYPE="CONTRACT"/>' if form == "F21" else "")
    )
    body = (
        "<CONTRACTING_BODY>"
        + _address("ADDRESS_CONTRACTING_BODY", spec.buyer, spec.buyer_id, spec.town, spec.country, spec.nuts)
        + (
            f"<DOCUMENT_FULL/><URL_DOCUMENT>{_esc(spec.url)}</URL_DOCUMENT>"
            if spec.url and form != "F14"
            else ""
        )
        + '<CA_TYPE VALUE="REGIONAL_AUTHORITY"/><CA_ACTIVITY VALUE="GENERAL_PUBLIC_SERVICES"/>'
        + "</CONTRACTING_BODY>"
    )
    obj = (
        f"<OBJECT_CONTRACT><TITLE>{_p(spec.title)}</TITLE><REFERENCE_NUMBER>HEL 2021-001</REFERENCE_NUMBER>"
        f'<CPV_MAIN><CPV_CODE CODE="{spec.cpv_main}"/></CPV_MAIN><TYPE_CONTRACT CTYPE="SERVICES"/>'
        f"<SHORT_DESCR>{_p(spec.description)}</SHORT_DESCR>"
        f"{value if form not in AWARD_FORMS else ''}{division if form != 'F14' else ''}{lots}"
        "</OBJECT_CONTRACT>"
    )
    info = (
        f"<EORDERING/><EINVOICING/><EPAYMENT/><INFO_ADD>{_p(spec.info)}</INFO_ADD>"
        if spec.info and form != "F14"
        else ""
    )
    ref14 = (
        f"<NOTICE_NUMBER_OJ>{_oj(spec.reference)}</NOTICE_NUMBER_OJ>"
        if form == "F14" and spec.reference
        else ""
    )
    complementary = (
        f"<COMPLEMENTARY_INFO>{info}"
        + _address("ADDRESS_REVIEW_BODY", spec.review_body, None, spec.town, spec.country, spec.nuts)
        + f"<REVIEW_PROCEDURE><P>{_esc(_REVIEW.get(spec.lang3) or _REVIEW['eng'])}</P></REVIEW_PROCEDURE>"
        + _address("ADDRESS_REVIEW_INFO", spec.buyer, spec.buyer_id, spec.town, spec.country, spec.nuts)
        + _address("ADDRESS_MEDIATION_BODY", spec.review_body, None, spec.town, spec.country, spec.nuts)
        + f"<DATE_DISPATCH_NOTICE>{spec.published - timedelta(days=5):%Y-%m-%d}</DATE_DISPATCH_NOTICE>"
        + f"{ref14}</COMPLEMENTARY_INFO>"
    )
    tag = f"{form}_2014"
    parts = [
        f'<{tag} CATEGORY="ORIGINAL" FORM="{form}" LG="{spec.language}"><LEGAL_BASIS VALUE="32014L0024"/>',
        notice,
        body,
        obj,
    ]
    if form not in ("F14", "F20", "F15", "F03", "F06"):
        parts.append(_lefti(spec.lang3))
    parts.append(_procedure(spec))
    if form in AWARD_FORMS:
        parts.append(_awards(spec))
    parts.append(complementary)
    if form == "F14":
        parts.append(_changes(spec))
    parts.append(f"</{tag}>")
    return "".join(parts)


def _form_r208(spec: LegacySpec) -> str:
    """F17 (``CONTRACT_DEFENCE``) or F18 (``CONTRACT_AWARD_DEFENCE``) in the R2.0.8 shape."""
    award = spec.form == "F18"
    root = "CONTRACT_AWARD_DEFENCE" if award else "CONTRACT_DEFENCE"
    suffix = "_CONTRACT_AWARD_DEFENCE" if award else "_DEFENCE"
    profile = (
        f"<CA_CE_CONCESSIONAIRE_PROFILE><ORGANISATION><OFFICIALNAME>{_esc(spec.buyer)}</OFFICIALNAME>"
        f"<NATIONALID>{_esc(spec.buyer_id)}</NATIONALID></ORGANISATION><ADDRESS>Katu 1</ADDRESS>"
        f'<TOWN>{_esc(spec.town)}</TOWN><POSTAL_CODE>00100</POSTAL_CODE><COUNTRY VALUE="{spec.country}"/>'
        "<E_MAILS><E_MAIL>hankinnat@example.org</E_MAIL></E_MAILS></CA_CE_CONCESSIONAIRE_PROFILE>"
    )
    cpv = f'<CPV><CPV_MAIN><CPV_CODE CODE="{spec.cpv_main}"/></CPV_MAIN></CPV>'
    description = (
        f"<TITLE_CONTRACT>{_p(spec.title)}</TITLE_CONTRACT>"
        f"<LOCATION_NUTS><LOCATION><P>{_esc(spec.town)}</P></LOCATION>"
        f'<NUTS CODE="{spec.nuts}"/></LOCATION_NUTS>'
        f"<SHORT_CONTRACT_DESCRIPTION>{_p(spec.description)}</SHORT_CONTRACT_DESCRIPTION>{cpv}"
    )
    if len(spec.lots) > 1 and not award:  # R2.0.8 writes lots as annexes only when divided
        description += (
            "<F17_DIVISION_INTO_LOTS><F17_DIV_INTO_LOT_YES>"
            + "".join(
                f"<F17_ANNEX_B><LOT_NUMBER>{lot.number}</LOT_NUMBER><LOT_TITLE>{_esc(lot.title)}</LOT_TITLE>"
                f"<LOT_DESCRIPTION>{_p(lot.description)}</LOT_DESCRIPTION></F17_ANNEX_B>"
                for lot in spec.lots
            )
            + "</F17_DIV_INTO_LOT_YES></F17_DIVISION_INTO_LOTS>"
        )
    procedure = f"<TYPE_OF_PROCEDURE_DEFENCE><{spec.procedure}/></TYPE_OF_PROCEDURE_DEFENCE>"
    receipt = ""
    if spec.deadline and not award:
        receipt = (
            f"<RECEIPT_LIMIT_DATE><DAY>{spec.deadline:%d}</DAY><MONTH>{spec.deadline:%m}</MONTH>"
            f"<YEAR>{spec.deadline:%Y}</YEAR><TIME>{spec.deadline:%H:%M}</TIME></RECEIPT_LIMIT_DATE>"
        )
    awards = "".join(
        "<AWARD_OF_CONTRACT_DEFENCE>"
        + (f"<LOT_NUMBER>{a.lot_number}</LOT_NUMBER>" if a.lot_number is not None else "")
        + "<ECONOMIC_OPERATOR_NAME_ADDRESS><CONTACT_DATA_WITHOUT_RESPONSIBLE_NAME><ORGANISATION>"
        f"<OFFICIALNAME>{_esc(a.winner or '')}</OFFICIALNAME></ORGANISATION><TOWN>{_esc(spec.town)}</TOWN>"
        f'<COUNTRY VALUE="{spec.country}"/></CONTACT_DATA_WITHOUT_RESPONSIBLE_NAME>'
        "</ECONOMIC_OPERATOR_NAME_ADDRESS>"
        + (
            f'<CONTRACT_VALUE_INFORMATION><COSTS_RANGE_AND_CURRENCY_WITH_VAT_RATE CURRENCY="EUR">'
            f'<VALUE_COST FMTVAL="{a.value:.2f}">{a.value:,.2f}</VALUE_COST>'
            "</COSTS_RANGE_AND_CURRENCY_WITH_VAT_RATE></CONTRACT_VALUE_INFORMATION>"
            if a.value
            else ""
        )
        + "</AWARD_OF_CONTRACT_DEFENCE>"
        for a in spec.awards
        if a.winner
    )
    previous = (
        f"<PREVIOUS_PUBLICATION_NOTICE_F17><NOTICE_NUMBER_OJ>{_oj(spec.reference)}</NOTICE_NUMBER_OJ>"
        "</PREVIOUS_PUBLICATION_NOTICE_F17>"
        if spec.reference
        else ""
    )
    return (
        f'<{root} CATEGORY="ORIGINAL" FORM="{18 if award else 17}" LG="{spec.language}"'
        ' VERSION="R2.0.8.S04.E01">'
        f'<FD_{root} CTYPE="SERVICES"><CONTRACTING_AUTHORITY_INFORMATION{suffix}>'
        f"<NAME_ADDRESSES_CONTACT_CONTRACT>{profile}</NAME_ADDRESSES_CONTACT_CONTRACT>"
        "<TYPE_AND_ACTIVITIES_OR_CONTRACTING_ENTITY_AND_PURCHASING_ON_BEHALF><TYPE_AND_ACTIVITIES>"
        '<TYPE_OF_CONTRACTING_AUTHORITY VALUE="MINISTRY"/><TYPE_OF_ACTIVITY VALUE="DEFENCE"/>'
        "</TYPE_AND_ACTIVITIES></TYPE_AND_ACTIVITIES_OR_CONTRACTING_ENTITY_AND_PURCHASING_ON_BEHALF>"
        f"</CONTRACTING_AUTHORITY_INFORMATION{suffix}><OBJECT_CONTRACT_INFORMATION{suffix}>"
        f"<DESCRIPTION_CONTRACT_INFORMATION{suffix}>{description}</DESCRIPTION_CONTRACT_INFORMATION{suffix}>"
        f"</OBJECT_CONTRACT_INFORMATION{suffix}><PROCEDURE_DEFINITION{suffix}>{procedure}"
        f"<ADMINISTRATIVE_INFORMATION{suffix}>{previous}{receipt}</ADMINISTRATIVE_INFORMATION{suffix}>"
        f"</PROCEDURE_DEFINITION{suffix}>{awards}</FD_{root}></{root}>"
    )


def build_legacy_xml(spec: LegacySpec) -> bytes:
    """The TED_EXPORT document for ``spec`` (R2.0.8 for the defence forms F17/F18)."""
    r208 = spec.form in ("F17", "F18")
    ns = NS_R208 if r208 else NS_R209
    version = "" if r208 else ' VERSION="R2.0.9.S05.E01"'
    form = _form_r208(spec) if r208 else _form_2014(spec)
    edition = f"{spec.published:%Y}{spec.published.timetuple().tm_yday:03d}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TED_EXPORT xmlns="{ns}" xmlns:n2016="{NS_NUTS}" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f'{version} DOC_ID="{spec.number}" EDITION="{edition}">'
        "<TECHNICAL_SECTION><RECEPTION_ID>21-000001-001</RECEPTION_ID>"
        f"<DELETION_DATE>{spec.published + timedelta(days=90):%Y%m%d}</DELETION_DATE>"
        f"<FORM_LG_LIST>{spec.language}</FORM_LG_LIST><COMMENTS>From Convertor</COMMENTS></TECHNICAL_SECTION>"
        '<LINKS_SECTION><XML_SCHEMA_DEFINITION_LINK xlink:type="simple" xlink:href="http://ted.europa.eu"'
        ' xlink:title="TED WEBSITE"/><OFFICIAL_FORMS_LINK xlink:type="simple" xlink:href="http://ted.europa.eu"/>'
        '<FORMS_LABELS_LINK xlink:type="simple" xlink:href="http://ted.europa.eu"/>'
        '<ORIGINAL_CPV_LINK xlink:type="simple" xlink:href="http://ted.europa.eu"/>'
        '<ORIGINAL_NUTS_LINK xlink:type="simple" xlink:href="http://ted.europa.eu"/></LINKS_SECTION>'
        f"{_coded(spec)}{_translations(spec)}<FORM_SECTION>{form}</FORM_SECTION></TED_EXPORT>\n"
    ).encode()


# ----------------------------------------------------------------------------------- generation
def _pick_form(rng: random.Random) -> str:
    roll = rng.random()
    for form, share in FORM_MIX:
        roll -= share
        if roll <= 0:
            return form
    return "F02"


def random_legacy_spec(rng: random.Random, number: str, published: date, country: str = "FI") -> LegacySpec:
    """One realistic legacy notice of a random form, from the project's own sample texts."""
    place = PLACES[country]
    lang3 = _ISO3.get(place.language, "eng")
    topic = rng.choice(TOPICS)
    form = _pick_form(rng)

    def text(texts: dict[str, str]) -> str:
        return texts.get(lang3) or texts.get("eng") or next(iter(texts.values()))

    scope = SCOPE.get(lang3) or SCOPE["eng"]
    description = "\n".join(
        [text(topic.description), *rng.sample(scope, k=min(len(scope), rng.randint(1, 3)))]
    )
    lot_count = rng.choice((1, 1, 1, 2, 3, 4)) if form != "F14" else 0
    lots = tuple(
        LegacyLot(
            number=i + 1 if lot_count > 1 else None,
            title=f"{text(topic.title)} — {i + 1}" if lot_count > 1 else "",
            description="\n".join([text(topic.description), *scope[: rng.randint(1, 3)]]),
            cpv_additional=topic.extra_cpv[:2],
            nuts=place.nuts,
            value=float(rng.randrange(20, 900) * 1000) if rng.random() < 0.4 else None,
            variants=rng.random() < 0.1,
            eu_funds=rng.random() < 0.15,
        )
        for i in range(lot_count)
    )
    procedure = "PT_OPEN"
    roll = rng.random()
    if topic.innovative and roll < 0.3:
        procedure = "PT_INNOVATION_PARTNERSHIP"
    elif roll < 0.15:
        procedure = "PT_RESTRICTED"
    elif roll < 0.2:
        procedure = "PT_COMPETITIVE_NEGOTIATION"
    elif roll < 0.23:
        procedure = "PT_COMPETITIVE_DIALOGUE"
    if form == "F15":
        procedure = "PT_NEGOTIATED_WITHOUT_PUBLICATION"
    deadline = None
    if form in CALL_FORMS:
        day = published + timedelta(days=rng.randint(25, 50))
        deadline = datetime(day.year, day.month, day.day, rng.choice((10, 12, 16)), 0)
    awards: tuple[LegacyAward, ...] = ()
    if form in AWARD_FORMS:
        awards = tuple(
            LegacyAward(
                lot.number,
                None if rng.random() < 0.08 else f"{rng.choice(('Nordic', 'Euro', 'Data', 'Rakenne'))} Oy",
                float(rng.randrange(20, 900) * 1000),
            )
            for lot in (lots or (LegacyLot(None, "", ""),))
        )
    reference = None
    if form in ("F14", "F20") or (form in AWARD_FORMS and rng.random() < 0.7):
        earlier = published - timedelta(days=rng.randint(20, 200))
        reference = f"{rng.randrange(1, 800000):06d}-{earlier.year}"
    changes: tuple[tuple[str, str, str, str], ...] = ()
    if form == "F14":
        old = published + timedelta(days=10)
        new = old + timedelta(days=14)
        changes = (("IV.2.2", "Tarjousten määräaika", f"{old:%Y-%m-%d} 12:00", f"{new:%Y-%m-%d} 12:00"),)
    return LegacySpec(
        number=number,
        published=published,
        form=form,
        country=country,
        language=place.language,
        buyer=place.buyer
        if country != "FI"
        else rng.choice(("Helsingin kaupunki", "Tampereen kaupunki", "Hansel Oy")),
        buyer_id=place.buyer_id,
        town=place.town,
        nuts=place.nuts,
        title=text(topic.title),
        description=description,
        info=(NOTES.get(lang3) or NOTES["eng"])
        if form != "F14"
        else (CHANGE_TEXTS.get(lang3) or CHANGE_TEXTS["eng"]),
        cpv_main=topic.cpv,
        lots=lots,
        procedure=procedure,
        deadline=deadline,
        value=float(rng.randrange(50, 5000) * 1000) if form in CALL_FORMS and rng.random() < 0.5 else None,
        awards=awards,
        reference=reference,
        changes=changes,
        headings={two: topic.title[three] for two, three in _ISO3.items() if three in topic.title},
        review_body=place.review_body,
    )


def generate_legacy_specs(
    n: int, seed: int, *, day: date, finnish_share: float = 0.02, first_number: int = 1
) -> list[LegacySpec]:
    """``n`` notices published on ``day`` with consecutive numbers from ``first_number``; about
    ``finnish_share`` of them with a Finnish buyer, the rest from other countries."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        country = "FI" if rng.random() < finnish_share else rng.choice(OTHER_COUNTRIES)
        out.append(random_legacy_spec(rng, f"{first_number + i:06d}-{day.year}", day, country))
    return out
