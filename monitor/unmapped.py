"""The Finnish central-government buyers of stored notices that no branch rule places.

``tenderwatch branches unmapped`` prints them and the web's queue (``/admin/branches/unmapped``)
lets an admin place each in one click; both read them here. The mapping is Python (regexes and
validity dates from branches.yaml), so the notices are read and each buyer mapped on the
notice's date, as ``monitor.reports.facts`` maps them for the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import Notice, Procedure
from db.record import NoticeRecord
from monitor.branches import BranchesConfig, business_id_valid, is_unmapped_central, normalize_business_id

_BATCH = 500  # rows fetched at a time: the records are JSON of a few kB each


@dataclass
class UnmappedBuyer:
    """One buyer (business ID and name as the notices write them) and the notices it appears in."""

    name: str
    org_id: str | None
    legal_type: str | None
    notices: int = 0
    latest: date | None = None
    procedure_key: str | None = None
    """The procedure of its latest notice, for a link to the notice's page (``/p/KEY``)."""

    @property
    def has_valid_id(self) -> bool:
        """Placed by its business ID (a valid one), else by its name (``monitor.branchedit``)."""
        bid = normalize_business_id(self.org_id)
        return bid is not None and business_id_valid(bid)


def unmapped_buyers(
    session: Session, branches: BranchesConfig, *, since: date | None = None, all_types: bool = False
) -> list[UnmappedBuyer]:
    """Most notices first. ``all_types`` adds Finnish buyers without a central-government legal
    type that nothing places either (the CLI's ``--all-types``)."""
    found: dict[tuple[str, str], UnmappedBuyer] = {}
    q = (
        select(Notice.record, Notice.publication_date, Procedure.procedure_key)
        .join(Procedure, Procedure.id == Notice.procedure_pk)
        .where(Notice.buyer_country == "FIN")
    )
    if since:
        q = q.where(Notice.publication_date >= since)
    for data, published, procedure_key in session.execute(q.execution_options(yield_per=_BATCH)):
        for buyer in NoticeRecord.from_dict(data).buyers:
            match = branches.map_buyer(buyer, published)
            hit = is_unmapped_central(buyer, match) or (
                all_types and not match.mapped and (buyer.country or "") == "FIN"
            )
            if not hit:
                continue
            entry = found.setdefault(
                (buyer.org_id or "", buyer.name or ""),
                UnmappedBuyer(buyer.name or "", buyer.org_id, buyer.legal_type),
            )
            entry.notices += 1
            if published is not None and (entry.latest is None or published >= entry.latest):
                entry.latest, entry.procedure_key = published, procedure_key
            elif entry.procedure_key is None:
                entry.procedure_key = procedure_key
    return sorted(found.values(), key=lambda b: (-b.notices, b.name.lower(), b.org_id or ""))
