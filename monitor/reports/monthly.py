"""The monthly branch email: each branch contact gets their branch's figures, charts and calls.

Queued through the alerts outbox (kind ``report``, ``ref`` = the period, e.g. ``2026-10``), whose
unique key makes a second enqueue for the same contact and period a no-op: the scheduler may
fire on several days, two instances may race, an admin may run ``report send`` by hand, and
each contact still gets one email per period. The payload freezes the rendered email (texts
and PNGs) so a retry sends exactly what was first built; only the unsubscribe link is added
at send time (it is signed per subscriber by the sender).
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.alerts import OutboxMessage, Subscriber
from monitor.alerts.outbox import enqueue
from monitor.branches import BranchesConfig
from monitor.reports.figures import REVIEWS, CallRow, Report, build_report, list_calls, resolve_area
from monitor.reports.i18n import LANGUAGES, t
from monitor.reports.periods import Period, ReportError, first_working_day, helsinki_date, previous_month
from monitor.reports.render import fmt_money, fmt_pct, fmt_pp, render_html, review_more

log = logging.getLogger(__name__)

KIND = "report"
CIDS = {"shares": "shares@tenderwatch", "trend": "trend@tenderwatch", "history": "history@tenderwatch"}
MAX_CALLS = 50  # a branch with more innovative calls in a month gets the first 50 and the drill-down command
MAX_REVIEW = 20  # per review list: the email points to `report calls --review` for the rest


def due_period(now: datetime) -> Period | None:
    """The month to report at ``now``: the previous one, once its first working day has come.

    Before the first working day of a month (Helsinki time, Finnish public holidays), nothing is
    due; from then on the previous month is, so a service that was down on that day catches up.
    """
    today = helsinki_date(now)
    if today < first_working_day(today.year, today.month):
        return None
    return previous_month(now)


def branch_contacts(session: Session) -> list[Subscriber]:
    return list(
        session.scalars(
            select(Subscriber)
            .where(
                Subscriber.kind == "branch",
                Subscriber.branch.is_not(None),
                Subscriber.enabled.is_(True),
                Subscriber.unsubscribed_at.is_(None),
            )
            .order_by(Subscriber.id)
        )
    )


def queue_monthly_reports(
    session: Session,
    config: Any,
    now: datetime,
    *,
    ted_site_url: str,
    period: Period | None = None,
) -> int:
    """Queue one report email per branch contact for ``period`` (default: the month due at ``now``).

    ``config`` is the service's ``AppConfig`` (its ``branches``, ``service.innovation_goal`` and the
    ``declared`` rule of its innovation rules). Returns how many emails were queued now; contacts
    already served for the period are skipped.
    """
    if period is None:
        period = due_period(now)
        if period is None:
            return 0
    branches: BranchesConfig = config.branches
    served = set(
        session.scalars(
            select(OutboxMessage.subscriber_id).where(
                OutboxMessage.kind == KIND, OutboxMessage.ref == period.slug
            )
        )
    )
    todo = [c for c in branch_contacts(session) if c.id not in served]
    if not todo:
        return 0
    rules = getattr(config, "rules", None)
    declared_rule = rules.declared.summary() if rules is not None else ""
    report = build_report(
        session, branches, period, goal=config.service.innovation_goal, declared_rule=declared_rule, now=now
    )
    queued = 0
    calls_by_area: dict[str, list[CallRow]] = {}
    reviews_by_area: dict[str, dict[str, list[CallRow]]] = {}
    payloads: dict[tuple[str, str], dict[str, Any]] = {}
    for contact in todo:
        try:
            area = resolve_area(branches, contact.branch or "")
        except ReportError as exc:
            log.warning("branch contact %s: %s; no report queued", contact.email, exc)
            continue
        if area not in calls_by_area:
            calls_by_area[area] = list_calls(
                session, branches, period, area=area, label="innovative", with_reasons=True,
                ted_site_url=ted_site_url, refresh=False, limit=MAX_CALLS,
            )  # fmt: skip
            reviews_by_area[area] = {
                review: list_calls(
                    session,
                    branches,
                    period,
                    area=area,
                    review=review,
                    with_reasons=True,
                    ted_site_url=ted_site_url,
                    refresh=False,
                    limit=MAX_REVIEW,
                )
                for review in REVIEWS
            }
        key = (area, contact.language)
        if key not in payloads:  # contacts of one branch and language get the same email
            payloads[key] = email_payload(
                report, area, contact.language, calls_by_area[area], reviews_by_area[area]
            )
        payload = payloads[key]
        row_id = enqueue(
            session, subscriber_id=contact.id, kind=KIND, ref=period.slug, payload=payload, now=now
        )
        queued += row_id is not None
    log.info("monthly reports for %s: %d queued", period.slug, queued)
    return queued


def email_payload(
    report: Report,
    area: str,
    lang: str,
    calls: list[CallRow],
    reviews: dict[str, list[CallRow]] | None = None,
) -> dict[str, Any]:
    """The frozen email: subject, text, HTML referring to its charts by Content-ID, the PNGs."""
    # matplotlib adds 0.5 s to every start of the CLI and the service (python -X importtime):
    # only code that draws a chart loads it.
    from monitor.reports.charts import report_charts

    if lang not in LANGUAGES:
        lang = "fi"
    figures = report.area(area)
    charts = report_charts(report, lang, area=area)
    intro = t(lang, "greeting", period=report.period.label)
    html = render_html(
        report, lang, charts=charts, calls=calls, highlight=area,
        image_src={name: f"cid:{CIDS[name]}" for name in charts}, intro=intro, reviews=reviews,
    )  # fmt: skip
    return {
        "period": report.period.slug,
        "area": area,
        "language": lang,
        "subject": t(lang, "subject", period=report.period.label, area=figures.name(lang)),
        "text": email_text(report, area, lang, calls, intro, reviews),
        "html": html,
        "images": {CIDS[name]: base64.b64encode(png).decode("ascii") for name, png in charts.items()},
        "figures": {
            "calls": figures.calls,
            "innovative": figures.innovative,
            "possible": figures.possible,
            "innovative_share_pct": figures.innovative_share,
            "declared": figures.declared,
            "declared_share_pct": figures.declared_share,
            "goal_pct": figures.goal_percent,
        },
    }


def _status(gap: float | None, goal: float | None, lang: str) -> str:
    """ "12.0 pp below the goal of 5 %": the distance in words, never a bare negative number."""
    if goal is None:
        return t(lang, "no_goal")
    if gap is None:
        return t(lang, "no_calls")
    key = "above_goal" if gap <= 0 else "below_goal"
    return t(lang, key, pp=f"{abs(gap):.1f} {t(lang, 'pp')}", goal=goal)


def email_text(
    report: Report,
    area: str,
    lang: str,
    calls: list[CallRow],
    intro: str,
    reviews: dict[str, list[CallRow]] | None = None,
) -> str:
    a, total = report.area(area), report.total
    status = _status(a.gap_pp, a.goal_percent, lang)
    declared_status = _status(a.declared_gap_pp, a.goal_percent, lang)
    lines = [
        intro,
        "",
        f"{a.name(lang)} — {t(lang, 'period')} {report.period.label}",
        f"  {t(lang, 'calls')}: {a.calls}   {t(lang, 'innovative')}: {a.innovative}   "
        f"{t(lang, 'possible')}: {a.possible}",
        f"  {t(lang, 'innovative_share')}: {fmt_pct(a.innovative_share)} ({status})",
        f"  {t(lang, 'change')} ({t(lang, 'previous')} {report.previous.label}): {fmt_pp(a.change_pp, lang)}",
        f"  {t(lang, 'value')}: {fmt_money(a.value_eur if a.value_known else None, 'EUR')}, "
        f"{t(lang, 'value_share')} {fmt_pct(a.innovative_value_share)}, "
        f"{t(lang, 'value_missing')}: {a.value_missing}",
        f"  {total.name(lang)}: {fmt_pct(total.innovative_share)} ({total.innovative}/{total.calls})",
        "",
        t(lang, "declared_title"),
        f"  {t(lang, 'declared')}: {a.declared}   {t(lang, 'declared_share')}: {fmt_pct(a.declared_share)} "
        f"({declared_status})",
        f"  {t(lang, 'declared_value_share')}: {fmt_pct(a.declared_value_share)}   "
        f"{t(lang, 'detected_value_share')}: {fmt_pct(a.innovative_value_share)}",
        f"  {t(lang, 'both')}: {a.declared_and_detected}   "
        f"{t(lang, 'declared_only')}: {a.declared_not_detected}   "
        f"{t(lang, 'detected_only')}: {a.detected_not_declared}",
        f"  {total.name(lang)}: {fmt_pct(total.declared_share)} ({total.declared}/{total.calls})",
        "  " + t(lang, "declared_intro", rule=report.declared_rule or "–"),
        "",
        t(lang, "calls_of_month") + ":",
    ]
    if not calls:
        lines.append("  " + t(lang, "none_innovative"))
    for c in calls:
        lines.append(f"- {c.title or c.procedure_key} ({c.buyer_name or '–'}, {c.period_date})")
        if c.url:
            lines.append(f"  {c.url}")
        reasons = "; ".join(f"{r.get('signal_id')} “{r.get('matched')}”" for r in c.reasons[:5])
        if reasons:
            lines.append(f"  {t(lang, 'reasons')}: {reasons}")
    for review, rows in (reviews or {}).items():
        more = review_more(report, review, len(rows), area)
        lines += ["", t(lang, f"review_{review.replace('-', '_')}") + f" ({len(rows) + more}):"]
        if not rows:
            lines.append("  " + t(lang, "review_none"))
        for c in rows:
            lines.append(
                f"- {c.title or c.procedure_key} ({c.buyer_name or '–'}, {c.period_date}, {c.label or '–'})"
            )
            if c.url:
                lines.append(f"  {c.url}")
            answers = "; ".join(f"{k}: {', '.join(v)}" for k, v in c.declared_answers.items())
            if answers:
                lines.append(f"  {t(lang, 'answers')}: {answers}")
        if more:
            lines.append("  " + t(lang, "review_more", n=more, review=review))
    return "\n".join(lines) + "\n"
