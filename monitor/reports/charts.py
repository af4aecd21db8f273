"""Charts for the branch report: PNG (email, files) or SVG (the web app) bytes from matplotlib,
drawn off-screen.

``matplotlib.figure.Figure`` with the Agg canvas, never ``pyplot``: pyplot keeps global state
and picks a GUI backend, neither of which a background service or two threads should share.

Every chart shows the buyers' declared share next to the classifier's detected share, in the
same two colours throughout (blue: detected by TenderWatch; orange: declared by the buyer),
and the goal in red, stepping where the goal changed.
"""

from __future__ import annotations

import io
from typing import Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.reports.figures import TOTAL, MonthPoint, Report
from monitor.reports.i18n import t

INNOVATIVE = "#1f6f8b"
POSSIBLE = "#9ccfe0"
DECLARED = "#e67e22"
GOAL = "#c0392b"
HIGHLIGHT_BG = "#fdebd0"
DPI = 100  # with the sizes below: 1000 px wide, sharp in email clients without being heavy
NAN = float("nan")


ImageFormat = Literal["png", "svg"]
"""PNG for email clients and files; SVG for the web app (sharp at any width, a phone's included)."""


def _png(fig: Figure, fmt: ImageFormat = "png") -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # No Software/date metadata: the same figures give byte-identical images (cacheable, testable).
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def share_chart(
    report: Report, lang: str = "fi", *, highlight: str | None = None, fmt: ImageFormat = "png"
) -> bytes:
    """Per area, two bars: the detected share (innovative, then possible) and the declared share,
    with the goal (one line when every area has the same goal, else a mark on each area)."""
    rows = [a for a in report.areas if a.calls or a.kind == "branch"] + [report.total]
    rows.reverse()  # barh draws bottom-up; the report reads top-down
    height = 0.55 * len(rows) + 2.4
    fig = Figure(figsize=(10, height))
    ax = fig.add_subplot()
    names = [f"{a.name(lang)} ({a.calls})" for a in rows]
    y = list(range(len(rows)))
    inn = [a.innovative_share or 0.0 for a in rows]
    pos = [a.possible_share or 0.0 for a in rows]
    dec = [a.declared_share or 0.0 for a in rows]
    up = [i + 0.2 for i in y]
    down = [i - 0.2 for i in y]
    ax.barh(up, inn, height=0.38, color=INNOVATIVE, label=t(lang, "detected_bar"))
    ax.barh(up, pos, height=0.38, left=inn, color=POSSIBLE, label=t(lang, "possible_bar"))
    ax.barh(down, dec, height=0.38, color=DECLARED, label=t(lang, "declared_bar"))
    ax.set_yticks(y, names)
    for i, a in enumerate(rows):
        if a.key == highlight:
            ax.axhspan(i - 0.5, i + 0.5, color=HIGHLIGHT_BG, zorder=0)
        if a.calls:  # each figure in its bar's colour, so a 0 % bar (no bar at all) still says what it is
            detected = f"{inn[i]:.1f} %" + (f" + {pos[i]:.1f} %" if pos[i] else "")
            ax.text(inn[i] + pos[i] + 0.3, up[i], detected, va="center", fontsize=7, color=INNOVATIVE)
            ax.text(dec[i] + 0.3, down[i], f"{dec[i]:.1f} %", va="center", fontsize=7, color=DECLARED)
        if a.key == TOTAL:
            ax.get_yticklabels()[i].set_fontweight("bold")
    goals = [a.goal_percent if a.calls else None for a in rows]  # no mark where nothing is measured
    known = [g for g in goals if g is not None]
    if known and len(set(known)) == 1:
        ax.axvline(
            known[0], color=GOAL, linestyle="--", linewidth=2, label=t(lang, "goal_line", goal=known[0])
        )
    elif known:
        marks = [(g, i) for i, g in enumerate(goals) if g is not None]
        ax.scatter(
            [g for g, _ in marks], [i for _, i in marks], marker="|", s=400, color=GOAL, linewidths=2,
            label=t(lang, "goal_weighted_marker"), zorder=3,
        )  # fmt: skip
    widest = max([*(i + p for i, p in zip(inn, pos, strict=True)), *dec, *(g * 1.5 for g in known), 1.0])
    ax.set_xlim(0, widest * 1.15)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(t(lang, "share_axis"))
    ax.set_title(t(lang, "share_chart_title", period=report.period.label))
    # Below the plot, never over a bar or its figure (inside, it covered Finland's line).
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout(rect=(0, 0.55 / height, 1, 1))
    return _png(fig, fmt)


def trend_chart(points: list[MonthPoint], title: str, lang: str = "fi", fmt: ImageFormat = "png") -> bytes:
    """Detected and declared shares per month (or year) as lines, the number of calls as grey bars,
    and each point's goal as a stepped line."""
    fig = Figure(figsize=(10, 4.4))
    ax = fig.add_subplot()
    # Positions, not the labels themselves: years ("2019") would be read as numbers by matplotlib.
    labels = list(range(len(points)))
    bars = ax.twinx()
    calls = bars.bar(
        labels, [p.calls for p in points], color="#dddddd", zorder=0, label=t(lang, "calls_axis")
    )
    bars.set_ylabel(t(lang, "calls"))
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))  # calls are whole numbers
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    share = [p.share if p.share is not None else NAN for p in points]
    wide = [(100.0 * (p.innovative + p.possible) / p.calls) if p.calls else NAN for p in points]
    declared = [p.declared_share if p.declared_share is not None else NAN for p in points]
    goal = [p.goal if p.goal is not None else NAN for p in points]
    ax.plot(labels, share, marker="o", color=INNOVATIVE, linewidth=2, label=t(lang, "detected_bar"))
    ax.plot(labels, wide, marker=".", color=POSSIBLE, linewidth=1.5, label=t(lang, "inn_or_possible_share"))
    ax.plot(labels, declared, marker="s", color=DECLARED, linewidth=2, label=t(lang, "declared_bar"))
    ax.plot(
        labels,
        goal,
        color=GOAL,
        linestyle="--",
        linewidth=2,
        drawstyle="steps-mid",
        label=t(lang, "goal_marker"),
    )
    finite = [v for v in share + wide + declared + goal if v == v]
    ax.set_ylim(0, max([1.0, *finite]) * 1.2)
    ax.set_ylabel(t(lang, "share_axis"))
    ax.set_title(title)
    ax.set_xticks(labels, [p.label for p in points])
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        [*handles, calls], [*names, t(lang, "calls_axis")], loc="upper left", fontsize=8
    )  # grey = calls
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig, fmt)


def report_charts(
    report: Report, lang: str = "fi", *, area: str | None = None, fmt: ImageFormat = "png"
) -> dict[str, bytes]:
    """The report's charts, by name: ``shares``, ``trend`` (of ``area``, or Finland) and, when the
    trend is monthly and the store holds two years or more, ``history`` (one point per year)."""
    key = area or TOTAL
    name = report.area(key).name(lang)
    trend_title = t(lang, "trend_title_yearly" if report.trend_yearly else "trend_title", area=name)
    charts = {
        "shares": share_chart(report, lang, highlight=area, fmt=fmt),
        "trend": trend_chart(report.trend[key], trend_title, lang, fmt),
    }
    history = report.history.get(key)
    if history:
        title = t(lang, "history_title", first=history[0].label, last=history[-1].label, area=name)
        charts["history"] = trend_chart(history, title, lang, fmt)
    return charts
