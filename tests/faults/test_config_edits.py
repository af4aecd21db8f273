"""Issue #13, point 2: a bad edit of any config file while the service runs.

Every edit the issue names (a recursive alias, bytes that are not UTF-8, an alias bomb, an
unknown time zone, a cron that never fires, an address that cannot be delivered to, nesting
too deep) is written into each file of a running service's config folder. Each must be
refused with file and line, the last good config kept, the service still running, and the
admins mailed once; a real ``tenderwatch serve`` process is put through the worst of them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.config import CONFIG_FILES
from monitor.service.app import Service
from monitor.settings import Settings
from tests.appconfig.test_loader import BOMB
from tests.faults.conftest import Figures
from tests.service.conftest import RunningService, eventually, write_config

pytestmark = pytest.mark.faults
REFUSED = "config edit refused; keeping version"


@dataclass(frozen=True)
class Edit:
    name: str
    apply: Callable[[bytes], bytes]
    expect: str
    """What the refusal must say (besides file and line)."""


def _append(text: bytes) -> Callable[[bytes], bytes]:
    return lambda original: original.rstrip(b"\n") + b"\n" + text


def _replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def apply(original: bytes) -> bytes:
        assert old in original, old
        return original.replace(old, new, 1)

    return apply


GENERIC = [
    Edit("recursive alias", _append(b"loop: &r [*r]\n"), "refers to itself"),
    Edit("invalid UTF-8", _append(b"# caf\xe9 (Latin-1)\n"), "not valid UTF-8"),
    Edit("alias bomb", _append(BOMB.encode()), "aliases expand to more than"),
    Edit("nesting too deep", _append(b"deep: " + b"[" * 3000 + b"]" * 3000 + b"\n"), "nested deeper than"),
]
SPECIFIC = {
    "service.yaml": [
        Edit("unknown time zone", _replace(b"timezone: Europe/Helsinki", b"timezone: Mars/Olympus"), "Mars"),
        Edit("bad admin address", _replace(b"admin@example.org", b"yll\xc3\xa4pito@example.org"), "ASCII"),
        Edit("bad cron", _replace(b"cron: 30 6 * * *", b"cron: 61 6 * * *"), "crontab"),
    ],
    "sources.yaml": [
        Edit("cron that never fires", _replace(b"every_seconds: 60", b"cron: 0 0 31 2 *"), "never")
    ],
    "subscribers.yaml": [
        Edit(
            "undeliverable subscriber",
            _replace(b"myynti@koodijapilvi.example.com", b"myynti\xc3\xa4@koodijapilvi.example.com"),
            "ASCII",
        )
    ],
}


def quiet_settings(tmp_path: Path, db_url: str) -> Settings:
    """A service with no crawls (only the edits happen) and mail as .eml files to count."""
    config = write_config(tmp_path / "config", ted_every=None)
    return Settings(data_dir=tmp_path / "var", database_url=db_url, config_dir=config)


def _admin_mails(settings: Settings) -> int:
    folder = settings.outbox_dir
    return len(list(folder.glob("admin-*.eml"))) if folder.exists() else 0


def _line_of_problem(report: str, name: str) -> int | None:
    match = re.search(rf"{re.escape(name)}:(\d+):", report)
    return int(match.group(1)) if match else None


def _refused(service: Service, name: str, expect: str) -> bool:
    error = service.config.last_error
    return error is not None and name in error.report() and expect in error.report()


def _write(path: Path, data: bytes) -> None:
    """Replace the file in one step, as editors that save safely do: the service never sees
    half a file (that would be refused too, but as a different, empty-file problem)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_every_bad_edit_of_every_file_is_refused_with_file_and_line(
    db_url: str, tmp_path: Path, figures: Figures
) -> None:
    service_settings = quiet_settings(tmp_path, db_url)
    config_dir = service_settings.config_dir
    with RunningService(service_settings) as running:
        service = running.service
        eventually(lambda: service.scheduler is not None and service.scheduler.get_job("send"), 30, "jobs")
        good = service.config.current().version
        refused = 0
        for name in CONFIG_FILES:
            path = config_dir / name
            original = path.read_bytes()
            for edit in GENERIC + SPECIFIC.get(name, []):
                mails = _admin_mails(service_settings)
                changed = edit.apply(original)
                _write(path, changed)
                what = f"{name}: {edit.name}"
                eventually(lambda n=name, e=edit.expect: _refused(service, n, e), 15, f"{what} refused")
                assert service.config.last_error is not None
                report = service.config.last_error.report()
                line = _line_of_problem(report, name)
                assert line is not None, f"{what}: no line in {report}"
                first_changed = _first_changed_line(original, changed)
                assert line >= first_changed, f"{what}: line {line}, the edit starts at {first_changed}"
                assert running.thread.is_alive() and service.scheduler.running, what
                assert service.config.current().version == good, what
                eventually(lambda m=mails: _admin_mails(service_settings) == m + 1, 15, f"{what}: admin mail")
                refused += 1
                _write(path, original)
                eventually(lambda: service.config.last_error is None, 15, f"{name} restored")
        assert refused == 4 * len(CONFIG_FILES) + sum(len(v) for v in SPECIFIC.values())
        assert running.thread.is_alive() and service.scheduler.running
    assert _admin_mails(service_settings) == refused  # one each, none twice
    figures.mail = False
    figures.note = f"{refused} bad edits refused with file:line, {refused} admin mails, service running"


def _first_changed_line(old: bytes, new: bytes) -> int:
    for i, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), 1):
        if a != b:
            return i
    return min(len(old.splitlines()), len(new.splitlines())) + 1


def _serve(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TENDERWATCH_DATABASE_URL": settings.db_url,
        "TENDERWATCH_DATA_DIR": str(settings.data_dir),
        "TENDERWATCH_CONFIG_DIR": str(settings.config_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_a_real_serve_process_survives_each_bad_edit(
    sqlite_url: str, tmp_path: Path, figures: Figures
) -> None:
    """The issue's own reproductions, against ``tenderwatch serve``: each used to stop it."""
    service_settings = quiet_settings(tmp_path, sqlite_url)
    service = service_settings.config_dir / "service.yaml"
    original = service.read_bytes()
    edits = [
        ("recursive alias", original + b"loop: &r [*r]\n"),
        ("invalid UTF-8", original + b"# caf\xe9\n"),
        ("alias bomb", original + BOMB.encode()),
        ("unknown time zone", original.replace(b"timezone: Europe/Helsinki", b"timezone: Mars/Olympus")),
    ]
    log = tmp_path / "serve.log"
    proc = _serve(service_settings, log)
    try:
        eventually(lambda: "this instance schedules" in log.read_text(errors="replace"), 60, "serve to start")
        for what, content in edits:
            before = log.read_text(errors="replace").count(REFUSED)
            _write(service, content)
            eventually(
                lambda b=before: log.read_text(errors="replace").count(REFUSED) > b,
                30,
                f"{what} to be refused",
            )
            tail = log.read_text(errors="replace").rsplit(REFUSED, 1)[1]
            assert re.search(r"service\.yaml:\d+:", tail), f"{what}: no file and line in\n{tail}"
            assert proc.poll() is None, f"serve stopped after the {what}:\n{log.read_text()}"
        _write(service, original)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text
    assert _admin_mails(service_settings) == len(edits)
    figures.mail = False
    figures.note = f"{len(edits)} bad edits of service.yaml, serve still running, {len(edits)} admin mails"
