"""Helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.appconfig import ConfigError
from monitor.config import AppConfig, load_config
from monitor.settings import shipped_config_dir


def config_or_exit(directory: Path) -> AppConfig:
    """The validated config, or the same report as `tenderwatch config check` and exit code 1."""
    if directory.resolve() == shipped_config_dir().resolve() and not (Path.cwd() / "config").exists():
        click.echo(
            "note: no ./config here, so the shipped default config is in use; "
            "`tenderwatch init` writes an editable copy",
            err=True,
        )
    try:
        return load_config(directory)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
