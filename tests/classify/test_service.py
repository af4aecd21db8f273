"""Stored classifications on SQLite and PostgreSQL: pending work, label changes, rules changes, preview."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from db.models.classification import ClassificationChange, NoticeClassification
from db.models.notices import Procedure
from db.record import NoticeRecord
from db.session import session_scope
from db.store import Store
from monitor.classify import Rules
from monitor.classify.service import classify_pending, preview, procedure_label, since_date
from tests.classify.conftest import record
from tests.db.records import raw

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _notice(number: str, title: str, description: str = "", **kwargs: object) -> NoticeRecord:
    rec = record({"fin": title}, {"fin": description} if description else None, **kwargs)
    return dataclasses.replace(
        rec,
        notice_id=str(uuid.uuid4()),
        procedure_id=str(uuid.uuid4()),
        publication_number=number,
        publication_date=date(2026, 3, 1),
        deadline=NOW + timedelta(days=30),
    )


def _ingest(url: str, *records: NoticeRecord) -> dict[str, tuple[int, int]]:
    out = {}
    with session_scope(url) as session:
        store = Store(session, clock=lambda: NOW)
        for rec in records:
            result = store.ingest(rec, raw(rec))
            out[rec.publication_number] = (result.notice_pk, result.procedure_pk)
    return out


def _weights(rules: Rules, **changes: float) -> Rules:
    """The same rules with some weights changed (a candidate an admin might try)."""
    cfg = rules.config
    keywords = [
        k.model_copy(update={"weight": changes[k.id]}) if k.id in changes else k for k in cfg.keywords
    ]
    structured = [
        s.model_copy(update={"weight": changes[s.id]}) if s.id in changes else s for s in cfg.structured
    ]
    return Rules.from_config(cfg.model_copy(update={"keywords": keywords, "structured": structured}))


@pytest.fixture
def stored(db_url: str) -> dict[str, tuple[int, int]]:
    return _ingest(
        db_url,
        _notice("00000001-2026", "Kotihoidon palvelut", "Hankinta toteutetaan innovaatiokumppanuutena."),
        _notice("00000002-2026", "Toimistotarvikkeet", "Hankitaan toimistotarvikkeita."),
        _notice("00000003-2026", "Potilastietojärjestelmä", procedure_type="comp-dial"),
    )


def test_classify_pending_stores_results_and_reports_first_labels(
    db_url: str, stored: dict[str, tuple[int, int]], rules: Rules
) -> None:
    with session_scope(db_url) as session:
        changes = classify_pending(session, rules, batch=2)  # several batches
    assert {c.publication_number: (c.old_label, c.new_label) for c in changes} == {
        "00000001-2026": (None, "innovative"),
        "00000002-2026": (None, "none"),
        "00000003-2026": (None, "possible"),
    }
    assert all(c.first and c.rules_version == rules.version for c in changes)
    with session_scope(db_url) as session:
        rows = session.execute(select(NoticeClassification)).scalars().all()
        assert {r.rules_version for r in rows} == {rules.version}
        first = next(r for r in rows if r.notice_pk == stored["00000001-2026"][0])
        assert first.result["reasons"][0]["signal_id"] == "innovation_partnership"
        assert session.scalar(select(func.count()).select_from(ClassificationChange)) == 3
        assert classify_pending(session, rules) == []  # nothing pending any more


def test_rules_change_reclassifies_open_procedures_only_and_reports_label_changes(
    db_url: str, stored: dict[str, tuple[int, int]], rules: Rules
) -> None:
    with session_scope(db_url) as session:
        classify_pending(session, rules)
        closed_pk = stored["00000003-2026"][1]
        session.execute(update(Procedure).where(Procedure.id == closed_pk).values(state="closed"))
    candidate = _weights(rules, innovation_partnership=1.0, proc_competitive_dialogue=6.0)
    with session_scope(db_url) as session:
        changes = classify_pending(session, candidate)
    assert [(c.publication_number, c.old_label, c.new_label) for c in changes] == [
        ("00000001-2026", "innovative", "none")
    ]
    with session_scope(db_url) as session:
        versions = dict(
            session.execute(select(NoticeClassification.notice_pk, NoticeClassification.rules_version)).all()
        )
        assert versions[stored["00000002-2026"][0]] == candidate.version  # re-classified, label unchanged
        assert versions[stored["00000003-2026"][0]] == rules.version  # closed: kept as alerted
        history = session.execute(
            select(ClassificationChange.old_label, ClassificationChange.new_label)
            .where(ClassificationChange.notice_pk == stored["00000001-2026"][0])
            .order_by(ClassificationChange.id)
        ).all()
        assert [tuple(h) for h in history] == [(None, "innovative"), ("innovative", "none")]


def test_procedure_label_is_the_highest_of_its_current_notices(
    db_url: str, stored: dict[str, tuple[int, int]], rules: Rules
) -> None:
    with session_scope(db_url) as session:
        assert procedure_label(session, stored["00000001-2026"][1]) is None
        classify_pending(session, rules)
        assert procedure_label(session, stored["00000001-2026"][1]) == "innovative"
        assert procedure_label(session, stored["00000002-2026"][1]) == "none"


@pytest.mark.parametrize("workers", [1, 2])
def test_preview_lists_what_candidate_rules_would_change_without_writing(
    db_url: str, stored: dict[str, tuple[int, int]], rules: Rules, workers: int
) -> None:
    with session_scope(db_url) as session:
        classify_pending(session, rules)
    candidate = _weights(rules, innovation_partnership=1.0, proc_competitive_dialogue=6.0)
    report = preview(db_url, candidate, rules, since=date(2026, 1, 1), workers=workers, chunk=1)
    kinds = {kind: [c.publication_number for c in items] for kind, items in report.by_kind().items()}
    assert kinds == {"newly flagged": [], "unflagged": ["00000001-2026"], "label changed": ["00000003-2026"]}
    assert report.scanned == 3
    assert report.labels_before == {"innovative": 1, "none": 1, "possible": 1}
    assert report.labels_after == {"innovative": 1, "none": 2}
    with session_scope(db_url) as session:  # read-only: stored results untouched
        labels = session.scalars(select(NoticeClassification.rules_version)).all()
        assert set(labels) == {rules.version}
    assert preview(db_url, candidate, rules, since=date(2026, 6, 1)).scanned == 0


def test_since_date() -> None:
    today = date(2026, 3, 31)
    assert since_date("90d", today) == date(2025, 12, 31)
    assert since_date("2w", today) == date(2026, 3, 17)
    assert since_date("all", today) is None
    with pytest.raises(ValueError, match="not a period"):
        since_date("ninety", today)


def test_preview_with_changed_words_classifies_from_the_text(
    db_url: str, stored: dict[str, tuple[int, int]], rules: Rules
) -> None:
    with session_scope(db_url) as session:
        classify_pending(session, rules)
    cfg = rules.config
    keywords = [
        k.model_copy(update={"fi": None}) if k.id == "innovation_partnership" else k for k in cfg.keywords
    ]
    candidate = Rules.from_config(cfg.model_copy(update={"keywords": keywords}))
    assert candidate.matcher_version != rules.matcher_version
    report = preview(db_url, candidate, rules, workers=1)
    assert [(c.publication_number, c.old_label, c.new_label) for c in report.changes] == [
        ("00000001-2026", "innovative", "none")
    ]
