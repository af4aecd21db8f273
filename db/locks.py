"""Make one step run in one process at a time, whichever processes share the database.

Two ``tenderwatch run --once``, or ``serve`` beside a CLI command, may run the same step at
the same moment. Steps that read what is still to do and then write what they did
(classifying unclassified notices, matching unmatched ones, deriving report rows, applying
migrations) must not interleave: on PostgreSQL, under READ COMMITTED, both would read the
same rows as "to do" and the second insert would fail on a unique key (issue #13, point 3).

PostgreSQL: an advisory lock named after the step. :func:`serialize` takes a transaction-level
one (released at commit or rollback, or by the server if the process dies), so the second
process waits, and once it has the lock its next statement sees what the first committed.
SQLite needs nothing: every write transaction begins ``IMMEDIATE`` (``db.session``), so
writers already take turns for the whole transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from db.session import get_engine, is_postgres


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a step name (the namespace keeps it ours).

    >>> lock_key("classify") == lock_key("classify") != lock_key("enqueue")
    True
    """
    digest = hashlib.sha256(f"tenderwatch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def serialize(session: Session, name: str) -> None:
    """Wait until no other transaction runs step ``name``; hold it until this one ends.

    Call it first in the transaction: under READ COMMITTED each later statement then sees
    what the previous holder committed.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


@contextmanager
def held(url: str, name: str) -> Iterator[None]:
    """Step ``name`` across several transactions (a migration run): a session-level lock on a
    connection of its own, released at the end, or by the server if the process dies."""
    if not is_postgres(url):
        yield
        return
    conn: Connection = get_engine(url).connect()
    try:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
        conn.commit()  # no transaction stays open: the lock belongs to the session
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})
            conn.commit()
        finally:
            conn.close()
