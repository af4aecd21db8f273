"""A throwaway database for one benchmark run: a SQLite file in a temporary folder, or a fresh
PostgreSQL database; migrated on the way in, removed on the way out (even when the run fails).

PostgreSQL is reached as ``TENDERWATCH_TEST_POSTGRES_URL``, as the tests reach it (default: the
local server, trust auth, as on the development and CI machines).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db import migrate
from db.session import get_engine

PG_ADMIN = os.environ.get(
    "TENDERWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(kind: str, prefix: str) -> Iterator[str]:
    """The URL of a migrated, empty database of ``kind`` (``sqlite`` or ``postgresql``)."""
    tmp = tempfile.mkdtemp(prefix=f"{prefix}-")
    admin = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp}/bench.sqlite"
    else:
        name = f"tenderwatch_bench_{uuid.uuid4().hex[:8]}"
        # AUTOCOMMIT: CREATE/DROP DATABASE cannot run inside a transaction.
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        shutil.rmtree(tmp, ignore_errors=True)  # a SQLite file of a million rows is large
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            admin.dispose()
