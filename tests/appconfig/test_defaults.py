"""Where TenderWatch looks by default: the working directory, else the shipped config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.settings import Settings, shipped_config_dir


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.startswith("TENDERWATCH_") and k != "TENDERWATCH_CLOCK"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_empty_folder_uses_its_own_var_and_the_shipped_config(empty_dir: Path) -> None:
    settings = Settings()
    assert settings.data_dir == empty_dir / "var"
    assert settings.db_url == f"sqlite:///{empty_dir / 'var' / 'tenderwatch.sqlite'}"
    assert settings.config_dir == shipped_config_dir().resolve() and settings.uses_shipped_config


def test_init_writes_an_editable_config_that_is_then_used(empty_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (empty_dir / "config").iterdir())
    assert written == ["branches.yaml", "innovation.yaml", "service.yaml", "sources.yaml", "subscribers.yaml"]
    assert (empty_dir / "var").is_dir()
    settings = Settings()
    assert settings.config_dir == empty_dir / "config" and not settings.uses_shipped_config


def test_init_keeps_edited_files_unless_forced(empty_dir: Path) -> None:
    CliRunner().invoke(cli, ["init"])
    service = empty_dir / "config" / "service.yaml"
    service.write_text("admins: [me@example.org]\n")
    again = CliRunner().invoke(cli, ["init"])
    assert again.exit_code == 0 and "kept     config/service.yaml" in again.output
    assert service.read_text() == "admins: [me@example.org]\n"
    CliRunner().invoke(cli, ["init", "--force"])
    assert service.read_text() == (shipped_config_dir() / "service.yaml").read_text()


def test_relative_folders_from_the_environment_are_made_absolute(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", "data")
    assert Settings().data_dir == empty_dir / "data"  # crawl children started elsewhere agree
