"""`tenderwatch demo` end to end: loopback TED → spider → store → classify → match → mail."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.settings import get_settings
from tests.alerts.conftest import SmtpSink


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def _demo(env: dict[str, str]) -> str:
    get_settings.cache_clear()
    try:
        result = CliRunner(env=env).invoke(cli, ["demo"], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_writes_alerts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "var"
    env = {"TENDERWATCH_DATA_DIR": str(data), "TENDERWATCH_DATABASE_URL": f"sqlite:///{data / 'tw.sqlite'}"}
    monkeypatch.delenv("TENDERWATCH_SMTP_HOST", raising=False)
    first = _demo(env)
    emails = sorted((data / "outbox").glob("*.eml"))
    assert emails, first
    assert "store: 10 notice versions" in first  # the Stockholm sample is filtered out by country
    assert f"{len(emails)} emails sent" in first
    innovative = int(first.split("innovation: ")[1].split(" innovative")[0])
    assert innovative >= 2
    # Every email is a real multipart message with both parts and one-click unsubscribe.
    for path in emails:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["List-Unsubscribe"] and msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
    second = _demo(env)
    assert sorted((data / "outbox").glob("*.eml")) == emails
    assert "0 emails sent" in second and "0 new" in second


def test_demo_over_smtp_delivers_each_alert_once(tmp_path: Path, smtp_server: SmtpSink) -> None:
    data = tmp_path / "var"
    env = {
        "TENDERWATCH_DATA_DIR": str(data),
        "TENDERWATCH_DATABASE_URL": f"sqlite:///{data / 'tw.sqlite'}",
        "TENDERWATCH_SMTP_HOST": "127.0.0.1",
        "TENDERWATCH_SMTP_PORT": str(smtp_server.port),
        "TENDERWATCH_SMTP_SECURITY": "none",
    }
    _demo(env)
    received = list(smtp_server.messages)
    assert received
    ids = [m["Message-ID"] for m in received]
    assert len(ids) == len(set(ids))
    assert all(m["List-Unsubscribe"] for m in received)
    assert not (data / "outbox").exists() or not list((data / "outbox").glob("*.eml"))
    second = _demo(env)
    assert len(smtp_server.messages) == len(received), second
