"""Code tables for legacy TED XML (TED_EXPORT R2.0.8/R2.0.9): TED's codes → the eForms vocabulary.

Why a module of its own: the legacy parser (``ted_legacy``) must write records the store,
classifier and matcher already understand, and those speak eForms (alpha-3 countries, ISO
639-3 languages, BT-105 procedure codes, BT-02/BT-03 notice and form types). Keeping every
mapping here, as plain dicts, keeps the parser about structure and makes each decision easy
to review against the eForms codelists (``../shared/fixtures/eforms-sdk/codelists``).
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo


def _pairs(table: str, size: int) -> dict[str, str]:
    """``"ADAND AEARE"`` → ``{"AD": "AND", "AE": "ARE"}`` (a compact literal for 250 codes)."""
    return {item[:size]: item[size:] for item in table.split()}


COUNTRY_ALPHA3: dict[str, str] = _pairs(
    """
    ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO AQATA ARARG ASASM ATAUT AUAUS AWABW AXALA AZAZE
    BABIH BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES BRBRA BSBHS
    BTBTN BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK CLCHL CMCMR CNCHN
    COCOL CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM DZDZA ECECU EEEST
    EGEGY EHESH ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO GFGUF
    GGGGY GHGHA GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GSSGS GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD
    HNHND HRHRV HTHTI HUHUN IDIDN IEIRL ILISR IMIMN ININD IOIOT IQIRQ IRIRN ISISL ITITA JEJEY JMJAM
    JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA
    LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD
    MLMLI MMMMR MNMNG MOMAC MPMNP MQMTQ MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM
    NCNCL NENER NFNFK NGNGA NINIC NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG
    PHPHL PKPAK PLPOL PMSPM PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA
    SASAU SBSLB SCSYC SDSDN SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD
    STSTP SVSLV SXSXM SYSYR SZSWZ TCTCA TDTCD TFATF TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON
    TRTUR TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA UMUMI USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR
    VNVNM VUVUT WFWLF WSWSM XKXKX YEYEM YTMYT ZAZAF ZMZMB ZWZWE
    UKGBR ELGRC
    """,
    2,
)
"""ISO 3166-1 alpha-2 → alpha-3 (eForms writes alpha-3), plus TED's own spellings: ``UK`` for the
United Kingdom and ``EL`` for Greece. Checked against the eForms ``country`` codelist in
``tests/parsers/test_ted_legacy_codes.py``."""

COUNTRY_ALPHA2: dict[str, str] = {a3: a2 for a2, a3 in COUNTRY_ALPHA3.items() if a2 not in ("UK", "EL")}
"""alpha-3 → alpha-2 (ISO), for filters that look for a country in legacy XML before parsing."""

LANGUAGE_ISO3: dict[str, str] = _pairs(
    """
    BGbul CSces DAdan DEdeu ELell ENeng ESspa ETest FIfin FRfra GAgle HRhrv HUhun ITita LTlit LVlav
    MTmlt NLnld PLpol PTpor ROron SKslk SLslv SVswe NOnor ISisl MKmkd SQsqi TRtur SRsrp
    """,
    2,
)
"""TED's two-letter language codes (the EU's official languages, and a few more) → ISO 639-3."""


def country(code: str | None) -> str | None:
    """A legacy country code (``FI``, ``UK``, ``EL``) → alpha-3; an unknown code is kept as written."""
    if not code:
        return None
    code = code.strip().upper()
    return COUNTRY_ALPHA3.get(code, code) or None


def language(code: str | None) -> str | None:
    """``FI`` → ``fin``; an unknown code is kept, lower case (records key texts by language)."""
    if not code:
        return None
    found = LANGUAGE_ISO3.get(code)  # as TED writes it, the common case
    if found is not None:
        return found
    code = code.strip().upper()
    return LANGUAGE_ISO3.get(code, code.lower()) or None


# ------------------------------------------------------------------------------- time zones
_ZONES: dict[str, str] = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CH": "Europe/Zurich",
    "CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "EL": "Europe/Athens", "GR": "Europe/Athens", "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki", "FR": "Europe/Paris", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
    "IE": "Europe/Dublin", "IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "ME": "Europe/Podgorica",
    "MK": "Europe/Skopje", "MT": "Europe/Malta", "NL": "Europe/Amsterdam", "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "RS": "Europe/Belgrade",
    "SE": "Europe/Stockholm", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "TR": "Europe/Istanbul",
    "UK": "Europe/London", "GB": "Europe/London", "AL": "Europe/Tirane", "BA": "Europe/Sarajevo",
    "MD": "Europe/Chisinau", "UA": "Europe/Kyiv", "GE": "Asia/Tbilisi", "AM": "Asia/Yerevan",
}  # fmt: skip
DEFAULT_ZONE = "Europe/Brussels"
"""Legacy forms give deadlines in the buyer's local time without an offset; outside this table
(mainland time zones of the countries that publish on TED) Brussels time is the best guess."""


@lru_cache(maxsize=64)
def zone(country_code: str | None) -> ZoneInfo:
    """The time zone a legacy deadline is written in, by the notice's alpha-2 country."""
    return ZoneInfo(_ZONES.get((country_code or "").upper(), DEFAULT_ZONE))


# ------------------------------------------------------------------------------- procedures
PROCEDURE_ELEMENT: dict[str, str] = {
    "PT_OPEN": "open",
    "PT_RESTRICTED": "restricted",
    "PT_ACCELERATED_RESTRICTED": "restricted",
    "PT_ACCELERATED_RESTRICTED_CHOICE": "restricted",
    "PT_COMPETITIVE_NEGOTIATION": "neg-w-call",
    "PT_NEGOTIATED_WITH_PRIOR_CALL": "neg-w-call",
    "PT_NEGOTIATED_CHOICE": "neg-w-call",
    "PT_ACCELERATED_NEGOTIATED": "neg-w-call",
    "PT_NEGOTIATED_WITH_PUBLICATION_CONTRACT_NOTICE": "neg-w-call",
    "PT_INVOLVING_NEGOTIATION": "neg-w-call",
    "PT_NEGOTIATED": "neg-w-call",
    "PT_COMPETITIVE_DIALOGUE": "comp-dial",
    "PT_INNOVATION_PARTNERSHIP": "innovation",
    "PT_AWARD_CONTRACT_WITHOUT_CALL": "neg-wo-call",
    "PT_AWARD_CONTRACT_WITHOUT_PUBLICATION": "neg-wo-call",
    "PT_NEGOTIATED_WITHOUT_PUBLICATION": "neg-wo-call",
    "F18_PT_NEGOTIATED_WITHOUT_PUBLICATION_CONTRACT_NOTICE": "neg-wo-call",
    "PT_COMPETITIVE_TENDERING": "comp-tend",
    "PT_DA_INTERNAL_OPERATOR": "neg-wo-call",
    "PT_DA_SMALL_CONTRACT": "neg-wo-call",
    "PT_DA_MEDIUM_ENTERPRISE": "neg-wo-call",
    "PT_DA_RAILWAY_TRANSPORT": "neg-wo-call",
}
"""The procedure element a form names (R2.0.9 ``PROCEDURE/PT_*``, R2.0.8 ``TYPE_OF_PROCEDURE…/PT_*``)
→ eForms BT-105. Concessions' "award procedure with prior publication" has no eForms twin and
is left unmapped rather than guessed."""

PROCEDURE_CODE: dict[str, str] = {
    "1": "open",
    "2": "restricted",
    "3": "restricted",
    "4": "neg-w-call",
    "6": "neg-w-call",
    "A": "neg-wo-call",
    "B": "neg-w-call",
    "C": "comp-dial",
    "F": "neg-wo-call",
    "G": "innovation",
    "T": "neg-wo-call",
    "V": "neg-wo-call",
}
"""``CODIF_DATA/PR_PROC/@CODE`` → BT-105, used when the form names no procedure element
(``E`` concession award procedure, ``8`` other, ``9`` not applicable, ``Z`` not specified: none)."""

DIRECT_AWARD_JUSTIFICATION: dict[str, str] = {
    "D_PROC_OPEN": "unsuitable",
    "D_PROC_RESTRICTED": "unsuitable",
    "D_PROC_NEGOTIATED_PRIOR_CALL_COMPETITION": "unsuitable",
    "D_PROC_COMPETITIVE_DIALOGUE": "unsuitable",
    "D_NO_TENDERS_REQUESTS": "unsuitable",
    "D_ALL_TENDERS": "irregular",
    "D_MANUF_FOR_RESEARCH": "resd",
    "D_PURE_RESEARCH": "resd",
    "D_TECHNICAL": "technical",
    "D_ARTISTIC": "artistic",
    "D_PROTECT_RIGHTS": "exclusive",
    "D_EXCLUSIVE_RIGHT": "other-exclusive",
    "D_EXTREME_URGENCY": "urgency",
    "D_PERIODS_INCOMPATIBLE": "crisis",
    "D_ADD_DELIVERIES_ORDERED": "existing",
    "D_REPETITION_EXISTING": "repetition",
    "D_CONTRACT_AWARDED_DESIGN_CONTEST": "contest",
    "D_COMMODITY_MARKET": "commodity",
    "D_FROM_WINDING_PROVIDER": "closure",
    "D_FROM_LIQUIDATOR_CREDITOR": "liquidator",
    "D_BARGAIN_PURCHASE": "bargain",
    "D_OUTSIDE_SCOPE": "non-dir",
    "D_SERVICES_LISTED": "dir81-annexii",
    "PT_DA_INTERNAL_OPERATOR": "int-oper",
    "PT_DA_MEDIUM_ENTERPRISE": "below-thres-sme",
    "PT_DA_SMALL_CONTRACT": "below-thres",
}
"""Annex D justifications (``D_ACCORDANCE_ARTICLE/D_*``) and Regulation 1370/2007 direct awards
→ eForms BT-136 (``direct-award-justification``); the classifier reads ``resd`` and ``rd``."""

# ------------------------------------------------------------------------------- buyers
BUYER_LEGAL_TYPE: dict[str, str] = {
    "MINISTRY": "cga",
    "NATIONAL_AGENCY": "cga",
    "REGIONAL_AUTHORITY": "ra",
    "REGIONAL_AGENCY": "ra",
    "BODY_PUBLIC": "body-pl",
    "EU_INSTITUTION": "eu-ins-bod-ag",
    "EUROPEAN_INSTITUTION": "eu-ins-bod-ag",
}
"""``CA_TYPE/@VALUE`` (R2.0.8: ``TYPE_OF_CONTRACTING_AUTHORITY``) → eForms BT-11."""

BUYER_ACTIVITY: dict[str, str] = {
    "GENERAL_PUBLIC_SERVICES": "gen-pub",
    "DEFENCE": "defence",
    "PUBLIC_ORDER_AND_SAFETY": "pub-os",
    "ENVIRONMENT": "env-pro",
    "ECONOMIC_AND_FINANCIAL_AFFAIRS": "econ-aff",
    "HEALTH": "health",
    "HOUSING_AND_COMMUNITY_AMENITIES": "hc-am",
    "SOCIAL_PROTECTION": "soc-pro",
    "RECREATION_CULTURE_AND_RELIGION": "rcr",
    "EDUCATION": "education",
    "PRODUCTION_TRANSPORT_DISTRIBUTION_GAS_HEAT": "gas-heat",
    "ELECTRICITY": "electricity",
    "EXPLORATION_EXTRACTION_GAS_OIL": "gas-oil",
    "EXPLORATION_EXTRACTION_COAL_OTHER_SOLID_FUEL": "solid-fuel",
    "WATER": "water",
    "POSTAL_SERVICES": "post",
    "RAILWAY_SERVICES": "rail",
    "URBAN_RAILWAY_TRAMWAY_TROLLEYBUS_BUS_SERVICES": "urttb",
    "PORT_RELATED_ACTIVITIES": "port",
    "AIRPORT_RELATED_ACTIVITIES": "airport",
}
"""``CA_ACTIVITY``/``CE_ACTIVITY``/``TYPE_OF_ACTIVITY`` ``@VALUE`` → eForms BT-10 / BT-610."""

CONTRACT_NATURE: dict[str, str] = {
    "WORKS": "works",
    "SUPPLIES": "supplies",
    "SERVICES": "services",
    "1": "works",
    "2": "supplies",
    "4": "services",
}
"""``TYPE_CONTRACT/@CTYPE`` (or ``CODIF_DATA/NC_CONTRACT_NATURE/@CODE``) → eForms BT-23."""

LEGAL_BASIS: dict[str, str] = {
    "2014/24/EU": "32014L0024",
    "2014/25/EU": "32014L0025",
    "2014/23/EU": "32014L0023",
    "2009/81/EC": "32009L0081",
    "2004/18/EC": "32004L0018",
    "2004/17/EC": "32004L0017",
}
"""``DIRECTIVE/@VALUE`` (older R2.0.9 releases) → the CELEX id ``LEGAL_BASIS/@VALUE`` writes."""

# ------------------------------------------------------------------------------- forms
R208_FORMS: dict[str, str] = {
    "PRIOR_INFORMATION": "F01",
    "CONTRACT": "F02",
    "CONTRACT_AWARD": "F03",
    "PERIODIC_INDICATIVE_UTILITIES": "F04",
    "CONTRACT_UTILITIES": "F05",
    "CONTRACT_AWARD_UTILITIES": "F06",
    "QUALIFICATION_SYSTEM_UTILITIES": "F07",
    "BUYER_PROFILE": "F08",
    "SIMPLIFIED_CONTRACT": "F09",
    "CONCESSION": "F10",
    "CONTRACT_CONCESSIONAIRE": "F11",
    "DESIGN_CONTEST": "F12",
    "RESULT_DESIGN_CONTEST": "F13",
    "ADDITIONAL_INFORMATION_CORRIGENDUM": "F14",
    "VOLUNTARY_EX_ANTE_TRANSPARENCY_NOTICE": "F15",
    "PRIOR_INFORMATION_DEFENCE": "F16",
    "CONTRACT_DEFENCE": "F17",
    "CONTRACT_AWARD_DEFENCE": "F18",
    "CONTRACT_CONCESSIONAIRE_DEFENCE": "F19",
}
"""R2.0.8 form elements → the standard form number, for forms without a ``FORM`` attribute."""

FORM_TYPES: dict[str, tuple[str, str]] = {
    "F01": ("pin-only", "planning"),
    "F02": ("cn-standard", "competition"),
    "F03": ("can-standard", "result"),
    "F04": ("pin-only", "planning"),
    "F05": ("cn-standard", "competition"),
    "F06": ("can-standard", "result"),
    "F07": ("qu-sy", "competition"),
    "F08": ("pin-buyer", "planning"),
    "F09": ("cn-standard", "competition"),
    "F10": ("cn-standard", "competition"),
    "F11": ("cn-standard", "competition"),
    "F12": ("cn-desg", "competition"),
    "F13": ("can-desg", "result"),
    "F14": ("corr", "change"),
    "F15": ("veat", "dir-awa-pre"),
    "F16": ("pin-only", "planning"),
    "F17": ("cn-standard", "competition"),
    "F18": ("can-standard", "result"),
    "F19": ("subco", "competition"),
    "F20": ("can-modif", "cont-modif"),
    "F21": ("cn-social", "competition"),
    "F22": ("cn-social", "competition"),
    "F23": ("cn-social", "competition"),
    "F24": ("cn-standard", "competition"),
    "F25": ("can-standard", "result"),
    "T01": ("pin-tran", "planning"),
    "T02": ("can-tran", "result"),
}
"""Legacy form → (BT-02 notice type, BT-03 form type): a call is ``competition``, F14 a
``change`` (the store's ``lifecycle`` reads it as one, as it does SDK ≤ 1.8 change notices),
award forms ``result``, F15 ``dir-awa-pre``, F20 ``cont-modif``. The forms F01/F04 (PINs) and
F21–F23 (light regime) say which kind they are in ``NOTICE/@TYPE`` (:data:`NOTICE_TYPES`)."""

_SOCIAL = frozenset({"F21", "F22", "F23"})

NOTICE_TYPES: dict[str, tuple[str, str]] = {
    "PRI_ONLY": ("pin-only", "planning"),
    "PER_ONLY": ("pin-only", "planning"),
    "PRI_REDUCING_TIME_LIMITS": ("pin-rtl", "planning"),
    "PER_REDUCING_TIME_LIMITS": ("pin-rtl", "planning"),
    "PRI_CALL_COMPETITION": ("pin-cfc-standard", "competition"),
    "PER_CALL_COMPETITION": ("pin-cfc-standard", "competition"),
    "PRI": ("pin-cfc-standard", "competition"),
    "QSU_CALL_COMPETITION": ("qu-sy", "competition"),
    "QSU_ONLY": ("qu-sy", "competition"),
    "CONTRACT": ("cn-standard", "competition"),
    "AWARD_CONTRACT": ("can-standard", "result"),
    "CONCESSION_AWARD_CONTRACT": ("can-standard", "result"),
}
"""``NOTICE/@TYPE`` → (BT-02, BT-03); in the light-regime forms F21–F23 ``standard`` becomes
``social`` (a light-regime concession PIN, F23 ``PRI``, is a call for competition there)."""

DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "0": ("pin-only", "planning"),
    "P": ("pin-only", "planning"),
    "A": ("pin-cfc-standard", "competition"),
    "M": ("pin-cfc-standard", "competition"),
    "B": ("pin-buyer", "planning"),
    "3": ("cn-standard", "competition"),
    "C": ("cn-standard", "competition"),
    "H": ("cn-standard", "competition"),
    "Y": ("cn-standard", "competition"),
    "O": ("qu-sy", "competition"),
    "Q": ("qu-sy", "competition"),
    "D": ("cn-desg", "competition"),
    "7": ("can-standard", "result"),
    "J": ("can-standard", "result"),
    "R": ("can-desg", "result"),
    "V": ("veat", "dir-awa-pre"),
    "K": ("can-modif", "cont-modif"),
    "1": ("corr", "change"),
    "2": ("corr", "change"),
}
"""``CODIF_DATA/TD_DOCUMENT_TYPE/@CODE`` → (BT-02, BT-03): what a PIN form without ``NOTICE/@TYPE``
(R2.0.9.S01, R2.0.8) is, and the fallback for forms not in :data:`FORM_TYPES`."""


def notice_and_form_type(
    form: str | None, notice_type_attr: str | None, document_type: str | None
) -> tuple[str | None, str | None]:
    """(BT-02, BT-03) of a legacy notice from its form, ``NOTICE/@TYPE`` and TD document type."""
    found = NOTICE_TYPES.get(notice_type_attr or "")
    if found is None and form in ("F01", "F04", "F16", "F21", "F22", "F23"):
        by_document = DOCUMENT_TYPES.get(document_type or "")
        if by_document is not None and by_document[1] != "change":
            found = by_document
    if found is None:
        found = FORM_TYPES.get(form or "") or DOCUMENT_TYPES.get(document_type or "")
    if found is None:
        return None, None
    notice_type, form_type = found
    if form in _SOCIAL and notice_type.endswith("-standard"):
        notice_type = notice_type.replace("-standard", "-social")
    return notice_type, form_type
