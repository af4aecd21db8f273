"""Issue #13, point 6: the machine misbehaving: an outbox folder or a data folder that cannot
be written, a read-only database, files other users could read.

Tests run as root in CI, where permission bits do not stop a write; the faults are injected
so that they hold for root too: a regular file where a folder should be, a database opened
read-only (SQLite ``mode=ro``, PostgreSQL ``default_transaction_read_only``).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.clock import CLOCK_ENV, clock_value
from db.models.alerts import OutboxMessage
from db.models.health import HealthProblem
from db.session import session_scope
from monitor.alerts import outbox
from monitor.alerts.mailer import EmlTransport
from monitor.cli import cli
from monitor.pipeline import crawl_log
from monitor.settings import Settings, get_settings
from tests.conftest import NOW
from tests.faults.conftest import Figures, outbox_states, queue_alerts
from tests.service.conftest import RunningService, eventually, write_config

pytestmark = pytest.mark.faults


def _rows(db_url: str) -> list[tuple[str, str | None, str | None]]:
    with session_scope(db_url) as session:
        return [
            tuple(r)  # type: ignore[misc]
            for r in session.execute(
                select(OutboxMessage.state, OutboxMessage.failure_kind, OutboxMessage.last_error)
            )
        ]


def test_an_unwritable_outbox_folder_leaves_nothing_stuck(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: Figures
) -> None:
    """No SMTP server: mail goes to var/outbox/, and var/outbox is not a folder. The rows wait
    with the reason recorded (not ``sending`` for ten minutes with a traceback); once the
    folder can be written, every alert is written once."""
    config = write_config(tmp_path / "config", ted_every=None, send_every=1)
    settings = Settings(data_dir=tmp_path / "var", database_url=db_url, config_dir=config)
    figures.queued = queue_alerts(db_url, [f"w{i}@example.com" for i in range(6)], NOW)
    settings.outbox_dir.parent.mkdir(parents=True)
    settings.outbox_dir.write_text("a file where the outbox folder should be\n")
    monkeypatch.setenv(CLOCK_ENV, clock_value(NOW))
    with RunningService(settings) as running:

        def all_waiting() -> bool:
            rows = _rows(db_url)
            return bool(rows) and all(
                state == "pending" and kind == "temporary" and "cannot write to" in (error or "")
                for state, kind, error in rows
            )

        eventually(all_waiting, 30, "every row to wait with its reason")  # none left "sending"
        with session_scope(db_url) as session:
            problem = session.scalar(select(HealthProblem).where(HealthProblem.key == "mail-down"))
            assert problem is not None and "cannot write alert emails to" in problem.summary
        assert running.thread.is_alive()

        settings.outbox_dir.unlink()  # the operator fixes it
        monkeypatch.setenv(CLOCK_ENV, clock_value(NOW + outbox.BACKOFF_MAX))
        eventually(lambda: outbox_states(db_url) == {"sent": figures.queued}, 30, "the outbox to drain")
        assert running.thread.is_alive()
    written = [p for p in settings.outbox_dir.glob("*.eml") if not p.name.startswith("admin-")]
    figures.delivered = len({p.name for p in written})  # a file per Message-ID: a resend overwrites
    figures.stuck = sum(n for s, n in outbox_states(db_url).items() if s in ("pending", "sending"))
    assert (figures.delivered, figures.stuck) == (figures.queued, 0)
    figures.note = ".eml: a repeat would overwrite its file, so duplicates cannot show"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A real `tenderwatch` process: what an operator sees on the terminal."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TENDERWATCH_") or k == CLOCK_ENV}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "-q", *args],
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_read_only_database_is_one_clear_line(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:
        # Only this connection is read-only, not the suite's database for other tests.
        read_only = f"{db_url}?options=-c%20default_transaction_read_only%3Don"
    env = {
        "TENDERWATCH_DATABASE_URL": read_only,
        "TENDERWATCH_DATA_DIR": str(tmp_path / "var"),
        "TENDERWATCH_CONFIG_DIR": str(tmp_path / "config"),
    }
    write_config(tmp_path / "config", ted_every=None)
    line = _one_line(_cli(env, "subscribers", "add", "new@example.com", "--cpv", "72000000"))
    assert line.startswith("error: database ") and ("readonly" in line or "read-only" in line), line
    line = _one_line(_cli(env, "serve", "--no-web"))  # the database is the fault here, not the web's URL
    assert line.startswith("error: database ") and ("readonly" in line or "read-only" in line), line


def test_an_unwritable_data_folder_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be\n")
    env = {"TENDERWATCH_DATA_DIR": str(blocker / "var"), "TENDERWATCH_CONFIG_DIR": str(tmp_path / "c")}
    write_config(tmp_path / "c", ted_every=None)
    line = _one_line(_cli(env, "db", "upgrade"))
    assert line == f"error: {blocker / 'var'}: Not a directory", line


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_that_hold_addresses_are_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("TENDERWATCH_") and k != CLOCK_ENV]:
        monkeypatch.delenv(name)
    old_umask = os.umask(0o022)  # the usual umask, whatever the runner's is
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli, ["init"]).exit_code == 0
        result = CliRunner().invoke(cli, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(cli, ["subscribers", "add", "a@example.com", "--cpv", "72000000"])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(cli, ["subscribers", "export", "-o", "people.csv"])
        assert result.exit_code == 0, result.output
        settings = get_settings()
        eml = EmlTransport(settings.outbox_dir)
        eml.open()
        msg = EmailMessage()
        msg["Message-ID"] = "<x@example.org>"
        msg.set_content("hello")
        eml.send(msg)
        log = crawl_log(settings, "ted")
    finally:
        os.umask(old_umask)
        get_settings.cache_clear()
    var = tmp_path / "var"
    assert _mode(var) == 0o700
    database = var / "tenderwatch.sqlite"
    assert _mode(database) == 0o600
    for extra in (var / "tenderwatch.sqlite-wal", var / "tenderwatch.sqlite-shm"):
        if extra.exists():
            assert _mode(extra) == 0o600, extra
    assert _mode(tmp_path / "people.csv") == 0o600
    assert (_mode(log.parent), _mode(log)) == (0o700, 0o600)
    assert (_mode(settings.outbox_dir), _mode(settings.outbox_dir / "x_example.org.eml")) == (0o700, 0o600)
