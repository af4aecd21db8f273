"""Declared innovation: the rule in innovation.yaml, its verdict per notice and lot, and its storage."""

from __future__ import annotations

import csv
import dataclasses
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models.declarations import NoticeDeclaration
from db.record import Lot, NoticeRecord
from db.session import session_scope
from db.store import Store
from monitor.appconfig import ConfigError
from monitor.classify import Rules, load_rules
from monitor.classify.declarations import declare_pending
from monitor.classify.declared import NOTICE_LEVEL, DeclaredRule, declare
from scrapers.parsers import parse_notice
from tests.classify.conftest import REPO, record
from tests.classify.test_rules_config import MINIMAL
from tests.conftest import shared_path
from tests.db.records import raw

DECLARED = """\
declared:
  answers: [BT-776, hilma:solutionNewToBuyer]
  count:
    - id: new_to_market
      field: BT-776
      equals: [mar-nov]
    - id: partnership
      field: BT-105
      equals: [innovation]
    - id: hilma_market
      field: hilma:solutionNewToMarketOrIndustry
      equals: [true]
"""


def _rule(rules: Rules) -> DeclaredRule:
    return rules.config.declared


def _levels(rec: NoticeRecord, rule: DeclaredRule) -> dict[str, tuple[bool, list[str], dict[str, list[str]]]]:
    return {lv.lot_id: (lv.declared, lv.matched, lv.answers) for lv in declare(rec.to_dict(), rule)}


# ------------------------------------------------------------------------------------ the rule
def test_the_shipped_rule_counts_what_docs_say(rules: Rules) -> None:
    rule = _rule(rules)
    counted = {(c.field, code) for c in rule.count for code in c.equals}
    assert {("BT-06", "inn-pur"), ("BT-776", "mar-nov"), ("BT-105", "innovation")} <= counted
    assert ("hilma:solutionNewToMarketOrIndustry", "true") in counted
    # Stored for review, but not a declaration that the purchase is innovative:
    assert not {("BT-776", "org-nov"), ("hilma:solutionNewToBuyer", "true")} & counted
    assert not any(f == "hilma:innovationConsidered" for f, _ in counted)
    assert {"hilma:solutionNewToBuyer", "hilma:innovationConsidered"} <= set(rule.fields)


def test_a_lot_declares_the_notice_and_each_lot_keeps_its_own_answers(rules: Rules) -> None:
    rec = record(
        {"fin": "Kaksi osaa"},
        lots=[
            Lot("LOT-0001", signals={"BT-776": ["org-nov"], "hilma:solutionNewToBuyer": ["true"]}),
            Lot("LOT-0002", signals={"hilma:solutionNewToMarketOrIndustry": ["true"]}),
            Lot("LOT-0003", signals={"BT-63": ["allowed"]}),  # no field of the rule: no row
        ],
    )
    levels = _levels(rec, _rule(rules))
    assert set(levels) == {NOTICE_LEVEL, "LOT-0001", "LOT-0002"}
    assert levels["LOT-0001"][:2] == (False, [])
    assert levels["LOT-0001"][2] == {"BT-776": ["org-nov"], "hilma:solutionNewToBuyer": ["true"]}
    assert levels["LOT-0002"][:2] == (True, ["hilma_new_to_market"])
    notice = levels[NOTICE_LEVEL]
    assert notice[:2] == (True, ["hilma_new_to_market"])
    assert notice[2]["BT-105"] == ["open"] and notice[2]["BT-776"] == ["org-nov"]


@pytest.mark.parametrize(
    ("kwargs", "declared"),
    [
        ({"signals": {"BT-06": ["inn-pur"]}}, True),
        ({"lot_signals": {"BT-776": ["MAR-NOV"]}}, True),  # codes compare case-insensitively
        ({"lot_signals": {"BT-776": ["rd-act"]}}, True),
        ({"lot_signals": {"BT-776": ["org-nov", "buy-eff", "fp-requ"]}}, False),
        ({"lot_signals": {"BT-06": ["env-imp"]}}, False),
        ({"procedure_type": "innovation"}, True),  # read from the procedure type too
        ({"procedure_type": "comp-dial"}, False),
        ({"lot_signals": {"hilma:innovationConsidered": ["true"]}}, False),
        ({"lot_signals": {"hilma:solutionNewToMarketOrIndustry": ["false"]}}, False),
        ({"national": {"solutionNewToMarketOrIndustry": True}}, True),  # a source's answer kept as a bool
    ],
)
def test_which_answers_count(rules: Rules, kwargs: dict, declared: bool) -> None:
    levels = _levels(record({"fin": "Hankinta"}, **kwargs), _rule(rules))
    assert levels[NOTICE_LEVEL][0] is declared


def test_the_classifier_and_the_declared_rule_have_separate_versions(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(MINIMAL, encoding="utf-8")
    b.write_text(MINIMAL + DECLARED, encoding="utf-8")
    c.write_text(MINIMAL + DECLARED.replace("[mar-nov]", "[mar-nov, rd-act]"), encoding="utf-8")
    ra, rb, rc = load_rules(a), load_rules(b), load_rules(c)
    # Editing the declared rule re-classifies nothing, and re-evaluates every declaration.
    assert ra.version == rb.version == rc.version
    assert len({ra.config.declared.version, rb.config.declared.version, rc.config.declared.version}) == 3
    assert ra.config.declared.count == []  # no section: nothing counts, and the report says so
    assert "no rule" in ra.config.declared.summary()
    assert rc.config.declared.summary() == (
        "BT-776 = mar-nov, rd-act; BT-105 = innovation; hilma:solutionNewToMarketOrIndustry = true"
    )


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (("field: BT-105", "field: procedure type"), 8, "String should match pattern"),
        (("equals: [innovation]", "equals: []"), 9, "at least 1 item"),
        (("id: partnership", "id: new_to_market"), None, "duplicate id 'new_to_market'"),
        (("    - id: hilma_market", "    - id: hilma_market\n      weight: 3"), 11, "unknown key 'weight'"),
        (("[BT-776, hilma:solutionNewToBuyer]", "[BT-776, new to buyer]"), 2, "'new to buyer': not a BT id"),
    ],
)
def test_a_bad_declared_rule_names_file_and_line(
    tmp_path: Path, edit: tuple[str, str], line: int | None, message: str
) -> None:
    path = tmp_path / "innovation.yaml"
    path.write_text(MINIMAL + DECLARED.replace(*edit), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    (problem,) = [str(p) for p in info.value.problems]
    assert message in problem and "declared" in problem, problem
    if line is not None:
        assert f"innovation.yaml:{line + MINIMAL.count(chr(10))}:" in problem, problem


def test_legacy_innovation_partnerships_are_declared_by_their_procedure_type(rules: Rules) -> None:
    path = REPO / "tests" / "data" / "legacy" / "f02_innovation_partnership_deu.xml"
    levels = _levels(parse_notice(path.read_bytes(), source_name=path.name), _rule(rules))
    assert levels[NOTICE_LEVEL][:2] == (True, ["innovation_partnership"])
    call = REPO / "tests" / "data" / "legacy" / "f02_call_fin.xml"
    assert _levels(parse_notice(call.read_bytes()), _rule(rules))[NOTICE_LEVEL][0] is False


def test_shared_legacy_corpus_declares_exactly_its_innovation_partnerships(rules: Rules) -> None:
    """INDEX.tsv (written by the corpus collector from the XML) marks 29 innovation partnerships."""

    directory = shared_path("fixtures", "ted-legacy")
    with (directory / "INDEX.tsv").open(encoding="utf-8") as f:
        index = {
            row["file"]: row["innovation_partnership"] == "1" for row in csv.DictReader(f, delimiter="\t")
        }
    rule = _rule(rules)
    got = {
        name: declare(parse_notice((directory / name).read_bytes(), source_name=name).to_dict(), rule)[
            0
        ].declared
        for name in index
    }
    assert sum(got.values()) == 29
    assert got == index


# ---------------------------------------------------------------------------------- storage
def _store(url: str, *records: NoticeRecord) -> list[int]:
    pks = []
    with session_scope(url) as session:
        store = Store(session)
        for rec in records:
            pks.append(store.ingest(rec, raw(rec)).notice_pk)
    return pks


def _notice(number: int, **kwargs: object) -> NoticeRecord:
    rec = record({"fin": f"Hankinta {number}"}, **kwargs)
    return dataclasses.replace(
        rec,
        notice_id=str(uuid.uuid4()),
        procedure_id=str(uuid.uuid4()),
        publication_number=f"{number:08d}-2026",
    )


def _rows(url: str) -> dict[tuple[int, str], tuple[bool, str]]:
    with session_scope(url) as session:
        return {
            (r.notice_pk, r.lot_id): (r.declared, r.rule_version)
            for r in session.scalars(select(NoticeDeclaration))
        }


def test_declare_pending_writes_new_notices_in_batches_and_then_nothing(db_url: str, rules: Rules) -> None:
    rule = _rule(rules)
    records = [_notice(i, lot_signals={"BT-776": ["mar-nov"]} if i % 3 == 0 else {}) for i in range(1, 8)]
    pks = _store(db_url, *records)
    with session_scope(db_url) as session:
        stats = declare_pending(session, rule, batch=2)  # four batches
    assert (stats.visited, stats.written, stats.declared) == (7, 7, 2)
    rows = _rows(db_url)
    assert {pk for pk, lot in rows if lot == NOTICE_LEVEL} == set(pks)
    assert [rows[pk, NOTICE_LEVEL][0] for pk in pks] == [i % 3 == 0 for i in range(1, 8)]
    assert rows[pks[2], "LOT-0001"] == (True, rule.version)  # the lot that carried mar-nov
    with session_scope(db_url) as session:
        assert declare_pending(session, rule).visited == 0
    (new_pk,) = _store(db_url, _notice(99, procedure_type="innovation"))
    with session_scope(db_url) as session:
        stats = declare_pending(session, rule)
    assert (stats.visited, stats.declared) == (1, 1) and _rows(db_url)[new_pk, NOTICE_LEVEL][0] is True


def test_a_rule_change_re_evaluates_and_rewrites_only_what_changed(db_url: str, rules: Rules) -> None:
    rule = _rule(rules)
    pks = _store(
        db_url,
        _notice(1, lot_signals={"BT-776": ["org-nov"]}),
        _notice(2, lot_signals={"BT-776": ["mar-nov"]}),
        _notice(3),
    )
    with session_scope(db_url) as session:
        declare_pending(session, rule)
        before = {r.notice_pk: r.changed_at for r in session.scalars(select(NoticeDeclaration))}
    # An admin decides "new to the buyer" counts after all.
    conditions = [*rule.count, rule.count[1].model_copy(update={"id": "new_to_buyer", "equals": ["org-nov"]})]
    wider = rule.model_copy(update={"count": conditions})
    assert wider.version != rule.version
    with session_scope(db_url) as session:
        stats = declare_pending(session, wider)
    assert (stats.visited, stats.written, stats.version_only) == (3, 1, 2)
    rows = _rows(db_url)
    assert rows[pks[0], NOTICE_LEVEL] == (True, wider.version)
    assert {version for _, version in rows.values()} == {wider.version}
    with session_scope(db_url) as session:
        after = {r.notice_pk: r.changed_at for r in session.scalars(select(NoticeDeclaration))}
        assert session.scalar(select(func.count()).select_from(NoticeDeclaration)) == 5  # 3 notices + 2 lots
    assert after[pks[1]] == before[pks[1]] and after[pks[2]] == before[pks[2]]  # unchanged: not rewritten
    assert after[pks[0]] >= before[pks[0]]
