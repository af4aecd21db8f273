"""A real SMTP server on loopback (aiosmtpd), settings pointing at it, and store helpers."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from db.record import NoticeRecord
from db.session import get_sessionmaker
from db.store import Store
from monitor.appconfig import load_file
from monitor.branches import BranchesConfig
from monitor.settings import Settings
from tests.db.records import raw

REPO = Path(__file__).resolve().parents[2]
HELD: dict[str, Any] = {
    "branches": load_file(REPO / "config" / "branches.yaml", BranchesConfig),
    "ted_site_url": "https://ted.europa.eu",
}
"""What the service would hold and pass to ``enqueue_pending``: the shipped branches."""


class _Collect:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message; can be stopped and started again."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.handler = _Collect()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_settings(smtp: SmtpSink, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        config_dir=REPO / "config",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",  # the loopback test server speaks plain SMTP
        smtp_timeout=5,
        mail_from="TenderWatch <alerts@tenderwatch.example.org>",
        public_url="https://tenderwatch.example.org",
        secret_key="test-secret",  # type: ignore[arg-type]
    )


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with get_sessionmaker(db_url)() as s:
        yield s
        s.rollback()


def ingest(session: Session, record: NoticeRecord, now: datetime, source: str = "ted") -> int:
    result = Store(session, clock=lambda: now).ingest(record, raw(record, source))
    session.commit()
    assert result.notice_pk is not None
    return result.notice_pk


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
