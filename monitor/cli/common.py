"""Helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.appconfig import AppConfig, ConfigError, load_config


def config_or_exit(directory: Path) -> AppConfig:
    """The validated config, or the same report as `tenderwatch config check` and exit code 1."""
    try:
        return load_config(directory)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
