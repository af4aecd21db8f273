"""``tenderwatch serve``: the background service, and the web beside it unless ``--no-web``."""

from __future__ import annotations

import click

from db import migrate
from monitor.appconfig import ConfigError
from monitor.cli.web_cmd import web_options
from monitor.service.app import Service
from monitor.settings import get_settings
from monitor.web.server import WebSetupError, WebThread, address, check, make_server


@click.command("serve")
@click.option("--no-web", is_flag=True, help="Only the service; run `tenderwatch web` elsewhere.")
@web_options
def serve_cmd(no_web: bool, host: str, port: int, dev: bool) -> None:
    """Run the background service: crawls on their schedules, processing, mail, health;
    and the web pages in the same process (a thread) unless --no-web.

    Only one instance schedules per database (a second one waits as standby); stop it
    with Ctrl-C or SIGTERM and it finishes the running job first. An invalid config
    refuses to start with the same message as `tenderwatch config check`.
    """
    settings = get_settings()
    try:
        service = Service(settings)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        click.echo("refusing to start: fix the config (`tenderwatch config check`)", err=True)
        raise SystemExit(1) from None
    web = None
    if not no_web:
        try:
            check(settings, host, dev)
        except WebSetupError as exc:
            # The service itself does not need the web: it runs, and says why the pages do not.
            click.echo(f"web not started: {exc}", err=True)
            no_web = True
    if not no_web:
        if migrate.pending(settings.db_url):
            migrate.upgrade(settings.db_url)  # the pages need the tables before the service migrates
        web = WebThread(make_server(settings, service.config.current, host, port, dev))
        try:
            web.start()
        except WebSetupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"TenderWatch web: {address(host, port)}")
    try:
        service.run()
    finally:
        if web is not None:
            web.stop()


commands: list[click.Command] = [serve_cmd]
