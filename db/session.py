"""One engine and one sessionmaker per database URL and process.

SQLite gets WAL mode and a busy timeout so the service, a crawl child process and a CLI
command can use the same file at once; PostgreSQL needs nothing special.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from db.private import private_file


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster than FULL
    cur.execute("PRAGMA foreign_keys=ON")  # SQLite leaves them off by default
    cur.execute("PRAGMA busy_timeout=30000")  # wait for another process's write instead of failing
    cur.close()


@cache
def get_engine(url: str, *, read_only: bool = False) -> Engine:
    """The process's engine for ``url``; ``read_only`` (SQLite): transactions begin DEFERRED.

    A web page only reads, and in WAL mode a deferred reader never waits for a writer; with
    the writers' BEGIN IMMEDIATE, a page would queue behind a crawl's batch commit.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            # Created 0600 before SQLite creates it 0644: it holds subscribers' addresses (its
            # -wal and -shm files take the same mode). A "file:…?mode=ro" URI is SQLite's to open.
            private_file(Path(parsed.database))
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        if read_only:
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))

            @event.listens_for(engine, "connect")
            def _no_autobegin_reader(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None

            return engine
        # pysqlite's own transaction handling issues BEGIN lazily and breaks SAVEPOINT;
        # take it over as the SQLAlchemy docs advise (dialects/sqlite "Serializable isolation").
        # IMMEDIATE: a transaction takes the write lock when it begins, so concurrent writers
        # (service threads, a crawl child, the CLI) queue on busy_timeout instead of failing
        # with "database is locked" when a reader tries to upgrade to a writer mid-transaction.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None

        return engine
    return create_engine(url, pool_pre_ping=True)  # the service outlives server restarts


@cache
def get_sessionmaker(url: str) -> sessionmaker[Session]:
    # expire_on_commit=False: jobs hand loaded rows to templates after the transaction ends.
    return sessionmaker(get_engine(url), expire_on_commit=False)


@cache
def get_read_sessionmaker(url: str) -> sessionmaker[Session]:
    """Sessions for reading only (web pages): on SQLite they never take the write lock."""
    if make_url(url).get_backend_name() != "sqlite":
        return get_sessionmaker(url)
    return sessionmaker(get_engine(url, read_only=True), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error (no half-written rows)."""
    with get_sessionmaker(url).begin() as session:
        yield session


def is_postgres(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "postgresql"
