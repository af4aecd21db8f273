"""Two full cycles at once on PostgreSQL (issue #13, point 3).

Two ``tenderwatch run --once`` processes start together against one PostgreSQL database, the
loopback TED and HILMA, and a real SMTP server; then again after each round publishes new
notices. Before the fix one of them exited 1 with a UniqueViolation in
``notice_classifications`` (check, then insert). Counted at the end of every round: both exit
0, every alert queued is delivered exactly once (by Message-ID at the server), no outbox row
is left pending, sending or failed, no crawl run is left running.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.demo.loopback import LoopbackSources, make_corpus
from tests.alerts.conftest import SmtpSink
from tests.faults.kit import (
    CLI_TIMEOUT,
    open_calls,
    settings_for,
    sources_config,
    start_cli,
    subscribe_everyone,
    tally,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ROUNDS = 3


def test_two_cycles_at_once_deliver_every_alert_exactly_once(
    pg_url: str, tmp_path: Path, today: date, now: datetime
) -> None:
    corpus = make_corpus(40, seed=21, start=today - timedelta(days=4), end=today)
    smtp = SmtpSink()
    smtp.start()
    try:
        with LoopbackSources(corpus) as fake:
            config = sources_config(tmp_path / "config")
            settings = settings_for(tmp_path, pg_url, fake, smtp, config)
            subscribe_everyone(pg_url)
            figures = []
            for round_ in range(ROUNDS):
                fake.add_notices(open_calls(round_, [today] * 12, now, 900000 + 100 * round_))
                logs = [tmp_path / f"round{round_}-{i}.log" for i in range(2)]
                procs = [start_cli(settings, log, "run", "--once") for log in logs]
                codes = [p.wait(timeout=CLI_TIMEOUT) for p in procs]
                assert codes == [0, 0], "\n".join(log.read_text()[-3000:] for log in logs)
                counted = tally(pg_url, smtp)
                figures.append(counted)
                assert counted.exactly_once, counted
                assert all(n == 0 for n in counted.stuck.values()), counted.stuck
            # Every round brought new alerts (its twelve calls at least), none sent twice.
            assert figures[0].sent >= 12 and all(
                b.sent - a.sent >= 12 for a, b in itertools.pairwise(figures)
            )
            print(f"two concurrent cycles x {ROUNDS}: {figures}")  # the figures, for the report
    finally:
        smtp.stop()
