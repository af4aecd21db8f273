"""One scheduler at a time: whoever holds the lock schedules, everyone else waits as standby.

PostgreSQL: a session-level advisory lock on a dedicated connection; it is released by the
server if the process dies, so a crashed leader never blocks a successor.
SQLite: an exclusive ``flock`` on a file beside the database, released by the kernel on exit.
Any instance may still *send* mail: the outbox claims rows with SKIP LOCKED (PostgreSQL).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from db.private import private_dir
from db.session import get_engine, is_postgres

log = logging.getLogger(__name__)

# An arbitrary 64-bit key naming "the TenderWatch scheduler" among the database's advisory locks.
ADVISORY_KEY = 0x7E4D_3A7C_0001


class LeaderLock:
    """Non-blocking try-lock; call :meth:`acquire` periodically from a standby loop."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.db_url = db_url
        self.data_dir = data_dir
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def describe(self) -> str:
        if is_postgres(self.db_url):
            return f"PostgreSQL advisory lock {ADVISORY_KEY} on {make_url(self.db_url).database}"
        return f"lock file {self.lock_path}"

    @property
    def lock_path(self) -> Path:
        url = make_url(self.db_url)
        if url.database and url.database != ":memory:":
            # A URI filename ("file:/path?mode=ro", uri=true) names the same file without "file:".
            name = url.database.removeprefix("file:") if url.query.get("uri") else url.database
            return Path(name).with_suffix(".scheduler.lock")
        return self.data_dir / "scheduler.lock"

    def acquire(self) -> bool:
        if self.held:
            return True
        if is_postgres(self.db_url):
            conn = get_engine(self.db_url).connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            conn.commit()  # keep no transaction open: the lock is session-level
            if got:
                self._conn = conn
                return True
            conn.close()
            return False
        path = self.lock_path
        private_dir(path.parent)  # var/ holds the database and the mail: 0700 when we create it
        fh = open(path, "a+")  # noqa: SIM115 — held open for the life of the lock
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._file = fh
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
