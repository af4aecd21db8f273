"""Branches edited in the browser and the queue of unmapped buyers (issue #15, point 4), admins only.

``/admin/branches/edit``: one branch at a time as a form (id, budget title, names, contacts,
members with business ID, name patterns and validity dates; members added and removed), or the
whole ``branches.yaml`` as text. ``/admin/branches/unmapped``: the central-government buyers
of stored notices that no branch places (``tenderwatch branches unmapped``), each placed in one
click. Every save is a new version of the file (``monitor.web.configsave``): checked like
``tenderwatch config check`` first, refused with the other admin's diff when someone saved
since the page was drawn, and audited by the save itself.

Registered before ``monitor.web.routes.admin``: its ``/admin/branches/{branch_id}`` would
otherwise take ``edit`` and ``unmapped`` for branch ids.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from db.record import Buyer
from monitor.appconfig import ConfigError, load_file, versions
from monitor.appconfig.roundtrip import YAMLError
from monitor.branchedit import (
    BranchForm,
    MemberRow,
    add_member,
    apply_branch,
    branch_form,
    branch_ids,
    form_key,
    member_for_buyer,
)
from monitor.branches import BranchesConfig
from monitor.reports.periods import helsinki_date
from monitor.unmapped import unmapped_buyers
from monitor.web.configsave import Refusal, config_dir, history_link, problem_dicts, readable, save
from monitor.web.context import lang_of, render, state, writing
from monitor.web.guards import require_admin
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
FILE = "branches.yaml"
BLANK_ROWS = 1
"""Empty member rows under a branch's members: a new member needs no extra click."""


async def posted(request: Request) -> FormData:
    """The posted form with fields of any name (``m-3-name``), for the sync route to read."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted)]


def _ctx(request: Request, text: str, version: versions.ConfigVersion) -> dict[str, Any]:
    return {
        "ids": branch_ids(text),
        "version": version,
        "history": history_link(request, FILE),
    }


def _form_from_post(data: FormData) -> BranchForm:
    def get(name: str) -> str:
        value = data.get(name, "")
        return value if isinstance(value, str) else ""

    def number(name: str) -> int:
        value = get(name)
        return int(value) if value.isdigit() else 0

    rows: list[MemberRow] = []
    for i in range(min(number("rows"), 1000)):  # 1000: far above any branch (the largest has 40)
        original = get(f"m-{i}-original")
        rows.append(
            MemberRow(
                name=get(f"m-{i}-name"),
                business_id=get(f"m-{i}-business_id"),
                patterns=get(f"m-{i}-patterns"),
                valid_from=get(f"m-{i}-valid_from"),
                valid_to=get(f"m-{i}-valid_to"),
                original=int(original) if original.isdigit() else None,
                remove=bool(get(f"m-{i}-remove")),
            )
        )
    return BranchForm(
        index=number("index"),
        id=get("id"),
        main_title=get("main_title"),
        name_fi=get("name_fi"),
        name_sv=get("name_sv"),
        name_en=get("name_en"),
        contacts=get("contacts"),
        members=rows,
    )


def _with_blank_rows(form: BranchForm, blank: int = BLANK_ROWS) -> BranchForm:
    have = sum(1 for m in form.members if m.original is None and m.blank)
    form.members.extend(MemberRow() for _ in range(max(0, blank - have)))
    return form


@router.get("/admin/branches/edit")
def edit_page(request: Request, who: Admin, branch: str = "", saved: int | None = None) -> Response:
    """The structured editor of one branch (the first when none is named)."""
    with writing(request) as session:  # latest() records a hand edit of the file as a version
        version = versions.latest(session, config_dir(request), FILE)
    ids = branch_ids(version.text)
    index = ids.index(branch) if branch in ids else 0
    if branch and branch not in ids:
        raise HTTPException(status_code=404)
    form = _with_blank_rows(branch_form(version.text, index))
    return render(
        request,
        "admin_branches_edit.html.j2",
        user=who,
        who=who,
        form=form,
        base=version.number,
        errors={},
        general=[],
        stale=None,
        saved=saved,
        comment="",
        **_ctx(request, version.text, version),
    )


@router.post("/admin/branches/edit")
def edit_save(request: Request, who: Admin, data: Posted) -> Response:
    """Save the branch's form as a new version; or, for "add a member", draw it with one more row."""
    form = _form_from_post(data)
    base_raw = data.get("base", "")
    base = int(base_raw) if isinstance(base_raw, str) and base_raw.isdigit() else 0
    comment_raw = data.get("comment", "")
    comment = comment_raw.strip() if isinstance(comment_raw, str) else ""
    errors: dict[str, list[str]] = {}
    general: list[dict[str, Any]] = []
    stale: versions.StaleEdit | None = None
    with writing(request) as session:
        head = versions.latest(session, config_dir(request), FILE)
        seen = versions.get(session, FILE, base) or head
        if data.get("action") == "add":
            return _edit_again(request, who, _with_blank_rows(form, BLANK_ROWS + 1), base, comment, seen)
        try:
            text, rows = apply_branch(seen.text, form)
        except (YAMLError, IndexError, KeyError, TypeError):
            # The version the form was drawn from no longer has this branch where it was.
            raise HTTPException(status_code=409) from None
        done = save(
            session,
            request,
            who,
            FILE,
            text,
            base=base,
            comment=comment or f"edit branch {form.id.strip() or form.index}",
        )
        if isinstance(done, Refusal):  # save wrote nothing
            stale = done.stale
            for p in done.problems:
                key = form_key(p.location, form.index, rows)
                if key:
                    errors.setdefault(key, []).append(readable(p.message))
            general = problem_dicts(done.problems, text)
        else:
            target = form.id.strip()
            return RedirectResponse(
                f"/admin/branches/edit?branch={quote(target)}&saved={done.number}", status_code=303
            )
    return render(
        request,
        "admin_branches_edit.html.j2",
        status_code=409 if stale else 422,
        user=who,
        who=who,
        form=_with_blank_rows(form),
        base=base,
        errors=errors,
        general=general,
        stale=stale,
        saved=None,
        comment=comment,
        **_ctx(request, seen.text, seen),
    )


def _edit_again(
    request: Request, who: Identity, form: BranchForm, base: int, comment: str, seen: versions.ConfigVersion
) -> Response:
    return render(
        request,
        "admin_branches_edit.html.j2",
        user=who,
        who=who,
        form=form,
        base=base,
        errors={},
        general=[],
        stale=None,
        saved=None,
        comment=comment,
        **_ctx(request, seen.text, seen),
    )


@router.get("/admin/branches/edit/yaml")
def yaml_page(request: Request, who: Admin, saved: int | None = None) -> Response:
    """The whole file as text, for what the form does not cover (a new branch, the central
    purchasing bodies, reordering)."""
    with writing(request) as session:
        version = versions.latest(session, config_dir(request), FILE)
    return render(
        request,
        "admin_branches_yaml.html.j2",
        user=who,
        who=who,
        text=version.text,
        base=version.number,
        problems=[],
        stale=None,
        saved=saved,
        comment="",
        **_ctx(request, version.text, version),
    )


@router.post("/admin/branches/edit/yaml")
def yaml_save(
    request: Request,
    who: Admin,
    text: Annotated[str, Form(max_length=2_000_000)] = "",
    base: Annotated[int, Form()] = 0,
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    text = text.replace("\r\n", "\n")  # a browser's textarea posts CRLF line ends
    with writing(request) as session:
        done = save(
            session, request, who, FILE, text, base=base, comment=comment.strip() or "edit branches.yaml"
        )
        if not isinstance(done, Refusal):
            return RedirectResponse(f"/admin/branches/edit/yaml?saved={done.number}", status_code=303)
        seen = versions.get(session, FILE, base) or versions.latest(session, config_dir(request), FILE)
    return render(
        request,
        "admin_branches_yaml.html.j2",
        status_code=409 if done.stale else 422,
        user=who,
        who=who,
        text=text,
        base=base,
        problems=problem_dicts(done.problems, text),
        stale=done.stale,
        saved=None,
        comment=comment,
        ids=branch_ids(seen.text) if seen else [],
        version=seen,
        history=history_link(request, FILE),
    )


# ---------------------------------------------------------------------------------- unmapped
@router.get("/admin/branches/unmapped")
def unmapped_page(request: Request, who: Admin, assigned: str = "", to: str = "") -> Response:
    """The buyers no branch places, most notices first, each with a branch to pick."""
    return _unmapped(request, who, assigned=assigned, to=to)


def _unmapped(request: Request, who: Identity, status_code: int = 200, **message: Any) -> Response:
    config = state(request).config()
    lang = lang_of(request)
    with writing(request) as session:  # latest(): records a hand edit first, as every editor does
        buyers = unmapped_buyers(session, config.branches)
        version = versions.latest(session, config_dir(request), FILE)
    names = {b.id: getattr(b.names, lang, b.names.en) for b in config.branches.branches}
    return render(
        request,
        "admin_unmapped.html.j2",
        status_code=status_code,
        user=who,
        who=who,
        buyers=buyers,
        branches=names,
        version=version,
        history=history_link(request, FILE),
        **{"assigned": "", "to": "", "failed": "", "problems": [], "stale": None, **message},
    )


@router.post("/admin/branches/unmapped/assign")
def assign(
    request: Request,
    who: Admin,
    name: Annotated[str, Form(max_length=1000)] = "",
    org_id: Annotated[str, Form(max_length=100)] = "",
    legal_type: Annotated[str, Form(max_length=50)] = "",
    branch: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Place the buyer in ``branch``: its business ID (else its whole name) added as a member,
    saved as a new version of the latest file. One click, so it is based on the latest version,
    not the page's: another admin's save since then is kept, not a reason to refuse."""
    if not name.strip():
        raise HTTPException(status_code=422)
    failed, refusal = "", None
    with writing(request) as session:
        head = versions.latest(session, config_dir(request), FILE)
        try:
            current = load_file(config_dir(request) / FILE, BranchesConfig, head.text)
        except ConfigError:
            current = None
        today = helsinki_date(state(request).clock())
        buyer = Buyer(name=name, org_id=org_id or None, country="FIN", legal_type=legal_type or None)
        if current is None:
            failed = "invalid"
        elif current.branch(branch) is None:
            failed = "unknown_branch"
        elif current.map_buyer(buyer, today).mapped:
            failed = "already"
        else:
            text = add_member(head.text, branch, member_for_buyer(name, org_id or None))
            done = save(
                session, request, who, FILE, text, base=head.number, comment=f"assign {name} to {branch}"
            )
            if isinstance(done, Refusal):  # save wrote nothing
                failed, refusal = ("stale" if done.stale else "invalid"), done
    if failed:
        return _unmapped(
            request,
            who,
            status_code=409 if failed in ("stale", "already") else 422,
            assigned=name,
            to=branch,
            failed=failed,
            problems=problem_dicts(refusal.problems) if refusal else [],
            stale=refusal.stale if refusal else None,
        )
    return RedirectResponse(
        f"/admin/branches/unmapped?assigned={quote(name)}&to={quote(branch)}", status_code=303
    )
