"""The real TED notices in the shared corpus, through the real eForms parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.classify import Rules, classify
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def real(rules: Rules) -> dict[str, object]:
    from scrapers.parsers import parse_notice

    directory = shared_path("fixtures", "ted-real")
    out = {}
    for path in sorted(Path(directory).glob("*.xml")):
        out[path.name] = classify(parse_notice(path.read_bytes(), source_name=path.name), rules)
    return out


def test_innovation_partnership_notice_is_innovative(real: dict) -> None:
    result = real["BEL_00553508-2023_st12.xml"]
    assert result.label == "innovative"
    assert "proc_innovation_partnership" in [r.signal_id for r in result.reasons]


def test_notices_with_no_innovation_signal_in_the_index_are_none(real: dict) -> None:
    """INDEX.tsv (written by the corpus collector) lists each notice's signals; no signal → none."""
    index = shared_path("fixtures", "ted-real", "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    header = index[0].split("\t")
    quiet = []
    for line in index[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        signals = row.get("signals", "")
        if not any(s in signals for s in ("BT-105", "BT-776", "inn-pur", "design-contest", "BT-63")):
            quiet.append(row["file"])
    assert len(quiet) >= 10
    assert {name: real[name].label for name in quiet} == dict.fromkeys(quiet, "none")


def test_every_flag_has_reasons_and_competitive_dialogue_is_only_possible(real: dict) -> None:
    for name, result in real.items():
        if result.label != "none":
            assert result.reasons, name
    assert real["LUX_00634806-2022_st21.xml"].label == "possible"
