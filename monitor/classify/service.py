"""Classifications in the store: classify what is pending, record label changes, back-test rules.

- :func:`classify_pending` classifies every stored notice that has no result yet, and re-classifies
  notices of open or planned procedures whose result came from other rules. Closed, awarded and
  cancelled procedures keep the label they were alerted with: re-labelling history would only
  produce alerts nobody can act on.
- Only a label that differs from the previous one produces a :class:`LabelChange` (and a
  ``ClassificationChange`` row), so alerting acts on label changes, never on score jitter.
- :func:`preview` back-tests candidate rules against stored notices without writing anything;
  :func:`preview_parts` yields the same results range by range (the web's streaming back-test).

Two processes may classify at once (two ``run --once``, ``serve`` beside a CLI command): on
PostgreSQL both would read the same notices as unclassified, and the second insert would fail
on the unique ``notice_pk`` (issue #13, point 3). :func:`classify_pending` therefore takes the
``classify`` lock first (``db.locks.serialize``): the second waits for the first to commit and
then finds nothing left to do, and no label change is recorded twice.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, and_, create_engine, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.classification import ClassificationChange, NoticeClassification
from db.models.notices import Notice, Procedure
from db.record import NoticeRecord
from monitor.classify.rules import Rules
from monitor.classify.scorer import LABEL_RANK, Classification, Reclassifier, classify
from monitor.textmatch import morphology

RECLASSIFY_STATES = ("open", "planned")
BATCH = 500  # notices per query and flush: bounded memory, few round trips


@dataclass(frozen=True)
class LabelChange:
    notice_pk: int
    procedure_pk: int | None
    publication_number: str | None
    old_label: str | None
    """None: the notice was classified for the first time."""
    new_label: str
    old_score: float | None
    new_score: float
    rules_version: str

    @property
    def first(self) -> bool:
        return self.old_label is None


def classify_pending(session: Session, rules: Rules, *, batch: int = BATCH) -> list[LabelChange]:
    """Classify stored notices lacking a result for ``rules`` (see module doc); return label changes."""
    serialize(session, "classify")  # one classifier at a time; see the module docstring
    changes: list[LabelChange] = []
    now = utcnow()
    stale = and_(
        NoticeClassification.rules_version != rules.version,
        Procedure.state.in_(RECLASSIFY_STATES),
    )
    last = 0
    while True:
        rows = session.execute(
            select(
                Notice.id,
                Notice.procedure_pk,
                Notice.publication_number,
                Notice.record,
                NoticeClassification.id,
                NoticeClassification.label,
                NoticeClassification.score,
            )
            .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
            .outerjoin(Procedure, Procedure.id == Notice.procedure_pk)
            .where(Notice.id > last, or_(NoticeClassification.id.is_(None), stale))
            .order_by(Notice.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for notice_pk, procedure_pk, number, record, cls_pk, old_label, old_score in rows:
            result = classify(NoticeRecord.from_dict(record), rules)
            values = {
                "label": result.label,
                "score": result.score,
                "rules_version": rules.version,
                "result": result.to_dict(),
                "classified_at": now,
            }
            if cls_pk is None:
                inserts.append({"notice_pk": notice_pk, **values})
            else:
                updates.append({"id": cls_pk, **values})
            if old_label != result.label:
                change = LabelChange(
                    notice_pk,
                    procedure_pk,
                    number,
                    old_label,
                    result.label,
                    old_score,
                    result.score,
                    rules.version,
                )
                changes.append(change)
                history.append(
                    {
                        "notice_pk": notice_pk,
                        "procedure_pk": procedure_pk,
                        "old_label": old_label,
                        "new_label": result.label,
                        "old_score": old_score,
                        "new_score": result.score,
                        "rules_version": rules.version,
                        "changed_at": now,
                    }
                )
        if inserts:
            session.execute(insert(NoticeClassification), inserts)
        if updates:
            session.execute(update(NoticeClassification), updates)
        if history:
            session.execute(insert(ClassificationChange), history)
        session.flush()
    return changes


def stored_classification(session: Session, notice_pk: int) -> tuple[Classification, Any] | None:
    """The stored result of one notice and when it was made, or None if not classified yet."""
    row = session.execute(
        select(NoticeClassification.result, NoticeClassification.classified_at).where(
            NoticeClassification.notice_pk == notice_pk
        )
    ).first()
    if row is None:
        return None
    return Classification.from_dict(row[0]), row[1]


def procedure_label(session: Session, procedure_pk: int) -> str | None:
    """The procedure's label: the highest label of its current (not superseded) notice versions.

    The highest, not the latest: an award or a deadline change often repeats none of the call's
    innovation text, and must not turn an innovation partnership into "none". None when no
    notice of the procedure has been classified yet.
    """
    labels = session.scalars(
        select(NoticeClassification.label)
        .join(Notice, Notice.id == NoticeClassification.notice_pk)
        .where(Notice.procedure_pk == procedure_pk, Notice.superseded_by_pk.is_(None))
    ).all()
    if not labels:
        return None
    return max(labels, key=lambda label: LABEL_RANK.get(label, 0))


# ---------------------------------------------------------------------------------- preview
@dataclass(frozen=True)
class PreviewChange:
    notice_pk: int
    publication_number: str | None
    title: str | None
    old_label: str
    new_label: str
    old_score: float
    new_score: float
    reasons: list[str]
    """The candidate's top reasons, ``signal_id (weight): matched``."""
    reasons_before: tuple[dict[str, Any], ...] = ()
    """With ``details``: every reason (``scorer.Reason`` as a dict) under the current rules…"""
    reasons_after: tuple[dict[str, Any], ...] = ()
    """… and under the candidate: the matched words and their snippets, for highlighting."""

    @property
    def kind(self) -> str:
        if self.old_label == "none":
            return "newly flagged"
        if self.new_label == "none":
            return "unflagged"
        return "label changed"


@dataclass
class PreviewReport:
    scanned: int = 0
    since: date | None = None
    current_version: str = ""
    candidate_version: str = ""
    changes: list[PreviewChange] = field(default_factory=list)
    labels_before: dict[str, int] = field(default_factory=dict)
    labels_after: dict[str, int] = field(default_factory=dict)

    def by_kind(self) -> dict[str, list[PreviewChange]]:
        out: dict[str, list[PreviewChange]] = {"newly flagged": [], "unflagged": [], "label changed": []}
        for c in self.changes:
            out[c.kind].append(c)
        return out


# Set before the worker pool forks, so the children inherit compiled rules and loaded lemma data
# instead of re-loading them (simplemma's Finnish data alone takes seconds).
_WORK: dict[str, Any] = {}


@dataclass(frozen=True)
class PreviewPart:
    """One id range's results, as :func:`preview_parts` yields them while the rest is computed."""

    scanned: int
    changes: list[PreviewChange]
    labels_before: dict[str, int]
    labels_after: dict[str, int]


def preview(
    url: str,
    candidate: Rules,
    current: Rules,
    *,
    since: date | None = None,
    workers: int | None = None,
    chunk: int = 2000,
) -> PreviewReport:
    """What ``candidate`` would change compared with ``current`` on notices published since ``since``.

    The whole report at once (``tenderwatch rules preview``); :func:`preview_parts` is the same
    work range by range, for a caller that shows results as they come (the web's back-test).
    """
    report = PreviewReport(since=since, current_version=current.version, candidate_version=candidate.version)
    for part in preview_parts(url, candidate, current, since=since, workers=workers, chunk=chunk):
        merge(report, part)
    report.changes.sort(key=lambda c: (c.kind, -c.new_score))
    return report


def merge(report: PreviewReport, part: PreviewPart) -> None:
    """Add one range's results to ``report`` (counts summed, changes appended)."""
    report.scanned += part.scanned
    report.changes.extend(part.changes)
    for label, k in part.labels_before.items():
        report.labels_before[label] = report.labels_before.get(label, 0) + k
    for label, k in part.labels_after.items():
        report.labels_after[label] = report.labels_after.get(label, 0) + k


def preview_total(url: str, since: date | None = None) -> int:
    """How many notices a preview since ``since`` reads (for a progress bar)."""
    query = select(func.count(Notice.id))
    if since:
        query = query.where(Notice.publication_date >= since)
    with _read_engine(url).connect() as conn:
        return int(conn.execute(query).scalar_one())


def preview_parts(
    url: str,
    candidate: Rules,
    current: Rules,
    *,
    since: date | None = None,
    workers: int | None = None,
    chunk: int = 2000,
    details: bool = False,
    ramp: bool = False,
) -> Iterator[PreviewPart]:
    """The preview's results range by range, in id order, as the workers finish them.

    The stored result is reused as the "current" label where it came from ``current``; otherwise
    both are computed. The candidate's result reuses the stored text hits as far as they still hold
    (:class:`~monitor.classify.scorer.Reclassifier`): text is matched again only where the
    candidate's edited words might match, so even a words edit need not match every text.

    Read-only, through plain reading connections (never the store's ``BEGIN IMMEDIATE`` on
    SQLite), so a long preview never holds up the service's writers.
    ``workers`` > 1 forks that many processes (default: one per core), each reading its own
    id ranges, so parsing stored JSON runs in parallel too. Forking needs a process without other
    threads (a forked child gets only the forking thread, and any lock another thread held stays
    held): the CLI, or the web's back-test runner (``monitor.classify.backtest``), never the web
    server itself. Closing the generator early stops the workers.

    ``details``: each change also carries every reason before and after
    (``PreviewChange.reasons_before``/``reasons_after``), for showing the matched words.
    ``ramp``: the first range of each worker is a fifth of ``chunk``, so the first results come
    sooner (a page showing them as they come); the rest are as before.
    """
    bounds = select(func.min(Notice.id), func.max(Notice.id))
    if since:
        bounds = bounds.where(Notice.publication_date >= since)
    with _read_engine(url).connect() as conn:
        lo, hi = conn.execute(bounds).one()
    if lo is None:
        return
    workers = workers or os.cpu_count() or 1
    ranges = _ranges(lo, hi, chunk, workers if ramp else 0)
    # Built once, before forking: the workers inherit its compiled probe matcher.
    _WORK.update(
        url=url, current=current, since=since, reclassify=Reclassifier(candidate, current), details=details
    )
    try:
        if workers > 1 and len(ranges) > 1 and "fork" in multiprocessing.get_all_start_methods():
            _warm_up(candidate)
            with multiprocessing.get_context("fork").Pool(workers, initializer=_fresh_connections) as pool:
                yield from pool.imap(_preview_range, ranges)
        else:
            yield from (_preview_range(r) for r in ranges)
    finally:
        _WORK.clear()


def _ranges(lo: int, hi: int, chunk: int, small: int) -> list[tuple[int, int]]:
    """Id ranges covering lo..hi: ``small`` ranges of a fifth of ``chunk`` first, then ``chunk`` each."""
    out = []
    start = lo
    for _ in range(small):
        if start > hi:
            break
        out.append((start, min(start + max(chunk // 5, 1) - 1, hi)))
        start = out[-1][1] + 1
    out.extend((a, min(a + chunk - 1, hi)) for a in range(start, hi + 1, chunk))
    return out


def _warm_up(rules: Rules) -> None:
    """Load every lemmatiser in the parent, so forked workers share the data (copy-on-write)."""
    for lang in morphology.LANGS:
        morphology.get(lang).forms("innovaatio")


@functools.cache
def _read_engine(url: str) -> Engine:
    """A plain engine for reading: deferred transactions on SQLite, so readers never queue for a lock."""
    return create_engine(url)


def _fresh_connections() -> None:
    """A forked child must not reuse the parent's pooled connections."""
    _read_engine(_WORK["url"]).dispose(close=False)


def _preview_range(bounds: tuple[int, int]) -> PreviewPart:
    current: Rules = _WORK["current"]
    since: date | None = _WORK["since"]
    reclassify: Reclassifier = _WORK["reclassify"]
    details: bool = _WORK["details"]
    # The stored result (large JSON) is read only when the candidate can reuse some of its text hits.
    stored_result = NoticeClassification.result if reclassify.reuses_stored else literal(None)
    query = (
        select(
            Notice.id,
            Notice.publication_number,
            Notice.title,
            Notice.record,
            NoticeClassification.label,
            NoticeClassification.score,
            NoticeClassification.rules_version,
            stored_result,
        )
        .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
        .where(Notice.id.between(*bounds))
    )
    if since:
        query = query.where(Notice.publication_date >= since)
    with _read_engine(_WORK["url"]).connect() as conn:
        rows = conn.execute(query).all()
    changes: list[PreviewChange] = []
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for notice_pk, number, title, data, label, score, version, stored in rows:
        record = NoticeRecord.from_dict(data)
        old: Classification | None = None
        if version == current.version and label is not None:
            old_label, old_score = label, score
        else:
            old = classify(record, current)
            old_label, old_score = old.label, old.score
        new = reclassify(record, stored)
        before[old_label] = before.get(old_label, 0) + 1
        after[new.label] = after.get(new.label, 0) + 1
        if new.label != old_label:
            top = [f"{r.signal_id} ({r.weight:g}): {r.matched}" for r in new.reasons[:3]]
            was: tuple[dict[str, Any], ...] = ()
            now: tuple[dict[str, Any], ...] = ()
            if details:
                if old is None:  # only flips need the old reasons: few, so classified again here
                    old = Classification.from_dict(stored) if stored else classify(record, current)
                was = tuple(asdict(r) for r in old.reasons)
                now = tuple(asdict(r) for r in new.reasons)
            changes.append(
                PreviewChange(
                    notice_pk, number, title, old_label, new.label, old_score, new.score, top, was, now
                )
            )
    return PreviewPart(len(rows), changes, before, after)


def since_date(spec: str | None, today: date | None = None) -> date | None:
    """``90d``, ``12w`` or ``6m`` (30-day months) → the date that long ago; None for None/"all"."""
    if not spec or spec == "all":
        return None
    today = today or utcnow().date()
    units = {"d": 1, "w": 7, "m": 30}
    try:
        n, unit = int(spec[:-1]), spec[-1]
        return today - timedelta(days=n * units[unit])
    except (ValueError, KeyError):
        raise ValueError(f"{spec!r} is not a period such as 90d, 12w or 6m") from None
