"""Normalising and tokenising notice text, keeping character offsets and clause numbers.

Offsets are kept so every hit can show the words around it (the reviewer must see *why*),
and clause numbers so negation and vetoes never leak across a sentence or comma.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

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


class Tokens:
    """The tokens of one lower-cased text: surface (lower case), start, end and clause number of each.

    Surfaces come from one ``findall`` pass, which runs in C; offsets and clause numbers are worked
    out on first use. Most texts contain no keyword, and then nothing but the surfaces is read: a
    per-token Python loop for offsets and clauses was the largest single cost of classification.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        """The lower-cased text the offsets refer to."""
        self.surfaces: list[str] = TOKEN_RE.findall(text)

    @functools.cached_property
    def _spans(self) -> list[tuple[int, int]]:
        # The same regex as ``surfaces`` over the same text: the k-th span is the k-th surface's.
        return [m.span() for m in TOKEN_RE.finditer(self.text)]

    @functools.cached_property
    def starts(self) -> list[int]:
        return [a for a, _ in self._spans]

    @functools.cached_property
    def ends(self) -> list[int]:
        return [b for _, b in self._spans]

    @functools.cached_property
    def _clause_starts(self) -> list[int]:
        return [m.start() for m in CLAUSE_RE.finditer(self.text)]

    def clause(self, k: int) -> int:
        """The clause number of token ``k``: how many clause boundaries come before it.

        No boundary character can be part of a token, so counting boundaries by position gives
        the same numbers as one left-to-right scan over tokens and boundaries.
        """
        return bisect.bisect_left(self._clause_starts, self.starts[k])


def tokenise(low: str) -> Tokens:
    """Split lower-cased ``low`` into tokens (see :class:`Tokens`)."""
    return Tokens(low)


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
