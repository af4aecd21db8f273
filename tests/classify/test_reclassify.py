"""Reusing stored text hits under candidate rules gives exactly what a full classification gives.

``Reclassifier`` (what ``rules preview`` runs) keeps stored hits of unchanged terms and matches
text again (for the changed terms only) where an edited word might match. Every test here compares
its result with ``classify(record, candidate)`` on the same notice, over the labelled set
(exclusions, negation, vetoes, compounds in three languages) and generated eForms notices, for many
kinds of edit; and counts full classifications and partial re-matches, so a test fails too if the
fast path silently stopped being used.
"""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from db.record import NoticeRecord
from db.session import session_scope
from db.store import Store
from monitor.classify import Rules, classify
from monitor.classify import scorer as scorer_module
from monitor.classify.evaluate import load_labels
from monitor.classify.rules import KeywordRule, LanguageTerms
from monitor.classify.scorer import Reclassifier, rescore, text_fields
from monitor.classify.service import PreviewChange, classify_pending, preview
from monitor.demo.samples.builder import expected_record, generate_specs
from tests.classify import conftest
from tests.classify.conftest import LABELS_FILE
from tests.db.records import raw

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# Inflected forms whose lemma is not in the text ("koekäytön" → koekäyttö), a compound, a negated
# one and one in a company name (which the edit "exclusion span changed" excludes): for the edit
# "new Finnish lemma, rare" the probe must find them all. The last one is a token only once the span
# "Business Finland" is blanked out of "Business Finlandkehitystyön": the edit "Finnish stem added"
# (kehit) must find it there.
INFLECTED = [
    conftest.record({"fin": "Järjestelmän koekäytön aikana kerätään palautetta"}),
    conftest.record({"fin": "Laitteet otetaan koekäyttöön syksyllä"}, {"fin": "Sote-koekäyttöjakso alkaa."}),
    conftest.record({"fin": "Koekäyttöä ei järjestetä"}, {"fin": "Pilotti Koekäyttö Oy toimittaa laitteet."}),
    conftest.record(
        {"fin": "Laitteiden hankinta"}, {"fin": "Business Finlandkehitystyön tulokset julkaistaan."}
    ),
]
CORPUS: list[NoticeRecord] = (
    INFLECTED
    + [item.to_record() for item in load_labels(LABELS_FILE)]
    + [expected_record(spec) for spec in generate_specs(120, seed=11)]
)


# ---------------------------------------------------------------------------------- edits
def _keywords(rules: Rules, change: Callable[[KeywordRule], KeywordRule | None]) -> Rules:
    cfg = rules.config
    keywords = [k for k in (change(k) for k in cfg.keywords) if k is not None]
    return Rules.from_config(cfg.model_copy(update={"keywords": keywords}))


def _fi(rule_id: str, **update: Any) -> Callable[[Rules], Rules]:
    """An edit of one concept's Finnish words; a callable ``update`` value gets the old value."""

    def edit(rules: Rules) -> Rules:
        def change(k: KeywordRule) -> KeywordRule:
            if k.id != rule_id or k.fi is None:
                return k
            values = {name: v(getattr(k.fi, name)) if callable(v) else v for name, v in update.items()}
            return k.model_copy(update={"fi": k.fi.model_copy(update=values)})

        return _keywords(rules, change)

    return edit


def _remove_concept(rules: Rules) -> Rules:
    return _keywords(rules, lambda k: None if k.id == "innovation_word" else k)


def _new_concept(rules: Rules) -> Rules:
    cfg = rules.config
    twin = KeywordRule(
        id="digital_twin",
        weight=2.0,
        fi=LanguageTerms(lemma=["digitaalinen kaksonen", "ratkaisu"], compound=True),
        en=LanguageTerms(lemma=["digital twin"], regex=[r"\bsolutions?\b"]),
    )
    return Rules.from_config(cfg.model_copy(update={"keywords": [twin, *cfg.keywords]}))


def _reorder_concepts(rules: Rules) -> Rules:
    cfg = rules.config
    return Rules.from_config(cfg.model_copy(update={"keywords": list(reversed(cfg.keywords))}))


def _en_words(rules: Rules) -> Rules:
    def change(k: KeywordRule) -> KeywordRule:
        if k.id != "innovation_word" or k.en is None:
            return k
        en = k.en.model_copy(update={"stems": [*k.en.stems, "novel"], "regex": [r"\bbreakthrough\b"]})
        return k.model_copy(update={"en": en})

    return _keywords(rules, change)


def _negation_mode(rules: Rules) -> Rules:
    def change(k: KeywordRule) -> KeywordRule:
        return k.model_copy(update={"negation": "ignore"}) if k.id == "market_dialogue" else k

    return _keywords(rules, change)


def _exclusions(rules: Rules, section: str, name: str, regexes: list[str]) -> Rules:
    cfg = rules.config
    groups = getattr(cfg.exclusions, section)
    groups = {**groups, name: [*groups.get(name, []), *regexes]}
    exclusions = cfg.exclusions.model_copy(update={section: groups})
    return Rules.from_config(cfg.model_copy(update={"exclusions": exclusions}))


def _negation_cue(rules: Rules) -> Rules:
    cfg = rules.config
    cues = {**cfg.negation_cues, "en": [*cfg.negation_cues["en"], "no"]}  # left out on purpose today
    return Rules.from_config(cfg.model_copy(update={"negation_cues": cues}))


def _weights(rules: Rules) -> Rules:
    cfg = rules.config
    keywords = [k.model_copy(update={"weight": k.weight + 0.75}) for k in cfg.keywords]
    thresholds = cfg.thresholds.model_copy(update={"possible": 2.5})
    return Rules.from_config(cfg.model_copy(update={"keywords": keywords, "thresholds": thresholds}))


# name → (edit, where text is matched again: "none", "some" (a minority of notices, changed terms
# only), "all" (every notice, in full))
EDITS: dict[str, tuple[Callable[[Rules], Rules], str]] = {
    "new Finnish lemma, rare": (_fi("pilot_trial", lemma=lambda v: [*v, "koekäyttö"]), "some"),
    "new Finnish lemma, frequent": (_fi("new_solution", lemma=lambda v: [*v, "ratkaisu"]), "some"),
    "Finnish lemma removed": (_fi("pilot_trial", lemma=lambda v: [w for w in v if w != "pilotti"]), "some"),
    "Finnish stem added": (_fi("innovation_word", stems=lambda v: [*v, "kehit"]), "some"),
    "compound flag changed": (_fi("pilot_trial", compound=False), "some"),
    "English stem and regex added": (_en_words, "some"),
    "concept removed": (_remove_concept, "none"),
    "new concept": (_new_concept, "some"),
    "concepts reordered": (_reorder_concepts, "none"),
    "negation mode of a concept": (_negation_mode, "some"),
    "veto of a concept changed": (
        lambda r: _exclusions(r, "vetoes", "pilot_trial", [r"kotihoi\w*", r"\btraining\b"]),
        "some",
    ),
    "exclusion span changed": (
        lambda r: _exclusions(r, "spans", "organisation_names", [r"\bpilotti\s+\w+\s+oy\b", r"kotihoi\w*"]),
        "all",
    ),
    "negation cue changed": (_negation_cue, "all"),
    "weights and thresholds only": (_weights, "none"),
}


def _stored(record: NoticeRecord, rules: Rules) -> dict[str, Any]:
    """The result as the store keeps it (a JSON round trip)."""
    result: dict[str, Any] = json.loads(json.dumps(classify(record, rules).to_dict()))
    return result


def _without_versions(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("rules_version", "matcher_version")}


@pytest.fixture(scope="module")
def stored(rules: Rules) -> list[dict[str, Any]]:
    return [_stored(r, rules) for r in CORPUS]


@pytest.mark.parametrize("name", list(EDITS))
def test_reclassify_equals_full_classification(
    rules: Rules, stored: list[dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit, expected_work = EDITS[name]
    candidate = edit(rules)
    full_classify = scorer_module.classify
    full = partial = 0

    def counting(record: NoticeRecord, r: Rules) -> Any:
        nonlocal full
        full += 1
        return full_classify(record, r)

    monkeypatch.setattr(scorer_module, "classify", counting)
    reclassify = Reclassifier(candidate, rules)
    if reclassify.delta is not None and reclassify.delta.changed is not None:
        changed_terms = reclassify.delta.changed
        match_changed_terms = changed_terms.match

        def counting_match(*args: Any, **kwargs: Any) -> Any:
            nonlocal partial
            partial += 1
            return match_changed_terms(*args, **kwargs)

        monkeypatch.setattr(changed_terms, "match", counting_match)
    changed = 0
    for record, result in zip(CORPUS, stored, strict=True):
        expected = full_classify(record, candidate).to_dict()
        assert reclassify(record, result).to_dict() == expected, record.publication_number
        changed += _without_versions(expected) != _without_versions(result)
    if expected_work == "none":  # nothing matched again: stored hits re-scored
        assert (full, partial) == (0, 0)
    elif expected_work == "all":
        assert (full, partial) == (len(CORPUS), 0)
    else:  # the changed terms matched again where the probe says they might match
        assert full == 0 and 0 < partial < len(CORPUS) / 2, partial
    if name != "concepts reordered":
        assert changed, "the edit changed no result in the corpus: the test would show nothing"


def test_an_edit_that_changes_labels_is_seen_without_full_classification(
    rules: Rules, stored: list[dict[str, Any]]
) -> None:
    """Dropping a concept changes labels, all from stored hits (the edit list above shows equality)."""
    candidate = _remove_concept(rules)
    reclassify = Reclassifier(candidate, rules)
    labels = [reclassify(record, result).label for record, result in zip(CORPUS, stored, strict=True)]
    assert sum(new != old["label"] for new, old in zip(labels, stored, strict=True)) > 0


def test_stored_results_of_other_rules_or_none_are_classified_in_full(rules: Rules) -> None:
    candidate = EDITS["new Finnish lemma, rare"][0](rules)
    older = _weights(_negation_cue(rules))  # stored under rules that are neither current nor candidate
    record = CORPUS[0]
    reclassify = Reclassifier(candidate, rules)
    expected = classify(record, candidate).to_dict()
    assert reclassify(record, None).to_dict() == expected
    assert reclassify(record, _stored(record, older)).to_dict() == expected
    assert reclassify(record, {"label": "none"}).to_dict() == expected  # no hits stored


def test_stored_hits_in_any_order_rescore_exactly(rules: Rules, stored: list[dict[str, Any]]) -> None:
    """Results stored before the matcher ordered its output (by position, then term id) still re-score
    exactly: the stored hits are put in that order first."""
    candidate = _weights(rules)
    rng = random.Random(5)
    shuffled = 0
    for record, result in zip(CORPUS, stored, strict=True):
        hits = list(result["hits"])
        rng.shuffle(hits)
        shuffled += hits != result["hits"]
        again = rescore(record, {**result, "hits": hits}, candidate)
        assert again is not None and again.to_dict() == classify(record, candidate).to_dict()
    assert shuffled > 50


# ---------------------------------------------------------------------------------- preview
def _ingest(url: str) -> list[NoticeRecord]:
    records = []
    for i, rec in enumerate(CORPUS[:150:3]):  # every third: labelled and generated notices
        records.append(
            dataclasses.replace(
                rec,
                notice_id=str(uuid.UUID(int=i + 1)),
                procedure_id=str(uuid.UUID(int=10**6 + i)),
                publication_number=f"{i + 1:08d}-2026",
                publication_date=date(2026, 3, 1),
                deadline=NOW + timedelta(days=30),
            )
        )
    with session_scope(url) as session:
        store = Store(session, clock=lambda: NOW)
        for rec in records:
            store.ingest(rec, raw(rec))
    return records


def _expected_changes(records: list[NoticeRecord], candidate: Rules, current: Rules) -> list[PreviewChange]:
    """What preview must report, by classifying every notice in full under both rules."""
    changes = []
    for rec in records:
        old, new = classify(rec, current), classify(rec, candidate)
        if old.label != new.label:
            top = [f"{r.signal_id} ({r.weight:g}): {r.matched}" for r in new.reasons[:3]]
            changes.append((rec.publication_number, old.label, new.label, old.score, new.score, top))
    return changes  # type: ignore[return-value]


@pytest.mark.parametrize(
    "name",
    [
        "new Finnish lemma, frequent",
        "Finnish lemma removed",
        "concept removed",
        "veto of a concept changed",
        "exclusion span changed",
        "negation cue changed",
        "weights and thresholds only",
    ],
)
def test_preview_reports_what_full_reclassification_reports(db_url: str, rules: Rules, name: str) -> None:
    records = _ingest(db_url)
    with session_scope(db_url) as session:
        classify_pending(session, rules)
    candidate = EDITS[name][0](rules)
    report = preview(db_url, candidate, rules, workers=2 if name == "concept removed" else 1, chunk=7)
    got = sorted(
        (c.publication_number, c.old_label, c.new_label, c.old_score, c.new_score, c.reasons)
        for c in report.changes
    )
    assert got == sorted(_expected_changes(records, candidate, rules))  # type: ignore[type-var]
    assert report.scanned == len(records)
    after: dict[str, int] = {}
    for rec in records:
        label = classify(rec, candidate).label
        after[label] = after.get(label, 0) + 1
    assert report.labels_after == after


def test_the_probe_finds_every_text_where_a_term_matches(rules: Rules) -> None:
    """``might_match`` is sound: a one-term probe says True wherever full matching finds that term
    (a hit or a dropped hit), and it is selective: False for most notices."""
    probes = {(t.id, t.lang): rules.matcher.with_terms([t]) for t in rules.matcher.terms}
    maybe = 0
    found = 0
    for rec in CORPUS:
        fields = [(name, lang, text) for name, _, lang, text in text_fields(rec)]
        matches = rules.matcher.match(fields)
        keys = {(h.term_id, h.lang) for h in matches.hits} | {
            (d.hit.term_id, d.hit.lang) for d in matches.dropped
        }
        for key, probe in probes.items():
            says = probe.might_match(fields)
            assert says or key not in keys, (rec.publication_number, key)
            maybe += says
        found += len(keys)
    assert found > 300
    assert maybe < 3 * found  # a probe that always said True would be sound but useless
