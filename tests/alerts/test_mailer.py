"""Mailer details: SMTP login, STARTTLS policy, digest moments, header safety, tokens."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from db.models.alerts import OutboxMessage, Subscriber
from monitor.alerts.digest import due_period
from monitor.alerts.mailer import ConnectionLost, SmtpTransport
from monitor.alerts.render import build_message, encode_words, header_safe, parse_message
from monitor.settings import Settings
from tests.alerts.conftest import _Collect


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _row() -> tuple[OutboxMessage, Subscriber]:
    row = OutboxMessage(
        id=7,
        subscriber_id=1,
        kind="new",
        procedure_key="p-1",
        ref="",
        payload={"notice": {"title": {"fin": "Äänentoisto"}}},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return row, Subscriber(id=1, email="a@example.com", name="Åke Öberg", language="sv")


def test_smtp_login_is_used_when_a_user_is_set(tmp_path: Path) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    handler, port = _Collect(), _port()
    # auth_require_tls=False: the test server has no certificate; production uses STARTTLS or TLS.
    ctl = Controller(handler, hostname="127.0.0.1", port=port, authenticator=check, auth_require_tls=False)
    ctl.start()
    try:
        good = Settings(
            data_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_user="tw",
            smtp_password="s3cret",
        )  # type: ignore[arg-type]
        transport = SmtpTransport(good)
        transport.open()
        row, sub = _row()
        transport.send(build_message(row, sub, good))
        transport.close()
        assert seen == [(b"tw", b"s3cret")] and len(handler.messages) == 1
        # aiosmtpd stalls after a refused login; a short timeout turns that into ConnectionLost fast.
        bad = good.model_copy(update={"smtp_password": SecretStr("wrong"), "smtp_timeout": 2.0})
        with pytest.raises(ConnectionLost):
            SmtpTransport(bad).open()
    finally:
        ctl.stop()


def test_starttls_is_required_except_on_loopback(tmp_path: Path) -> None:
    handler, port = _Collect(), _port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)  # offers no STARTTLS
    ctl.start()
    try:
        local = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls")
        t = SmtpTransport(local)
        t.open()  # loopback: mail never crosses a network, clear text is allowed
        t.close()
        from monitor.alerts import mailer

        assert mailer._is_loopback("localhost") and mailer._is_loopback("::1")
        assert not mailer._is_loopback("smtp.example.org") and not mailer._is_loopback("10.0.0.5")
    finally:
        ctl.stop()


def test_digest_moments_daily_and_weekly() -> None:
    sub = Subscriber(delivery="weekly", digest_weekday=0, digest_hour=7)
    # Wednesday 2026-01-07 12:00 Helsinki → last Monday 07:00 is the latest moment.
    period, moment = due_period(sub, datetime(2026, 1, 7, 10, 0, tzinfo=UTC))
    assert period == "weekly:2026-01-05" and moment.hour == 7
    period, _ = due_period(sub, datetime(2026, 1, 5, 4, 0, tzinfo=UTC))  # Monday 06:00: not yet
    assert period == "weekly:2025-12-29"
    sub.delivery = "daily"
    assert due_period(sub, datetime(2026, 1, 7, 4, 59, tzinfo=UTC))[0] == "daily:2026-01-06"
    assert due_period(sub, datetime(2026, 1, 7, 5, 0, tzinfo=UTC))[0] == "daily:2026-01-07"
    sub.delivery = "instant"
    assert due_period(sub, datetime(2026, 1, 7, tzinfo=UTC)) is None


def test_header_values_are_single_safe_lines() -> None:
    assert header_safe("a\r\nBcc: x@example.org\u2028b\tc") == "a Bcc: x@example.org b c"
    assert len(header_safe("x" * 500)) == 150
    import email.header

    text = "Hankinta: äöå € " * 12
    decoded = email.header.make_header(email.header.decode_header(encode_words(text)))
    assert str(decoded) == text
    row, sub = _row()
    msg = parse_message(build_message(row, sub, Settings(secret_key="k")))  # type: ignore[arg-type]
    assert str(msg["To"]) == "Åke Öberg <a@example.com>" and "Äänentoisto" in str(msg["Subject"])
    assert msg["Message-ID"] == parse_message(build_message(row, sub, Settings(secret_key="k")))["Message-ID"]
