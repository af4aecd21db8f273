"""Issue #13, point 1: the mail server down or refusing, and the sender killed mid-batch.

Each scenario queues real alerts (store → match → outbox), breaks delivery for real (the
SMTP server stopped, a mailbox refusing, a sender killed with SIGKILL), moves the clock
instead of waiting, and counts Message-IDs at the server once the fault clears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.clock import CLOCK_ENV, clock_value
from db.models.alerts import OutboxMessage
from db.models.health import HealthProblem
from db.session import session_scope
from monitor.alerts import outbox
from monitor.alerts.sender import send_pending
from monitor.cli import cli
from monitor.service.status import outbox_lines
from monitor.settings import get_settings
from tests.conftest import NOW
from tests.faults.conftest import (
    FaultySmtp,
    Figures,
    count_delivery,
    outbox_states,
    queue_alerts,
    smtp_settings,
)
from tests.service.conftest import REPO_CONFIG, RunningService, eventually, write_config

pytestmark = pytest.mark.faults

MINUTE = timedelta(minutes=1)


def _every(start: datetime, minutes: range, run: Callable[[datetime], object]) -> None:
    """The send job's runs, one per simulated minute (the clock moved, not waited for)."""
    for m in minutes:
        run(start + m * MINUTE)


def test_an_outage_longer_than_the_old_retry_horizon_loses_no_mail(
    db_url: str, faulty_smtp: FaultySmtp, tmp_path: Path, figures: Figures
) -> None:
    """150 minutes down (the old horizon was 8 attempts, 127 minutes): every alert still goes
    out once, within the back-off cap of the server's return."""
    settings = smtp_settings(faulty_smtp, tmp_path, db_url, REPO_CONFIG)
    figures.queued = queue_alerts(db_url, [f"c{i}@example.com" for i in range(12)], NOW)
    assert figures.queued == 12

    faulty_smtp.stop()
    _every(NOW, range(0, 151), lambda at: send_pending(db_url, settings, now=at))
    assert outbox_states(db_url) == {"pending": 12}, "a temporary failure must never end a row"
    with session_scope(db_url) as session:
        [line] = outbox_lines(session, NOW + 151 * MINUTE)
    assert "12 pending; 12 pending after a temporary failure" in line  # `tenderwatch status`

    faulty_smtp.start()
    back = NOW + 151 * MINUTE
    _every(
        back, range(0, outbox.BACKOFF_MAX // MINUTE + 1), lambda at: send_pending(db_url, settings, now=at)
    )
    count_delivery(figures, faulty_smtp, db_url)
    assert (figures.delivered, figures.duplicated, figures.stuck, figures.failed) == (12, 0, 0, 0)
    assert outbox_states(db_url) == {"sent": 12}


def test_one_refusing_mailbox_does_not_hold_back_its_batchmates(
    db_url: str, faulty_smtp: FaultySmtp, tmp_path: Path, figures: Figures
) -> None:
    """451 at DATA for the first row of the batch, 450 at RCPT for another: only those two
    wait; a 550 ends its own row and no other."""
    settings = smtp_settings(faulty_smtp, tmp_path, db_url, REPO_CONFIG)
    emails = ["first@example.com", "busy@example.com", "gone@example.com"]
    emails += [f"c{i}@example.com" for i in range(9)]
    faulty_smtp.handler.refuse_data["first@example.com"] = "451 4.7.1 Try again later"
    faulty_smtp.handler.refuse_rcpt["busy@example.com"] = "450 4.2.1 Mailbox busy"
    faulty_smtp.handler.refuse_rcpt["gone@example.com"] = "550 5.1.1 No such user"
    figures.queued = queue_alerts(db_url, emails, NOW)

    send_pending(db_url, settings, now=NOW)
    delivered = {str(m["To"]).rpartition("<")[2].rstrip(">") for m in faulty_smtp.messages}
    assert delivered == {f"c{i}@example.com" for i in range(9)}, "the batchmates went out at once"
    with session_scope(db_url) as session:
        by_email = _rows_by_email(session)
    assert by_email["first@example.com"][:2] == ("pending", "temporary")
    assert by_email["busy@example.com"][:2] == ("pending", "temporary")
    assert by_email["gone@example.com"] == ("failed", "permanent", None)

    faulty_smtp.handler.refuse_data.clear()
    faulty_smtp.handler.refuse_rcpt.pop("busy@example.com")
    send_pending(db_url, settings, now=NOW + outbox.backoff(1))
    assert send_pending(db_url, settings, now=NOW + timedelta(hours=1)).claimed == 0
    count_delivery(figures, faulty_smtp, db_url)
    assert (figures.delivered, figures.duplicated, figures.failed, figures.stuck) == (11, 0, 1, 0)
    figures.note = "gone@ refused with 550: failed, alone"


def _rows_by_email(session) -> dict[str, tuple[str, str | None, datetime | None]]:  # type: ignore[no-untyped-def]
    from db.models.alerts import Subscriber

    return {
        email: (state, kind, next_at)
        for email, state, kind, next_at in session.execute(
            select(
                Subscriber.email,
                OutboxMessage.state,
                OutboxMessage.failure_kind,
                OutboxMessage.next_attempt_at,
            ).join(Subscriber, Subscriber.id == OutboxMessage.subscriber_id)
        )
    }


def test_an_alert_that_stopped_mattering_expires_instead_of_failing(
    db_url: str, faulty_smtp: FaultySmtp, tmp_path: Path, figures: Figures
) -> None:
    """Down past the call's deadline: the row ends ``expired`` (not ``failed``), and nothing is
    sent about a call nobody can answer any more. A call without a deadline gives up at the
    maximum age instead."""
    settings = smtp_settings(faulty_smtp, tmp_path, db_url, REPO_CONFIG)
    figures.queued = queue_alerts(db_url, ["soon@example.com"], NOW)
    with session_scope(db_url) as session:
        row = session.scalar(select(OutboxMessage))
        assert row is not None and row.expires_at is not None  # the call's deadline
        row.expires_at = NOW + timedelta(hours=2)
    faulty_smtp.stop()
    _every(NOW, range(0, 180, 15), lambda at: send_pending(db_url, settings, now=at))
    assert outbox_states(db_url) == {"expired": 1}
    faulty_smtp.start()
    assert send_pending(db_url, settings, now=NOW + timedelta(hours=3)).claimed == 0

    # No deadline: the maximum age (service.yaml alert_max_age_days) decides.
    later = queue_alerts(db_url, ["award@example.com"], NOW, publication_number="00711950-2026")
    figures.queued += later  # soon@ watches IT too: two rows
    with session_scope(db_url) as session:
        session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.state == "pending")
            .values(expires_at=None, created_at=NOW)
        )
    faulty_smtp.stop()
    stats = send_pending(db_url, settings, now=NOW + timedelta(days=2), max_age=timedelta(days=3))
    assert stats.retrying == later == 2
    stats = send_pending(db_url, settings, now=NOW + timedelta(days=3), max_age=timedelta(days=3))
    assert stats.expired == later and outbox_states(db_url) == {"expired": 3}
    count_delivery(figures, faulty_smtp, db_url)
    assert (figures.delivered, figures.stuck, figures.failed) == (0, 0, 0)
    figures.note = "all expired: one past its deadline, two past the max age"


def test_alerts_retry_failed_requeues_in_bulk(
    sqlite_url: str,
    faulty_smtp: FaultySmtp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
) -> None:
    settings = smtp_settings(faulty_smtp, tmp_path, sqlite_url, REPO_CONFIG)
    emails = [f"r{i}@example.com" for i in range(3)] + ["ok@example.com"]
    for email in emails[:3]:
        faulty_smtp.handler.refuse_rcpt[email] = "550 5.7.1 Policy rejection"
    figures.queued = queue_alerts(sqlite_url, emails, NOW)
    send_pending(sqlite_url, settings, now=NOW)
    assert outbox_states(sqlite_url) == {"failed": 3, "sent": 1}

    env = {
        "TENDERWATCH_DATABASE_URL": sqlite_url,
        "TENDERWATCH_DATA_DIR": str(settings.data_dir),
        "TENDERWATCH_CONFIG_DIR": str(REPO_CONFIG),
        "TENDERWATCH_SMTP_HOST": "127.0.0.1",
        "TENDERWATCH_SMTP_PORT": str(faulty_smtp.port),
        "TENDERWATCH_SMTP_SECURITY": "none",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        tomorrow = (NOW + timedelta(days=1)).date().isoformat()
        result = CliRunner().invoke(cli, ["alerts", "list", "--state", "failed"])
        assert result.output.count("(permanent: rejected: r") == 3 and "550 5.7.1" in result.output
        result = CliRunner().invoke(cli, ["alerts", "retry", "--failed", "--since", tomorrow])
        assert result.exit_code == 0, result.output
        assert "0 failed row(s) queued again" in result.output
        result = CliRunner().invoke(cli, ["alerts", "retry", "--failed", "--since", NOW.date().isoformat()])
        assert result.exit_code == 0, result.output
        assert "3 failed row(s) queued again" in result.output
        assert outbox_states(sqlite_url) == {"pending": 3, "sent": 1}
        faulty_smtp.handler.refuse_rcpt.clear()
        result = CliRunner().invoke(cli, ["alerts", "send"])
        assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
    count_delivery(figures, faulty_smtp, sqlite_url)
    assert (figures.delivered, figures.duplicated, figures.failed, figures.stuck) == (4, 0, 0, 0)


def _retried_since(db_url: str, at: datetime) -> bool:
    """Every row went through a send run at ``at`` or later and is waiting again (a claim alone
    also stamps ``updated_at``: the run must have finished with it)."""
    with session_scope(db_url) as session:
        rows = session.execute(select(OutboxMessage.state, OutboxMessage.updated_at)).all()
    return bool(rows) and all(state == "pending" and updated >= at for state, updated in rows)


def test_serve_rides_out_a_long_smtp_outage_and_tells_the_admins_once(
    db_url: str,
    faulty_smtp: FaultySmtp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
) -> None:
    """A running service, its mail server down for 135 minutes of moved clock (ten attempts
    per alert; the old code gave up after eight, 127 minutes): alerts wait, the admins'
    notice is kept as a file (it cannot go through the dead server) and one mail reaches
    them when the server is back; then every alert goes out once."""
    config = write_config(tmp_path / "config", ted_every=None, send_every=1)
    settings = smtp_settings(faulty_smtp, tmp_path, db_url, config)
    figures.queued = queue_alerts(db_url, [f"s{i}@example.com" for i in range(12)], NOW)
    faulty_smtp.stop()
    monkeypatch.setenv(CLOCK_ENV, clock_value(NOW))
    with RunningService(settings) as running:
        at = NOW
        for _ in range(9):  # 15-minute steps: the back-off cap, so every row is due at each
            at += outbox.BACKOFF_MAX
            monkeypatch.setenv(CLOCK_ENV, clock_value(at))
            eventually(lambda at=at: _retried_since(db_url, at), 30, f"a send run at {at:%H:%M}")
        assert running.thread.is_alive()  # and every row pending: _retried_since said so
        kept = list(settings.outbox_dir.glob("admin-*.eml"))
        assert len(kept) == 1 and b"cannot reach the mail server" in kept[0].read_bytes()

        faulty_smtp.start()
        monkeypatch.setenv(CLOCK_ENV, clock_value(at + outbox.BACKOFF_MAX))
        eventually(lambda: outbox_states(db_url) == {"sent": 12}, 60, "the outbox to drain")
        eventually(lambda: faulty_smtp.message_ids(admin=True), 30, "the admins' mail")
        assert running.thread.is_alive()
    admin = faulty_smtp.message_ids(admin=True)
    assert sum(admin.values()) == 1, admin
    [notice] = [m for m in faulty_smtp.messages if str(m["Message-ID"]).startswith("<admin-")]
    assert "resolved" in str(notice["Subject"]) and "mail server" in str(notice["Subject"])
    with session_scope(db_url) as session:
        problems = session.scalars(select(HealthProblem).where(HealthProblem.key == "mail-down")).all()
        assert [p.resolved_at is not None for p in problems] == [True]
    count_delivery(figures, faulty_smtp, db_url)
    assert (figures.delivered, figures.duplicated, figures.stuck, figures.failed) == (12, 0, 0, 0)
    figures.note = f"{(at - NOW) // MINUTE} min down, service running; 1 admin mail"


def _send_process(settings_env: dict[str, str], at: datetime, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env, CLOCK_ENV: clock_value(at)}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "alerts", "send"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_kill_9_mid_batch_repeated_resends_at_most_one_per_kill(
    db_url: str, faulty_smtp: FaultySmtp, tmp_path: Path, figures: Figures
) -> None:
    """``alerts send`` killed with SIGKILL three times while emails are going out; each later
    run (after the claim's lease) takes over. Every alert arrives; a repeat carries the same
    Message-ID, and there is at most one per kill."""
    figures.queued = queue_alerts(db_url, [f"k{i}@example.com" for i in range(12)], NOW)
    faulty_smtp.handler.delay = 0.25  # a batch takes seconds: time to kill it mid-way
    env = {
        "TENDERWATCH_DATABASE_URL": db_url,
        "TENDERWATCH_DATA_DIR": str(tmp_path / "var"),
        "TENDERWATCH_CONFIG_DIR": str(REPO_CONFIG),
        "TENDERWATCH_SMTP_HOST": "127.0.0.1",
        "TENDERWATCH_SMTP_PORT": str(faulty_smtp.port),
        "TENDERWATCH_SMTP_SECURITY": "none",
    }
    log = tmp_path / "send.log"
    kills = 0
    at = NOW
    for _ in range(3):
        before = len(faulty_smtp.messages)
        proc = _send_process(env, at, log)
        try:
            eventually(lambda b=before: len(faulty_smtp.messages) >= b + 2, 60, "two emails of the batch")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
        finally:
            if proc.poll() is None:
                proc.kill()
        at += outbox.LEASE + MINUTE  # the killed claim is presumed dead after its lease
    proc = _send_process(env, at, log)
    assert proc.wait(timeout=120) == 0, log.read_text()
    time.sleep(0.2)  # the server's last "250" was read before the process exited
    count_delivery(figures, faulty_smtp, db_url)
    assert figures.delivered == 12 and figures.stuck == 0 and figures.failed == 0
    assert figures.duplicated <= kills, faulty_smtp.message_ids()
    assert outbox_states(db_url) == {"sent": 12}
    figures.note = f"{kills} kills"
