"""``tenderwatch parse``: good files printed, bad ones named on stderr, exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo.samples.builder import build_notice_xml, generate_specs

REQUIRED_KEYS = {
    "notice_id",
    "version",
    "procedure_id",
    "publication_number",
    "publication_date",
    "subtype",
    "notice_type",
    "form_type",
    "language",
    "title",
    "description",
    "buyers",
    "procedure_type",
    "main_nature",
    "cpv_main",
    "cpv_additional",
    "place_nuts",
    "estimated_value",
    "deadline",
    "lots",
    "changes",
    "signals",
}


def _corpus(tmp_path: Path) -> list[str]:
    sub = tmp_path / "batch" / "nested"
    sub.mkdir(parents=True)
    numbers = []
    for i, spec in enumerate(generate_specs(4, seed=5)):
        (sub if i % 2 else tmp_path / "batch").joinpath(f"n{i}.xml").write_bytes(build_notice_xml(spec))
        numbers.append(spec.publication_number)
    (tmp_path / "batch" / "broken.xml").write_bytes(b"<ContractNotice><unclosed>")
    (tmp_path / "batch" / "page.xml").write_bytes(b"<html><head><title>Maintenance</title></head></html>")
    (tmp_path / "batch" / "notes.txt").write_text("not xml, not picked up")
    return numbers


def test_parse_json_mixed_good_and_bad(tmp_path: Path) -> None:
    numbers = _corpus(tmp_path)
    result = CliRunner().invoke(cli, ["parse", "--json", str(tmp_path / "batch")])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["publication_number"] for r in lines) == sorted(numbers)
    for record in lines:
        assert set(record) >= REQUIRED_KEYS
    assert "broken.xml" in result.stderr and "not well-formed" in result.stderr
    assert "page.xml" in result.stderr and "Maintenance" in result.stderr
    assert "notes.txt" not in result.stderr


def test_parse_human_lines_and_success_exit(tmp_path: Path) -> None:
    spec = next(iter(generate_specs(1, seed=9)))
    path = tmp_path / "one.xml"
    path.write_bytes(build_notice_xml(spec))
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert spec.publication_number in result.stdout
    assert f"st{spec.subtype}" in result.stdout


def test_parse_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["parse", str(tmp_path / "nope.xml")])
    assert result.exit_code == 2
    assert "nope.xml" in result.stderr


def test_parse_json_reads_legacy_ted_files() -> None:
    """``tenderwatch parse FILE --json`` on legacy TED XML: the same record shape as eForms."""
    legacy = Path(__file__).resolve().parent.parent / "data" / "legacy"
    result = CliRunner().invoke(cli, ["parse", "--json", str(legacy)])
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(list(legacy.glob("*.xml"))) == 5
    for record in lines:
        assert set(record) >= REQUIRED_KEYS and record["notice_id"] is None
    by_number = {r["publication_number"]: r for r in lines}
    assert by_number["00021500-2022"]["changes"]["changed_notice"] == "00004201-2022"
    summary = CliRunner().invoke(cli, ["parse", str(legacy / "f02_call_fin.xml")])
    assert summary.stdout.startswith("00004201-2022 | stF02 cn-standard | Esimerkkikaupunki (FIN)")
