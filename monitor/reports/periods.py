"""Report periods: inclusive date ranges, read in Europe/Helsinki, and the one before each.

A notice's publication date is a calendar date, so a period is a pair of dates, not instants.
Time zones matter where "now" becomes a date: the monthly job runs at 00:30 Helsinki on the
1st, which is still the last day of the previous month in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.easter import easter as dateutil_easter

HELSINKI = ZoneInfo("Europe/Helsinki")


class ReportError(ValueError):
    """A report request that cannot be answered as asked (bad period, unknown branch, …)."""


@dataclass(frozen=True)
class Period:
    """``start`` to ``end``, both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ReportError(f"the period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def month(cls, text: str) -> Period:
        """``2026-10`` → 1 to 31 October 2026."""
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ReportError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        return cls.of_month(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, _add_months(first, 1) - timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> int:
        """How many calendar months the period spans exactly, or 0 if it is not whole months."""
        if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before: the same number of calendar months for a
        month-aligned period (September before October, not 31 days), else the same number of days."""
        months = self.whole_months
        if months:
            start = _add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[int]:
        """The months the period touches, as YYYYMM integers (``ReportProcedure.period_month``)."""
        out, d = [], self.start.replace(day=1)
        while d <= self.end:
            out.append(d.year * 100 + d.month)
            d = _add_months(d, 1)
        return out

    def trend(self, at_least: int = 12) -> Period:
        """The months to chart: the period's own months, extended back to ``at_least`` months."""
        end_month = Period.of_month(self.end.year, self.end.month)
        first = _add_months(end_month.start, -(at_least - 1))
        return Period(min(first, self.start.replace(day=1)), end_month.end)

    @property
    def label(self) -> str:
        if self.whole_months == 1:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @property
    def slug(self) -> str:
        """For file names and outbox refs."""
        if self.whole_months == 1:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ReportError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD") from None


def helsinki_date(now: datetime) -> date:
    """The calendar day in Helsinki at an aware instant."""
    if now.tzinfo is None:
        raise ReportError(f"naive datetime {now!r}: pass an aware one")
    return now.astimezone(HELSINKI).date()


def previous_month(now: datetime) -> Period:
    """The last whole month before the Helsinki day of ``now``."""
    today = helsinki_date(now)
    first = today.replace(day=1)
    prev = _add_months(first, -1)
    return Period.of_month(prev.year, prev.month)


def _add_months(d: date, months: int) -> date:
    """First-of-month arithmetic (only called with day 1)."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# ------------------------------------------------------------------------------ working days


def finnish_holidays(year: int) -> set[date]:
    """Public holidays on which Finnish offices are closed (Midsummer Eve and Christmas Eve included)."""
    easter = dateutil_easter(year)  # Gregorian, dateutil's default
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
    all_saints = next(
        d for d in (date(year, 10, 31) + timedelta(days=i) for i in range(7)) if d.weekday() == 5
    )
    return {
        date(year, 1, 1),
        date(year, 1, 6),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(year, 5, 1),
        easter + timedelta(days=39),
        midsummer_eve,
        all_saints,
        date(year, 12, 6),
        date(year, 12, 24),
        date(year, 12, 25),
        date(year, 12, 26),
    }


def first_working_day(year: int, month: int) -> date:
    holidays = finnish_holidays(year)
    d = date(year, month, 1)
    while d.weekday() >= 5 or d in holidays:
        d += timedelta(days=1)
    return d
