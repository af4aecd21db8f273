"""``eval --declared``: the text rules measured against buyers' declarations on stored notices."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import migrate
from db.record import NoticeRecord
from db.session import session_scope
from db.store import Store
from monitor.classify import Rules, classify
from monitor.classify.declared_eval import (
    FLAGGED,
    INNOVATIVE,
    evaluate_declared,
    report,
    text_only_record,
    text_only_rules,
)
from monitor.cli import cli
from scrapers.parsers import parse_notice
from tests.classify.conftest import REPO, record
from tests.db.records import raw

PARTNERSHIP_FI = "Hankinta toteutetaan innovaatiokumppanuutena."


def _notice(
    number: int, title: dict[str, str], description: dict[str, str] | None = None, **kw
) -> NoticeRecord:
    rec = record(title, description, **kw)
    language = next(iter(title))
    return dataclasses.replace(
        rec,
        notice_id=str(uuid.uuid4()),
        procedure_id=str(uuid.uuid4()),
        publication_number=f"{number:08d}-2026",
        language=language,
    )


def test_structured_signals_are_hidden_so_only_text_predicts(rules: Rules) -> None:
    text_rules = text_only_rules(rules)
    assert text_rules.config.structured == [] and text_rules.version != rules.version
    silent = record(
        {"fin": "Kotihoidon palvelut"}, procedure_type="innovation", lot_signals={"BT-776": ["mar-nov"]}
    )
    assert classify(silent, rules).label == "innovative"  # the form fields alone
    assert classify(silent, text_rules).label == "none"  # … are not text
    spoken = record({"fin": "Kotihoidon palvelut"}, {"fin": PARTNERSHIP_FI}, procedure_type="innovation")
    result = classify(spoken, text_rules)
    assert result.label == "innovative" and {r.kind for r in result.reasons} == {"text"}


def test_teds_cpv_headings_of_legacy_notices_are_hidden() -> None:
    path = REPO / "tests" / "data" / "legacy" / "f02_innovation_partnership_deu.xml"
    rec = parse_notice(path.read_bytes(), source_name=path.name)
    assert {"deu", "fin", "swe", "eng"} <= set(rec.title)  # the buyer's German title and TED's headings
    hidden = text_only_record(rec)
    assert set(hidden.title) == {"deu"} and hidden.title["deu"] == rec.title["deu"]
    assert hidden.description == rec.description
    eforms = record({"fin": "Otsikko", "eng": "Title"})
    assert text_only_record(eforms) is eforms  # eForms titles are the buyer's own, in every language


def test_figures_per_language_and_overall(db_url: str, rules: Rules) -> None:
    notices = [
        # Finnish: declared and said in words; declared and not; said in words, not declared; neither.
        _notice(1, {"fin": "Kotihoito"}, {"fin": PARTNERSHIP_FI}, procedure_type="innovation"),
        _notice(2, {"fin": "Kotihoito"}, lot_signals={"BT-776": ["mar-nov"]}),
        _notice(3, {"fin": "Esikaupallinen hankinta: tutkimus- ja kehittämispalvelut"}),
        _notice(4, {"fin": "Toimistotarvikkeet"}),
        # English: declared, flagged only "possible" (a market consultation in words).
        _notice(5, {"eng": "Market consultation on road maintenance"}, signals={"BT-06": ["inn-pur"]}),
        _notice(6, {"eng": "Office cleaning"}),
    ]
    with session_scope(db_url) as session:
        store = Store(session)
        for rec in notices:
            store.ingest(rec, raw(rec))
    with session_scope(db_url) as session:
        ev = evaluate_declared(session, rules, rules.config.declared)
    fin, eng, overall = ev.by_language["fin"], ev.by_language["eng"], ev.overall
    assert (fin.notices, fin.declared, fin.hits(INNOVATIVE), fin.predicted(INNOVATIVE)) == (4, 2, 1, 2)
    assert (fin.precision(INNOVATIVE), fin.recall(INNOVATIVE)) == (0.5, 0.5)
    assert eng.confusion[True] == {"innovative": 0, "possible": 1, "none": 0}
    assert (eng.recall(INNOVATIVE), eng.recall(FLAGGED), eng.precision(INNOVATIVE)) == (0.0, 1.0, None)
    assert (overall.notices, overall.declared) == (6, 3)
    assert overall.confusion == {
        True: {"innovative": 1, "possible": 1, "none": 1},
        False: {"innovative": 1, "possible": 0, "none": 2},
    }
    assert [d.publication_number for d in ev.missed] == ["00000002-2026", "00000005-2026"]
    assert ev.missed[0].why == ["new_to_market"]
    assert [d.publication_number for d in ev.false_alarms] == ["00000003-2026"]
    text = report(ev, errors=True)
    assert "fin               4         2        2     1     50.0 %  50.0 %" in text
    assert "Legacy TED notices" in text and "00000003-2026" in text


def test_the_command(settings_env: Path, sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    rec = _notice(1, {"fin": "Kotihoito"}, {"fin": PARTNERSHIP_FI}, procedure_type="innovation")
    with session_scope(sqlite_url) as session:
        Store(session).ingest(rec, raw(rec))
    runner = CliRunner()
    res = runner.invoke(cli, ["eval", "--declared"])
    assert res.exit_code == 0, res.output
    assert "1 stored notices" in res.output and "structured signals and TED's headings hidden" in res.output
    data = json.loads(runner.invoke(cli, ["eval", "--declared", "--json"]).output)
    assert data["overall"]["declared"] == 1 and data["overall"]["innovative_recall"] == 1.0
    assert data["by_language"]["fin"]["confusion"]["declared"]["innovative"] == 1 and data["limits"]


@pytest.mark.parametrize("args", [["eval"], ["eval", "--declared", "tests/data/innovation_labels.yaml"]])
def test_labels_or_declared_not_both(settings_env: Path, args: list[str]) -> None:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "either LABELS" in res.output
