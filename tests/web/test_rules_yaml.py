"""The rules form's edits written into innovation.yaml (``monitor.web.rules_yaml``): only the values
that changed, in place, every comment kept; and what the form cannot express is refused."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from monitor.appconfig import load_file
from monitor.classify.rules import RulesConfig
from monitor.web.rules_yaml import FormError, apply_form, form_view

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "config" / "innovation.yaml").read_text(encoding="utf-8")

SMALL = """\
# rules for a test
thresholds:
  innovative: 5.0   # strong
  possible: 3.0
keywords:
  - id: pilot_trial
    weight: 2.0   # medium
    fi: {lemma: [kokeilu, pilotti],
         stems: [pilotoi], compound: true}   # wrapped by hand
  - id: only_english
    weight: 1.0
    en: {lemma: [trial]}
exclusions:
  spans:
    names:
      - 'foo\\s+oy'   # a company
      - 'bar\\b'
  vetoes:
    pilot_trial: ['\\bpilot\\s+boat']
negation_cues:
  fi: [ei, eikä]
"""


def changed_lines(old: str, new: str) -> list[str]:
    return [
        ln
        for ln in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]


def test_nothing_changed_leaves_the_text_alone() -> None:
    view = form_view(SHIPPED)
    assert view is not None and len(view.keywords) > 10
    fields = [("num:thresholds.innovative", "5"), ("num:keywords.0.weight", "5.0")]
    for kw in view.keywords:
        for lt in kw.langs:
            for kind, terms in lt.terms.items():
                fields += [(f"seq:keywords.{kw.index}.{lt.lang}.{kind}", t) for t in terms] + [
                    (f"seq:keywords.{kw.index}.{lt.lang}.{kind}", "")
                ]
            fields += [(f"bool:keywords.{kw.index}.{lt.lang}.compound", "0")]
            if lt.compound:
                fields += [(f"bool:keywords.{kw.index}.{lt.lang}.compound", "1")]
    for seq in view.exclusions + view.negation:
        fields += [(f"seq:{seq.path}", v) for v in seq.items] + [(f"seq:{seq.path}", "")]
    assert apply_form(SHIPPED, fields) == SHIPPED


def test_a_number_and_a_word_change_only_their_place() -> None:
    out = apply_form(
        SMALL,
        [
            ("num:thresholds.possible", "2.5"),
            ("seq:keywords.0.fi.lemma", "kokeilu"),
            ("seq:keywords.0.fi.lemma", ""),  # pilotti removed
            ("seq:keywords.0.fi.lemma", "koekäyttö"),  # added
        ],
    )
    assert changed_lines(SMALL, out) == [
        "-  possible: 3.0",
        "+  possible: 2.5",
        "-    fi: {lemma: [kokeilu, pilotti],",
        "-         stems: [pilotoi], compound: true}   # wrapped by hand",
        "+    fi: {lemma: [kokeilu, koekäyttö], stems: [pilotoi], compound: true}   # wrapped by hand",
    ]
    config = load_file(Path("innovation.yaml"), RulesConfig, out + "")
    assert config.keywords[0].fi is not None and config.keywords[0].fi.lemma == ["kokeilu", "koekäyttö"]


def test_a_new_language_a_block_sequence_and_a_flow_sequence() -> None:
    out = apply_form(
        SMALL,
        [
            ("seq:keywords.1.fi.regex", "\\bkoe\\w*"),
            ("seq:exclusions.spans.names", "foo\\s+oy"),
            ("seq:exclusions.spans.names", ""),  # bar\b removed
            ("seq:exclusions.spans.names", "baz ab"),
            ("seq:exclusions.vetoes.pilot_trial", "\\bpilot\\s+boat"),
            ("seq:exclusions.vetoes.pilot_trial", "autopilot"),
            ("seq:negation_cues.fi", "ei"),
            ("seq:negation_cues.fi", "eikä"),
            ("seq:negation_cues.fi", "ilman"),
        ],
    )
    lines = out.splitlines()
    assert "    fi: {regex: ['\\bkoe\\w*']}" in lines  # inserted after the keyword's weight
    assert "      - 'foo\\s+oy'   # a company" in lines  # a kept item keeps its comment
    assert '      - "baz ab"' in lines and "      - 'bar\\b'" not in lines
    assert "    pilot_trial: ['\\bpilot\\s+boat', autopilot]" in lines
    assert "  fi: [ei, eikä, ilman]" in lines
    config = load_file(Path("innovation.yaml"), RulesConfig, out)
    assert config.keywords[1].fi is not None and config.keywords[1].fi.regex == ["\\bkoe\\w*"]
    assert config.exclusions.spans["names"] == ["foo\\s+oy", "baz ab"]


def test_a_value_that_is_no_number_is_left_for_the_check_to_report() -> None:
    out = apply_form(SMALL, [("num:keywords.0.weight", "kaksi: ja puoli")])
    assert '    weight: "kaksi: ja puoli"   # medium' in out.splitlines()
    with pytest.raises(Exception, match="weight"):
        load_file(Path("innovation.yaml"), RulesConfig, out)


def test_what_the_form_cannot_write() -> None:
    block = SMALL.replace("    en: {lemma: [trial]}\n", "    en:\n      lemma: [trial]\n")
    with pytest.raises(FormError, match="YAML view"):
        apply_form(block, [("seq:keywords.1.en.lemma", "trial"), ("seq:keywords.1.en.lemma", "test")])
    with pytest.raises(FormError, match="not in the file"):
        apply_form(SMALL, [("num:keywords.9.weight", "1")])
    assert form_view("thresholds: [") is None
