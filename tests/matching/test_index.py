"""Subscription matching: CPV hierarchy, NUTS prefixes, keywords, filters, and index = no index."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from db.record import Buyer, Lot, Money, NoticeRecord
from monitor.matching import (
    CompiledSubscription,
    SubscriptionFilters,
    SubscriptionIndex,
    build_facts,
    cpv_prefix,
)

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def notice(**kw) -> NoticeRecord:  # type: ignore[no-untyped-def]
    base = NoticeRecord(
        notice_id="n-1",
        version="01",
        procedure_id="p-1",
        publication_number="00012345-2026",
        publication_date=date(2026, 11, 25),
        subtype="16",
        notice_type="cn-standard",
        form_type="competition",
        language="fin",
        title={"fin": "Potilastietojärjestelmän ohjelmistokehitys"},
        description={"fin": "Hankitaan tietojärjestelmien ylläpitoa."},
        buyers=[Buyer("Helsingin kaupunki", "0201256-6", "FIN", nuts="FI1B1", legal_type="la")],
        cpv_main="72212000",
        place_nuts=["FI1B1"],
        deadline=NOW + timedelta(days=30),
        estimated_value=Money(250_000, "EUR"),
    )
    return dataclasses.replace(base, **kw)


def match(filters: dict, record: NoticeRecord | None = None, **facts_kw) -> list[dict] | None:  # type: ignore[no-untyped-def]
    sub = CompiledSubscription.compile(1, 1, "s", SubscriptionFilters(**filters))
    index = SubscriptionIndex([sub])
    found = index.match(build_facts(record or notice(), **facts_kw), NOW)
    return found[0].reasons if found else None


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("72000000", "72"),
        ("72200000", "722"),
        ("72210000", "7221"),
        ("72212000", "72212"),
        ("72212100", "722121"),
        ("03000000", "03"),
        ("45000000-7", "45"),
    ],
)
def test_cpv_prefix_is_the_code_without_trailing_zeros(code: str, prefix: str) -> None:
    assert cpv_prefix(code) == prefix


def test_cpv_code_covers_its_descendants_only() -> None:
    assert match({"cpv": ["72000000"]}) == [{"filter": "cpv", "subscribed": "72000000", "notice": "72212000"}]
    assert match({"cpv": ["72200000"]}) is not None
    assert match({"cpv": ["72212000-4"]}) is not None  # check digit accepted
    assert match({"cpv": ["72300000"]}) is None  # a sibling group
    assert match({"cpv": ["72212100"]}) is None  # a descendant does not cover its parent
    assert match({"cpv": ["7"[:1] + "1000000"]}) is None  # 71 is another division


def test_cpv_of_a_lot_counts() -> None:
    rec = notice(cpv_main="45000000", lots=[Lot("LOT-1", cpv_main="48000000")])
    assert match({"cpv": ["48000000"]}, rec) == [
        {"filter": "cpv", "subscribed": "48000000", "notice": "48000000"}
    ]


def test_nuts_prefix_matching_and_buyer_region_fallback() -> None:
    assert match({"nuts": ["FI1B"]})[0]["notice"] == "FI1B1"
    assert match({"nuts": ["FI"]}) is not None
    assert match({"nuts": ["FI19"]}) is None
    assert match({"nuts": ["FI1B"]}, notice(place_nuts=[])) is not None  # buyer's NUTS when no place given
    assert match({"nuts": ["SE"]}, notice(place_nuts=["SE110"])) is not None


def test_keywords_match_inflected_and_compound_forms_and_exclusions_veto() -> None:
    reasons = match({"keywords": ["tietojärjestelmä"]})
    assert reasons is not None
    assert {(r["field"], r["matched"]) for r in reasons} >= {("title", "Potilastietojärjestelmän")}
    assert match({"keywords": ["siivous"]}) is None
    assert match({"keywords": ["ohjelmisto"], "exclude": ["ylläpito"]}) is None  # "ylläpitoa" in description
    assert match({"keywords": ["ohjelmisto"], "exclude": ["siivous"]}) is not None


def test_simple_filters() -> None:
    assert match({"countries": ["FIN"]}) is not None and match({"countries": ["SWE"]}) is None
    assert match({"value_min": 100_000, "value_max": 300_000}) is not None
    assert match({"value_min": 300_000}) is None
    assert match({"value_min": 300_000}, notice(estimated_value=None)) is not None  # unknown value kept
    assert match({"min_days_ahead": 20}) is not None and match({"min_days_ahead": 40}) is None
    assert match({"buyers": ["0201256-6"]}) is not None and match({"buyers": ["helsingin"]}) is not None
    assert match({"buyers": ["Espoo"]}) is None
    assert match({"kinds": ["result"]}) is None
    assert match({}, notice(form_type="result")) is None  # results only when asked for
    assert match({"kinds": ["result"]}, notice(form_type="result")) is not None


def test_innovation_filter_uses_the_label() -> None:
    assert match({"innovation": "innovative"}, innovation="possible") is None
    assert match({"innovation": "possible"}, innovation="possible") == [
        {"filter": "innovation", "label": "possible", "score": None}
    ]
    assert match({"innovation": "possible"}, innovation="innovative") is not None
    assert match({"innovation": "possible"}) is None  # not classified yet: not innovative


def test_invalid_filters_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="not a CPV code"):
        SubscriptionFilters(cpv=["7200"])
    with pytest.raises(ValidationError, match="NUTS"):
        SubscriptionFilters(nuts=["fi-1b"])
    with pytest.raises(ValidationError, match="larger than"):
        SubscriptionFilters(value_min=10, value_max=5)
    with pytest.raises(ValidationError, match="Extra inputs"):
        SubscriptionFilters(cvp=["72000000"])  # a typo is an error, never ignored


def test_index_returns_exactly_what_checking_every_subscription_returns() -> None:
    rng = random.Random(7)
    cpvs = ["72000000", "72200000", "45000000", "48000000", "90910000", "73100000", "79000000"]
    words = ["ohjelmisto", "siivous", "tekoäly", "järjestelmä", "silta", "software", "städning"]
    subs = []
    for i in range(400):
        f: dict = {}
        if rng.random() < 0.5:
            f["cpv"] = rng.sample(cpvs, rng.randint(1, 2))
        if rng.random() < 0.4:
            f["keywords"] = rng.sample(words, rng.randint(1, 2))
        if rng.random() < 0.2:
            f["nuts"] = [rng.choice(["FI1B", "FI19", "FI"])]
        if rng.random() < 0.2:
            f["innovation"] = rng.choice(["innovative", "possible"])
        if rng.random() < 0.1:
            f["countries"] = [rng.choice(["FIN", "SWE"])]
        subs.append(CompiledSubscription.compile(i, i, f"s{i}", SubscriptionFilters(**f)))
    index = SubscriptionIndex(subs)
    total = 0
    for _ in range(60):
        rec = notice(
            cpv_main=rng.choice(["72212000", "45221000", "90911200", "73110000", "48100000", "30192000"]),
            title={
                "fin": " ".join(
                    rng.sample(
                        [
                            "Potilastietojärjestelmän",
                            "koulujen",
                            "siivouspalvelut",
                            "tekoälypilotti",
                            "sillan",
                            "korjaus",
                        ],
                        3,
                    )
                )
            },
            place_nuts=[rng.choice(["FI1B1", "FI197", "SE110"])],
        )
        facts = build_facts(rec, innovation=rng.choice([None, "none", "possible", "innovative"]))
        with_index = index.match(facts, NOW)
        assert with_index == index.match_without_index(facts, NOW)
        total += len(with_index)
    assert total > 50  # the comparison was not vacuous
