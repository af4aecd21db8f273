"""The background service: notice-to-email latency and idle CPU and memory.

1. Latency: `tenderwatch serve` with a one-minute crawl and send schedule against the
   loopback TED; a notice is published there at T0; we time until its alert email lands in
   the outbox folder. Target: under 90 seconds.
2. Idle: the same service with the shipped schedules (TED hourly, sender every minute ...)
   and nothing new to fetch; CPU seconds used and resident memory over ``--idle-minutes``
   (default 10), sampled from /proc (the service and its crawl children).

    .venv/bin/python bench/bench_service.py [--idle-minutes 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import migrate  # noqa: E402
from db.record import Buyer  # noqa: E402
from db.session import session_scope  # noqa: E402
from monitor.demo.loopback import CorpusNotice, LoopbackSources, make_corpus  # noqa: E402
from monitor.demo.samples.builder import LotSpec, NoticeSpec  # noqa: E402
from monitor.subscribers import upsert  # noqa: E402
from monitor.subscribers.config import SubscriberSpec  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its reaped children (crawls), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_config(directory: Path, one_minute: bool) -> None:
    shutil.copytree(REPO / "config", directory)
    sources = yaml.safe_load((directory / "sources.yaml").read_text())
    sources["ted_packages"]["enabled"] = False
    sources["hilma"]["enabled"] = False
    sources["ted"]["download_delay"] = 0.2  # the loopback server needs no politeness
    if one_minute:
        sources["ted"]["schedule"] = {"cron": "* * * * *"}
    (directory / "sources.yaml").write_text(yaml.safe_dump(sources))
    service = yaml.safe_load((directory / "service.yaml").read_text())
    service["send_every_minutes"] = 1
    (directory / "service.yaml").write_text(yaml.safe_dump(service))


def serve(tmp: Path, fake: LoopbackSources, one_minute: bool) -> tuple[subprocess.Popen[bytes], Path]:
    config = tmp / "config"
    write_config(config, one_minute)
    db_url = f"sqlite:///{tmp / 'tw.sqlite'}"
    migrate.upgrade(db_url)
    with session_scope(db_url) as session:
        upsert(
            session,
            SubscriberSpec(
                email="bench@example.org",
                language="en",
                subscriptions=[{"name": "all", "countries": ["FIN"]}],
            ),
        )
    env = {
        **os.environ,
        "TENDERWATCH_DATABASE_URL": db_url,
        "TENDERWATCH_DATA_DIR": str(tmp / "var"),
        "TENDERWATCH_CONFIG_DIR": str(config),
        "TENDERWATCH_TED_API_URL": fake.url,
        "TENDERWATCH_TED_SITE_URL": fake.url,
    }
    log = tmp / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc, tmp / "var" / "outbox"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()


def latency() -> float:
    corpus = make_corpus(20, seed=3)
    with LoopbackSources(corpus) as fake, tempfile.TemporaryDirectory() as tmpdir:
        proc, outbox = serve(Path(tmpdir), fake, one_minute=True)
        try:
            # Let the first crawl take the existing corpus and its alerts go out.
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) == 0:
                time.sleep(1)
            time.sleep(70)  # a quiet minute, so the new notice meets the schedule at a random phase
            before = {p.name for p in outbox.glob("*.eml")}
            today = datetime.now(UTC).date()
            spec = NoticeSpec(
                notice_id=str(uuid.uuid4()),
                procedure_id=str(uuid.uuid4()),
                publication_number=f"{990001:08d}-{today.year}",
                publication_date=today,
                issue_date=today,
                title={"eng": "Bench: a brand-new call"},
                language="eng",
                buyers=[Buyer(name="Benchmarkin kaupunki", country="FIN", legal_type="la")],
                lots=[LotSpec(deadline=datetime.now(UTC) + timedelta(days=30), cpv_main="72000000")],
                cpv_main="72000000",
            )
            t0 = time.monotonic()
            fake.add_notices([CorpusNotice.from_spec(spec)])
            while time.monotonic() - t0 < 300:
                if {p.name for p in outbox.glob("*.eml")} - before:
                    return time.monotonic() - t0
                time.sleep(0.5)
            raise SystemExit("no alert email within 300 s")
        finally:
            stop(proc)


def idle(minutes: float) -> tuple[float, float, float]:
    with LoopbackSources(make_corpus(20, seed=3)) as fake, tempfile.TemporaryDirectory() as tmpdir:
        proc, _ = serve(Path(tmpdir), fake, one_minute=False)
        try:
            time.sleep(20)  # start-up (imports, migrations, first jobs) is not idling
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            peak = 0.0
            while time.monotonic() - t0 < minutes * 60:
                peak = max(peak, rss_mb(proc.pid))
                time.sleep(5)
            cpu = cpu_seconds(proc.pid) - cpu0
            elapsed = time.monotonic() - t0
            return cpu / elapsed * 100, peak, rss_mb(proc.pid)
        finally:
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle-minutes", type=float, default=10.0)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if not args.skip_latency:
        seconds = latency()
        print(f"notice at the source → alert email: {seconds:.1f} s (one-minute schedule; target < 90 s)")
    share, peak, last = idle(args.idle_minutes)
    print(
        f"idle over {args.idle_minutes:g} min: CPU {share:.2f} % of one core, "
        f"RSS peak {peak:.0f} MB, at end {last:.0f} MB"
    )


if __name__ == "__main__":
    main()
