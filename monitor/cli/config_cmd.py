"""``tenderwatch config``: check the admins' YAML files."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.settings import get_settings


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
    from monitor.appconfig import ConfigError, load_config

    directory = directory or get_settings().config_dir
    try:
        cfg = load_config(directory)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
    click.echo(f"config OK: {', '.join(sorted(cfg.files))} in {directory} (version {cfg.version})")


commands: list[click.Command] = [config_group]
