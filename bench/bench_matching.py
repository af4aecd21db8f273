"""Subscription matching: 10,000 subscriptions against 3,000 new notices (about a TED day).

Notices are the project's synthetic eForms corpus (``monitor.demo.samples``: buyers, NUTS and
fi/sv/en texts), reshaped like a TED day: that corpus is Finnish and uses a few dozen CPV
codes, while a TED day spans the EU (Finland about 3 %) and thousands of codes. So each
notice gets CPV codes drawn across the 45 divisions and, nine times in ten, a buyer country
elsewhere in the EU, its texts then labelled with that country's language.

Subscriptions are drawn from the same vocabulary so that many of them match: CPV codes cut
at a random level of the hierarchy, NUTS prefixes, keywords taken from notice titles (and
some that never occur), branches, innovation filters and value ranges; mostly CPV-based and
mostly limited to Finland or a Finnish region, as a Finnish service's subscribers would be.

Reported, on one core:
  with index     every notice through ``SubscriptionIndex.match`` (total time, notices/s, matches/s)
  without index  ``match_without_index`` (every subscription checked in full) on a sample of
                 notices, extrapolated to all of them; the ratio is what the index buys.
The two must return identical matches on the sample (asserted). Target: index < 5 s.
Times are CPU seconds of this process (``time.process_time``): on a shared machine wall time
also counts other processes' turns.

Usage: .venv/bin/python bench/bench_matching.py [--subscriptions 10000] [--notices 3000]
       [--baseline-sample 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.appconfig import load_file
from monitor.branches import BranchesConfig
from monitor.demo.samples.builder import expected_record, generate_specs
from monitor.matching import CompiledSubscription, SubscriptionFilters, SubscriptionIndex, build_facts

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 1, tzinfo=UTC)
WORD = re.compile(r"[^\W\d_]{5,}")


DIVISIONS = [
    "03",
    "09",
    "14",
    "15",
    "16",
    "18",
    "19",
    "22",
    "24",
    "30",
    "31",
    "32",
    "33",
    "34",
    "35",
    "37",
    "38",
    "39",
    "41",
    "42",
    "43",
    "44",
    "45",
    "48",
    "50",
    "51",
    "55",
    "60",
    "63",
    "64",
    "65",
    "66",
    "70",
    "71",
    "72",
    "73",
    "75",
    "76",
    "77",
    "79",
    "80",
    "85",
    "90",
    "92",
    "98",
]
COUNTRIES = [
    ("DEU", "DE", "deu"),
    ("FRA", "FR", "fra"),
    ("POL", "PL", "pol"),
    ("ESP", "ES", "spa"),
    ("ITA", "IT", "ita"),
    ("SWE", "SE", "swe"),
    ("NLD", "NL", "nld"),
    ("BEL", "BE", "fra"),
    ("AUT", "AT", "deu"),
    ("CZE", "CZ", "ces"),
    ("ROU", "RO", "ron"),
    ("DNK", "DK", "dan"),
]


def random_cpv(rng: random.Random) -> str:
    return rng.choice(DIVISIONS) + "".join(
        str(rng.randrange(10)) for _ in range(rng.choice((1, 2, 3, 4)))
    ).ljust(6, "0")


def ted_day(records: list, rng: random.Random) -> list:
    out = []
    for r in records:
        lots = [dataclasses.replace(lot, cpv_main=random_cpv(rng), cpv_additional=[]) for lot in r.lots]
        r = dataclasses.replace(r, cpv_main=random_cpv(rng), cpv_additional=[], lots=lots)
        if rng.random() < 0.9:
            alpha3, nuts, lang = rng.choice(COUNTRIES)
            region = nuts + str(rng.randrange(1, 4)) + str(rng.randrange(1, 9))
            buyers = [dataclasses.replace(b, country=alpha3, nuts=region, org_id=None) for b in r.buyers]
            # Such a notice is written in its country's language (TED's XML has no translations).
            lots = [
                dataclasses.replace(
                    lot,
                    place_nuts=[region],
                    title=_relabel(lot.title, lang),
                    description=_relabel(lot.description, lang),
                )
                for lot in r.lots
            ]
            r = dataclasses.replace(
                r,
                buyers=buyers,
                place_nuts=[region],
                lots=lots,
                language=lang,
                title=_relabel(r.title, lang),
                description=_relabel(r.description, lang),
                additional_info=_relabel(r.additional_info, lang),
            )
        out.append(r)
    return out


def _relabel(texts: dict[str, str], lang: str) -> dict[str, str]:
    return {lang: next(iter(texts.values()))} if texts else {}


def make_subscriptions(n: int, records: list, rng: random.Random) -> list[CompiledSubscription]:
    cpvs = sorted({c for r in records for c in r.all_cpv})
    nuts = sorted({x[: rng.choice((2, 3, 4))] for r in records for x in r.all_nuts} | {"FI", "SE", "DE"})
    words = sorted({w.lower() for r in records[:300] for t in r.title.values() for w in WORD.findall(t)})
    never = [f"xq{rng.randrange(10**6)}sana" for _ in range(500)]
    vocab = words + never
    subs = []
    for i in range(n):
        f: dict = {}
        kind = rng.random()
        if kind < 0.6:
            f["cpv"] = [_cut(rng.choice(cpvs), rng) for _ in range(rng.randint(1, 3))]
        elif kind < 0.85:
            f["keywords"] = rng.sample(vocab, rng.randint(1, 3))
        elif kind < 0.93:
            f["branches"] = [rng.choice(["TEM", "STM", "LVM", "VM", "kunta", "hyvinvointialue", "valtio"])]
        elif kind < 0.97:
            f["countries"] = [rng.choice(["FIN", "SWE", "DEU", "FRA", "POL"])]
        else:
            f["innovation"] = "innovative"
        where = rng.random()
        if where < 0.45:  # a Finnish service: most subscribers watch Finland or a part of it
            f["countries"] = ["FIN"]
        elif where < 0.7:
            f["nuts"] = [rng.choice([x for x in nuts if x.startswith("FI")] or ["FI"])]
        elif where < 0.8:
            f["nuts"] = [rng.choice(nuts)]
        if rng.random() < 0.15:
            f["exclude"] = rng.sample(vocab, 1)
        if rng.random() < 0.1:
            f["value_min"] = float(rng.choice((10_000, 100_000, 1_000_000)))
        if rng.random() < 0.1:
            f["innovation"] = rng.choice(["innovative", "possible"])
        subs.append(CompiledSubscription.compile(i, i, f"s{i}", SubscriptionFilters(**f)))
    return subs


def _cut(code: str, rng: random.Random) -> str:
    keep = rng.choices((2, 3, 4, 5, 8), weights=(10, 30, 30, 25, 5))[0]
    return (code[:keep] + "0" * 8)[:8]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subscriptions", type=int, default=10_000)
    ap.add_argument("--notices", type=int, default=3_000)
    ap.add_argument("--baseline-sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    t0 = time.process_time()
    records = ted_day([expected_record(s) for s in generate_specs(args.notices, seed=args.seed)], rng)
    branches = load_file(REPO / "config" / "branches.yaml", BranchesConfig)
    subs = make_subscriptions(args.subscriptions, records, rng)
    labels = ["none", "none", "none", "possible", "innovative"]
    facts = [build_facts(r, branches=branches, innovation=rng.choice(labels)) for r in records]
    t_setup = time.process_time() - t0

    t0 = time.process_time()
    index = SubscriptionIndex(subs)
    t_build = time.process_time() - t0
    # First sight: the lemmatiser meets every word for the first time (and loads its dictionaries).
    t0 = time.process_time()
    cold = [index.match(f, NOW) for f in facts]
    t_cold = time.process_time() - t0
    # In the pipeline the classifier has just tokenised and lemmatised the same notices in the
    # same process (``pipeline.process``), so matching meets a warm morphology cache: time that.
    t0 = time.process_time()
    results = [index.match(f, NOW) for f in facts]
    t_index = time.process_time() - t0
    assert results == cold
    n_matches = sum(len(r) for r in results)
    candidates = sum(len(index.candidates(f, _cache(index, f))) for f in facts[:500]) / min(500, len(facts))

    sample = facts[: args.baseline_sample]
    t0 = time.process_time()
    baseline = [index.match_without_index(f, NOW) for f in sample]
    t_sample = time.process_time() - t0
    assert baseline == results[: len(sample)], "index and full scan disagree"
    t_full = t_sample / len(sample) * len(facts)

    per_notice = n_matches / len(facts)
    print(f"corpus: {len(records)} notices, {len(subs)} subscriptions")
    print(f"  (setup {t_setup:.1f} s, index build {t_build:.2f} s)")
    print(
        f"with index:    {t_index:.2f} s total, {len(facts) / t_index:,.0f} notices/s, "
        f"{n_matches:,} matches = {n_matches / t_index:,.0f} matches/s ({per_notice:.1f} per notice), "
        f"{candidates:.0f} candidates per notice"
    )
    print(f"  same with a cold lemmatiser (no classifier pass before it): {t_cold:.2f} s")
    print(
        f"without index: {t_full:.1f} s, {len(sample) / t_sample:,.0f} notices/s "
        f"(measured {t_sample:.2f} s on {len(sample)} notices, extrapolated)"
    )
    print(
        f"ratio: the index is {t_full / t_index:.1f}x faster; target < 5 s: "
        f"{'met' if t_index < 5 else 'NOT met'}"
    )


def _cache(index: SubscriptionIndex, facts):  # type: ignore[no-untyped-def]
    from monitor.matching.index import TermCache

    return TermCache(index.terms, facts)


if __name__ == "__main__":
    main()
