"""Every command's --help renders and says something useful."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from monitor.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        out.append((*prefix, name))
        if isinstance(command, click.Group):
            out += _commands(command, (*prefix, name))
    return out


REQUIRED = {
    ("db", "upgrade"),
    ("config", "check"),
    ("crawl",),
    ("run",),
    ("serve",),
    ("web",),
    ("demo",),
    ("parse",),
    ("classify",),
    ("explain",),
    ("rules", "check"),
    ("rules", "preview"),
    ("eval",),
    ("procedure",),
    ("reparse",),
    ("settle-conflicts",),
    ("status",),
    ("subscribers", "add"),
    ("subscribers", "import"),
    ("alerts", "send"),
    ("alerts", "list"),
    ("alerts", "retry"),
    ("branches", "unmapped"),
    ("unsubscribe",),
    ("backfill", "ted"),
    ("report", "branches"),
    ("report", "calls"),
    ("report", "send"),
}


def test_the_commands_the_issues_name_exist() -> None:
    missing = REQUIRED - set(_commands(cli))
    assert not missing, f"missing commands: {sorted(missing)}"


@pytest.mark.parametrize("path", [(), *_commands(cli)], ids=lambda p: " ".join(p) or "tenderwatch")
def test_help_renders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    # A docstring, not a bare usage line: some words after the usage.
    assert len(result.output.split("\n\n")[1].strip()) > 10
