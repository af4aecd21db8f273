"""The review queue's and the rule quality table's cost over a large store (issue #15, point 3).

Fills a database with N synthetic notices and classifications (one in ten with a reason, as in
the real store where most notices score nothing; their result JSON as large as real ones, text
hits included), 500 verdicts and 2,000 readers' answers, then times what each page view runs:
``review_queue.queue_page`` (the counts per label and one page) and ``quality.measure``.

    .venv/bin/python bench/bench_review.py --db sqlite:///var/bench-review.sqlite --notices 1000000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from db import migrate
from db.models.alerts import Subscriber
from db.models.classification import NoticeClassification
from db.models.notices import Notice, Procedure
from db.models.review import ReaderFeedback, ReviewVerdict
from db.session import get_sessionmaker
from monitor.classify import quality, review_queue

NOW = datetime(2026, 12, 5, 10, tzinfo=UTC)
WORDS = [
    ("pilot_trial", "tekoälypilotti"),
    ("innovation_word", "innovatiivinen"),
    ("market_dialogue", "markkinavuoropuhelu"),
    ("rd_services", "tutkimus- ja kehittämispalvelut"),
    ("pilot_trial", "pilotointi"),
]


def result(rng: random.Random) -> tuple[str, float, dict[str, object]]:
    if rng.random() > 0.1:
        return (
            "none",
            0.0,
            {"label": "none", "score": 0.0, "reasons": [], "hits": [], "not_counted": [], "excluded": []},
        )
    reasons, hits = [], []
    for sid, word in rng.sample(WORDS, rng.randint(1, 3)):
        reasons.append(
            {
                "signal_id": sid,
                "kind": "text",
                "field": "title",
                "matched": word,
                "lang": "fin",
                "snippet": f"… {word} kotihoidon palveluihin …",
                "weight": 3.0,
                "how": "lemma",
            }
        )
        hits += [
            {
                "term_id": sid,
                "lang": "fin",
                "field": "description",
                "matched": word,
                "snippet": "x" * 160,
                "start": 10,
                "end": 20,
                "how": "lemma",
                "factor": 1.0,
            }
        ] * 4
    score = 3.0 * len(reasons)
    label = "innovative" if score >= 5 else "possible"
    return (
        label,
        score,
        {"label": label, "score": score, "reasons": reasons, "hits": hits, "not_counted": [], "excluded": []},
    )


def fill(url: str, n: int) -> None:
    rng = random.Random(15)
    maker = get_sessionmaker(url)
    with maker.begin() as s:
        if s.scalar(select(func.count()).select_from(Notice)):
            return
    batch = 20_000
    for start in range(1, n + 1, batch):
        ids = range(start, min(n, start + batch - 1) + 1)
        with maker.begin() as s:
            s.execute(
                insert(Procedure),
                [
                    {
                        "id": i,
                        "procedure_key": f"p{i}",
                        "state": "open",
                        "lots": [],
                        "has_call": True,
                        "is_cancelled": False,
                        "is_awarded": False,
                        "title": f"Hankinta {i}",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in ids
                ],
            )
            s.execute(
                insert(Notice),
                [
                    {
                        "id": i,
                        "notice_id": f"n{i}",
                        "version": "01",
                        "publication_number": f"{i:08d}-2026",
                        "lifecycle": "call",
                        "title": f"Hankinta {i}",
                        "buyer_name": "Kaupunki",
                        "procedure_pk": i,
                        "content_hash": "x",
                        "record_hash": "x",
                        "record": {},
                        "first_seen_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in ids
                ],
            )
            rows = []
            for i in ids:
                label, score, res = result(rng)
                rows.append(
                    {
                        "notice_pk": i,
                        "label": label,
                        "score": score,
                        "rules_version": "v",
                        "result": res,
                        "classified_at": NOW,
                    }
                )
            s.execute(insert(NoticeClassification), rows)
        print(f"  {ids[-1]:,} notices", file=sys.stderr)
    with maker.begin() as s:
        sub = Subscriber(email="r@example.com", created_at=NOW, updated_at=NOW)
        s.add(sub)
        s.flush()
        judged = list(
            s.scalars(
                select(NoticeClassification.notice_pk).where(NoticeClassification.score != 0).limit(2500)
            )
        )
        for pk in judged[:500]:
            s.add(
                ReviewVerdict(
                    notice_pk=pk,
                    verdict=rng.choice(["innovative", "not_innovative"]),
                    reviewer="a",
                    decided_at=NOW,
                )
            )
        for pk in judged[500:]:
            s.add(
                ReaderFeedback(
                    subscriber_id=sub.id, notice_pk=pk, relevant=rng.random() < 0.6, answered_at=NOW
                )
            )


def timed(label: str, fn: Callable[[], object], repeat: int = 5) -> None:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(f"{label:<40} median {statistics.median(times) * 1000:8.0f} ms   max {max(times) * 1000:8.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="sqlite:///var/bench-review.sqlite")
    ap.add_argument("--notices", type=int, default=1_000_000)
    args = ap.parse_args()
    migrate.upgrade(args.db, "head")
    t = time.perf_counter()
    fill(args.db, args.notices)
    print(f"filled in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    maker = get_sessionmaker(args.db)
    with maker() as s:
        n = s.scalar(select(func.count()).select_from(NoticeClassification))
        print(f"{n:,} classifications")
        for f in review_queue.FILTERS:
            timed(f"review queue page ({f})", partial(review_queue.queue_page, s, f))
        timed("rule quality (measure)", lambda: quality.measure(s))


if __name__ == "__main__":
    main()
