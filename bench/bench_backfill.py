"""Backfill of one generated 3,000-notice TED daily package, end to end.

Download from the loopback server, stream the tar.gz, parse every notice, store, in a fresh
SQLite database, through the same child process the CLI and the service use. Two runs:

- ``realistic``: about 2 % of the notices are Finnish (a real TED day) and the configured
  country filter (FIN) keeps those; all 3,000 are parsed.
- ``store-all``: every notice is Finnish and stored (the store's worst case).

Prints wall seconds (child start to exit), the crawl process's CPU seconds (what an idle
machine would take: on a busy one wall time includes waiting for a core) and its peak RSS.
Targets (issue 3): under 15 s, under 300 MB.

    .venv/bin/python bench/bench_backfill.py [--notices 3000] [--only realistic|store-all]
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
from monitor.demo.loopback import LoopbackSources, make_corpus
from scrapers.runner import run_crawl

DAY = date(2026, 3, 4)
LEGACY = 50  # legacy TED_EXPORT notices in the package too (autumn 2023), parsed like the rest
SCENARIOS = {"realistic": (0.02, "FIN"), "store-all": (1.0, "ALL")}


def run(name: str, notices: int) -> bool:
    share, countries = SCENARIOS[name]
    corpus = make_corpus(notices, seed=2026, start=DAY, end=DAY, finnish_share=share)
    finnish = sum("FIN" in n.countries for n in corpus)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackSources(corpus, legacy_per_package=LEGACY, legacy_finnish_share=share, today=DAY) as fake,
    ):
        url = f"sqlite:///{tmp}/bench.sqlite"
        migrate.upgrade(url)
        begin = time.perf_counter()
        outcome = run_crawl(
            "ted_packages",
            db_url=url,
            args={"site_url": fake.url, "from_date": f"{DAY}", "to_date": f"{DAY}", "countries": countries},
            settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},  # our own loopback server
            log_path=Path(tmp) / "crawl.log",
            timeout=600,
        )
        seconds = time.perf_counter() - begin
        size_mb = sum(len(v) for v in fake._packages.values()) / 1e6
        legacy_finnish = sum(spec.country == "FI" for spec in fake.legacy_specs(DAY))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak_mb = after.ru_maxrss / 1024  # Linux reports KiB; the max over the crawls so far
    print(f"== {name}: {notices} notices in the package ({finnish} Finnish), countries={countries}")
    print(
        f"   crawl run {outcome.status} ({outcome.close_reason}): {outcome.requests} requests, "
        f"{outcome.seen} documents read, {outcome.new} stored, errors {outcome.errors or 'none'}"
    )
    print(
        f"   packages downloaded: {len(fake._packages)} ({size_mb:.1f} MB; with {LEGACY} legacy TED_EXPORT "
        f"notices each, {legacy_finnish} of them Finnish)"
    )
    print(f"   wall seconds, child start to exit:   {seconds:6.2f}   [target < 15]")
    print(f"   crawl process CPU seconds (user+sys): {cpu:6.2f}")
    print(f"   documents per wall second:          {outcome.seen / seconds:6.0f}")
    print(f"   peak RSS of the crawl process:      {peak_mb:6.0f} MB [target < 300]")
    stored = finnish + legacy_finnish
    return outcome.status == "finished" and outcome.new == stored and outcome.seen == notices + LEGACY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=3000)
    parser.add_argument("--only", choices=sorted(SCENARIOS))
    options = parser.parse_args()
    names = [options.only] if options.only else list(SCENARIOS)
    results = [run(name, options.notices) for name in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
