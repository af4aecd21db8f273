"""The fault suite's tools: an SMTP server that can refuse or stall, alerts to queue, figures.

Every scenario injects a fault against the real components (a real SMTP server on loopback,
real ``serve`` processes, SQLite and PostgreSQL) and judges the outcome by counting: each
queued alert delivered exactly once by Message-ID at the server, nothing stuck, the service
still running. The figures of each scenario are printed at the end of the run.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.alerts import OutboxMessage
from db.session import get_sessionmaker, session_scope
from monitor.alerts.enqueue import enqueue_pending
from monitor.settings import Settings
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import HELD, SmtpSink, _Collect, ingest
from tests.db.records import call

IT = {"name": "IT", "cpv": ["72000000"]}


class FaultyHandler(_Collect):
    """Collects like the plain sink, and can refuse recipients at RCPT or DATA, or stall."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse_rcpt: dict[str, str] = {}
        """address → reply, e.g. ``"450 4.2.1 Mailbox busy"`` or ``"550 5.1.1 No such user"``."""
        self.refuse_data: dict[str, str] = {}
        """address → reply to the message's DATA (a 4xx there used to fail the whole batch)."""
        self.delay = 0.0
        """Seconds to wait before accepting each message (to kill a sender mid-batch)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        for address in envelope.rcpt_tos:
            if address in self.refuse_data:
                return self.refuse_data[address]
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


class FaultySmtp(SmtpSink):
    def __init__(self) -> None:
        super().__init__()
        self.handler = FaultyHandler()

    def message_ids(self, *, admin: bool = False) -> Counter[str]:
        """How often each Message-ID arrived: alert emails, or with ``admin`` the admins' mail."""
        ids = [str(m["Message-ID"]) for m in self.messages]
        return Counter(i for i in ids if i.startswith("<admin-") == admin)


@pytest.fixture
def faulty_smtp() -> Iterator[FaultySmtp]:
    sink = FaultySmtp()
    sink.start()
    yield sink
    sink.stop()


def smtp_settings(sink: SmtpSink, tmp_path: Path, db_url: str, config_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=db_url,
        config_dir=config_dir,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",  # the loopback test server speaks plain SMTP
        smtp_timeout=5,
        mail_from="TenderWatch <alerts@tenderwatch.example.org>",
        public_url="https://tenderwatch.example.org",
        secret_key="test-secret",  # type: ignore[arg-type]
    )


def queue_alerts(db_url: str, emails: list[str], now: datetime, **call_args: Any) -> int:
    """One subscriber per address, each watching IT; one matching call; returns rows queued."""
    with session_scope(db_url) as session:
        for email in emails:
            upsert(session, SubscriberSpec(email=email, name=email.split("@")[0], subscriptions=[IT]))
    with get_sessionmaker(db_url)() as session:
        record = call(deadline=now + timedelta(days=30), **call_args)
        ingest(session, record, now)  # commits
        stats = enqueue_pending(session, now, **HELD)
        session.commit()
    return stats.new


def outbox_states(db_url: str) -> Counter[str]:
    with session_scope(db_url) as session:
        rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
        return Counter({state: n for state, n in rows})


@dataclasses.dataclass
class Figures:
    scenario: str
    database: str
    queued: int = 0
    delivered: int = 0
    """Distinct Message-IDs of queued alerts that reached the server."""
    duplicated: int = 0
    """Copies beyond the first of a Message-ID (a resend after kill -9 is allowed, one per kill)."""
    failed: int = 0
    """Rows that ended ``failed`` (permanent refusals the scenario asked for)."""
    stuck: int = 0
    """Rows left ``pending`` or ``sending`` once the fault cleared and the sender ran."""
    note: str = ""
    mail: bool = True
    """False for scenarios that count no alerts (config edits): their columns show "-"."""


_FIGURES: list[Figures] = []


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """This scenario's figures; printed in the run's summary (the issue asks for them)."""
    callspec = getattr(request.node, "callspec", None)
    database = str(callspec.params.get("db_url", "")) if callspec else ""
    fig = Figures(scenario=request.node.originalname, database=database or "sqlite")
    yield fig
    _FIGURES.append(fig)


def count_delivery(fig: Figures, sink: FaultySmtp, db_url: str) -> None:
    """Fill in the counted figures from the server's Message-IDs and the outbox."""
    ids = sink.message_ids()
    fig.delivered = len(ids)
    fig.duplicated = sum(n - 1 for n in ids.values())
    states = outbox_states(db_url)
    fig.failed = states["failed"]
    fig.stuck = states["pending"] + states["sending"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("fault suite figures")
    terminalreporter.write_line(
        f"{'scenario':<66} {'db':<10} {'queued':>6} {'deliv.':>6} {'dup.':>4} {'failed':>6} {'stuck':>5}"
    )
    for f in sorted(_FIGURES, key=lambda f: (f.scenario, f.database)):
        counts = (f.queued, f.delivered, f.duplicated, f.failed, f.stuck) if f.mail else ("-",) * 5
        q, d, dup, failed, stuck = counts
        terminalreporter.write_line(
            f"{f.scenario:<66} {f.database:<10} {q:>6} {d:>6} {dup:>4} {failed:>6} {stuck:>5}  {f.note}"
        )
