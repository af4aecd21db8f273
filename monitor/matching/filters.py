"""What a subscription asks for: the validated filter set stored in ``subscriptions.filters``.

Every list is OR within itself and every filter is AND with the others, the way people read
a form ("these CPV codes, in these regions"). An empty list means "any".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from monitor.appconfig.models import Strict

NoticeKind = Literal["planning", "competition", "result"]
Innovation = Literal["innovative", "possible"]

_CPV = re.compile(r"^(\d{8})(-\d)?$")
_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")


def cpv_prefix(code: str) -> str:
    """The hierarchy prefix of a CPV code: trailing zeros dropped, at least the 2-digit division.

    ``72000000`` → ``72`` (division), ``72200000`` → ``722`` (group), ``72212000`` → ``72212``.
    A notice code matches a subscribed code when it starts with the subscribed prefix.
    """
    digits = code[:8].rstrip("0")
    return digits if len(digits) >= 2 else code[:2]


class SubscriptionFilters(Strict):
    cpv: list[str] = Field(default_factory=list, description="CPV codes; each covers its descendants")
    nuts: list[str] = Field(default_factory=list, description="NUTS prefixes, e.g. FI1B or FI")
    countries: list[str] = Field(default_factory=list, description="Buyer countries, ISO alpha-3 (FIN)")
    branches: list[str] = Field(
        default_factory=list,
        description="Branch ids from branches.yaml (TEM) or groups: valtio, yhteishankinta, kunta, "
        "hyvinvointialue, muu",
    )
    buyers: list[str] = Field(default_factory=list, description="Business IDs or parts of buyer names")
    kinds: list[NoticeKind] = Field(default_factory=list)
    value_min: float | None = Field(default=None, ge=0, description="Estimated value, EUR")
    value_max: float | None = Field(default=None, ge=0)
    min_days_ahead: int | None = Field(default=None, ge=0, description="Deadline at least N days away")
    keywords: list[str] = Field(default_factory=list, description="fi/sv/en words or phrases (any)")
    exclude: list[str] = Field(default_factory=list, description="A notice with any of these is skipped")
    innovation: Innovation | None = Field(default=None, description="'innovative' only, or 'possible' and up")

    @field_validator("cpv")
    @classmethod
    def _cpv(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            m = _CPV.match(str(v).strip())
            if not m:
                raise ValueError(f"{v!r} is not a CPV code such as '72000000' or '72000000-5'")
            out.append(m.group(1))
        return out

    @field_validator("nuts")
    @classmethod
    def _nuts(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            code = str(v).strip().upper()
            if not _NUTS.match(code):
                raise ValueError(f"{v!r} is not a NUTS code or prefix such as 'FI' or 'FI1B1'")
            out.append(code)
        return out

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        out = []
        for v in values:
            code = str(v).strip().upper()
            if len(code) != 3 or not code.isalpha():
                raise ValueError(f"{v!r} is not an ISO 3166 alpha-3 country code such as 'FIN'")
            out.append(code)
        return out

    @field_validator("keywords", "exclude", "buyers", "branches")
    @classmethod
    def _nonblank(cls, values: list[str]) -> list[str]:
        out = [str(v).strip() for v in values]
        if any(not v for v in out):
            raise ValueError("empty entries are not allowed")
        return out

    @model_validator(mode="after")
    def _range(self) -> SubscriptionFilters:
        if self.value_min is not None and self.value_max is not None and self.value_min > self.value_max:
            raise ValueError("value_min is larger than value_max")
        return self

    def is_empty(self) -> bool:
        """True when nothing narrows it down: it would match every notice."""
        return self == SubscriptionFilters()
