"""Faults of the machine, not of the code: said in one line, without a traceback.

A read-only database, a data folder that cannot be written, a full disk or a database server
that is down are for the operator to fix, and a 40-line traceback hides the one line that
says what. Programming errors are not matched here and keep their traceback.
"""

from __future__ import annotations

import errno

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InternalError, OperationalError

_OS_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.EISDIR,
    errno.ENOENT,
}


def describe(exc: BaseException, db_url: str | None = None) -> str | None:
    """One line for an environment fault: an ``OSError`` of the file system, or the database
    refusing to write or to connect (``db_url`` names it, password hidden). None for anything
    else, which deserves its traceback."""
    if isinstance(exc, OperationalError | InternalError):
        where = f" {_masked(db_url)}" if db_url else ""
        return f"database{where}: {_first_line(exc.orig if exc.orig is not None else exc)}"
    if isinstance(exc, OSError) and exc.errno in _OS_ERRNOS:
        name = f"{exc.filename}: " if exc.filename else ""
        return f"{name}{exc.strerror or exc}"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable URL)"
