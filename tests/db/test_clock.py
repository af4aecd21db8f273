"""The one clock: a chosen day reaches this process and its children; bad values are refused."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from db import clock


def test_the_suite_runs_on_its_chosen_day(today: date, now: datetime) -> None:
    assert clock.today() == today
    assert now <= clock.utcnow() < now + timedelta(hours=6)  # time moves at real speed from there


def test_a_child_process_agrees_to_the_second(now: datetime) -> None:
    parent = clock.utcnow()
    out = subprocess.run(
        [sys.executable, "-c", "from db.clock import utcnow; print(utcnow().isoformat())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    child = datetime.fromisoformat(out.strip())
    assert timedelta(0) <= child - parent < timedelta(seconds=10)


def test_an_unanchored_value_starts_at_its_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, "2028-02-29T23:59:59+02:00")
    first = clock.utcnow()
    assert first - datetime(2028, 2, 29, 21, 59, 59, tzinfo=UTC) < timedelta(seconds=5)
    assert clock.today() == date(2028, 2, 29)  # Helsinki's date, not UTC's or the machine's
    assert clock.utcnow() >= first


def test_helsinki_date_differs_from_utc_late_in_the_evening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, clock.clock_value(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)))
    assert clock.utcnow().date() == date(2026, 12, 31)
    assert clock.today() == date(2027, 1, 1)


@pytest.mark.parametrize("value", ["yesterday", "2026-12-05T10:00:00", "2026-12-05T10:00:00+00:00@soon"])
def test_a_bad_value_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, value)
    with pytest.raises(clock.ClockError, match=clock.CLOCK_ENV):
        clock.utcnow()
