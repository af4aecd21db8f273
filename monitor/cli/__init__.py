"""The ``tenderwatch`` command line.

Each area keeps its commands in its own module here; a module exposes ``commands``, a list
of click commands and groups, and is named in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from monitor import __version__
from monitor.enverrors import describe
from monitor.logsetup import setup_logging
from monitor.settings import get_settings

_MODULES = [
    "monitor.cli.db_cmd",
    "monitor.cli.config_cmd",
    "monitor.cli.source_cmd",
    "monitor.cli.run_cmd",
    "monitor.cli.demo_cmd",
    "monitor.cli.parse_cmd",
    "monitor.cli.store_cmd",
    "monitor.cli.classify_cmd",
    "monitor.cli.alerts_cmd",
    "monitor.cli.service_cmd",
    "monitor.cli.web_cmd",
    "monitor.cli.report_cmd",
    "monitor.cli.review_cmd",
]


class _Cli(click.Group):
    """The command group; a fault of the machine (a read-only database, a data folder that
    cannot be written) ends a command with one ``error:`` line instead of a traceback
    (``-v`` shows the traceback too)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = describe(exc, _db_url())
            if line is None or ctx.params.get("verbose"):
                raise
            click.echo(f"error: {line}", err=True)
            raise SystemExit(1) from None


def _db_url() -> str | None:
    try:
        return get_settings().db_url
    except Exception:  # the settings themselves may be what is broken
        return None


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tenderwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def cli(verbose: int, quiet: bool) -> None:
    """TenderWatch: watches public tenders (TED, HILMA) for innovation-oriented calls
    and emails the right people, exactly once, with reasons.

    Settings come from TENDERWATCH_* environment variables (or a .env file); the rules,
    sources, branches and subscribers from the YAML files in config/.
    """
    level = "WARNING" if quiet else ("DEBUG" if verbose > 1 else get_settings().log_level)
    setup_logging(level, get_settings().log_format)


for _name in _MODULES:
    for _command in importlib.import_module(_name).commands:
        cli.add_command(_command)


def main() -> None:
    cli(prog_name="tenderwatch")
