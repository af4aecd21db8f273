"""The shared bases of the config schemas (``Strict``, ``Schedule``) and ``config/service.yaml``.

Other files' schemas live with the code that uses them; ``monitor/config.py`` names which
file has which.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from db.clock import utcnow
from monitor.addresses import MailAddress


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(Strict):
    """Exactly one of ``cron`` (crontab syntax, in the service's time zone), ``every_minutes``
    or ``every_seconds`` (for tests and demos)."""

    cron: str | None = None
    every_minutes: int | None = Field(default=None, ge=1)
    every_seconds: int | None = Field(default=None, ge=1)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is None:
            return value
        fields = value.split()
        # APScheduler numbers weekdays from Monday = 0, crontab from Sunday = 0: "1-5" would
        # silently mean Tuesday to Saturday. Names are unambiguous, so require them.
        if len(fields) == 5 and any(ch.isdigit() for ch in fields[4]):
            raise ValueError(f"write the day of week with names such as 'mon-fri', not {fields[4]!r}")
        try:
            trigger = CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a valid crontab expression: {exc}") from None
        # "0 0 31 2 *" parses, then never fires: the job would silently never run.
        if trigger.get_next_fire_time(None, utcnow()) is None:
            raise ValueError(f"{value!r} never fires (no such day)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        given = [v for v in (self.cron, self.every_minutes, self.every_seconds) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'cron', 'every_minutes' or 'every_seconds'")
        return self

    def trigger(self, timezone: str) -> BaseTrigger:
        """The APScheduler trigger for this schedule."""
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=timezone)
        seconds = self.every_seconds or (self.every_minutes or 0) * 60
        return IntervalTrigger(seconds=seconds, timezone=timezone)


class HealthConfig(Strict):
    failures_before_alert: int = Field(default=3, ge=1)
    quiet_working_days: int = Field(default=1, ge=1, description="Zero notices this many working days")
    outbox_failure_age_minutes: int = Field(default=60, ge=1)
    mail_down_minutes: int = Field(
        default=10, ge=0, description="Mail undeliverable this long (server down) before admins are told"
    )


def valid_timezone(value: str) -> str:
    """An IANA time zone name this machine knows (``Europe/Helsinki``), checked now rather
    than when the scheduler first uses it and fails."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Helsinki") from None
    return value


class GoalPeriod(Strict):
    """The government's goal for the innovative share of procurement, in force from a date on."""

    # ``from`` is a Python keyword: the YAML key is ``from``, the attribute ``start``.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: date = Field(alias="from")
    percent: float = Field(gt=0, le=100)


REPLACED_GOAL_KEY = (
    "innovation_goal_percent was replaced by innovation_goal: a list of periods, each with "
    "`from` (the first day, YYYY-MM-DD) and `percent`, so reports measure each month against the goal "
    "in force then; see the shipped config/service.yaml"
)


class ServiceConfig(Strict):
    admins: list[MailAddress] = Field(default_factory=list)
    timezone: str = "Europe/Helsinki"
    send_every_minutes: int = Field(default=1, ge=1)
    send_every_seconds: int | None = Field(default=None, ge=1, description="Overrides minutes; tests")
    digest_check_minutes: int = Field(default=15, ge=1, description="How often due digests are built")
    health_check: Schedule = Schedule(cron="30 6 * * *")
    health: HealthConfig = HealthConfig()
    alert_max_age_days: int = Field(
        default=7, ge=1, description="An unsent alert older than this is given up (expired), not sent"
    )
    innovation_goal: list[GoalPeriod] = Field(default_factory=list)
    """The goal's history, oldest first; ``monitor.reports.figures`` picks the one in force per month."""
    innovation_goal_percent: float | None = Field(default=None, exclude=True)
    """Replaced by ``innovation_goal``: accepted by the schema only to say so (with its line)."""
    default_language: Literal["fi", "sv", "en"] = "fi"

    @field_validator("innovation_goal_percent")
    @classmethod
    def _replaced(cls, value: float | None) -> None:
        if value is not None:
            raise ValueError(REPLACED_GOAL_KEY)
        return None

    _timezone = field_validator("timezone")(valid_timezone)

    @field_validator("innovation_goal")
    @classmethod
    def _in_order(cls, periods: list[GoalPeriod]) -> list[GoalPeriod]:
        starts = [p.start for p in periods]
        if starts != sorted(set(starts)):
            raise ValueError("list the periods oldest first, each with its own `from` date")
        return periods
