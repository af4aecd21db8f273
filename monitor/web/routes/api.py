"""The read-only JSON API: notices and procedures, paged and filtered as the search page is.

Described by OpenAPI at ``/api/openapi.json`` (FastAPI builds it from these signatures and models).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.procedures import find_procedure, timeline
from monitor.alerts.render import procedure_path
from monitor.search.query import COUNT_CAP, MAX_PAGE, SearchQuery, load, procedure_ids, search
from monitor.web.context import reading, state

router = APIRouter(prefix="/api", tags=["notices and procedures"])


class Label(StrEnum):
    innovative = "innovative"
    possible = "possible"


class Status(StrEnum):
    open = "open"
    closed = "closed"


class Sort(StrEnum):
    newest = "newest"
    deadline = "deadline"
    value = "value"


class Money(BaseModel):
    amount: float | None
    currency: str | None


class NoticeOut(BaseModel):
    id: int = Field(description="The store's notice id")
    notice_id: str | None = Field(description="BT-701 notice UUID")
    version: str | None = Field(description="BT-757")
    procedure: str = Field(description="The procedure key (BT-04, or the notice's own key)")
    url: str = Field(description="The procedure's page")
    publication_number: str | None
    publication_date: date | None
    form_type: str | None
    title: str | None
    titles: dict[str, str]
    buyer: str | None
    buyer_country: str | None
    deadline: datetime | None
    value: Money | None
    cpv: list[str]
    label: str | None = Field(description="innovative, possible, none, or null when not classified")
    score: float | None


class NoticePage(BaseModel):
    page: int
    per_page: int
    total: int = Field(description=f"Matching notices, counted up to {COUNT_CAP + 1}")
    items: list[NoticeOut]


class EventOut(BaseModel):
    kind: str
    old: Any = None
    new: Any = None
    created_at: datetime


class ProcedureOut(BaseModel):
    key: str
    url: str
    state: str
    title: str | None
    buyer: str | None
    buyer_country: str | None
    deadline: datetime | None
    value: Money | None
    cpv_main: str | None
    first_published: date | None
    last_published: date | None


class ProcedureDetail(ProcedureOut):
    notices: list[NoticeOut]
    events: list[EventOut]


class ProcedurePage(BaseModel):
    page: int
    per_page: int
    total: int
    items: list[ProcedureOut]


def _clean(text: str | None, limit: int) -> str:
    """Drop NUL and other control characters (PostgreSQL refuses NUL in text) and cut to ``limit``."""
    return "".join(ch for ch in (text or "") if ch >= " ")[:limit]


def api_query(
    words: Annotated[str, Query(max_length=300, description='Words, "phrases", stem*')] = "",
    cpv: Annotated[
        list[str] | None, Query(description="CPV codes (8 digits); each covers its descendants")
    ] = None,
    country: Annotated[str, Query(max_length=3, description="Buyer country, ISO alpha-3")] = "",
    buyer: Annotated[str, Query(max_length=200, description="Business ID or part of the name")] = "",
    branch: Annotated[str, Query(max_length=32, description="Branch id (TEM) or group (kunta …)")] = "",
    label: Label | None = None,
    status: Status | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    sort: Sort = Sort.newest,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchQuery:
    codes = [_clean(c, 10) for c in cpv or []]
    return SearchQuery(
        words=_clean(words, 300),
        cpv=[c[:8] for c in codes if c[:8].isdigit() and len(c) >= 8][:20],
        country=_clean(country, 3).upper() or None,
        buyer=_clean(buyer, 200).strip() or None,
        branch=_clean(branch, 32) or None,
        label=label.value if label else None,
        status=status.value if status else None,
        published_from=published_from,
        published_to=published_to,
        sort=sort.value,
        page=page,
        per_page=per_page,
    )


def _money(amount: float | None, currency: str | None) -> Money | None:
    return Money(amount=amount, currency=currency) if amount is not None else None


def notice_out(base: str, n: Notice, key: str, label: str | None, score: float | None) -> NoticeOut:
    titles = dict((n.record or {}).get("title") or {})
    return NoticeOut(
        id=n.id,
        notice_id=n.notice_id,
        version=n.version,
        procedure=key,
        url=f"{base}{procedure_path(key)}",
        publication_number=n.publication_number,
        publication_date=n.publication_date,
        form_type=n.form_type,
        title=n.title,
        titles={str(k): str(v) for k, v in titles.items()},
        buyer=n.buyer_name,
        buyer_country=n.buyer_country,
        deadline=n.deadline,
        value=_money(n.estimated_value_amount, n.estimated_value_currency),
        cpv=[c[:8] for c in n.to_record().all_cpv],
        label=label,
        score=score,
    )


def procedure_out(base: str, p: Procedure) -> dict[str, Any]:
    return {
        "key": p.procedure_key,
        "url": f"{base}{procedure_path(p.procedure_key)}",
        "state": p.state,
        "title": p.title,
        "buyer": p.buyer_name,
        "buyer_country": p.buyer_country,
        "deadline": p.deadline,
        "value": _money(p.estimated_value_amount, p.estimated_value_currency),
        "cpv_main": p.cpv_main,
        "first_published": p.first_published,
        "last_published": p.last_published,
    }


@router.get("/notices", response_model=NoticePage, summary="Search current notice versions")
def api_notices(request: Request, q: Annotated[SearchQuery, Depends(api_query)]) -> NoticePage:
    st = state(request)
    with reading(request) as session:
        result = search(session, q, st.clock())
        items = [
            notice_out(st.base_url, r.notice, r.procedure_key, r.label, _score(r.result)) for r in result.rows
        ]
    return NoticePage(page=q.page, per_page=q.per_page, total=result.total, items=items)


def _score(result: dict[str, Any] | None) -> float | None:
    return float(result["score"]) if result and result.get("score") is not None else None


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeOut,
    summary="One notice version by its store id",
    responses={404: {"description": "No such notice"}},
)
def api_notice(request: Request, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> NoticeOut:
    st = state(request)
    with reading(request) as session:
        found = load(session, [notice_id])
        if not found:
            raise HTTPException(status_code=404, detail="no such notice")
        r = found[0]
        return notice_out(st.base_url, r.notice, r.procedure_key, r.label, _score(r.result))


@router.get(
    "/procedures", response_model=ProcedurePage, summary="Procedures with a current notice that matches"
)
def api_procedures(request: Request, q: Annotated[SearchQuery, Depends(api_query)]) -> ProcedurePage:
    st = state(request)
    with reading(request) as session:
        ids, total = procedure_ids(session, q, st.clock())
        procs = {p.id: p for p in session.scalars(select(Procedure).where(Procedure.id.in_(ids)))}
        items = [ProcedureOut(**procedure_out(st.base_url, procs[i])) for i in ids if i in procs]
    return ProcedurePage(page=q.page, per_page=q.per_page, total=total, items=items)


@router.get(
    "/procedures/{key:path}",
    response_model=ProcedureDetail,
    summary="One procedure: its notices and its change events",
    responses={404: {"description": "No such procedure"}},
)
def api_procedure(request: Request, key: str) -> ProcedureDetail:
    st = state(request)
    with reading(request) as session:
        proc = find_procedure(session, _clean(key, 300)) if _clean(key, 300).strip() else None
        if proc is None:
            raise HTTPException(status_code=404, detail="no such procedure")
        tl = timeline(session, proc)
        labels = dict(
            session.execute(
                select(NoticeClassification.notice_pk, NoticeClassification.label).where(
                    NoticeClassification.notice_pk.in_([e.notice.id for e in tl.entries])
                )
            ).all()
        )
        notices = [
            notice_out(st.base_url, e.notice, proc.procedure_key, labels.get(e.notice.id), None)
            for e in tl.entries
        ]
        events = [
            EventOut(kind=ev.kind, old=ev.old, new=ev.new, created_at=ev.created_at)
            for e in tl.entries
            for ev in e.events
        ]
        return ProcedureDetail(**procedure_out(st.base_url, proc), notices=notices, events=events)
