"""``tenderwatch procedure`` and ``tenderwatch status`` on a real (SQLite) store."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from db.session import session_scope
from db.store import FailedDocument, RawDoc, Store
from monitor.cli import cli
from tests.db.records import NOW, award_of, call, change_of, raw


def _fill(url: str) -> tuple[str, str]:
    original = call(title="Älykäs katuvalaistus")
    hilma = dataclasses.replace(original, publication_number=None, publication_date=None)
    later = original.deadline + timedelta(days=14)
    change = change_of(original, deadline=later, reasons=("update-add",))
    award = award_of(change)
    with session_scope(url) as session:
        store = Store(session, clock=lambda: NOW)
        store.ingest(hilma, raw(hilma, "hilma", "2026-012345"))
        store.ingest(original, raw(original, "ted"))
        store.ingest(change, raw(change, "ted"))
        store.ingest(award, raw(award, "ted"))
        run = store.start_run("ted")
        store.finish_run(
            run, status="blocked", requests=3, seen=2, new=1, updated=0,
            errors={"waf": 1}, close_reason="waf_challenge",
        )  # fmt: skip
        store.set_watermark("ted", NOW)
    return original.procedure_id or "", original.notice_id or ""


def test_procedure_prints_the_timeline(settings_env: Path, sqlite_url: str) -> None:
    procedure_id, notice_id = _fill(sqlite_url)
    result = CliRunner().invoke(cli, ["procedure", procedure_id.upper()])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Procedure {procedure_id}" in out
    assert "state     awarded" in out and "Älykäs katuvalaistus" in out
    lines = out.splitlines()
    # notices in publication order, each with its sources
    notices = [line for line in lines if line.startswith("  2026-")]
    assert len(notices) == 3
    assert "competition" in notices[0] and "00711911-2026" in notices[0] and "[superseded]" in notices[0]
    assert "change (competition)" in notices[1] and "00712000-2026" in notices[1]
    assert "result" in notices[2] and "00800000-2026" in notices[2]
    assert any("from hilma 2026-012345" in line for line in lines)
    assert any("from ted 00711911-2026" in line for line in lines)
    # the change with old → new deadline in Helsinki time (12:00 UTC; summer time from 29 March)
    assert "      deadline: 2026-04-01 15:00 → 2026-04-15 15:00" in lines
    assert "      event deadline_moved: 2026-04-01 15:00 → 2026-04-15 15:00" in lines
    assert any(line.startswith("      event awarded") for line in lines)
    # the same procedure is found by notice UUID and by publication number without zeros
    for ident in (notice_id, "711911-2026"):
        again = CliRunner().invoke(cli, ["procedure", ident])
        assert again.exit_code == 0 and again.output == out


def test_procedure_unknown_is_a_clear_error(settings_env: Path) -> None:
    result = CliRunner().invoke(cli, ["procedure", "no-such-procedure"])
    assert result.exit_code == 1
    assert "no procedure 'no-such-procedure' in the store" in result.output


def test_status_shows_runs_and_watermarks(settings_env: Path, sqlite_url: str) -> None:
    _fill(sqlite_url)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 0, result.output
    run_line = next(line for line in result.output.splitlines() if line.strip().startswith("ted "))
    assert "blocked" in run_line and "waf 1 / waf_challenge" in run_line
    assert run_line.split()[6:10] == ["3", "2", "1", "0"]
    assert "2026-03-02 14:00" in result.output  # the watermark, in Helsinki time
    assert "Failed documents: none" in result.output


def test_status_reports_failed_and_given_up_documents(settings_env: Path, sqlite_url: str) -> None:
    with session_scope(sqlite_url) as session:
        store = Store(session, clock=lambda: NOW)
        store.record_failure(RawDoc("ted", "7-2026", None, b"<html>", NOW), "not XML: <html>")
        gone = FailedDocument("hilma", "100042", "download", "HTTP 403", published=NOW.date())
        for _ in range(2):
            store.record_fetch_failure(gone, give_up_after=2)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  hilma          0 to be fetched again, 1 given up" in lines
    assert "  ted            1 to be fetched again, 0 given up" in lines
    given_up = next(line for line in lines if "100042" in line)
    assert "published 2026-03-02: 2 attempts, download: HTTP 403" in given_up


def test_reparse_command_uses_the_eforms_parser(settings_env: Path, sqlite_url: str) -> None:
    """Real eForms XML from the sample builder, parsed by the real parser, re-parsed by the command."""
    import random

    from monitor.demo.samples.builder import build_notice_xml, change_of, random_spec
    from scrapers.parsers import parse_notice

    rng = random.Random(4)
    spec = random_spec(rng)
    docs = [build_notice_xml(spec), build_notice_xml(change_of(rng, spec))]
    with session_scope(sqlite_url) as session:
        store = Store(session, clock=lambda: NOW)
        for i, content in enumerate(docs):
            doc = RawDoc("ted", f"doc-{i}", None, content, NOW)
            store.ingest(parse_notice(content, source_name=f"ted:doc-{i}"), doc)
        store.record_failure(RawDoc("ted", "broken", None, b"<ContractNotice", NOW), "truncated")
    first = CliRunner().invoke(cli, ["reparse", "--source", "ted"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "reparsed 3 documents: failed 1, unchanged 2"
    again = CliRunner().invoke(cli, ["reparse", "--since", "2026-03-03"])
    assert again.output.strip() == "reparsed 0 documents: nothing to do"
    with session_scope(sqlite_url) as session:
        from sqlalchemy import select

        from db.models.notices import RawDocument

        error = session.scalar(select(RawDocument.parse_error).where(RawDocument.source_id == "broken"))
        assert error and "truncated" not in error  # the parser's own error replaced the old one


def test_reparse_command_brings_in_legacy_ted_documents_kept_as_failures(
    settings_env: Path, sqlite_url: str
) -> None:
    """Legacy TED XML fetched before the legacy parser existed was kept as a failure; the command
    parses it now and stores the notice."""
    legacy = Path(__file__).resolve().parent.parent / "data" / "legacy"
    with session_scope(sqlite_url) as session:
        store = Store(session, clock=lambda: NOW)
        for name in ("f02_call_fin.xml", "f03_award_fin.xml"):
            doc = RawDoc("ted", name, None, (legacy / name).read_bytes(), NOW)
            store.record_failure(doc, "NotEformsError: a legacy TED XML (TED_EXPORT) document, not eForms")
    result = CliRunner().invoke(cli, ["reparse"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "reparsed 2 documents: new 2"
    procedure = CliRunner().invoke(cli, ["procedure", "4201-2022"])
    assert procedure.exit_code == 0, procedure.output
    assert "F02" in procedure.output and "F03" in procedure.output


def test_settle_conflicts_applies_copies_that_no_longer_differ_and_keeps_the_others(
    settings_env: Path, sqlite_url: str
) -> None:
    """A conflict row that the current rule sees as a plain copy (one written before the rule
    changed: here by hand) is applied; a real difference stays a conflict."""
    from sqlalchemy import select, update

    from db.models.notices import Notice, NoticeConflict
    from tests.db.test_source_own import ANSWERS, hilma_copy

    ted, other = call(publication_number="00000021-2026"), call(publication_number="00000022-2026")
    moved = dataclasses.replace(other, deadline=other.deadline + timedelta(days=3))
    with session_scope(sqlite_url) as session:
        store = Store(session, clock=lambda: NOW)
        store.ingest(ted, raw(ted))
        store.ingest(other, raw(other))
        assert store.ingest(moved, raw(moved, "hilma")).status == "conflict"
        copy = hilma_copy(ted)
        assert store.ingest(copy, raw(copy, "hilma")).status == "new_source"
        # What the old rule left: HILMA's copy as a conflict, not applied.
        session.execute(update(Notice).where(Notice.notice_id == ted.notice_id).values(record=ted.to_dict()))
        session.execute(
            NoticeConflict.__table__.insert().values(
                notice_pk=session.scalar(select(Notice.id).where(Notice.notice_id == ted.notice_id)),
                source="hilma", source_id="hilma-old", raw_document_pk=None, record_hash="old",
                record=copy.to_dict(), fields=["lots", "signals"], detected_at=NOW,
            )
        )  # fmt: skip
    result = CliRunner().invoke(cli, ["settle-conflicts"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "settled 1 of 2 conflicts; the others still differ"
    with session_scope(sqlite_url) as session:
        record = session.scalar(select(Notice.record).where(Notice.notice_id == ted.notice_id))
        assert record["lots"][0]["signals"] == ANSWERS
        assert session.scalars(select(NoticeConflict.source_id)).all() == [raw(moved, "hilma").source_id]
    again = CliRunner().invoke(cli, ["settle-conflicts"])
    assert again.output.strip() == "settled 0 of 1 conflicts; the others still differ"
