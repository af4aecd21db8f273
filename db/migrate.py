"""Apply and inspect Alembic migrations programmatically (no alembic.ini needed).

``tenderwatch db upgrade`` and the service's start-up both call :func:`upgrade`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.locks import held
from db.session import get_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What Alembic compares with the models: not what others own, not the dialect-only search parts.

    The search index's FTS5 table (and its shadow tables) on SQLite and its GIN indexes on
    PostgreSQL exist on one dialect only, so the models cannot declare them; migration 0002 (web)
    creates them. The same holds for the search's sort-order indexes (expressions, NULLS LAST),
    which migration 0007 creates.
    """
    if type_ == "table" and name is not None:
        return not name.startswith("notice_search_fts")
    if type_ == "index" and name is not None:
        return not name.startswith(("gin_notice_search_", "ix_search_"))
    return True


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; processes starting at once take turns (the second
    finds the schema already there), so two ``run --once`` after an upgrade do not collide."""
    with held(url, "migrate"):
        command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def pending(url: str) -> bool:
    return current_revision(url) != head_revision(url)


def autogenerate_initial(url: str) -> None:
    """Rewrite the single initial migration from the models (pre-release only: see Makefile)."""
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    command.revision(alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001")
