"""Benchmark: the branch report over a million stored procedures, on SQLite and on PostgreSQL.

Fills a fresh database with generated procedures, their notices (a call each, some changes and
awards) and the classifier's rows, by the fastest honest route (executemany on SQLite, COPY on
PostgreSQL); derives the report rows once (``refresh_report_procedures``, as the processing step
does); then times the report as a user runs it: the freshness check plus the aggregation, for
the whole two years (every procedure) and for one month, and the rendering.

    .venv/bin/python bench/bench_report.py                  # 1,000,000 procedures, both databases
    .venv/bin/python bench/bench_report.py --n 100000 --db sqlite

PostgreSQL: the server at TENDERWATCH_TEST_POSTGRES_URL (default 127.0.0.1:5432, trust auth); a
database of its own is created and dropped. Target: a report under 10 seconds on both.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.scratch_db import scratch_database
from db.session import get_engine, session_scope
from monitor.appconfig import load_file
from monitor.branches import BranchesConfig
from monitor.reports.charts import report_charts
from monitor.reports.facts import refresh_report_procedures
from monitor.reports.figures import build_report
from monitor.reports.periods import Period
from monitor.reports.render import render_csv, render_html, render_text

REPO = Path(__file__).resolve().parent.parent
FIRST_DAY = date(2025, 1, 1)
DAYS = 730  # two years: 2025 and 2026
LABELS = ["none"] * 85 + ["possible"] * 8 + ["innovative"] * 5 + [None] * 2
BUYERS = [
    ("Työ- ja elinkeinoministeriö", None, "FIN", "cga"),
    ("Pirkanmaan ELY-keskus", None, "FIN", "cga"),
    ("Väylävirasto", "1010547-1", "FIN", "cga"),
    ("Terveyden ja hyvinvoinnin laitos THL", None, "FIN", "cga"),
    ("Poliisihallitus", None, "FIN", "cga"),
    ("Puolustusvoimien logistiikkalaitos", None, "FIN", "cga"),
    ("Verohallinto", None, "FIN", "cga"),
    ("Opetushallitus", None, "FIN", "cga"),
    ("Hansel Oy", "0988084-1", "FIN", "pub-undert-cga"),
    ("Pirkanmaan hyvinvointialue", None, "FIN", "ra"),
    ("Helsingin seudun liikenne -kuntayhtymä", None, "FIN", "body-pl"),
    ("Valtion uusi tuntematon yksikkö", None, "FIN", "cga"),
    ("Stockholms stad", None, "SWE", "la"),
    *[(f"Kunta {i}", None, "FIN", "la") for i in range(40)],
]
# When the rows were stored and classified: before the report rows are derived, as in real life.
STAMP = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
SQLITE_TS = STAMP.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime storage format


PROC_COLS = (
    "id, procedure_key, state, estimated_value_amount, estimated_value_currency, title, buyer_name,"
    " buyer_org_id, buyer_country, buyer_legal_type, has_call, is_cancelled, is_awarded, first_published,"
    " lots, created_at, updated_at"
)
NOTICE_COLS = (
    "id, procedure_pk, lifecycle, changed_notice_ref, publication_date, content_hash, record_hash, record,"
    " first_seen_at, updated_at"
)


def generate(n: int, seed: int = 1):  # type: ignore[no-untyped-def]
    """Rows of procedures, notices, classifications (with label changes) and declarations, as tuples.

    Every notice has a notice-level declaration, as the processing step writes; about 4 % say
    "declared innovative" (more than the labelled 5 % overlap, so every review list has rows).
    """
    rng = random.Random(seed)
    procs, notices, labels, declared = [], [], [], []
    notice_pk = 0
    for pk in range(1, n + 1):
        name, org, country, legal = rng.choice(BUYERS)
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        value = round(rng.uniform(1e4, 5e6), 2) if rng.random() < 0.6 else None
        r = rng.random()
        kinds = ["call"] + (["call-change"] if r < 0.15 else []) + (["award"] if 0.1 < r < 0.35 else [])
        cancelled = r > 0.97
        if cancelled:
            kinds.append("cancel")
        state = "cancelled" if cancelled else "open"
        procs.append((pk, f"proc-{pk}", state, value, "EUR" if value else None, f"Hankinta {pk}", name,
                      org, country, legal, True, cancelled, "award" in kinds, day))  # fmt: skip
        for i, kind in enumerate(kinds):
            notice_pk += 1
            changed = f"{uuid.UUID(int=pk)}-01" if kind in ("call-change", "cancel") else None
            life = "call" if kind == "call-change" else kind
            notices.append((notice_pk, pk, life, changed, day + timedelta(days=7 * i)))
            label = rng.choice(LABELS)
            if label is not None:
                labels.append((notice_pk, pk, label))
            declared.append((notice_pk, rng.random() < 0.04))
    return procs, notices, labels, declared


def fill_sqlite(url: str, procs, notices, labels, declared) -> None:  # type: ignore[no-untyped-def]
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")  # the engine runs pysqlite in autocommit mode: one transaction, not a million
        cur.executemany(
            f"INSERT INTO procedures ({PROC_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'[]',?,?)",
            ((*p[:13], p[13].isoformat(), SQLITE_TS, SQLITE_TS) for p in procs),
        )
        cur.executemany(
            f"INSERT INTO notices ({NOTICE_COLS}) VALUES (?,?,?,?,?,'x','x','{{}}',?,?)",
            ((a, b, c, d, e.isoformat(), SQLITE_TS, SQLITE_TS) for a, b, c, d, e in notices),
        )
        cur.executemany(
            "INSERT INTO notice_classifications (notice_pk, label, score, rules_version, result,"
            " classified_at) VALUES (?,?,0,'bench','{}',?)",
            ((n, label, SQLITE_TS) for n, _, label in labels),
        )
        cur.executemany(
            "INSERT INTO classification_changes (notice_pk, procedure_pk, new_label, new_score,"
            " rules_version, changed_at) VALUES (?,?,?,0,'bench',?)",
            ((n, p, label, SQLITE_TS) for n, p, label in labels),
        )
        cur.executemany(
            "INSERT INTO notice_declarations (notice_pk, lot_id, answers, declared, matched, rule_version,"
            " changed_at) VALUES (?,'','{}',?,'[]','bench',?)",
            ((n, d, SQLITE_TS) for n, d in declared),
        )
        raw.commit()
    finally:
        raw.close()


def fill_postgres(url: str, procs, notices, labels, declared) -> None:  # type: ignore[no-untyped-def]
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY procedures ({PROC_COLS}) FROM STDIN") as copy:
            for p in procs:
                copy.write_row((*p, "[]", STAMP, STAMP))
        with cur.copy(f"COPY notices ({NOTICE_COLS}) FROM STDIN") as copy:
            for n in notices:
                copy.write_row((*n, "x", "x", "{}", STAMP, STAMP))
        with cur.copy(
            "COPY notice_classifications (notice_pk, label, score, rules_version, result, classified_at)"
            " FROM STDIN"
        ) as copy:
            for n, _, label in labels:
                copy.write_row((n, label, 0.0, "bench", "{}", STAMP))
        with cur.copy(
            "COPY classification_changes (notice_pk, procedure_pk, new_label, new_score, rules_version,"
            " changed_at) FROM STDIN"
        ) as copy:
            for n, p, label in labels:
                copy.write_row((n, p, label, 0.0, "bench", STAMP))
        with cur.copy(
            "COPY notice_declarations (notice_pk, lot_id, answers, declared, matched, rule_version,"
            " changed_at) FROM STDIN"
        ) as copy:
            for n, d in declared:
                copy.write_row((n, "", "{}", d, "[]", "bench", STAMP))
        cur.execute("SELECT setval('procedures_id_seq', (SELECT max(id) FROM procedures))")
        cur.execute("SELECT setval('notices_id_seq', (SELECT max(id) FROM notices))")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    print(f"  {label:<52} {took:8.2f} s")
    return result, took


def run(db: str, n: int) -> dict[str, float]:
    print(f"\n== {db}: {n:,} procedures")
    branches = load_file(REPO / "config" / "branches.yaml", BranchesConfig)
    figures: dict[str, float] = {}
    with scratch_database(db, "bench-report") as url:
        rows, _ = timed("generate rows", lambda: generate(n))
        print(
            f"  ({len(rows[0]):,} procedures, {len(rows[1]):,} notices, {len(rows[2]):,} classifications, "
            f"{len(rows[3]):,} declarations)"
        )
        fill = fill_sqlite if db == "sqlite" else fill_postgres
        timed("bulk insert", lambda: fill(url, *rows))
        rows = None  # free the memory before deriving

        def derive() -> int:
            with session_scope(url) as session:
                return refresh_report_procedures(session, branches).derived

        derived, took = timed("derive report rows (once; then incremental)", derive)
        figures["derive_per_s"] = derived / took
        print(f"  ({derived:,} rows, {derived / took:,.0f} per second)")
        if db == "postgresql":
            # What autovacuum does soon after a bulk change: statistics, and the visibility map
            # that lets PostgreSQL answer from the covering index alone.
            with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE report_procedures"))

        def report(period: Period):  # type: ignore[no-untyped-def]
            with session_scope(url) as session:
                return build_report(session, branches, period, goal=5.0, trend_months=24)

        everything = Period(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))
        rep, figures["report_all"] = timed(
            "report 2025-2026 (every procedure), incl. check", lambda: report(everything)
        )
        print(f"  (counted {rep.total.calls:,} calls, {rep.total.innovative:,} innovative, "
              f"{rep.total.declared:,} declared, {rep.total.declared_and_detected:,} both, "
              f"{rep.total.cancelled:,} cancelled)")  # fmt: skip
        _, figures["report_all_again"] = timed(
            "the same report again (warm cache)", lambda: report(everything)
        )
        _, figures["report_month"] = timed("report 2026-10 (one month, 24-month trend)",
                                           lambda: report(Period.month("2026-10")))  # fmt: skip

        def check() -> int:
            with session_scope(url) as session:
                return refresh_report_procedures(session, branches).derived

        stale, figures["check"] = timed("freshness check alone (nothing stale)", check)
        assert stale == 0, stale
        timed("render text + csv", lambda: (render_text(rep, "fi"), render_csv(rep)))
        timed("render html with both charts", lambda: render_html(rep, "fi", charts=report_charts(rep, "fi")))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="procedures to store")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {db: run(db, args.n) for db in dbs}
    print("\nsummary (target: report under 10 s)")
    for db, f in results.items():
        verdict = "OK" if f["report_all"] < 10 else "OVER TARGET"
        print(f"  {db:<11} all {f['report_all']:.2f} s, month {f['report_month']:.2f} s, "
              f"check {f['check']:.2f} s, derive {f['derive_per_s']:,.0f}/s  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
