"""How fast is the eForms parser compared with just parsing the XML?

Generates a synthetic corpus (``scrapers.samples``), then on one core times, over the same bytes:
  bare    ``lxml.etree.fromstring(data)`` — the floor any XML-based parser pays;
  parser  ``parse_notice(data)`` — safe parse + extraction into a NoticeRecord.
The target is parser rate ≥ 50 % of the bare rate (extraction costs no more than parsing).
Each figure is the best of ``--repeat`` rounds, to damp noise from other processes.
With ``--real`` it repeats the comparison on the shared corpus of real notices, when present.

Usage: .venv/bin/python bench/bench_parser.py [--notices 5000] [--seed 1] [--repeat 3] [--real]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from scrapers.parsers import parse_notice
from scrapers.samples.builder import generate_corpus

REAL_DIRS = ("fixtures/ted-real", "fixtures/eforms-sdk/examples/notices")


def best_rate(func: Callable[[bytes], object], docs: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for data in docs:
            func(data)
        best = min(best, time.perf_counter() - start)
    return len(docs) / best


def compare(label: str, docs: list[bytes], repeat: int) -> float:
    size = sum(map(len, docs)) / len(docs)
    bare = best_rate(etree.fromstring, docs, repeat)
    parsed = best_rate(parse_notice, docs, repeat)
    ratio = parsed / bare
    print(f"{label}: {len(docs):,} notices, mean {size / 1024:.1f} KiB")
    print(f"  bare lxml.etree.fromstring : {bare:9,.0f} notices/s")
    print(f"  parse_notice               : {parsed:9,.0f} notices/s")
    verdict = "OK" if ratio >= 0.5 else "BELOW TARGET"
    print(f"  ratio parser/bare          : {ratio:9.2f}   (target >= 0.50: {verdict})")
    return ratio


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--real", action="store_true", help="also measure the shared real-notice corpus")
    args = ap.parse_args()

    start = time.perf_counter()
    docs = [data for _, data in generate_corpus(args.notices, args.seed)]
    gen = time.perf_counter() - start
    print(f"generated {len(docs):,} synthetic notices in {gen:.2f} s ({len(docs) / gen:,.0f}/s)")
    compare("synthetic corpus", docs, args.repeat)

    if args.real:
        shared = Path(__file__).resolve().parent.parent.parent / "shared"
        real = [
            p.read_bytes()
            for d in REAL_DIRS
            if (shared / d).is_dir()
            for p in sorted((shared / d).glob("*.xml"))
            if not p.name.startswith("INVALID_")
        ]
        if real:
            compare("real notices (shared corpus, x20)", real * 20, args.repeat)
        else:
            print(f"real notices: shared corpus not found under {shared}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
