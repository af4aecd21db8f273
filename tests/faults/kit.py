"""What the source and concurrency fault scenarios share: a loopback TED and HILMA, a real SMTP
server, a config with second-scale schedules, ``tenderwatch`` in child processes, and the counts
every scenario ends with.

Not a ``conftest.py``: the scenarios import what they use, so the fault suites of other areas
can live beside these without sharing fixtures by accident.
"""

from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from db.models.alerts import OutboxMessage
from db.models.failures import DocumentFailure
from db.models.notices import Notice
from db.models.runs import CrawlRun
from db.session import session_scope
from monitor.demo.loopback import CorpusNotice, LoopbackSources
from monitor.demo.samples.builder import random_spec
from monitor.settings import Settings
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import SmtpSink
from tests.service.conftest import write_config

HILMA_KEY = "loopback-key"
CLI_TIMEOUT = 900  # seconds; a loaded machine (CI beside other jobs) is slow, not broken


def sources_config(directory: Path, **sections: dict[str, Any]) -> Path:
    """The shipped config with TED and HILMA on second-scale schedules, no politeness delay
    (our own loopback server) and the given sections' keys on top."""
    ted = {
        "enabled": True,
        "schedule": {"every_seconds": 3},
        "countries": ["FIN"],
        "download_delay": 0,  # the loopback server: no politeness delay owed
        "start_days_back": 5,
    }
    hilma = {
        "enabled": True,
        "schedule": {"every_seconds": 3},
        "download_delay": 0,
        "start_days_back": 5,
    }
    ted.update(sections.pop("ted", {}))
    hilma.update(sections.pop("hilma", {}))
    return write_config(directory, ted=ted, hilma=hilma, **sections)


def settings_for(
    tmp_path: Path, db_url: str, fake: LoopbackSources, smtp: SmtpSink, config: Path
) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=db_url,
        config_dir=config,
        ted_api_url=fake.url,
        ted_site_url=fake.url,
        hilma_api_url=fake.url,
        hilma_subscription_key=HILMA_KEY,  # type: ignore[arg-type]  # pydantic makes it a SecretStr
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",  # the loopback SMTP server speaks plain SMTP
        smtp_timeout=10,
    )


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment a ``tenderwatch`` child process gets its settings from."""
    key = settings.hilma_subscription_key
    return {
        **os.environ,
        "TENDERWATCH_DATABASE_URL": settings.db_url,
        "TENDERWATCH_DATA_DIR": str(settings.data_dir),
        "TENDERWATCH_CONFIG_DIR": str(settings.config_dir),
        "TENDERWATCH_TED_API_URL": settings.ted_api_url,
        "TENDERWATCH_TED_SITE_URL": settings.ted_site_url,
        "TENDERWATCH_HILMA_API_URL": settings.hilma_api_url,
        "TENDERWATCH_HILMA_SUBSCRIPTION_KEY": key.get_secret_value() if key else "",
        "TENDERWATCH_SMTP_HOST": settings.smtp_host or "",
        "TENDERWATCH_SMTP_PORT": str(settings.smtp_port),
        "TENDERWATCH_SMTP_SECURITY": settings.smtp_security,
    }


def start_cli(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *args],
        env=cli_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def open_calls(seed: int, days: list[date], now: datetime, first_number: int) -> list[CorpusNotice]:
    """One new Finnish call per entry of ``days`` (published that day), open for a month: each
    one is news to a subscriber of everything Finnish, so each is exactly one alert."""
    rng = random.Random(seed)
    out = []
    for i, day in enumerate(days):
        spec = random_spec(rng, subtype="16")
        spec = dataclasses.replace(
            spec,
            publication_number=f"{first_number + i:08d}-{day.year}",
            publication_date=day,
            buyers=[dataclasses.replace(b, country="FIN") for b in spec.buyers],
            lots=[dataclasses.replace(lot, deadline=now + timedelta(days=30)) for lot in spec.lots],
        )
        out.append(CorpusNotice.from_spec(spec))
    return out


def subscribe_everyone(db_url: str) -> None:
    """One instant subscriber for every Finnish notice: each stored call is one alert."""
    spec = SubscriberSpec(
        email="all@example.org",
        name="Everything in Finland",
        language="en",
        subscriptions=[{"name": "all", "countries": ["FIN"]}],
    )
    with session_scope(db_url) as session:
        upsert(session, spec)


@dataclass(frozen=True)
class Tally:
    """What a scenario ends with, counted in the database and at the SMTP server."""

    queued: int
    """Outbox rows that are emails of their own (not held for a digest)."""
    sent: int
    delivered: int
    """Messages the SMTP server received."""
    distinct: int
    """Distinct Message-IDs among them."""
    duplicated: int
    """Message-IDs received more than once."""
    stuck: dict[str, int]
    """Outbox rows still pending, sending or failed; crawl runs still running."""
    notices: int
    failed_documents: int

    @property
    def exactly_once(self) -> bool:
        return self.queued == self.sent == self.delivered == self.distinct and self.duplicated == 0


def tally(db_url: str, smtp: SmtpSink) -> Tally:
    with session_scope(db_url) as session:
        states = dict(
            session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
        )
        running = session.scalar(
            select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")
        )
        notices = session.scalar(select(func.count()).select_from(Notice)) or 0
        failures = session.scalar(select(func.count()).select_from(DocumentFailure)) or 0
    ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
    stuck = {state: states.get(state, 0) for state in ("pending", "sending", "failed")}
    stuck["crawl runs running"] = running or 0
    return Tally(
        queued=sum(n for state, n in states.items() if state not in ("held", "digested")),
        sent=states.get("sent", 0),
        delivered=sum(ids.values()),
        distinct=len(ids),
        duplicated=sum(1 for n in ids.values() if n > 1),
        stuck=stuck,
        notices=notices,
        failed_documents=failures,
    )
