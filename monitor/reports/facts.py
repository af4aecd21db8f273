"""Derive each procedure's report row (``db.models.reports.ReportProcedure``) from the store.

A row is re-derived when it is missing, when the procedure changed since (the store bumps
``Procedure.updated_at`` on every notice it folds in), when one of its notices was classified
since, or when the branches config changed. Deriving is Python (the branch mapping is regexes
and validity dates from config/branches.yaml); reporting is SQL over the derived rows.

Decisions this module makes (no source settles them):
- A procedure counts in the period of its first non-planning notice: the call, or, when no call
  was stored (a direct award, or a call older than our collection), its first award notice.
  Its changes, cancellation and award notices count with it, never in their own period.
- Its label is the best label over all its notices (``innovative`` > ``possible`` > ``none``):
  a change that adds an innovation partnership, or a HILMA award answering "new to the market",
  makes the procedure innovative.
- Its area is where the buyer of its current notice (the store's ``Procedure.buyer_*``) maps on
  the period date; buyers outside Finland get no area and are not counted.
- Its value is the store's current estimated value (the latest call or change that has one).
- It is declared innovative when any of its notices is (``notice_declarations``, the notice-level
  verdict of the ``declared`` rule in innovation.yaml), like the label: an award whose HILMA
  answers say "new to the market" declares the procedure. None until a notice is evaluated.
"""

from __future__ import annotations

import hashlib
import logging
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.classification import ClassificationChange, NoticeClassification
from db.models.declarations import NoticeDeclaration
from db.models.notices import Notice, Procedure
from db.models.reports import ReportProcedure
from db.record import Buyer
from monitor.branches import BranchesConfig
from monitor.classify.declared import NOTICE_LEVEL
from monitor.classify.scorer import LABEL_RANK

log = logging.getLogger(__name__)

FINLAND = frozenset({"FIN", "FI"})
UNMAPPED = "unmapped"
_CHUNK = 2000  # procedures per batch: fewer round trips; IN lists stay under both databases' limits
_LATE_COMMIT = timedelta(hours=1)
_LIFECYCLE_COUNTER = {"call": "n_call", "change": "n_change", "award": "n_award", "cancel": "n_cancel"}


def branches_version(branches: BranchesConfig) -> str:
    """A short content hash of the branches config: rows derived with another one are stale."""
    return hashlib.sha256(branches.model_dump_json().encode()).hexdigest()[:16]


def area_of(branches: BranchesConfig, buyer: Buyer, on_date: date | None) -> str | None:
    """The report area of a buyer: branch id, group, ``unmapped`` (Finnish, no rule), or None (abroad)."""
    country = (buyer.country or "").upper()
    if country and country not in FINLAND:
        return None
    match = branches.map_buyer(buyer, on_date)
    if match.mapped:
        return match.key
    # A buyer of unknown country that no rule placed is not known to be Finnish.
    return UNMAPPED if country else None


@dataclass
class RefreshStats:
    derived: int = 0


def refresh_report_procedures(
    session: Session,
    branches: BranchesConfig,
    *,
    procedure_pks: Iterable[int] | None = None,
    full: bool = False,
) -> RefreshStats:
    """Bring ``report_procedures`` up to date; returns how many rows were (re)derived.

    ``procedure_pks`` forces those procedures (the processing step passes the ones whose labels
    just changed); ``full`` re-derives every row. Either way stale rows are found and redone.
    """
    # Two processes refreshing at once would delete and re-insert overlapping rows in their
    # own orders (deadlocks on PostgreSQL): one at a time (db/locks.py).
    serialize(session, "report-rows")
    # Wall-clock time, never a caller's simulated "now": it is compared with the classifier's
    # change times to find rows a later label change made stale.
    now = utcnow()
    version = branches_version(branches)
    todo: set[int] = set(procedure_pks or ())
    if full:
        todo.update(session.scalars(select(Procedure.id)))
    else:
        todo.update(_stale(session, version))
    stats = RefreshStats()
    cache: dict[tuple[Any, ...], str | None] = {}
    ordered = sorted(todo)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        if _dense(chunk):  # one range query; the few neighbours in it are re-derived too (harmless)
            chunk = list(range(chunk[0], chunk[-1] + 1))
        rows = list(_derive(session, branches, chunk, version, now, cache))
        session.execute(delete(ReportProcedure).where(_among(ReportProcedure.procedure_pk, chunk)))
        if rows:
            session.execute(_upsert(session), rows)
        stats.derived += len(rows)
    if stats.derived:
        log.info("report rows derived: %d", stats.derived)
    return stats


def _upsert(session: Session) -> Any:
    """INSERT that overwrites: two processes refreshing the same procedures at once (the service
    and a CLI report) must not fail on each other's rows, and the last writer's row is as good."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = ReportProcedure.__table__
    stmt = dialect.insert(table)
    columns = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != "procedure_pk"}
    return stmt.on_conflict_do_update(index_elements=["procedure_pk"], set_=columns)


def _stale(session: Session, version: str) -> set[int]:
    """Procedures whose row is missing or out of date, found without scanning a million rows.

    Cheap questions first: when was the last derivation, does every procedure have a row, was
    any row derived with another branches config. When the answers are "recently", "yes" and
    "no", only procedures changed since the last derivation (less an hour, for transactions
    that committed late) can be stale, and an index finds them. Otherwise every procedure is
    checked. Procedure rows changed by the store get a wall-clock ``updated_at``; a new one
    with a simulated clock is caught by the row count.
    """
    rp, proc = ReportProcedure, Procedure
    last = session.scalar(select(func.max(rp.refreshed_at)))
    complete = session.scalar(select(func.count()).select_from(rp)) == session.scalar(
        select(func.count()).select_from(proc)
    )
    other_config = session.scalar(
        select(rp.procedure_pk).where(or_(rp.config_version < version, rp.config_version > version)).limit(1)
    )
    query = (
        select(proc.id)
        .outerjoin(rp, rp.procedure_pk == proc.id)
        .where(
            or_(
                rp.procedure_pk.is_(None),
                rp.procedure_stamp.is_(None),
                rp.procedure_stamp != proc.updated_at,
                rp.config_version != version,
            )
        )
    )
    if last is not None and complete and other_config is None:
        query = query.where(proc.updated_at > last - _LATE_COMMIT)
    stale = set(session.scalars(query))
    stale.update(_relabelled(session, last))
    stale.update(_redeclared(session, last))
    return stale


def _redeclared(session: Session, last: datetime | None) -> set[int]:
    """Procedures with a notice whose declaration was (re)written after their row was derived.

    A declaration row's ``changed_at`` moves only when its answers or verdict change (a rule edit
    that changes neither moves only its version), so after most rule edits this finds nothing.
    Cut by time first (indexed), as :func:`_relabelled` is.
    """
    nd, rp = NoticeDeclaration, ReportProcedure
    query = (
        select(Notice.procedure_pk)
        .join(nd, and_(nd.notice_pk == Notice.id, nd.lot_id == NOTICE_LEVEL))
        .join(rp, rp.procedure_pk == Notice.procedure_pk)
        .where(nd.changed_at > rp.refreshed_at)
    )
    if last is not None:
        query = query.where(nd.changed_at > last - _LATE_COMMIT)
    return set(session.scalars(query.distinct()))


def _relabelled(session: Session, last: datetime | None) -> set[int]:
    """Procedures with a notice whose label changed after their row was derived.

    Only label changes matter (a re-classification to the same label changes no figure), and
    the classifier records each one as a ``ClassificationChange`` with the procedure. Changes
    are first cut by time (indexed) to those after the last derivation less an hour, so this
    stays cheap at a million procedures.
    """
    cc, rp = ClassificationChange, ReportProcedure
    query = select(cc.procedure_pk).where(cc.procedure_pk.is_not(None))
    if last is not None:
        query = query.where(cc.changed_at > last - _LATE_COMMIT)
    query = query.join(rp, rp.procedure_pk == cc.procedure_pk).where(cc.changed_at > rp.refreshed_at)
    return {pk for pk in session.scalars(query.distinct()) if pk is not None}


def notice_labels(session: Session, notice_pks: list[int]) -> dict[int, str]:
    """The current label of each classified notice among ``notice_pks``."""
    nc = NoticeClassification
    out: dict[int, str] = {}
    for start in range(0, len(notice_pks), _CHUNK):
        chunk = notice_pks[start : start + _CHUNK]
        for pk, label in session.execute(select(nc.notice_pk, nc.label).where(nc.notice_pk.in_(chunk))):
            out[pk] = label
    return out


def validity_bounds(branches: BranchesConfig) -> list[date]:
    """The days on which some member's validity starts or ends (the day after its last), sorted."""
    days: set[date] = set()
    for b in branches.branches:
        for m in b.members:
            if m.valid_from:
                days.add(m.valid_from)
            if m.valid_to:
                days.add(m.valid_to + timedelta(days=1))
    return sorted(days)


def _dense(chunk: list[int]) -> bool:
    return chunk[-1] - chunk[0] < 2 * len(chunk)


def _among(column: Any, chunk: list[int]) -> Any:
    """``column IN chunk`` (sorted ids), as a range when the ids are nearly consecutive.

    A range is one index seek with two parameters; SQLAlchemy compiles a 2,000-item IN list
    anew on every call, which cost more than the query on the first derivation of a big store.
    ``refresh_report_procedures`` widens a dense chunk to its whole range, so the two agree.
    """
    if _dense(chunk):
        return column.between(chunk[0], chunk[-1])
    return column.in_(chunk)


def _derive(
    session: Session,
    branches: BranchesConfig,
    chunk: list[int],
    version: str,
    now: datetime,
    cache: dict[tuple[Any, ...], str | None],
) -> Iterator[dict[str, Any]]:
    bounds = validity_bounds(branches)
    procs = {
        p.id: p
        for p in session.execute(
            select(
                Procedure.id,
                Procedure.updated_at,
                Procedure.buyer_name,
                Procedure.buyer_org_id,
                Procedure.buyer_country,
                Procedure.buyer_legal_type,
                Procedure.estimated_value_amount,
                Procedure.estimated_value_currency,
                Procedure.is_cancelled,
            ).where(_among(Procedure.id, chunk))
        )
    }
    notices: dict[int, list[Any]] = {}
    labels: dict[int, str] = {}
    nc, nd = NoticeClassification, NoticeDeclaration
    for n in session.execute(
        select(
            Notice.id,
            Notice.procedure_pk,
            Notice.lifecycle,
            Notice.changed_notice_ref,
            Notice.publication_date,
            Notice.issue_date,
            nc.label,
            nd.declared,
        )
        .outerjoin(nc, nc.notice_pk == Notice.id)
        .outerjoin(nd, and_(nd.notice_pk == Notice.id, nd.lot_id == NOTICE_LEVEL))
        .where(_among(Notice.procedure_pk, chunk))
    ):
        notices.setdefault(n.procedure_pk, []).append(n)
        if n.label is not None:
            labels[n.id] = n.label
    for pk, p in procs.items():
        ns = notices.get(pk, [])
        used = [n for n in ns if n.lifecycle != "planning"]
        dated = sorted(((n.publication_date or n.issue_date or date.max), n.id) for n in used)
        period = dated[0][0] if dated and dated[0][0] != date.max else None
        best: tuple[int, int] | None = None
        for n in ns:
            if n.id in labels:
                cand = (LABEL_RANK.get(labels[n.id], 0), -n.id)
                best = cand if best is None or cand > best else best
        # The mapping only changes where a member's validity starts or ends: any two days between
        # the same two boundaries map a buyer alike, so one lookup serves them all.
        span = -1 if period is None else bisect_right(bounds, period)
        key = (p.buyer_name, p.buyer_org_id, p.buyer_country, p.buyer_legal_type, span)
        if key not in cache:
            buyer = Buyer(
                name=p.buyer_name or "",
                org_id=p.buyer_org_id,
                country=p.buyer_country,
                legal_type=p.buyer_legal_type,
            )
            cache[key] = area_of(branches, buyer, period)
        counts = dict.fromkeys(_LIFECYCLE_COUNTER.values(), 0)
        for n in used:
            # eForms change notices keep their form type, so the store calls them "call":
            # BT-758 (what they change) tells them apart.
            kind = "change" if n.lifecycle == "call" and n.changed_notice_ref else n.lifecycle
            counts[_LIFECYCLE_COUNTER.get(kind, "n_call")] += 1
        evaluated = [n for n in ns if n.declared is not None]
        declared_by = min((n.id for n in evaluated if n.declared), default=None)
        label = None
        if best is not None:
            label = next(k for k, v in LABEL_RANK.items() if v == best[0])
        yield {
            "procedure_pk": pk,
            "period_date": period,
            "period_month": period.year * 100 + period.month if period else None,
            "area": cache[key],
            "label": label,
            "label_notice_pk": -best[1] if best is not None else None,
            "declared": (declared_by is not None) if evaluated else None,
            "declared_notice_pk": declared_by,
            "call_notice_pk": dated[0][1] if dated else None,
            "cancelled": bool(p.is_cancelled),
            "value_amount": p.estimated_value_amount,
            "value_currency": (p.estimated_value_currency or "").upper() or None,
            **counts,
            "procedure_stamp": p.updated_at,
            "config_version": version,
            "refreshed_at": now,
        }
