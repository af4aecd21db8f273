"""The person's own data: everything TenderWatch holds about them as JSON, and deleting it all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import delete, select

from db.models.alerts import OutboxMessage, Subscriber
from db.models.web import SigninToken
from monitor.web.context import reading, render, require_user, writing

router = APIRouter(include_in_schema=False)


@router.get("/account")
def account_page(request: Request) -> Response:
    with reading(request) as session:
        user = require_user(request, session)
    return render(request, "account.html.j2", user=user)


def export(session: Any, user: Subscriber) -> dict[str, Any]:
    """Every row about the person: subscriber, subscriptions, emails (sent and queued), sign-in links."""

    def iso(v: Any) -> Any:
        return v.isoformat() if v is not None else None

    outbox = session.scalars(
        select(OutboxMessage).where(OutboxMessage.subscriber_id == user.id).order_by(OutboxMessage.id)
    ).all()
    links = session.scalars(
        select(SigninToken).where(SigninToken.email == user.email).order_by(SigninToken.id)
    ).all()
    return {
        "subscriber": {
            "email": user.email,
            "name": user.name,
            "kind": user.kind,
            "branch": user.branch,
            "language": user.language,
            "delivery": user.delivery,
            "digest_hour": user.digest_hour,
            "digest_weekday": user.digest_weekday,
            "reminder_days": list(user.reminder_days or []),
            "enabled": user.enabled,
            "unsubscribed_at": iso(user.unsubscribed_at),
            "created_at": iso(user.created_at),
        },
        "subscriptions": [
            {
                "id": s.id,
                "name": s.name,
                "filters": s.filters,
                "enabled": s.enabled,
                "unsubscribed_at": iso(s.unsubscribed_at),
                "has_feed": s.feed_key is not None,
                "created_at": iso(s.created_at),
            }
            for s in user.subscriptions
        ],
        "emails": [
            {
                "id": r.id,
                "kind": r.kind,
                "state": r.state,
                "procedure": r.procedure_key,
                "created_at": iso(r.created_at),
                "sent_at": iso(r.sent_at),
                "content": r.payload,
            }
            for r in outbox
        ],
        "sign_in_links": [
            {"created_at": iso(t.created_at), "expires_at": iso(t.expires_at), "used_at": iso(t.used_at)}
            for t in links
        ],
    }


@router.get("/account/export.json")
def export_json(request: Request) -> Response:
    with reading(request) as session:
        user = require_user(request, session)
        data = export(session, user)
    return JSONResponse(
        data, headers={"Content-Disposition": 'attachment; filename="tenderwatch-my-data.json"'}
    )


@router.post("/account/delete")
def delete_account(request: Request) -> Response:
    """Subscriber, subscriptions, every email row (sent ones too) and sign-in links: all gone."""
    with writing(request) as session:
        user = require_user(request, session)
        session.execute(delete(OutboxMessage).where(OutboxMessage.subscriber_id == user.id))
        session.execute(delete(SigninToken).where(SigninToken.email == user.email))
        session.delete(user)
    request.session.clear()
    return RedirectResponse("/account/deleted", status_code=303)


@router.get("/account/deleted")
def deleted_page(request: Request) -> Response:
    return render(request, "message.html.j2", title_key="account_title", message_key="account_deleted")
