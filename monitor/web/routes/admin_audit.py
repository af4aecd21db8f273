"""The audit log (issue #15: every admin action, who, when, what, old → new), for admins.

Newest first, 50 rows a page, filtered by actor, action, target and a range of Helsinki days.
A row's ``old`` and ``new`` are JSON of the action's own shape, shown indented; a config save
(``config.save``, written by ``monitor.appconfig.versions.save``) shows the diff between the two
versions it names instead, since a version number alone tells a reader nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.clock import HELSINKI
from db.models.audit import AuditEntry
from monitor.appconfig import versions
from monitor.web.configsave import history_link
from monitor.web.context import reading, render
from monitor.web.guards import require_admin
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
Admin = Annotated[Identity, Depends(require_admin)]
PAGE_SIZE = 50
CONFIG_SAVE = "config.save"


@dataclass
class Row:
    entry: AuditEntry
    old: str
    new: str
    diff: str | None = None
    """For a config save: the change from the old version to the new one."""
    version: int | None = None
    history: str | None = None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    """The first instant of a Helsinki day, in UTC (the log stores UTC)."""
    return datetime.combine(day, time(0), HELSINKI).astimezone(UTC)


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _version(value: Any) -> int | None:
    number = value.get("version") if isinstance(value, dict) else None
    return number if isinstance(number, int) else None


def _row(request: Request, session: Session, entry: AuditEntry) -> Row:
    row = Row(entry, _pretty(entry.old), _pretty(entry.new))
    if entry.action == CONFIG_SAVE:
        before, after = _version(entry.old), _version(entry.new)
        row.version, row.history = after, history_link(request, entry.target)
        new = versions.get(session, entry.target, after) if after else None
        old = versions.get(session, entry.target, before) if before else None
        if new is not None:
            row.diff = versions.unified_diff(
                old.text if old else "",
                new.text,
                f"{entry.target} version {before}" if old else "",
                f"{entry.target} version {after}",
            )
    return row


@router.get("/admin/audit")
def audit_page(
    request: Request,
    who: Admin,
    actor: str = "",
    action: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    """The log, newest first; every filter narrows it (actor and target: any part, any case)."""
    q = select(AuditEntry)
    if actor.strip():
        q = q.where(func.lower(AuditEntry.actor).contains(actor.strip().lower(), autoescape=True))
    if action:
        q = q.where(AuditEntry.action == action)
    if target.strip():
        q = q.where(func.lower(AuditEntry.target).contains(target.strip().lower(), autoescape=True))
    first, last = _day(since), _day(until)
    if first:
        q = q.where(AuditEntry.at >= _start_of(first))
    if last:
        q = q.where(AuditEntry.at < _start_of(last + timedelta(days=1)))
    with reading(request) as session:
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        newest_first = q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        entries = session.scalars(newest_first.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        rows = [_row(request, session, e) for e in entries]
        actions = sorted(session.scalars(select(AuditEntry.action).distinct()).all())
    filters: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "target": target,
        "since": since,
        "until": until,
    }

    def page_url(n: int) -> str:
        return "/admin/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": n})

    return render(
        request,
        "admin_audit.html.j2",
        user=who,
        who=who,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        page_url=page_url,
        actions=actions,
        bad_dates=[n for n, txt, d in (("since", since, first), ("until", until, last)) if txt and not d],
        **filters,
    )
