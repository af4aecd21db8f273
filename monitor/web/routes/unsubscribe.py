"""One-click unsubscribe (RFC 8058) at the URL every alert's ``List-Unsubscribe`` names.

``POST`` (a mailbox provider's, body ``List-Unsubscribe=One-Click``, no cookie, no login, no CSRF
token, as the RFC says) ends the mail of the subscriptions the token names and answers 200, not
a redirect; a repeat answers 200 again and changes nothing. ``GET`` only shows a confirm button,
so a scanner that prefetches links unsubscribes nobody. A forged or altered token changes nothing
and says so (400).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from monitor.alerts.tokens import InvalidToken, verify_token
from monitor.secretkey import secret_key
from monitor.subscribers.optout import unsubscribe
from monitor.web.context import reading, render, state, writing

router = APIRouter(include_in_schema=False)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    st = state(request)
    with reading(request) as session:
        try:
            sub, ids = verify_token(session, secret_key(st.settings), token)
        except InvalidToken:
            return render(request, "unsubscribe.html.j2", status_code=400, invalid=True)
        names = [s.name for s in sub.subscriptions if s.id in ids]
        email = sub.email
    return render(request, "unsubscribe.html.j2", token=token, names=names, email=email, all_mail=not ids)


@router.post("/unsubscribe/{token}")
def unsubscribe_one_click(request: Request, token: str) -> Response:
    st = state(request)
    with writing(request) as session:
        try:
            sub, ids = verify_token(session, secret_key(st.settings), token)
        except InvalidToken:
            return render(request, "unsubscribe.html.j2", status_code=400, invalid=True)
        done = unsubscribe(session, sub, ids, st.clock())
        names, email = done.names, sub.email
    return render(request, "unsubscribe.html.j2", done=True, names=names, email=email, all_mail=not ids)
