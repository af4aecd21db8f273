"""Legacy TED innovation partnerships, through the real parser and the real classifier.

A legacy notice names its procedure ``PT_INNOVATION_PARTNERSHIP``; the parser maps it to the
eForms BT-105 code ``innovation``, the signal ``config/innovation.yaml`` weighs as innovative.
"""

from __future__ import annotations

import csv

from monitor.classify import Rules, classify
from scrapers.parsers import parse_notice
from tests.classify.conftest import REPO
from tests.conftest import shared_path


def test_every_legacy_innovation_partnership_is_innovative_with_reasons(rules: Rules) -> None:
    directory = shared_path("fixtures", "ted-legacy")
    with (directory / "INDEX.tsv").open(encoding="utf-8") as f:
        partnerships = [
            row["file"] for row in csv.DictReader(f, delimiter="\t") if row["innovation_partnership"] == "1"
        ]
    assert len(partnerships) == 29
    for name in partnerships:
        record = parse_notice((directory / name).read_bytes(), source_name=name)
        result = classify(record, rules)
        assert result.label == "innovative", name
        assert result.reasons, name
        assert "proc_innovation_partnership" in [r.signal_id for r in result.reasons], name


def test_handwritten_legacy_innovation_partnership_is_innovative(rules: Rules) -> None:
    """The same without the shared corpus: the hand-written German partnership in tests/data."""
    path = REPO / "tests" / "data" / "legacy" / "f02_innovation_partnership_deu.xml"
    result = classify(parse_notice(path.read_bytes(), source_name=path.name), rules)
    assert result.label == "innovative"
    assert "proc_innovation_partnership" in [r.signal_id for r in result.reasons]
    call = REPO / "tests" / "data" / "legacy" / "f02_call_fin.xml"
    assert classify(parse_notice(call.read_bytes()), rules).label == "none"  # an open IT procurement
