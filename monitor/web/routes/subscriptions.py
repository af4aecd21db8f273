"""My subscriptions: list, create, edit, pause, delete, feed addresses, the live preview, mail settings."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber, Subscription
from monitor.alerts.render import why_lines
from monitor.matching.filters import SubscriptionFilters
from monitor.subscribers.optout import cancel_unwanted, set_paused
from monitor.web import i18n, subform
from monitor.web.context import lang_of, reading, render, require_user, state, writing
from monitor.web.nuts import NUTS_FI
from monitor.web.preview import preview
from monitor.web.routes.pages import branch_options, search_query

router = APIRouter(include_in_schema=False)


def _own(session: Session, user: Subscriber, sub_id: int) -> Subscription:
    row = session.get(Subscription, sub_id)
    if row is None or row.subscriber_id != user.id:
        raise HTTPException(status_code=404)
    return row


def _unique_name(user: Subscriber, name: str, keep: int | None = None) -> str:
    taken = {s.name for s in user.subscriptions if s.id != keep}
    base = name or "—"
    out, n = base, 2
    while out in taken:
        out, n = f"{base} ({n})", n + 1
    return out


def _form_page(
    request: Request,
    user: Subscriber,
    *,
    sub: Subscription | None,
    name: str,
    values: dict[str, Any],
    errors: list[str] | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Response:
    return render(
        request,
        "subscription_form.html.j2",
        status_code=status_code,
        user=user,
        sub=sub,
        name=name,
        values=values,
        errors=errors or [],
        saved=saved,
        branches=branch_options(request),
        nuts=NUTS_FI,
        feeds_base=state(request).base_url,
    )


@router.get("/subscriptions")
def list_page(request: Request, saved: str = "") -> Response:
    with reading(request) as session:
        user = require_user(request, session)
        subs = list(user.subscriptions)
    return render(request, "subscriptions.html.j2", user=user, subs=subs, saved=saved)


@router.post("/subscriptions/settings")
def save_settings(
    request: Request,
    language: Annotated[str, Form()] = "fi",
    delivery: Annotated[str, Form()] = "instant",
    digest_hour: Annotated[int, Form(ge=0, le=23)] = 7,
    digest_weekday: Annotated[int, Form(ge=0, le=6)] = 0,
    reminders: Annotated[str, Form(max_length=100)] = "",
    resume_mail: Annotated[str, Form()] = "",
) -> Response:
    """Settings of the subscriber (all their watches): language, instant or digest, reminders."""
    with writing(request) as session:
        user = require_user(request, session)
        user.language = language if language in ("fi", "sv", "en") else user.language
        user.delivery = delivery if delivery in ("instant", "daily", "weekly") else user.delivery
        user.digest_hour, user.digest_weekday = digest_hour, digest_weekday
        days = sorted(
            {int(d) for d in reminders.replace(";", ",").split(",") if d.strip().isdigit()}, reverse=True
        )
        user.reminder_days = [d for d in days if 1 <= d <= 60]
        if resume_mail:
            user.enabled, user.unsubscribed_at = True, None
        user.updated_at = state(request).clock()
    return RedirectResponse("/subscriptions?saved=1", status_code=303)


@router.get("/subscriptions/new")
def new_page(request: Request) -> Response:
    with reading(request) as session:
        user = require_user(request, session)
    return _form_page(request, user, sub=None, name="", values=SubscriptionFilters().model_dump())


@router.post("/subscriptions/new")
async def create(request: Request) -> Response:
    parsed = subform.parse(await request.form())
    return await _save(request, None, parsed)


@router.post("/subscriptions/from-search")
async def create_from_search(request: Request) -> Response:
    """ "Save as a watch" on the search page: one click, then the watch's own page to refine it."""
    form = await request.form()
    q = search_query(
        words=str(form.get("words", "")),
        cpv=[str(c) for c in form.getlist("cpv")],
        country=str(form.get("country", "")),
        buyer=str(form.get("buyer", "")),
        branch=str(form.get("branch", "")),
        label=str(form.get("label", "")),
    )
    keywords = [k for k in _keyword_list(q.words)]
    filters = SubscriptionFilters(
        keywords=keywords,
        cpv=q.cpv,
        countries=[q.country] if q.country and len(q.country) == 3 and q.country.isalpha() else [],
        buyers=[q.buyer] if q.buyer else [],
        branches=[q.branch] if q.branch else [],
        innovation=q.label,
    )
    name = q.words or ", ".join(q.cpv) or q.buyer or q.branch or "—"
    parsed = subform.ParsedForm(name=name[:200], values=filters.model_dump(), filters=filters)
    return await _save(request, None, parsed)


def _keyword_list(words: str) -> list[str]:
    return [w.strip('"') for w in re.findall(r'"[^"]+"|\S+', words) if w.strip('"').strip()][:20]


async def _save(request: Request, sub_id: int | None, parsed: subform.ParsedForm) -> Response:
    now = state(request).clock()
    with writing(request) as session:
        user = require_user(request, session)
        row = _own(session, user, sub_id) if sub_id is not None else None
        if parsed.filters is None or parsed.filters.is_empty():
            errors = parsed.errors or [_t(request)["preview_everything"]]
            return _form_page(
                request, user, sub=row, name=parsed.name, values=parsed.values, errors=errors, status_code=422
            )
        name = _unique_name(user, parsed.name, keep=sub_id)
        data = parsed.filters.model_dump(mode="json")
        if row is None:
            row = Subscription(name=name, filters=data, enabled=True, created_at=now, updated_at=now)
            user.subscriptions.append(row)
        else:
            row.name, row.filters, row.updated_at = name, data, now
        session.flush()
        new_id = row.id
    return RedirectResponse(f"/subscriptions/{new_id}?saved=1", status_code=303)


def _t(request: Request) -> dict[str, str]:
    return i18n.strings(lang_of(request))


@router.get("/subscriptions/{sub_id}")
def edit_page(request: Request, sub_id: int, saved: str = "") -> Response:
    with reading(request) as session:
        user = require_user(request, session)
        row = _own(session, user, sub_id)
        values = subform.form_values(row.filters)
        return _form_page(request, user, sub=row, name=row.name, values=values, saved=bool(saved))


@router.post("/subscriptions/{sub_id}")
async def update(request: Request, sub_id: int) -> Response:
    parsed = subform.parse(await request.form())
    return await _save(request, sub_id, parsed)


@router.post("/subscriptions/{sub_id}/pause")
def pause(request: Request, sub_id: int) -> Response:
    with writing(request) as session:
        user = require_user(request, session)
        set_paused(session, _own(session, user, sub_id), True, state(request).clock())
    return RedirectResponse("/subscriptions", status_code=303)


@router.post("/subscriptions/{sub_id}/resume")
def resume(request: Request, sub_id: int) -> Response:
    with writing(request) as session:
        user = require_user(request, session)
        set_paused(session, _own(session, user, sub_id), False, state(request).clock())
    return RedirectResponse("/subscriptions", status_code=303)


@router.post("/subscriptions/{sub_id}/delete")
def delete(request: Request, sub_id: int) -> Response:
    with writing(request) as session:
        user = require_user(request, session)
        user.subscriptions.remove(_own(session, user, sub_id))
        session.flush()
        cancel_unwanted(session, user, state(request).clock())
    return RedirectResponse("/subscriptions", status_code=303)


@router.post("/subscriptions/{sub_id}/feed")
def new_feed_key(request: Request, sub_id: int) -> Response:
    """Create the feed addresses, or replace them: the old ones stop working at once."""
    with writing(request) as session:
        user = require_user(request, session)
        _own(session, user, sub_id).feed_key = secrets.token_urlsafe(24)
    return RedirectResponse(f"/subscriptions/{sub_id}#feeds", status_code=303)


@router.post("/subscriptions-preview")
async def live_preview(request: Request) -> Response:
    """The preview list (an htmx fragment), recomputed as the form is edited."""
    parsed = subform.parse(await request.form())
    st = state(request)
    lang = lang_of(request)
    with reading(request) as session:
        require_user(request, session)
        if parsed.filters is None or parsed.filters.is_empty():
            return render(request, "_preview.html.j2", errors=parsed.errors, empty=parsed.filters is not None)
        result = preview(session, parsed.filters, st.config().get("branches.yaml"), st.clock())
        hits = [(h, why_lines([{"reasons": h.reasons}], lang)) for h in result.hits]
    return render(request, "_preview.html.j2", result=result, hits=hits, errors=[], empty=False)
