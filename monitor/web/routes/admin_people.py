"""Who may use the admin pages (issue #15: "admins are named in service.yaml and can invite
others"): the admins and each branch's contacts, an admin's invitation, and removal.

An invitation adds the address to service.yaml's ``admins:`` as a new version of the file
(``monitor.web.configsave``: checked, versioned, one audit row), so the file stays the one list
of admins, and then mails the person a sign-in link through the sign-in's own mail
(``monitor.web.signin``) with a line saying who invited them. The link leads to the operations
page; once it has expired they sign in at /signin like anyone. Removal edits the same list and
is refused for the last admin and for oneself (another admin removes you: no one locks
themselves out by a slip of the mouse).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from monitor.adminlist import add_admin, admins_in, remove_admin
from monitor.appconfig import versions
from monitor.web import i18n, signin
from monitor.web.configsave import Refusal, config_dir, history_link, problem_dicts, save
from monitor.web.context import lang_of, render, state, writing
from monitor.web.guards import require_admin
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
FILE = "service.yaml"
LANDING = "/admin/operations"
_EMAIL = TypeAdapter(EmailStr)


def _page(request: Request, who: Identity, status_code: int = 200, **message: Any) -> Response:
    lang = lang_of(request)
    with writing(request) as session:  # latest(): records a hand edit of the file first
        version = versions.latest(session, config_dir(request), FILE)
    config = state(request).config()
    contacts = [
        (b.id, getattr(b.names, lang, b.names.en), list(b.contacts)) for b in config.branches.branches
    ]
    return render(
        request,
        "admin_people.html.j2",
        status_code=status_code,
        user=who,
        who=who,
        admins=admins_in(version.text),
        contacts=contacts,
        version=version,
        history=history_link(request, FILE),
        **{"invited": "", "removed": "", "failed": "", "email": "", "problems": [], "stale": None, **message},
    )


@router.get("/admin/people")
def people_page(request: Request, who: Admin, invited: str = "", removed: str = "") -> Response:
    return _page(request, who, invited=invited, removed=removed)


@router.post("/admin/people/invite")
def invite(
    request: Request,
    background: BackgroundTasks,
    who: Admin,
    email: Annotated[str, Form(max_length=320)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Make ``email`` an admin (a new service.yaml version) and mail them a sign-in link."""
    try:
        address = str(_EMAIL.validate_python(email.strip())).lower()
    except ValidationError:
        return _page(request, who, status_code=422, failed="bad_email", email=email)
    lang = language if language in i18n.LANGS else lang_of(request)
    st = state(request)
    now = st.clock()
    refusal: Refusal | None = None
    with writing(request) as session:
        head = versions.latest(session, config_dir(request), FILE)
        if address not in {a.lower() for a in admins_in(head.text)}:
            done = save(
                session,
                request,
                who,
                FILE,
                add_admin(head.text, address),
                base=head.number,
                comment=f"invite {address} as admin",
            )
            if isinstance(done, Refusal):  # save wrote nothing
                refusal = done
        if refusal is None:
            # In the same transaction: no link for an invitation that was not saved.
            token = signin.issue(session, address, now)
    if refusal is not None:
        return _page(
            request,
            who,
            status_code=409 if refusal.stale else 422,
            failed="stale" if refusal.stale else "invalid",
            email=email,
            problems=problem_dicts(refusal.problems),
            stale=refusal.stale,
        )
    link = f"{st.base_url}/signin/{token}?next={quote(LANDING)}"
    note = i18n.strings(lang)["pp_mail_note"].format(inviter=who.email, url=f"{st.base_url}/signin")
    background.add_task(signin.send_link, st.settings, address, link, lang, now, note)
    return RedirectResponse(f"/admin/people?invited={quote(address)}", status_code=303)


@router.post("/admin/people/remove")
def remove(request: Request, who: Admin, email: Annotated[str, Form(max_length=320)] = "") -> Response:
    """Take ``email`` off service.yaml's admins: never oneself, never the last one."""
    address = email.strip().lower()
    if address == who.email:
        return _page(request, who, status_code=409, failed="self", email=address)
    refusal: Refusal | None = None
    failed = ""
    with writing(request) as session:
        head = versions.latest(session, config_dir(request), FILE)
        admins = [a.lower() for a in admins_in(head.text)]
        if address not in admins:
            failed = "not_admin"
        elif len(set(admins) - {address}) == 0:
            failed = "last"
        else:
            done = save(
                session,
                request,
                who,
                FILE,
                remove_admin(head.text, address),
                base=head.number,
                comment=f"remove {address} from admins",
            )
            if isinstance(done, Refusal):  # save wrote nothing
                refusal, failed = done, ("stale" if done.stale else "invalid")
    if failed:
        return _page(
            request,
            who,
            status_code=409,
            failed=failed,
            email=address,
            problems=problem_dicts(refusal.problems) if refusal else [],
            stale=refusal.stale if refusal else None,
        )
    return RedirectResponse(f"/admin/people?removed={quote(address)}", status_code=303)
