"""SMTP delivery: 2,000 alert emails from the outbox to an SMTP server on loopback.

Sets up a fresh SQLite database (or ``--db-url``, e.g. PostgreSQL), 200 subscribers and
2,000 ``new`` outbox rows (10 per subscriber, realistic payloads with why-matched reasons),
starts an aiosmtpd server on 127.0.0.1 in a child process (the server's work is not ours to
time, and in our process it would fight the sender for the GIL) that counts what it
receives and the distinct Message-IDs, and times
``send_pending``: claim in batches, render (Jinja2, HTML + text), one SMTP connection per
batch, mark each row sent in its own commit. Target: 100 emails/s or more. Wall time counts
the machine's other load too, so the sender's CPU time is printed beside it.

Usage: .venv/bin/python bench/bench_smtp.py [--emails 2000] [--batch 50] [--db-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from db import migrate
from db.models.alerts import Subscriber
from db.session import get_sessionmaker
from monitor.alerts import outbox
from monitor.alerts.payload import match_payload
from monitor.alerts.sender import send_pending
from monitor.demo.samples.builder import expected_record, generate_specs
from monitor.matching import build_facts
from monitor.matching.index import Match
from monitor.settings import Settings

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class Count:
    def __init__(self, received, ids) -> None:  # type: ignore[no-untyped-def]
        self.received = received
        self.ids = ids

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"message-id:"):
                self.ids.put(line.decode())
                break
        with self.received.get_lock():
            self.received.value += 1
        return "250 OK"


def serve(port: int, received, ids, stop) -> None:  # type: ignore[no-untyped-def]
    controller = Controller(Count(received, ids), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emails", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--db-url", default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-smtp-"))
    url = args.db_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    migrate.upgrade(url)
    per_subscriber = 10
    records = [expected_record(s) for s in generate_specs(per_subscriber, seed=3)]
    with get_sessionmaker(url)() as session:
        subs = [
            Subscriber(
                email=f"buyer{i}@example.com", name=f"Yritys {i} Oy", language=("fi", "sv", "en")[i % 3]
            )
            for i in range(args.emails // per_subscriber)
        ]
        session.add_all(subs)
        session.flush()
        for sub in subs:
            for j, rec in enumerate(records):
                facts = build_facts(rec, innovation="possible")
                m = Match(
                    sub.id, sub.id, "IT", [{"filter": "cpv", "subscribed": "72000000", "notice": "72212000"}]
                )
                outbox.enqueue(
                    session,
                    subscriber_id=sub.id,
                    kind="new",
                    procedure_key=f"p{j}",
                    now=NOW,
                    payload=match_payload(facts, [m], [{"label": "TED", "url": "https://ted.europa.eu/x"}]),
                )
        session.commit()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    received, ids, stop = mp.Value("i", 0), mp.Queue(), mp.Event()
    server = mp.Process(target=serve, args=(port, received, ids, stop), daemon=True)
    server.start()
    _wait_for(port)
    settings = Settings(
        data_dir=tmp,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_from="TenderWatch <alerts@example.org>",
    )
    try:
        t0 = time.perf_counter()
        c0 = time.process_time()
        stats = send_pending(url, settings, now=NOW, batch_size=args.batch)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
    finally:
        time.sleep(0.5)
        stop.set()
        server.join(10)
    distinct = set()
    while not ids.empty():
        distinct.add(ids.get())
    n = received.value
    assert stats.sent == n == len(distinct), (stats, n, len(distinct))
    print(f"database: {url.split(':')[0]}, batch {args.batch}, {stats.batches} SMTP connections")
    print(
        f"sent {stats.sent} emails in {wall:.2f} s wall = {stats.sent / wall:,.0f} emails/s "
        f"(CPU of the sender: {cpu:.2f} s = {cpu / stats.sent * 1000:.1f} ms per email, "
        f"{stats.sent / cpu:,.0f} emails per CPU-second)"
    )
    print(
        f"server received {n} messages, {len(distinct)} distinct Message-IDs; "
        f"target 100 emails/s: {'met' if stats.sent / wall >= 100 else 'NOT met'}"
    )


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP server did not start")


if __name__ == "__main__":
    main()
