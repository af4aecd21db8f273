"""Benchmark: the web application over a million stored notices, on SQLite and on PostgreSQL.

For each database: fill it (or reuse the one kept by an earlier ``--keep`` run), start the web
application in its own process (uvicorn, one worker, as ``tenderwatch web`` does), and load it
from this process over loopback with keep-alive connections. Reported side by side:

- search with words and filters: p50 and p95 (target p95 < 200 ms);
- a procedure page: p50 and p95 (target p95 < 50 ms);
- one-click unsubscribe (RFC 8058 POSTs, each a different subscriber): requests per second
  (target >= 500 on one worker);
- each next to the same server's answer to a static file (``/static/app.css``), as a ratio.

How the data is made (printed too): the builder's generated corpus (``monitor.demo.samples.builder``,
the first ``POOL`` specs as records, their word-index terms computed with the real indexer),
recycled with fresh ids, publication numbers, dates and deadlines into N notices, one procedure
each, written with executemany (SQLite) or COPY (PostgreSQL) rather than through the store,
which would take ten hours at ~1,700 notices/s. A tenth of the notices are labelled possible and
a twentieth innovative.

    .venv/bin/python bench/bench_web.py                          # 1,000,000 notices, both databases
    .venv/bin/python bench/bench_web.py --n 100000 --db sqlite --keep   # keep the filled database
    .venv/bin/python bench/bench_web.py --n 100000 --db sqlite --reuse  # and use it again

Kept databases: ``var/bench/web-N.sqlite`` and the PostgreSQL database ``tenderwatch_bench_web_N``
(on TENDERWATCH_TEST_POSTGRES_URL). Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db import migrate
from db.session import get_engine

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "TENDERWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
POOL = 1500
SUBSCRIBERS = 20_000
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
SECRET = "bench-web-secret"
SEARCHES = [
    {"words": "tekoäly", "country": "FIN"},
    {"words": "palvelu", "status": "open"},
    {"words": "kehittäminen", "label": "possible"},
    {"words": "innovaatio", "country": "FIN", "sort": "deadline"},
    {"words": "siivous"},
    {"words": "digital", "label": "innovative"},
    {"words": "pilotti", "cpv": "72000000"},
    {"words": "järjestelmä hankinta", "status": "open"},
]


# ------------------------------------------------------------------------------------ data
def pool() -> list[dict[str, Any]]:
    """Records and index terms of the builder's first POOL specs (texts cut to 600 characters)."""
    from db.record import NoticeRecord
    from monitor.demo.samples.builder import expected_record, generate_specs
    from monitor.search.terms import notice_terms

    out = []
    for spec in generate_specs(POOL, seed=14):
        rec: NoticeRecord = expected_record(spec)
        data = rec.to_dict()
        for key in ("description", "additional_info"):
            data[key] = {k: v[:600] for k, v in (data.get(key) or {}).items()}
        rec = NoticeRecord.from_dict(data)
        terms = sorted(notice_terms(rec))
        buyer = rec.buyers[0] if rec.buyers else None
        out.append(
            {
                "record": data,
                "terms": terms,
                "buyer": (
                    buyer.name if buyer else None,
                    buyer.org_id if buyer else None,
                    buyer.country if buyer else None,
                ),
                "cpv": rec.cpv_main,
                "form": rec.form_type,
                "lang": rec.language,
                "value": rec.estimated_value,
            }
        )
    return out


def rows(n: int, templates: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """(procedure row, notice row, label, fwd terms, rev terms) for ids 1..n."""
    rng = random.Random(1)
    for i in range(1, n + 1):
        t = templates[i % len(templates)]
        day = (NOW - timedelta(days=rng.randrange(0, 720))).date()
        deadline = datetime.combine(
            day + timedelta(days=rng.randrange(5, 60)), datetime.min.time(), UTC
        ) + timedelta(hours=10)
        nid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        number = f"{i:08d}-{day.year}"
        record = dict(
            t["record"],
            notice_id=nid,
            procedure_id=pid,
            publication_number=number,
            publication_date=day.isoformat(),
            deadline=deadline.isoformat(),
        )
        state = "open" if deadline > NOW else "closed"
        value = t["value"]
        title = next(iter((t["record"].get("title") or {}).values()), None)
        name, org, country = t["buyer"]
        proc = (
            i,
            pid,
            state,
            deadline,
            value.amount if value else None,
            value.currency if value else None,
            title,
            name,
            org,
            country,
            t["cpv"],
            True,
            i,
            day,
            day,
        )
        notice = (
            i,
            nid,
            "01",
            pid,
            number,
            f"{i}-{day.year}",
            day,
            day,
            "16",
            "cn-standard",
            t["form"] or "competition",
            "call",
            t["lang"],
            title,
            name,
            org,
            country,
            deadline,
            t["cpv"],
            value.amount if value else None,
            value.currency if value else None,
            i,
            "x",
            "x",
            json.dumps(record),
        )
        r = rng.random()
        label = "innovative" if r < 0.05 else ("possible" if r < 0.15 else "none")
        yield proc, notice, label, t["terms"]


PROC_COLS = (
    "id, procedure_key, state, deadline, estimated_value_amount, estimated_value_currency, title, "
    "buyer_name, buyer_org_id, buyer_country, cpv_main, has_call, latest_notice_pk, first_published, "
    "last_published, lots, is_cancelled, is_awarded, created_at, updated_at"
)
NOTICE_COLS = (
    "id, notice_id, version, procedure_id, publication_number, publication_key, publication_date, "
    "issue_date, subtype, notice_type, form_type, lifecycle, language, title, buyer_name, buyer_org_id, "
    "buyer_country, deadline, cpv_main, estimated_value_amount, estimated_value_currency, procedure_pk, "
    "content_hash, record_hash, record, first_seen_at, updated_at"
)


def fill_sqlite(url: str, n: int, templates: list[dict[str, Any]]) -> None:
    raw = get_engine(url).raw_connection()
    ts = NOW.strftime("%Y-%m-%d %H:%M:%S.000000")

    def iso(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
        if isinstance(v, date):
            return v.isoformat()
        return v

    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        batch: list[tuple[Any, ...]] = []
        for item in rows(n, templates):
            batch.append(item)
            if len(batch) >= 20_000:
                _sqlite_batch(cur, batch, iso, ts)
                batch = []
        if batch:
            _sqlite_batch(cur, batch, iso, ts)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _sqlite_batch(cur: Any, batch: list[tuple[Any, ...]], iso: Any, ts: str) -> None:
    cur.executemany(
        f"INSERT INTO procedures ({PROC_COLS}) VALUES ({','.join('?' * 15)},'[]',0,0,?,?)",
        ([iso(v) for v in p] + [ts, ts] for p, _, _, _ in batch),
    )
    cur.executemany(
        f"INSERT INTO notices ({NOTICE_COLS}) VALUES ({','.join('?' * 25)},?,?)",
        ([iso(v) for v in nt] + [ts, ts] for _, nt, _, _ in batch),
    )
    cur.executemany(
        "INSERT INTO notice_classifications (notice_pk, label, score, rules_version, result, classified_at)"
        " VALUES (?,?,0,'bench','{}',?)",
        ((nt[0], label, ts) for _, nt, label, _ in batch),
    )
    cur.executemany(
        "INSERT INTO notice_search (notice_pk, fwd, rev, indexed_at) VALUES (?,?,?,?)",
        ((nt[0], " ".join(terms), " ".join(t[::-1] for t in terms), ts) for _, nt, _, terms in batch),
    )


def fill_postgres(url: str, n: int, templates: list[dict[str, Any]]) -> None:
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("DROP INDEX IF EXISTS gin_notice_search_fwd")
        cur.execute("DROP INDEX IF EXISTS gin_notice_search_rev")
        with (
            cur.copy(f"COPY procedures ({PROC_COLS}) FROM STDIN") as cp,
        ):
            for p, _, _, _ in rows(n, templates):
                cp.write_row((*p, "[]", False, False, NOW, NOW))
        with cur.copy(f"COPY notices ({NOTICE_COLS}) FROM STDIN") as cn:
            for _, nt, _, _ in rows(n, templates):
                cn.write_row((*nt, NOW, NOW))
        with cur.copy(
            "COPY notice_classifications (notice_pk, label, score, rules_version, result, classified_at)"
            " FROM STDIN"
        ) as cc:
            for _, nt, label, _ in rows(n, templates):
                cc.write_row((nt[0], label, 0.0, "bench", "{}", NOW))
        quoted = {
            id(t["terms"]): (
                " ".join(f"'{x}'" for x in t["terms"]),
                " ".join(f"'{x[::-1]}'" for x in t["terms"]),
            )
            for t in templates
        }
        with cur.copy("COPY notice_search (notice_pk, fwd, rev, indexed_at) FROM STDIN") as cs:
            for _, nt, _, terms in rows(n, templates):
                fwd, rev = quoted[id(terms)]
                cs.write_row((nt[0], fwd, rev, NOW))
        cur.execute("CREATE INDEX gin_notice_search_fwd ON notice_search USING gin (fwd)")
        cur.execute("CREATE INDEX gin_notice_search_rev ON notice_search USING gin (rev)")
        cur.execute("SELECT setval('procedures_id_seq', (SELECT max(id) FROM procedures))")
        cur.execute("SELECT setval('notices_id_seq', (SELECT max(id) FROM notices))")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def add_subscribers(url: str) -> None:
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        ts = NOW if "postgresql" in url else NOW.strftime("%Y-%m-%d %H:%M:%S.000000")
        mark = "%s" if "postgresql" in url else "?"
        cur.executemany(
            "INSERT INTO subscribers (id, email, name, kind, language, delivery, digest_hour, digest_weekday,"
            f" reminder_days, enabled, created_at, updated_at) VALUES ({mark}, {mark}, '', 'company', 'fi',"
            f" 'instant', 7, 0, '[]', true, {mark}, {mark})",
            [(i, f"bench{i}@example.com", ts, ts) for i in range(1, SUBSCRIBERS + 1)],
        )
        cur.executemany(
            f"INSERT INTO subscriptions (id, subscriber_id, name, filters, enabled, created_at, updated_at)"
            f" VALUES ({mark}, {mark}, 'IT', '{{\"cpv\": [\"72000000\"]}}', true, {mark}, {mark})",
            [(i, i, ts, ts) for i in range(1, SUBSCRIBERS + 1)],
        )
        raw.commit()
    finally:
        raw.close()


def prepare(kind: str, n: int, keep: bool, reuse: bool) -> tuple[str, str, float | None]:
    """(database URL, how it was made, seconds spent filling or None when reused)."""
    if kind == "sqlite":
        path = REPO / "var" / "bench" / f"web-{n}.sqlite"
        url = f"sqlite:///{path}"
        if reuse and path.exists():
            return url, f"reused {path}", None
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = f"tenderwatch_bench_web_{n}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if reuse and exists:
                return url, f"reused database {name}", None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    migrate.upgrade(url)
    started = time.monotonic()
    templates = pool()
    (fill_sqlite if kind == "sqlite" else fill_postgres)(url, n, templates)
    add_subscribers(url)
    return url, "generated now" + ("" if keep else " (dropped after the run)"), time.monotonic() - started


def drop(kind: str, n: int, url: str) -> None:
    get_engine(url).dispose()
    if kind == "sqlite":
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "tenderwatch_bench_web_{n}" WITH (FORCE)'))


# ------------------------------------------------------------------------------------ server
def serve(url: str, port: int) -> None:
    """The server process: the app as ``tenderwatch web --dev`` builds it, one uvicorn worker."""
    import uvicorn

    from monitor.config import load_config
    from monitor.settings import Settings
    from monitor.web import create_app

    config = load_config(REPO / "config")
    settings = Settings(
        database_url=url,
        data_dir=REPO / "var" / "bench",
        public_url=f"http://127.0.0.1:{port}",
        secret_key=SECRET,
    )  # type: ignore[arg-type]
    uvicorn.run(
        create_app(settings, lambda: config, dev=True),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


# ------------------------------------------------------------------------------------ load
def load(
    port: int, requests: list[tuple[str, str, bytes | None]], concurrency: int
) -> tuple[list[float], float, int]:
    """Send ``requests`` over ``concurrency`` keep-alive connections; (latencies in s, wall s, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    todo = list(requests)

    def worker() -> None:
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=600
        )  # a slow search is measured, not dropped
        while True:
            with lock:
                if not todo:
                    break
                method, path, body = todo.pop()
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if resp.status != 200:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, time.perf_counter() - start, errors[0]


def pct(values: list[float], p: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000 if len(values) > 1 else 0.0
    )


def run_load(kind: str, url: str, n: int, count: int) -> dict[str, Any]:
    from urllib.parse import quote, urlencode

    from monitor.alerts.tokens import make_token

    port = _free_port()
    env = dict(os.environ)
    env.pop("TENDERWATCH_CLOCK", None)
    proc = subprocess.Popen([sys.executable, __file__, "--serve", url, "--port", str(port)], env=env)
    try:
        _wait_port(port)
        rng = random.Random(5)
        static = [("GET", "/static/app.css", None)] * count
        searches = [("GET", "/search?" + urlencode(SEARCHES[i % len(SEARCHES)]), None) for i in range(count)]
        procs = []
        engine = get_engine(url)
        with engine.connect() as conn:
            keys = [
                r[0]
                for r in conn.execute(
                    text("SELECT procedure_key FROM procedures WHERE id IN :ids").bindparams(
                        __import__("sqlalchemy").bindparam("ids", expanding=True)
                    ),
                    {"ids": [rng.randrange(1, n + 1) for _ in range(count)]},
                )
            ]
        procs = [("GET", f"/p/{quote(k, safe='')}", None) for k in keys] * (count // max(len(keys), 1) + 1)
        procs = procs[:count]
        unsub = [
            (
                "POST",
                f"/unsubscribe/{make_token(SECRET, i, f'bench{i}@example.com', [i])}",
                b"List-Unsubscribe=One-Click",
            )
            for i in range(1, min(SUBSCRIBERS, count * 2) + 1)
        ]
        load(port, static[:50] + searches[:20] + procs[:20], 4)  # warm up: caches, morphology, pools
        out: dict[str, Any] = {}
        for name, reqs, conc in (
            ("static", static, 4),
            ("search", searches, 4),
            ("procedure", procs, 4),
            ("unsubscribe", unsub, 8),
            ("static-8", static, 8),
        ):
            lat, wall, errors = load(port, reqs, conc)
            out[name] = {
                "p50": pct(lat, 50),
                "p95": pct(lat, 95),
                "rps": len(lat) / wall,
                "errors": errors,
                "n": len(lat),
            }
        return out
    finally:
        proc.terminate()
        proc.wait(20)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/static/app.css")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="stored notices")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--requests", type=int, default=600, help="requests per kind")
    ap.add_argument("--keep", action="store_true", help="keep the filled database for a later --reuse")
    ap.add_argument("--reuse", action="store_true", help="use a database kept by an earlier --keep run")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(
        f"web benchmark: {args.n:,} notices; data: the builder's first {POOL} generated notices recycled "
        f"with fresh ids, numbers, dates and deadlines, one procedure each, written by executemany/COPY; "
        f"{SUBSCRIBERS:,} subscribers; load from a second process, keep-alive HTTP/1.1 on loopback"
    )
    results = {}
    for kind in kinds:
        url, how, seconds = prepare(kind, args.n, args.keep or args.reuse, args.reuse)
        print(f"{kind}: database {how}" + (f" in {seconds:.0f} s" if seconds else ""), flush=True)
        try:
            results[kind] = run_load(kind, url, args.n, args.requests)
        finally:
            if not (args.keep or args.reuse):
                drop(kind, args.n, url)
    print()
    print(f"{'':<26}" + "".join(f"{k:>24}" for k in results))
    for label, key, field in (
        ("static file p50 ms", "static", "p50"),
        ("static file p95 ms", "static", "p95"),
        ("search p50 ms", "search", "p50"),
        ("search p95 ms (<200)", "search", "p95"),
        ("procedure p50 ms", "procedure", "p50"),
        ("procedure p95 ms (<50)", "procedure", "p95"),
        ("unsubscribe req/s (>=500)", "unsubscribe", "rps"),
        ("static req/s (8 conn)", "static-8", "rps"),
    ):
        print(f"{label:<26}" + "".join(f"{r[key][field]:>24.1f}" for r in results.values()))
    print(
        f"{'search p95 / static p95':<26}"
        + "".join(f"{r['search']['p95'] / r['static']['p95']:>24.1f}" for r in results.values())
    )
    print(
        f"{'procedure p95 / static p95':<26}"
        + "".join(f"{r['procedure']['p95'] / r['static']['p95']:>24.1f}" for r in results.values())
    )
    print(
        f"{'unsubscribe / static rps':<26}"
        + "".join(f"{r['unsubscribe']['rps'] / r['static-8']['rps']:>24.2f}" for r in results.values())
    )
    bad = {k: {n: r[n]["errors"] for n in r if r[n]["errors"]} for k, r in results.items()}
    print(f"non-200 answers: {bad}")


if __name__ == "__main__":
    main()
