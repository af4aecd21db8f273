"""What the admin pages that save a config file share: the folder, the save, and its outcome.

Saving is ``monitor.appconfig.versions.save`` (a new version, the file written atomically, one
audit row), called with the signed-in admin as its author. The page then either moves on or
shows why nothing was saved: the problems of ``tenderwatch config check`` at their lines, or,
when someone else saved first, their change as a diff.

The web sees the saved file at the next request because its config provider is a
``ConfigHolder`` (``tenderwatch web`` and ``serve`` both give it one), which reloads a config
file whose size or modification time changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.routing import NoMatchFound

from monitor.appconfig import ConfigError, ConfigProblem, versions
from monitor.web.context import state
from monitor.web.roles import Identity

HISTORY_ROUTE = "config_history"
"""The route name of a file's versions page with rollback (``monitor.web.routes.admin_config``)."""


def config_dir(request: Request) -> Path:
    return state(request).settings.config_dir


@dataclass
class Refusal:
    """Why a save wrote nothing: problems of the check, or another admin's newer version."""

    problems: list[ConfigProblem] = field(default_factory=list)
    stale: versions.StaleEdit | None = None


def save(
    session: Session, request: Request, who: Identity, file: str, text: str, *, base: int, comment: str
) -> versions.ConfigVersion | Refusal:
    """The new version, or what refused it (the caller's transaction then writes nothing either)."""
    try:
        return versions.save(
            session, config_dir(request), file, text, author=who.email, comment=comment, base=base
        )
    except versions.StaleEdit as exc:
        return Refusal(stale=exc)
    except ConfigError as exc:
        return Refusal(problems=exc.problems)


def history_link(request: Request, file: str) -> str | None:
    """The link to the file's history page (``routes/admin_config.py``), when the app has it."""
    try:
        return str(request.app.url_path_for(HISTORY_ROUTE, file=file))
    except NoMatchFound:
        return None


def readable(message: str) -> str:
    """A problem's message without pydantic's "Value error, " in front: the admin reads the
    validator's own sentence (``tenderwatch config check`` prints the same sentence after it)."""
    return message.removeprefix("Value error, ")


EXCERPT_LINES = 2
"""Lines shown above and below a problem's line: enough to find it in the text area."""


def problem_dicts(problems: list[ConfigProblem], text: str = "") -> list[dict[str, Any]]:
    """The problems as the templates show them: line, where in the file, message, and the lines
    of ``text`` around the problem's (numbered, as ``tenderwatch config check`` counts them)."""
    lines = text.splitlines()
    out = []
    for p in problems:
        excerpt: list[tuple[int, str]] = []
        if p.line and lines:
            first, last = max(1, p.line - EXCERPT_LINES), min(len(lines), p.line + EXCERPT_LINES)
            excerpt = [(n, lines[n - 1]) for n in range(first, last + 1)]
        message = readable(p.message)
        out.append({"line": p.line, "location": p.location, "message": message, "excerpt": excerpt})
    return out
