"""Real notices and the SDK's examples: every one parses, or fails only with a clear NoticeParseError.

The shared corpus lives beside the repository (``tests.conftest.shared_path``); where it is
absent these tests skip with the reason.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scrapers.parsers import NoticeParseError, parse_notice
from tests.conftest import shared_path

DESIGN_CONTEST = {"23", "24", "36", "37"}


def _examples() -> list[Path]:
    return sorted(shared_path("fixtures", "eforms-sdk", "examples", "notices").glob("*.xml"))


def test_every_sdk_example_parses_or_fails_clearly() -> None:
    parsed = failed = 0
    for path in _examples():
        try:
            record = parse_notice(path.read_bytes(), source_name=path.name)
        except NoticeParseError as exc:
            assert path.name.startswith("INVALID_"), f"valid example failed: {exc}"
            assert str(exc).startswith(path.name + ": ")
            failed += 1
            continue
        parsed += 1
        assert record.notice_id and record.subtype, path.name
        assert record.buyers and record.buyers[0].name, path.name
        stem_type = path.stem.split("_")[0].lower()
        if stem_type in ("cn", "can", "pin-only", "pin-buyer", "veat", "cn-desg", "can-desg", "cn-social"):
            assert record.notice_type and record.notice_type.startswith(stem_type.replace("-only", "")), (
                path.name
            )
    assert parsed >= 80 and failed <= 12


def test_sdk_examples_with_known_signals() -> None:
    root = shared_path("fixtures", "eforms-sdk", "examples", "notices")

    def rec(name: str):
        return parse_notice((root / name).read_bytes(), source_name=name)

    assert rec("cn_24_maximal.xml").signals["BT-776"] == ["proc-innov"]
    assert rec("cn_24_maximal.xml").signals["BT-06"] == ["env-imp"]
    assert rec("cn-social_25.xml").signals["BT-105"] == ["innovation"]
    assert rec("cn-social_25.xml").signals["BT-776"] == ["rd-act"]
    assert rec("veat_81.xml").signals["BT-776"] == ["prod-innov"]
    assert "73111000" in rec("veat_81.xml").all_cpv
    assert len(rec("cn_24_maximal_100_lots.xml").lots) == 100
    cancel = rec("change-cn_24_void.xml").changes
    assert cancel is not None and cancel.reasons == ["cancel"]
    assert cancel.changed_notice == "f42be27e-09cf-4f0e-a745-63ec689631e6-01"
    award = rec("can_24_minimal.xml").awards[0]
    assert award.status == "selec-w" and award.winners and award.value is not None
    assert [b.name for b in rec("can_25_ENG_Buyers.xml").buyers][1] == "Clear Water"
    multilingual = rec("cn_24_multilingual.xml")
    assert len(multilingual.title) > 1 and all(k == k.lower() and len(k) == 3 for k in multilingual.title)


def _index() -> list[dict[str, str]]:
    with open(shared_path("fixtures", "ted-real", "INDEX.tsv"), encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_real_ted_notices_match_the_index() -> None:
    folder = shared_path("fixtures", "ted-real")
    rows = _index()
    assert len(rows) >= 20
    for row in rows:
        record = parse_notice((folder / row["file"]).read_bytes(), source_name=row["file"])
        where = row["file"]
        assert record.publication_number == row["publication_number"], where
        assert record.subtype == row["subtype"], where
        assert record.notice_type == row["notice_type"], where
        assert record.sdk_version == (row["sdk"] or None), where
        buyer = record.buyers[0]
        assert buyer.country == row["buyer_country"], where
        # INDEX.tsv shortens long names to 70 characters
        assert buyer.name == row["buyer_name"] or buyer.name.startswith(row["buyer_name"]), where
        assert len(record.lots) == int(row["lots"]), where
        for token in filter(None, row["signals"].split(";")):
            if token == "design-contest":
                assert record.subtype in DESIGN_CONTEST, where
            elif token.startswith("change-notice(BT-758="):
                assert record.changes is not None, where
                assert record.changes.changed_notice == token[len("change-notice(BT-758=") : -1], where
            else:
                field, _, codes = token.partition("=")
                assert set(codes.split(",")) <= set(record.signals.get(field, [])), (where, token)


def test_real_finnish_notices_details() -> None:
    folder = shared_path("fixtures", "ted-real")
    servica = parse_notice((folder / "FIN_00544961-2023_st20.xml").read_bytes())
    assert servica.buyers[0].org_id == "2947618-4"
    assert servica.documents_url == "https://hankintailmoitukset.fi/fi/public/procedure/38/enotice/38"
    assert servica.deadline is not None and servica.deadline.isoformat() == "2023-10-09T08:00:00+03:00"
    assert servica.language == "fin" and "fin" in servica.title
    kristinestad = parse_notice((folder / "FIN_00525037-2024_st29.xml").read_bytes())
    assert {"fin", "swe"} <= set(kristinestad.title)
    assert len(kristinestad.awards) >= 1
    joint = parse_notice((folder / "FIN_00660556-2023_st24.xml").read_bytes())
    assert len(joint.buyers) >= 2


@pytest.mark.parametrize("name", ["E1_minimum.xml", "E3_minimum.xml", "E4_minimum.xml"])
def test_hilma_national_examples(name: str) -> None:
    path = shared_path("fixtures", "hilma-sdk", name)
    record = parse_notice(path.read_bytes(), source_name=name)
    assert record.subtype == name[:2]
    assert record.national["FI-20"] is False
    assert record.buyers and record.buyers[0].country == "FIN"
    if name.startswith("E3"):
        assert record.national["FI-11"] == "procurement-legislation"
