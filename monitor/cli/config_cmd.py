"""``tenderwatch init`` and ``tenderwatch config``: set up and check the admins' YAML files."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from db.private import private_dir
from monitor.appconfig import ConfigError
from monitor.config import CONFIG_FILES, load_config
from monitor.settings import get_settings, shipped_config_dir


@click.command("init", short_help="Write an editable copy of the default config here.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite config files that already exist.")
def init_cmd(directory: Path, force: bool) -> None:
    """Write the default config files to DIRECTORY/config (default: here) and create DIRECTORY/var.

    Run TenderWatch from DIRECTORY afterwards: it reads ./config and keeps its database,
    emails and logs in ./var. Files that already exist are kept unless --force.
    """
    target = directory / "config"
    target.mkdir(parents=True, exist_ok=True)
    private_dir(directory / "var")  # the database and the mail go there: 0700
    source = shipped_config_dir()
    for name in CONFIG_FILES:
        path = target / name
        if path.exists() and not force:
            click.echo(f"kept     {path} (exists; --force overwrites)")
            continue
        shutil.copyfile(source / name, path)
        click.echo(f"wrote    {path}")
    click.echo(
        f"\nNext, from {directory.resolve()}:\n"
        "  tenderwatch config check   # after each edit\n"
        "  tenderwatch db upgrade     # create the database (var/tenderwatch.sqlite)\n"
        "  tenderwatch demo           # the whole pipeline offline, mail to var/outbox/\n"
        "  tenderwatch serve          # the service"
    )


@click.group("config")
def config_group() -> None:
    """The YAML files in config/: sources, service, innovation rules, branches, subscribers."""


@config_group.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Config folder to check (default: TENDERWATCH_CONFIG_DIR or ./config).",
)
def check_cmd(directory: Path | None) -> None:
    """Validate every config file; print each problem with file and line; exit 1 on any."""
    directory = directory or get_settings().config_dir
    try:
        cfg = load_config(directory)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
    click.echo(f"config OK: {', '.join(sorted(cfg.files))} in {directory} (version {cfg.version})")


commands: list[click.Command] = [init_cmd, config_group]
