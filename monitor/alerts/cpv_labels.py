"""CPV 2008 labels in English and Finnish (all 9,454 codes), for emails and the web's CPV picker.

The table (``data/cpv.tsv.gz``: code, English, Finnish) was extracted from the eForms SDK 1.15.1
translations (``translations/code_en.xml``, ``code_fi.xml``; © European Union, CC BY 4.0) with
:func:`build_table`. Swedish labels are not in the files we have: Swedish readers see the English
label. The hierarchy is the code itself: trailing zeros mark the level (``72000000`` division,
``72200000`` group, ``72210000`` class …), see :func:`parent`.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "cpv.tsv.gz"
LANGS = ("en", "fi")


@cache
def table() -> dict[str, tuple[str, str]]:
    """Code (8 digits) → (English label, Finnish label), read once per process."""
    out: dict[str, tuple[str, str]] = {}
    with gzip.open(TABLE, "rt", encoding="utf-8") as fh:
        for line in fh:
            code, en, fi = line.rstrip("\n").split("\t")
            out[code] = (en, fi)
    return out


def cpv_label(code: str, lang: str) -> str:
    """The label of a code in ``lang`` (fi, or en for en and sv); its division's when the code is unknown."""
    code = code[:8]
    labels = table().get(code) or table().get(code[:2] + "000000")
    if labels is None:
        return ""
    return labels[1] if lang == "fi" and labels[1] else labels[0]


def parent(code: str) -> str | None:
    """The code one level up (``72212000`` → ``72210000``); None for a division."""
    digits = code[:8].rstrip("0")
    if len(digits) <= 2:
        return None
    return (digits[:-1] if len(digits) > 3 else digits[:2]).ljust(8, "0")


def ancestors(code: str) -> list[str]:
    """The codes above ``code``, division first, that the table knows."""
    out: list[str] = []
    p = parent(code)
    while p is not None:
        if p in table():
            out.append(p)
        p = parent(p)
    return out[::-1]


def build_table(labels_dir: Path, out: Path = TABLE) -> int:
    """Write ``out`` from the SDK's ``code_en.xml`` and ``code_fi.xml``; return the number of codes."""
    pattern = re.compile(r'<entry key="code\|name\|cpv\.(\d{8})">([^<]*)</entry>')

    def read(lang: str) -> dict[str, str]:
        text = (labels_dir / f"code_{lang}.xml").read_text(encoding="utf-8")
        return {c: _unescape(v) for c, v in pattern.findall(text)}

    en, fi = read("en"), read("fi")
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for code in sorted(en):
            fh.write(f"{code}\t{en[code]}\t{fi.get(code, '')}\n")
    return len(en)


def _unescape(text: str) -> str:
    import html

    return " ".join(html.unescape(text).split())
