"""``tenderwatch report``: the innovation share per administrative branch, its drill-down, its email."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from db import migrate
from db.clock import utcnow
from db.session import session_scope
from monitor.alerts.sender import send_pending
from monitor.appconfig import ConfigError, load_file
from monitor.appconfig.models import ServiceConfig
from monitor.branches import BranchesConfig
from monitor.classify.rules import RulesConfig
from monitor.reports.figures import REVIEWS, build_report, list_calls, resolve_area
from monitor.reports.monthly import queue_monthly_reports
from monitor.reports.periods import Period, ReportError, helsinki_date, parse_day, previous_month
from monitor.reports.render import render_calls_csv, render_csv, render_html, render_text
from monitor.settings import get_settings


@dataclass(frozen=True)
class _Config:
    """The config a report needs. A broken rules file must not stop the report: then the
    declared rule's summary says why it is missing, and the stored declarations still count."""

    branches: Any
    service: Any
    declared_rule: str = ""
    rules: Any = None
    """The innovation rules (for the monthly email's ``declared`` rule), None when unreadable."""


def _config() -> _Config:
    directory = get_settings().config_dir
    try:
        branches = load_file(directory / "branches.yaml", BranchesConfig)
        service_file = directory / "service.yaml"
        service = load_file(service_file, ServiceConfig) if service_file.exists() else ServiceConfig()
    except ConfigError as exc:
        raise click.ClickException(exc.report()) from None
    try:
        rules = load_file(directory / "innovation.yaml", RulesConfig)
        summary = rules.declared.summary()
    except (ConfigError, OSError) as exc:
        rules, summary = None, f"(innovation.yaml unreadable: {str(exc).splitlines()[0]})"
    return _Config(branches, service, summary, rules)


def _period(period: str | None, start: str | None, end: str | None) -> Any:
    try:
        if period:
            if start or end:
                raise ReportError("give either --period or --from/--to, not both")
            return Period.month(period)
        if start:  # without --to: up to today (Helsinki), e.g. the whole history since --from
            last = parse_day(end, "--to") if end else helsinki_date(utcnow())
            return Period(parse_day(start, "--from"), last)
        if end:
            raise ReportError("give --from with --to (or --period YYYY-MM)")
        return previous_month(utcnow())
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None


def _session() -> AbstractContextManager[Session]:

    url = get_settings().db_url
    migrate.upgrade(url)
    return session_scope(url)


_period_options = [
    click.option("--from", "start", metavar="DATE", help="First day (YYYY-MM-DD, Helsinki calendar)."),
    click.option("--to", "end", metavar="DATE", help="Last day, included (default: today)."),
    click.option("--period", metavar="YYYY-MM", help="A calendar month instead of --from/--to."),
]


F = TypeVar("F", bound=Callable[..., Any])


def period_options(f: F) -> F:
    for option in reversed(_period_options):
        f = option(f)
    return f


@click.group("report")
def report_group() -> None:
    """Innovation procurement per administrative branch, against the goal in service.yaml.

    Without --from/--to or --period, the last whole month is reported.
    """


@report_group.command("branches")
@period_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "csv", "html"]), default="text", show_default=True
)
@click.option("--lang", type=click.Choice(["fi", "sv", "en"]), default=None, help="Default: service.yaml's.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (HTML: and its PNG charts beside it).",
)
@click.option(
    "--goal",
    type=click.FloatRange(0, 100, min_open=True),
    help="One goal (%) for every month of this report, instead of service.yaml's innovation_goal.",
)
@click.option(
    "--review-limit",
    type=click.IntRange(0),
    default=25,
    show_default=True,
    help="Calls shown per review list (text and HTML); `report calls --review` lists them all.",
)
def branches_cmd(
    start: str | None, end: str | None, period: str | None, fmt: str, lang: str | None, out: Path | None,
    goal: float | None, review_limit: int,
) -> None:  # fmt: skip
    """The figures per branch, per group and for Finland in total.

    Calls, innovative and possible calls, their share, estimated values and the innovative
    share of value (with how many values are missing), the change against the previous period
    of the same length, and the distance to the goal in force in each month. Beside them, the
    calls their buyers declared innovative (innovation.yaml's `declared` rule) by count and by
    value, and the two review lists: declared but not detected, detected but not declared. A
    procedure counts once, in the period its call was first published; cancelled ones are shown
    apart. The trend is monthly up to three years and yearly beyond; HTML adds a yearly history
    since 2017 where the store holds it.
    """
    # matplotlib adds 0.5 s to every start of the CLI and the service (python -X importtime):
    # only code that draws a chart loads it.
    from monitor.reports.charts import report_charts

    cfg = _config()
    chosen = _period(period, start, end)
    lang = lang or cfg.service.default_language
    with _session() as session:
        report = build_report(
            session, cfg.branches, chosen, goal=goal or cfg.service.innovation_goal,
            declared_rule=cfg.declared_rule,
        )  # fmt: skip
        reviews = None
        if fmt != "csv" and review_limit:  # CSV is one row per area: `report calls --review` lists calls
            reviews = {
                review: list_calls(
                    session,
                    cfg.branches,
                    chosen,
                    review=review,
                    with_reasons=True,
                    refresh=False,
                    ted_site_url=get_settings().ted_site_url,
                    limit=review_limit,
                )
                for review in REVIEWS
            }
    charts: dict[str, bytes] = {}
    if fmt == "html":
        charts = report_charts(report, lang)
        body = render_html(report, lang, charts=charts, reviews=reviews)
    elif fmt == "csv":
        body = render_csv(report)
    else:
        body = render_text(report, lang, reviews)
    if out is None:
        sys.stdout.write(body)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    written = [out]
    for name, png in charts.items():
        path = out.with_name(f"{out.stem}-{name}.png")
        path.write_bytes(png)
        written.append(path)
    click.echo("wrote " + ", ".join(str(p) for p in written), err=True)


@report_group.command("calls")
@click.option(
    "--branch",
    "area",
    default="FI",
    show_default=True,
    help="Branch id (TEM), group (kunta, hyvinvointialue, muu, yhteishankinta, unmapped) or FI for all.",
)
@click.option(
    "--label", type=click.Choice(["innovative", "possible", "none", "any"]), default="any", show_default=True
)
@click.option(
    "--review",
    type=click.Choice(REVIEWS),
    default=None,
    help="Only the calls where the buyer's declaration and the label disagree.",
)
@period_options
@click.option(
    "--include-cancelled", is_flag=True, help="Also list cancelled procedures (not counted in the figures)."
)
@click.option("--reasons", is_flag=True, help="Show why each call got its label.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
def calls_cmd(
    area: str, label: str, review: str | None, start: str | None, end: str | None, period: str | None,
    include_cancelled: bool, reasons: bool, fmt: str,
) -> None:  # fmt: skip
    """The procedures behind a figure, with a link to each call.

    --review declared-not-detected lists what buyers declared innovative and the classifier did
    not label innovative; --review detected-not-declared the other way round.
    """
    cfg = _config()
    chosen = _period(period, start, end)
    try:
        key = resolve_area(cfg.branches, area)
        with _session() as session:
            rows = list_calls(
                session, cfg.branches, chosen, area=key, label=label, review=review,
                include_cancelled=include_cancelled, with_reasons=reasons or review is not None,
                ted_site_url=get_settings().ted_site_url,
            )  # fmt: skip
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "csv":
        sys.stdout.write(render_calls_csv(rows))
        return
    for r in rows:
        value = f"{r.value_amount:,.0f} {r.value_currency}".replace(",", " ") if r.value_amount else "–"
        flag = " [cancelled]" if r.cancelled else ""
        label_text = r.label or "unclassified"
        click.echo(f"{r.period_date}  {r.area:<15} {label_text:<10} {r.title or r.procedure_key}{flag}")
        click.echo(f"            {r.buyer_name or '–'} · {value} · {r.url or r.procedure_key}")
        for reason in r.reasons[:5]:
            matched, weight = reason.get("matched"), reason.get("weight") or 0
            click.echo(f"            · {reason.get('signal_id')} “{matched}” ({weight:+g})")
        if r.declared_answers:
            answers = "; ".join(f"{k}: {', '.join(v)}" for k, v in r.declared_answers.items())
            click.echo(f"            declared: {'yes' if r.declared else 'no'} ({answers})")
    click.echo(f"{len(rows)} procedures", err=True)


@report_group.command("send")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month to report, e.g. 2026-10.")
@click.option("--no-deliver", is_flag=True, help="Only queue the emails; the service's sender delivers them.")
def send_cmd(period: str, no_deliver: bool) -> None:
    """Queue the month's report email for every branch contact, then send the outbox.

    Each contact gets one email per month however often this runs (the scheduler does the
    same on the first working day of each month).
    """
    cfg = _config()
    chosen = _period(period, None, None)
    settings = get_settings()
    now = utcnow()
    with _session() as session:
        queued = queue_monthly_reports(session, cfg, now, period=chosen, ted_site_url=settings.ted_site_url)
    click.echo(f"report emails queued for {chosen.slug}: {queued}")
    if not no_deliver:
        stats = send_pending(settings.db_url, settings, now=now)
        click.echo(f"outbox: sent {stats.sent}, failed {stats.failed}")


commands: list[click.Command] = [report_group]
