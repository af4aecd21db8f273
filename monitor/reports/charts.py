"""Charts for the branch report: PNG bytes from matplotlib, drawn off-screen.

``matplotlib.figure.Figure`` with the Agg canvas, never ``pyplot``: pyplot keeps global state
and picks a GUI backend, neither of which a background service or two threads should share.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.reports.figures import TOTAL, MonthPoint, Report
from monitor.reports.i18n import t

INNOVATIVE = "#1f6f8b"
POSSIBLE = "#9ccfe0"
GOAL = "#c0392b"
HIGHLIGHT = "#e67e22"
DPI = 100  # with the sizes below: 1000 px wide, sharp in email clients without being heavy


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # No Software/date metadata: the same figures give byte-identical PNGs (cacheable, testable).
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def share_chart(report: Report, lang: str = "fi", *, highlight: str | None = None) -> bytes:
    """Horizontal bars: the innovative (and possible) share of calls per area against the goal line."""
    rows = [a for a in report.areas if a.calls or a.kind == "branch"] + [report.total]
    rows.reverse()  # barh draws bottom-up; the report reads top-down
    fig = Figure(figsize=(10, 0.42 * len(rows) + 1.6))
    ax = fig.add_subplot()
    names = [f"{a.name(lang)} ({a.calls})" for a in rows]
    inn = [a.innovative_share or 0.0 for a in rows]
    pos = [a.possible_share or 0.0 for a in rows]
    colors = [HIGHLIGHT if a.key == highlight else INNOVATIVE for a in rows]
    ax.barh(names, inn, color=colors, label=t(lang, "innovative"))
    ax.barh(names, pos, left=inn, color=POSSIBLE, label=t(lang, "possible"))
    ax.axvline(
        report.goal_percent,
        color=GOAL,
        linestyle="--",
        linewidth=2,
        label=t(lang, "goal_line", goal=report.goal_percent),
    )
    for y, a in enumerate(rows):
        if a.calls:
            ax.text(
                (a.innovative_share or 0) + (a.possible_share or 0) + 0.3,
                y,
                f"{a.innovative_share:.1f} %",
                va="center",
                fontsize=8,
            )
        if a.key == TOTAL:
            ax.get_yticklabels()[y].set_fontweight("bold")
    top = max([report.goal_percent * 1.5, *[i + p for i, p in zip(inn, pos, strict=True)]]) * 1.12
    ax.set_xlim(0, top)
    ax.set_xlabel(t(lang, "share_axis"))
    ax.set_title(t(lang, "share_title", period=report.period.label))
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def trend_chart(points: list[MonthPoint], goal_percent: float, title: str, lang: str = "fi") -> bytes:
    """Monthly innovative share (line) with the number of calls (bars) and the goal line."""
    fig = Figure(figsize=(10, 4.2))
    ax = fig.add_subplot()
    labels = [p.label for p in points]
    calls = [p.calls for p in points]
    bars = ax.twinx()
    bars.bar(labels, calls, color="#dddddd", zorder=0, label=t(lang, "calls"))
    bars.set_ylabel(t(lang, "calls"))
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))  # calls are whole numbers
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    share = [p.share if p.share is not None else float("nan") for p in points]
    wide = [(100.0 * (p.innovative + p.possible) / p.calls) if p.calls else float("nan") for p in points]
    ax.plot(labels, share, marker="o", color=INNOVATIVE, linewidth=2, label=t(lang, "innovative_share"))
    ax.plot(labels, wide, marker=".", color=POSSIBLE, linewidth=1.5, label=t(lang, "inn_or_possible_share"))
    ax.axhline(
        goal_percent, color=GOAL, linestyle="--", linewidth=2, label=t(lang, "goal_line", goal=goal_percent)
    )
    finite = [v for v in share + wide if v == v]
    ax.set_ylim(0, max([goal_percent * 1.5, *finite]) * 1.15)
    ax.set_ylabel(t(lang, "share_axis"))
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def report_charts(report: Report, lang: str = "fi", *, area: str | None = None) -> dict[str, bytes]:
    """The report's two charts, by name: ``shares`` and ``trend`` (of ``area``, or Finland)."""
    key = area or TOTAL
    figures = report.area(key)
    title = t(lang, "trend_title", area=figures.name(lang))
    return {
        "shares": share_chart(report, lang, highlight=area),
        "trend": trend_chart(report.trend[key], report.goal_percent, title, lang),
    }
