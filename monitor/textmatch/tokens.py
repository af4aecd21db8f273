"""Normalising and tokenising notice text, keeping character offsets and clause numbers.

Offsets are kept so every hit can show the words around it (the reviewer must see *why*),
and clause numbers so negation and vetoes never leak across a sentence or comma.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A token: word characters and '&' (t&k, r&d), hyphen-joined parts (t&k-palvelu, co-design),
# and a trailing hyphen kept when a compound is split before "ja"/"och"/"and": "tutkimus- ja".
TOKEN_RE = re.compile(r"\w[\w&]*(?:[-'’]\w[\w&]*)*(?:-(?=\s))?")
# Clause boundaries. The comma counts too: "uusi ratkaisu, jota ei vielä ole" must not negate.
CLAUSE_RE = re.compile(r"[.;:!?,()\n\u2022]+")


def normalise(text: str) -> str:
    """NFKC, so ligatures and full-width forms compare equal; length-preserving lower() is separate."""
    return unicodedata.normalize("NFKC", text)


def lower_same_length(text: str) -> str:
    """Lower-case without changing any offset (a few letters, e.g. 'İ', lengthen when lowered)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass(frozen=True, slots=True)
class Tokens:
    """Parallel lists: surface (lower-case), start, end and clause number of each token."""

    text: str
    """The lower-cased text the offsets refer to."""
    surfaces: list[str]
    starts: list[int]
    ends: list[int]
    clauses: list[int]
    clause_spans: list[tuple[int, int]]


_SCAN_RE = re.compile(f"(?P<t>{TOKEN_RE.pattern})|(?P<b>{CLAUSE_RE.pattern})")


def tokenise(low: str) -> Tokens:
    """Split lower-cased ``low`` into tokens and clauses, in one regex pass."""
    surfaces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    clauses: list[int] = []
    clause_spans: list[tuple[int, int]] = []
    clause = 0
    clause_start = 0
    for m in _SCAN_RE.finditer(low):
        if m.lastgroup == "t":
            surfaces.append(m.group())
            starts.append(m.start())
            ends.append(m.end())
            clauses.append(clause)
        else:
            clause_spans.append((clause_start, m.start()))
            clause_start = m.end()
            clause += 1
    clause_spans.append((clause_start, len(low)))
    return Tokens(low, surfaces, starts, ends, clauses, clause_spans)


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A keyword phrase as the tokens the text tokeniser would produce (not lemmatised)."""
    return tuple(m.group() for m in TOKEN_RE.finditer(lower_same_length(normalise(phrase))))


def snippet(text: str, start: int, end: int, width: int = 60) -> str:
    """``width`` characters either side of a span, on word boundaries, one line."""
    a = max(0, start - width)
    b = min(len(text), end + width)
    if a > 0:
        space = text.find(" ", a, start)
        a = space + 1 if space != -1 else a
    if b < len(text):
        space = text.rfind(" ", end, b)
        b = space if space != -1 else b
    out = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + out + ("…" if b < len(text) else "")
