"""``tenderwatch db``: schema migrations."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from db import migrate
from monitor.settings import get_settings


@click.group("db")
def db_group() -> None:
    """Database schema: apply migrations, show the revision."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target Alembic revision.")
def upgrade_cmd(revision: str) -> None:
    """Apply pending migrations (creates the SQLite file on first use)."""
    url = get_settings().db_url
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {migrate.current_revision(url)} ({_redact(url)})")


@db_group.command("current")
def current_cmd() -> None:
    """Print the database's revision and whether migrations are pending."""
    url = get_settings().db_url
    cur, head = migrate.current_revision(url), migrate.head_revision(url)
    click.echo(
        f"current {cur or '(empty)'}, head {head}"
        + ("" if cur == head else " — run `tenderwatch db upgrade`")
    )


def _redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


commands: list[click.Command] = [db_group]
