"""Sign-in by email link and sign-out (see ``monitor.web.signin``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from monitor.web import signin
from monitor.web.context import current_user, lang_of, reading, render, safe_next, stamp, state, writing

router = APIRouter(include_in_schema=False)
_EMAIL = TypeAdapter(EmailStr)


@router.get("/signin")
def signin_form(request: Request, next: str = "/subscriptions") -> Response:
    with reading(request) as session:
        user = current_user(request, session)
    return render(request, "signin.html.j2", user=user, next=safe_next(next))


@router.post("/signin")
def signin_request(
    request: Request,
    background: BackgroundTasks,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=500)] = "/subscriptions",
) -> Response:
    """Always the same answer, whether the address is known, new, malformed or rate-limited."""
    st = state(request)
    lang = lang_of(request)
    try:
        address = str(_EMAIL.validate_python(email.strip())).lower()
    except ValidationError:
        address = None
    client = request.client.host if request.client else "?"
    if address is not None and st.limits.allow(address, client):
        now = st.clock()
        with writing(request) as session:
            token = signin.issue(session, address, now)
        link = f"{st.base_url}/signin/{token}?next={quote(safe_next(next))}"
        # After the answer: the reply takes as long for every address, known or not.
        background.add_task(signin.send_link, st.settings, address, link, lang, now)
    return render(request, "signin_sent.html.j2")


@router.get("/signin/{token}")
def signin_confirm_page(request: Request, token: str, next: str = "/subscriptions") -> Response:
    """The link from the email: a button, so that a scanner opening the link signs nobody in."""
    with reading(request) as session:
        email = signin.peek(session, token, state(request).clock())
    if email is None:
        return render(request, "signin_invalid.html.j2", status_code=410)
    return render(request, "signin_confirm.html.j2", token=token, email=email, next=safe_next(next))


@router.post("/signin/confirm")
def signin_confirm(
    request: Request,
    token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/subscriptions",
) -> Response:
    st = state(request)
    now = st.clock()
    with writing(request) as session:
        email = signin.consume(session, token, now)
        if email is None:
            return render(request, "signin_invalid.html.j2", status_code=410)
        sub = signin.subscriber_for(session, email, lang_of(request), now)
        uid, since = sub.id, stamp(sub)
    request.session.clear()
    request.session.update({"uid": uid, "since": since})
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout")
def signout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
