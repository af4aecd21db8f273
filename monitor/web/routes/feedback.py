"""A reader's "relevant" / "not relevant" answer on one notice, from the signed links in an alert.

``GET /feedback/<token>?answer=…`` only shows the notice with that answer chosen and a button:
mail scanners open every link in a message, and a GET that recorded would count their visits
as readers' answers (the one-click unsubscribe page works the same way). ``POST`` records the
answer (one current answer per reader and notice; a second replaces the first). The token
(``monitor.alerts.tokens.make_feedback_token``) names the subscriber and the notice, so no
sign-in is needed; a forged or altered token records nothing and says so (400).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import Notice, Procedure
from monitor.alerts.render import procedure_path
from monitor.alerts.tokens import InvalidToken, verify_feedback_token
from monitor.classify.judgements import ANSWERS, UnknownNotice, record_answer
from monitor.secretkey import secret_key
from monitor.web.context import reading, render, state, writing

router = APIRouter(include_in_schema=False)
TEMPLATE = "feedback.html.j2"


def _notice(session: Session, notice_pk: int) -> tuple[str, str] | None:
    """(title, procedure page path) of the notice, or None when it is gone."""
    row = session.execute(
        select(Notice.title, Notice.publication_number, Procedure.procedure_key)
        .join(Procedure, Procedure.id == Notice.procedure_pk)
        .where(Notice.id == notice_pk)
    ).first()
    if row is None:
        return None
    return row[0] or row[1] or "—", procedure_path(row[2])


@router.get("/feedback/{token}")
def feedback_page(request: Request, token: str, answer: str = "") -> Response:
    with reading(request) as session:
        try:
            _, notice_pk = verify_feedback_token(session, secret_key(state(request).settings), token)
        except InvalidToken:
            return render(request, TEMPLATE, status_code=400, invalid=True)
        found = _notice(session, notice_pk)
    if found is None:
        return render(request, TEMPLATE, status_code=404, gone=True)
    title, page = found
    chosen = answer if answer in ANSWERS else ""
    return render(request, TEMPLATE, token=token, title=title, page=page, chosen=chosen)


@router.post("/feedback/{token}")
def feedback_answer(request: Request, token: str, answer: Annotated[str, Form()] = "") -> Response:
    st = state(request)
    with writing(request) as session:
        try:
            sub, notice_pk = verify_feedback_token(session, secret_key(st.settings), token)
        except InvalidToken:
            return render(request, TEMPLATE, status_code=400, invalid=True)
        found = _notice(session, notice_pk)
        if found is None:
            return render(request, TEMPLATE, status_code=404, gone=True)
        title, page = found
        if answer not in ANSWERS:  # nothing chosen (or a forged value): ask again, record nothing
            return render(
                request,
                TEMPLATE,
                status_code=422,
                token=token,
                title=title,
                page=page,
                chosen="",
                missing=True,
            )
        try:
            record_answer(session, sub.id, notice_pk, answer, st.clock())
        except UnknownNotice:
            return render(request, TEMPLATE, status_code=404, gone=True)
    return render(request, TEMPLATE, token=token, title=title, page=page, chosen=answer, done=True)
