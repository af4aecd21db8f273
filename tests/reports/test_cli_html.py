"""The commands end to end, and the HTML report as a browser renders it (headless Chromium)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import migrate
from db.session import session_scope
from monitor.cli import cli
from monitor.reports.render import NAME_WIDTH
from tests.reports import dataset
from tests.reports.dataset import N, P
from tests.reports.pngcheck import assert_not_blank

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def stored_cli(settings_env: Path, sqlite_url: str) -> Path:
    migrate.upgrade(sqlite_url)
    specs = [
        P("tem", [N("call", date(2026, 10, 5), "innovative", 250_000.0)], "Tekoälypilotti"),
        P("tem", [N("call", date(2026, 10, 6), "none", 40_000.0)], "Toimistotarvikkeet"),
        P("tem", [N("call", date(2026, 9, 6), "none", 10_000.0)], "Syyskuun hankinta"),
        P("thl", [N("call", date(2026, 10, 7), "possible", None)], "Rokotekylmäketju"),
        P("tampere", [N("call", date(2026, 10, 8), "innovative", 90_000.0), N("cancel", date(2026, 10, 20))],
          "Peruttu kokeilu"),
        P("hva", [N("call", date(2026, 10, 9), "none", 1_000_000.0)], "Potilastietojärjestelmä"),
    ]  # fmt: skip
    with session_scope(sqlite_url) as session:
        dataset.ingest(session, specs)
    return settings_env


def test_branches_command_in_three_formats(stored_cli: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["report", "branches", "--period", "2026-10", "--lang", "en"])
    assert text.exit_code == 0, text.output
    tem = next(line for line in text.output.splitlines() if line.startswith("Ministry of Economic Affairs"))
    cells = re.split(r"\s{2,}", tem[NAME_WIDTH:].strip())
    assert cells[:4] == ["2", "1", "0", "50.0 %"]  # 1 of 2 calls innovative
    out = tmp_path / "r.csv"
    res = runner.invoke(cli, ["report", "branches", "--from", "2026-10-01", "--to", "2026-10-31",
                              "--format", "csv", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = {r["area"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert (rows["TEM"]["calls"], rows["TEM"]["innovative"], rows["TEM"]["previous_calls"]) == ("2", "1", "1")
    assert (rows["kunta"]["calls"], rows["kunta"]["cancelled_not_counted"]) == ("0", "1")
    assert (rows["FI"]["calls"], rows["FI"]["value_missing"], rows["FI"]["goal_pct"]) == (
        "4",
        "1",
        "10.00",
    )  # the shipped goal in force in 2026


def test_calls_command_lists_the_procedures_behind_a_figure(stored_cli: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["report", "calls", "--branch", "tem", "--label", "innovative",
                              "--from", "2026-10-01", "--to", "2026-10-31", "--reasons"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Tekoälypilotti" in res.output and "Toimistotarvikkeet" not in res.output
    assert "https://ted.europa.eu/en/notice/-/detail/" in res.output and "bt105-innovation" in res.output
    res = runner.invoke(
        cli, ["report", "calls", "--branch", "kunta", "--period", "2026-10", "--include-cancelled"]
    )
    assert "Peruttu kokeilu" in res.output and "[cancelled]" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "branches", "--to", "2026-10-01"], "give --from with --to"),
        (
            ["report", "branches", "--from", "2026-10-31", "--to", "2026-10-01"],
            "ends (2026-10-01) before it starts",
        ),
        (["report", "branches", "--period", "2026-13"], "is not a month"),
        (["report", "branches", "--from", "1.10.2026", "--to", "2026-10-31"], "is not a date"),
        (["report", "calls", "--branch", "XYZ", "--period", "2026-10"], "unknown branch or group 'XYZ'"),
    ],
)
def test_bad_input_gets_a_clear_error(settings_env: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and message in res.output, res.output


def test_html_report_renders_in_a_browser(stored_cli: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    res = CliRunner().invoke(
        cli, ["report", "branches", "--period", "2026-10", "--format", "html", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert html.count("data:image/png;base64,") == 2  # both charts embedded: the file stands alone
    for name in ("shares", "trend"):
        assert_not_blank(tmp_path / f"report-{name}.png", min_width=800)
    shot = tmp_path / "screenshot.png"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'chrome'}", f"--screenshot={shot}", "--window-size=1200,1600",
        out.as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert_not_blank(shot, min_width=1200, min_height=1600)


def test_send_command_mails_each_contact_once(stored_cli: Path) -> None:
    from db.models.alerts import Subscriber
    from monitor.settings import get_settings

    with session_scope(get_settings().db_url) as session:
        session.add(Subscriber(email="tem@example.org", kind="branch", branch="TEM", language="en"))
    runner = CliRunner()
    first = runner.invoke(cli, ["report", "send", "--period", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "queued for 2026-10: 1" in first.output and "sent 1" in first.output
    again = runner.invoke(cli, ["report", "send", "--period", "2026-10"])
    assert "queued for 2026-10: 0" in again.output and "sent 0" in again.output
    (eml,) = (stored_cli / "outbox").glob("*.eml")  # no SMTP configured: .eml files
    assert "Innovation procurement 2026-10" in eml.read_text()
