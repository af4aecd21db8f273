"""The government's innovation goal over time, as ``config/service.yaml`` lists it.

Only ``monitor.reports.figures`` uses this: the figures are the one place that knows which goal
applies to which month, so every output (text, CSV, HTML, email, later web pages) agrees.

A month is measured against the goal in force on its first day: a goal that starts in the
middle of a month applies from the next month, so no month is split between two goals.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from monitor.appconfig.models import GoalPeriod


@dataclass(frozen=True)
class GoalHistory:
    """(first day, percent) pairs, oldest first; before the first one there is no goal."""

    periods: tuple[tuple[date, float], ...]

    @classmethod
    def of(cls, goal: GoalInput) -> GoalHistory:
        """From the config's periods, or one percent for every month (``report branches --goal N``)."""
        if isinstance(goal, GoalHistory):
            return goal
        if goal is None:
            return cls(())
        if isinstance(goal, (int, float)):
            return cls(((date.min, float(goal)),))
        return cls(tuple((p.start, float(p.percent)) for p in goal))

    def on(self, day: date) -> float | None:
        """The goal in force on ``day``; None before the first period."""
        i = bisect_right([start for start, _ in self.periods], day)
        return self.periods[i - 1][1] if i else None

    def for_month(self, month: int) -> float | None:
        """The goal of a month (YYYYMM): the one in force on its first day."""
        return self.on(date(month // 100, month % 100, 1))

    def describe(self, start: date, end: date) -> list[tuple[date, float]]:
        """The goals that apply to some month from ``start`` to ``end``, each with the first day of
        its first month there (for the report's header: "5 % to 2019-06, 10 % from 2019-07")."""
        out: list[tuple[date, float]] = []
        month = date(start.year, start.month, 1)
        while month <= end:
            goal = self.on(month)
            if goal is not None and (not out or out[-1][1] != goal):
                out.append((month, goal))
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return out


GoalInput = float | Sequence[GoalPeriod] | GoalHistory | None
"""What ``build_report`` takes as its goal: the config's periods, one percent, or a history."""
