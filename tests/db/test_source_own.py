"""A source's own signals (HILMA's ``hilma:*`` answers) do not split one notice into a conflict:
the copies are one notice version, and the stored record gains the answers whichever came first,
so the declared measure and the classifier see them (db/store_merge.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.classification import STALE_RULES_VERSION, NoticeClassification
from db.models.declarations import STALE_RULE_VERSION, NoticeDeclaration
from db.models.notices import Notice, NoticeConflict, NoticeSource
from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import Store, reparse
from db.store_keys import differing_fields, record_hash
from db.store_merge import merge_own
from monitor.classify import Rules, load_rules
from monitor.classify.declarations import declare_pending
from monitor.classify.declared import NOTICE_LEVEL
from monitor.classify.service import classify_pending
from scrapers.pipelines import merge_signals
from tests.db.records import NOW, call, raw, snapshot
from tests.db.test_reparse import parse_v1, parse_v2

RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "innovation.yaml"
ANSWERS = {"hilma:innovationConsidered": ["true"], "hilma:solutionNewToMarketOrIndustry": ["true"]}


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(RULES_FILE)


@pytest.fixture
def session(db_url: str) -> Session:
    with get_sessionmaker(db_url)() as s:
        yield s
        s.rollback()


def hilma_copy(ted: NoticeRecord, answers: dict[str, list[str]] | None = None) -> NoticeRecord:
    """HILMA's copy as the pipeline hands it over: no OJ S number yet, its national extension,
    and the statistics answers on the lot (and so on the record), as ``merge_signals`` puts them."""
    bare = dataclasses.replace(ted, publication_number=None, publication_date=None, national={"FI-20": True})
    lot_id = ted.lots[0].lot_id
    return merge_signals(bare, {"hilma:FI-20": ["true"]}, {lot_id: answers or ANSWERS})


def store(session: Session) -> Store:
    return Store(session, clock=lambda: NOW)


def declaration(session: Session, notice_pk: int) -> NoticeDeclaration:
    return session.scalars(
        select(NoticeDeclaration).where(
            NoticeDeclaration.notice_pk == notice_pk, NoticeDeclaration.lot_id == NOTICE_LEVEL
        )
    ).one()


def classification(session: Session, notice_pk: int) -> NoticeClassification:
    query = select(NoticeClassification).where(NoticeClassification.notice_pk == notice_pk)
    return session.scalars(query).one()


# ------------------------------------------------------------------------------------ the rule
def test_own_signals_and_national_do_not_change_the_hash_but_content_does() -> None:
    ted = call()
    hilma = hilma_copy(ted)
    assert record_hash(hilma.to_dict()) == record_hash(ted.to_dict())
    assert differing_fields(ted.to_dict(), hilma.to_dict()) == []
    # An eForms signal is the notice's content: a copy with another BT-776 differs.
    other = dataclasses.replace(hilma, signals={**hilma.signals, "BT-776": ["mar-nov"]})
    assert record_hash(other.to_dict()) != record_hash(ted.to_dict())
    assert differing_fields(ted.to_dict(), other.to_dict()) == ["signals"]
    # A record without own signals hashes as it always did (no stored hash of such a row moves).
    plain = ted.to_dict()
    core = {k: v for k, v in plain.items() if k not in ("publication_number", "publication_date", "national")}
    old = hashlib.sha256(json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    assert record_hash(plain) == old.hexdigest()


def test_merge_adds_only_and_a_second_merge_finds_nothing() -> None:
    ted = call(lots=("LOT-0001", "LOT-0002")).to_dict()
    incoming = hilma_copy(call(lots=("LOT-0001", "LOT-0002"))).to_dict()
    own = {"hilma:solutionNewToBuyer": ["false"], "BT-06": ["inn-pur"]}
    ted["signals"] = dict(own)
    merged = merge_own(ted, incoming)
    assert merged is not None and ted["signals"] == own  # the stored dict is not changed
    assert merged["signals"] == {
        "BT-06": ["inn-pur"],
        "hilma:solutionNewToBuyer": ["false"],
        "hilma:FI-20": ["true"],
        **ANSWERS,
    }
    assert merged["lots"][0]["signals"] == ANSWERS and merged["lots"][1]["signals"] == {}
    assert merged["national"] == {"FI-20": True}
    assert merge_own(merged, incoming) is None
    # Codes union, sorted: another answer to the same question is kept beside the first.
    both = merge_own(merged, {"signals": {"hilma:innovationConsidered": ["false"]}})
    assert both is not None and both["signals"]["hilma:innovationConsidered"] == ["false", "true"]


# ------------------------------------------------------------------------------- the store
def test_ted_then_hilma_is_one_notice_with_hilma_answers_declared_and_reclassified(
    session: Session, rules: Rules
) -> None:
    ted = call()
    s = store(session)
    first = s.ingest(ted, raw(ted, "ted"))
    classify_pending(session, rules)
    declare_pending(session, rules.config.declared)
    assert declaration(session, first.notice_pk).declared is False
    reasons_before = classification(session, first.notice_pk).result["reasons"]
    assert "hilma_new_to_market" not in {r["signal_id"] for r in reasons_before}

    second = s.ingest(hilma_copy(ted), raw(hilma_copy(ted), "hilma"))
    assert (second.status, second.notice_pk) == ("new_source", first.notice_pk)
    assert session.scalar(select(func.count()).select_from(NoticeConflict)) == 0
    assert sorted(session.scalars(select(NoticeSource.source))) == ["hilma", "ted"]
    notice = session.get(Notice, first.notice_pk)
    stored = notice.to_record()
    assert {k: stored.signals[k] for k in ANSWERS} == ANSWERS and stored.signals["hilma:FI-20"] == ["true"]
    assert stored.lots[0].signals == ANSWERS and stored.national == {"FI-20": True}
    assert stored.publication_number == ted.publication_number  # TED's fields stay
    assert notice.record_hash == record_hash(ted.to_dict())
    # What was derived from the record before the answers came is marked for re-doing ...
    assert classification(session, first.notice_pk).rules_version == STALE_RULES_VERSION
    assert declaration(session, first.notice_pk).rule_version == STALE_RULE_VERSION
    # ... and the processing step re-does it: the state's measure counts the notice now, and the
    # classifier's structured signals read HILMA's answer.
    classify_pending(session, rules)
    declare_pending(session, rules.config.declared)
    redone = declaration(session, first.notice_pk)
    assert redone.declared is True and redone.matched == ["hilma_new_to_market"]
    assert redone.rule_version == rules.config.declared.version
    result = classification(session, first.notice_pk)
    assert result.rules_version == rules.version
    assert "hilma_new_to_market" in {r["signal_id"] for r in result.result["reasons"]}


def test_hilma_then_ted_is_a_new_source_and_keeps_the_answers(session: Session, rules: Rules) -> None:
    ted = call()
    hilma = hilma_copy(ted)
    s = store(session)
    first = s.ingest(hilma, raw(hilma, "hilma"))
    classify_pending(session, rules)
    declare_pending(session, rules.config.declared)
    second = s.ingest(ted, raw(ted, "ted"))
    assert (first.status, second.status) == ("new", "new_source")
    assert session.scalar(select(func.count()).select_from(NoticeConflict)) == 0
    stored = session.get(Notice, first.notice_pk).to_record()
    assert stored.lots[0].signals == ANSWERS and stored.national == {"FI-20": True}
    assert stored.publication_number == ted.publication_number
    # TED added no answers: what was derived stays as it is.
    assert declaration(session, first.notice_pk).declared is True
    assert declaration(session, first.notice_pk).rule_version == rules.config.declared.version
    assert classification(session, first.notice_pk).rules_version == rules.version


def test_resending_hilma_copy_changes_nothing(session: Session) -> None:
    ted = call()
    s = store(session)
    s.ingest(ted, raw(ted, "ted"))
    s.ingest(hilma_copy(ted), raw(hilma_copy(ted), "hilma"))
    before = snapshot(session)
    again = s.ingest(hilma_copy(ted), raw(hilma_copy(ted), "hilma"))
    assert again.status == "duplicate"
    assert snapshot(session) == before


def test_a_real_difference_is_still_a_conflict_and_its_answers_are_not_applied(session: Session) -> None:
    ted = call()
    moved = dataclasses.replace(hilma_copy(ted), deadline=ted.deadline + timedelta(days=7))
    s = store(session)
    first = s.ingest(ted, raw(ted, "ted"))
    result = s.ingest(moved, raw(moved, "hilma"))
    assert result.status == "conflict"
    conflict = session.scalar(select(NoticeConflict))
    assert conflict.fields == ["deadline"]  # not "signals", "lots" or "national"
    assert session.get(Notice, first.notice_pk).to_record() == ted


def test_reparse_keeps_merged_answers_and_a_changed_record_marks_the_declaration_stale(
    db_url: str, rules: Rules
) -> None:
    """HILMA's answers come beside its XML: re-deriving TED's document must not drop them."""
    ted = call()
    maker = get_sessionmaker(db_url)
    with maker.begin() as session:
        s = store(session)
        s.ingest(ted, raw(ted, "ted"))
        s.ingest(hilma_copy(ted), raw(hilma_copy(ted), "hilma"))
        declare_pending(session, rules.config.declared)
    with maker.begin() as session:
        # parse_v1 gives each document's record back without the answers beside it.
        stats = reparse(session, _without_own(parse_v1), store=store(session))
        assert stats.outcomes == {"unchanged": 2}
        notice = session.scalars(select(Notice)).one()
        assert notice.to_record().lots[0].signals == ANSWERS
        assert declaration(session, notice.id).rule_version == rules.config.declared.version
    with maker.begin() as session:
        stats = reparse(session, _without_own(parse_v2), store=store(session))
        assert stats.outcomes == {"updated": 1, "unchanged": 1}  # BT-776 read now: TED's record changed
        notice = session.scalars(select(Notice)).one()
        assert notice.to_record().signals["BT-776"] == ["mar-nov"]
        assert notice.to_record().lots[0].signals == ANSWERS
        assert declaration(session, notice.id).rule_version == STALE_RULE_VERSION


def _without_own(parse):  # type: ignore[no-untyped-def]
    def strip(content: bytes, name: str) -> NoticeRecord:
        rec = parse(content, name)
        lots = [dataclasses.replace(lot, signals={}) for lot in rec.lots]
        signals = {k: v for k, v in rec.signals.items() if ":" not in k}
        return dataclasses.replace(rec, signals=signals, lots=lots, national={})

    return strip


def test_two_copies_merged_at_once_keep_both_answers(db_url: str) -> None:
    """Two HILMA documents of one notice (say a re-publication under a new id) merged by two
    processes at once: the second waits for the first's row and merges into its result. Without
    the row lock, PostgreSQL kept only the answers of whichever committed last."""
    ted = call()
    with get_sessionmaker(db_url).begin() as s:
        pk = store(s).ingest(ted, raw(ted, "ted")).notice_pk
    first_merged = threading.Event()
    errors: list[str] = []

    def merge(answers: dict[str, list[str]], source_id: str, hold: bool) -> None:
        try:
            with get_sessionmaker(db_url).begin() as s:
                copy = hilma_copy(ted, answers)
                store(s).ingest(copy, raw(copy, "hilma", source_id))
                if hold:  # keep the transaction open while the other one merges
                    first_merged.set()
                    time.sleep(0.5)
        except Exception as exc:  # the assertion below shows it
            errors.append(f"{type(exc).__name__}: {exc}")

    one = threading.Thread(target=merge, args=({"hilma:solutionNewToBuyer": ["true"]}, "hilma-1", True))
    one.start()
    assert first_merged.wait(10)
    two = threading.Thread(target=merge, args=({"hilma:innovationConsidered": ["true"]}, "hilma-2", False))
    two.start()
    one.join(20)
    two.join(20)
    assert errors == []
    with get_sessionmaker(db_url)() as s:
        signals = s.get(Notice, pk).to_record().lots[0].signals
    assert signals.get("hilma:solutionNewToBuyer") == ["true"]
    assert signals.get("hilma:innovationConsidered") == ["true"]
