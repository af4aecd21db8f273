"""The back-test's event stream (``monitor.classify.backtest``): the same findings as ``rules preview``,
range by range, with each flip's reasons before and after; through the CLI's ``--json-stream``
and through a runner process fed a job on stdin, as the web feeds it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from db.session import session_scope
from monitor.classify import load_rules
from monitor.classify.backtest import Job
from monitor.classify.service import classify_pending
from monitor.cli import cli
from tests.classify.conftest import LABELS_FILE, RULES_FILE
from tests.classify.test_service import _ingest, _notice


def _stored(url: str) -> None:
    _ingest(
        url,
        _notice("00000001-2026", "Palvelut", "Hankinta toteutetaan innovaatiokumppanuutena."),
        _notice("00000002-2026", "Toimistotarvikkeet", "Paperia."),
        _notice("00000003-2026", "Kehitys", "Hankintaa edeltää markkinavuoropuhelu."),
    )
    with session_scope(url) as session:
        classify_pending(session, load_rules(RULES_FILE))


def _stricter(tmp_path: Path) -> Path:
    candidate = tmp_path / "candidate.yaml"
    shutil.copy(RULES_FILE, candidate)
    text = candidate.read_text(encoding="utf-8").replace("innovative: 5.0", "innovative: 9.0")
    candidate.write_text(text, encoding="utf-8")
    return candidate


def test_json_stream_reports_what_preview_reports(
    settings_env: Path, sqlite_url: str, tmp_path: Path
) -> None:
    _stored(sqlite_url)
    candidate = _stricter(tmp_path)
    args = ["rules", "preview", str(candidate), "--since", "all", "--workers", "1"]
    summary = json.loads(CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    result = CliRunner().invoke(cli, [*args, "--json-stream", "--labels", str(LABELS_FILE)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "done"
    assert events[0]["total"] == 3
    last = [e for e in events if e["event"] == "progress"][-1]
    assert (
        last["labels_before"] == summary["labels_before"] and last["labels_after"] == summary["labels_after"]
    )
    flips = [f for e in events if e["event"] == "progress" for f in e["flips"]]
    (changed,) = summary["changes"]["label changed"]
    assert [(f["publication_number"], f["old_label"], f["new_label"]) for f in flips] == [
        (changed["publication_number"], "innovative", "possible")
    ]
    assert last["transitions"] == {"innovative>possible": 1}
    (flip,) = flips
    assert {r["signal_id"] for r in flip["reasons_before"]} == {r["signal_id"] for r in flip["reasons_after"]}
    assert any("innovaatiokumppanuu" in r["matched"].lower() and r["matched"] in r["snippet"]
               for r in flip["reasons_after"])  # fmt: skip
    (evaluation,) = [e for e in events if e["event"] == "evaluation"]
    assert evaluation["set"] == "labelled" and evaluation["count"] > 100
    # A stricter threshold can only lower the recall of "innovative", never raise it.
    assert evaluation["after"]["innovative"]["recall"] <= evaluation["before"]["innovative"]["recall"]
    assert events[-1]["scanned"] == 3 and events[-1]["changed"] == 1
    # --json keeps its fields: the web's reasons lists are not in it.
    assert set(changed) == {
        "notice_pk", "publication_number", "title", "old_label", "new_label", "old_score", "new_score",
        "reasons",
    }  # fmt: skip


def test_a_runner_takes_one_job_from_stdin(sqlite_url: str, tmp_path: Path) -> None:
    _stored(sqlite_url)
    job = Job(
        db_url=sqlite_url,
        candidate=_stricter(tmp_path).read_text(encoding="utf-8"),
        current=RULES_FILE.read_text(encoding="utf-8"),
        decisions=({"id": "d1", "label": "innovative", "title": {"fin": "Innovaatiokumppanuus"}},),
        workers=1,
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitor.classify.backtest"],
        input=job.to_json() + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "ready" and events[1]["event"] == "start" and events[-1]["event"] == "done"
    (decisions,) = [e for e in events if e["event"] == "evaluation"]  # no labelled set in this job
    assert decisions["set"] == "decisions" and decisions["count"] == 1
    assert decisions["before"]["innovative"]["support"] == 1
