"""How fast is the legacy TED parser (TED_EXPORT R2.0.8/R2.0.9) compared with just parsing the XML?

The same measure as ``bench_parser.py`` (whose ``compare`` it uses): over the same bytes, on one
core, ``lxml.etree.fromstring(data)`` against ``parse_notice(data)`` (safe parse, dispatch by
root, extraction into a NoticeRecord), timed alternately per chunk of 100 notices in CPU time;
the ratio is the median over chunk pairs. Target: ≥ 0.50 (extraction costs no more than parsing).

Corpora:
  real       the shared corpus of 2,295 real legacy notices (``../shared/fixtures/ted-legacy``),
             when present;
  generated  ``monitor.demo.samples.legacy`` notices (a TED day's mix of forms, ~2 % Finnish).

Usage: .venv/bin/python bench/bench_legacy_parser.py [--notices 5000] [--seed 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parser import compare

from monitor.demo.samples.legacy import build_legacy_xml, generate_legacy_specs

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "ted-legacy"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    ratios = []
    real = [p.read_bytes() for p in sorted(SHARED.glob("*.xml"))] if SHARED.is_dir() else []
    if real:
        ratios.append(compare(f"real legacy notices ({len(real)} files)", real, args.rounds))
    else:
        print(f"real legacy notices: shared corpus not found under {SHARED}")

    start = time.perf_counter()
    specs = generate_legacy_specs(args.notices, args.seed, day=date(2021, 6, 2))
    docs = [build_legacy_xml(spec) for spec in specs]
    gen = time.perf_counter() - start
    print(f"generated {len(docs):,} legacy notices in {gen:.2f} s ({len(docs) / gen:,.0f}/s)")
    ratios.append(compare("generated legacy notices", docs, args.rounds))
    return 0 if all(r >= 0.5 for r in ratios) else 1


if __name__ == "__main__":
    raise SystemExit(main())
