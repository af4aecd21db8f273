"""Declared next to detected: the figures, the review lists and the goal per month, exactly."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from db.session import session_scope
from monitor.appconfig import load_file
from monitor.appconfig.models import ServiceConfig
from monitor.reports.figures import REVIEWS, TOTAL, build_report, list_calls
from monitor.reports.periods import Period
from monitor.reports.render import render_csv, render_html, render_text
from tests.reports import dataset
from tests.reports.dataset import P

REPO = Path(__file__).resolve().parents[2]
OCTOBER = Period.month("2026-10")
SEPTEMBER = Period.month("2026-09")
DECLARED = ("declared", "declared_and_detected", "not_evaluated")
SHIPPED = load_file(REPO / "config" / "service.yaml", ServiceConfig).innovation_goal


def _report(url, branches, period=OCTOBER, **kwargs):
    with session_scope(url) as session:
        return build_report(session, branches, period, **{"goal": 5.0, **kwargs})


def _in(p: P, period: Period) -> bool:
    return p.area is not None and p.period_day is not None and period.start <= p.period_day <= period.end


def test_declared_figures_match_the_truth(stored_set, branches) -> None:
    url, specs = stored_set
    report = _report(url, branches)
    truth = dataset.expected(specs, OCTOBER.start, OCTOBER.end)
    before = dataset.expected(specs, SEPTEMBER.start, SEPTEMBER.end)
    total = truth[TOTAL]
    # The set exercises every case: declared only, detected only, both, and not evaluated.
    assert total["declared"] > total["declared_and_detected"] > 0 and total["not_evaluated"] > 0
    assert total["innovative"] > total["declared_and_detected"]
    for a in [*report.areas, report.total]:
        want = truth.get(a.key)
        if want is None:
            assert (a.declared, a.declared_and_detected, a.not_evaluated) == (0, 0, 0), a.key
            continue
        assert {k: getattr(a, k) for k in DECLARED} == {k: want[k] for k in DECLARED}, a.key
        assert a.declared_value_eur == pytest.approx(want["declared_value_eur"]), a.key
        assert a.declared_not_detected == want["declared"] - want["declared_and_detected"]
        assert a.detected_not_declared == want["innovative"] - want["declared_and_detected"]
        if want["calls"]:
            assert a.declared_share == pytest.approx(100 * want["declared"] / want["calls"], abs=0.005)
            assert a.declared_gap_pp == pytest.approx(5.0 - a.declared_share, abs=0.01)
        if want["value_eur"]:
            share = 100 * want["declared_value_eur"] / want["value_eur"]
            assert a.declared_value_share == pytest.approx(share, abs=0.005)
        assert a.prev_declared == before.get(a.key, {"declared": 0})["declared"], a.key


def test_the_review_lists_hold_exactly_the_disagreements(stored_set, branches) -> None:
    url, specs = stored_set
    counted = [p for p in specs if _in(p, OCTOBER) and not p.cancelled]
    want = {
        "declared-not-detected": {p.pk for p in counted if p.declared and p.label != "innovative"},
        "detected-not-declared": {p.pk for p in counted if p.label == "innovative" and not p.declared},
    }
    named = {p.name: p.pk for p in specs if p.name}
    assert named["declared by the buyer, not detected"] in want["declared-not-detected"]
    assert (
        named["declared in the award notice (HILMA's answers), counted in the call's month"]
        in want["declared-not-detected"]
    )
    assert named["detected, not declared"] in want["detected-not-declared"]
    assert named["detected, not evaluated"] in want["detected-not-declared"]
    assert named["declared and detected"] not in want["declared-not-detected"] | want["detected-not-declared"]
    with session_scope(url) as session:
        for review in REVIEWS:
            rows = list_calls(session, branches, OCTOBER, review=review, with_reasons=True)
            assert {r.procedure_pk for r in rows} == want[review], review
            assert all(r.url for r in rows)  # each links to its notice, as the drill-down does
        (declared,) = [
            r
            for r in list_calls(session, branches, OCTOBER, review="declared-not-detected", with_reasons=True)
            if r.procedure_pk == named["declared by the buyer, not detected"]
        ]
        assert declared.declared is True and declared.declared_answers == {"BT-776": ["mar-nov"]}
        tem = list_calls(session, branches, OCTOBER, area="TEM", review="detected-not-declared")
        assert {r.procedure_pk for r in tem} == {
            p for p in want["detected-not-declared"] if _area(specs, p) == "TEM"
        }


def _area(specs: list[P], pk: int | None) -> str | None:
    return next(p.area for p in specs if p.pk == pk)


def test_text_csv_and_html_carry_the_declared_figures_and_lists(stored_set, branches) -> None:
    url, specs = stored_set
    report = _report(url, branches, declared_rule="BT-776 = mar-nov")
    truth = dataset.expected(specs, OCTOBER.start, OCTOBER.end)
    rows = {r["area"]: r for r in csv.DictReader(io.StringIO(render_csv(report)))}
    for key, want in truth.items():
        r = rows[key]
        assert int(r["declared"]) == want["declared"] and int(r["not_evaluated"]) == want["not_evaluated"]
        assert int(r["declared_not_detected"]) == want["declared"] - want["declared_and_detected"], key
        assert float(r["declared_value_eur"]) == pytest.approx(want["declared_value_eur"], abs=0.01)
    with session_scope(url) as session:
        reviews = {
            r: list_calls(session, branches, OCTOBER, review=r, with_reasons=True, limit=2) for r in REVIEWS
        }
    soup = BeautifulSoup(render_html(report, "en", charts={}, reviews=reviews), "html.parser")
    stm = [td.get_text(strip=True) for td in soup.select('table.declared tr[data-area="STM"] td')]
    want = truth["STM"]
    assert stm[1] == str(want["calls"]) and stm[3] == str(want["declared"])
    assert stm[4] == f"{100 * want['declared'] / want['calls']:.1f} %"
    assert stm[7:10] == [
        str(want["declared_and_detected"]),
        str(want["declared"] - want["declared_and_detected"]),
        str(want["innovative"] - want["declared_and_detected"]),
    ]
    assert "BT-776 = mar-nov" in soup.select_one("p.rule").get_text()
    heading = soup.select_one("h2#declared-not-detected").get_text()
    total = truth[TOTAL]
    assert (
        heading
        == f"Declared innovative but not detected ({total['declared'] - total['declared_and_detected']})"
    )
    links = soup.select("h2#declared-not-detected ~ div.call a")
    assert links and links[0]["href"].startswith("https://ted.europa.eu/en/notice/-/detail/")
    more = total["innovative"] - total["declared_and_detected"] - 2
    text = render_text(report, "en", reviews)
    assert f"… and {more} more: tenderwatch report calls --review detected-not-declared" in text
    assert "Declared only" in text and "BT-776 = mar-nov" in text
