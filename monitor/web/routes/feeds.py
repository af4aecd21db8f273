"""Each subscription's Atom feed and iCalendar of deadlines, at a secret, revocable URL.

The feeds list what the subscription matched and was queued for its subscriber (the outbox rows
of kind ``new`` naming it), so a feed reader sees what the emails said, newest first. The
calendar has one event per matched procedure with a deadline, at the deadline, in Europe/Helsinki.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from icalendar import Calendar, Event
from sqlalchemy import select

from db.models.alerts import OutboxMessage, Subscription
from db.models.notices import Procedure
from monitor.alerts.i18n import HELSINKI
from monitor.alerts.payload import pick_text
from monitor.alerts.render import procedure_path
from monitor.web.context import reading, state

router = APIRouter(include_in_schema=False)
ENTRIES = 100


def _matched(request: Request, key: str) -> tuple[Subscription, list[tuple[OutboxMessage, Procedure | None]]]:
    with reading(request) as session:
        sub = (
            session.scalar(select(Subscription).where(Subscription.feed_key == key))
            if len(key) > 20
            else None
        )
        if sub is None:
            raise HTTPException(status_code=404)
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.subscriber_id == sub.subscriber_id, OutboxMessage.kind == "new")
            .order_by(OutboxMessage.id.desc())
            .limit(ENTRIES * 5)
        ).all()
        mine = [
            r for r in rows if any(m.get("subscription_id") == sub.id for m in r.payload.get("matches") or [])
        ]
        mine = mine[:ENTRIES]
        procs = {
            p.procedure_key: p
            for p in session.scalars(
                select(Procedure).where(Procedure.procedure_key.in_({r.procedure_key for r in mine}))
            )
        }
        sub.subscriber  # noqa: B018  (load it while the session is open)
        return sub, [(r, procs.get(r.procedure_key)) for r in mine]


def _title(row: OutboxMessage, lang: str) -> str:
    n = row.payload.get("notice") or {}
    return pick_text(n.get("title") or {}, lang, n.get("language")) or row.procedure_key


@router.get("/feeds/{key}.atom")
def atom(request: Request, key: str) -> Response:
    st = state(request)
    sub, rows = _matched(request, key)
    lang = sub.subscriber.language
    entries: list[dict[str, Any]] = []
    for row, proc in rows:
        n = row.payload.get("notice") or {}
        entries.append(
            {
                "id": f"{st.base_url}{procedure_path(row.procedure_key)}",
                "title": _title(row, lang),
                "updated": row.created_at.isoformat(),
                "link": f"{st.base_url}{procedure_path(row.procedure_key)}",
                "summary": pick_text(n.get("description") or {}, lang, n.get("language")),
                "deadline": proc.deadline if proc is not None else None,
            }
        )
    body = st.templates.get_template("feed.atom.j2").render(
        sub=sub,
        entries=entries,
        feed_url=f"{st.base_url}/feeds/{key}.atom",
        base=st.base_url,
        updated=(rows[0][0].created_at if rows else sub.updated_at).isoformat(),
        lang=lang,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/{key}.ics")
def ics(request: Request, key: str) -> Response:
    st = state(request)
    sub, rows = _matched(request, key)
    lang = sub.subscriber.language
    cal = Calendar()
    cal.add("prodid", "-//TenderWatch//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"TenderWatch: {sub.name}")
    cal.add("x-wr-timezone", "Europe/Helsinki")
    for row, proc in rows:
        if proc is None or proc.deadline is None:
            continue
        local = proc.deadline.astimezone(HELSINKI)
        event = Event()
        event.add("uid", f"{row.procedure_key}@tenderwatch")
        event.add("summary", _title(row, lang))
        event.add("dtstart", local)
        event.add("dtend", local + timedelta(minutes=30))
        event.add("dtstamp", row.created_at)
        event.add("url", f"{st.base_url}{procedure_path(row.procedure_key)}")
        cal.add_component(event)
    cal.add_missing_timezones()
    return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")
