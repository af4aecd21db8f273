"""Schema of ``config/subscribers.yaml`` and of subscriber import files (YAML or CSV).

One shape for both, so an export can be edited and imported back unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.addresses import MailAddress
from monitor.appconfig.models import Strict
from monitor.matching.filters import SubscriptionFilters

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SubscriptionSpec(SubscriptionFilters):
    """A named subscription: its filters plus a name unique within the subscriber."""

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True

    def filters(self) -> SubscriptionFilters:
        return SubscriptionFilters(**self.model_dump(exclude={"name", "enabled"}))


class SubscriberSpec(Strict):
    email: MailAddress
    """Stored in ASCII (IDNA domain); a non-ASCII part before the @ is refused here."""
    name: str = ""
    kind: Literal["company", "branch"] = "company"
    branch: str | None = Field(default=None, description="For branch contacts: the branch id, e.g. TEM")
    language: Literal["fi", "sv", "en"] = "fi"
    delivery: Literal["instant", "daily", "weekly"] = "instant"
    digest_hour: int = Field(default=7, ge=0, le=23, description="Europe/Helsinki hour of the digest")
    digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    reminder_days: list[int] = Field(default_factory=list, description="Deadline reminders, days before")
    enabled: bool = True
    subscriptions: list[SubscriptionSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _branch_default(cls, data: object) -> object:
        """A branch contact without subscriptions watches its own branch: that is why they are here."""
        if (
            isinstance(data, dict)
            and data.get("kind") == "branch"
            and data.get("branch")
            and not data.get("subscriptions")
        ):
            branch = data["branch"]
            data = {**data, "subscriptions": [{"name": str(branch), "branches": [branch]}]}
        return data

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()  # one subscriber per address, whatever its case

    @field_validator("reminder_days")
    @classmethod
    def _days(cls, values: list[int]) -> list[int]:
        if any(d < 1 or d > 60 for d in values):
            raise ValueError("reminder days must be between 1 and 60")
        return sorted(set(values), reverse=True)

    @model_validator(mode="after")
    def _consistent(self) -> SubscriberSpec:
        if self.kind == "branch" and not self.branch:
            raise ValueError("a branch contact needs 'branch' (a branch id from branches.yaml, e.g. TEM)")
        names = [s.name for s in self.subscriptions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"subscription names must be unique per subscriber; repeated: {', '.join(dupes)}"
            )
        return self


class SubscribersFile(Strict):
    subscribers: list[SubscriberSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SubscribersFile:
        emails = [s.email for s in self.subscribers]
        dupes = sorted({e for e in emails if emails.count(e) > 1})
        if dupes:
            raise ValueError(f"each email may appear once; repeated: {', '.join(dupes)}")
        return self
