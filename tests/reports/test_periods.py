"""Report periods: the previous period of the same length, the trend months, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.reports.periods import Period, ReportError
from monitor.reports.render import CSV_COLUMNS


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)),  # the month before
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),  # not 31 days back
        (date(2026, 1, 1), date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),  # a quarter
        (date(2026, 1, 1), date(2026, 12, 31), date(2025, 1, 1), date(2025, 12, 31)),  # a year
        (date(2026, 10, 5), date(2026, 10, 14), date(2026, 9, 25), date(2026, 10, 4)),  # 10 days: 10 days
    ],
)
def test_previous_period_has_the_same_length(start: date, end: date, prev_start: date, prev_end: date):
    assert Period(start, end).previous() == Period(prev_start, prev_end)


def test_trend_covers_twelve_months_ending_with_the_period() -> None:
    trend = Period.month("2026-10").trend(12)
    assert (trend.start, trend.end) == (date(2025, 11, 1), date(2026, 10, 31))
    assert trend.months()[0] == 202511 and trend.months()[-1] == 202610 and len(trend.months()) == 12
    long = Period(date(2024, 1, 1), date(2026, 10, 31)).trend(12)
    assert long.start == date(2024, 1, 1)  # a longer period charts all its months


@pytest.mark.parametrize("text", ["2026-13", "2026-0", "26-10", "october", ""])
def test_bad_month(text: str) -> None:
    with pytest.raises(ReportError, match="YYYY-MM"):
        Period.month(text)


def test_csv_columns_are_stable() -> None:
    """Spreadsheets and scripts read these by name and position: change them only on purpose."""
    assert CSV_COLUMNS == (
        "period_start", "period_end", "area", "area_kind", "name_fi", "name_en", "calls", "innovative",
        "possible", "unclassified", "innovative_share_pct", "innovative_or_possible_share_pct",
        "cancelled_not_counted", "value_known", "value_missing", "value_eur", "innovative_value_eur",
        "innovative_value_share_pct", "previous_start", "previous_end", "previous_calls",
        "previous_innovative", "previous_innovative_share_pct", "change_pp", "goal_pct", "gap_to_goal_pp",
        "notices_used",
        # issue #16, appended: the columns above keep their positions
        "declared", "declared_share_pct", "declared_value_eur", "declared_value_share_pct",
        "declared_and_detected", "declared_not_detected", "detected_not_declared", "not_evaluated",
        "previous_declared", "declared_gap_to_goal_pp",
    )  # fmt: skip
