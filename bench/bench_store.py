"""Benchmark: dedup-and-store of generated notice versions into an empty store.

    .venv/bin/python bench/bench_store.py            # 100,000 deliveries into a fresh SQLite file
    .venv/bin/python bench/bench_store.py -n 20000 --url postgresql+psycopg://postgres@127.0.0.1/bench

The deliveries: 80 % distinct notice versions from TED; 20 % of all deliveries are HILMA copies
of some of them (same BT-701/BT-757, no OJ S number yet: one row, a second source; with
``--hilma-answers`` they carry HILMA's innovation answers too, as real ones do, which the stored
notice gains when TED's copy came first: db/store_merge.py); 5 % are
change notices moving a call's deadline (half name it by ``<uuid>-<ver>``, half by a
publication number without leading zeros). The order is shuffled, so copies and changes often
arrive before their original. The benchmark knows exactly what it generated and asserts the
final row counts and statuses; it prints deliveries per second.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from db import migrate
from db.models.notices import (
    Notice,
    NoticeDiff,
    NoticeSource,
    Procedure,
    ProcedureEvent,
    RawDocument,
)
from db.record import Buyer, Change, Lot, Money, NoticeRecord
from db.session import get_engine, get_sessionmaker
from db.store import RawDoc, Store

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WORDS = ["innovaatio", "tekoäly", "liikenne", "energia", "terveys", "digitaalinen", "palvelu", "pilotti"]


def _record(rng: random.Random, i: int) -> NoticeRecord:
    deadline = NOW + timedelta(days=rng.randint(-10, 60), hours=rng.randint(0, 23))
    lots = [
        Lot(
            lot_id=f"LOT-{k:04d}",
            title={"fin": " ".join(rng.sample(WORDS, 3))},
            cpv_main="72000000",
            deadline=deadline,
            documents_url=f"https://tarjouspalvelu.example/{i}/{k}",
        )
        for k in range(1, rng.randint(1, 3) + 1)
    ]
    return NoticeRecord(
        notice_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        version="01",
        procedure_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        publication_number=f"{i:08d}-2026",
        publication_date=date(2026, 1, 1) + timedelta(days=i % 60),
        subtype="16",
        notice_type="cn-standard",
        form_type="competition",
        language="fin",
        title={"fin": " ".join(rng.sample(WORDS, 4)), "eng": "Generated notice"},
        description={"fin": " ".join(rng.choices(WORDS, k=40))},
        buyers=[Buyer(name=f"Hankintayksikkö {i % 500}", org_id=f"{i % 500:07d}-1", country="FIN")],
        cpv_main="72000000",
        cpv_additional=["48000000"],
        place_nuts=["FI1B1"],
        estimated_value=Money(float(rng.randint(10, 900) * 1000), "EUR"),
        deadline=deadline,
        lots=lots,
        documents_url=f"https://tarjouspalvelu.example/{i}",
        issue_date=date(2026, 1, 1) + timedelta(days=i % 60),
        signals={"BT-776": ["mar-nov"]} if i % 7 == 0 else {},
    )


def _raw(record: NoticeRecord, source: str, source_id: str) -> RawDoc:
    # Stand-in for the XML: the record serialised (about 2 kB, compresses like XML does).
    content = json.dumps({"src": source, "notice": record.to_dict()}, ensure_ascii=False).encode()
    return RawDoc(source, source_id, f"https://{source}.example/{source_id}", content, NOW)


def _with_answers(record: NoticeRecord) -> NoticeRecord:
    """HILMA's statistics answers on every lot and on the record, as the pipeline adds them."""
    answers = {"hilma:innovationConsidered": ["false"], "hilma:solutionNewToBuyer": ["false"]}
    lots = [dataclasses.replace(lot, signals={**lot.signals, **answers}) for lot in record.lots]
    return dataclasses.replace(record, lots=lots, signals={**record.signals, **answers})


def generate(
    n: int, seed: int, *, answers: bool = False
) -> tuple[list[tuple[NoticeRecord, RawDoc]], dict[str, int]]:
    rng = random.Random(seed)
    n_copies = n * 20 // 100
    n_changes = n * 5 // 100
    n_originals = n - n_copies - n_changes
    originals = [_record(rng, i + 1) for i in range(n_originals)]
    deliveries: list[tuple[NoticeRecord, RawDoc]] = [
        (r, _raw(r, "ted", r.publication_number or "")) for r in originals
    ]
    for r in rng.sample(originals, n_copies):
        hilma = dataclasses.replace(r, publication_number=None, publication_date=None)
        hilma = _with_answers(hilma) if answers else hilma
        deliveries.append((hilma, _raw(hilma, "hilma", f"H{r.publication_number}")))
    for k, r in enumerate(rng.sample(originals, n_changes)):
        moved = r.deadline + timedelta(days=7)  # type: ignore[operator]
        ref = f"{r.notice_id}-01" if k % 2 else (r.publication_number or "").lstrip("0")
        change = dataclasses.replace(
            r,
            version="02",
            publication_number=f"{n_originals + k + 1:08d}-2026",
            publication_date=r.publication_date + timedelta(days=3),  # type: ignore[operator]
            deadline=moved,
            lots=[dataclasses.replace(lot, deadline=moved) for lot in r.lots],
            changes=Change(changed_notice=ref, reasons=["update-add"]),
        )
        deliveries.append((change, _raw(change, "ted", change.publication_number or "")))
    rng.shuffle(deliveries)
    expected = {
        "deliveries": n,
        "raw_documents": n,
        "notices": n_originals + n_changes,
        "notice_sources": n,
        "procedures": n_originals,
        "procedure_events": n_changes,
        "notice_diffs": n_changes,
        "status:new": n_originals + n_changes,
        "status:new_source": n_copies,
    }
    return deliveries, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="deliveries to ingest (default 100,000)")
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file in a temp dir)")
    parser.add_argument(
        "--commit-every", type=int, default=1000, help="deliveries per transaction (and batch)"
    )
    parser.add_argument(
        "--one-by-one",
        action="store_true",
        help="call Store.ingest per delivery instead of Store.ingest_many",
    )
    parser.add_argument(
        "--hilma-answers", action="store_true", help="HILMA's copies carry its innovation answers (hilma:*)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.sqlite"
        migrate.upgrade(url)
        t0 = time.perf_counter()
        deliveries, expected = generate(args.n, args.seed, answers=args.hilma_answers)
        t_gen = time.perf_counter() - t0
        print(f"generated {len(deliveries):,} deliveries in {t_gen:.1f} s")

        statuses: Counter[str] = Counter()
        event_kinds: Counter[str] = Counter()
        maker = get_sessionmaker(url)
        t0, c0 = time.perf_counter(), time.process_time()
        for start in range(0, len(deliveries), args.commit_every):
            batch = deliveries[start : start + args.commit_every]
            with maker.begin() as session:
                store = Store(session, clock=lambda: NOW)
                if args.one_by_one:
                    results = [store.ingest(record, raw) for record, raw in batch]
                else:
                    results = store.ingest_many(batch)
            for result in results:
                statuses[result.status] += 1
                event_kinds.update(result.events)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        rate = len(deliveries) / elapsed

        with maker() as session:
            got = {
                m.__tablename__: session.scalar(select(func.count()).select_from(m))
                for m in (RawDocument, Notice, NoticeSource, Procedure, ProcedureEvent, NoticeDiff)
            }
            linked = session.scalar(select(func.count()).where(Notice.changes_notice_pk.is_not(None)))
        get_engine(url).dispose()

    how = (
        "Store.ingest per delivery"
        if args.one_by_one
        else f"Store.ingest_many, {args.commit_every} per batch"
    )
    print(f"ingested {len(deliveries):,} deliveries ({how}) in {elapsed:.1f} s: {rate:,.0f} notices/s")
    # CPU seconds of this process: a fairer figure on a shared, busy machine (SQLite runs in-process).
    print(
        f"  CPU time {cpu:.1f} s: {len(deliveries) / cpu:,.0f} notices per CPU-second;"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    print("statuses:", dict(sorted(statuses.items())), "events:", dict(event_kinds))
    print("rows:", got, f"change notices linked: {linked:,}")
    got_all = {**got, "status:new": statuses["new"], "status:new_source": statuses["new_source"]}
    wrong = {k: (got_all[k], v) for k, v in expected.items() if k in got_all and got_all[k] != v}
    assert not wrong, f"counts differ (got, expected): {wrong}"
    assert linked == expected["notice_diffs"]
    assert event_kinds == {"deadline_moved": expected["procedure_events"]}
    assert statuses["duplicate"] == 0 and statuses["conflict"] == 0
    print("counts exact: OK" + ("" if rate >= 1000 else f"  — BELOW the 1,000/s target ({rate:,.0f}/s)"))


if __name__ == "__main__":
    main()
