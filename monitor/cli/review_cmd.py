"""``tenderwatch review export``: the admins' verdicts from the review queue as a labelled set."""

from __future__ import annotations

from pathlib import Path

import click

from db.session import session_scope
from monitor.classify.verdicts import to_yaml, verdict_labels
from monitor.settings import get_settings


@click.group("review")
def review_group() -> None:
    """The review queue's verdicts (the web's /admin/review)."""


@review_group.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
def review_export(output: Path | None) -> None:
    """Write every current verdict as a labelled set, in the YAML format `tenderwatch eval` reads."""
    with session_scope(get_settings().db_url) as session:
        items = verdict_labels(session)
    text = to_yaml(items)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(items)} verdicts written to {output}", err=True)


commands: list[click.Command] = [review_group]
