"""``python -m scrapers.crawl SPIDER [-a NAME=VALUE]... [-s SETTING=VALUE]...``: one crawl, one process.

What :mod:`scrapers.runner` starts as a child process (Twisted's reactor cannot be restarted,
docs/architecture.md#one-crawl-one-process). The database URL comes from
``TENDERWATCH_DATABASE_URL`` in the environment, never the command line, so a password does
not show in the process list. The exit code tells the parent how it ended: 0 finished (or
skipped), 1 failed, 3 blocked.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from scrapers.extensions import run_status

EXIT_CODES = {"finished": 0, "skipped": 0, "failed": 1, "blocked": 3}


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"{what} {value!r}: expected NAME=VALUE")
        out[name] = rest
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrapers.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("spider", help="ted, ted_packages or hilma")
    parser.add_argument(
        "-a", dest="args", action="append", default=[], metavar="NAME=VALUE", help="spider argument"
    )
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="Scrapy setting"
    )
    options = parser.parse_args(argv)
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    settings.setdict(_pairs(options.settings, "setting"), priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(options.spider)
    process.crawl(crawler, **_pairs(options.args, "argument"))
    process.start()
    assert crawler.stats is not None
    reason = crawler.stats.get_value("finish_reason") or "no finish reason"
    return EXIT_CODES.get(run_status(str(reason)), 1)


if __name__ == "__main__":
    sys.exit(main())
