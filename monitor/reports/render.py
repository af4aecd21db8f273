"""The branch report as text, CSV or HTML (with its charts embedded as ``data:`` PNGs).

CSV is for spreadsheets and scripts: its columns are English identifiers whose names and order
never change (``CSV_COLUMNS``), numbers are plain (dot decimals, no thousands separators) and a
missing figure is an empty cell. Text and HTML are for people, in fi, sv or en.
"""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from monitor.reports.figures import REVIEWS, TOTAL, AreaFigures, CallRow, Report
from monitor.reports.i18n import LANGUAGES, TEXTS, t
from monitor.safety import csv_cell

FORMATS = ("text", "csv", "html")
NAME_WIDTH = 44
CSV_COLUMNS = (
    "period_start",
    "period_end",
    "area",
    "area_kind",
    "name_fi",
    "name_en",
    "calls",
    "innovative",
    "possible",
    "unclassified",
    "innovative_share_pct",
    "innovative_or_possible_share_pct",
    "cancelled_not_counted",
    "value_known",
    "value_missing",
    "value_eur",
    "innovative_value_eur",
    "innovative_value_share_pct",
    "previous_start",
    "previous_end",
    "previous_calls",
    "previous_innovative",
    "previous_innovative_share_pct",
    "change_pp",
    "goal_pct",
    "gap_to_goal_pp",
    "notices_used",
    # Declared innovation (issue #16), appended so scripts reading the columns above keep working.
    "declared",
    "declared_share_pct",
    "declared_value_eur",
    "declared_value_share_pct",
    "declared_and_detected",
    "declared_not_detected",
    "detected_not_declared",
    "not_evaluated",
    "previous_declared",
    "declared_gap_to_goal_pp",
)
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),  # every value from notices is escaped
    trim_blocks=True,
    lstrip_blocks=True,
)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}"


def csv_rows(report: Report, areas: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per area (only ``areas``, by key, when given: a branch's own page)."""
    out = []
    for a in [*report.areas, report.total]:
        if areas is not None and a.key not in areas:
            continue
        out.append(
            {
                "period_start": report.period.start.isoformat(),
                "period_end": report.period.end.isoformat(),
                "area": a.key,
                "area_kind": a.kind,
                "name_fi": a.name("fi"),
                "name_en": a.name("en"),
                "calls": a.calls,
                "innovative": a.innovative,
                "possible": a.possible,
                "unclassified": a.unclassified,
                "innovative_share_pct": _num(a.innovative_share),
                "innovative_or_possible_share_pct": _num(a.innovative_or_possible_share),
                "cancelled_not_counted": a.cancelled,
                "value_known": a.value_known,
                "value_missing": a.value_missing,
                "value_eur": _num(a.value_eur),
                "innovative_value_eur": _num(a.innovative_value_eur),
                "innovative_value_share_pct": _num(a.innovative_value_share),
                "previous_start": report.previous.start.isoformat(),
                "previous_end": report.previous.end.isoformat(),
                "previous_calls": a.prev_calls,
                "previous_innovative": a.prev_innovative,
                "previous_innovative_share_pct": _num(a.prev_share),
                "change_pp": _num(a.change_pp),
                "goal_pct": _num(a.goal_percent),
                "gap_to_goal_pp": _num(a.gap_pp),
                "notices_used": a.notices,
                "declared": a.declared,
                "declared_share_pct": _num(a.declared_share),
                "declared_value_eur": _num(a.declared_value_eur),
                "declared_value_share_pct": _num(a.declared_value_share),
                "declared_and_detected": a.declared_and_detected,
                "declared_not_detected": a.declared_not_detected,
                "detected_not_declared": a.detected_not_declared,
                "not_evaluated": a.not_evaluated,
                "previous_declared": a.prev_declared,
                "declared_gap_to_goal_pp": _num(a.declared_gap_pp),
            }
        )
    return out


def render_csv(report: Report, areas: list[str] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in csv_rows(report, areas))
    return buf.getvalue()


CALLS_CSV_COLUMNS = (
    "date",
    "area",
    "label",
    "cancelled",
    "procedure",
    "title",
    "buyer",
    "value",
    "currency",
    "url",
    "declared",
    "declared_answers",
)


def render_calls_csv(rows: list[CallRow]) -> str:
    """``report calls --format csv``: one row per procedure, notice text made formula-safe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CALLS_CSV_COLUMNS)
    for r in rows:
        value = r.value_amount if r.value_amount is not None else ""
        declared = "" if r.declared is None else r.declared
        answers = "; ".join(f"{k}={','.join(v)}" for k, v in r.declared_answers.items())
        cells = [r.period_date, r.area, r.label or "", r.cancelled, r.procedure_key, r.title or "",
                 r.buyer_name or "", value, r.value_currency or "", r.url or "",
                 declared, answers]  # fmt: skip
        writer.writerow([_cell(c) for c in cells])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as text (``monitor/safety.py``)."""
    return csv_cell(value) if isinstance(value, str) else value


# ------------------------------------------------------------------------------ for people
def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def fmt_pp(value: float | None, lang: str) -> str:
    return "–" if value is None else f"{value:+.1f} {t(lang, 'pp')}"


def fmt_eur(value: float | None) -> str:
    return fmt_money(value, "EUR")


def fmt_money(value: float | None, currency: str | None) -> str:
    """``1 234 567 €`` (no-break spaces between thousands: a figure never wraps)."""
    if value is None:
        return "–"
    unit = "€" if (currency or "EUR") == "EUR" else currency
    return f"{value:,.0f} {unit}".replace(",", "\u00a0")


def goal_text(report: Report, lang: str) -> str:
    """The goal as the header says it: ``10 %``, or each goal of the period from its first month."""
    steps = report.goal_steps
    if not steps:
        return t(lang, "no_goal")
    if len(steps) == 1:
        return f"{steps[0][1]:g} %"
    return ", ".join(t(lang, "goal_steps", goal=g, start=f"{d:%Y-%m}") for d, g in steps)


def goal_note(report: Report, lang: str) -> str:
    """How a period with several goals is measured; empty when one goal applies."""
    if len(report.goal_steps) < 2:
        return ""
    return t(lang, "goal_weighted", goal=report.goal_percent or 0.0)


Reviews = dict[str, list[CallRow]]
"""Review list name (``figures.REVIEWS``) → its calls (possibly cut short: see ``review_more``)."""


def review_more(report: Report, review: str, shown: int, area: str | None = None) -> int:
    """How many calls of a review list (of ``area``, default Finland in total) are not shown."""
    figures = report.area(area or TOTAL)
    n = figures.declared_not_detected if review == REVIEWS[0] else figures.detected_not_declared
    return max(0, n - shown)


def _ctx(report: Report, lang: str) -> dict[str, Any]:
    used = report.notices_used
    procedures = sum(a.calls + a.cancelled for a in report.areas)
    return {
        "goal": goal_text(report, lang),
        "goal_note": goal_note(report, lang),
        "declared_intro": t(lang, "declared_intro", rule=report.declared_rule or "–"),
        "not_evaluated": t(lang, "not_evaluated", n=report.total.not_evaluated)
        if report.total.not_evaluated
        else "",
        "used": t(lang, "used", procedures=procedures, notices=sum(used.values()), **used),
        "rules": t(lang, "rules", missing=report.total.value_missing),
        "unclassified": t(lang, "unclassified", n=report.total.unclassified)
        if report.total.unclassified
        else "",
    }


def render_text(report: Report, lang: str = "fi", reviews: Reviews | None = None) -> str:
    if lang not in LANGUAGES:
        lang = "fi"
    ctx = _ctx(report, lang)
    head = (
        f"{t(lang, 'title')}\n"
        f"{t(lang, 'period')}: {report.period.label}   {t(lang, 'previous')}: {report.previous.label}   "
        f"{t(lang, 'goal')}: {ctx['goal']}\n"
    )
    cols = [
        (t(lang, "area"), NAME_WIDTH, "<"),
        (t(lang, "calls"), 11, ">"),
        (t(lang, "innovative"), 14, ">"),
        (t(lang, "possible"), 11, ">"),
        (t(lang, "share"), 8, ">"),
        (t(lang, "value"), 16, ">"),
        (t(lang, "value_share"), 11, ">"),
        (t(lang, "value_missing"), 13, ">"),
        (t(lang, "change"), 12, ">"),
        (t(lang, "gap"), 19, ">"),
        (t(lang, "cancelled"), 11, ">"),
    ]
    lines = [head, "  ".join(f"{name[:w]:{a}{w}}" for name, w, a in cols)]

    def line(a: AreaFigures) -> str:
        cells = [
            a.name(lang),
            str(a.calls),
            str(a.innovative),
            str(a.possible),
            fmt_pct(a.innovative_share),
            fmt_eur(a.value_eur if a.value_known else None),
            fmt_pct(a.innovative_value_share),
            str(a.value_missing),
            fmt_pp(a.change_pp, lang),
            fmt_pp(a.gap_pp, lang),
            str(a.cancelled),
        ]
        return "  ".join(f"{c[:w]:{al}{w}}" for c, (_, w, al) in zip(cells, cols, strict=True))

    lines += [line(a) for a in report.areas]
    lines.append("-" * len(lines[1]))
    lines.append(line(report.total))
    lines += ["", ctx["used"], ctx["rules"]]
    if ctx["goal_note"]:
        lines.append(ctx["goal_note"])
    if ctx["unclassified"]:
        lines.append(ctx["unclassified"])
    lines += ["", "", _declared_table(report, lang), "", ctx["declared_intro"]]
    if ctx["not_evaluated"]:
        lines.append(ctx["not_evaluated"])
    for review, calls in (reviews or {}).items():
        lines += ["", t(lang, f"review_{review.replace('-', '_')}") + f" ({len(calls)}):"]
        lines += [_call_line(c, lang) for c in calls] or ["  " + t(lang, "review_none")]
        more = review_more(report, review, len(calls))
        if more:
            lines.append("  " + t(lang, "review_more", n=more, review=review))
    return "\n".join(lines) + "\n"


DECLARED_COLUMNS = (
    ("area", NAME_WIDTH, "<"),
    ("calls", 11, ">"),
    ("detected_share", 11, ">"),
    ("declared", 11, ">"),
    ("declared_share", 11, ">"),
    ("detected_value_share", 13, ">"),
    ("declared_value_share", 13, ">"),
    ("both", 9, ">"),
    ("declared_only", 16, ">"),
    ("detected_only", 16, ">"),
    ("declared_gap", 19, ">"),
)


def declared_cells(a: AreaFigures, lang: str) -> list[str]:
    """One area's line of the declared-next-to-detected table (text and HTML)."""
    return [
        a.name(lang),
        str(a.calls),
        fmt_pct(a.innovative_share),
        str(a.declared),
        fmt_pct(a.declared_share),
        fmt_pct(a.innovative_value_share),
        fmt_pct(a.declared_value_share),
        str(a.declared_and_detected),
        str(a.declared_not_detected),
        str(a.detected_not_declared),
        fmt_pp(a.declared_gap_pp, lang),
    ]


def _declared_table(report: Report, lang: str) -> str:
    cols = [(t(lang, key), max(w, len(t(lang, key))), al) for key, w, al in DECLARED_COLUMNS]

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c[:w]:{al}{w}}" for c, (_, w, al) in zip(cells, cols, strict=True))

    header = line([name for name, _, _ in cols])
    body = [line(declared_cells(a, lang)) for a in report.areas]
    return "\n".join(
        [
            t(lang, "declared_title"),
            header,
            *body,
            "-" * len(header),
            line(declared_cells(report.total, lang)),
        ]
    )


def _call_line(c: CallRow, lang: str) -> str:
    answers = "; ".join(f"{k}: {', '.join(v)}" for k, v in c.declared_answers.items())
    label = c.label or "–"
    out = f"- {c.period_date}  {c.area:<15} {t(lang, 'label_word')}: {label:<10} {c.title or c.procedure_key}"
    out += f"\n    {c.buyer_name or '–'} · {c.url or c.procedure_key}"
    if answers:
        out += f"\n    {t(lang, 'answers')}: {answers}"
    return out


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(
    report: Report,
    lang: str = "fi",
    *,
    charts: dict[str, bytes] | None = None,
    calls: list[CallRow] | None = None,
    highlight: str | None = None,
    image_src: dict[str, str] | None = None,
    intro: str | None = None,
    reviews: Reviews | None = None,
) -> str:
    """The report page. Charts are embedded as data: URIs unless ``image_src`` names them
    (an email refers to its inline attachments as ``cid:…`` instead: mail clients block data: URIs)."""
    if lang not in LANGUAGES:
        lang = "fi"
    if charts is None:
        # matplotlib adds 0.5 s to every start of the CLI and the service (python -X importtime):
        # only code that draws a chart loads it.
        from monitor.reports.charts import report_charts

        charts = report_charts(report, lang, area=highlight)
    images = image_src or {name: data_uri(png) for name, png in charts.items()}
    template = _env.get_template("branches.html.j2")
    return template.render(
        r=report,
        lang=lang,
        t=lambda key, **kw: t(lang, key, **kw),
        images=images,
        calls=calls,
        highlight=highlight,
        intro=intro,
        pct=fmt_pct,
        pp=lambda v: fmt_pp(v, lang),
        eur=fmt_eur,
        money=fmt_money,
        ctx=_ctx(report, lang),
        texts=TEXTS,
        reviews=reviews or {},
        review_more=lambda review, shown: review_more(report, review, shown, highlight),
        declared_cells=lambda a: declared_cells(a, lang),
        area_name=lambda key: report.area(key).name(lang) if key else "–",
        declared_headers=[t(lang, key) for key, _, _ in DECLARED_COLUMNS],
    )


def render(report: Report, fmt: str, lang: str = "fi", reviews: Reviews | None = None) -> str:
    if fmt == "csv":
        return render_csv(report)
    if fmt == "html":
        return render_html(report, lang, reviews=reviews)
    return render_text(report, lang, reviews)
