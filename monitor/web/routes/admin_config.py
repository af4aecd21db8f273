"""History, diffs and rollback of the config files edited in the browser (issue #15, point 2).

One set of pages for every versioned file (``monitor.appconfig.versions.VERSIONED_FILES``): the
rules editor and the branches editor link here, and both show the same conflict partial
(``_config_conflict.html.j2``) when a save meets a newer version. Opening a history records a
hand edit of the file first, so what is on disk is always the newest entry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from monitor.appconfig import ConfigError, versions
from monitor.web.context import render, state, writing
from monitor.web.guards import require_admin
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
EDITORS = {"innovation.yaml": "/admin/rules", "branches.yaml": "/admin/branches/edit"}
"""Where each file's editor lives, for the history's "edit" link (a file without one has none)."""


def _file(file: str) -> str:
    if file not in versions.VERSIONED_FILES:
        raise HTTPException(status_code=404)
    return file


@router.get("/admin/config/{file}/history")
def config_history(request: Request, who: Admin, file: str) -> Response:
    return _history_page(request, who, _file(file))


def _history_page(
    request: Request, who: Identity, file: str, status_code: int = 200, **extra: Any
) -> Response:
    """The history page; ``extra``: a refused rollback's ``conflict`` or ``problems``."""
    with writing(request) as session:  # may record a hand edit found on disk
        head = versions.latest(session, state(request).settings.config_dir, file)
        rows = versions.history(session, file)
    return render(
        request,
        "admin_config_history.html.j2",
        status_code=status_code,
        user=who,
        who=who,
        file=file,
        head=head,
        rows=rows,
        editor=EDITORS.get(file),
        **extra,
    )


@router.get("/admin/config/{file}/versions/{number}")
def config_version(request: Request, who: Admin, file: str, number: int) -> Response:
    """One version: what it changed (the diff from the version before it) and its whole text."""
    file = _file(file)
    with writing(request) as session:
        head = versions.latest(session, state(request).settings.config_dir, file)
        version = versions.get(session, file, number)
        before = versions.get(session, file, number - 1) if number > 1 else None
    if version is None:
        raise HTTPException(status_code=404)
    old_label = f"version {number - 1}" if before else ""
    diff = versions.unified_diff(before.text if before else "", version.text, old_label, f"version {number}")
    return render(
        request,
        "admin_config_version.html.j2",
        user=who,
        who=who,
        file=file,
        head=head,
        version=version,
        before=before,
        diff=diff,
    )


@router.post("/admin/config/{file}/rollback/{number}")
def config_rollback(
    request: Request, who: Admin, file: str, number: int, base: Annotated[int, Form()]
) -> Response:
    """A new version equal to version ``number``, built on ``base``: refused if someone saved since."""
    file = _file(file)
    directory = state(request).settings.config_dir
    try:
        with writing(request) as session:
            new = versions.rollback(session, directory, file, number, author=who.email, base=base)
    except LookupError:
        raise HTTPException(status_code=404) from None
    except versions.StaleEdit as exc:
        return _history_page(request, who, file, 409, conflict=exc)
    except ConfigError as exc:
        return _history_page(request, who, file, 422, problems=exc.problems)
    return RedirectResponse(f"/admin/config/{file}/history?done={new.number}", status_code=303)
