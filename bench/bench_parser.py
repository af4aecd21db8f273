"""How fast is the eForms parser compared with just parsing the XML?

Over the same bytes, on one core:
  bare    ``lxml.etree.fromstring(data)`` — the floor any lxml-based parser pays;
  parser  ``parse_notice(data)`` — safe parse + extraction into a NoticeRecord.
Target: parser rate ≥ 50 % of the bare rate (extraction costs no more than parsing).

Measuring on a shared machine: the two are timed alternately on the same chunk of notices
(CPU time of this process, so time spent descheduled does not count), and the ratio reported is
the median over all chunk pairs; rates are from the fastest round. Corpora:
  synthetic    ``monitor.demo.samples.generate_corpus`` (realistic: contacts, exclusion grounds,
               criteria, multi-paragraph descriptions; size close to real notices);
  lean         the same specs without that administrative detail (a worst case: nearly
               every element is one the parser extracts);
  real         the shared corpus of real TED notices and SDK examples, when present (--real).

With ``--instructions`` (needs valgrind) it also counts CPU instructions with callgrind for a
small sample: a measure that does not move with the machine's load, where the timed ratio does
(on a busy shared machine Python-heavy extraction loses more to cache contention than libxml2).

Usage: .venv/bin/python bench/bench_parser.py [--notices 5000] [--seed 1] [--rounds 3] [--real] [--lean]
                                              [--instructions [--ir-notices 200]]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from monitor.demo.samples.builder import build_notice_xml, generate_specs
from scrapers.parsers import parse_notice

REAL_DIRS = ("fixtures/ted-real", "fixtures/eforms-sdk/examples/notices")
CHUNK = 100


def _cpu(func: Callable[[bytes], object], docs: list[bytes]) -> float:
    start = time.process_time()
    for data in docs:
        func(data)
    return time.process_time() - start


def compare(label: str, docs: list[bytes], rounds: int) -> float:
    chunks = [docs[i : i + CHUNK] for i in range(0, len(docs), CHUNK)]
    ratios: list[float] = []
    best_bare = best_parser = float("inf")
    for _ in range(rounds):
        total_bare = total_parser = 0.0
        for chunk in chunks:
            bare = _cpu(etree.fromstring, chunk)
            parsed = _cpu(parse_notice, chunk)
            total_bare += bare
            total_parser += parsed
            ratios.append(bare / parsed)
        best_bare = min(best_bare, total_bare)
        best_parser = min(best_parser, total_parser)
    ratio = statistics.median(ratios)
    size = sum(map(len, docs)) / len(docs)
    verdict = "OK" if ratio >= 0.5 else "BELOW TARGET"
    print(f"{label}: {len(docs):,} notices, mean {size / 1024:.1f} KiB")
    print(f"  bare lxml.etree.fromstring : {len(docs) / best_bare:9,.0f} notices/s")
    print(f"  parse_notice               : {len(docs) / best_parser:9,.0f} notices/s")
    print(f"  ratio parser/bare (median) : {ratio:9.2f}   (target >= 0.50: {verdict})")
    return ratio


def _ir_run(mode: str, notices: int, seed: int) -> int:
    """Instructions executed by this script in ``--ir-mode mode`` under callgrind."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--ir-mode",
        mode,
        "--notices",
        str(notices),
        "--seed",
        str(seed),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", out)
    if not match:
        raise RuntimeError(f"no instruction count in callgrind output: {out[-500:]}")
    return int(match.group(1))


def instructions(notices: int, seed: int) -> None:
    if not shutil.which("valgrind"):
        print("instructions: valgrind not installed, skipped")
        return
    setup, bare, parser = (_ir_run(mode, notices, seed) for mode in ("setup", "bare", "parser"))
    per_bare = (bare - setup) / notices
    per_parser = (parser - setup) / notices
    print(f"instructions (callgrind, {notices} synthetic notices):")
    print(f"  bare lxml.etree.fromstring : {per_bare / 1e6:9.2f} M instructions/notice")
    print(f"  parse_notice               : {per_parser / 1e6:9.2f} M instructions/notice")
    print(f"  ratio bare/parser          : {per_bare / per_parser:9.2f}   (same target, load-independent)")


def _ir_mode(mode: str, notices: int, seed: int) -> int:
    docs = [build_notice_xml(spec) for spec in generate_specs(notices, seed)]
    func = {"setup": None, "bare": etree.fromstring, "parser": parse_notice}[mode]
    if func is not None:
        for data in docs:
            func(data)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--real", action="store_true", help="also measure the shared corpus of real notices")
    ap.add_argument("--lean", action="store_true", help="also measure notices without boilerplate")
    ap.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    ap.add_argument("--ir-notices", type=int, default=200, help="sample size for --instructions")
    ap.add_argument("--ir-mode", choices=("setup", "bare", "parser"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ir_mode:
        return _ir_mode(args.ir_mode, args.notices, args.seed)

    start = time.perf_counter()
    specs = list(generate_specs(args.notices, args.seed))
    docs = [build_notice_xml(spec) for spec in specs]
    gen = time.perf_counter() - start
    print(f"generated {len(docs):,} synthetic notices in {gen:.2f} s ({len(docs) / gen:,.0f}/s)")
    compare("synthetic corpus", docs, args.rounds)

    if args.lean:
        lean = [build_notice_xml(dataclasses.replace(spec, boilerplate=False)) for spec in specs]
        compare("lean synthetic corpus (no boilerplate)", lean, args.rounds)

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
            compare(f"real notices ({len(real)} files, each x10)", real * 10, args.rounds)
        else:
            print(f"real notices: shared corpus not found under {shared}")
    if args.instructions:
        instructions(args.ir_notices, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
