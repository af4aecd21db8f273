"""Backfill of legacy TED daily packages (TED_EXPORT, before eForms), end to end.

Through the real package spider, in the same child process the CLI and the service use, from
the loopback server into a fresh SQLite database. Packages are generated
(``monitor.demo.samples.legacy``: a TED day's mix of forms, ~2 % Finnish) and built ahead of the
crawl, so the figures are TenderWatch's: downloading real packages (~19 MB each from
ted.europa.eu) is left out, and the output says so.

``package``  one daily package of 3,000 legacy notices, twice: ``realistic`` (the FIN filter
             keeps ~2 %) and ``store-all`` (every notice Finnish and stored, the store's worst
             case). Targets: under 15 s wall, under 300 MB peak RSS.
``year``     Finnish notices from a run of daily packages (``--days`` issues of ``--notices``
             each, ~2 % Finnish): wall time per package, extrapolated to a year (250 issues) and
             to the legacy years 2017-01-01 … 2023-11-14 (~1,720 issues). Target: the legacy
             years for Finland in under 2 hours. A full year is 250 packages of ~45 MB each to
             generate; ``--days`` measures fewer and extrapolates (the output says by how much).

Prints wall seconds (child start to exit), the crawl process's CPU seconds and its peak RSS
(``VmHWM`` read from /proc, see :class:`PeakRss`).

    .venv/bin/python bench/bench_legacy_backfill.py [--only package|year] [--notices 3000] [--days 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import migrate
from monitor.demo.loopback import LoopbackSources, weekdays
from scrapers.runner import CrawlOutcome, run_crawl

FIRST_DAY = date(2021, 1, 4)
ISSUES_PER_YEAR = 250
LEGACY_ISSUES = 1720  # OJ S issues from 2017-01-01 to eForms' start (2023-11-14), about 250 a year
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}  # our own loopback server: no politeness owed


def _prefetch(fake: LoopbackSources, days: list[date], stop: threading.Event, ahead: int = 3) -> None:
    """Build packages a few days ahead of the crawl and drop served ones, so the crawl never
    waits for the fake server and memory stays bounded."""
    served: set[str] = set()
    for i, day in enumerate(days):
        while not stop.is_set():
            served = {r.path[-9:] for r in fake.requests_of("package")}
            done = sum(1 for d in days[:i] if f"{d.year}{_issue(d):05d}" in served)
            if i - done < ahead:
                break
            time.sleep(0.05)
        if stop.is_set():
            return
        fake.prepare_package(day)
        for old in days[: max(0, i - ahead)]:
            if f"{old.year}{_issue(old):05d}" in served:
                fake.release_package(old)


def _issue(day: date) -> int:
    return len(weekdays(date(day.year, 1, 1), day))


PREBUILD_LIMIT = 40
"""Up to this many packages (~10 MB each) are all built before the clock starts; a longer run
builds them a few ahead while it crawls, and where building is slower than crawling (a
3,000-notice package takes this process ~1.3 s) the crawl waits and the wall time says so."""


class PeakRss:
    """The crawl process's own peak RSS (``VmHWM``), read from /proc while it runs.

    Why not ``getrusage(RUSAGE_CHILDREN)``: a child's maximum there includes the moment between
    fork and exec, when it still maps this process, which holds the prebuilt packages, so it
    reports this process's size, not the crawl's."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak_kib / 1024

    def _watch(self) -> None:
        me = f"PPid:\t{os.getpid()}\n"
        while not self._stop.wait(0.1):
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                    cmdline = (status.parent / "cmdline").read_bytes()
                except OSError:
                    continue  # gone meanwhile
                if me in text and b"scrapers.crawl" in cmdline and "VmHWM:" in text:
                    self.peak_kib = max(self.peak_kib, int(text.split("VmHWM:")[1].split()[0]))


def _crawl(fake: LoopbackSources, days: list[date], countries: str, tmp: str) -> tuple[CrawlOutcome, float]:
    url = f"sqlite:///{tmp}/bench.sqlite"
    migrate.upgrade(url)
    stop = threading.Event()
    if len(days) <= PREBUILD_LIMIT:
        for day in days:
            fake.prepare_package(day)
    else:
        threading.Thread(target=_prefetch, args=(fake, days, stop), daemon=True).start()
        while len(fake._packages) < 2:  # the first packages are ready before the clock starts
            time.sleep(0.05)
    begin = time.perf_counter()
    try:
        outcome = run_crawl(
            "ted_packages",
            db_url=url,
            args={
                "site_url": fake.url,
                "from_date": f"{days[0]}",
                "to_date": f"{days[-1]}",
                "countries": countries,
            },
            settings=FAST,
            log_path=Path(tmp) / "crawl.log",
            timeout=24 * 3600,
        )
    finally:
        stop.set()
    return outcome, time.perf_counter() - begin


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def package(notices: int) -> bool:
    ok = True
    for name, share, countries in (("realistic", 0.02, "FIN"), ("store-all", 1.0, "ALL")):
        day = FIRST_DAY
        cpu_before = _cpu()
        with (
            tempfile.TemporaryDirectory() as tmp,
            LoopbackSources([], legacy_per_package=notices, legacy_finnish_share=share, today=day) as fake,
            PeakRss() as rss,
        ):
            finnish = sum(spec.country == "FI" for spec in fake.legacy_specs(day))
            outcome, seconds = _crawl(fake, [day], countries, tmp)
            size_mb = sum(len(v) for v in fake._packages.values()) / 1e6
        cpu_after, peak_mb = _cpu(), rss.mb
        expected = notices if countries == "ALL" else finnish
        print(f"== package/{name}: one legacy daily package, {notices} notices ({finnish} Finnish)")
        print(
            f"   countries={countries}; crawl run {outcome.status} ({outcome.close_reason}): "
            f"{outcome.seen} read, {outcome.new} stored, errors {outcome.errors or 'none'}"
        )
        print(f"   package {size_mb:.1f} MB, served by the loopback (download time not measured)")
        print(f"   wall seconds, child start to exit:   {seconds:6.2f}   [target < 15]")
        print(f"   crawl process CPU seconds (user+sys): {cpu_after - cpu_before:6.2f}")
        print(f"   peak RSS of the crawl process:      {peak_mb:6.0f} MB [target < 300]")
        ok &= outcome.status == "finished" and outcome.new == expected and seconds < 15 and peak_mb < 300
    return ok


def year(notices: int, days_count: int) -> bool:
    days = weekdays(FIRST_DAY, FIRST_DAY + timedelta(days=400))[:days_count]
    cpu_before = _cpu()
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackSources([], legacy_per_package=notices, legacy_finnish_share=0.02, today=days[-1]) as fake,
        PeakRss() as rss,
    ):
        finnish = sum(spec.country == "FI" for d in days for spec in fake.legacy_specs(d))
        outcome, seconds = _crawl(fake, days, "FIN", tmp)
    cpu_after, peak_mb = _cpu(), rss.mb
    cpu = cpu_after - cpu_before
    per_package = seconds / len(days)
    year_s = per_package * ISSUES_PER_YEAR
    legacy_h = per_package * LEGACY_ISSUES / 3600
    legacy_cpu_h = cpu / len(days) * LEGACY_ISSUES / 3600
    print(
        f"== year: {len(days)} legacy daily packages of {notices} notices ({finnish} Finnish), countries=FIN"
    )
    print(
        f"   crawl run {outcome.status} ({outcome.close_reason}): {outcome.seen} read, {outcome.new} stored, "
        f"errors {outcome.errors or 'none'}"
    )
    print(f"   wall seconds, child start to exit:   {seconds:8.1f}  ({per_package:.2f} s per package)")
    print(f"   crawl process CPU seconds (user+sys): {cpu:8.1f}  ({cpu / len(days):.2f} s per package)")
    print(f"   peak RSS of the crawl process:      {peak_mb:8.0f} MB")
    scale = "measured" if len(days) >= ISSUES_PER_YEAR else f"extrapolated from {len(days)} packages"
    print(f"   one year ({ISSUES_PER_YEAR} packages), {scale}: {year_s / 60:6.1f} min wall")
    print(f"   2017-01-01 … 2023-11-14 ({LEGACY_ISSUES} packages), extrapolated:")
    print(f"      {legacy_h:5.2f} h wall, {legacy_cpu_h:5.2f} h of crawl CPU  [target < 2 h]")
    print("   (without the download of real packages: ~19 MB each, about 33 GB for the legacy years)")
    return outcome.status == "finished" and outcome.new == finnish and legacy_h < 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("package", "year"))
    parser.add_argument("--notices", type=int, default=3000, help="legacy notices per package")
    parser.add_argument("--days", type=int, default=20, help="packages in the year run (250 for a year)")
    options = parser.parse_args()
    results = []
    if options.only in (None, "package"):
        results.append(package(options.notices))
    if options.only in (None, "year"):
        results.append(year(options.notices, options.days))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
