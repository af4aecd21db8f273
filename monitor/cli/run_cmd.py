"""``tenderwatch run --once``: one full cycle, in the foreground."""

from __future__ import annotations

import json

import click

from db import migrate
from db.clock import utcnow
from monitor.cli.common import config_or_exit
from monitor.pipeline import run_once
from monitor.settings import get_settings


@click.command("run")
@click.option("--once", is_flag=True, required=True, help="Run one cycle and exit (the service repeats it).")
@click.option("--source", "sources", multiple=True, help="Crawl only this source (repeatable).")
@click.option("--no-crawl", is_flag=True, help="Skip crawling: only process stored notices and send mail.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def run_cmd(once: bool, sources: tuple[str, ...], no_crawl: bool, as_json: bool) -> None:
    """Crawl the configured sources, classify, match, queue and send alerts, once."""
    settings = get_settings()
    config = config_or_exit(settings.config_dir)
    migrate.upgrade(settings.db_url)
    chosen = [] if no_crawl else (list(sources) or None)
    figures = run_once(settings, config, chosen, now=utcnow())
    if as_json:
        click.echo(json.dumps(figures, default=str, indent=2))
    else:
        for step, values in figures.items():
            click.echo(f"{step}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


commands: list[click.Command] = [run_cmd]
