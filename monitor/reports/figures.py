"""The branch report's figures, aggregated by the database over ``report_procedures``.

Every figure is a GROUP BY over the period's rows (a few hundred groups come back, never the
procedures), so the report costs one index range scan per period however many procedures
there are. Python only folds the groups into one row per area and works out shares.

What is counted (see ``monitor.reports.facts`` for how a procedure gets its period, area and
label): procedures, not notices; a cancelled procedure is left out of the calls and values
and shown in its own column; values are estimated values in euro, and a call without one (or
in another currency) is counted as "value missing"; the goal is measured on the share of
calls labelled ``innovative``, and the same share of calls the buyer declared innovative (the
``declared`` rule of innovation.yaml) is measured beside it.

The goal changes over time (``service.yaml``'s ``innovation_goal``): each month is measured
against the goal in force then (``monitor.reports.goals``), and a period of several months
against the goal of each month weighted by its calls, so meeting every month's goal exactly
means a distance of zero. This module is the one place that knows which goal applies when.

The trend is monthly for up to ``MAX_MONTHLY`` months and yearly beyond (a bar per month is
unreadable past three years). Beside it, ``history`` has one point per year since 2017 (or the
first year the store holds), for the long view the monthly email would otherwise lack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.models.classification import NoticeClassification
from db.models.declarations import NoticeDeclaration
from db.models.notices import Notice, NoticeSource, Procedure
from db.models.reports import ReportProcedure
from db.store_keys import publication_key
from monitor.branches import BranchesConfig
from monitor.classify.declared import NOTICE_LEVEL
from monitor.reports.facts import UNMAPPED, branches_version, refresh_report_procedures
from monitor.reports.goals import GoalHistory, GoalInput
from monitor.reports.periods import Period, ReportError
from monitor.safety import safe_url

GROUPS: dict[str, dict[str, str]] = {
    "yhteishankinta": {
        "fi": "Valtion yhteishankinnat (Hansel)",
        "sv": "Statens samupphandlingar (Hansel)",
        "en": "State central purchasing (Hansel)",
    },
    "kunta": {"fi": "Kunnat", "sv": "Kommuner", "en": "Municipalities"},
    "hyvinvointialue": {
        "fi": "Hyvinvointialueet",
        "sv": "Välfärdsområden",
        "en": "Wellbeing services counties",
    },
    "muu": {
        "fi": "Muut julkiset hankkijat",
        "sv": "Övriga offentliga upphandlare",
        "en": "Other public buyers",
    },
    UNMAPPED: {
        "fi": "Tunnistamattomat valtion hankkijat",
        "sv": "Oidentifierade statliga upphandlare",
        "en": "Unidentified central-government buyers",
    },
}
TOTAL = "FI"
TOTAL_NAMES = {"fi": "Suomi yhteensä", "sv": "Finland totalt", "en": "Finland in total"}
LABEL_FILTERS = ("innovative", "possible", "none", "any")
REVIEWS = ("declared-not-detected", "detected-not-declared")
"""The two review lists: what the buyer declared innovative and the classifier did not label
innovative, and the other way round."""
MAX_MONTHLY = 36
HISTORY_FROM = date(2017, 1, 1)


def pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


@dataclass
class AreaFigures:
    """One line of the report: a branch, a group, or Finland in total."""

    key: str
    kind: str
    """``branch``, ``group`` or ``total``."""
    names: dict[str, str]
    goal_percent: float | None = None
    """The goal of the period's months, weighted by this area's calls in each (see module doc)."""
    calls: int = 0
    innovative: int = 0
    possible: int = 0
    unclassified: int = 0
    cancelled: int = 0
    value_known: int = 0
    value_eur: float = 0.0
    innovative_value_eur: float = 0.0
    notices: int = 0
    prev_calls: int = 0
    prev_innovative: int = 0
    declared: int = 0
    """Calls the buyer declared innovative."""
    declared_value_eur: float = 0.0
    declared_and_detected: int = 0
    """Calls both declared and labelled innovative."""
    not_evaluated: int = 0
    """Calls none of whose notices has a declaration yet."""
    prev_declared: int = 0
    goal_weight: float = 0.0
    """Σ calls × goal over the months that have one (``goal_percent`` = this / ``goal_calls``)."""
    goal_calls: int = 0

    def add(self, other: AreaFigures) -> None:
        for name in (
            "calls", "innovative", "possible", "unclassified", "cancelled", "value_known", "value_eur",
            "innovative_value_eur", "notices", "prev_calls", "prev_innovative", "declared",
            "declared_value_eur", "declared_and_detected", "not_evaluated", "prev_declared", "goal_weight",
            "goal_calls",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def name(self, lang: str = "fi") -> str:
        return self.names.get(lang) or self.names.get("en") or self.key

    @property
    def value_missing(self) -> int:
        return self.calls - self.value_known

    @property
    def innovative_share(self) -> float | None:
        return pct(self.innovative, self.calls)

    @property
    def possible_share(self) -> float | None:
        return pct(self.possible, self.calls)

    @property
    def innovative_or_possible_share(self) -> float | None:
        return pct(self.innovative + self.possible, self.calls)

    @property
    def innovative_value_share(self) -> float | None:
        return pct(self.innovative_value_eur, self.value_eur)

    @property
    def prev_share(self) -> float | None:
        return pct(self.prev_innovative, self.prev_calls)

    @property
    def change_pp(self) -> float | None:
        """Change of the innovative share against the previous period, in percentage points."""
        now, before = self.innovative_share, self.prev_share
        return None if now is None or before is None else round(now - before, 2)

    @property
    def declared_share(self) -> float | None:
        return pct(self.declared, self.calls)

    @property
    def declared_value_share(self) -> float | None:
        return pct(self.declared_value_eur, self.value_eur)

    @property
    def declared_not_detected(self) -> int:
        return self.declared - self.declared_and_detected

    @property
    def detected_not_declared(self) -> int:
        return self.innovative - self.declared_and_detected

    @property
    def prev_declared_share(self) -> float | None:
        return pct(self.prev_declared, self.prev_calls)

    @property
    def gap_pp(self) -> float | None:
        """Percentage points still missing to reach the goal (negative: above it)."""
        return _gap(self.goal_percent, self.innovative_share)

    @property
    def declared_gap_pp(self) -> float | None:
        """The same for the declared share."""
        return _gap(self.goal_percent, self.declared_share)

    @property
    def meets_goal(self) -> bool | None:
        gap = self.gap_pp
        return None if gap is None else gap <= 0


def _gap(goal: float | None, share: float | None) -> float | None:
    return None if goal is None or share is None else round(goal - share, 2)


@dataclass(frozen=True)
class MonthPoint:
    """One point of a trend: a month, or a whole year (``yearly``)."""

    month: int
    """YYYYMM (a year's point: its first month)."""
    calls: int
    innovative: int
    possible: int
    declared: int = 0
    goal: float | None = None
    """The month's goal; a year's: its months' goals weighted by their calls."""
    yearly: bool = False

    @property
    def share(self) -> float | None:
        return pct(self.innovative, self.calls)

    @property
    def declared_share(self) -> float | None:
        return pct(self.declared, self.calls)

    @property
    def label(self) -> str:
        if self.yearly:
            return str(self.month // 100)
        return f"{self.month // 100}-{self.month % 100:02d}"


def by_year(points: list[MonthPoint]) -> list[MonthPoint]:
    """Monthly points folded into one per year; a year's goal weights each month by its calls
    (by its days' share of the year when the year has no calls)."""
    years: dict[int, list[MonthPoint]] = {}
    for p in points:
        years.setdefault(p.month // 100, []).append(p)
    out = []
    for year, months in years.items():
        calls = sum(p.calls for p in months)
        goals = [(p.calls if calls else 1, p.goal) for p in months if p.goal is not None]
        weight = sum(w for w, _ in goals)
        goal = round(sum(w * g for w, g in goals) / weight, 2) if weight else None
        out.append(
            MonthPoint(
                year * 100 + 1,
                calls,
                sum(p.innovative for p in months),
                sum(p.possible for p in months),
                sum(p.declared for p in months),
                goal,
                yearly=True,
            )
        )
    return out


@dataclass
class Report:
    period: Period
    previous: Period
    goals: GoalHistory
    areas: list[AreaFigures]
    total: AreaFigures
    trend: dict[str, list[MonthPoint]]
    """Area key (and ``FI``) → one point per month of ``trend_period`` (per year when it is long)."""
    trend_period: Period
    notices_used: dict[str, int]
    """Notices behind the figures by kind: ``call``, ``change``, ``award``, ``cancel``."""
    generated_at: datetime
    branches_version: str
    history: dict[str, list[MonthPoint]] = field(default_factory=dict)
    """Area key (and ``FI``) → one point per year from ``HISTORY_FROM`` (or the first year with
    calls) to the period's end; empty when the store holds fewer than two such years, or when the
    trend is yearly already."""
    declared_rule: str = ""
    """The admins' definition of "declared innovative", as the report prints it."""
    trend_yearly: bool = False
    """True when ``trend`` has one point per year (its period is longer than ``MAX_MONTHLY``)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def goal_percent(self) -> float | None:
        """The goal for Finland in total over the period (weighted by calls, see module doc)."""
        return self.total.goal_percent

    @property
    def goal_steps(self) -> list[tuple[date, float]]:
        """The goals in force during the period, each from the first month it applies."""
        return self.goals.describe(self.period.start, self.period.end)

    def area(self, key: str) -> AreaFigures:
        if key == TOTAL:
            return self.total
        for a in self.areas:
            if a.key == key:
                return a
        raise ReportError(f"no area {key!r} in this report")


def area_names(branches: BranchesConfig) -> dict[str, tuple[str, dict[str, str]]]:
    """Every area in report order: branches by budget main title, then the groups."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for b in sorted(branches.branches, key=lambda b: b.main_title):
        out[b.id] = ("branch", b.names.model_dump())
    for key, names in GROUPS.items():
        out[key] = ("group", names)
    return out


def resolve_area(branches: BranchesConfig, text: str) -> str:
    """A user's ``--branch`` value → an area key (branch ids in any case, group keys, ``FI``)."""
    value = text.strip()
    if value.upper() in (TOTAL, "FIN", "ALL"):
        return TOTAL
    names = area_names(branches)
    for key in names:
        if key.lower() == value.lower():
            return key
    raise ReportError(f"unknown branch or group {text!r}; choose one of: {', '.join([*names, TOTAL])}")


def _in_period(period: Period) -> Any:
    rp = ReportProcedure
    return and_(rp.period_date >= period.start, rp.period_date <= period.end, rp.area.is_not(None))


def _aggregate(session: Session, period: Period, start: date, end: date) -> list[tuple[Any, ...]]:
    """One scan over everything the report needs, from ``start`` to ``end``: the period, the
    previous one, the trend and the history.

    Groups by area, label, declared, cancelled and month (or day, when the period is not whole
    months), in the order of ``ix_report_procedures_aggregate``, so the database aggregates as it
    reads the index instead of sorting the rows first. A few thousand groups come back however
    many procedures there are; Python sorts them into periods. Each row:
    ``(area, label, declared, cancelled, first day, n, values known, value, n_call, n_change,
    n_award, n_cancel)``.
    """
    rp = ReportProcedure
    eur = rp.value_currency == "EUR"
    by_day = not period.whole_months
    keys = [
        rp.area,
        rp.label,
        rp.declared,
        rp.cancelled,
        rp.period_month,
        *([rp.period_date] if by_day else []),
    ]
    query = (
        select(
            *keys,
            func.count(),
            func.sum(case((and_(eur, rp.value_amount.is_not(None)), 1), else_=0)),
            func.sum(case((eur, rp.value_amount), else_=None)),
            func.sum(rp.n_call),
            func.sum(rp.n_change),
            func.sum(rp.n_award),
            func.sum(rp.n_cancel),
        )
        .where(rp.area.is_not(None), rp.period_date >= start, rp.period_date <= end)
        .group_by(*keys)
    )
    out = []
    for row in session.execute(query):
        month = cast(int, row[4])  # period_month: yyyymm
        day = row[5] if by_day else date(month // 100, month % 100, 1)
        out.append((*row[:4], day, *row[5 + by_day :]))
    return out


def build_report(
    session: Session,
    branches: BranchesConfig,
    period: Period,
    *,
    goal: GoalInput = None,
    declared_rule: str = "",
    refresh: bool = True,
    trend_months: int = 12,
    now: datetime | None = None,
) -> Report:
    """The figures of ``period`` per area, with the previous period, a trend and the history.

    ``goal``: ``service.yaml``'s ``innovation_goal`` periods, or one percent for the whole report
    (``--goal``); None: no goal. ``declared_rule``: the declared rule's summary, shown with the
    figures. ``refresh`` first brings the derived rows up to date (cheap when they are: one query).
    """
    if refresh:
        refresh_report_procedures(session, branches)
    goals = GoalHistory.of(goal)
    names = area_names(branches)
    areas: dict[str, AreaFigures] = {key: AreaFigures(key, kind, n) for key, (kind, n) in names.items()}

    def area(key: str) -> AreaFigures:
        if key not in areas:  # a branch since removed from the config: still shown, by its key
            areas[key] = AreaFigures(key, "branch", {})
        return areas[key]

    previous = period.previous()
    trend_period = period.trend(trend_months)
    history_start = min(HISTORY_FROM, trend_period.start)
    used = {"call": 0, "change": 0, "award": 0, "cancel": 0}
    counts: dict[tuple[str, int], list[int]] = {}
    """(area or FI, month) → [calls, innovative, possible, declared]: the trend and the history."""
    for key, label, declared, cancelled, day, n, known, value, *kinds in _aggregate(
        session, period, min(history_start, previous.start), max(period.end, trend_period.end)
    ):
        value = value or 0.0
        month = day.year * 100 + day.month
        innovative = label == "innovative"
        if period.start <= day <= period.end:
            a = area(key)
            a.notices += sum(k or 0 for k in kinds)
            for kind, count in zip(used, kinds, strict=True):
                used[kind] += count or 0
            if cancelled:
                a.cancelled += n
            else:
                _count_call(a, n, known or 0, value, label, declared, goals.for_month(month))
        if cancelled:
            continue
        if previous.start <= day <= previous.end:
            a = area(key)
            a.prev_calls += n
            a.prev_innovative += n if innovative else 0
            a.prev_declared += n if declared else 0
        area(key)
        for k in (key, TOTAL):
            c = counts.setdefault((k, month), [0, 0, 0, 0])
            c[0] += n
            c[1] += n if innovative else 0
            c[2] += n if label == "possible" else 0
            c[3] += n if declared else 0
    total = AreaFigures(TOTAL, "total", dict(TOTAL_NAMES))
    for a in areas.values():
        total.add(a)
    last_goal = goals.for_month(period.end.year * 100 + period.end.month)
    for a in [*areas.values(), total]:
        a.goal_percent = round(a.goal_weight / a.goal_calls, 2) if a.goal_calls else last_goal

    def points(key: str, months: list[int]) -> list[MonthPoint]:
        out = []
        for m in months:
            calls, innovative, possible, declared = counts.get((key, m), [0, 0, 0, 0])
            out.append(MonthPoint(m, calls, innovative, possible, declared, goals.for_month(m)))
        return out

    keys = [*areas, TOTAL]
    months = trend_period.months()
    yearly = len(months) > MAX_MONTHLY
    trend = {key: by_year(points(key, months)) if yearly else points(key, months) for key in keys}
    # The long view: every year since 2017 (or the first year with calls) up to the period's end.
    held = [m for (k, m), c in counts.items() if k == TOTAL and c[0] and m >= _month(history_start)]
    history: dict[str, list[MonthPoint]] = {}
    if held and not yearly:  # a yearly trend is the history already
        first = min(held)
        span = Period(date(first // 100, 1, 1), trend_period.end).months()
        if len({m // 100 for m in span}) >= 2:
            history = {key: by_year(points(key, span)) for key in keys}
    return Report(
        period=period,
        previous=previous,
        goals=goals,
        areas=list(areas.values()),
        total=total,
        trend=trend,
        trend_period=trend_period,
        notices_used=used,
        generated_at=now or utcnow(),
        branches_version=branches_version(branches),
        history=history,
        declared_rule=declared_rule,
        trend_yearly=yearly,
    )


def _month(day: date) -> int:
    return day.year * 100 + day.month


def _count_call(
    a: AreaFigures,
    n: int,
    known: int,
    value: float,
    label: str | None,
    declared: bool | None,
    goal: float | None,
) -> None:
    """Add ``n`` counted (not cancelled) calls of one group to an area's figures."""
    a.calls += n
    a.value_known += known
    a.value_eur += value
    if label == "innovative":
        a.innovative += n
        a.innovative_value_eur += value
    elif label == "possible":
        a.possible += n
    elif label is None:
        a.unclassified += n
    if declared:
        a.declared += n
        a.declared_value_eur += value
        a.declared_and_detected += n if label == "innovative" else 0
    elif declared is None:
        a.not_evaluated += n
    if goal is not None:
        a.goal_weight += n * goal
        a.goal_calls += n


# ------------------------------------------------------------------------------ drill-down
@dataclass(frozen=True)
class CallRow:
    """One procedure behind a figure."""

    procedure_pk: int
    procedure_key: str
    area: str
    period_date: date
    label: str | None
    cancelled: bool
    title: str | None
    buyer_name: str | None
    value_amount: float | None
    value_currency: str | None
    publication_number: str | None
    url: str | None
    label_notice_pk: int | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    declared: bool | None = None
    declared_answers: dict[str, list[str]] = field(default_factory=dict)
    """The answers of the notice that declared the procedure innovative (``with_reasons``)."""


def list_calls(
    session: Session,
    branches: BranchesConfig,
    period: Period,
    *,
    area: str = TOTAL,
    label: str = "any",
    review: str | None = None,
    include_cancelled: bool = False,
    with_reasons: bool = False,
    ted_site_url: str = "https://ted.europa.eu",
    refresh: bool = True,
    limit: int | None = None,
) -> list[CallRow]:
    """The procedures counted in one figure, newest first, with a link to each call.

    ``review``: one of ``REVIEWS``, the calls where the buyer's declaration and the classifier's
    label disagree (``declared-not-detected``: declared, not labelled innovative;
    ``detected-not-declared``: labelled innovative, not declared, or not evaluated yet).
    """
    if label not in LABEL_FILTERS:
        raise ReportError(f"unknown label {label!r}; choose one of: {', '.join(LABEL_FILTERS)}")
    if review is not None and review not in REVIEWS:
        raise ReportError(f"unknown review list {review!r}; choose one of: {', '.join(REVIEWS)}")
    if refresh:
        refresh_report_procedures(session, branches)
    rp = ReportProcedure
    query = (
        select(rp, Procedure.procedure_key, Procedure.title, Procedure.buyer_name, Notice.publication_number)
        .join(Procedure, Procedure.id == rp.procedure_pk)
        .outerjoin(Notice, Notice.id == rp.call_notice_pk)
        .where(_in_period(period))
        .order_by(rp.period_date.desc(), rp.procedure_pk.desc())
    )
    if area != TOTAL:
        query = query.where(rp.area == area)
    if label == "none":
        query = query.where((rp.label == "none") | rp.label.is_(None))
    elif label != "any":
        query = query.where(rp.label == label)
    if review == "declared-not-detected":
        query = query.where(rp.declared.is_(True), (rp.label != "innovative") | rp.label.is_(None))
    elif review == "detected-not-declared":
        query = query.where(rp.label == "innovative", rp.declared.is_not(True))
    if not include_cancelled:
        query = query.where(rp.cancelled.is_(False))
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    call_pks = [r[0].call_notice_pk for r in rows if r[0].call_notice_pk]
    source_urls: dict[int, str] = {}
    for start in range(0, len(call_pks), 500):
        for pk, url in session.execute(
            select(NoticeSource.notice_pk, NoticeSource.url)
            .where(NoticeSource.notice_pk.in_(call_pks[start : start + 500]), NoticeSource.url.is_not(None))
            .order_by(NoticeSource.id)
        ):
            if url:  # the query asked for set URLs only; this tells the type checker so too
                source_urls.setdefault(pk, url)
    reasons: dict[int, list[dict[str, Any]]] = {}
    if with_reasons:
        label_pks = [r[0].label_notice_pk for r in rows if r[0].label_notice_pk]
        for start in range(0, len(label_pks), 500):
            for pk, result in session.execute(
                select(NoticeClassification.notice_pk, NoticeClassification.result).where(
                    NoticeClassification.notice_pk.in_(label_pks[start : start + 500])
                )
            ):
                reasons[pk] = list((result or {}).get("reasons") or [])
    answers: dict[int, dict[str, list[str]]] = {}
    if with_reasons:
        declared_pks = [r[0].declared_notice_pk for r in rows if r[0].declared_notice_pk]
        nd = NoticeDeclaration
        for start in range(0, len(declared_pks), 500):
            for pk, seen in session.execute(
                select(nd.notice_pk, nd.answers).where(
                    nd.notice_pk.in_(declared_pks[start : start + 500]), nd.lot_id == NOTICE_LEVEL
                )
            ):
                answers[pk] = dict(seen or {})
    out = []
    for fact, key, title, buyer, pubno in rows:
        assert fact.area is not None and fact.period_date is not None  # only derived rows reach a period
        out.append(
            CallRow(
                procedure_pk=fact.procedure_pk,
                procedure_key=key,
                area=fact.area,
                period_date=fact.period_date,
                label=fact.label,
                cancelled=fact.cancelled,
                title=title,
                buyer_name=buyer,
                value_amount=fact.value_amount,
                value_currency=fact.value_currency,
                publication_number=pubno,
                url=notice_url(pubno, source_urls.get(fact.call_notice_pk or -1), ted_site_url),
                label_notice_pk=fact.label_notice_pk,
                reasons=reasons.get(fact.label_notice_pk, []) if fact.label_notice_pk else [],
                declared=fact.declared,
                declared_answers=answers.get(fact.declared_notice_pk, {}) if fact.declared_notice_pk else {},
            )
        )
    return out


def notice_url(publication_number: str | None, source_url: str | None, ted_site_url: str) -> str | None:
    """TED's public page when the notice has an OJ S number, else the page of the source that
    carried it, if that may be a link at all (http or https: ``monitor/safety.py``)."""
    key = publication_key(publication_number)
    if key:
        return f"{ted_site_url.rstrip('/')}/en/notice/-/detail/{key}"
    return safe_url(source_url)
