"""Legacy TED XML (``TED_EXPORT``, schemas R2.0.9 and R2.0.8, 2011–2023) → :class:`db.record.NoticeRecord`.

TED published in this format until eForms became mandatory (November 2023). The record is the
one the eForms parser writes, in the eForms vocabulary (``ted_codes``), so the store, the
classifier and the matcher need no second code path. How the document maps:

- **Coded section** (``CODED_DATA_SECTION``, the same in every schema release): publication
  number and date, original language, the buyer's country, TED's procedure and document-type
  codes, the references to earlier notices (``REF_NOTICE``), and fallbacks for what a form
  leaves out (CPV, deadline, estimated value).
- **Form** (``FORM_SECTION``): buyers, titles and descriptions in the original language, lots,
  procedure, awards, F14 changes — read by ``ted_forms``. Translations of the form, when TED
  published them, add their texts in their languages.
- **TED's translated headings** (``TRANSLATION_SECTION/ML_TITLES``): every notice carries its
  heading in all official languages; each becomes ``title[lang]`` for the languages the form
  itself gives no title in, so a Finnish, Swedish or English reader (and the classifier) can
  read the title of any notice. TED's heading in the original language (usually the main CPV
  code's label, not the buyer's title) is kept as ``national["ted:heading"]``.

Identity and procedures, as decided for the store (``db.store_keys``):

- Legacy notices have no BT-701 UUID and no version: ``notice_id`` and ``version`` are None,
  so the store keys them like every non-eForms document by (source, source id), and both TED
  spiders name a document by its publication number (``163-2021``, as the Search API writes
  it): one notice per publication number, whichever spider or how often it is fetched.
- ``procedure_id`` is synthetic: ``ted-legacy:<publication key>`` of the earliest publication
  the notice refers to (a corrigendum's original, an award's call: ``REF_NOTICE``,
  ``NOTICE_NUMBER_OJ``), or of its own number when it refers to none. A call, its corrigenda
  and its award therefore share one procedure whatever order they arrive in; longer chains
  (PIN → call → award → modification) are joined by the store in publication order.
- ``subtype`` is the legacy form (``F02``, ``F14``, ``T01``): what OPP-070 is to eForms.

Hostile input gets the eForms parser's answers: the bytes go through ``xmlsafe.parse_xml``
(no DTD, no entities, no network, size limit) and errors are the same typed errors.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from lxml import etree

from db.record import Award, Buyer, Change, Lot, Money, NoticeRecord
from db.store_keys import legacy_procedure_id
from scrapers.parsers import ted_codes
from scrapers.parsers.errors import IncompleteNoticeError
from scrapers.parsers.ted_forms import FormData, read_form, read_r208_form
from scrapers.parsers.ted_xml import (
    attr,
    child,
    compact_date,
    deadline,
    flat,
    kinds,
    local,
    money,
    paragraphs,
    publication_number,
    record_builder,
)

# Records built without the frozen dataclasses' per-field object.__setattr__ (see record_builder).
_new_record = record_builder(NoticeRecord)
_new_lot = record_builder(Lot)
_new_award = record_builder(Award)
_new_buyer = record_builder(Buyer)

TRANSLATED_TEXTS = frozenset({"fin", "swe", "eng"})
"""Languages whose full translations (``CATEGORY="TRANSLATION"`` forms: TED translated EU
institutions' notices into up to 24 languages) are read: the languages TenderWatch reads and
shows (``NoticeRecord.text``'s preference). Every other language still gets TED's heading;
reading all 24 translations made such a notice ten times as costly and its record as large."""

_FORM_2014 = re.compile(r"^(F\d\d)_2014$")
_SCHEMA = re.compile(r"R2\.0\.\d+")


class _Coded:
    """What ``CODED_DATA_SECTION`` says.

    What only stands in for what a form leaves out (value, deadline, nature, procedure,
    directive) is kept as its element and read when asked for: most forms say it themselves,
    and not reading it saved ~1 µs a notice. As when read at once, the last such element counts.
    """

    __slots__ = (
        "country",
        "cpv",
        "date_pub",
        "deadline_el",
        "directive_el",
        "dispatch",
        "document_type",
        "language",
        "nature_el",
        "number",
        "nuts",
        "procedure_el",
        "references",
        "value_el",
    )

    def __init__(self) -> None:
        self.number: str | None = None
        self.date_pub: date | None = None
        self.language: str | None = None
        self.country: str | None = None
        """alpha-2, as written (``ISO_COUNTRY/@VALUE``)."""
        self.cpv: list[str] = []
        self.nuts: list[str] = []
        self.value_el: etree._Element | None = None
        """The last ``VALUE TYPE="ESTIMATED_TOTAL"``."""
        self.references: list[str] = []
        self.dispatch: date | None = None
        self.deadline_el: etree._Element | None = None
        self.document_type: str | None = None
        self.nature_el: etree._Element | None = None
        self.procedure_el: etree._Element | None = None
        self.directive_el: etree._Element | None = None

    @property
    def value(self) -> Money | None:
        return money(self.value_el)

    @property
    def deadline(self) -> str | None:
        return (flat(self.deadline_el) or None) if self.deadline_el is not None else None

    @property
    def nature(self) -> str | None:
        return attr(self.nature_el, "CODE")

    @property
    def procedure(self) -> str | None:
        return attr(self.procedure_el, "CODE")

    @property
    def directive(self) -> str | None:
        return attr(self.directive_el, "VALUE")


_SECTIONS = kinds("CODED_DATA_SECTION", "TRANSLATION_SECTION", "FORM_SECTION", "NOTICE_UUID")

_CODED = kinds(
    "DATE_PUB",
    "NO_DOC_OJS",
    "LG_ORIG",
    "ISO_COUNTRY",
    "ORIGINAL_CPV",
    "PERFORMANCE_NUTS",
    "ORIGINAL_NUTS",
    "VALUE",
    "REF_NOTICE",
    "DS_DATE_DISPATCH",
    "DT_DATE_FOR_SUBMISSION",
    "TD_DOCUMENT_TYPE",
    "NC_CONTRACT_NATURE",
    "PR_PROC",
    "DIRECTIVE",
)
_CODED_TAGS = tuple(f"{{*}}{name}" for name in _CODED.names)
"""``iter()`` filters by these in C: the coded section's other elements never reach Python."""


def _coded(el: etree._Element) -> _Coded:
    coded = _Coded()
    for sub in el.iter(_CODED_TAGS):
        kind = _CODED[sub.tag]
        if kind == 1:
            coded.date_pub = compact_date(sub.text)
        elif kind == 2:
            if coded.number is None:  # the first: REF_NOTICE's NO_DOC_OJS are references
                coded.number = flat(sub) or None
        elif kind == 3:  # repeated when a notice has originals in two languages: the first
            coded.language = coded.language or flat(sub) or None
        elif kind == 4:
            coded.country = attr(sub, "VALUE")
        elif kind == 5:
            if not coded.cpv:  # only the first: a fallback for forms without a main CPV
                code = attr(sub, "CODE")
                if code:
                    coded.cpv.append(code)
        elif kind <= 7:
            code = attr(sub, "CODE")
            if code and code not in coded.nuts:
                coded.nuts.append(code)
        elif kind == 8:
            if sub.get("TYPE") == "ESTIMATED_TOTAL":
                coded.value_el = sub
        elif kind == 9:
            coded.references.extend(flat(x) for x in sub if local(x.tag) == "NO_DOC_OJS")
        elif kind == 10:
            coded.dispatch = compact_date(sub.text)
        elif kind == 11:
            coded.deadline_el = sub
        elif kind == 12:
            coded.document_type = attr(sub, "CODE")
        elif kind == 13:
            coded.nature_el = sub
        elif kind == 14:
            coded.procedure_el = sub
        else:
            coded.directive_el = sub
    return coded


HEADING_LANGUAGES = ("EN", "FI", "SV")
"""TED's translated headings (``ML_TITLES``) read besides the original language's: the languages
TenderWatch reads (classifier and matcher keywords, alerts) — English, Finnish, Swedish — as
``TRANSLATED_TEXTS`` says for full translations. Every notice carries all 24; the other 20 would
be a fifth of the parse time and a third of each stored record, for texts no one reads."""

_TED_ORDER = (
    *("BG", "CS", "DA", "DE", "EL", "EN", "ES", "ET", "FI", "FR", "GA", "HR"),
    *("HU", "IT", "LT", "LV", "MT", "NL", "PL", "PT", "RO", "SK", "SL", "SV"),
)
_POSITION = {code: i for i, code in enumerate(_TED_ORDER)}
"""TED writes ``ML_TI_DOC`` in this (alphabetical) order: a heading is looked for at its place
first, and searched for when it is not there."""


def _heading_doc(ml: etree._Element, code: str) -> etree._Element | None:
    i = _POSITION.get(code)
    if i is not None and i < len(ml):
        doc = ml[i]
        if doc.get("LG") == code:
            return doc
    for doc in ml[:]:
        if doc.get("LG") == code:
            return doc
    return None


_HEADING_LANG = {code: ted_codes.language(code) for code in _TED_ORDER}
"""TED's language codes → ISO 639-3, looked up once here rather than per heading."""
_TI_TEXT = kinds("TI_TEXT")


def _headings(section: etree._Element | None, original: str | None) -> dict[str, str]:
    """``TRANSLATION_SECTION`` → TED's heading by language (ISO 639-3), for the original language
    and :data:`HEADING_LANGUAGES`."""
    ml = child(section, "ML_TITLES") if section is not None else None
    if ml is None:
        return {}
    codes = (
        HEADING_LANGUAGES if not original or original in HEADING_LANGUAGES else (*HEADING_LANGUAGES, original)
    )
    titles: dict[str, str] = {}
    for code in codes:
        doc = _heading_doc(ml, code)
        if doc is None:
            continue
        # TI_TEXT is the last child as TED writes it: looked at by index, by table, not searched
        text = doc[-1] if len(doc) else None
        if text is None or not _TI_TEXT[text.tag]:
            text = child(doc, "TI_TEXT")
            if text is None:
                continue
        heading = paragraphs(text)
        if heading:
            lang = _HEADING_LANG.get(code) or ted_codes.language(code)
            if lang:
                titles[lang] = heading.replace("\n", " ")
    return titles


def _buyer_names(section: etree._Element | None) -> dict[str, str]:
    """``ML_AA_NAMES``: the buyer's name by language, for a form that names no buyer."""
    names: dict[str, str] = {}
    aa_names = child(section, "ML_AA_NAMES") if section is not None else None
    for aa in aa_names if aa_names is not None else ():
        lang = ted_codes.language(aa.get("LG"))
        if lang and (text := flat(aa)):
            names.setdefault(lang, text)
    return names


_FORM_CODES: dict[tuple[object, str | None], tuple[str | None, bool]] = {}
"""(tag, ``FORM``) → what :func:`_form_code` makes of it: a few dozen pairs in all of TED."""


def _form_code(el: etree._Element) -> tuple[str | None, bool]:
    """(legacy form, whether it is a 2014 form or MOVE, read by ``read_form``):
    ``F03_2014`` → ``F03``; R2.0.8 ``FORM="17"`` → ``F17``; ``MOVE FORM="T02"`` → ``T02``."""
    key = (el.tag, el.get("FORM"))
    found = _FORM_CODES.get(key)
    if found is None:
        found = _form_code_of(local(key[0]), key[1])
        if len(_FORM_CODES) < 1024 and len(key[1] or "") <= 8:  # bounded, whatever documents say
            _FORM_CODES[key] = found
    return found


def _form_code_of(name: str, form_attr: str | None) -> tuple[str | None, bool]:
    if name.endswith("_2014"):
        m = _FORM_2014.match(name)
        if m:
            return m.group(1), True
    form = (form_attr or "").strip().upper()
    r2014 = name == "MOVE"
    if form.isdigit():
        return f"F{int(form):02d}", r2014
    if re.fullmatch(r"[FT]\d\d", form):
        return form, r2014
    return ted_codes.R208_FORMS.get(name), r2014


def _lot_id(raw: str | None, index: int, divided: bool | None, count: int) -> str:
    """A legacy lot number as eForms writes lot ids: ``1`` → ``LOT-0001``; a procedure not
    divided into lots is ``LOT-0000``, as in eForms; an unnumbered lot gets its position."""
    if raw:
        digits = raw.strip()
        if digits.isdigit():
            return f"LOT-{int(digits):04d}"
        return digits
    if count == 1 and not divided:
        return "LOT-0000"
    return f"LOT-{index + 1:04d}"


def _earliest(refs: list[str], own: str) -> str | None:
    """The earliest publication among references other than ``own`` (by year, then number): the
    chain's first notice."""
    found = None
    for ref in refs:
        number = publication_number(ref)
        if number is None or number == own:
            continue
        if found is None or (number[-4:], number) < (found[-4:], found):
            found = number
    return found


def parse_legacy_element(root: etree._Element, *, source_name: str = "<element>") -> NoticeRecord:
    """Extract a record from a parsed ``TED_EXPORT`` root (see the module docstring)."""
    coded = _Coded()
    translation = None
    forms: list[etree._Element] = []
    for section in root[:]:
        kind = _SECTIONS[section.tag]
        if kind == 1:
            coded = _coded(section)
        elif kind == 2:
            translation = section
        elif kind == 3:
            forms = [f for f in section if _SECTIONS[f.tag] != 4]

    number = publication_number(root.get("DOC_ID")) or publication_number(coded.number)
    if number is None:
        raise IncompleteNoticeError(source_name, "no publication number (TED_EXPORT/@DOC_ID, NO_DOC_OJS)")

    primary = _primary(forms, coded.language)
    if primary is None and coded.date_pub is None:
        raise IncompleteNoticeError(
            source_name, "a TED_EXPORT document with neither a form nor coded notice data"
        )
    lang = ted_codes.language(coded.language)
    data = FormData()
    form_code = None
    languages: list[str] = []
    schema = root.get("VERSION")
    if primary is not None:
        form_lang = ted_codes.language(primary.get("LG")) or lang or "und"
        lang = lang or form_lang
        form_code, r2014 = _form_code(primary)
        (read_form if r2014 else read_r208_form)(primary, form_lang, data)
        languages.append(form_lang)
        for other in forms:
            if other is primary:
                continue
            other_lang = ted_codes.language(other.get("LG"))
            if not other_lang or other_lang in languages:
                continue
            languages.append(other_lang)
            if other_lang in TRANSLATED_TEXTS:
                reader = read_form if _form_code(other)[1] else read_r208_form
                reader(other, other_lang, data, texts_only=True)
        schema = schema or primary.get("VERSION")
    if lang and lang not in languages:
        languages.insert(0, lang)
    schema = schema or _schema_of(root)

    headings = _headings(translation, (coded.language or "").upper() or None)
    return _record(number, coded, data, form_code, lang, languages, headings, translation, schema)


def _primary(forms: list[etree._Element], lg_orig: str | None) -> etree._Element | None:
    """The original form in the original language (a notice may have originals in two languages)."""
    if len(forms) == 1:  # most notices: whatever its category and language, it is the one
        return forms[0]
    originals = [f for f in forms if (f.get("CATEGORY") or "ORIGINAL").upper() == "ORIGINAL"] or forms
    for form in originals:
        if lg_orig and (form.get("LG") or "").upper() == lg_orig.upper():
            return form
    return originals[0] if originals else None


def _schema_of(root: etree._Element) -> str | None:
    m = _SCHEMA.search(root.tag if isinstance(root.tag, str) else "")
    return m.group(0) if m else None


def _record(
    number: str,
    coded: _Coded,
    data: FormData,
    form_code: str | None,
    lang: str | None,
    languages: list[str],
    headings: dict[str, str],
    translation: etree._Element | None,
    schema: str | None,
) -> NoticeRecord:
    title = data.title  # the form's own dict: FormData is not used after this
    for heading_lang, heading in headings.items():
        title.setdefault(heading_lang, heading)
    national: dict[str, object] = {}
    if lang and lang in headings:
        national["ted:heading"] = {lang: headings[lang]}

    refs = coded.references + data.references if data.references else coded.references
    first = _earliest(refs, number) if refs else None  # most notices refer to none
    procedure_id = legacy_procedure_id(first or number)

    notice_type, form_type = ted_codes.notice_and_form_type(form_code, data.notice_type, coded.document_type)
    change = None
    if form_type == "change":
        changed = publication_number(data.references[0]) if data.references else first
        if changed:
            change = Change(
                changed_notice=changed, reasons=data.change_reasons, descriptions=data.change_texts
            )

    procedure_type = data.procedure_type or ted_codes.PROCEDURE_CODE.get(coded.procedure or "")
    signals: dict[str, set[str]] = {}
    if procedure_type:
        signals["BT-105"] = {procedure_type}
    if data.justifications:
        signals["BT-136"] = set(data.justifications)

    when = data.deadline_day
    clock = data.deadline_clock
    coded_deadline = coded.deadline if when is None else None
    if coded_deadline:
        when = compact_date(coded_deadline)
        clock = coded_deadline[8:] or None
    country_alpha2 = coded.country or _buyer_country_alpha2(data)
    due = deadline(when, clock, country_alpha2)

    lots = _lots(data, due, signals)
    buyers = _buyers(data, coded, translation, lang)
    cpv_main = data.cpv_main or (coded.cpv[0] if coded.cpv else None)
    legal_basis = (
        data.legal_basis
        or ted_codes.LEGAL_BASIS.get(coded.directive or "")
        or ("32009L0081" if form_code in ("F16", "F17", "F18", "F19") else None)
    )
    return _new_record(
        notice_id=None,
        version=None,
        procedure_id=procedure_id,
        publication_number=number,
        publication_date=coded.date_pub,
        subtype=form_code,
        notice_type=notice_type,
        form_type=form_type,
        language=lang,
        title=title,
        description=data.description,
        additional_info=data.additional_info,
        buyers=buyers,
        procedure_type=procedure_type,
        main_nature=data.nature or ted_codes.CONTRACT_NATURE.get(coded.nature or ""),
        legal_basis=legal_basis,
        cpv_main=cpv_main,
        cpv_additional=[c for c in data.cpv_additional if c != cpv_main],
        place_nuts=coded.nuts or data.nuts,
        estimated_value=data.value or coded.value,
        deadline=due,
        lots=lots,
        changes=change,
        awards=_awards(data, lots),
        signals={k: sorted(signals[k]) for k in sorted(signals)},
        documents_url=data.documents_url,
        issue_date=coded.dispatch,
        sdk_version=schema,
        languages=languages,
        national=national,
    )


def _buyer_country_alpha2(data: FormData) -> str | None:
    if not data.buyers or not data.buyers[0].country:
        return None
    return ted_codes.COUNTRY_ALPHA2.get(data.buyers[0].country)


def _buyers(
    data: FormData, coded: _Coded, translation: etree._Element | None, lang: str | None
) -> list[Buyer]:
    """The form's buyers (R2.0.8 forms name BT-11/BT-10 after the address); TED's coded name and
    country when a form has none."""
    if data.buyers:
        if data.legal_type is None and data.activity is None:
            return data.buyers
        return [
            _new_buyer(
                b.name,
                b.org_id,
                b.country,
                b.city,
                b.nuts,
                b.legal_type or data.legal_type,
                b.activity or data.activity,
            )
            for b in data.buyers
        ]
    names = _buyer_names(translation)
    name = (names.get(lang) if lang else None) or next(iter(names.values()), None)
    if not name:
        return []
    return [Buyer(name=name, country=ted_codes.country(coded.country), legal_type=data.legal_type)]


def _lots(data: FormData, due: datetime | None, signals: dict[str, set[str]]) -> list[Lot]:
    lots: list[Lot] = []
    seen: set[str] = set()
    count = len(data.lots)
    url = data.documents_url
    for i, lot in enumerate(data.lots):
        lot_id = _lot_id(lot.lot_no, i, data.divided, count)
        if lot_id in seen:
            lot_id = f"{lot_id}-{i + 1}"
        seen.add(lot_id)
        for key, codes in lot.signals.items():
            codes.sort()  # in place: built for this lot alone
            signals.setdefault(key, set()).update(codes)
        lots.append(
            _new_lot(
                lot_id,
                lot.title,
                lot.description,
                lot.additional_info,
                lot.cpv_main,
                lot.cpv_additional,
                lot.nuts,
                due,
                lot.value,
                url,
                lot.signals,
            )
        )
    return lots


def _awards(data: FormData, lots: list[Lot]) -> list[Award]:
    single = lots[0].lot_id if len(lots) == 1 else None
    out = []
    for award in data.awards:
        lot_id = _lot_id(award.lot_no, 0, True, 2) if award.lot_no else single
        value = award.value if award.winners else None
        out.append(_new_award(lot_id, award.status, award.winners, value))
    return out
