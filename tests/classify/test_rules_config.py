"""innovation.yaml validation: every mistake is reported with file, line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.appconfig import ConfigError
from monitor.classify import load_rules
from tests.classify.conftest import RULES_FILE

MINIMAL = """\
thresholds: {innovative: 5, possible: 3}
structured:
  - id: proc_innovation_partnership
    field: BT-105
    equals: [innovation]
    weight: 6
keywords:
  - id: market_dialogue
    weight: 2.5
    fi: {lemma: [markkinavuoropuhelu]}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "innovation.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    return [str(p) for p in info.value.problems]


def test_the_shipped_rules_load_and_have_a_content_version() -> None:
    rules = load_rules(RULES_FILE)
    assert len(rules.version) == 12
    assert rules.config.thresholds.innovative > rules.config.thresholds.possible


def test_version_is_a_content_hash_ignoring_comments(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(MINIMAL, encoding="utf-8")
    b.write_text("# a comment only\n" + MINIMAL, encoding="utf-8")
    c.write_text(MINIMAL.replace("weight: 2.5", "weight: 2.0"), encoding="utf-8")
    assert load_rules(a).version == load_rules(b).version != load_rules(c).version


def test_unknown_field_names_its_line(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, MINIMAL.replace("    weight: 2.5\n", "    weight: 2.5\n    wieght: 1\n"))
    assert "innovation.yaml:10:" in problem and "unknown key 'wieght'" in problem


def test_bad_regex_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("fi: {lemma: [markkinavuoropuhelu]}", "en: {regex: ['market (dialogue']}")
    (problem,) = _problems(tmp_path, text)
    assert "bad regular expression 'market (dialogue'" in problem and ":10:" in problem


def test_weight_must_be_a_number(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, MINIMAL.replace("weight: 2.5", "weight: heavy"))
    assert ":9:" in problem and "keywords[0].weight" in problem and "'heavy'" in problem


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    text = MINIMAL + "  - id: market_dialogue\n    weight: 1\n    en: {lemma: [market dialogue]}\n"
    (problem,) = _problems(tmp_path, text)
    assert (
        "duplicate id 'market_dialogue' at keywords[1] (line 11); first used at keywords[0] (line 8)"
        in problem
    )


def test_bad_thresholds(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, MINIMAL.replace("possible: 3", "possible: 6"))
    assert ":1: thresholds:" in problem and "'possible' must be below 'innovative'" in problem


def test_veto_for_an_unknown_signal(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, MINIMAL + "exclusions:\n  vetoes:\n    nosuch: ['x']\n")
    assert "exclusions.vetoes names 'nosuch', which is no keyword or structured id" in problem


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = MINIMAL.replace("    weight: 6\n", "    weight: 6\n    weight: 7\n")
    problems = _problems(tmp_path, text)
    assert any(":7:" in p and "duplicate key 'weight'" in p for p in problems), problems


def test_too_short_stem(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path, MINIMAL.replace("fi: {lemma: [markkinavuoropuhelu]}", "fi: {stems: [pil]}")
    )
    assert ":10:" in problem and "stem 'pil' is shorter than 4 letters" in problem
