"""Administrative branches (hallinnonalat): which ministry's branch a Finnish buyer belongs to.

``config/branches.yaml`` lists the 12 ministries and their agencies. A buyer is mapped in the
order docs/innovation.md#administrative-branches gives, because each step is less certain
than the one before:

1. a central purchasing body (Hansel) buys for the whole state: group ``yhteishankinta``,
   never the branch of its owner ministry;
2. the buyer's business ID (Y-tunnus, BT-501) in a member list, valid on the notice date;
3. the buyer legal type (BT-11): ``la`` is a municipality, ``ra`` a wellbeing county or
   other regional authority: they have no ministry branch;
4. a name pattern of a member, valid on the date (agencies reorganise; names outlive IDs).

Anything else is unmapped; ``tenderwatch branches unmapped`` lists the central-government ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from db.record import Buyer
from monitor.addresses import MailAddress
from monitor.appconfig.models import Strict

Group = Literal["valtio", "yhteishankinta", "kunta", "hyvinvointialue", "muu"]
CENTRAL_LEGAL_TYPES = frozenset({"cga", "body-pl-cga", "pub-undert-cga"})
"""BT-11 codes of central-government buyers: only these (or an unknown type) get a branch."""

_YTUNNUS = re.compile(r"^\d{7}-\d$")


def normalize_business_id(value: str | None) -> str | None:
    """A Finnish business ID in its canonical ``1234567-8`` form, or None if it is not one.

    Notices write it several ways: ``0988084-1``, the VAT form ``FI09880841``, with spaces.
    """
    if not value:
        return None
    v = re.sub(r"[\s.]", "", value).upper()
    if v.startswith("FI") and len(v) == 10 and v[2:].isdigit():
        v = f"{v[2:9]}-{v[9]}"
    elif len(v) == 8 and v.isdigit():
        v = f"{v[:7]}-{v[7]}"
    return v if _YTUNNUS.match(v) else None


def business_id_valid(value: str) -> bool:
    """The Y-tunnus check digit (weights 7,9,10,5,8,4,2; mod 11; remainder 1 is never issued)."""
    if not _YTUNNUS.match(value):
        return False
    digits = [int(c) for c in value[:7]]
    rem = sum(d * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    if rem == 1:
        return False
    return (0 if rem == 0 else 11 - rem) == int(value[8])


class Names(Strict):
    fi: str
    sv: str
    en: str


class Member(Strict):
    """One agency of a branch: a business ID, or name patterns, or both."""

    name: str
    business_id: str | None = None
    patterns: list[str] = Field(
        default_factory=list, description="Case-insensitive regexes on the buyer name"
    )
    valid_from: date | None = None
    valid_to: date | None = None

    @field_validator("business_id")
    @classmethod
    def _check_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        norm = normalize_business_id(value)
        if norm is None or not business_id_valid(norm):
            raise ValueError(f"{value!r} is not a valid Finnish business ID (1234567-8 with its check digit)")
        return norm

    @field_validator("patterns")
    @classmethod
    def _compile(cls, values: list[str]) -> list[str]:
        for v in values:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern {v!r} is not a valid regular expression: {exc}") from None
        return values

    @model_validator(mode="after")
    def _identified(self) -> Member:
        if not self.business_id and not self.patterns:
            raise ValueError("give a business_id or at least one name pattern")
        return self

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Branch(Strict):
    id: str = Field(pattern=r"^[A-Z]{2,5}$", description="The ministry's abbreviation, e.g. TEM")
    main_title: int = Field(ge=21, le=40, description="Budget main title (pääluokka), e.g. 32")
    names: Names
    members: list[Member] = Field(default_factory=list)
    contacts: list[MailAddress] = Field(
        default_factory=list,
        description="Addresses that may open this branch's page in the web app (/admin/branches/ID)",
    )
    """Access, not mail: who receives the branch's calls is ``subscribers.yaml``'s business."""

    @field_validator("contacts")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower() for v in values]  # compared with the signed-in address, any case


class CentralPurchasing(Strict):
    """Central purchasing bodies: their calls are the whole state's, not one branch's."""

    name: str
    business_id: str | None = None
    patterns: list[str] = Field(default_factory=list)


class BranchesConfig(Strict):
    """Schema of ``config/branches.yaml``."""

    branches: list[Branch]
    central_purchasing: list[CentralPurchasing] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> BranchesConfig:
        ids = [b.id for b in self.branches]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"branch ids must be unique; repeated: {', '.join(dupes)}")
        seen: dict[str, str] = {}
        for b in self.branches:
            for m in b.members:
                if m.business_id and seen.get(m.business_id, b.id) != b.id:
                    raise ValueError(
                        f"business ID {m.business_id} is in both {seen[m.business_id]} and {b.id}"
                    )
                if m.business_id:
                    seen[m.business_id] = b.id
        return self

    def branch(self, branch_id: str) -> Branch | None:
        return next((b for b in self.branches if b.id == branch_id), None)

    @cached_property
    def _mapper(self) -> BranchMapper:
        return BranchMapper(self)

    def map_buyer(self, buyer: Buyer, on_date: date | None = None) -> BranchMatch:
        return self._mapper.map(buyer, on_date)


@dataclass(frozen=True, slots=True)
class BranchMatch:
    """Where a buyer belongs. ``branch`` is set only for group ``valtio``."""

    group: Group | None
    branch: str | None = None
    how: str = ""
    """``central-purchasing``, ``business-id``, ``legal-type``, ``name-pattern`` or ``''`` (unmapped)."""
    member: str | None = None

    @property
    def mapped(self) -> bool:
        return self.group is not None

    @property
    def key(self) -> str | None:
        """What subscriptions filter on: the branch id (``TEM``) or the group (``kunta``)."""
        return self.branch or self.group

    def to_dict(self) -> dict[str, str | None]:
        return {"group": self.group, "branch": self.branch, "how": self.how, "member": self.member}


class BranchMapper:
    """The compiled lookup tables of one :class:`BranchesConfig`."""

    def __init__(self, config: BranchesConfig) -> None:
        self.by_id: dict[str, list[tuple[str, Member]]] = {}
        self.patterns: list[tuple[re.Pattern[str], str, Member]] = []
        for b in config.branches:
            for m in b.members:
                if m.business_id:
                    self.by_id.setdefault(m.business_id, []).append((b.id, m))
                for p in m.patterns:
                    self.patterns.append((re.compile(p, re.IGNORECASE), b.id, m))
        self.central_ids = {
            normalize_business_id(c.business_id): c.name for c in config.central_purchasing if c.business_id
        }
        self.central_patterns = [
            (re.compile(p, re.IGNORECASE), c.name) for c in config.central_purchasing for p in c.patterns
        ]

    def map(self, buyer: Buyer, on_date: date | None = None) -> BranchMatch:
        bid = normalize_business_id(buyer.org_id)
        name = buyer.name or ""
        if bid and bid in self.central_ids:
            return BranchMatch("yhteishankinta", None, "central-purchasing", self.central_ids[bid])
        for rx, cname in self.central_patterns:
            if rx.search(name):
                return BranchMatch("yhteishankinta", None, "central-purchasing", cname)
        for branch_id, member in self.by_id.get(bid or "", []):
            if member.valid_on(on_date):
                return BranchMatch("valtio", branch_id, "business-id", member.name)
        legal = (buyer.legal_type or "").lower()
        if legal == "la":
            return BranchMatch("kunta", None, "legal-type")
        if legal == "ra":
            return BranchMatch("hyvinvointialue", None, "legal-type")
        if legal and legal not in CENTRAL_LEGAL_TYPES:
            # body-pl, pub-undert, org-sub… : public, but not a ministry's agency.
            return BranchMatch("muu", None, "legal-type")
        for rx, branch_id, member in self.patterns:
            if member.valid_on(on_date) and rx.search(name):
                return BranchMatch("valtio", branch_id, "name-pattern", member.name)
        return BranchMatch(None)


def is_unmapped_central(buyer: Buyer, match: BranchMatch) -> bool:
    """A Finnish central-government buyer (or one of unknown type) that no rule placed."""
    if match.mapped:
        return False
    country = (buyer.country or "").upper()
    if country not in ("FIN", "FI"):
        return False
    return (buyer.legal_type or "").lower() in CENTRAL_LEGAL_TYPES
