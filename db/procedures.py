"""A procedure's current state, summarised from its notices, and its timeline.

The summary is a fold over ALL the procedure's notices in publication order, never an
incremental patch of the previous summary: that is what makes the order of arrival not
matter (a change before its original, HILMA before TED or after, an award before its call).

State, relative to a passed-in ``now`` so tests can move time:
``cancelled`` > ``awarded`` > ``planned`` (only planning notices) > ``closed`` (deadline
passed) > ``open`` (deadline ahead or unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from db.models.notices import Notice, NoticeDiff, NoticeSource, Procedure, ProcedureEvent
from db.store_keys import AWARD_FORMS, is_partial_change, publication_key
from db.store_sql import rowcount, update_by_pk


@dataclass(frozen=True)
class NoticeFacts:
    """The columns of one notice the fold needs (read in one query per procedure)."""

    pk: int
    notice_id: str | None
    version: str | None
    lifecycle: str
    form_type: str | None
    publication_date: date | None
    issue_date: date | None
    deadline: datetime | None
    superseded: bool
    title: str | None
    cpv_main: str | None
    estimated_value_amount: float | None
    estimated_value_currency: str | None
    record: dict[str, Any]


FACT_COLUMNS = (
    Notice.id,
    Notice.notice_id,
    Notice.version,
    Notice.lifecycle,
    Notice.form_type,
    Notice.publication_date,
    Notice.issue_date,
    Notice.deadline,
    Notice.superseded_by_pk,
    Notice.title,
    Notice.cpv_main,
    Notice.estimated_value_amount,
    Notice.estimated_value_currency,
    Notice.record,
)


_FACTS_BY_PROCEDURE = select(*(c.expression for c in FACT_COLUMNS)).where(
    Notice.__table__.c.procedure_pk == bindparam("pk")
)


_STATE = select(Procedure.__table__.c.state).where(Procedure.__table__.c.id == bindparam("pk"))


def facts_of(row: Any) -> NoticeFacts:
    return NoticeFacts(
        pk=row[0],
        notice_id=row[1],
        version=row[2],
        lifecycle=row[3],
        form_type=row[4],
        publication_date=row[5],
        issue_date=row[6],
        deadline=row[7],
        superseded=row[8] is not None,
        title=row[9],
        cpv_main=row[10],
        estimated_value_amount=row[11],
        estimated_value_currency=row[12],
        record=row[13],
    )


def load_facts(session: Session, procedure_pk: int) -> list[NoticeFacts]:
    rows = session.connection().execute(_FACTS_BY_PROCEDURE, {"pk": procedure_pk})
    return [facts_of(r) for r in rows]


def _order_key(f: NoticeFacts) -> tuple[Any, ...]:
    # Publication order; a superseded notice sorts before the one replacing it on the same day;
    # the version and the ids only break ties, so the order never depends on arrival.
    day = f.publication_date or f.issue_date or date.min
    return (day, 0 if f.superseded else 1, f.version or "", f.notice_id or "", f.pk)


def compute_state(
    *, has_call: bool, is_cancelled: bool, is_awarded: bool, deadline: datetime | None, now: datetime
) -> str:
    if is_cancelled:
        return "cancelled"
    if is_awarded:
        return "awarded"
    if not has_call:
        return "planned"
    if deadline is not None and deadline <= now:
        return "closed"
    return "open"


def pick_text(texts: dict[str, str] | None, language: str | None) -> str | None:
    """The record's own language first, then fin, swe, eng, then any (``NoticeRecord.text``)."""
    if not texts:
        return None
    for lang in (language, "fin", "swe", "eng"):
        if lang and lang in texts:
            return texts[lang]
    return next(iter(texts.values()))


def _lots_summary(record: dict[str, Any]) -> list[dict[str, Any]]:
    lang = record.get("language")
    return [
        {
            "lot_id": lot.get("lot_id"),
            "title": pick_text(lot.get("title"), lang),
            "deadline": lot.get("deadline"),
            "estimated_value": lot.get("estimated_value"),
            "cpv_main": lot.get("cpv_main"),
        }
        for lot in record.get("lots") or []
    ]


def summarise(facts: list[NoticeFacts], now: datetime) -> dict[str, Any]:
    """The procedure columns derived from all its notices (see the module docstring)."""
    ordered = sorted(facts, key=_order_key)
    # Award and result notices report on the call; the call (or its latest change) says what
    # is being bought and until when.
    informative = [f for f in ordered if (f.form_type or "").lower() not in AWARD_FORMS] or ordered
    deadline = next((f.deadline for f in reversed(informative) if f.deadline is not None), None)
    # A legacy TED corrigendum says only what it changes (its new deadline counts, above); what
    # is being bought still reads from the notice it corrects.
    complete = [f for f in informative if not is_partial_change(f.form_type, f.record.get("sdk_version"))]
    current = (complete or informative)[-1]
    lifecycles = {f.lifecycle for f in facts}
    has_call = bool(lifecycles - {"planning"})
    is_cancelled = "cancel" in lifecycles
    is_awarded = "award" in lifecycles
    buyers = current.record.get("buyers") or [{}]
    buyer = buyers[0]
    days = [d for f in facts if (d := f.publication_date or f.issue_date)]
    return {
        "state": compute_state(
            has_call=has_call, is_cancelled=is_cancelled, is_awarded=is_awarded, deadline=deadline, now=now
        ),
        "deadline": deadline,
        "estimated_value_amount": current.estimated_value_amount,
        "estimated_value_currency": current.estimated_value_currency,
        "title": current.title,
        "buyer_name": buyer.get("name"),
        "buyer_org_id": buyer.get("org_id"),
        "buyer_country": buyer.get("country"),
        "buyer_legal_type": buyer.get("legal_type"),
        "cpv_main": current.cpv_main,
        "lots": _lots_summary(current.record),
        "has_call": has_call,
        "is_cancelled": is_cancelled,
        "is_awarded": is_awarded,
        "latest_notice_pk": ordered[-1].pk,
        "first_published": min(days) if days else None,
        "last_published": max(days) if days else None,
    }


def refresh_procedure(session: Session, procedure_pk: int, now: datetime) -> str:
    """Re-derive one procedure's summary from its notices; returns the new state."""
    facts = load_facts(session, procedure_pk)
    if not facts:  # a reparse moved its only notice to another procedure; keep the row and its events
        return session.connection().execute(_STATE, {"pk": procedure_pk}).scalar_one()
    values = summarise(facts, now)
    update_by_pk(session, Procedure, procedure_pk, {**values, "updated_at": now})
    return values["state"]


def refresh_states(session: Session, now: datetime) -> int:
    """Close open procedures whose deadline has passed (and reopen moved ones); returns how many.

    Only the deadline depends on time, so this is a pair of set-based UPDATEs, cheap enough to
    run every few minutes from the scheduler.
    """
    closed = rowcount(
        session.execute(
            update(Procedure)
            .where(Procedure.state == "open", Procedure.deadline.is_not(None), Procedure.deadline <= now)
            .values(state="closed")
        )
    )
    reopened = rowcount(
        session.execute(
            update(Procedure)
            .where(
                Procedure.state == "closed",
                or_(Procedure.deadline.is_(None), Procedure.deadline > now),
            )
            .values(state="open")
        )
    )
    return (closed or 0) + (reopened or 0)


# ---------------------------------------------------------------------------------- timeline
@dataclass
class TimelineEntry:
    notice: Notice
    sources: list[NoticeSource] = field(default_factory=list)
    diff: NoticeDiff | None = None
    events: list[ProcedureEvent] = field(default_factory=list)


@dataclass
class Timeline:
    procedure: Procedure
    entries: list[TimelineEntry]


def find_procedure(session: Session, ident: str) -> Procedure | None:
    """By BT-04 (any case), a synthetic key, a notice UUID or a TED publication number."""
    key = ident.strip().lower()
    proc = session.scalar(select(Procedure).where(Procedure.procedure_key == key))
    if proc is not None:
        return proc
    pub = publication_key(ident)
    cond = Notice.publication_key == pub if pub else Notice.notice_id == key
    pk = session.scalar(select(Notice.procedure_pk).where(cond).limit(1))
    return session.get(Procedure, pk) if pk is not None else None


def timeline(session: Session, proc: Procedure) -> Timeline:
    notices = session.scalars(select(Notice).where(Notice.procedure_pk == proc.id)).all()
    pks = [n.id for n in notices]
    sources = session.scalars(select(NoticeSource).where(NoticeSource.notice_pk.in_(pks))).all()
    diffs = session.scalars(select(NoticeDiff).where(NoticeDiff.notice_pk.in_(pks))).all()
    events = session.scalars(
        select(ProcedureEvent).where(and_(ProcedureEvent.procedure_pk == proc.id)).order_by(ProcedureEvent.id)
    ).all()
    entries = {n.id: TimelineEntry(n) for n in notices}
    for s in sources:
        entries[s.notice_pk].sources.append(s)
    for d in diffs:
        entries[d.notice_pk].diff = d
    for e in events:
        entries[e.notice_pk].events.append(e)
    facts = {n.id: n for n in notices}

    def key(e: TimelineEntry) -> tuple[Any, ...]:
        n = facts[e.notice.id]
        day = n.publication_date or n.issue_date or date.min
        return (day, 0 if n.superseded_by_pk else 1, n.version or "", n.notice_id or "", n.id)

    return Timeline(proc, sorted(entries.values(), key=key))
