"""Subscription keywords, matched with the classifier's fi/sv/en matcher (``monitor.textmatch``).

One :class:`~monitor.textmatch.KeywordMatcher` holds every keyword and exclusion of every
subscription, each registered in Finnish, Swedish and English (subscribers type words, not
languages). The matcher indexes token forms to terms, so one pass over a notice finds every
present term however many subscriptions there are; the subscription index then maps terms
to subscriptions. Same syntax as the innovation rules: ``tekoäly`` (base form, also inside
compounds), ``innovaatiokumppanuu*`` (prefix), ``"market dialogue"`` (phrase), ``/\\bPCP\\b/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.textmatch import KeywordMatcher

KEYWORD_LANGS = ("fin", "swe", "eng")


@dataclass(frozen=True, slots=True)
class FieldText:
    field: str
    """``title``, ``description``, ``lot 2 title`` …"""
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class TermHit:
    term: str
    field: str
    lang: str
    matched: str
    """The text as written in the notice."""


class TermIndex:
    """Every subscription keyword, compiled once."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = sorted(set(terms))
        self.matcher = (
            KeywordMatcher.from_terms({lang: self.terms for lang in KEYWORD_LANGS}) if self.terms else None
        )

    def find_all(self, texts: Sequence[FieldText]) -> dict[str, list[TermHit]]:
        """Term → its hits in ``texts`` (first hit per field and language: enough to explain)."""
        out: dict[str, list[TermHit]] = {}
        if self.matcher is None:
            return out
        seen: set[tuple[str, str, str]] = set()
        unique: dict[tuple[str, str], FieldText] = {}
        for t in texts:  # a lot often repeats the notice's title: match each text once
            unique.setdefault((t.lang, t.text), t)
        for h in self.matcher.match((t.field, t.lang, t.text) for t in unique.values()).hits:
            key = (h.term_id, h.field, h.lang)
            if key in seen:
                continue
            seen.add(key)
            out.setdefault(h.term_id, []).append(TermHit(h.term_id, h.field, h.lang, h.matched))
        return out
