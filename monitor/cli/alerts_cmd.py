"""``tenderwatch subscribers | alerts | branches | unsubscribe``: people, their mail, and branches."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db import clock
from db.clock import utcnow
from db.models.alerts import OUTBOX_STATES, OutboxMessage, Subscriber
from db.private import private_file
from db.record import Buyer
from db.session import get_sessionmaker, session_scope
from monitor.alerts.digest import build_due_digests
from monitor.alerts.outbox import MAX_AGE, outbox_rows, retry, retry_failed
from monitor.alerts.payload import pick_text
from monitor.alerts.render import build_message, parse_message
from monitor.alerts.sender import send_pending
from monitor.alerts.tokens import InvalidToken, verify_token
from monitor.appconfig import ConfigError, load_file
from monitor.appconfig.models import ServiceConfig
from monitor.branches import BranchesConfig
from monitor.classify.service import since_date
from monitor.safety import header_safe
from monitor.secretkey import secret_key
from monitor.settings import get_settings
from monitor.subscribers import disable, export_all, find, sync_from_config, to_spec, upsert
from monitor.subscribers.config import WEEKDAYS, SubscribersFile, SubscriberSpec
from monitor.subscribers.files import dump_csv, dump_yaml, read_file
from monitor.subscribers.optout import unsubscribe
from monitor.unmapped import unmapped_buyers


def _session() -> AbstractContextManager[Session]:

    return session_scope(get_settings().db_url)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)


# ---------------------------------------------------------------------------------- subscribers
@click.group("subscribers", short_help="Subscribers: companies and branch contacts.")
def subscribers_group() -> None:
    """Companies and branch contacts who receive alerts, and what they watch."""


@subscribers_group.command("add", short_help="Add or update a subscriber and one subscription.")
@click.argument("email")
@click.option("--name", default="", help="Company or contact name.")
@click.option("--branch", default=None, help="Makes this a branch contact of a branch id, e.g. TEM.")
@click.option("--language", type=click.Choice(["fi", "sv", "en"]), default="fi", show_default=True)
@click.option(
    "--delivery", type=click.Choice(["instant", "daily", "weekly"]), default="instant", show_default=True
)
@click.option(
    "--hour",
    "digest_hour",
    type=click.IntRange(0, 23),
    default=7,
    show_default=True,
    help="Digest hour, Europe/Helsinki.",
)
@click.option(
    "--day",
    "digest_day",
    type=click.Choice(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    default="mon",
    show_default=True,
    help="Weekly digest day.",
)
@click.option("--reminder", "reminder_days", type=int, multiple=True, help="Deadline reminder N days before.")
@click.option("--subscription", "sub_name", default=None, help="Name of the subscription to add or replace.")
@click.option("--cpv", multiple=True, help="CPV code; covers its descendants (repeatable).")
@click.option("--nuts", multiple=True, help="NUTS prefix, e.g. FI1B (repeatable).")
@click.option("--country", multiple=True, help="Buyer country, ISO alpha-3 (repeatable).")
@click.option("--in-branch", "branches", multiple=True, help="Buyer branch id or group (repeatable).")
@click.option("--buyer", multiple=True, help="Buyer business ID or part of its name (repeatable).")
@click.option(
    "--notice-kind", "kinds", multiple=True, type=click.Choice(["planning", "competition", "result"])
)
@click.option("--keyword", multiple=True, help="fi/sv/en keyword or phrase (repeatable).")
@click.option("--exclude", multiple=True, help="Skip notices containing this (repeatable).")
@click.option("--innovation", type=click.Choice(["innovative", "possible"]), default=None)
@click.option("--min-value", type=float, default=None, help="Estimated value at least (EUR).")
@click.option("--max-value", type=float, default=None, help="Estimated value at most (EUR).")
@click.option("--min-days", type=int, default=None, help="Deadline at least N days ahead.")
def add_cmd(email: str, sub_name: str | None, **opts: Any) -> None:
    """Add a subscriber, or update one, with one subscription built from the filter options.

    Example: tenderwatch subscribers add sales@example.com --name "Firma Oy" --cpv 72000000
    --nuts FI1B --keyword tekoäly --subscription IT
    """
    filter_keys = (
        "cpv",
        "nuts",
        "country",
        "branches",
        "buyer",
        "kinds",
        "keyword",
        "exclude",
        "innovation",
        "min_value",
        "max_value",
        "min_days",
    )
    rename = {
        "country": "countries",
        "buyer": "buyers",
        "keyword": "keywords",
        "min_value": "value_min",
        "max_value": "value_max",
        "min_days": "min_days_ahead",
    }
    filters = {rename.get(k, k): opts.pop(k) for k in filter_keys}
    filters = {k: (list(v) if isinstance(v, tuple) else v) for k, v in filters.items() if v not in ((), None)}
    with _session() as session:
        existing = find(session, email)
        base: dict[str, Any] = to_spec(existing).model_dump() if existing else {"email": email}
        base.update({k: v for k, v in opts.items() if k != "reminder_days"})
        base["reminder_days"] = list(opts["reminder_days"]) or base.get("reminder_days", [])
        base["kind"] = "branch" if opts["branch"] else "company"
        subs = [s for s in base.get("subscriptions", []) if s["name"] != (sub_name or "default")]
        if filters or sub_name:
            subs.append({"name": sub_name or "default", **filters})
        base["subscriptions"] = subs
        try:
            spec = SubscriberSpec.model_validate(base)
        except ValidationError as exc:
            _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        row, what = upsert(session, spec)
        click.echo(f"{what}: {row.email} ({len(row.subscriptions)} subscription(s))")


@subscribers_group.command("list", short_help="List subscribers and their subscriptions.")
@click.option("--all", "show_all", is_flag=True, help="Include disabled subscribers.")
def list_cmd(show_all: bool) -> None:
    """One line per subscriber: email, kind, language, delivery, subscriptions."""
    with _session() as session:
        q = select(Subscriber).order_by(Subscriber.email).options(selectinload(Subscriber.subscriptions))
        if not show_all:
            q = q.where(Subscriber.enabled.is_(True))
        rows = session.scalars(q).all()
        for s in rows:
            when = {
                "instant": "instant",
                "daily": f"daily {s.digest_hour:02d}:00",
                "weekly": f"weekly {WEEKDAYS[s.digest_weekday]} {s.digest_hour:02d}:00",
            }[s.delivery]
            who = f"branch {s.branch}" if s.kind == "branch" else "company"
            state = "" if s.enabled else ("  [unsubscribed]" if s.unsubscribed_at else "  [disabled]")
            names = ", ".join(x.name for x in s.subscriptions) or "(no subscriptions)"
            click.echo(f"{s.id:>4}  {s.email:<36} {who:<12} {s.language}  {when:<16} {names}{state}")
        click.echo(f"{len(rows)} subscriber(s)")


@subscribers_group.command("show", short_help="Show one subscriber as YAML, with outbox counts.")
@click.argument("email")
def show_cmd(email: str) -> None:
    """A subscriber in the import-file format (YAML), with outbox counts per state."""
    with _session() as session:
        sub = find(session, email)
        if sub is None:
            _fail(f"no subscriber {email}")
        click.echo(dump_yaml(SubscribersFile(subscribers=[to_spec(sub)])), nl=False)
        counts = session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.subscriber_id == sub.id)
            .group_by(OutboxMessage.state)
        ).all()
        click.echo("# outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(counts)) or "empty"))


@subscribers_group.command("disable", short_help="Stop all mail to a subscriber.")
@click.argument("email")
def disable_cmd(email: str) -> None:
    """Stop all mail to EMAIL (its pending emails are not sent); `import` can enable it again."""
    with _session() as session:
        if disable(session, email) is None:
            _fail(f"no subscriber {email}")
    click.echo(f"disabled: {email}")


@subscribers_group.command("import", short_help="Import subscribers from YAML or CSV (idempotent).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(file: Path) -> None:
    """Create or update subscribers from a YAML or CSV file; running it twice changes nothing.

    Subscribers are matched by email and subscriptions by name; a subscription missing from
    the file is removed. Nothing is written if any row is invalid.
    """
    try:
        data = read_file(file)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None
    with _session() as session:
        stats = sync_from_config(session, data)
    click.echo(f"imported {file}: {stats}")


@subscribers_group.command("export", short_help="Export every subscriber as YAML or CSV.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def export_cmd(fmt: str, output: Path | None) -> None:
    """Every subscriber in the import format (YAML, or CSV with one row per subscription)."""
    with _session() as session:
        data = export_all(session)
    text = dump_yaml(data) if fmt == "yaml" else dump_csv(data)
    if output:
        private_file(output)  # a new export is 0600: it is a list of people's addresses
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(data.subscribers)} subscriber(s) to {output}")
    else:
        sys.stdout.write(text)


# ---------------------------------------------------------------------------------- alerts
@click.group("alerts", short_help="The outbox: alert emails waiting, sent and failed.")
def alerts_group() -> None:
    """The outbox: alert emails waiting, sent and failed."""


@alerts_group.command("send", short_help="Build due digests and send due emails.")
@click.option("--limit", type=int, default=None, help="Send at most this many emails.")
def send_cmd(limit: int | None) -> None:
    """Build due digests and send every due email (SMTP, or .eml files in var/outbox/).

    Exits 1 when an email failed or has to wait for a retry (the server was down or said
    "try later"), so a cron job notices.
    """
    settings = get_settings()
    with _session() as session:
        digests = build_due_digests(session, utcnow())
    stats = send_pending(get_sessionmaker(settings.db_url), settings, limit=limit, max_age=_max_age())
    where = (
        f"SMTP {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else str(settings.outbox_dir)
    )
    click.echo(
        f"{digests} digest(s) built; {stats.sent} sent, {stats.failed} failed, {stats.retrying} to retry, "
        f"{stats.expired} expired, {stats.skipped} skipped (disabled subscribers) → {where}"
    )
    if stats.server_error:
        click.echo(f"mail server: {stats.server_error}", err=True)
    if stats.failed or stats.retrying:
        raise SystemExit(1)


def _max_age() -> timedelta:
    """service.yaml's ``alert_max_age_days``; the default when the file is invalid (`config check`
    says why): sending must not stop over a config mistake."""
    try:
        service = load_file(get_settings().config_dir / "service.yaml", ServiceConfig)
    except ConfigError:
        return MAX_AGE
    return timedelta(days=service.alert_max_age_days)


@alerts_group.command("list", short_help="List outbox rows (e.g. --state failed).")
@click.option(
    "--state",
    type=click.Choice(list(OUTBOX_STATES)),
    default=None,
    help="Only rows in this state.",
)
@click.option("--limit", type=int, default=50, show_default=True)
def alerts_list_cmd(state: str | None, limit: int) -> None:
    """Outbox rows, newest first: id, state, kind, attempts, next attempt, recipient, subject."""
    with _session() as session:
        rows = outbox_rows(session, state, limit)
        for row, email in rows:
            title = _title(row)
            nxt = (
                f" next {row.next_attempt_at:%Y-%m-%d %H:%M}Z"
                if row.next_attempt_at and row.state == "pending" and row.failure_kind
                else ""
            )
            err = (
                f"  ({row.failure_kind}: {header_safe(row.last_error, 80)})"
                if row.last_error and row.state in ("pending", "failed", "expired")
                else ""
            )
            click.echo(
                f"{row.id:>6} {row.state:<9} {row.kind:<8} try {row.attempts}{nxt}  {email}  "
                f"{header_safe(title, 70)}{err}"
            )
        click.echo(f"{len(rows)} row(s)")


def _title(row: OutboxMessage) -> str:

    if row.kind == "digest":
        return f"digest {row.ref}"
    notice = (row.payload or {}).get("notice") or {}
    return pick_text(notice.get("title") or {}, "fi", notice.get("language")) or row.procedure_key


@alerts_group.command("retry", short_help="Send failed emails again (same Message-ID).")
@click.argument("row_ids", type=int, nargs=-1)
@click.option("--failed", "all_failed", is_flag=True, help="Every failed email (see --since).")
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="With --failed: only emails queued since then: a date (2026-12-01) or a period (2d, 1w).",
)
def retry_cmd(row_ids: tuple[int, ...], all_failed: bool, since: str | None) -> None:
    """Queue failed (or stuck) emails again for the next send, with the same Message-ID.

    Give outbox row ids (`alerts list --state failed`), or --failed for all failed rows,
    after fixing what made the server refuse them.
    """
    if bool(row_ids) == all_failed:
        raise click.UsageError("give row ids or --failed, not both and not neither")
    if since is not None and not all_failed:
        raise click.UsageError("--since goes with --failed")
    now = utcnow()
    with _session() as session:
        if all_failed:
            cutoff = _since(since) if since else None
            count = retry_failed(session, now, cutoff)
            when = f" (queued since {cutoff:%Y-%m-%d %H:%M} UTC)" if cutoff else ""
            click.echo(f"{count} failed row(s) queued again{when}")
            return
        for row_id in row_ids:
            row = retry(session, row_id, now)
            if row is None:
                _fail(f"no outbox row {row_id}")
            click.echo(f"row {row_id}: {row.state}")


def _since(spec: str) -> datetime:
    """``2026-12-01`` (midnight UTC), an ISO instant, or a period back from now (``2d``, ``1w``)."""
    try:
        value = datetime.fromisoformat(spec)
    except ValueError:
        value = None
    if value is None:
        try:
            day = since_date(spec, utcnow().date())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
        if day is None:  # "all": no --since at all is how to say that
            raise click.BadParameter("leave --since out for all failed emails", param_hint="--since")
        value = datetime.combine(day, datetime.min.time())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@alerts_group.command("show", short_help="Print the email an outbox row sends.")
@click.argument("row_id", type=int)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the whole email.")
def show_alert_cmd(row_id: int, as_html: bool) -> None:
    """Print the email an outbox row sends (headers and text, or the HTML part)."""
    with _session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None:
            _fail(f"no outbox row {row_id}")
        sub = session.get(Subscriber, row.subscriber_id)
        if sub is None:
            _fail(f"outbox row {row_id} belongs to no subscriber")
        items = list(session.scalars(select(OutboxMessage).where(OutboxMessage.digest_id == row.id)))
        msg = parse_message(build_message(row, sub, get_settings(), items))
    if as_html:
        body = msg.get_body(("html",))
        if body is None:
            _fail(f"outbox row {row_id} has no HTML part")
        click.echo(body.get_content())
    else:
        click.echo(_text_view(msg))


def _text_view(msg: EmailMessage) -> str:
    headers = "\n".join(
        f"{k}: {v}" for k, v in msg.items() if k.lower() not in ("content-type", "mime-version")
    )
    body = msg.get_body(("plain",))
    return f"{headers}\n\n{body.get_content() if body is not None else ''}"


# ---------------------------------------------------------------------------------- branches
@click.group("branches", short_help="Administrative branches and their buyers.")
def branches_group() -> None:
    """Administrative branches (hallinnonalat) and which buyers belong to them."""


def _branches() -> BranchesConfig:

    path = get_settings().config_dir / "branches.yaml"
    try:
        return load_file(path, BranchesConfig)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        raise SystemExit(1) from None


@branches_group.command("list", short_help="List branches and their agencies.")
def branches_list_cmd() -> None:
    """The branches in config/branches.yaml with their member counts."""
    cfg = _branches()
    for b in cfg.branches:
        ids = sum(1 for m in b.members if m.business_id)
        click.echo(
            f"{b.id:<5} {b.main_title}  {b.names.fi:<40} {len(b.members):>3} agencies ({ids} by business ID)"
        )


@branches_group.command("map", short_help="Show which branch a buyer maps to, and why.")
@click.argument("name")
@click.option("--id", "org_id", default=None, help="Business ID (Y-tunnus).")
@click.option("--legal-type", default=None, help="BT-11 buyer legal type, e.g. cga, la, ra.")
@click.option(
    "--on", "on_date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date (default today)."
)
def map_cmd(name: str, org_id: str | None, legal_type: str | None, on_date: datetime | None) -> None:
    """Show where a buyer would be placed, and by which rule."""
    m = _branches().map_buyer(
        Buyer(name=name, org_id=org_id, country="FIN", legal_type=legal_type),
        (on_date.date() if on_date else clock.today()),
    )
    click.echo(f"{m.key or 'unmapped'}  (group {m.group}, by {m.how or '-'}, {m.member or '-'})")


@branches_group.command("unmapped", short_help="Central-government buyers no rule places.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Notices published since.")
@click.option("--all-types", is_flag=True, help="Also buyers without a central-government legal type.")
def unmapped_cmd(since: datetime | None, all_types: bool) -> None:
    """Finnish central-government buyers of stored notices that no branch rule places.

    Add each to config/branches.yaml (business ID first) so branch contacts see its calls.
    """
    cfg = _branches()
    with _session() as session:
        found = unmapped_buyers(session, cfg, since=since.date() if since else None, all_types=all_types)
    for b in found:
        click.echo(f"{b.notices:>5}  {b.org_id or '(no id)':<12} {b.legal_type or '-':<14} {b.name}")
    click.echo(f"{len(found)} unmapped buyer(s)")


# ---------------------------------------------------------------------------------- unsubscribe
@click.command("unsubscribe", short_help="Do what a List-Unsubscribe link does.")
@click.argument("token")
def unsubscribe_cmd(token: str) -> None:
    """End the mail a List-Unsubscribe TOKEN names: the subscriptions that matched that email
    (or, for a token naming none, all the subscriber's mail), as the one-click link does."""
    with _session() as session:
        try:
            sub, ids = verify_token(session, secret_key(get_settings()), token)
        except InvalidToken as exc:
            _fail(str(exc))
        done = unsubscribe(session, sub, ids, clock.utcnow())
        what = "all mail" if done.all_mail else ", ".join(done.names) or "nothing (subscriptions gone)"
        click.echo(f"unsubscribed: {sub.email} ({what})")


commands: list[click.Command] = [subscribers_group, alerts_group, branches_group, unsubscribe_cmd]
