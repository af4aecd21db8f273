"""The goal in force per month, the yearly trend and history, and fresh rows after a declaration.

Tests here write their own small sets on ``db_url``; the big read-only set is
``test_declared_report.py``'s (``stored_set`` shares the PostgreSQL database per module).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from db.session import session_scope
from monitor.appconfig import ConfigError, load_file
from monitor.appconfig.models import GoalPeriod, ServiceConfig
from monitor.reports.facts import refresh_report_procedures
from monitor.reports.figures import TOTAL, MonthPoint, build_report, by_year
from monitor.reports.periods import Period
from monitor.reports.render import render_text
from tests.reports import dataset
from tests.reports.dataset import N, P

REPO = Path(__file__).resolve().parents[2]
OCTOBER = Period.month("2026-10")
SHIPPED = load_file(REPO / "config" / "service.yaml", ServiceConfig).innovation_goal


def _report(url, branches, period=OCTOBER, **kwargs):
    with session_scope(url) as session:
        return build_report(session, branches, period, **{"goal": 5.0, **kwargs})


def test_each_month_is_measured_against_the_goal_in_force(db_url, branches) -> None:
    """The shipped history: 5 % from 29 May 2015, 10 % from 6 June 2019 (so from July 2019)."""
    specs = [
        P("tem", [N("call", date(2019, 5, 10), "innovative", 1.0)]),
        P("tem", [N("call", date(2019, 6, 10), "none", 1.0)]),  # June starts under 5 %
        P("tem", [N("call", date(2019, 7, 2), "none", 1.0, declared=True)]),
        P("tem", [N("call", date(2019, 7, 3), "none", 1.0)]),
        P("tem", [N("call", date(2015, 3, 3), "none", 1.0)]),  # before any goal
    ]
    with session_scope(db_url) as session:
        dataset.ingest(session, specs)
    summer = Period(date(2019, 5, 1), date(2019, 7, 31))
    report = _report(db_url, branches, summer, goal=SHIPPED)
    tem = report.area("TEM")
    assert tem.goal_percent == pytest.approx((5 + 5 + 10 + 10) / 4)  # each call under its month's goal
    assert tem.gap_pp == pytest.approx(7.5 - 25.0) and tem.declared_gap_pp == pytest.approx(7.5 - 25.0)
    assert [(d.isoformat(), g) for d, g in report.goal_steps] == [("2019-05-01", 5.0), ("2019-07-01", 10.0)]
    goals = {p.label: p.goal for p in report.trend[TOTAL]}
    assert (goals["2019-05"], goals["2019-06"], goals["2019-07"]) == (5.0, 5.0, 10.0)
    assert goals["2018-08"] == 5.0  # the 12-month trend reaches back into 2018
    # An area without calls in the period is measured against the goal in force at its end.
    assert report.area("LVM").goal_percent == 10.0 and report.area("LVM").gap_pp is None
    # The header says the goal changed, and how the period is measured.
    assert "5 % from 2019-05, 10 % from 2019-07" in render_text(report, "en")
    # --goal N: one goal for every month.
    fixed = _report(db_url, branches, summer, goal=8.0)
    assert fixed.area("TEM").goal_percent == 8.0 and {p.goal for p in fixed.trend[TOTAL]} == {8.0}
    # Before the first goal there is none.
    early = _report(db_url, branches, Period.month("2015-03"), goal=SHIPPED)
    assert early.area("TEM").goal_percent is None and early.area("TEM").gap_pp is None
    assert "no goal" in render_text(early, "en")


def test_a_long_report_has_a_yearly_trend_and_a_history_since_2017(db_url, branches) -> None:
    specs = [
        P("tem", [N("call", date(2016, 12, 30), "innovative", 1.0)]),  # before the history starts
        P("tem", [N("call", date(2018, 3, 1), "innovative", 1.0, declared=True)]),
        P("tem", [N("call", date(2018, 9, 1), "none", 1.0)]),
        P("tem", [N("call", date(2019, 3, 1), "none", 1.0)]),  # 5 %
        P("tem", [N("call", date(2019, 8, 1), "none", 1.0, declared=True)]),  # 10 %
        P("tem", [N("call", date(2019, 9, 1), "none", 1.0)]),  # 10 %
        P("tem", [N("call", date(2026, 10, 1), "innovative", 1.0)]),
    ]
    with session_scope(db_url) as session:
        dataset.ingest(session, specs)
    long = _report(db_url, branches, Period(date(2017, 1, 1), date(2026, 10, 31)), goal=SHIPPED)
    assert long.trend_yearly and [p.label for p in long.trend[TOTAL]] == [str(y) for y in range(2017, 2027)]
    years = {p.label: p for p in long.trend["TEM"]}
    assert (years["2018"].calls, years["2018"].innovative, years["2018"].declared) == (2, 1, 1)
    assert years["2019"].goal == pytest.approx((5 + 10 + 10) / 3, abs=0.01)  # weighted by calls
    assert years["2017"].goal == 5.0 and years["2017"].calls == 0
    assert long.history == {}  # the trend is already yearly
    month = _report(db_url, branches, OCTOBER, goal=SHIPPED)
    assert not month.trend_yearly and len(month.trend[TOTAL]) == 12
    labels = [p.label for p in month.history[TOTAL]]
    assert labels == [str(y) for y in range(2018, 2027)]  # from the first year with calls since 2017
    assert month.history[TOTAL][0].declared_share == 50.0


def test_by_year_weights_goals_by_calls_and_by_months_without_calls() -> None:
    points = [MonthPoint(201900 + m, calls, 0, 0, 0, 5.0 if m < 7 else 10.0) for m, calls in ((1, 3), (7, 1))]
    (year,) = by_year(points)
    assert (year.label, year.calls, year.goal) == ("2019", 4, 6.25)
    empty = [MonthPoint(202000 + m, 0, 0, 0, 0, 10.0 if m > 6 else None) for m in range(1, 13)]
    assert by_year(empty)[0].goal == 10.0


def test_a_new_declaration_makes_the_report_row_stale(db_url, branches) -> None:
    specs = [P("tem", [N("call", date(2026, 10, 2), "none", 10_000.0, declared=None)])]
    with session_scope(db_url) as session:
        dataset.ingest(session, specs)
    before = _report(db_url, branches).area("TEM")
    assert (before.declared, before.not_evaluated) == (0, 1)
    with session_scope(db_url) as session:
        from sqlalchemy import select

        from db.models.notices import Notice

        notice_pk = session.scalar(select(Notice.id).where(Notice.procedure_pk == specs[0].pk))
        dataset.declare(session, notice_pk, True)
    with session_scope(db_url) as session:
        assert refresh_report_procedures(session, branches).derived == 1
    after = _report(db_url, branches).area("TEM")
    assert (after.declared, after.not_evaluated, after.declared_value_eur) == (1, 0, 10_000.0)


def test_the_old_goal_key_names_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "service.yaml"
    path.write_text("admins: [a@example.org]\ninnovation_goal_percent: 5.0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_file(path, ServiceConfig)
    (problem,) = [str(p) for p in info.value.problems]
    assert "service.yaml:2:" in problem and "replaced by innovation_goal" in problem and "`from`" in problem
    path.write_text(
        "innovation_goal:\n  - {from: 2019-06-06, percent: 10}\n  - {from: 2015-05-29, percent: 5}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_file(path, ServiceConfig)
    assert "oldest first" in str(info.value)


def test_the_shipped_goal_history() -> None:
    assert [
        GoalPeriod(start=date(2015, 5, 29), percent=5.0),
        GoalPeriod(start=date(2019, 6, 6), percent=10.0),
    ] == SHIPPED
    text = (REPO / "config" / "service.yaml").read_text(encoding="utf-8")
    assert "innovation_goal_percent" not in text and "Tekes" in text and "TEM" in text
