"""Round trip: builder spec → XML → parser → record equals what the spec says, for many specs.

``expected_record`` states the answer independently of the parser (it reads the spec, not XML),
so any field the parser drops, misplaces or mis-converts makes a comparison fail.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from monitor.demo.samples.builder import (
    SUBTYPES,
    build_notice_xml,
    expected_record,
    generate_specs,
    random_spec,
)
from scrapers.parsers import parse_notice


def _diff(got, want) -> str:
    return "; ".join(
        f"{f.name}: got {getattr(got, f.name)!r} want {getattr(want, f.name)!r}"
        for f in dataclasses.fields(got)
        if getattr(got, f.name) != getattr(want, f.name)
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_corpus_round_trips(seed: int) -> None:
    specs = list(generate_specs(400, seed))
    for spec in specs:
        record = parse_notice(build_notice_xml(spec), source_name=spec.notice_id)
        want = expected_record(spec)
        assert record == want, _diff(record, want)
    # the corpus really exercised the interesting parts
    assert any(s.change for s in specs) and any(s.awards for s in specs) and any(s.national for s in specs)


@pytest.mark.parametrize("subtype", sorted(SUBTYPES))
@pytest.mark.parametrize("boilerplate", [True, False])
def test_every_subtype_round_trips(subtype: str, boilerplate: bool) -> None:
    rng = random.Random(f"{subtype}-{boilerplate}")
    for _ in range(5):
        spec = random_spec(rng, subtype=subtype, boilerplate=boilerplate)
        record = parse_notice(build_notice_xml(spec))
        want = expected_record(spec)
        assert record == want, _diff(record, want)
        assert record.subtype == subtype


def test_record_survives_json_round_trip() -> None:
    from db.record import NoticeRecord

    for spec in generate_specs(100, 42):
        record = parse_notice(build_notice_xml(spec))
        assert NoticeRecord.from_dict(record.to_dict()) == record
