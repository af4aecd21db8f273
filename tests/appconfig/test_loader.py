"""Config validation: every mistake reported with file, line and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.appconfig import ConfigError, load_file
from monitor.appconfig.models import ServiceConfig
from monitor.cli import cli
from monitor.config import load_config
from monitor.sources import SourcesConfig

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def _problems(path: Path, model: type, text: str) -> list[str]:
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_file(path, model)
    return [str(p) for p in info.value.problems]


def test_unknown_key_is_reported_with_its_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path / "sources.yaml",
        SourcesConfig,
        ("ted:\n  schedule:\n    cron: '0 * * * mon-fri'\n  countrys: [FIN]\n"),
    )
    assert problems == [f"{tmp_path / 'sources.yaml'}:4: ted.countrys: unknown key 'countrys'"]


def test_wrong_type_names_what_was_expected(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "sources.yaml",
        SourcesConfig,
        ("hilma:\n  schedule: {every_minutes: 15}\n  overlap_days: two\n"),
    )
    assert ":3: hilma.overlap_days:" in problem
    assert "valid integer" in problem and "'two'" in problem


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "service.yaml", ServiceConfig, "admins:\n  - a@example.org\n timezone: [\n"
    )
    assert "YAML syntax error" in problem
    assert f"{tmp_path / 'service.yaml'}:3" in problem


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "service.yaml",
        ServiceConfig,
        ("send_every_minutes: 1\ntimezone: Europe/Helsinki\nsend_every_minutes: 5\n"),
    )
    assert ":3:" in problem and "duplicate key 'send_every_minutes'" in problem


def test_numeric_weekday_in_cron_is_refused(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "sources.yaml", SourcesConfig, ("ted:\n  schedule:\n    cron: '0 * * * 1-5'\n")
    )
    assert ":3: ted.schedule.cron:" in problem and "mon-fri" in problem


def test_schedule_needs_exactly_one_form(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "sources.yaml",
        SourcesConfig,
        ("ted:\n  schedule:\n    cron: '0 * * * *'\n    every_minutes: 5\n"),
    )
    assert ":2: ted.schedule:" in problem and "exactly one" in problem


def test_the_shipped_config_is_valid() -> None:
    cfg = load_config(REPO_CONFIG)
    assert {"sources.yaml", "service.yaml", "innovation.yaml", "branches.yaml"} <= set(cfg.files)
    assert len(cfg.version) == 12


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    """The shipped config with three deliberate mistakes in two files."""
    directory = tmp_path / "config"
    shutil.copytree(REPO_CONFIG, directory)
    service = directory / "service.yaml"
    service.write_text(
        service.read_text()
        .replace("send_every_minutes: 1", "send_every_minutes: often")
        .replace("timezone: Europe/Helsinki", "timezone: Europe/Helsinki\nadmin: x@example.org")
    )
    sources = directory / "sources.yaml"
    sources.write_text(sources.read_text() + "\nbogus_source:\n  enabled: true\n")
    return directory


def test_config_check_reports_three_mistakes_and_exits_nonzero(broken_config: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "check", "--dir", str(broken_config)])
    assert result.exit_code == 1
    out = result.output
    assert "3 problems in the configuration" in out
    service_lines = broken_config / "service.yaml"
    text = service_lines.read_text().splitlines()
    often_line = next(i for i, line in enumerate(text, 1) if line.startswith("send_every_minutes:"))
    admin_line = next(i for i, line in enumerate(text, 1) if line.startswith("admin:"))
    assert f"service.yaml:{often_line}: send_every_minutes:" in out
    assert f"service.yaml:{admin_line}: admin: unknown key 'admin'" in out
    bogus_line = next(
        i
        for i, line in enumerate((broken_config / "sources.yaml").read_text().splitlines(), 1)
        if line.startswith("bogus_source")
    )
    assert f"sources.yaml:{bogus_line}: bogus_source: unknown key 'bogus_source'" in out


def test_service_refuses_to_start_with_the_same_message(
    broken_config: Path, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.settings import get_settings

    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(broken_config))
    get_settings.cache_clear()
    check = CliRunner().invoke(cli, ["config", "check"])
    serve = CliRunner().invoke(cli, ["serve"])
    assert serve.exit_code == 1
    assert check.output.strip() in serve.output
    assert "refusing to start" in serve.output


# ------------------------------------------------------------------ hostile edits (issue #13, point 2)
BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def _service_problems(tmp_path: Path, data: str | bytes) -> list[str]:
    path = tmp_path / "service.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(ConfigError) as info:
        load_file(path, ServiceConfig)
    return [str(p) for p in info.value.problems]


def test_a_recursive_alias_is_refused_with_its_line(tmp_path: Path) -> None:
    (problem,) = _service_problems(tmp_path, "timezone: Europe/Helsinki\nloop: &r [*r]\n")
    assert f"{tmp_path / 'service.yaml'}:2:" in problem and "refers to itself" in problem


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    import time

    started = time.monotonic()
    problems = _service_problems(tmp_path, BOMB)
    assert time.monotonic() - started < 5  # it used to take a minute and 3 GB, then MemoryError
    assert any("aliases expand to more than" in p for p in problems), problems
    assert all(":" in p.split("service.yaml", 1)[1][:4] for p in problems)  # each with a line


def test_invalid_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    (problem,) = _service_problems(tmp_path, b"timezone: Europe/Helsinki\nadmins:\n  - \xff\xfe@x.org\n")
    assert f"{tmp_path / 'service.yaml'}:3:" in problem and "not valid UTF-8" in problem


def test_nesting_too_deep_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    (problem,) = _service_problems(tmp_path, "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert ":1:" in problem and "nested deeper than" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timezone: Europe/Helsinki\nday: 2026-02-30\n", "cannot read this value"),
        ("x: !!python/object:os.system a\n", "cannot read this value"),
        ("x: !!binary 'zz'\n", "cannot read this value"),
        ("x: !!timestamp 'x'\n", "cannot read this value"),
        ("x: \x07\n", "YAML syntax error"),
        ("? [a]\n: 1\n", "a key must be a plain value"),
    ],
)
def test_values_yaml_cannot_build_are_problems_with_a_line(tmp_path: Path, text: str, expected: str) -> None:
    problems = _service_problems(tmp_path, text)
    assert any(expected in p and f"{tmp_path / 'service.yaml'}:" in p for p in problems), problems


def test_an_unknown_time_zone_is_refused_by_config_check(tmp_path: Path) -> None:
    (problem,) = _service_problems(tmp_path, "admins: [a@example.org]\ntimezone: Mars/Olympus\n")
    assert ":2: timezone:" in problem and "Mars/Olympus" in problem


def test_a_cron_that_never_fires_is_refused(tmp_path: Path) -> None:
    (problem,) = _problems(
        tmp_path / "sources.yaml", SourcesConfig, "ted:\n  schedule:\n    cron: '0 0 31 2 *'\n"
    )
    assert ":3: ted.schedule.cron:" in problem and "never" in problem


def test_admin_addresses_are_checked_and_made_ascii(tmp_path: Path) -> None:
    (problem,) = _service_problems(tmp_path, "admins: [ylläpito@example.org]\n")
    assert ":1: admins[0]:" in problem and "ASCII" in problem
    path = tmp_path / "service.yaml"
    path.write_text("admins: [admin@exämple.fi]\n")
    assert load_file(path, ServiceConfig).admins == ["admin@xn--exmple-cua.fi"]


def test_load_config_reports_a_file_that_is_not_a_regular_file(tmp_path: Path) -> None:
    import os

    directory = tmp_path / "config"
    shutil.copytree(REPO_CONFIG, directory)
    (directory / "service.yaml").unlink()
    os.mkfifo(directory / "service.yaml")  # reading it would wait for a writer forever
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    assert "service.yaml: not a regular file" in info.value.report()
