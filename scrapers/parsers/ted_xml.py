"""Small readers shared by the legacy TED parser's modules: names, texts, dates, amounts.

Legacy TED XML comes in four namespaces for the same vocabulary (R2.0.8, R2.0.9 and its
S01/S02 releases, each with its own NUTS namespace), so everything here works on local
element names, looked up once per distinct tag in :data:`_LOCAL`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timezone
from functools import lru_cache
from typing import Any, TypeVar

from lxml import etree

from db.record import Money
from scrapers.parsers import ted_codes

_R = TypeVar("_R")


def record_builder(cls: type[_R]) -> Callable[..., _R]:
    """A constructor for one of ``db.record``'s frozen, slotted dataclasses that takes every field
    (positionally or by name, none defaulted) and fills the slots directly.

    Why: a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (a
    type lookup per field) to get past its own read-only ``__setattr__``; the slot descriptors'
    ``__set__``, bound once here, skip that lookup. A NoticeRecord is built in 1.5 µs instead of
    3.2, a Lot in 0.6 instead of 1.2; frozen construction was ~7 % of a generated notice's
    extraction. The object is the same class with the same field values, so records do not
    change. Only for classes whose ``__init__`` does nothing else (checked here): no
    ``__post_init__``, no ``InitVar``s.
    """
    params = getattr(cls, "__dataclass_params__", None)
    plain = params is not None and params.frozen and "__slots__" in cls.__dict__
    if not plain or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a plain frozen, slotted dataclass")
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def build({', '.join(names)}):", "    obj = _new(_cls)"]
    for i, name in enumerate(names):
        namespace[f"_set{i}"] = cls.__dict__[name].__set__
        lines.append(f"    _set{i}(obj, {name})")
    lines.append("    return obj")
    exec("\n".join(lines), namespace)  # as dataclasses builds __init__: a function per class
    build: Callable[..., _R] = namespace["build"]
    build.__qualname__ = f"record_builder.<{cls.__name__}>"
    return build


_LOCAL: dict[str, str] = {}
_LOCAL_LIMIT = 4096  # distinct tags seen; a hostile document cannot grow the cache past this


def local(tag: object) -> str:
    """Local name of a Clark tag, cached: one dict lookup per element instead of a string split."""
    name = _LOCAL.get(tag)  # type: ignore[call-overload]
    if name is None:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL) < _LOCAL_LIMIT:
            _LOCAL[tag] = name  # type: ignore[index]
    return name


class Kinds(dict[Any, int]):  # keyed by element tags, which lxml types as str | bytes | QName
    """Clark tag → a small number naming what a reader does with that element (0: nothing).

    Built from local names and filled as tags are met, so each reader dispatches on one C-level
    dict lookup per child, in any of the schema namespaces: ``kind = KINDS[child.tag]``.
    """

    def __init__(self, names: dict[str, int], prefixes: tuple[tuple[str, int], ...] = ()) -> None:
        super().__init__()
        self.names = names
        self.prefixes = prefixes

    def __missing__(self, tag: object) -> int:
        name = local(tag)
        kind = self.names.get(name)
        if kind is None:
            kind = next((k for prefix, k in self.prefixes if name.startswith(prefix)), 0)
        if len(self) < _LOCAL_LIMIT:
            self[tag] = kind
        return kind


def kinds(*names: str, prefixes: tuple[tuple[str, int], ...] = ()) -> Kinds:
    """``kinds("TITLE", "LOT_NO")`` → TITLE is 1, LOT_NO 2, anything else 0. ``prefixes`` name
    families of elements (``(("PT_", 3),)``: every ``PT_…`` is 3), tried in order after the names."""
    return Kinds({name: i for i, name in enumerate(names, start=1)}, prefixes)


def attr(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    value = el.get(name)
    return (value.strip() or None) if value else None


def norm(text: str) -> str:
    """Whitespace runs collapsed to one space, ends trimmed. Most texts need only the trim, and
    looking for a run is cheaper than splitting and joining every one (a third of the texts'
    cost): pretty-printed files wrap long paragraphs, single-line ones do not."""
    text = text.strip()
    if "\n" in text or "  " in text or "\xa0" in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text


def flat(el: etree._Element) -> str:
    """All text under ``el`` (``<FT>`` formatting included), whitespace normalised.

    The common case, a leaf, reads ``.text`` directly: ``itertext()`` builds an iterator and a
    generator per call, and texts are most of what this parser reads."""
    text = el.text if not len(el) else "".join(el.itertext())
    if not text:
        return ""
    text = text.strip()  # norm() inlined, here and in paragraphs(): see there
    if "\n" in text or "  " in text or "\xa0" in text or "\t" in text or "\r" in text:
        return " ".join(text.split())
    return text


def paragraphs(el: etree._Element) -> str | None:
    """A legacy text block: its paragraphs (``<P>``), one per line; its own text when it has none."""
    count = len(el)
    if count <= 1:  # no paragraph, or one: no list to build and join (most blocks)
        p = el[0] if count else el
        text = "".join(p.itertext()) if len(p) else p.text
        if not text:
            return None
        # norm() inlined (here, below and in flat()): texts are read 25 times a notice, and the
        # call was 3 % of a generated notice's extraction.
        text = text.strip()
        if "\n" in text or "  " in text or "\xa0" in text or "\t" in text or "\r" in text:
            text = " ".join(text.split())
        return text or None
    parts = []
    for p in el[:]:
        text = "".join(p.itertext()) if len(p) else p.text
        if text:
            text = text.strip()
            if "\n" in text or "  " in text or "\xa0" in text or "\t" in text or "\r" in text:
                text = " ".join(text.split())
            if text:
                parts.append(text)
    return "\n".join(parts) or None


def add_text(texts: dict[str, str], lang: str, el: etree._Element) -> None:
    """Add a text block in ``lang``; a second block in the same language joins after a blank line."""
    text = paragraphs(el)
    if text:
        texts[lang] = f"{texts[lang]}\n\n{text}" if lang in texts else text


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    """The first child with local name ``name``."""
    if el is None:
        return None
    for sub in el:  # an iterator, not el[:]: the wanted child is usually first or second
        if local(sub.tag) == name:
            return sub
    return None


def child_text(el: etree._Element | None, name: str) -> str | None:
    found = child(el, name)
    if found is None:
        return None
    value = found.text
    return (value.strip() or None) if value else None


# ----------------------------------------------------------------------------------- numbers
_OJS = re.compile(r"(\d{4})\s*/\s*S\s*\d*\s*-\s*0*(\d{1,8})\b")
_PLAIN = re.compile(r"^\s*0*(\d{1,8})\s*[-_]\s*(\d{4})\s*$")


def publication_number(value: str | None) -> str | None:
    """``2019/S 166-405809`` or ``405809-2019`` → ``00405809-2019``: eForms' spelling of OPP-010
    (eight digits, zero-padded), so legacy and eForms records write TED numbers alike."""
    if not value:
        return None
    # DOC_ID as TED writes it (``000001-2021``, ASCII digits) without the regex engine: what
    # _PLAIN matches, read by slicing.
    if value[-5:-4] == "-" and value.isascii():
        digits, year = value[:-5], value[-4:]
        if digits.isdigit() and year.isdigit() and len(digits.lstrip("0")) <= 8:
            return f"{int(digits):08d}-{year}"
    m = _PLAIN.match(value)  # DOC_ID's form first: anchored, so a miss costs nothing
    if m:
        return f"{int(m.group(1)):08d}-{m.group(2)}"
    m = _OJS.search(value)
    return f"{int(m.group(2)):08d}-{m.group(1)}" if m else None


_CACHED_TEXT = 32
"""The longest text a cache below keeps as a key: dates and clocks are short, and a hostile
document's megabyte of text must not stay in memory after it."""

_DATES: dict[str, date | None] = {}
"""Dates as written → date: a day's notices repeat the same few (publication, dispatch,
deadlines), and a lookup is a fifth of parsing one (0.12 µs against 0.6 µs)."""


def compact_date(value: str | None) -> date | None:
    """``20210104`` (coded section) or ``2021-01-04`` (forms) → date; anything else → None."""
    if not value:
        return None
    if value in _DATES:
        return _DATES[value]
    found = _compact_date(value)
    if len(value) <= _CACHED_TEXT:  # a hostile document's huge "date" is not kept
        if len(_DATES) >= _LOCAL_LIMIT:  # a backfill moves through the years: start afresh
            _DATES.clear()
        _DATES[value] = found
    return found


def _compact_date(value: str) -> date | None:
    value = value.strip()
    try:
        if len(value) >= 8 and value[:8].isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


_CLOCK = re.compile(r"(\d{1,2})[:.h](\d{2})")


@lru_cache(maxsize=256)
def _offset(zone_country: str, day: date, hour: int, minute: int) -> timezone:
    """The fixed UTC offset the country's local time had then (records keep fixed offsets, as
    eForms does, so a round trip through JSON gives the same datetime back)."""
    local_time = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ted_codes.zone(zone_country))
    offset = local_time.utcoffset()
    return UTC if not offset else timezone(offset)


def deadline(day: date | None, clock: str | None, country_code: str | None) -> datetime | None:
    """A legacy deadline: a date and an optional ``HH:MM`` in the buyer's local time (the forms
    give no offset). Without a time it is 23:59:59 that day, as the eForms parser reads it."""
    if day is None:
        return None
    key = (day, clock, country_code)
    found = _DEADLINES.get(key)
    if found is None:
        found = _deadline(day, clock, country_code)
        if len(clock or "") + len(country_code or "") <= _CACHED_TEXT:
            if len(_DEADLINES) >= _LOCAL_LIMIT:
                _DEADLINES.clear()
            _DEADLINES[key] = found
    return found


_DEADLINES: dict[tuple[date, str | None, str | None], datetime] = {}
"""(day, clock, country) → deadline: a day's notices share most deadlines (a quarter are new in
a generated day), and a lookup costs a fifth of reading the clock and finding the offset."""


def _deadline(day: date, clock: str | None, country_code: str | None) -> datetime:
    m = _CLOCK.search(clock) if clock else None
    hour, minute, second = (int(m.group(1)), int(m.group(2)), 0) if m else (23, 59, 59)
    if hour > 23 or minute > 59:
        hour, minute, second = 23, 59, 59
    tz = _offset(country_code or "", day, hour, minute)
    return datetime.combine(day, time(hour, minute, second), tz)


def amount(text: str | None) -> float | None:
    """``150421727.00``, ``1 640 000`` or ``189 945 844,15`` → float; None when it is no number."""
    if not text:
        return None
    plain = text.strip()
    if plain.isascii() and plain.replace(".", "", 1).isdigit():  # 841000.00: nothing to clean
        return float(plain)
    value = "".join(text.split()).replace("\u202f", "").replace("\xa0", "").replace("'", "")
    if "," in value and "." in value:
        value = value.replace(".", "").replace(",", ".")
    elif "," in value:
        value = value.replace(",", ".")
    elif value.count(".") > 1:
        value = value.replace(".", "")
    try:
        return float(value)
    except ValueError:
        return None


_money = record_builder(Money)


def money(el: etree._Element | None, currency: str | None = None) -> Money | None:
    """An amount element (``VAL_TOTAL CURRENCY="EUR"``, R2.0.8 ``VALUE_COST FMTVAL=…``) → Money."""
    if el is None:
        return None
    number = amount(el.get("FMTVAL"))
    if number is None:
        number = amount(el.text)
    if number is None:
        return None
    return _money(number, (el.get("CURRENCY") or currency or "EUR").strip().upper())
