"""The set of forms a text token can match: its surface and its lemma(s).

Finnish and Swedish inflect and compound heavily, so "innovaatiokumppanuuden" must meet the
keyword "innovaatiokumppanuus". simplemma measured best of the pure-pip lemmatisers on
Finnish (40/40 forms, docs/innovation.md#finnish-and-swedish-morphology); for Swedish its
greedy mode handles compounds ("marknadsdialogen" → "marknadsdialog"), and the Snowball stem
covers the rest.

Only TEXT tokens are lemmatised. Keywords are curated base forms and are never lemmatised:
simplemma cuts some compounds to their first element (testialusta → testi), and a lemmatised
keyword would then match far too much.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import simplemma
import snowballstemmer

LANGS = ("fin", "swe", "eng")
"""Languages with keyword support. Text in other languages is matched on its surface only."""

ISO1_TO_3 = {"fi": "fin", "sv": "swe", "en": "eng"}

_lock = threading.Lock()


def _simplemma(code: str, greedy: bool = False) -> Callable[[str], str]:
    def lemma(token: str) -> str:
        return simplemma.lemmatize(token, lang=code, greedy=greedy)

    return lemma


def _snowball(name: str) -> Callable[[str], str]:
    stemmer = snowballstemmer.stemmer(name)
    return stemmer.stemWord


class Morphology:
    """Per-language token → forms, cached; one instance per process is enough (see :func:`get`)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._lemmatisers: list[Callable[[str], str]] = []
        if lang == "fin":
            self._lemmatisers = [_simplemma("fi")]
        elif lang == "swe":
            self._lemmatisers = [_simplemma("sv", greedy=True), _snowball("swedish")]
        elif lang == "eng":
            self._lemmatisers = [_simplemma("en")]
        self._cache: dict[str, tuple[str, ...]] = {}

    def forms(self, token: str) -> tuple[str, ...]:
        """``token`` (lower case) and its lemmas, surface first, without duplicates."""
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        out = [token]
        base = token[:-1] if token.endswith("-") else token
        if base != token:
            out.append(base)
        if any(c.isalpha() for c in base):
            for lemmatise in self._lemmatisers:
                lemma = lemmatise(base).lower()
                if lemma not in out and not self._truncated(base, lemma):
                    out.append(lemma)
        result = tuple(out)
        if len(self._cache) > 500_000:  # bound memory in a long-running service
            self._cache.clear()
        self._cache[token] = result
        return result

    def _truncated(self, surface: str, lemma: str) -> bool:
        """True when the lemmatiser cut a compound to its first part (innovaatiotalo → innovaatio).

        Such a lemma would make a modifier count like the whole word; the compound rule in the
        matcher scores modifiers itself, at reduced weight.
        """
        if self.lang != "fin" or len(lemma) >= len(surface) or not surface.startswith(lemma):
            return False
        rest = surface[len(lemma) :]
        return len(rest) >= 3 and simplemma.is_known(rest, lang="fi")


_instances: dict[str, Morphology] = {}


def get(lang: str) -> Morphology:
    """The process-wide :class:`Morphology` for ``lang`` (ISO 639-3); loads simplemma data once."""
    m = _instances.get(lang)
    if m is None:
        with _lock:
            m = _instances.get(lang) or Morphology(lang)
            _instances[lang] = m
    return m
