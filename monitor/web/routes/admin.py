"""The admin pages (issue #15): operations for admins, each branch's innovation figures for
admins and that branch's contacts.

Nothing here computes a figure of its own: the operations page shows what ``tenderwatch status``
shows (``monitor.service.status``, ``db.store_failures``), the bulk retry is ``tenderwatch alerts
retry --failed`` (``monitor.alerts.outbox.retry_failed``), and a branch page is the branch report
(``monitor.reports``: ``build_report``, ``list_calls``, its charts and CSV writers) for one branch.
Every POST is CSRF-checked by the app's middleware and writes one ``audit_log`` row.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from db.models.alerts import OUTBOX_STATES
from db.models.runs import CrawlRun
from db.store_failures import summary as failure_summary
from monitor.alerts.outbox import outbox_rows, retry_failed
from monitor.config import AppConfig
from monitor.reports.figures import TOTAL, Report, build_report, list_calls
from monitor.reports.periods import Period, helsinki_date
from monitor.reports.render import render_calls_csv, render_csv
from monitor.service.status import open_problems, outbox_summary, recent_runs, scheduled_jobs, watermarks
from monitor.web import i18n
from monitor.web.context import lang_of, reading, render, state, writing
from monitor.web.guards import audit, require_admin, require_branch_access, require_staff
from monitor.web.roles import Identity

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 5
FAILED_SHOWN = 10
"""Failed emails listed with their reason, so an admin sees what to fix before retrying."""
"""Recent runs per source, as ``tenderwatch status`` shows by default."""
CALLS_SHOWN = 200
"""Calls listed per label on a branch page; the CSV has them all."""
FIRST_YEAR = 2017
"""The report's history starts here (``monitor.reports.figures.HISTORY_FROM``)."""

Admin = Annotated[Identity, Depends(require_admin)]
Staff = Annotated[Identity, Depends(require_staff)]
BranchViewer = Annotated[Identity, Depends(require_branch_access)]


@router.get("/admin")
@router.get("/admin/")
def admin_home(request: Request, who: Staff) -> Response:
    """Where the header's admin link leads: operations for admins, else the person's branch(es)."""
    if who.admin:
        return RedirectResponse("/admin/operations", status_code=303)
    if len(who.branches) == 1:
        return RedirectResponse(f"/admin/branches/{next(iter(who.branches))}", status_code=303)
    return RedirectResponse("/admin/branches", status_code=303)


# ---------------------------------------------------------------------------------- operations
@dataclass(frozen=True)
class SourceRuns:
    source: str
    runs: list[CrawlRun]


def duration(run: CrawlRun) -> timedelta | None:
    return run.finished_at - run.started_at if run.finished_at else None


@router.get("/admin/operations")
def operations(request: Request, who: Admin, retried: int | None = None) -> Response:
    """``tenderwatch status`` as a page: runs, watermarks, failed documents, the outbox, problems.

    The page asks for itself again every 30 s (htmx, shipped in /static) and swaps only the
    figures, so a form being used or the scroll position is never lost.
    """
    with reading(request) as session:
        runs = recent_runs(session, RUNS_SHOWN)
        by_source: dict[str, list[CrawlRun]] = {}
        for r in runs:
            by_source.setdefault(r.source, []).append(r)
        failed_docs, given_up = failure_summary(session)
        doc_sources = sorted({s for s, _ in failed_docs})
        ctx: dict[str, Any] = {
            "sources": [SourceRuns(s, rs) for s, rs in by_source.items()],
            "marks": watermarks(session),
            "jobs": scheduled_jobs(session),
            "doc_failures": [
                (s, failed_docs.get((s, False), 0), failed_docs.get((s, True), 0)) for s in doc_sources
            ],
            "given_up": given_up,
            "outbox": outbox_summary(session),
            "failed_rows": outbox_rows(session, "failed", FAILED_SHOWN),
            "states": OUTBOX_STATES,
            "problems": open_problems(session),
        }
        now = state(request).clock()
    return render(
        request,
        "admin_operations.html.j2",
        user=who,
        who=who,
        now=now,
        retried=retried,
        duration=duration,
        **ctx,
    )


@router.post("/admin/operations/retry-failed")
def retry_failed_alerts(request: Request, who: Admin) -> Response:
    """``tenderwatch alerts retry --failed``: every failed email goes back to pending, sent with the
    same Message-ID by the next send run; one audit row says who did it and how many."""
    now = state(request).clock()
    with writing(request) as session:
        before = outbox_summary(session).counts
        count = retry_failed(session, now)
        audit(
            session,
            who,
            "alerts.retry_failed",
            "outbox",
            at=now,
            old={"failed": before.get("failed", 0), "pending": before.get("pending", 0)},
            new={"requeued": count},
        )
    return RedirectResponse(f"/admin/operations?retried={count}", status_code=303)


# ---------------------------------------------------------------------------------- branches
def year_period(request: Request, year: int | None) -> Period:
    """A calendar year, up to today (Helsinki) for the current one; the current year by default."""
    today = helsinki_date(state(request).clock())
    chosen = year if year is not None and FIRST_YEAR <= year <= today.year else today.year
    return Period(date(chosen, 1, 1), min(today, date(chosen, 12, 31)))


def year_report(request: Request, session: Any, period: Period) -> Report:
    """The branch report for ``period``, with service.yaml's goal history and declared rule,
    exactly as ``tenderwatch report branches --from … --to …`` builds it."""
    config = state(request).config()
    return build_report(
        session,
        config.branches,
        period,
        goal=config.service.innovation_goal,
        declared_rule=config.rules.declared.summary(),
        now=state(request).clock(),
    )


def branch_names(config: AppConfig, lang: str) -> dict[str, str]:
    return {b.id: getattr(b.names, lang, b.names.en) for b in config.branches.branches}


@router.get("/admin/branches")
def branches_page(request: Request, who: Staff, year: int | None = None) -> Response:
    """Every branch's innovative share this year against the goal (a contact: their own branches)."""
    period = year_period(request, year)
    # A writing session: the report first brings its derived rows up to date (cheap when they are).
    with writing(request) as session:
        report = year_report(request, session, period)
    rows = [a for a in report.areas if a.kind == "branch" and who.may_see_branch(a.key)]
    # Admins also see the groups (municipalities, wellbeing counties, …): without them the branches
    # do not add up to Finland's total, which puzzled the first reader of this page.
    groups = [a for a in report.areas if a.kind == "group" and a.calls] if who.admin else []
    return render(
        request,
        "admin_branches.html.j2",
        user=who,
        who=who,
        report=report,
        rows=rows,
        groups=groups,
        total=report.total if who.admin else None,
        period=period,
        years=year_choices(request),
    )


def year_choices(request: Request) -> list[int]:
    today = helsinki_date(state(request).clock())
    return list(range(today.year, FIRST_YEAR - 1, -1))


def _branch_or_404(request: Request, branch_id: str) -> None:
    if state(request).config().branches.branch(branch_id) is None:
        raise HTTPException(status_code=404, detail=i18n.strings(lang_of(request))["admin_no_branch"])


@router.get("/admin/branches/{branch_id}")
def branch_page(
    request: Request, branch_id: str, who: BranchViewer, year: Annotated[int | None, Query()] = None
) -> Response:
    """One branch: its share by month against the goal, declared and detected, by count and by
    value, the report's charts, and its innovative and possible calls."""
    # Imported here: matplotlib adds 0.5 s to every start of the CLI and the service.
    from monitor.reports.charts import report_charts

    _branch_or_404(request, branch_id)
    lang = lang_of(request)
    period = year_period(request, year)
    config = state(request).config()
    with writing(request) as session:
        report = year_report(request, session, period)
        calls = {
            label: list_calls(
                session,
                config.branches,
                period,
                area=branch_id,
                label=label,
                refresh=False,  # year_report has just refreshed the derived rows
                ted_site_url=state(request).settings.ted_site_url,
                limit=CALLS_SHOWN,
            )
            for label in ("innovative", "possible")
        }
    area = report.area(branch_id)
    charts = report_charts(report, lang, area=branch_id, fmt="svg")
    return render(
        request,
        "admin_branch.html.j2",
        user=who,
        who=who,
        report=report,
        area=area,
        total=report.area(TOTAL),
        months=report.trend[branch_id],
        charts={name: svg_data_uri(svg) for name, svg in charts.items()},
        calls=calls,
        period=period,
        years=year_choices(request),
        name=branch_names(config, lang).get(branch_id, branch_id),
    )


def svg_data_uri(svg: bytes) -> Markup:
    """The chart as an ``<img>`` source. Not an inline ``<svg>`` element: matplotlib's SVG styles
    itself with ``style`` attributes, which the site's CSP (no inline styles) would strip in the
    page; inside an image the SVG keeps them, and ``img-src`` already allows ``data:``."""
    return Markup("data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))


def _csv(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/admin/branches/{branch_id}/figures.csv")
def branch_figures_csv(
    request: Request, branch_id: str, who: BranchViewer, year: Annotated[int | None, Query()] = None
) -> Response:
    """The branch's line of ``tenderwatch report branches --format csv`` (same columns)."""
    _branch_or_404(request, branch_id)
    period = year_period(request, year)
    with writing(request) as session:
        report = year_report(request, session, period)
    return _csv(render_csv(report, areas=[branch_id]), f"tenderwatch-{branch_id}-{period.slug}.csv")


@router.get("/admin/branches/{branch_id}/calls.csv")
def branch_calls_csv(
    request: Request, branch_id: str, who: BranchViewer, year: Annotated[int | None, Query()] = None
) -> Response:
    """Every call of the branch in the year: ``tenderwatch report calls --branch ID --format csv``."""
    _branch_or_404(request, branch_id)
    period = year_period(request, year)
    config = state(request).config()
    with writing(request) as session:
        rows = list_calls(
            session,
            config.branches,
            period,
            area=branch_id,
            ted_site_url=state(request).settings.ted_site_url,
        )
    return _csv(render_calls_csv(rows), f"tenderwatch-{branch_id}-calls-{period.slug}.csv")
