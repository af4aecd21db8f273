"""The classifier's commands, run in-process with click's runner."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.classify.conftest import LABELS_FILE, RULES_FILE


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def notice_files(tmp_path: Path) -> list[Path]:
    """Two synthetic eForms notices: an innovation partnership and a plain open call."""
    from monitor.demo.samples.builder import LotSpec, NoticeSpec, build_notice_xml, random_spec

    innovative = random_spec(
        random.Random(5), subtype="16", procedure_type="innovation", publication_number="00000010-2026"
    )
    path = tmp_path / "innovative.xml"
    path.write_bytes(build_notice_xml(innovative))
    paths = [path]
    plain = NoticeSpec(
        publication_number="00000011-2026",
        title={"fin": "Toimistotarvikkeet"},
        description={"fin": "Hankitaan toimistotarvikkeita. Vaihtoehtoisia tarjouksia ei hyväksytä."},
        cpv_main="30192000",
        lots=[LotSpec(lot_id="LOT-0001", title={"fin": "Toimistotarvikkeet"}, cpv_main="30192000")],
    )
    path = tmp_path / "plain.xml"
    path.write_bytes(build_notice_xml(plain))
    paths.append(path)
    return paths


def test_classify_files_as_json(notice_files: list[Path]) -> None:
    code, out = _run("classify", "--json", *map(str, notice_files))
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["publication_number"] for r in rows] == ["00000010-2026", "00000011-2026"]
    assert (
        rows[0]["label"] == "innovative"
        and rows[0]["reasons"][0]["signal_id"] == "proc_innovation_partnership"
    )
    assert rows[1]["label"] == "none" and rows[1]["notice_id"]
    assert any("negated by 'ei'" in n["why"] for n in rows[1]["not_counted"])


def test_classify_readable_and_a_bad_file_fails_without_stopping_the_rest(
    notice_files: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("<ContractNotice", encoding="utf-8")
    result = CliRunner().invoke(cli, ["classify", str(bad), str(notice_files[0])])
    assert result.exit_code == 1
    assert "broken.xml: cannot parse" in result.stderr
    assert "label innovative" in result.stdout and "proc_innovation_partnership" in result.stdout


def test_rules_check_good_and_bad(tmp_path: Path) -> None:
    code, out = _run("rules", "check", str(RULES_FILE))
    assert code == 0 and "OK, version" in out
    bad = tmp_path / "innovation.yaml"
    bad.write_text(
        RULES_FILE.read_text(encoding="utf-8").replace("weight: 6.0", "weight: six", 1), encoding="utf-8"
    )
    code, out = _run("rules", "check", str(bad))
    assert code == 1 and "innovation.yaml:" in out and "structured[0].weight" in out


def test_eval_prints_precision_recall_and_confusion() -> None:
    code, out = _run("eval", str(LABELS_FILE), "--errors")
    assert code == 0
    assert "innovative" in out and "confusion (rows: expected, columns: predicted)" in out
    assert "hard negatives: " in out and "labelled innovative: 0" in out


def test_explain_and_preview_on_a_stored_notice(settings_env: Path, sqlite_url: str, tmp_path: Path) -> None:
    from db.session import session_scope
    from monitor.classify import load_rules
    from monitor.classify.service import classify_pending
    from tests.classify.test_service import _ingest, _notice

    _ingest(sqlite_url, _notice("00000001-2026", "Palvelut", "Hankinta toteutetaan innovaatiokumppanuutena."))
    with session_scope(sqlite_url) as session:
        classify_pending(session, load_rules(RULES_FILE))
    code, out = _run("explain", "00000001-2026")
    assert code == 0, out
    assert "stored result" in out and "innovation_partnership" in out and "procedure label" in out
    candidate = tmp_path / "candidate.yaml"
    shutil.copy(RULES_FILE, candidate)
    text = candidate.read_text(encoding="utf-8").replace("innovative: 5.0", "innovative: 9.0")
    candidate.write_text(text, encoding="utf-8")
    code, out = _run("rules", "preview", str(candidate), "--since", "all", "--workers", "1")
    assert code == 0, out
    assert "label changed: 1" in out and "00000001-2026  innovative → possible" in out
    code, out = _run("explain", "99999999-2026")
    assert code == 1 and "no stored notice" in out
