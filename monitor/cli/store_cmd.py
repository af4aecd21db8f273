"""``tenderwatch procedure``, ``reparse`` and ``status``: look into the store and rebuild it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from db.procedures import find_procedure, timeline
from db.session import session_scope
from db.store import Store, reparse
from db.store_failures import summary as failure_summary
from monitor.appconfig import ConfigError
from monitor.config import load_config
from monitor.service.status import recent_runs, service_status, watermarks
from monitor.settings import get_settings
from scrapers.parsers import parse_notice

SHOWN_TZ = ZoneInfo("Europe/Helsinki")  # shown in Helsinki time by default (docs/architecture.md#time)


def _when(value: datetime | None) -> str:
    return value.astimezone(SHOWN_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


def _short(value: Any) -> str:
    """A diff value on one line: ISO times in Helsinki time, money as "amount currency"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            return _when(datetime.fromisoformat(value)) if "T" in value else value
        except ValueError:
            return value
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        return f"{value['amount']:,.0f} {value['currency']}".replace(",", " ")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value) or "(none)"
    return str(value)


@click.command("procedure")
@click.argument("procedure_id")
def procedure_cmd(procedure_id: str) -> None:
    """Show one procedure's timeline: its notices in order with their sources,
    what each change notice changed (old → new), and the current state.

    PROCEDURE_ID is the BT-04 procedure identifier; a notice UUID (BT-701) or a TED
    publication number (with or without leading zeros) finds the procedure too.
    """
    with session_scope(get_settings().db_url) as session:
        proc = find_procedure(session, procedure_id)
        if proc is None:
            raise click.ClickException(f"no procedure {procedure_id!r} in the store")
        click.echo(_format_timeline(timeline(session, proc)))


def _format_timeline(tl: Any) -> str:
    p = tl.procedure
    value = (
        _short({"amount": p.estimated_value_amount, "currency": p.estimated_value_currency})
        if p.estimated_value_amount is not None
        else "—"
    )
    buyer = ", ".join(x for x in (p.buyer_name, p.buyer_org_id, p.buyer_country) if x) or "—"
    lines = [
        f"Procedure {p.procedure_key}",
        f"  state     {p.state}",
        f"  title     {p.title or '—'}",
        f"  buyer     {buyer}",
        f"  deadline  {_when(p.deadline)} (Europe/Helsinki)",
        f"  value     {value}",
        f"  CPV       {p.cpv_main or '—'}",
        f"  lots      {', '.join(lot['lot_id'] for lot in p.lots) or '—'}",
        "",
        "Timeline",
    ]
    for entry in tl.entries:
        n = entry.notice
        day = n.publication_date or n.issue_date
        kind = n.form_type or "?"
        if n.changes_notice_pk or n.changed_notice_ref:
            kind = f"change ({kind})"
        lines.append(
            f"  {day.isoformat() if isinstance(day, date) else '—':10}  {kind:<20} "
            f"{n.notice_type or '?'}/{n.subtype or '?'}  v{n.version or '-'}  "
            f"{n.publication_number or '(not yet in OJ S)'}  {n.notice_id or n.source_key}"
            + ("  [superseded]" if n.superseded_by_pk else "")
        )
        for src in sorted(entry.sources, key=lambda s: s.first_seen_at):
            lines.append(f"      from {src.source} {src.source_id}, first seen {_when(src.first_seen_at)}")
        if n.changed_notice_ref and not n.changes_notice_pk:
            lines.append(f"      changes {n.changed_notice_ref} (not in the store yet)")
        if entry.diff is not None:
            if entry.diff.reasons:
                lines.append(f"      reasons: {', '.join(entry.diff.reasons)}")
            for name, change in entry.diff.fields.items():
                lines.append(f"      {name}: {_short(change.get('old'))} → {_short(change.get('new'))}")
        for ev in entry.events:
            lines.append(f"      event {ev.kind}: {_short(ev.old)} → {_short(ev.new)}")
    return "\n".join(lines)


@click.command("reparse")
@click.option("--source", help="Only documents from this source (e.g. ted, hilma).")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only documents fetched on or after this date (UTC).",
)
def reparse_cmd(source: str | None, since: datetime | None) -> None:
    """Parse the kept raw documents again with the current parser and update the store.

    Use after a parser upgrade. Documents that failed before are retried; notices whose
    record changed are updated and their procedures re-derived. Safe to run twice: the
    second run changes nothing.
    """

    def parse(content: bytes, name: str) -> Any:
        return parse_notice(content, source_name=name)

    since_utc = since.replace(tzinfo=UTC) if since else None
    with session_scope(get_settings().db_url) as session:
        stats = reparse(session, parse, source=source, since=since_utc)
    click.echo(f"reparsed {stats}")


@click.command("settle-conflicts")
def settle_conflicts_cmd() -> None:
    """Apply the stored conflicts that the store's current rule no longer counts as conflicts.

    A copy of a notice that differed from the stored one is kept as a conflict, not applied.
    After an upgrade that changes what makes two copies differ (0010: a source's own answers,
    such as HILMA's innovation questions, no longer do), run this once: each such copy is then
    applied as a copy arriving today would be, and its conflict row goes. Safe to run twice.
    """
    with session_scope(get_settings().db_url) as session:
        stats = Store(session).settle_conflicts()
    click.echo(f"settled {stats.settled} of {stats.seen} conflicts; the others still differ")


@click.command("status")
@click.option("--runs", default=5, show_default=True, help="Recent crawl runs shown per source.")
def status_cmd(runs: int) -> None:
    """Show each source's recent runs and watermark, documents that failed (waiting for a retry
    or given up), the service's schedule (next runs), the outbox (pending, failed), the
    innovation rules in force and any open health problem."""
    settings = get_settings()
    try:
        config = load_config(settings.config_dir)
        tz, rules_version = config.service.timezone, config.rules_compiled.version
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        tz, rules_version = "Europe/Helsinki", None
    with session_scope(settings.db_url) as session:
        click.echo(format_status(session, runs))
        click.echo("")
        click.echo("\n".join(service_status(session, tz=tz, rules_version=rules_version)))


def format_status(session: Any, runs: int = 5) -> str:
    """The ``status`` text (a function so the scheduler's status can extend it)."""
    recent = recent_runs(session, runs)
    lines = ["Crawl runs (times Europe/Helsinki)"]
    if not recent:
        lines.append("  none yet")
    header = f"  {'source':<14} {'started':<16} {'finished':<16} {'status':<9} {'req':>5} "
    header += f"{'seen':>6} {'new':>6} {'upd':>5}  errors / close reason"
    if recent:
        lines.append(header)
    for r in recent:
        errors = ", ".join(f"{k} {v}" for k, v in sorted((r.errors or {}).items())) or "no errors"
        lines.append(
            f"  {r.source:<14} {_when(r.started_at):<16} {_when(r.finished_at):<16} {r.status:<9} "
            f"{r.requests:>5} {r.notices_seen:>6} {r.notices_new:>6} {r.notices_updated:>5}  "
            f"{errors} / {r.close_reason or '—'}"
        )
    marks = watermarks(session)
    lines += ["", "Watermarks"]
    lines += [f"  {m.source:<30} {_when(m.value):<16} (set {_when(m.updated_at)})" for m in marks] or [
        "  none yet"
    ]
    return "\n".join(lines + failure_lines(session))


def failure_lines(session: Any) -> list[str]:
    """Documents that failed: how many wait for a retry, and the ones given up (no crawl
    fetches them again: an admin may want to look, or backfill them another way)."""
    counts, given_up = failure_summary(session)
    if not counts:
        return ["", "Failed documents: none"]
    lines = ["", "Failed documents"]
    for source in sorted({s for s, _ in counts}):
        waiting, gave_up = counts.get((source, False), 0), counts.get((source, True), 0)
        lines.append(f"  {source:<14} {waiting} to be fetched again, {gave_up} given up")
    if given_up:
        lines.append("  given up (latest first):")
    for f in given_up:
        published = f" published {f.published_on}" if f.published_on else ""
        lines.append(
            f"    {f.source} {f.source_id}{published}: {f.attempts} attempts, {f.kind}: "
            f"{(f.last_error or '').splitlines()[0][:120] if f.last_error else '—'} ({_when(f.given_up_at)})"
        )
    return lines


commands: list[click.Command] = [procedure_cmd, reparse_cmd, settle_conflicts_cmd, status_cmd]
