"""``tenderwatch crawl SOURCE`` and ``tenderwatch backfill ted``: run a spider now, from the shell.

Both go through :func:`monitor.crawling.run_source`, the same path the service takes, so a
crawl started by hand is recorded as a crawl run (``tenderwatch status``) like any other.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import click
from tqdm import tqdm

from db.migrate import pending, upgrade
from monitor.appconfig.errors import ConfigError
from monitor.appconfig.loader import load_file
from monitor.config import AppConfig
from monitor.crawling import run_source
from monitor.settings import Settings, get_settings
from monitor.sources import KEYS, TED, SourcesConfig, backfill_source

# Exit codes: 0 finished or skipped, 1 failed, 3 blocked by a WAF (matches python -m scrapers.crawl).
_EXIT = {"finished": 0, "skipped": 0, "failed": 1, "blocked": 3}


def _sources(settings: Settings) -> AppConfig | None:
    """Only ``sources.yaml``: a crawl must not depend on, say, a half-edited innovation.yaml."""
    path = settings.config_dir / "sources.yaml"
    if not path.exists():
        return None
    try:
        sources = load_file(path, SourcesConfig)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    config = AppConfig(directory=settings.config_dir)
    config.files["sources.yaml"] = sources
    return config


def _migrated(settings: Settings) -> None:
    """A first crawl on a fresh install should just work: apply pending migrations first."""
    if pending(settings.db_url):
        upgrade(settings.db_url)


def _summary(result: dict[str, Any]) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result["errors"].items())) or "none"
    return (
        f"{result['source']}: {result['status']} ({result['close_reason']}) in {result['seconds']} s — "
        f"{result['requests']} requests, {result['seen']} notices seen, {result['new']} new, "
        f"{result['updated']} updated; errors: {errors} (crawl run {result['run_id']})"
    )


def _finish(result: dict[str, Any]) -> None:
    click.echo(_summary(result))
    code = _EXIT.get(result["status"], 1)
    if code:
        raise SystemExit(code)


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-01-31") from None


@click.command("crawl")
@click.argument("source", type=click.Choice(KEYS))
@click.option(
    "--from", "from_date", callback=_day, metavar="DATE", help="First publication day (YYYY-MM-DD)."
)
@click.option("--to", "to_date", callback=_day, metavar="DATE", help="Last publication day (YYYY-MM-DD).")
@click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="ISO3",
    help="Buyer country to keep, e.g. FIN (repeatable; ALL for every). Default: config/sources.yaml.",
)
def crawl_cmd(source: str, from_date: str | None, to_date: str | None, countries: tuple[str, ...]) -> None:
    """Crawl SOURCE (ted, ted_packages or hilma) now and store what is new.

    Without --from/--to the crawl continues from where the last one stopped, re-reading the
    configured overlap days so late publications are not missed. Notices the store already
    has are never downloaded again. Exit code 0 when it finished (or was skipped, e.g. HILMA
    without TENDERWATCH_HILMA_SUBSCRIPTION_KEY), 1 when it failed, 3 when a WAF blocked it.
    """
    settings = get_settings()
    _migrated(settings)
    overrides: dict[str, Any] = {"from_date": from_date, "to_date": to_date}
    if countries:
        overrides["countries"] = [c.upper() for c in countries]
    result = run_source(
        settings, _sources(settings), source, overrides={k: v for k, v in overrides.items() if v}
    )
    _finish(result)


@click.group("backfill")
def backfill_group() -> None:
    """Load past notices in bulk (resumable: finished days are never downloaded again)."""


@backfill_group.command("ted")
@click.option(
    "--from", "from_date", callback=_day, required=True, metavar="DATE", help="First day (YYYY-MM-DD)."
)
@click.option("--to", "to_date", callback=_day, metavar="DATE", help="Last day (YYYY-MM-DD). Default: today.")
@click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="ISO3",
    help="Buyer country to keep (repeatable; ALL for every). Default: config/sources.yaml (FIN).",
)
@click.option(
    "--timeout-hours",
    type=float,
    default=24.0,
    show_default=True,
    help="Stop (and record failure) after this long.",
)
def backfill_ted_cmd(
    from_date: str, to_date: str | None, countries: tuple[str, ...], timeout_hours: float
) -> None:
    """Download TED's daily packages for --from..--to and store the notices of the chosen countries.

    Each package (one OJ S issue, all of Europe, ~2-4 thousand notices) is streamed, never
    unpacked to disk; its notices are parsed and stored, eForms and the legacy TED XML
    (TED_EXPORT R2.0.8/R2.0.9) TED published until November 2023 alike, so
    ``--from 2017-01-01`` loads the years before eForms. Run it again with the same dates to
    resume: finished days are skipped.
    """
    if to_date is not None and from_date > to_date:
        raise click.BadParameter(f"--from {from_date} is after --to {to_date}")
    settings = get_settings()
    _migrated(settings)
    overrides: dict[str, Any] = {"from_date": from_date}
    if to_date is not None:  # without it the spider's window ends today
        overrides["to_date"] = to_date
    if countries:
        overrides["countries"] = [c.upper() for c in countries]
    started = time.monotonic()
    bar = tqdm(desc="backfill ted", unit="day", total=None, dynamic_ncols=True)

    def progress(line: dict[str, Any]) -> None:
        if line.get("days_total") and bar.total != line["days_total"]:
            bar.total = line["days_total"]
        bar.n = line.get("days_done", bar.n)
        seen = int(line.get("seen", 0))
        rate = seen / max(time.monotonic() - started, 1e-6)
        bar.set_postfix(notices=seen, new=line.get("new", 0), rate=f"{rate:.0f}/s", refresh=False)
        bar.refresh()

    try:
        result = run_source(
            settings,
            _sources(settings),
            backfill_source(TED).key,
            overrides=overrides,
            on_progress=progress,
            timeout_minutes=timeout_hours * 60,
        )
    finally:
        bar.close()
    _finish(result)


commands: list[click.Command] = [crawl_cmd, backfill_group]
