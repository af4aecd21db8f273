"""What notice data may become on its way out: a link, a header line, a spreadsheet cell.

Notices come from the internet, so any field can hold anything. These helpers are the one
place that decides, for emails, reports and web pages alike:

- :func:`safe_url`: only ``http`` and ``https`` (and ``mailto`` where an address is meant)
  become links; a ``javascript:`` or ``data:`` document URL is dropped, not linked;
- :func:`header_safe`: one line of plain text for a mail header, without control
  characters, line breaks or bidirectional overrides (a right-to-left override in a
  Subject makes ``gpj.exe`` read as ``exe.jpg``);
- :func:`csv_cell`: a text cell a spreadsheet shows as text instead of running it as a
  formula (``=HYPERLINK(...)``), and :func:`csv_uncell` to read our own export back.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SUBJECT_MAX = 150
LINK_SCHEMES = frozenset({"http", "https"})

# Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
# the marks (U+200E, U+200F, U+061C). Invisible, and they reorder what a reader sees.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}]+")
# Nothing a real URL needs (spaces are %20): browsers silently drop tabs and newlines inside a
# URL, so "java\nscript:" would run as javascript: if it reached an href.
_NOT_IN_URL = re.compile(f"[\\s\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_url(value: object, *, mailto: bool = False) -> str | None:
    """``value`` when it may be a link: ``http``/``https`` with a host (``mailto:`` with an
    address too, when ``mailto``); otherwise None, and the caller shows no link."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _NOT_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
    scheme = parts.scheme.lower()
    if scheme in LINK_SCHEMES:
        return url if host else None
    if mailto and scheme == "mailto":
        return url if "@" in parts.path else None
    return None


def header_safe(value: str, limit: int = SUBJECT_MAX) -> str:
    """One line of plain text: control characters, line breaks and bidi controls removed,
    spaces collapsed, at most ``limit`` characters."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def csv_cell(value: str) -> str:
    """A text cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a
    leading ``'``, which spreadsheets show as text; plain numbers such as ``-2.5`` stay as
    they are, since they are data and run nothing."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_uncell(value: str) -> str:
    """The value :func:`csv_cell` was given, so an export reads back unchanged."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value
