"""Reparse: re-deriving the store from kept raw documents is correct and idempotent."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from sqlalchemy import select

from db.models.notices import Notice, RawDocument
from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import Store, reparse
from tests.db.records import NOW, call, change_of, raw, snapshot


def parse_v1(content: bytes, name: str) -> NoticeRecord:
    """The test documents carry their record as JSON (see ``records.raw``)."""
    data = json.loads(content)
    if "record" not in data:
        raise ValueError(f"{name}: not a notice")
    return NoticeRecord.from_dict(data["record"])


def parse_v2(content: bytes, name: str) -> NoticeRecord:
    """An 'upgraded' parser: reads one more field (a signal) and the legacy layout v1 missed."""
    data = json.loads(content)
    record = NoticeRecord.from_dict(data["legacy"]) if "legacy" in data else parse_v1(content, name)
    return dataclasses.replace(record, signals={**record.signals, "BT-776": ["mar-nov"]})


def test_reparse_rederives_and_is_idempotent(db_url: str) -> None:
    maker = get_sessionmaker(db_url)
    original = call()
    hilma = dataclasses.replace(original, publication_number=None, publication_date=None)
    change = change_of(original, deadline=original.deadline + timedelta(days=3))
    legacy = call(publication_number="00000042-2026")
    legacy_doc = dataclasses.replace(
        raw(legacy, source_id="00000042-2026"),
        content=json.dumps({"legacy": legacy.to_dict()}).encode(),
    )
    with maker.begin() as session:
        store = Store(session, clock=lambda: NOW)
        store.ingest(hilma, raw(hilma, "hilma"))
        store.ingest(original, raw(original, "ted"))
        store.ingest(change, raw(change, "ted"))
        store.record_failure(legacy_doc, "v1 cannot read the legacy layout")

    with maker.begin() as session:
        stats = reparse(session, parse_v1, store=Store(session, clock=lambda: NOW))
        assert stats.documents == 4
        assert stats.outcomes == {"unchanged": 3, "failed": 1}
    with maker() as session:
        errors = [r["parse_error"] for r in snapshot(session)["raw_documents"]]
        assert sorted(errors, key=str) == [None, None, None, "ValueError: ted:00000042-2026: not a notice"]

    with maker.begin() as session:
        stats = reparse(session, parse_v2, store=Store(session, clock=lambda: NOW + timedelta(hours=1)))
        # two notices re-derived, TED's copy of the first matches the re-derived record (no
        # conflict), and the legacy document the old parser failed on is now a notice
        assert stats.outcomes == {"updated": 2, "unchanged": 1, "new": 1}
    with maker() as session:
        once = snapshot(session)
        records = [r["record"] for r in once["notices"]]
        assert all(r["signals"] == {"BT-776": ["mar-nov"]} for r in records)
        # TED's publication number survives the re-derivation of the HILMA-first notice
        assert sorted(r["publication_number"] or "" for r in records) == [
            "00000042-2026",
            "00711911-2026",
            "00712000-2026",
        ]
        assert once["notice_conflicts"] == []
        assert all(r["parse_error"] is None for r in once["raw_documents"])
        assert [e["kind"] for e in once["procedure_events"]] == ["deadline_moved"]

    with maker.begin() as session:
        stats = reparse(session, parse_v2, store=Store(session, clock=lambda: NOW + timedelta(hours=2)))
        assert stats.outcomes == {"unchanged": 4}
    with maker() as session:
        assert snapshot(session) == once


def test_reparse_failure_is_recorded_and_loses_nothing(db_url: str) -> None:
    maker = get_sessionmaker(db_url)
    rec = call()
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).ingest(rec, raw(rec))

    def broken(content: bytes, name: str) -> NoticeRecord:
        raise ValueError(f"{name}: parser bug")

    with maker.begin() as session:
        stats = reparse(session, broken, source="ted")
        assert stats.outcomes == {"failed": 1}
    with maker() as session:
        doc = session.scalar(select(RawDocument))
        assert doc.parse_error == f"ValueError: ted:{rec.publication_number}: parser bug"
        assert session.scalar(select(Notice)).to_record() == rec  # the notice stays
    with maker.begin() as session:
        assert reparse(session, broken, source="hilma").documents == 0
        assert reparse(session, broken, since=NOW + timedelta(days=1)).documents == 0


def test_reparse_marks_the_stored_classification_stale(db_url: str) -> None:
    """A re-derived record may read differently: its open procedure is classified again, from its
    new text, and the label change flows on like any other."""
    from pathlib import Path

    from db.models.classification import STALE_RULES_VERSION, NoticeClassification
    from monitor.classify import load_rules
    from monitor.classify.service import classify_pending

    rules = load_rules(Path(__file__).resolve().parents[2] / "config" / "innovation.yaml")
    maker = get_sessionmaker(db_url)
    notice = call()
    with maker.begin() as session:
        Store(session, clock=lambda: NOW).ingest(notice, raw(notice, "ted"))
    with maker.begin() as session:
        [first] = classify_pending(session, rules)
    with maker.begin() as session:
        stats = reparse(session, parse_v2, store=Store(session, clock=lambda: NOW))
        assert stats.outcomes == {"updated": 1}
    with maker() as session:
        stored = session.scalars(select(NoticeClassification)).one()
        assert stored.rules_version == STALE_RULES_VERSION
        assert stored.result["matcher_version"] is None  # its text hits are not reused
    with maker.begin() as session:
        [change] = classify_pending(session, rules)
    # parse_v2 reads BT-776 mar-nov, a structured innovation signal the first parse missed
    assert (change.old_label, change.rules_version) == (first.new_label, rules.version)
    assert change.new_score > first.new_score
