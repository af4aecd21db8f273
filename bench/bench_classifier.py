"""Classifier speed: notices classified per second on one core, and ``rules preview`` over stored notices.

    .venv/bin/python bench/bench_classifier.py [--notices 5000] [--stored 100000] [--workers 2]

1. Generates ``--notices`` synthetic eForms notices (monitor.demo.samples.builder, fi/sv/en/et/de texts,
   all subtypes, lots), loads the lemmatisers once, then classifies every notice in this process
   (one core) and reports notices/s: first pass (empty token caches) and second pass (warm).
2. Fills a fresh SQLite database with ``--stored`` notices by bulk-inserting minimal Procedure and
   Notice rows (the generated records repeated with fresh identifiers) plus their stored results
   under the rules in force, then times ``preview`` of a candidate rules file against them.

Figures are printed, not asserted (targets: >= 500 notices/s; preview of 100,000 in < 60 s). Each
preview also prints the CPU seconds it used (all workers): wall time grows when other work shares
the cores, CPU time hardly does.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from db import migrate
from db.clock import utcnow
from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.record import NoticeRecord
from db.session import get_engine, session_scope
from monitor.classify import Rules, classify, load_rules
from monitor.classify.scorer import text_fields
from monitor.classify.service import preview
from monitor.demo.samples.builder import expected_record, generate_specs
from monitor.textmatch import morphology

RULES = Path(__file__).resolve().parent.parent / "config" / "innovation.yaml"


def generated(n: int) -> list[NoticeRecord]:
    return [expected_record(spec) for spec in generate_specs(n, seed=7)]


def bench_throughput(records: list[NoticeRecord], rules: Rules) -> float:
    started = time.perf_counter()
    for lang in morphology.LANGS:
        morphology.get(lang).forms("innovaatio")
    print(f"lemmatiser data loaded in {time.perf_counter() - started:.1f} s (once per process)")
    words = [sum(len(t.split()) for *_, t in text_fields(r)) for r in records]
    print(
        f"{len(records)} notices, {statistics.mean(words):.0f} words of scanned text each (median "
        f"{statistics.median(words):.0f}, max {max(words)})"
    )
    rate = 0.0
    for name in ("first pass (cold token caches)", "second pass (warm caches)"):
        wall, cpu = time.perf_counter(), time.process_time()
        labels: dict[str, int] = {}
        for r in records:
            label = classify(r, rules).label
            labels[label] = labels.get(label, 0) + 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rate = rate or len(records) / wall
        print(
            f"  {name}: {len(records) / wall:,.0f} notices/s wall, {len(records) / cpu:,.0f}/s CPU; {labels}"
        )
    return rate


def fill_store(url: str, records: list[NoticeRecord], n: int, rules: Rules) -> None:
    """Bulk-insert ``n`` notices (the records repeated with fresh ids) and their current results."""
    results = [classify(r, rules) for r in records]
    today = utcnow().date()
    now = utcnow()
    chunk = 5000
    with session_scope(url) as session:
        for base in range(0, n, chunk):
            procs, notices, classes = [], [], []
            for i in range(base, min(base + chunk, n)):
                rec = records[i % len(records)]
                pub = today - timedelta(days=i % 180)
                rec = dataclasses.replace(
                    rec,
                    notice_id=str(uuid.UUID(int=i + 1)),
                    procedure_id=str(uuid.UUID(int=10**9 + i)),
                    publication_number=f"{i + 1:08d}-2026",
                    publication_date=pub,
                )
                data = rec.to_dict()
                procs.append({"id": i + 1, "procedure_key": rec.procedure_id, "state": "open", "lots": []})
                notices.append(
                    {
                        "id": i + 1,
                        "notice_id": rec.notice_id,
                        "version": rec.version,
                        "procedure_pk": i + 1,
                        "publication_number": rec.publication_number,
                        "publication_date": pub,
                        "subtype": rec.subtype,
                        "lifecycle": "call",
                        "title": rec.text(rec.title),
                        "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                        "record_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                        "record": data,
                    }
                )
                res = results[i % len(records)]
                classes.append(
                    {
                        "notice_pk": i + 1,
                        "label": res.label,
                        "score": res.score,
                        "rules_version": rules.version,
                        "result": res.to_dict(),
                        "classified_at": now,
                    }
                )
            session.execute(insert(Procedure), procs)
            session.execute(insert(Notice), notices)
            session.execute(insert(NoticeClassification), classes)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the preview's forked workers, once the pool
    has joined them). Unlike wall time, it does not grow when other work shares the cores."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def candidate_rules(rules: Rules) -> Rules:
    """A plausible edit: market dialogue weighs more, pilots less, 'possible' threshold lowered."""
    cfg = rules.config
    keywords = [
        k.model_copy(update={"weight": {"market_dialogue": 3.5, "pilot_trial": 1.0}.get(k.id, k.weight)})
        for k in cfg.keywords
    ]
    thresholds = cfg.thresholds.model_copy(update={"possible": 2.5})
    return Rules.from_config(cfg.model_copy(update={"keywords": keywords, "thresholds": thresholds}))


def words_changed_rules(rules: Rules, concept: str = "pilot_trial", word: str = "koekäyttö") -> Rules:
    """An edit that changes what text matches: a new Finnish base form for one concept.

    Stored hits of every other term still hold; text is matched again only in notices where the
    new word might match (``KeywordMatcher.delta_from``). "koekäyttö" occurs in none of the
    generated notices; "ratkaisu" (for new_solution) in about half of them, which then are
    classified in full: the figure for an edit that touches much of the corpus.
    """
    cfg = rules.config
    keywords = []
    for k in cfg.keywords:
        if k.id == concept and k.fi is not None:
            k = k.model_copy(update={"fi": k.fi.model_copy(update={"lemma": [*k.fi.lemma, word]})})
        keywords.append(k)
    return Rules.from_config(cfg.model_copy(update={"keywords": keywords}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="preview processes (default: cores)")
    args = parser.parse_args()

    rules = load_rules(RULES)
    records = generated(args.notices)
    print("== classify, one core")
    bench_throughput(records, rules)

    if args.stored:
        print(f"\n== rules preview over {args.stored:,} stored notices (SQLite)")
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite"
            migrate.upgrade(url)
            started = time.perf_counter()
            fill_store(url, records, args.stored, rules)
            size = Path(tmp, "bench.sqlite").stat().st_size / 1e6
            print(f"  filled in {time.perf_counter() - started:.1f} s ({size:.0f} MB)")
            candidate = candidate_rules(rules)
            today = utcnow().date()
            runs = [
                ("weights/thresholds changed, all", candidate, None),
                ("weights/thresholds changed, --since 90d", candidate, today - timedelta(days=90)),
                ("words changed, --since 9d", words_changed_rules(rules), today - timedelta(days=9)),
                ("words changed, all", words_changed_rules(rules), None),  # issue #5's target
                (
                    "words changed, a frequent word, all",
                    words_changed_rules(rules, "new_solution", "ratkaisu"),
                    None,
                ),
            ]
            for label, cand, since in runs:
                started, cpu = time.perf_counter(), _cpu_seconds()
                report = preview(url, cand, rules, since=since, workers=args.workers)
                took, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
                kinds = {k: len(v) for k, v in report.by_kind().items()}
                print(
                    f"  preview, {label}: {report.scanned:,} notices in {took:.1f} s "
                    f"({report.scanned / took:,.0f}/s; {cpu:.1f} s CPU); {kinds}"
                )
            print(f"  load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            get_engine(url).dispose()


if __name__ == "__main__":
    main()
