"""The generic keyword matcher: Finnish/Swedish morphology, compounds, exclusions, negation."""

from __future__ import annotations

import random
import re

import pytest

from monitor.textmatch import KeywordMatcher, Term
from monitor.textmatch.matcher import Delta
from monitor.textmatch.tokens import CLAUSE_RE, TOKEN_RE, lower_same_length, normalise, tokenise


@pytest.fixture(scope="module")
def fi_matcher() -> KeywordMatcher:
    return KeywordMatcher.from_terms(
        {
            "fin": [
                "innovaatiokumppanuus",
                "esikaupallinen hankinta",
                "markkinavuoropuhelu",
                "pilotti",
                "vaihtoehtoinen tarjous",
            ],
            "swe": ["marknadsdialog", "innovationspartnerskap"],
            "eng": ["innovation partnership", "/(?-i:\\bPCP\\b)/"],
        },
        exclusions=[r"business\s+finland", r"\binnovaatiotalo\w*"],
        negation_cues={"fin": ["ei", "eivät"], "swe": ["inte"], "eng": ["not"]},
        compound_heads={"fin": ["hank", "projekt"]},
    )


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Hankinta toteutetaan innovaatiokumppanuuden menettelyllä.", "innovaatiokumppanuus"),
        ("Innovaatiokumppanuuksissa kehitetään ratkaisuja.", "innovaatiokumppanuus"),
        ("Tämä on esikaupallisen hankinnan ensimmäinen vaihe.", "esikaupallinen hankinta"),
        ("Esikaupallisissa hankinnoissa toimittajat kilpailevat.", "esikaupallinen hankinta"),
        ("Olemme käyneet markkinavuoropuhelua toimittajien kanssa.", "markkinavuoropuhelu"),
        ("Tekoälypilotti käynnistyy keväällä.", "pilotti"),
        ("Tekoälypilotin tulokset raportoidaan.", "pilotti"),
        ("Sote-innovaatiokumppanuuden valmistelu.", "innovaatiokumppanuus"),
    ],
)
def test_finnish_inflected_and_compound_forms_match_base_keywords(
    fi_matcher: KeywordMatcher, text: str, term: str
) -> None:
    hits = fi_matcher.find({"fin": text})
    assert [h.term_id for h in hits] == [term], hits
    assert hits[0].factor == 1.0


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Kommunen bjuder in till marknadsdialogen.", "marknadsdialog"),
        ("Upphandlingen sker som innovationspartnerskapet beskriver.", "innovationspartnerskap"),
        ("The innovation partnerships start in May.", "innovation partnership"),
    ],
)
def test_swedish_and_english_forms(fi_matcher: KeywordMatcher, text: str, term: str) -> None:
    lang = "swe" if "Kommunen" in text or "Upphandlingen" in text else "eng"
    assert [h.term_id for h in fi_matcher.find({lang: text})] == [term]


def test_keyword_as_compound_modifier_counts_half_unless_project_head(fi_matcher: KeywordMatcher) -> None:
    (lupa,) = fi_matcher.find({"fin": "Pilottilupa haetaan."})
    assert (lupa.how, lupa.factor) == ("compound-modifier", 0.5)
    (hanke,) = fi_matcher.find({"fin": "Pilottihankkeessa testataan."})
    assert hanke.factor == 1.0


def test_keywords_are_not_lemmatised_and_text_only_matches_its_language(fi_matcher: KeywordMatcher) -> None:
    assert fi_matcher.find({"fin": "Testialustan rakentaminen."}) == []
    assert fi_matcher.find({"eng": "markkinavuoropuhelu"}) == []  # Finnish keyword, English text


def test_exclusion_spans_are_removed_before_matching_and_reported(fi_matcher: KeywordMatcher) -> None:
    result = fi_matcher.match([("description", "fin", "Innovaatiotalon pilotti ja Business Finland.")])
    assert sorted(e.text for e in result.excluded) == ["Business Finland", "Innovaatiotalon"]
    assert [h.matched for h in result.hits] == ["pilotti"]


def test_negation_in_the_same_clause_drops_the_hit_but_not_across_a_comma(fi_matcher: KeywordMatcher) -> None:
    result = fi_matcher.match([("d", "fin", "Vaihtoehtoisia tarjouksia ei hyväksytä.")])
    assert result.hits == []
    assert "negated by 'ei'" in result.dropped[0].why
    other_clause = fi_matcher.find({"fin": "Markkinavuoropuhelu järjestetään, mutta hinta ei muutu."})
    assert [h.term_id for h in other_clause] == ["markkinavuoropuhelu"]
    assert fi_matcher.find({"eng": "The authority will not run a PCP."}) == []


def test_case_sensitive_regex_and_snippet(fi_matcher: KeywordMatcher) -> None:
    (hit,) = fi_matcher.find({"eng": "This PCP covers three phases of research and development services."})
    assert hit.how == "regex" and hit.matched == "PCP"
    assert "This PCP covers" in hit.snippet
    assert fi_matcher.find({"eng": "pcp pipes"}) == []


def test_vetoes_drop_a_term_in_the_same_sentence() -> None:
    m = KeywordMatcher([Term(id="ppi", lang="eng", regex=("(?-i:PPI)",), vetoes=(r"ppi\s+index",))])
    assert m.find({"eng": "Prices follow the PPI index."}) == []
    assert [h.term_id for h in m.find({"eng": "A joint PPI. Prices follow an index."})] == ["ppi"]


def _scan_tokens(low: str) -> tuple[list[str], list[int], list[int], list[int]]:
    """The plain one-pass reference: tokens and clause boundaries in one left-to-right scan."""
    scan = re.compile(f"(?P<t>{TOKEN_RE.pattern})|(?P<b>{CLAUSE_RE.pattern})")
    surfaces, starts, ends, clauses = [], [], [], []
    clause = 0
    for m in scan.finditer(low):
        if m.lastgroup == "t":
            surfaces.append(m.group())
            starts.append(m.start())
            ends.append(m.end())
            clauses.append(clause)
        else:
            clause += 1
    return surfaces, starts, ends, clauses


def test_tokens_equal_a_one_pass_scan_of_tokens_and_clause_boundaries() -> None:
    """``Tokens`` finds surfaces, offsets and clause numbers in separate passes, lazily; the result
    must be what one scan over tokens and boundaries gives, on any text."""
    rng = random.Random(3)
    alphabet = "aäk -'’&.,;:()!?\n\t\u2022_1İ"
    texts = ["Hankinta: t&k-palvelu (tutkimus- ja kehitys), ei vielä; co-design… pilotti.", ""]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    for text in texts:
        low = lower_same_length(normalise(text))
        toks = tokenise(low)
        surfaces, starts, ends, clauses = _scan_tokens(low)
        assert (toks.surfaces, toks.starts, toks.ends) == (surfaces, starts, ends), text
        assert [toks.clause(k) for k in range(len(surfaces))] == clauses, text


def test_delta_from_sorts_terms_into_same_words_changed_and_changed() -> None:
    old = KeywordMatcher(
        [
            Term(id="a", lang="fin", lemma=("pilotti",), compound=True),
            Term(id="b", lang="fin", lemma=("kokeilu",)),
            Term(id="c", lang="fin", stems=("innovaati",)),
            Term(id="gone", lang="fin", lemma=("prototyyppi",)),
        ],
        exclusions=[r"business\s+finland"],
    )
    new = old.with_terms(
        [
            Term(id="a", lang="fin", lemma=("pilotti",), compound=True),  # the same
            Term(id="b", lang="fin", lemma=("kokeilu", "koekäyttö")),  # a word added
            Term(id="c", lang="fin", stems=("innovaati",), vetoes=("yhtiö",)),  # a veto: changed
            Term(id="d", lang="fin", lemma=("demo",)),  # new
        ]
    )
    delta = new.delta_from(old)
    assert delta is not None and delta.probe is not None and delta.changed is not None
    assert delta.same == {("a", "fin")} and delta.same_unless_probed == {("b", "fin")}
    assert [(t.id, t.lemma, t.stems) for t in delta.probe.terms] == [
        ("b", ("koekäyttö",), ()),
        ("c", (), ("innovaati",)),
        ("d", ("demo",), ()),
    ]
    assert [t.id for t in delta.changed.terms] == ["b", "c", "d"]
    assert delta.probe.might_match([("d", "fi", "Laitteiden koekäytön aikana")])
    assert not delta.probe.might_match([("d", "fi", "Pilotin aikana"), ("d", "en", "koekäyttö")])
    everything = frozenset({("a", "fin"), ("b", "fin"), ("c", "fin"), ("d", "fin")})
    assert new.delta_from(new) == Delta(everything, frozenset(), None, None)
    other_exclusions = KeywordMatcher(new.terms, exclusions=[r"business\s+finland\s+oy"])
    assert other_exclusions.delta_from(new) is None
    twice = new.with_terms([*new.terms, Term(id="a", lang="fin", lemma=("testi",))])
    assert twice.delta_from(new) is None
