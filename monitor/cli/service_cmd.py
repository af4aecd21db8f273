"""``tenderwatch serve``: the background service."""

from __future__ import annotations

import click

from monitor.appconfig import ConfigError
from monitor.service.app import Service
from monitor.settings import get_settings


@click.command("serve")
def serve_cmd() -> None:
    """Run the background service: crawls on their schedules, processing, mail, health.

    Only one instance schedules per database (a second one waits as standby); stop it
    with Ctrl-C or SIGTERM and it finishes the running job first. An invalid config
    refuses to start with the same message as `tenderwatch config check`.
    """
    try:
        service = Service(get_settings())
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        click.echo("refusing to start: fix the config (`tenderwatch config check`)", err=True)
        raise SystemExit(1) from None
    service.run()


commands: list[click.Command] = [serve_cmd]
