"""``tenderwatch web``: the web application on its own (``serve`` also runs it, see service_cmd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from db import migrate
from monitor.cli.common import config_or_exit
from monitor.service.confighold import ConfigHolder
from monitor.settings import get_settings
from monitor.web.server import WebSetupError, address, check, make_server

F = TypeVar("F", bound=Callable[..., Any])


def web_options(f: F) -> F:
    f = click.option("--dev", is_flag=True, help="Local trial: plain http on loopback, no Secure cookies.")(f)
    f = click.option("--port", type=int, default=8000, show_default=True)(f)
    f = click.option("--host", default="127.0.0.1", show_default=True)(f)
    return f


@click.command("web")
@web_options
def web_cmd(host: str, port: int, dev: bool) -> None:
    """Serve the web pages, the one-click unsubscribe and the JSON API.

    Without --dev, TENDERWATCH_PUBLIC_URL must be the https address your TLS proxy serves.
    Edits of the config files (by hand or from the admin pages) apply at the next request;
    an invalid edit is refused and the last good config stays in force, as in `serve`.
    """
    settings = get_settings()
    try:
        check(settings, host, dev)
    except WebSetupError as exc:
        raise click.ClickException(str(exc)) from None
    config_or_exit(settings.config_dir)  # a bad config at start: the report and exit 1
    held = ConfigHolder(settings.config_dir)
    if migrate.pending(settings.db_url):
        migrate.upgrade(settings.db_url)
    server = make_server(settings, held.current, host, port, dev)
    click.echo(f"TenderWatch web: {address(host, port)}  (Ctrl-C stops it)")
    server.run()


commands: list[click.Command] = [web_cmd]
