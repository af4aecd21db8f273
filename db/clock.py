"""The one clock every part of TenderWatch reads "now" from.

Why not ``datetime.now`` where it is needed: the tests choose their day (a Saturday, 29
February, the night clocks change in Helsinki), and the chosen day must hold in every process
of a run, the crawl children and ``serve`` included. ``TENDERWATCH_CLOCK`` carries it across
process boundaries:

- unset: the system clock;
- ``2026-12-05T10:00:00+00:00``: time starts at that instant, in each process the first time
  it asks, and then runs at real speed (like faketime's ``@`` form), so timeouts, back-offs
  and schedules still move;
- ``2026-12-05T10:00:00+00:00@1764928800.25``: the same, anchored at that real epoch second,
  so a parent and the children it starts agree to the second (the test suite sets this form).

Code that depends on "now" takes it as an argument where it can (``now: datetime``); the
outermost caller (a CLI command, a service job, a spider) asks :func:`utcnow` once.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CLOCK_ENV = "TENDERWATCH_CLOCK"
HELSINKI = ZoneInfo("Europe/Helsinki")

# (the variable's value, the instant it names, the real epoch second that instant maps to);
# parsed once per value rather than on every call.
_parsed: tuple[str, datetime, float] | None = None


class ClockError(ValueError):
    """``TENDERWATCH_CLOCK`` is set to something that is not an aware ISO instant."""


def _shift(value: str) -> tuple[datetime, float]:
    instant_text, _, anchor_text = value.partition("@")
    try:
        instant = datetime.fromisoformat(instant_text.strip())
        anchor = float(anchor_text) if anchor_text else time.time()
    except ValueError:
        raise ClockError(
            f"{CLOCK_ENV}={value!r}: expected an ISO instant with its offset, "
            "such as 2026-12-05T10:00:00+00:00, optionally followed by @<epoch seconds>"
        ) from None
    if instant.tzinfo is None:
        raise ClockError(f"{CLOCK_ENV}={value!r}: the instant needs its UTC offset")
    return instant.astimezone(UTC), anchor


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: the system clock, or the one ``TENDERWATCH_CLOCK`` names."""
    global _parsed
    value = os.environ.get(CLOCK_ENV)
    if not value:
        return datetime.now(UTC)
    if _parsed is None or _parsed[0] != value:
        instant, anchor = _shift(value)
        _parsed = (value, instant, anchor)
    return _parsed[1] + timedelta(seconds=time.time() - _parsed[2])


def today(tz: ZoneInfo = HELSINKI) -> date:
    """Today's date where TenderWatch works (Helsinki by default), not on the machine's zone."""
    return utcnow().astimezone(tz).date()


def clock_value(instant: datetime, *, anchor: float | None = None) -> str:
    """The ``TENDERWATCH_CLOCK`` value that starts time at ``instant`` (anchored now by default)."""
    if instant.tzinfo is None:
        raise ClockError("clock_value needs an aware datetime")
    return f"{instant.isoformat()}@{time.time() if anchor is None else anchor}"
