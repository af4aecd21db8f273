"""The rules editor (issue #15, point 1): ``innovation.yaml`` as a form and as YAML, checked as
``tenderwatch rules check`` checks it, back-tested over the stored notices before it is saved,
and saved as a new version (``monitor.appconfig.versions``).

- ``GET /admin/rules``: the rules in force (the newest version; a hand edit of the file is
  recorded first), and a warm back-test runner is readied for this admin's coming back-test.
- ``POST /admin/rules/check``: the form's edits written into the text (``rules_yaml``), or the
  YAML view's text as it is; every problem shown at its field and line; nothing saved.
- ``POST /admin/rules/backtest``: the back-test's events as NDJSON, streamed while they are
  computed (``monitor.web.backtests``; format in docs/rules-editor.md). Read-only.
- ``POST /admin/rules/save``: a clean text saved as the next version, with the admin's comment,
  on the version the editor was opened on: a newer one means someone saved since, and they are
  shown that change (``_config_conflict.html.j2``) with their own text kept.

Admins only; every POST carries the CSRF token (the middleware refuses it otherwise); the save
writes its audit row in its transaction (``versions.save``).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from monitor.appconfig import ConfigError, versions
from monitor.appconfig.errors import ConfigProblem
from monitor.classify.backtest import Job
from monitor.classify.evaluate import LabelledNotice
from monitor.classify.service import since_date
from monitor.classify.verdicts import verdict_labels
from monitor.web.backtests import Backtests
from monitor.web.context import reading, render, state, writing
from monitor.web.guards import require_admin
from monitor.web.roles import Identity
from monitor.web.rules_yaml import FormError, apply_form, form_view

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
FILE = "innovation.yaml"
LABELS_FILE = "innovation_labels.yaml"
"""The labelled set the back-test measures, when the config folder has one (the format of
``tests/data/innovation_labels.yaml``; ``tenderwatch eval`` reads the same file)."""
PERIODS = ("all", "12m", "6m", "90d")
_init_lock = threading.Lock()


def backtests(request: Request) -> Backtests:
    """This app's runners (made on first use; one set per web process)."""
    app_state = request.app.state
    found = getattr(app_state, "backtests", None)
    if found is None:
        with _init_lock:
            found = getattr(app_state, "backtests", None) or Backtests()
            app_state.backtests = found
    return found


def _config_dir(request: Request) -> Path:
    return state(request).settings.config_dir


def _problem_key(p: ConfigProblem) -> str:
    """The form section a problem belongs to: ``keywords.3``, ``structured.1``, ``thresholds``,
    ``exclusions``, ``negation_cues``, or "" (only in the YAML view)."""
    loc = p.location.replace("[", ".").replace("]", "")
    parts = loc.split(".")
    if parts[0] in ("keywords", "structured") and len(parts) > 1 and parts[1].isdigit():
        return f"{parts[0]}.{parts[1]}"
    if parts[0] in ("thresholds", "exclusions", "negation_cues"):
        return parts[0]
    return ""


def _shown(p: ConfigProblem) -> str:
    """The problem as ``tenderwatch rules check`` prints it, with the file's name for its path."""
    where = f"{FILE}:{p.line}" if p.line else FILE
    loc = f" {p.location}:" if p.location else ""
    return f"{where}:{loc} {p.message}"


def _editor(
    request: Request,
    who: Identity,
    *,
    text: str,
    base: int,
    head: versions.ConfigVersion,
    problems: list[ConfigProblem] | None = None,
    checked: bool = False,
    form_error: str = "",
    comment: str = "",
    comment_missing: bool = False,
    conflict: versions.StaleEdit | None = None,
    saved: int | None = None,
    status_code: int = 200,
) -> Any:
    problems = problems or []
    by_section: dict[str, list[str]] = {}
    for p in problems:
        by_section.setdefault(_problem_key(p), []).append(_shown(p))
    lines = text.splitlines()
    at_lines = [
        {
            "line": p.line,
            "text": lines[p.line - 1] if p.line and p.line <= len(lines) else "",
            "shown": _shown(p),
        }
        for p in problems
    ]
    opened = versions.unified_diff(head.text, text, f"version {head.number}", "your edit") if checked else ""
    return render(
        request,
        "admin_rules.html.j2",
        status_code=status_code,
        user=who,
        who=who,
        text=text,
        base=base,
        head=head,
        view=form_view(text),
        problems=problems,
        by_section=by_section,
        at_lines=at_lines,
        checked=checked,
        clean=checked and not problems and not form_error and conflict is None,
        form_error=form_error,
        changes=opened,
        comment=comment,
        comment_missing=comment_missing,
        conflict=conflict,
        saved=saved,
        periods=PERIODS,
        has_labels=(_config_dir(request) / LABELS_FILE).exists(),
        file=FILE,
    )


def _opened(request: Request, base: int) -> versions.ConfigVersion:
    """The version the editor was opened on (for "your changes"), else the newest."""
    with reading(request) as session:
        found = versions.get(session, FILE, base)
    if found is not None:
        return found
    with writing(request) as session:
        return versions.latest(session, _config_dir(request), FILE)


@router.get("/admin/rules")
def rules_editor(request: Request, who: Admin, saved: int | None = None) -> Response:
    with writing(request) as session:  # may record a hand edit of the file as a version
        head = versions.latest(session, _config_dir(request), FILE)
    backtests(request).prepare()
    return _editor(request, who, text=head.text, base=head.number, head=head, saved=saved)


@router.post("/admin/rules/check")
async def rules_check(request: Request, who: Admin) -> Response:
    """Apply the form's edits (``mode=form``) or take the YAML view (``mode=yaml``); check; show."""
    form = await request.form()
    fields = [(k, str(v)) for k, v in form.multi_items()]
    values = dict(fields)
    # Browsers send every form value's line breaks as CRLF (the HTML form encoding); the file has LF.
    text = values.get("text", "").replace("\r\n", "\n")
    base = int(values.get("base", "0") or 0)
    mode = values.get("mode", "form")
    return await asyncio.to_thread(_check, request, who, text, base, mode, fields, values.get("yaml", ""))


def _check(
    request: Request,
    who: Identity,
    text: str,
    base: int,
    mode: str,
    fields: list[tuple[str, str]],
    yaml_text: str,
) -> Any:
    form_error = ""
    if mode == "yaml":
        new = yaml_text.replace("\r\n", "\n")
    else:
        try:
            new = apply_form(text, fields)
        except (FormError, ValueError) as exc:
            new, form_error = text, str(exc)
    problems = versions.check_text(_config_dir(request), FILE, new)
    head = _opened(request, base)
    return _editor(
        request,
        who,
        text=new,
        base=base,
        head=head,
        problems=problems,
        checked=True,
        form_error=form_error,
        status_code=422 if problems or form_error else 200,
    )


@router.post("/admin/rules/save")
def rules_save(
    request: Request,
    who: Admin,
    text: Annotated[str, Form()],
    base: Annotated[int, Form()],
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Save a checked text as the next version on ``base``; refused (nothing written) on a
    problem, without a comment, or when someone saved since ``base``."""
    directory = _config_dir(request)
    text = text.replace("\r\n", "\n")
    head = _opened(request, base)
    problems = versions.check_text(directory, FILE, text)
    if problems or not comment.strip():
        return _editor(
            request, who, text=text, base=base, head=head, problems=problems, checked=True,
            comment=comment, comment_missing=not comment.strip(), status_code=422,
        )  # fmt: skip
    try:
        with writing(request) as session:
            new = versions.save(
                session, directory, FILE, text, author=who.email, comment=comment.strip(), base=base
            )
    except versions.StaleEdit as exc:
        return _editor(
            request, who, text=text, base=base, head=head, checked=True, comment=comment,
            conflict=exc, status_code=409,
        )  # fmt: skip
    except ConfigError as exc:
        return _editor(
            request, who, text=text, base=base, head=head, problems=exc.problems, checked=True,
            comment=comment, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/admin/rules?saved={new.number}", status_code=303)


def _review_decisions(request: Request) -> list[LabelledNotice]:
    with reading(request) as session:
        return verdict_labels(session)


@router.post("/admin/rules/backtest")
async def rules_backtest(request: Request, who: Admin) -> Response:
    """The back-test of ``text`` against the rules in force, streamed as NDJSON (module doc)."""
    form = await request.form()
    text = str(form.get("text", "")).replace("\r\n", "\n")
    period = str(form.get("since", "all"))
    directory = _config_dir(request)
    problems = await asyncio.to_thread(versions.check_text, directory, FILE, text)
    if problems or period not in PERIODS:
        body = json.dumps({"event": "invalid", "problems": [_shown(p) for p in problems]}) + "\n"
        return Response(body, status_code=422, media_type="application/x-ndjson")
    since = since_date(period, state(request).clock().date())
    # The review queue's verdicts, beside the labelled set; read off the event loop like the check.
    decisions = await asyncio.to_thread(_review_decisions, request)
    labels = directory / LABELS_FILE
    job = Job(
        db_url=state(request).settings.db_url,
        candidate=text,
        current=(directory / FILE).read_text(encoding="utf-8"),
        since=since.isoformat() if since else None,
        labels_path=str(labels) if labels.exists() else None,
        decisions=tuple(d.model_dump(mode="json") for d in decisions),
    )
    runners = backtests(request)
    proc = await asyncio.to_thread(runners.start, who.email, job)

    async def events() -> AsyncIterator[bytes]:
        out = proc.stdout
        assert out is not None
        try:
            while True:
                line = await asyncio.to_thread(out.readline)
                if not line:
                    break
                if line.startswith(b'{"event": "ready"'):
                    continue  # the runner's own "warmed up" line, before the job
                yield line
                if await request.is_disconnected():
                    break  # the page was closed: stop the work (finally)
        finally:
            runners.stop(who.email, proc)

    return StreamingResponse(
        events(),
        media_type="application/x-ndjson",
        # No proxy may hold the lines back: the point is to see them as they come.
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
