"""The index terms of a notice and of a query, from the keyword matcher's own tokens and lemmas.

A notice is indexed by the forms of its words, exactly as :class:`~monitor.textmatch.KeywordMatcher`
sees them (surface and lemmas, per the text's language), and by the same forms reversed. A query
word then finds what the matcher would (``docs/innovation.md#finnish-and-swedish-morphology``):

- as a form (``tekoälyn`` has the form ``tekoäly``): the word equals a form;
- as the start of a compound (``tekoälypilotti`` for ``tekoäly``): a form begins with the word;
- as the head of a compound (``tekoälypilotti`` for ``pilotti``): a form ends with the word,
  which is a prefix look-up on the reversed forms.

Like the matcher, only words of at least ``MIN_COMPOUND`` letters are looked for inside
compounds. The index is a sound pre-filter: the matcher itself then says what matched where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.record import NoticeRecord
from monitor.matching.facts import texts_of
from monitor.textmatch import morphology
from monitor.textmatch.tokens import lower_same_length, normalise, phrase_words, tokenise

MIN_COMPOUND = 5
"""The matcher's ``min_compound_len``: shorter words only match whole forms."""
_NOT_WORD = re.compile(r"[\W_]+")
MAX_TERM = 60
"""Longer "words" (URLs, identifiers run together) are not worth indexing."""


def index_term(form: str) -> str:
    """A form as stored in the index: letters and digits only (``t&k-palvelu`` → ``tkpalvelu``)."""
    return _NOT_WORD.sub("", form)


def text_forms(lang: str, text: str) -> set[str]:
    """The index terms of one text in one language (ISO 639-3 or 639-1)."""
    code = morphology.ISO1_TO_3.get(lang, lang)
    morph = morphology.get(code) if code in morphology.LANGS else None
    out: set[str] = set()
    for surface in set(tokenise(lower_same_length(normalise(text))).surfaces):
        for form in morph.forms(surface) if morph is not None else (surface,):
            term = index_term(form)
            if 1 < len(term) <= MAX_TERM:
                out.add(term)
    return out


def notice_terms(record: NoticeRecord) -> set[str]:
    """Every index term of a notice's title, description, additional information and lots."""
    out: set[str] = set()
    for t in texts_of(record):
        out |= text_forms(t.lang, t.text)
    return out


@dataclass(frozen=True)
class QueryWord:
    """One word of a query and how the index is asked for it."""

    word: str
    """The word as the matcher takes it (lower case, normalised)."""
    term: str
    """``index_term(word)``."""
    inside: bool
    """Also look inside compounds (prefix of a form, prefix of a reversed form)."""
    prefix: bool = False
    """The user wrote ``word*``: any form that begins so."""

    @property
    def reversed(self) -> str:
        return self.term[::-1]


def query_words(text: str) -> list[QueryWord]:
    """The words of a search box: plain words, ``"phrases"`` (each word must occur) and ``stem*``."""
    out: list[QueryWord] = []
    seen: set[tuple[str, bool]] = set()
    for raw in re.findall(r'"[^"]*"|\S+', text or ""):
        stem = raw.endswith("*") and not raw.startswith('"')
        for w in phrase_words(raw.strip('"*')):
            term = index_term(w)
            if len(term) < 2 or (term, stem) in seen:
                continue
            seen.add((term, stem))
            out.append(QueryWord(w, term, inside=len(term) >= MIN_COMPOUND and not stem, prefix=stem))
    return out


def keyword_terms(text: str) -> list[str]:
    """The query as keyword-matcher terms (phrases kept whole, ``stem*`` as a prefix term), to
    highlight and explain what matched."""
    terms: list[str] = []
    for raw in re.findall(r'"[^"]*"|\S+', text or ""):
        term = raw.strip('"').strip()
        if term and len(index_term(term)) >= 2 and term not in terms:
            terms.append(term)
    return terms
