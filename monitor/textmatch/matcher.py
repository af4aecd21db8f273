"""A fi/sv/en keyword matcher that understands inflection, compounds, exclusions and negation.

Used by the innovation classifier and by subscription matching (subscribers' keywords), so it
knows nothing of weights or labels: it reports *where* each term matched and *how*, and which
matches it dropped and why.

How a term matches (per language; text is matched only against terms of its own language):

- ``lemma`` phrases: a run of consecutive tokens where each keyword word is among that
  token's forms (surface or lemma, see :mod:`morphology`).
- ``stems``: prefixes of the lower-cased surface ("innovaatiokumppanuu" catches every case
  form); a stem with spaces is a run of token prefixes ("kilpailulli neuvottelumenettel").
- ``regex``: searched in the text (case-insensitive) after exclusions are blanked out.
- ``compound``: a single-word keyword also matches inside a compound. As the head (last part:
  tekoälypilotti) it is a full match; as a modifier (pilottilupa) it is a partial match
  (``factor`` 0.5) unless the rest is a project-like head (pilottihanke).

Exclusion spans (organisation names, boilerplate) are blanked out before anything else and
reported. A hit with a negation cue in the same clause (within a token window) is dropped,
as is a hit whose clause matches one of the term's veto regexes.

Results come in one canonical order (text by text; hits by position, then term id; dropped hits
term by term), so a term's results never depend on which other terms the matcher holds. That is
what lets ``rules preview`` reuse stored results: :meth:`KeywordMatcher.delta_from` tells which
terms of an edited matcher still find what they found before, and :meth:`KeywordMatcher.might_match`
is the cheap, sound pre-check of where the edited words could find anything at all.
"""

from __future__ import annotations

import bisect
import functools
import re
import re._constants as re_constants
import re._parser as re_parser
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import monitor.textmatch.morphology as morphology
from monitor.textmatch.tokens import Tokens, lower_same_length, normalise, phrase_words, snippet, tokenise

FULL = 1.0
MODIFIER = 0.5
_SEPARATOR = ".\x00."
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")


@dataclass(frozen=True)
class Term:
    """One concept in one language. ``id`` is what a hit reports (e.g. a signal id or a keyword)."""

    id: str
    lang: str
    lemma: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    compound: bool = False
    negation: str = "drop"
    """``drop``: a negated hit is dropped; ``ignore``: the phrase is negative by construction."""
    vetoes: tuple[str, ...] = ()
    """Regexes: a hit whose clause matches one is dropped."""


@dataclass(frozen=True, slots=True)
class Hit:
    term_id: str
    lang: str
    field: str
    matched: str
    """The matched text as written (original case)."""
    snippet: str
    start: int
    end: int
    how: str
    """lemma, stem, regex, compound-head, compound-modifier, compound-modifier+head."""
    factor: float = FULL
    """1.0 for a full match, 0.5 for a compound modifier."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Dropped:
    hit: Hit
    why: str


@dataclass(frozen=True, slots=True)
class Excluded:
    rule: str
    field: str
    lang: str
    text: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Matches:
    hits: list[Hit] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


_Analysis = tuple[
    tuple[str, ...],  # the token's forms
    tuple[tuple[int, str, float], ...],  # single-token hits: term, how, factor
    tuple[tuple[int, tuple[str, ...], bool], ...],  # phrases starting here: term, rest of phrase, is stem
]
"""Everything about one distinct token that does not depend on its neighbours; cached per language."""


@dataclass
class _Compiled:
    """Per-language indexes, so matching costs O(tokens), not O(tokens × keywords)."""

    single: dict[str, list[int]] = field(default_factory=dict)  # form → term indexes
    phrases: dict[str, list[tuple[int, tuple[str, ...]]]] = field(default_factory=dict)  # first word → …
    stems: dict[str, list[int]] = field(default_factory=dict)  # single-word stem → terms
    stem_phrases: dict[str, list[tuple[int, tuple[str, ...]]]] = field(default_factory=dict)
    compound_words: dict[str, list[int]] = field(default_factory=dict)  # compound-enabled words
    compound_stems: set[str] = field(default_factory=set)
    stem_lengths: list[int] = field(default_factory=list)
    regexes: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)
    negation: frozenset[str] = frozenset()
    negation_phrases: list[tuple[str, ...]] = field(default_factory=list)
    analysis: dict[str, _Analysis] = field(default_factory=dict)


@dataclass(frozen=True)
class _Settings:
    """A matcher's settings other than its terms: what every term's results depend on."""

    exclusions: tuple[tuple[str, str], ...]  # (rule name, regex) in order: of nested spans the first is named
    negation_cues: tuple[tuple[str, tuple[str, ...]], ...]
    negation_window: tuple[int, int]
    compound_heads: tuple[tuple[str, tuple[str, ...]], ...]
    min_compound_len: int


@dataclass(frozen=True)
class Delta:
    """How a matcher's results relate to an old matcher's, term by term (:meth:`KeywordMatcher.delta_from`).

    On any text, the new results are the old results of the terms in ``same``, plus what
    ``changed`` matches; and where ``probe`` finds nothing, they are simply the old results of
    the terms in ``same`` and ``same_unless_probed`` (``changed`` finds what those found before).
    """

    same: frozenset[tuple[str, str]]
    """(term id, language) of terms equal in both matchers."""
    same_unless_probed: frozenset[tuple[str, str]]
    """Terms that differ only in some of their words (lemma, stems, regex)."""
    probe: KeywordMatcher | None
    """New and otherwise changed terms, and the added or removed words of ``same_unless_probed``
    terms; None when every term is in ``same``."""
    changed: KeywordMatcher | None
    """The new matcher's version of every term not in ``same``; None when there is none."""


class KeywordMatcher:
    """Build once (rules load, subscription load), call :meth:`match` / :meth:`find` per notice."""

    def __init__(
        self,
        terms: Iterable[Term],
        exclusions: Mapping[str, Sequence[str]] | Sequence[str] = (),
        negation_cues: Mapping[str, Sequence[str]] | None = None,
        negation_window: tuple[int, int] = (5, 3),
        compound_heads: Mapping[str, Sequence[str]] | None = None,
        min_compound_len: int = 5,
    ) -> None:
        if isinstance(exclusions, Mapping):
            items = [(name, rx) for name, rxs in exclusions.items() for rx in rxs]
        else:
            items = [(rx, rx) for rx in exclusions]
        settings = _Settings(
            exclusions=tuple(items),
            negation_cues=tuple((lang, tuple(cues)) for lang, cues in (negation_cues or {}).items()),
            negation_window=(negation_window[0], negation_window[1]),
            compound_heads=tuple((lang, tuple(hs)) for lang, hs in (compound_heads or {}).items()),
            min_compound_len=min_compound_len,
        )
        self._build(terms, settings)

    def _build(self, terms: Iterable[Term], settings: _Settings) -> None:
        self.terms: list[Term] = list(terms)
        self.settings = settings
        """Everything besides the terms that decides what matches (see :meth:`delta_from`)."""
        self._ids = [t.id for t in self.terms]
        self._exclusions = [
            (name, re.compile(rx, re.IGNORECASE), required_literal(rx)) for name, rx in settings.exclusions
        ]
        self._window = settings.negation_window
        self._min_compound = settings.min_compound_len
        self._heads = {lang: tuple(lower_same_length(h) for h in hs) for lang, hs in settings.compound_heads}
        self._vetoes = [tuple(re.compile(v, re.IGNORECASE) for v in t.vetoes) for t in self.terms]
        self._veto_literals = [tuple(required_literal(v) for v in t.vetoes) for t in self.terms]
        self._lang: dict[str, _Compiled] = {}
        for i, term in enumerate(self.terms):
            self._index(i, term)
        self._term_langs = frozenset(t.lang for t in self.terms)
        for lang, cues in settings.negation_cues:
            c = self._compiled(lang)
            words = [phrase_words(cue) for cue in cues]
            c.negation = frozenset(w[0] for w in words if len(w) == 1)
            c.negation_phrases = [w for w in words if len(w) > 1]

    def delta_from(self, old: KeywordMatcher) -> Delta | None:
        """How this matcher's results relate to ``old``'s, term by term; None when they cannot be related.

        None when a setting that every term depends on differs (exclusions, negation cues and
        window, compound rules), or when a (term id, language) occurs twice, so that a result's
        hits could not be told apart by term.

        Otherwise each of this matcher's terms (a ``Term`` is one concept in one language) is:

        - the same as in ``old`` (``Delta.same``): it finds exactly what it found under ``old``,
          because a term's candidates depend only on the term and the settings, and results are
          ordered by text, position and term id, never by the other terms;
        - the same but for some words (``Delta.same_unless_probed``): a term's candidates on a text
          are what each of its words finds there, word by word, and which of two finds on one span
          is kept depends on the kind of find, never on which word made it. So where none of the
          added or removed words finds anything, the term finds exactly what it found under
          ``old``. Those words go into the probe;
        - new, or changed otherwise (compound, negation, vetoes): the whole term goes into the probe.

        Terms of ``old`` that are gone have no results here.
        """
        if self.settings != old.settings:
            return None
        mine, theirs = _by_key(self.terms), _by_key(old.terms)
        if mine is None or theirs is None:
            return None
        same: set[tuple[str, str]] = set()
        words_differ: set[tuple[str, str]] = set()
        probe: list[Term] = []
        for key, term in mine.items():
            before = theirs.get(key)
            if before == term:
                same.add(key)
            elif before is not None and _only_words_differ(before, term):
                words_differ.add(key)
                probe.append(_word_difference(before, term))
            else:
                probe.append(term)
        changed = [t for key, t in mine.items() if key not in same]
        return Delta(
            same=frozenset(same),
            same_unless_probed=frozenset(words_differ),
            probe=self.with_terms(probe) if probe else None,
            changed=self.with_terms(changed) if changed else None,
        )

    def with_terms(self, terms: Iterable[Term]) -> KeywordMatcher:
        """A matcher of ``terms`` with this one's settings (exclusions, negation, compound rules)."""
        matcher = KeywordMatcher.__new__(KeywordMatcher)
        matcher._build(terms, self.settings)
        return matcher

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_terms(
        cls,
        terms_by_lang: Mapping[str, Iterable[str]],
        exclusions: Sequence[str] = (),
        **options: object,
    ) -> KeywordMatcher:
        """A matcher from plain strings per language (ISO 639-3 or 639-1 keys).

        ``"tekoäly"`` is a base form (also matched inside compounds); ``"innovaatiokumppanuu*"``
        a prefix; ``"/\\bPCP\\b/"`` a regex; ``"market dialogue"`` a phrase. Each hit's
        ``term_id`` is the string as given. ``options`` go to the constructor.
        """
        terms = []
        for lang, strings in terms_by_lang.items():
            code = morphology.ISO1_TO_3.get(lang, lang)
            for s in strings:
                s = s.strip()
                if len(s) > 2 and s.startswith("/") and s.endswith("/"):
                    terms.append(Term(id=s, lang=code, regex=(s[1:-1],)))
                elif s.endswith("*"):
                    terms.append(Term(id=s, lang=code, stems=(s[:-1],), compound=True))
                else:
                    terms.append(Term(id=s, lang=code, lemma=(s,), compound=True))
        return cls(terms, exclusions, **options)  # type: ignore[arg-type]  # options: the constructor's keywords, passed through

    def _compiled(self, lang: str) -> _Compiled:
        if lang not in self._lang:
            self._lang[lang] = _Compiled()
        return self._lang[lang]

    def _index(self, i: int, term: Term) -> None:
        c = self._compiled(term.lang)
        for phrase in term.lemma:
            words = phrase_words(phrase)
            if not words:
                continue
            if len(words) == 1:
                c.single.setdefault(words[0], []).append(i)
                if term.compound and len(words[0]) >= self._min_compound:
                    c.compound_words.setdefault(words[0], []).append(i)
            else:
                c.phrases.setdefault(words[0], []).append((i, words[1:]))
        for stem in term.stems:
            words = tuple(lower_same_length(normalise(stem)).split())
            if not words:
                continue
            if len(words) == 1:
                c.stems.setdefault(words[0], []).append(i)
                if term.compound:
                    c.compound_stems.add(words[0])
            else:
                c.stem_phrases.setdefault(words[0], []).append((i, words[1:]))
            for w in words[:1]:
                if len(w) not in c.stem_lengths:
                    c.stem_lengths.append(len(w))
        for rx in term.regex:
            c.regexes.append((i, re.compile(rx, re.IGNORECASE)))

    # ------------------------------------------------------------------ matching
    def find(self, texts: Mapping[str, str], field: str = "text") -> list[Hit]:
        """Accepted hits in ``texts`` (language → text); exclusions, negation and vetoes applied."""
        return self.match([(field, lang, text) for lang, text in texts.items()]).hits

    def match(self, fields: Iterable[tuple[str, str, str]], *, no_exclusions: bool = False) -> Matches:
        """Match every ``(field name, language, text)``; report hits, dropped hits and exclusions.

        ``no_exclusions``: as in :meth:`might_match`; then nothing is excluded, and texts in a
        language without terms are not read.
        """
        out = Matches()
        items = _prepare(fields, self._term_langs if no_exclusions else None)
        found = [[] for _ in items] if no_exclusions else self._exclusion_spans([low for *_, low in items])
        for (field_name, lang, orig, low), spans in zip(items, found, strict=True):
            self._match_one(field_name, lang, orig, low, spans, out)
        return out

    def might_match(self, fields: Iterable[tuple[str, str, str]], *, no_exclusions: bool = False) -> bool:
        """False only when :meth:`match` on ``fields`` would find no hit and drop nothing.

        A pre-check several times cheaper than matching, and sound (never False where
        :meth:`match` finds something) because it asks match's own questions and skips only what
        comes after them: every hit or dropped hit starts as a candidate, and a candidate comes
        either from a token whose cached analysis lists a single-word hit or a phrase start, or
        from a regex search. The tokens are the same (``Tokens.surfaces``, one ``findall`` of the
        same regex over the same normalised, lower-cased, exclusion-blanked text), the analysis
        is the same cached function of the surface (so Finnish forms go through the same
        lemmatiser, however far a lemma is from its surface), and the regexes run on the same
        masked text. Negation, vetoes, phrase continuation and offsets are skipped: they only
        ever remove candidates. A test on raw substrings would not be sound: a lemma need not
        appear in its inflected forms ("koekäytön" → "koekäyttö").

        ``no_exclusions``: the caller knows no exclusion span of this matcher's occurs in these
        texts (a stored result under the same exclusions listed none), so they need not be searched.
        """
        langs = self._term_langs
        # With no exclusions to search, only texts in the terms' languages need reading at all.
        items = _prepare(fields, langs if no_exclusions else None)
        wanted = [i for i, (_, lang, _, _) in enumerate(items) if lang in langs]
        if not wanted:
            return False
        found = [[] for _ in items] if no_exclusions else self._exclusion_spans([low for *_, low in items])
        for i in wanted:
            _, lang, orig, low = items[i]
            c = self._lang[lang]
            spans = _outer_spans(found[i])
            masked = _blank(orig, spans) if spans else orig
            if any(rx.search(masked) for _, rx in c.regexes):
                return True
            cache = c.analysis
            analyse = self._analyser(c, morphology.get(lang))
            for surface in set(tokenise(_blank(low, spans) if spans else low).surfaces):
                _, singles, starts = cache.get(surface) or analyse(surface)
                if singles or starts:
                    return True
        return False

    def _exclusion_spans(self, texts: list[str]) -> list[list[tuple[str, int, int]]]:
        """Exclusion matches per text. All texts are joined and each pattern runs once per notice,
        not once per field: the per-call cost dominated. The separator stops ``\\s``, ``\\w`` and
        ``[^.]`` so no match crosses from one field into the next."""
        out: list[list[tuple[str, int, int]]] = [[] for _ in texts]
        if not self._exclusions or not texts:
            return out
        joined = _SEPARATOR.join(texts)
        offsets = []
        pos = 0
        for t in texts:
            offsets.append(pos)
            pos += len(t) + len(_SEPARATOR)
        for name, rx, literal in self._exclusions:
            if literal is not None and literal not in joined:  # a substring test is ~100x cheaper
                continue
            for m in rx.finditer(joined):
                i = bisect.bisect_right(offsets, m.start()) - 1
                a = m.start() - offsets[i]
                b = min(m.end() - offsets[i], len(texts[i]))
                if b > a:
                    out[i].append((name, a, b))
        return out

    def _match_one(
        self, field_name: str, lang: str, orig: str, low: str, found: list[tuple[str, int, int]], out: Matches
    ) -> None:
        c = self._lang.get(lang)
        masked = orig  # the original case, exclusions blanked: regexes may be case-sensitive, (?-i:PIN)
        if found:
            spans = _outer_spans(found)
            for start, end, name in spans:
                out.excluded.append(Excluded(name, field_name, lang, orig[start:end]))
            low = _blank(low, spans)
            masked = _blank(orig, spans)
        if c is None:
            return
        toks = tokenise(low)
        analyse = self._analyser(c, morphology.get(lang))
        cache = c.analysis
        candidates: list[tuple[int, int, int, str, float]] = []  # term, first token, last token, how, factor
        surfaces = toks.surfaces
        n = len(surfaces)
        for k, surface in enumerate(surfaces):
            _, singles, starts = cache.get(surface) or analyse(surface)  # a dict hit costs less than a call
            if not singles and not starts:  # most tokens
                continue
            for term_i, how, factor in singles:
                candidates.append((term_i, k, k, how, factor))
            for term_i, rest, is_stem in starts:  # phrases whose first word this token matches
                if k + len(rest) >= n:
                    continue
                if is_stem:
                    ok = all(surfaces[k + 1 + j].startswith(rest[j]) for j in range(len(rest)))
                else:
                    ok = all(rest[j] in analyse(surfaces[k + 1 + j])[0] for j in range(len(rest)))
                if ok:
                    candidates.append((term_i, k, k + len(rest), "stem" if is_stem else "lemma", FULL))
        for term_i, rx in c.regexes:
            for m in rx.finditer(masked):
                a = bisect.bisect_right(toks.ends, m.start())  # first token ending after the start
                b = bisect.bisect_left(toks.starts, m.end()) - 1  # last token starting before the end
                if m.end() > m.start() and a <= b:
                    candidates.append((term_i, a, b, "regex", FULL))
        # One canonical order, by position and then term id, whatever else the matcher holds: results
        # then do not depend on the order of other terms (nor on set iteration order), so the hits of
        # an unchanged term can be reused from a stored result (see ``delta_from``). The sort is
        # stable, so of two candidates of one term on one span the first found still wins below.
        ids = self._ids
        candidates.sort(key=lambda cand: (cand[1], cand[2], ids[cand[0]]))
        seen: set[tuple[int, int, int]] = set()
        dropped: list[Dropped] = []
        for term_i, a, b, how, factor in candidates:
            key = (term_i, a, b)
            if key in seen:
                continue
            seen.add(key)
            term = self.terms[term_i]
            start, end = toks.starts[a], toks.ends[b]
            hit = Hit(
                term.id, lang, field_name, orig[start:end], snippet(orig, start, end), start, end, how, factor
            )
            why = self._veto(term_i, toks, a) or (
                self._negated(c, toks, a, b) if term.negation == "drop" else None
            )
            if why:
                dropped.append(Dropped(hit, why))
            else:
                out.hits.append(hit)
        # Dropped hits are listed term by term (stable: by position within a term). Stored results keep
        # them without offsets, so drops of re-matched terms can be slotted between stored ones by text
        # and term alone (``Delta.changed``).
        out.dropped.extend(sorted(dropped, key=lambda d: d.hit.term_id))

    def _analyser(self, c: _Compiled, morph: morphology.Morphology) -> Callable[[str], _Analysis]:
        cache = c.analysis

        def analyse(surface: str) -> _Analysis:
            got = cache.get(surface)
            if got is None:
                forms = morph.forms(surface)
                starts = [(t, rest, False) for form in forms for t, rest in c.phrases.get(form, ())]
                for length in c.stem_lengths:
                    starts.extend((t, rest, True) for t, rest in c.stem_phrases.get(surface[:length], ()))
                got = (forms, self._single_hits(c, morph.lang, surface, forms), tuple(starts))
                if len(cache) > 500_000:
                    cache.clear()
                cache[surface] = got
            return got

        return analyse

    def _single_hits(
        self, c: _Compiled, lang: str, surface: str, forms: tuple[str, ...]
    ) -> tuple[tuple[int, str, float], ...]:
        """Single-token matches of one token: lemma, stem, compound head or modifier."""
        best: dict[int, tuple[str, float]] = {}

        def add(term_i: int, how: str, factor: float) -> None:
            if term_i not in best or best[term_i][1] < factor:
                best[term_i] = (how, factor)

        for form in forms:
            for term_i in c.single.get(form, ()):
                add(term_i, "lemma", FULL)
        for length in c.stem_lengths:
            for term_i in c.stems.get(surface[:length], ()):
                add(term_i, "stem", FULL)
        if c.compound_stems:  # a stem inside a compound: sote-innovaatiokumppanuuden
            for stem in c.compound_stems:
                pos = surface.find(stem, 2)
                if pos > 1:
                    for term_i in c.stems[stem]:
                        add(term_i, "compound-stem", FULL)
        if c.compound_words:
            mn = self._min_compound
            heads = self._heads.get(lang, ())
            for form in forms:
                for i in range(2, len(form) - mn + 1):  # keyword as the head: tekoäly|pilotti
                    for term_i in c.compound_words.get(form[i:], ()):
                        add(term_i, "compound-head", FULL)
                for j in range(mn, len(form) - 2):  # keyword as the modifier: pilotti|lupa
                    ids = c.compound_words.get(form[:j])
                    if ids:
                        rest = form[j:].lstrip("-")
                        project = any(rest.startswith(h) for h in heads)
                        for term_i in ids:
                            if project:
                                add(term_i, "compound-modifier+head", FULL)
                            else:
                                add(term_i, "compound-modifier", MODIFIER)
        return tuple((t, how, f) for t, (how, f) in best.items())

    def _veto(self, term_i: int, toks: Tokens, a: int) -> str | None:
        """A veto regex matching in the hit's sentence (not just clause: "Variants: no") drops it."""
        vetoes = self._vetoes[term_i]
        if not vetoes:
            return None
        text = toks.text
        if all(lit is not None and lit not in text for lit in self._veto_literals[term_i]):
            return None  # no veto can match anywhere in this text
        start = toks.starts[a]
        begin = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
        after = _SENTENCE_END.search(text, start)
        sentence = text[begin : after.start() if after else len(text)]
        for rx in vetoes:
            m = rx.search(sentence)
            if m:
                return f"vetoed: {m.group()!r} matches veto {rx.pattern!r}"
        return None

    def _negated(self, c: _Compiled, toks: Tokens, a: int, b: int) -> str | None:
        if not c.negation and not c.negation_phrases:
            return None
        surfaces = toks.surfaces
        before, after = self._window
        clause = toks.clause(a)
        lo = a
        while lo > 0 and a - lo < before and toks.clause(lo - 1) == clause:
            lo -= 1
        hi = b
        while hi + 1 < len(surfaces) and hi - b < after and toks.clause(hi + 1) == clause:
            hi += 1
        for k in [*range(lo, a), *range(b + 1, hi + 1)]:
            if surfaces[k] in c.negation:
                return f"negated by {surfaces[k]!r} in the same clause"
            for phrase in c.negation_phrases:
                if tuple(surfaces[k : k + len(phrase)]) == phrase:
                    return f"negated by {' '.join(phrase)!r} in the same clause"
        return None


def _by_key(terms: list[Term]) -> dict[tuple[str, str], Term] | None:
    """Terms by (id, language); None when a key occurs twice."""
    out = {(t.id, t.lang): t for t in terms}
    return out if len(out) == len(terms) else None


def _only_words_differ(old: Term, new: Term) -> bool:
    return (old.compound, old.negation, old.vetoes) == (new.compound, new.negation, new.vetoes)


def _word_difference(old: Term, new: Term) -> Term:
    """A term of just the words in one of ``old`` and ``new`` but not in both (same compound rule)."""
    return Term(
        id=new.id,
        lang=new.lang,
        lemma=tuple(sorted(set(old.lemma) ^ set(new.lemma))),
        stems=tuple(sorted(set(old.stems) ^ set(new.stems))),
        regex=tuple(sorted(set(old.regex) ^ set(new.regex))),
        compound=new.compound,
    )


def _prepare(
    fields: Iterable[tuple[str, str, str]], only: frozenset[str] | None = None
) -> list[tuple[str, str, str, str]]:
    """(field, ISO 639-3 language, normalised text, its lower case) of every non-empty text
    (in a language of ``only``, when given)."""
    items = []
    for field_name, lang, text in fields:
        lang = morphology.ISO1_TO_3.get(lang, lang)
        if text and (only is None or lang in only):
            orig = normalise(text)
            items.append((field_name, lang, orig, lower_same_length(orig)))
    return items


def _outer_spans(found: list[tuple[str, int, int]]) -> list[tuple[int, int, str]]:
    """The exclusion spans to blank and report: each one not inside an earlier one."""
    spans: list[tuple[int, int, str]] = []
    for name, start, end in found:
        if not any(a <= start and end <= b for a, b, _ in spans):
            spans.append((start, end, name))
    return spans


def _blank(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace each span with spaces, keeping every offset."""
    chars = list(text)
    for a, b, _ in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


@functools.cache
def required_literal(pattern: str) -> str | None:
    """The longest run of plain letters every match of ``pattern`` must contain (lower-cased), if any.

    Python's regex engine only uses its fast literal search when a pattern *starts* with a literal;
    ``\\bpilotage\\b`` does not, so it is tried at every position. Testing ``"pilotage" in text``
    first skips most patterns for most notices.
    """
    try:
        parsed = re_parser.parse(pattern)
    except re.error:
        return None
    best, run = "", ""
    for op, arg in parsed:
        if op is re_constants.LITERAL and chr(arg).isalpha():
            run += chr(arg)
            best = max(best, run, key=len)
        elif op is re_constants.AT:  # \b, ^ and $ take no characters: the run continues
            continue
        else:
            run = ""
    return best.lower() if len(best) >= 3 else None
