"""The rules editor's back-test: ``rules preview`` as a stream of events, and the runner process
that computes it for the web.

:func:`backtest_events` turns :func:`~monitor.classify.service.preview_parts` into the events
the editor shows as they come (format: docs/rules-editor.md#the-back-test-stream): progress,
label counts before and after, the transitions (none → possible …), the notices that flip
with every reason before and after, and at the end precision and recall on the labelled set
and on the review queue's decisions, old next to new. ``tenderwatch rules preview FILE
--json-stream`` prints the same events.

Why a runner process (``python -m monitor.classify.backtest``) and not the web server:

- the preview forks a worker pool (one process per core: it is CPU-bound, and a thread would
  run on one core under the GIL, several times slower than the CLI). Forking the web server
  itself is unsafe: uvicorn's loop, its thread pool and, under ``serve``, APScheduler run
  threads, and a forked child keeps only the forking thread while any lock another thread held
  (a pooled connection's, logging's, the lemmatiser cache's) stays held forever;
- a fresh ``tenderwatch rules preview`` per back-test starts in about 9 s on this machine
  (2.4 s imports, 6.5 s loading the lemmatisers' data: Finnish alone 4.8 s), far past the
  5 s in which the first flipped notice must show. So the web keeps one *warm* runner waiting
  (:class:`monitor.web.backtests.Backtests`): imports done, lemma data loaded, reading
  nothing until a job arrives on its stdin. It runs that one job, streaming events to stdout,
  and exits; the web starts the next spare at once. Single-threaded, it forks its pool safely,
  and the workers share its lemma data copy-on-write;
- killing its process group stops everything (a new back-test by the same admin, a closed
  page), and nothing leaks into the web process.

A spare that gets no job for ``IDLE_SECONDS`` exits (its ~500 MB of lemma data is not kept
for nothing); the next editor visit starts another.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.appconfig import ConfigError, load_file
from monitor.classify.evaluate import Evaluation, LabelledNotice, evaluate, load_labels
from monitor.classify.rules import Rules, RulesConfig
from monitor.classify.scorer import LABELS
from monitor.classify.service import preview_parts, preview_total
from monitor.textmatch import morphology

IDLE_SECONDS = 15 * 60
CHUNK = 500
"""Notices per range: a quarter of the CLI's 2,000, so the first results arrive four times sooner;
the extra queries cost little (measured in bench/bench_backtest.py)."""
LIMIT = 100
"""Flipped notices sent in full per kind of change (newly flagged, unflagged, label changed);
all are counted."""


@dataclass(frozen=True)
class Job:
    """One back-test, as the web sends it to a runner (one JSON line on its stdin)."""

    db_url: str
    candidate: str
    """The candidate rules' YAML text (checked already: the editor back-tests only a clean text)."""
    current: str
    """The rules in force, as read from the config directory when the back-test started."""
    since: str | None = None
    labels_path: str | None = None
    decisions: tuple[dict[str, Any], ...] = ()
    limit: int = LIMIT
    chunk: int = CHUNK
    workers: int | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, default=list, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Job:
        data = json.loads(line)
        data["decisions"] = tuple(data.get("decisions") or ())
        return cls(**data)


def backtest_events(
    url: str,
    candidate: Rules,
    current: Rules,
    *,
    since: date | None = None,
    labelled: Sequence[LabelledNotice] = (),
    decisions: Sequence[LabelledNotice] = (),
    workers: int | None = None,
    chunk: int = CHUNK,
    limit: int = LIMIT,
) -> Iterator[dict[str, Any]]:
    """The back-test's events (module doc). ``labelled``: the labelled set; ``decisions``: the
    review queue's verdicts as labelled notices (``monitor.classify.verdicts``); each is measured
    when not empty."""
    started = time.perf_counter()
    total = preview_total(url, since)
    yield {
        "event": "start",
        "total": total,
        "since": since.isoformat() if since else None,
        "current_version": current.version,
        "candidate_version": candidate.version,
    }
    scanned = 0
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    transitions: dict[str, int] = {}
    listed: dict[str, int] = {}
    first_flip: float | None = None
    parts = preview_parts(
        url, candidate, current, since=since, workers=workers, chunk=chunk, details=True, ramp=True
    )
    for part in parts:
        scanned += part.scanned
        for label, k in part.labels_before.items():
            before[label] = before.get(label, 0) + k
        for label, k in part.labels_after.items():
            after[label] = after.get(label, 0) + k
        flips = []
        for c in part.changes:
            key = f"{c.old_label}>{c.new_label}"
            transitions[key] = transitions.get(key, 0) + 1
            if listed.get(c.kind, 0) < limit:
                listed[c.kind] = listed.get(c.kind, 0) + 1
                flips.append(
                    {
                        "notice_pk": c.notice_pk,
                        "publication_number": c.publication_number,
                        "title": c.title,
                        "kind": c.kind,
                        "old_label": c.old_label,
                        "new_label": c.new_label,
                        "old_score": c.old_score,
                        "new_score": c.new_score,
                        "reasons_before": list(c.reasons_before),
                        "reasons_after": list(c.reasons_after),
                    }
                )
        if flips and first_flip is None:
            first_flip = time.perf_counter() - started
        yield {
            "event": "progress",
            "scanned": scanned,
            "total": total,
            "labels_before": before,
            "labels_after": after,
            "transitions": transitions,
            "flips": flips,
        }
    for name, items in (("labelled", labelled), ("decisions", decisions)):
        if items:
            yield {
                "event": "evaluation",
                "set": name,
                "count": len(items),
                "before": figures(evaluate(items, current)),
                "after": figures(evaluate(items, candidate)),
            }
    yield {
        "event": "done",
        "scanned": scanned,
        "changed": sum(transitions.values()),
        "seconds": round(time.perf_counter() - started, 3),
        "first_flip_seconds": None if first_flip is None else round(first_flip, 3),
    }


def figures(result: Evaluation) -> dict[str, dict[str, float | int]]:
    """Precision, recall and the counts behind them per label: ``predicted`` (notices given the
    label) and ``support`` (notices that have it), so the page can say "–" where a figure has no
    notices behind it rather than a misleading 0 %, and show ``correct``/n beside each figure."""
    return {
        label: {
            "precision": round(result.precision(label), 4),
            "recall": round(result.recall(label), 4),
            "support": result.support(label),
            "predicted": sum(row.get(label, 0) for row in result.confusion.values()),
            "correct": result.confusion.get(label, {}).get(label, 0),
        }
        for label in LABELS
    }


def rules_from_text(text: str, name: str = "innovation.yaml") -> Rules:
    """Validate and compile rules from YAML text (``ConfigError`` with lines on a mistake)."""
    config = load_file(Path(name), RulesConfig, text)
    assert isinstance(config, RulesConfig)
    return Rules.from_config(config)


def run_job(job: Job) -> Iterator[dict[str, Any]]:
    """The events of one job; a problem becomes an ``error`` event instead of a traceback."""
    try:
        candidate = rules_from_text(job.candidate)
        current = rules_from_text(job.current)
    except ConfigError as exc:
        yield {"event": "error", "message": exc.report()}
        return
    labelled: list[LabelledNotice] = []
    if job.labels_path:
        try:
            labelled = load_labels(job.labels_path)
        except (ConfigError, OSError) as exc:
            yield {"event": "error", "message": f"labelled set not read: {exc}"}
    decisions = [LabelledNotice.model_validate(d) for d in job.decisions]
    yield from backtest_events(
        job.db_url,
        candidate,
        current,
        since=date.fromisoformat(job.since) if job.since else None,
        labelled=labelled,
        decisions=decisions,
        workers=job.workers,
        chunk=job.chunk,
        limit=job.limit,
    )


def warm_up() -> None:
    """Load every lemmatiser's data now (the seconds a back-test must not wait for)."""
    for lang in morphology.LANGS:
        morphology.get(lang).forms("innovaatio")


def main() -> None:
    """The runner: warm up, say ``ready``, wait for one job on stdin, stream its events, exit."""
    try:
        _serve_one()
    except BrokenPipeError:  # the web went away (stopped, or the page closed): nothing to tell
        os._exit(0)  # not sys.exit: flushing stdout at exit would raise again


def _serve_one() -> None:
    warm_up()
    out = sys.stdout
    out.write(json.dumps({"event": "ready", "pid": os.getpid()}) + "\n")
    out.flush()
    readable, _, _ = select.select([sys.stdin], [], [], IDLE_SECONDS)
    if not readable:
        return  # idle too long: give the memory back
    line = sys.stdin.readline()
    if not line.strip():
        return  # the web closed our stdin: it is gone or shutting down
    for event in run_job(Job.from_json(line)):
        out.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
