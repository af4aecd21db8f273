"""The report's figures over a generated, really stored set match the truth computed from its spec."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup

from db.session import session_scope
from monitor.reports.figures import TOTAL, build_report, list_calls
from monitor.reports.periods import Period
from monitor.reports.render import CSV_COLUMNS, NAME_WIDTH, render_csv, render_html, render_text
from tests.reports import dataset

OCTOBER = Period.month("2026-10")
SEPTEMBER = Period.month("2026-09")
COUNTS = ("calls", "innovative", "possible", "unclassified", "cancelled", "value_known", "notices")


def _report(url, branches, period=OCTOBER):
    with session_scope(url) as session:
        return build_report(session, branches, period, goal=5.0)


def test_figures_match_the_truth(stored_set, branches) -> None:
    url, specs = stored_set
    report = _report(url, branches)
    truth = dataset.expected(specs, OCTOBER.start, OCTOBER.end)
    before = dataset.expected(specs, SEPTEMBER.start, SEPTEMBER.end)
    # The set must exercise what it claims to: every kind of area has calls in October.
    assert {
        "TEM",
        "LVM",
        "STM",
        "SM",
        "yhteishankinta",
        "kunta",
        "hyvinvointialue",
        "muu",
        "unmapped",
    } <= set(truth)
    assert truth[TOTAL]["cancelled"] and truth[TOTAL]["unclassified"] and truth[TOTAL]["calls"] > 30
    assert truth[TOTAL]["calls"] > truth[TOTAL]["value_known"] > 0
    for a in [*report.areas, report.total]:
        want = truth.get(a.key, dict.fromkeys([*COUNTS, "value_eur", "innovative_value_eur"], 0))
        got = {k: getattr(a, k) for k in COUNTS}
        assert got == {k: want[k] for k in COUNTS}, a.key
        assert a.value_eur == pytest.approx(want["value_eur"]), a.key
        assert a.innovative_value_eur == pytest.approx(want["innovative_value_eur"]), a.key
        prev = before.get(a.key, {"calls": 0, "innovative": 0})
        assert (a.prev_calls, a.prev_innovative) == (prev["calls"], prev["innovative"]), a.key
        if want["calls"]:
            share = 100 * want["innovative"] / want["calls"]
            assert a.innovative_share == pytest.approx(share, abs=0.005)
            assert a.gap_pp == pytest.approx(5.0 - a.innovative_share, abs=0.01)
    assert report.previous == SEPTEMBER


def test_edge_cases_land_where_they_should(stored_set, branches) -> None:
    url, specs = stored_set
    named = {p.name: p for p in specs if p.name}
    with session_scope(url) as session:
        rows = {c.procedure_pk: c for c in list_calls(session, branches, OCTOBER, include_cancelled=True)}
        sept = {c.procedure_pk for c in list_calls(session, branches, SEPTEMBER)}
        nov = {c.procedure_pk for c in list_calls(session, branches, Period.month("2026-11"))}
    assert named["first day of the month"].pk in rows
    assert named["last day of the month"].pk in rows
    assert named["first day after the month"].pk in nov and named["first day after the month"].pk not in rows
    moved = named["called in September, changed in October: counts in September, as innovative"]
    assert moved.pk in sept and moved.pk not in rows
    award = rows[named["award in December counts in the October of its call, and makes it innovative"].pk]
    assert award.label == "innovative"
    two = rows[named["two changes: one procedure, the latest value, the best label"].pk]
    assert (two.label, two.value_amount) == ("possible", 40_000.0)
    assert rows[named["cancelled: not a call, shown as cancelled"].pk].cancelled
    assert named["planning only: not counted"].pk not in rows
    assert rows[
        named["prior information in August, call in October: counts in October, innovative"].pk
    ].label == ("innovative")
    assert rows[named["ELY-keskus after the 2026 reform: unmapped"].pk].area == "unmapped"
    assert named["buyer abroad: not counted"].pk not in rows
    assert rows[named["central purchasing body"].pk].area == "yhteishankinta"
    assert rows[named["direct award without a call"].pk].area == "kunta"
    link = rows[named["first day of the month"].pk].url
    assert link and re.fullmatch(r"https://ted\.europa\.eu/en/notice/-/detail/\d+-2026", link)


def test_the_three_formats_carry_the_same_figures(stored_set, branches) -> None:
    url, specs = stored_set
    report = _report(url, branches)
    truth = dataset.expected(specs, OCTOBER.start, OCTOBER.end)

    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_area = {r["area"]: r for r in rows}
    assert list(by_area)[-1] == TOTAL and len(rows) == len(report.areas) + 1
    for key, want in truth.items():
        r = by_area[key]
        assert int(r["calls"]) == want["calls"] and int(r["innovative"]) == want["innovative"], key
        assert int(r["possible"]) == want["possible"] and int(r["cancelled_not_counted"]) == want["cancelled"]
        assert int(r["value_missing"]) == want["calls"] - want["value_known"], key
        assert float(r["value_eur"]) == pytest.approx(want["value_eur"], abs=0.01), key
        assert float(r["innovative_share_pct"]) == pytest.approx(
            100 * want["innovative"] / want["calls"], abs=0.005
        )
        assert r["period_start"] == "2026-10-01" and r["previous_end"] == "2026-09-30"

    soup = BeautifulSoup(render_html(report, "en", charts={}), "html.parser")
    for key, want in truth.items():
        cells = [td.get_text(strip=True) for td in soup.select(f'tr[data-area="{key}"] td')]
        assert cells[1:4] == [str(want["calls"]), str(want["innovative"]), str(want["possible"])], key
        assert cells[7] == str(want["calls"] - want["value_known"]) and cells[10] == str(want["cancelled"])
        assert cells[4] == f"{100 * want['innovative'] / want['calls']:.1f} %"

    text = render_text(report, "en")
    for key, want in truth.items():
        name = report.area(key).name("en")
        line = next(ln for ln in text.splitlines() if ln.startswith(name[:NAME_WIDTH]))
        numbers = re.split(r"\s{2,}", line[NAME_WIDTH:].strip())
        assert numbers[:3] == [str(want["calls"]), str(want["innovative"]), str(want["possible"])], key
        assert numbers[-1] == str(want["cancelled"])
    used = report.notices_used
    assert f"{sum(used.values())} notices" in text
    kinds = {"call": 0, "change": 0, "award": 0, "cancel": 0}
    for p in specs:
        if p.area and p.period_day and OCTOBER.start <= p.period_day <= OCTOBER.end:
            for n in p.counted_notices:
                kinds["award" if n.kind == "direct" else n.kind] += 1
    assert used == kinds and all(kinds.values())


def test_a_period_that_is_not_whole_months(stored_set, branches) -> None:
    """Days, not months: the figures, and the previous period of the same number of days."""
    url, specs = stored_set
    period = Period(date(2026, 9, 20), date(2026, 10, 9))
    report = _report(url, branches, period)
    truth = dataset.expected(specs, period.start, period.end)
    before = dataset.expected(specs, date(2026, 8, 31), date(2026, 9, 19))
    assert report.previous == Period(date(2026, 8, 31), date(2026, 9, 19))
    assert truth[TOTAL]["calls"] > 10 and before[TOTAL]["calls"] > 0
    for a in [*report.areas, report.total]:
        want = truth.get(a.key, dict.fromkeys(COUNTS, 0))
        assert {k: getattr(a, k) for k in COUNTS} == {k: want[k] for k in COUNTS}, a.key
        assert a.prev_calls == before.get(a.key, {"calls": 0})["calls"], a.key
