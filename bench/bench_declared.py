"""Benchmark: declarations for a store of 100,000 notices, on SQLite and on PostgreSQL.

Fills a fresh database with notices whose records carry the signals the ``declared`` rule reads
(a few per cent declared, lots with HILMA answers), then times ``declare_pending`` as the
processing step and a rule change run it: the first evaluation of every notice, the check when
nothing is pending, a rule edit that changes no verdict (only the version moves), and one that
changes some.

    .venv/bin/python bench/bench_declared.py                  # 100,000 notices, both databases
    .venv/bin/python bench/bench_declared.py --n 20000 --db sqlite
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench.scratch_db import scratch_database
from db.clock import utcnow
from db.models.notices import Notice, Procedure
from db.session import session_scope
from monitor.classify import load_rules
from monitor.classify.declarations import declare_pending

REPO = Path(__file__).resolve().parent.parent
CODES = ["mar-nov"] * 2 + ["org-nov"] * 8 + ["rd-act"] + [None] * 89


def record(rng: random.Random) -> dict[str, Any]:
    """The keys the rule reads, as a stored record has them, plus a description, so a row is about
    the size of a real eForms record's JSON (5 kB; the rule reads few keys, the database the row)."""
    lots = []
    for i in range(rng.choice([1, 1, 1, 2, 5])):
        signals: dict[str, list[str]] = {"BT-63": ["not-allowed"]}
        code = rng.choice(CODES)
        if code:
            signals["BT-776"] = [code]
        if rng.random() < 0.2:
            signals["hilma:solutionNewToBuyer"] = [rng.choice(["true", "false"])]
        lots.append({"lot_id": f"LOT-{i + 1:04d}", "signals": signals, "title": {"fin": "Osa " * 20}})
    merged: dict[str, list[str]] = {}
    for lot in lots:
        for k, v in lot["signals"].items():
            merged[k] = sorted(set(merged.get(k, [])) | set(v))
    procedure = "innovation" if rng.random() < 0.002 else "open"
    return {
        "procedure_type": procedure,
        "signals": merged,
        "lots": lots,
        "description": {"fin": "kuvaus " * 700},
    }


def fill(url: str, n: int) -> None:
    rng = random.Random(1)
    now = utcnow()
    with session_scope(url) as session:
        for start in range(0, n, 5000):
            count = min(5000, n - start)
            session.execute(
                insert(Procedure),
                [
                    {"id": start + i + 1, "procedure_key": f"p{start + i}", "state": "open"}
                    for i in range(count)
                ],
            )
            session.execute(
                insert(Notice),
                [
                    {
                        "id": start + i + 1,
                        "procedure_pk": start + i + 1,
                        "notice_id": str(uuid.UUID(int=start + i + 1)),
                        "version": "01",
                        "lifecycle": "call",
                        "content_hash": "x",
                        "record_hash": "x",
                        "record": record(rng),
                        "first_seen_at": now,
                        "updated_at": now,
                    }
                    for i in range(count)
                ],
            )


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<56} {time.perf_counter() - start:8.2f} s   {result}")
    return result


def run(db: str, n: int) -> None:
    print(f"\n== {db}: {n:,} notices")
    rule = load_rules(REPO / "config" / "innovation.yaml").config.declared
    with scratch_database(db, "bench-declared") as url:
        timed("fill", lambda: fill(url, n))
        size = len(json.dumps(record(random.Random(2))))
        print(f"  (records of about {size:,} bytes of JSON each)")

        def pending(r: Any = rule) -> str:
            with session_scope(url) as session:
                s = declare_pending(session, r)
            return (
                f"visited {s.visited:,}, written {s.written:,}, version only {s.version_only:,}, "
                f"declared {s.declared:,}"
            )

        timed("first evaluation of every notice", pending)
        timed("nothing pending (the processing step's usual case)", pending)
        reworded = rule.model_copy(update={"description": rule.description + " (reworded)"})
        timed("rule edit that changes no verdict", lambda: pending(reworded))
        wider = reworded.model_copy(
            update={
                "count": [
                    *reworded.count,
                    reworded.count[1].model_copy(update={"id": "b", "equals": ["org-nov"]}),
                ]
            }
        )
        timed("rule edit that declares 'new to the buyer' too", lambda: pending(wider))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="notices to store")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run(db, args.n)


if __name__ == "__main__":
    main()
