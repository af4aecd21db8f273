"""Fill a store from the shared corpus of real notices, for ``eval --declared`` and the branch report.

Parses every legacy TED notice (``ted-legacy/``, 2,295 notices 2016–2022) and every real eForms
notice (``ted-real/``, 20 notices 2022–2024) with the real parser, stores them through the real
store in publication order (as the package backfill delivers them, so legacy chains join), then
runs the processing step's classifier, declarations and report rows. What it prints is what
went in; the figures come from the commands it names.

    .venv/bin/python bench/corpus_store.py --db sqlite:///var/corpus.sqlite
    TENDERWATCH_DATABASE_URL=sqlite:///var/corpus.sqlite .venv/bin/tenderwatch eval --declared
    TENDERWATCH_DATABASE_URL=sqlite:///var/corpus.sqlite .venv/bin/tenderwatch report branches \\
        --from 2017-01-01 --to 2024-12-31 --format html --out var/corpus-report.html

Not a benchmark (``make bench`` runs ``bench_*.py`` only): it lives here because, like them, it
uses the shared corpus beside the repository and is run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import migrate
from db.session import session_scope
from db.store import RawDoc, Store
from monitor.appconfig import load_file
from monitor.branches import BranchesConfig
from monitor.classify import load_rules
from monitor.classify.declarations import declare_pending
from monitor.classify.service import classify_pending
from monitor.reports.facts import refresh_report_procedures
from scrapers.parsers import parse_notice

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "fixtures"
FETCHED = datetime(
    2026, 1, 1, tzinfo=UTC
)  # a fixed fetch time: the store's content does not depend on the day


def documents(directories: list[Path]) -> list[tuple[object, RawDoc]]:
    """(record, raw document) of every XML file, oldest publication first."""
    out = []
    for directory in directories:
        for path in sorted(directory.glob("*.xml")):
            content = path.read_bytes()
            record = parse_notice(content, source_name=path.name)
            number = record.publication_number or path.stem
            head, _, year = number.partition("-")
            source_id = f"{int(head)}-{year}" if head.isdigit() and year else number
            raw = RawDoc("ted", source_id, f"file://{path}", content, FETCHED)
            out.append((record, raw))
    out.sort(key=lambda item: (item[0].publication_date or date.min, item[1].source_id))  # type: ignore[attr-defined]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default="sqlite:///var/corpus.sqlite", help="SQLAlchemy URL of an empty store"
    )
    parser.add_argument("--legacy", type=Path, default=SHARED / "ted-legacy")
    parser.add_argument("--eforms", type=Path, default=SHARED / "ted-real")
    args = parser.parse_args()
    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(args.db)
    started = time.perf_counter()
    docs = documents([args.legacy, args.eforms])
    print(f"parsed {len(docs):,} notices in {time.perf_counter() - started:.1f} s")
    statuses: dict[str, int] = {}
    with session_scope(args.db) as session:
        store = Store(session, clock=lambda: FETCHED)
        for record, raw in docs:
            result = store.ingest(record, raw)  # type: ignore[arg-type]
            statuses[result.status] = statuses.get(result.status, 0) + 1
    print("stored:", ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    rules = load_rules(REPO / "config" / "innovation.yaml")
    branches = load_file(REPO / "config" / "branches.yaml", BranchesConfig)
    with session_scope(args.db) as session:
        changes = classify_pending(session, rules)
    with session_scope(args.db) as session:
        declared = declare_pending(session, rules.config.declared)
    with session_scope(args.db) as session:
        rows = refresh_report_procedures(session, branches).derived
    labels: dict[str, int] = {}
    for change in changes:
        labels[change.new_label] = labels.get(change.new_label, 0) + 1
    print("classified:", ", ".join(f"{k} {v:,}" for k, v in sorted(labels.items())))
    print(f"declarations: {declared.visited:,} notices, {declared.declared:,} declared innovative")
    print(f"report rows: {rows:,}; done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
