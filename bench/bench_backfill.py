"""Backfill of one generated 3,000-notice TED daily package, end to end.

Download from the loopback server, stream the tar.gz, parse every notice, store it (all
countries, so all 3,000 reach the store) in a fresh SQLite database, through the real child
process the CLI and the service use. Prints wall seconds (child start to exit), notices per
second and the crawl process's peak RSS. Targets (issue 3): under 15 s, under 300 MB.

    .venv/bin/python bench/bench_backfill.py [--notices 3000] [--countries ALL]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import migrate
from scrapers.loopback import LoopbackSources, make_corpus
from scrapers.runner import run_crawl

DAY = date(2026, 3, 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=3000)
    parser.add_argument("--countries", default="ALL")
    options = parser.parse_args()

    started = time.perf_counter()
    corpus = make_corpus(options.notices, seed=2026, start=DAY, end=DAY)
    print(f"generated {len(corpus)} notices in {time.perf_counter() - started:.1f} s (not timed below)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackSources(corpus, legacy_per_package=50, today=DAY) as fake,
    ):
        url = f"sqlite:///{tmp}/bench.sqlite"
        migrate.upgrade(url)
        begin = time.perf_counter()
        outcome = run_crawl(
            "ted_packages",
            db_url=url,
            args={
                "site_url": fake.url,
                "from_date": DAY.isoformat(),
                "to_date": DAY.isoformat(),
                "countries": options.countries,
            },
            settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},  # our own loopback server
            log_path=Path(tmp) / "crawl.log",
            timeout=600,
        )
        seconds = time.perf_counter() - begin
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024  # Linux: KiB
        cpu = usage.ru_utime + usage.ru_stime
        package = fake._packages  # the bytes served, for the record
        size_mb = sum(len(v) for v in package.values()) / 1e6
    print(
        f"crawl run: {outcome.status} ({outcome.close_reason}), {outcome.requests} requests, "
        f"{outcome.seen} documents parsed, {outcome.new} notices stored, errors {outcome.errors or 'none'}"
    )
    print(f"packages served: {len(package)} ({size_mb:.1f} MB compressed, each with 50 TED_EXPORT files)")
    print(f"backfill seconds (end to end, child process start to exit): {seconds:.2f}  [target < 15]")
    print(f"crawl process CPU seconds (user+sys; wall minus waiting for a busy machine): {cpu:.2f}")
    print(f"notices stored per second (wall): {outcome.new / seconds:.0f}")
    print(f"peak RSS of the crawl process: {peak_mb:.0f} MB  [target < 300]")
    ok = outcome.status == "finished" and outcome.new == len(corpus) if options.countries == "ALL" else True
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
