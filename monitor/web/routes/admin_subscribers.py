"""The admin's subscribers pages (issue #15, point 6): search, add, import a CSV, disable and
enable, and one subscriber's subscriptions and mail with a resend per email.

Admins see and manage everyone. A branch contact (``branches.yaml`` ``contacts``) sees only the
subscribers of kind ``branch`` of their own branch(es), and may disable, enable and resend for
them; adding and importing people stay with admins (a contact would otherwise create accounts
the admins do not know of). Anyone else signed in gets the 403 page.

Nothing here has rules of its own: adding is ``monitor.subscribers.upsert`` behind
``SubscriberSpec``'s validation (what the CLI and config files use), disabling and enabling
are ``monitor.subscribers.disable``/``enable`` (``tenderwatch subscribers disable``), the
outbox list is ``monitor.alerts.outbox.outbox_rows`` and a resend is ``outbox.retry`` (``tenderwatch
alerts retry ID``), which keeps the row and so its Message-ID. Every POST is CSRF-checked by the
app's middleware and writes one ``audit_log`` row in the same transaction as its change.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import selectinload

from db.models.alerts import OUTBOX_KINDS, Subscriber
from monitor.alerts.outbox import RESENDABLE, outbox_rows, retry
from monitor.alerts.payload import pick_text
from monitor.subscribers import STATES, csvimport, disable, enable, find, search, upsert
from monitor.subscribers.config import SubscriberSpec
from monitor.web import i18n
from monitor.web.context import lang_of, reading, render, state, writing
from monitor.web.guards import audit, require_admin, require_staff
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
Staff = Annotated[Identity, Depends(require_staff)]
PER_PAGE = 50
MAIL_SHOWN = 100
"""Emails listed on a subscriber page, newest first (``tenderwatch alerts list`` shows 50)."""
KINDS = ("company", "branch")
LANGUAGES = ("fi", "sv", "en")


def _branch_ids(request: Request) -> list[str]:
    return [b.id for b in state(request).config().branches.branches]


def scope(who: Identity) -> frozenset[str] | None:
    """The branches whose contacts ``who`` may see; None: everyone (an admin)."""
    return None if who.admin else who.branches


def may_manage(who: Identity, sub: Subscriber) -> bool:
    return who.admin or (sub.kind == "branch" and sub.branch in who.branches)


def _list_context(
    request: Request, who: Identity, q: str, kind: str, status: str, page: int
) -> dict[str, Any]:
    with reading(request) as session:
        found = search(
            session,
            q,
            kind=kind if kind in KINDS else None,
            state=status if status in STATES else None,
            branches=scope(who),
            page=page,
            per_page=PER_PAGE,
        )
        session.expunge_all()  # rendered after the session closes; nothing lazy is read
    query = {k: v for k, v in (("q", q), ("kind", kind), ("state", status)) if v}
    return {
        "found": found,
        "q": q,
        "kind": kind,
        "status": status,
        "kinds": KINDS,
        "states": STATES,
        "languages": LANGUAGES,
        "branch_ids": _branch_ids(request),
        "page_url": lambda n: "/admin/subscribers?" + urlencode({**query, "page": n}),
        "columns": csvimport.REQUIRED_COLUMNS + csvimport.OPTIONAL_COLUMNS,
        "max_kb": csvimport.MAX_BYTES // 1024,
        "max_rows": csvimport.MAX_ROWS,
    }


@router.get("/admin/subscribers")
def subscribers_page(
    request: Request,
    who: Staff,
    q: str = "",
    kind: str = "",
    state: str = "",
    page: int = 1,
    imported: int | None = None,
    skipped: int | None = None,
) -> Response:
    """Search (address or name part, kind, state; 50 a page), the add form and the CSV import
    (those two for admins only)."""
    ctx = _list_context(request, who, q, kind, state, page)
    return render(
        request,
        "admin_subscribers.html.j2",
        user=who,
        who=who,
        imported=imported,
        skipped=skipped,
        values={"language": "fi", "kind": "company"},
        errors={},
        **ctx,
    )


@router.post("/admin/subscribers/add")
def add_subscriber(
    request: Request,
    who: Admin,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fi",
    kind: Annotated[str, Form()] = "company",
    branch: Annotated[str, Form()] = "",
) -> Response:
    """One new subscriber; a mistake comes back as the form with the message at its field."""
    values = {"email": email, "name": name, "language": language, "kind": kind, "branch": branch}
    errors: dict[str, str] = {}
    spec: SubscriberSpec | None = None
    if branch and branch not in _branch_ids(request):
        errors["branch"] = "unknown_branch"
    elif kind == "branch" and not branch:
        # Also SubscriberSpec's rule, but pydantic checks it only once every field is valid:
        # said here, the admin sees every mistake of the form at once.
        errors["branch"] = "needs_branch"
    try:
        spec = SubscriberSpec.model_validate(
            {
                "email": email,
                "name": name.strip(),
                "language": language,
                "kind": kind,
                "branch": branch or None,
            }
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "branch"  # the model-level rule: a branch
            errors.setdefault(field if field in values else "branch", _reason(field))
    now = state(request).clock()
    if spec is not None and not errors:
        with writing(request) as session:
            if find(session, spec.email) is not None:
                errors["email"] = "exists"
            else:
                sub, _ = upsert(session, spec)
                audit(
                    session,
                    who,
                    "subscribers.add",
                    f"subscriber:{sub.id}",
                    at=now,
                    new={
                        "email": sub.email,
                        "language": sub.language,
                        "kind": sub.kind,
                        "branch": sub.branch,
                    },
                )
                sub_id = sub.id
        if not errors:
            return RedirectResponse(f"/admin/subscribers/{sub_id}?done=added", status_code=303)
    ctx = _list_context(request, who, "", "", "", 1)
    return render(
        request,
        "admin_subscribers.html.j2",
        status_code=422,
        user=who,
        who=who,
        imported=None,
        skipped=None,
        values=values,
        errors=errors,
        **ctx,
    )


def _reason(field: str) -> str:
    return {"email": "bad_email", "language": "unknown_language", "kind": "bad_kind"}.get(
        field, "needs_branch"
    )


# ---------------------------------------------------------------------------------- CSV import
@router.post("/admin/subscribers/import")
async def import_preview(request: Request, who: Admin, file: Annotated[UploadFile, File()]) -> Response:
    """Step 1: the upload's preview. Nothing is written; the page carries the file to the confirm."""
    data = await file.read(csvimport.MAX_BYTES + 1)  # one byte more tells a file too big
    text = csvimport.decode(data)
    if len(data) > csvimport.MAX_BYTES:
        result, text = csvimport.Preview(error="too_big"), ""
    elif text is None:
        result, text = csvimport.Preview(error="not_utf8"), ""
    else:
        with reading(request) as session:
            result = csvimport.preview(session, text, _branch_ids(request))
    return render(
        request,
        "admin_subscribers_import.html.j2",
        status_code=200 if result.error is None else 422,
        user=who,
        who=who,
        result=result,
        content=base64.b64encode(text.encode("utf-8")).decode("ascii"),
        sha=csvimport.digest(text),
        filename=file.filename or "",
        max_kb=csvimport.MAX_BYTES // 1024,
        max_rows=csvimport.MAX_ROWS,
    )


@router.post("/admin/subscribers/import/confirm")
def import_confirm(
    request: Request,
    who: Admin,
    content: Annotated[str, Form()],
    sha: Annotated[str, Form()],
) -> Response:
    """Step 2: the same file, checked again in the transaction that creates its good rows.

    The file comes back in a hidden field (base64, at most ``csvimport.MAX_BYTES``) with the
    sha256 the preview showed; a body that does not hash to it is refused, so what is created is
    what the admin saw. Re-checked rather than trusted: anything added since the preview is
    "already exists" now, and a second confirm creates nothing.
    """
    lang = lang_of(request)
    try:
        raw = base64.b64decode(content.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    text = csvimport.decode(raw) if len(raw) <= csvimport.MAX_BYTES else None
    if text is None or not hmac.compare_digest(csvimport.digest(text), sha):
        raise HTTPException(status_code=400, detail=i18n.strings(lang)["subs_import_changed"])
    now = state(request).clock()
    with writing(request) as session:
        result = csvimport.preview(session, text, _branch_ids(request))
        if result.error is not None:
            raise HTTPException(status_code=400, detail=i18n.strings(lang)["subs_import_changed"])
        created = csvimport.create(session, result)
        audit(
            session,
            who,
            "subscribers.import",
            "subscribers",
            at=now,
            old=None,
            new={"sha256": sha, "created": created, "skipped": len(result.bad)},
        )
    return RedirectResponse(
        f"/admin/subscribers?imported={len(created)}&skipped={len(result.bad)}", status_code=303
    )


# ---------------------------------------------------------------------------------- one subscriber
def _subscriber_or_404(request: Request, session: Any, sub_id: int, who: Identity) -> Subscriber:
    """The subscriber, if ``who`` may manage them: else 404, or the 403 page for a contact's
    look at someone outside their branch (as ``require_branch_access`` answers)."""
    sub = session.get(Subscriber, sub_id, options=[selectinload(Subscriber.subscriptions)])
    if sub is None:
        raise HTTPException(status_code=404, detail=i18n.strings(lang_of(request))["subs_not_found"])
    if not may_manage(who, sub):
        raise HTTPException(status_code=403, detail=i18n.strings(lang_of(request))["admin_forbidden"])
    return sub


@router.get("/admin/subscribers/{sub_id}")
def subscriber_page(request: Request, sub_id: int, who: Staff, done: str = "") -> Response:
    """One subscriber: settings, subscriptions, and every email queued for them with its fate."""
    lang = lang_of(request)
    with reading(request) as session:
        sub = _subscriber_or_404(request, session, sub_id, who)
        rows = [row for row, _ in outbox_rows(session, limit=MAIL_SHOWN, subscriber_id=sub_id)]
        session.expunge_all()
    return render(
        request,
        "admin_subscriber.html.j2",
        user=who,
        who=who,
        sub=sub,
        rows=rows,
        done=done,
        resendable=RESENDABLE,
        kinds=OUTBOX_KINDS,
        title_of=lambda row: _title(row, lang),
        mail_shown=MAIL_SHOWN,
    )


def _title(row: Any, lang: str) -> str:
    """What an email was about, as ``tenderwatch alerts list`` names it, in the page's language."""
    if row.kind in ("digest", "report"):
        return str(row.ref)
    notice = (row.payload or {}).get("notice") or {}
    return pick_text(notice.get("title") or {}, lang, notice.get("language")) or row.procedure_key


def _set_enabled(request: Request, sub_id: int, who: Identity, on: bool) -> Response:
    now = state(request).clock()
    with writing(request) as session:
        sub = _subscriber_or_404(request, session, sub_id, who)
        before = sub.enabled
        changed = enable(session, sub.email) if on else disable(session, sub.email, now=now)
        after = changed.enabled if changed is not None else before
        audit(
            session,
            who,
            "subscribers.enable" if on else "subscribers.disable",
            f"subscriber:{sub_id}",
            at=now,
            old={"email": sub.email, "enabled": before},
            new={"email": sub.email, "enabled": after},
        )
        # Enabling someone who unsubscribed themselves changes nothing: say so rather than "done".
        done = ("enabled" if after else "unsubscribed") if on else "disabled"
    return RedirectResponse(f"/admin/subscribers/{sub_id}?done={done}", status_code=303)


@router.post("/admin/subscribers/{sub_id}/disable")
def disable_subscriber(request: Request, sub_id: int, who: Staff) -> Response:
    """``tenderwatch subscribers disable``: no more mail, queued mail included (the sender skips it)."""
    return _set_enabled(request, sub_id, who, on=False)


@router.post("/admin/subscribers/{sub_id}/enable")
def enable_subscriber(request: Request, sub_id: int, who: Staff) -> Response:
    """Mail again from the next match on (what the sender cancelled meanwhile stays cancelled)."""
    return _set_enabled(request, sub_id, who, on=True)


@router.post("/admin/subscribers/{sub_id}/resend/{row_id}")
def resend(request: Request, sub_id: int, row_id: int, who: Staff) -> Response:
    """``tenderwatch alerts retry ROW`` for a sent or failed email of this subscriber: the same row
    goes back to pending, so the next send run mails it with the same Message-ID."""
    now = state(request).clock()
    lang = lang_of(request)
    with writing(request) as session:
        sub = _subscriber_or_404(request, session, sub_id, who)
        rows = {r.id: r for r, _ in outbox_rows(session, limit=MAIL_SHOWN, subscriber_id=sub_id)}
        row = rows.get(row_id)
        if row is None or row.state not in RESENDABLE:
            raise HTTPException(status_code=404, detail=i18n.strings(lang)["subs_no_resend"])
        if not sub.enabled:
            # The sender would cancel it at once: refuse here, where the admin can read why.
            raise HTTPException(status_code=409, detail=i18n.strings(lang)["subs_resend_disabled"])
        before = row.state
        retry(session, row_id, now, resend=True)
        audit(
            session,
            who,
            "alerts.resend",
            f"outbox:{row_id}",
            at=now,
            old={"state": before, "subscriber": sub.email},
            new={"state": row.state},
        )
    return RedirectResponse(f"/admin/subscribers/{sub_id}?done=resent#mail", status_code=303)
