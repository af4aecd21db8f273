"""The labelled set: the must-show figures, and every hard negative as its own unit test."""

from __future__ import annotations

import pytest

from monitor.classify import Rules, classify
from monitor.classify.evaluate import LabelledNotice, evaluate, load_labels
from tests.classify.conftest import LABELS_FILE

ITEMS = load_labels(LABELS_FILE)
HARD_NEGATIVES = [item for item in ITEMS if item.hard_negative]


def test_the_labelled_set_is_big_enough_and_multilingual() -> None:
    assert len(ITEMS) >= 150
    langs = {lang for item in ITEMS for lang in (item.title | item.description)}
    assert {"fin", "swe", "eng"} <= langs
    assert len(HARD_NEGATIVES) >= 40
    assert all(item.label != "innovative" for item in HARD_NEGATIVES)


def test_innovative_precision_and_recall_on_the_labelled_set(rules: Rules) -> None:
    result = evaluate(ITEMS, rules)
    assert result.precision("innovative") >= 0.9, result.report()
    assert result.recall("innovative") >= 0.85, result.report()
    assert result.hard_negatives_flagged == []
    assert sum(sum(row.values()) for row in result.confusion.values()) == len(ITEMS)


@pytest.mark.parametrize("item", HARD_NEGATIVES, ids=[i.id for i in HARD_NEGATIVES])
def test_hard_negative_is_not_innovative(rules: Rules, item: LabelledNotice) -> None:
    result = classify(item.to_record(), rules)
    assert result.label != "innovative", (item.note, result.reasons)


def test_every_flag_has_reasons(rules: Rules) -> None:
    for item in ITEMS:
        result = classify(item.to_record(), rules)
        if result.label != "none":
            assert result.reasons and all(r.weight > 0 and r.matched for r in result.reasons), item.id
