"""TED daily packages: a day's whole OJ S issue as one tar.gz, for backfills and completeness."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import scrapy
from dateutil.easter import easter
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from db.clock import utcnow
from scrapers.items import DocumentItem, WatermarkItem
from scrapers.parsers import sniff_kind
from scrapers.spiders.base import SpiderArgumentError, TenderSpider, normalize_publication_number, parse_list

_MEMBER_DAY = re.compile(r"(?<!\d)(\d{8})_(\d{1,5})(?:/|\.tar|$)")
_MEMBER_NUMBER = re.compile(r"(\d{1,10})[_-](\d{4})\.xml$")
MAX_404_BACK = 10  # consecutive missing issues tolerated while looking backwards for the window


def no_issue_days(year: int) -> set[date]:
    """Weekdays without an OJ S issue, as far as we know: EU institutions' main holidays.

    Only a first guess for :func:`estimate_issue`; the spider corrects itself from each
    package's own date, so a wrong guess costs a request, never a wrong day.
    """
    e = easter(year)
    return {
        date(year, 1, 1),
        e - timedelta(days=2),
        e + timedelta(days=1),
        date(year, 5, 1),
        e + timedelta(days=39),
        e + timedelta(days=50),
        date(year, 12, 25),
        date(year, 12, 26),
    }


def estimate_issue(day: date) -> int:
    """The OJ S issue number probably published on ``day`` (or the last one before it).

    The daily package URL names the issue number, not the date (docs/ted.md#issue-numbers).

    >>> estimate_issue(date(2026, 7, 17))  # 20260717_136.tar.gz
    136
    """
    holidays = no_issue_days(day.year)
    cursor, count = date(day.year, 1, 1), 0
    while cursor <= day:
        if cursor.weekday() < 5 and cursor not in holidays:
            count += 1
        cursor += timedelta(days=1)
    return max(1, count)


def package_day(name: str) -> date | None:
    """The publication day named by a package's file or first member (``20260717_136/…``).

    >>> package_day('attachment; filename="20260717_136.tar.gz"'), package_day("20260717_136")
    (datetime.date(2026, 7, 17), datetime.date(2026, 7, 17))
    """
    match = _MEMBER_DAY.search(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def member_publication_number(name: str) -> str | None:
    """``20260717_136/00497150_2026.xml`` → ``497150-2026``."""
    match = _MEMBER_NUMBER.search(name)
    return normalize_publication_number(f"{match.group(1)}-{match.group(2)}") if match else None


def issue_key(year: int, number: int) -> str:
    """The package key in URLs and in the store's finished-package marks: ``{yyyy}{nnnnn}``."""
    return f"{year}{number:05d}"


class TedPackagesSpider(TenderSpider):
    """
    Domain
      TED daily packages: every notice of one OJ S issue as one tar.gz (~1.8–3.7k notices).
    Bulk download documentation
      https://ted.europa.eu/en/help/data-reuse; URL form ``/packages/daily/{yyyy}{nnnnn}``
      (issue number padded to 5 digits) and package layout: docs/ted.md#daily-packages.
    How it works
      The URL names the issue number, not the date, so the spider guesses the issue of the
      window's first day (weekdays minus EU holidays), downloads it, reads the package's own
      date from its first member (``20260717_136/``) and walks forwards (or backwards, when the
      guess overshot) until it leaves the window or meets a 404 (not yet published). Each
      package is read as a stream (never unpacked to disk); each file becomes one item, eForms
      and legacy TED XML alike (packages before November 2023 are all ``TED_EXPORT``), and is
      counted by kind (``tenderwatch/package_kinds/eforms``, ``…/ted-export``). Packages hold
      all of Europe: notices are stored only for ``countries``, in either format.
    Resumable
      A package processed to the end is marked in the store (watermark key
      ``ted_packages:{yyyy}{nnnnn}`` = its day) and never downloaded again; its known day
      also steers the walk without a request.
    Spider arguments
      from_date, to_date: YYYY-MM-DD (default: the last ``start_days_back`` days up to today).
      countries: comma-separated alpha-3 buyer countries or ``ALL`` (default FIN).
      site_url: base URL (tests: the loopback server).
    """

    name = "ted_packages"
    source_name = "ted"  # the same notices as the Search API: one store key, no second download
    custom_settings: ClassVar[dict[str, Any]] = {  # type: ignore[misc]  # Scrapy reads it off the class
        "DOWNLOAD_TIMEOUT": 600,  # a ~19 MB package on a slow link takes minutes, not seconds
        "CONCURRENT_ITEMS": 50,  # items hold whole XML documents; keep fewer of them in flight
    }

    def __init__(
        self, *args: Any, countries: str | None = None, site_url: str = "https://ted.europa.eu", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        chosen = [c.upper() for c in parse_list(countries, ["FIN"])]
        for c in chosen:
            if c != "ALL" and (len(c) != 3 or not c.isalpha()):
                raise SpiderArgumentError(f"countries: {c!r} is not an ISO alpha-3 code such as FIN")
        self.countries: frozenset[str] | None = None if "ALL" in chosen else frozenset(chosen)
        self.site_url = site_url.rstrip("/")
        self.days_done = 0
        self.days_total = 0
        self.finished: dict[str, date] = {}
        self.first: date | None = None
        self.last: date | None = None
        self.missing_back = 0

    def progress(self) -> dict[str, Any]:
        return {"days_done": self.days_done, "days_total": self.days_total}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        now = utcnow()
        self.first, self.last = self.window_start(now).date(), self.window_end(now).date()
        self.days_total = sum(
            1
            for i in range((self.last - self.first).days + 1)
            if (self.first + timedelta(days=i)).weekday() < 5
        )
        for year in range(self.first.year, self.last.year + 1):
            self.load_finished(year)
            begin = max(self.first, date(year, 1, 1))
            for request in self.walk(year, estimate_issue(begin), "start"):
                yield request

    def load_finished(self, year: int) -> None:
        """Read the finished-package marks of one year (one query per candidate issue)."""
        if not self.db_url:
            return
        with self.store() as store:
            for number in range(1, 300):
                key = issue_key(year, number)
                mark = store.get_watermark(f"{self.name}:{key}")
                if mark is not None:
                    self.finished[key] = mark.date()

    def in_window(self, day: date) -> bool:
        assert self.first is not None and self.last is not None
        return self.first <= day <= self.last

    def walk(self, year: int, number: int, direction: str) -> Iterator[scrapy.Request]:
        """Requests for issue ``number`` and, through known finished issues, its neighbours.

        ``direction`` is ``start`` (the first guess: may go both ways), ``forward`` or
        ``backward``. A finished issue's day is known, so the walk steps past it without a request.
        """
        todo = [(number, direction)]
        while todo:
            number, direction = todo.pop()
            if number < 1:
                continue
            key = issue_key(year, number)
            day = self.finished.get(key)
            if day is None:
                yield scrapy.Request(
                    f"{self.site_url}/packages/daily/{key}",
                    callback=self.parse_package,
                    errback=self.on_package_error,
                    cb_kwargs={"year": year, "number": number, "direction": direction},
                    meta={"handle_httpstatus_list": [404]},
                )
                continue
            if self.in_window(day):
                self.days_done += 1
            todo.extend(self.next_steps(number, day, direction))

    def next_steps(self, number: int, day: date, direction: str) -> list[tuple[int, str]]:
        """Where to look after learning that issue ``number`` is ``day``."""
        assert self.first is not None and self.last is not None
        steps = []
        if direction in ("start", "forward") and day <= self.last:
            steps.append((number + 1, "forward"))
        if direction in ("start", "backward") and day > self.first:
            steps.append((number - 1, "backward"))
        return steps

    def parse_package(self, response: Response, year: int, number: int, direction: str) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        if response.status == 404:
            stats.inc_value("tenderwatch/packages_missing")
            if direction != "forward" and self.missing_back < MAX_404_BACK:
                self.missing_back += 1
                yield from self.walk(year, number - 1, "backward")
            return
        stats.inc_value("tenderwatch/packages_downloaded")
        disposition = (response.headers.get(b"Content-Disposition") or b"").decode("latin-1")
        day = package_day(disposition)
        key = issue_key(year, number)
        items = 0
        try:
            with tarfile.open(fileobj=io.BytesIO(response.body), mode="r|gz") as archive:
                for member in archive:
                    if day is None:
                        day = package_day(member.name)
                    if day is not None and not self.in_window(day):
                        break  # the first member told us the day: no need to read the rest
                    if not member.isfile():
                        continue
                    data = archive.extractfile(member)
                    if data is None:
                        continue
                    content = data.read()
                    stats.inc_value(f"tenderwatch/package_kinds/{sniff_kind(content)}")
                    number_in_name = member_publication_number(member.name) or member.name
                    items += 1
                    yield DocumentItem(
                        source=self.source_name,
                        source_id=number_in_name,
                        url=f"{response.url}#{member.name}",
                        content=content,
                        fetched_at=utcnow(),
                        countries=self.countries,
                    )
        except (tarfile.TarError, EOFError, OSError) as err:
            self.count_error("package_unreadable", "package %s is not a readable tar.gz: %s", key, err)
            return
        if day is None:
            self.count_error("package_without_day", "package %s names no day; stopping the walk there", key)
            return
        if self.in_window(day):
            self.days_done += 1
            stats.inc_value("tenderwatch/package_notices", items)
            self.finished[key] = day
            # Through the pipeline, after this package's documents: committed together with them.
            yield WatermarkItem(f"{self.name}:{key}", datetime.combine(day, datetime.min.time(), UTC))
            self.advance_watermark(datetime.combine(day, datetime.min.time(), UTC))
            self.logger.info("package %s (%s): %s documents", key, day, items)
        else:
            stats.inc_value("tenderwatch/packages_outside_window")
        for step_number, step_direction in self.next_steps(number, day, direction):
            yield from self.walk(year, step_number, step_direction)

    def on_package_error(self, failure: Failure) -> None:
        """A package that cannot be downloaded (after retries) breaks the walk: fail the crawl;
        a re-run resumes after the last finished day."""
        self.on_error(failure)
        raise CloseSpider("package_unreachable")
