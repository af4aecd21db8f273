"""The admin pages' guards (FastAPI dependencies) and the audit row every admin change writes.

Not signed in: a redirect to the sign-in page that comes back here. Signed in without the
role: a 403 page saying so. Roles: ``monitor.web.roles``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from db.models.audit import AuditEntry
from monitor.web import i18n
from monitor.web.context import lang_of, reading, require_user, state
from monitor.web.roles import Identity, identity_for


def _signed_in(request: Request) -> Identity:
    """The signed-in person's identity, or the redirect to sign-in that comes back here."""
    with reading(request) as session:
        user = require_user(request, session)
        email = user.email
    return identity_for(state(request).config(), email)


def _forbidden(request: Request) -> HTTPException:
    return HTTPException(status_code=403, detail=i18n.strings(lang_of(request))["admin_forbidden"])


def require_admin(request: Request) -> Identity:
    """A FastAPI dependency: an admin, else sign-in (not signed in) or a 403 page (no role)."""
    who = _signed_in(request)
    if not who.admin:
        raise _forbidden(request)
    return who


def require_staff(request: Request) -> Identity:
    """An admin or a branch contact (the branch list shows a contact only their branches)."""
    who = _signed_in(request)
    if not who.staff:
        raise _forbidden(request)
    return who


def require_branch_access(request: Request, branch_id: str) -> Identity:
    """An admin, or a contact of the branch in the path (``{branch_id}``); else as above."""
    who = _signed_in(request)
    if not who.may_see_branch(branch_id):
        raise _forbidden(request)
    return who


def audit(
    session: Session,
    who: Identity,
    action: str,
    target: str,
    *,
    at: datetime,
    old: Any = None,
    new: Any = None,
) -> None:
    """One ``audit_log`` row, in the caller's transaction: committed with the change or not at all."""
    session.add(AuditEntry(at=at, actor=who.email, action=action, target=target, old=old, new=new))
