"""The synthetic notice builder writes well-formed, deterministic eForms XML of the right shape."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from lxml import etree

from db.record import Award, Buyer, Change, Money
from monitor.demo.samples.builder import (
    NS,
    ROOT_NS,
    SUBTYPES,
    LotSpec,
    NoticeSpec,
    build_notice_xml,
    generate_corpus,
    generate_specs,
    random_spec,
    y_tunnus,
)


def test_corpus_is_deterministic_for_a_seed_and_differs_between_seeds() -> None:
    a = list(generate_corpus(200, seed=7))
    b = list(generate_corpus(200, seed=7))
    c = list(generate_corpus(200, seed=8))
    assert a == b
    assert a != c


@pytest.mark.parametrize("subtype", sorted(SUBTYPES))
def test_every_subtype_gets_its_root_and_subtype_code(subtype: str) -> None:
    spec = random_spec(random.Random(subtype), subtype=subtype)
    root = etree.fromstring(build_notice_xml(spec))
    expected_root = SUBTYPES[subtype][0]
    assert root.tag == f"{{{ROOT_NS[expected_root]}}}{expected_root}"
    code = root.find(".//efac:NoticeSubType/cbc:SubTypeCode", NS)
    assert code is not None and code.text == subtype
    notice_type = root.find("cbc:NoticeTypeCode", NS)
    assert notice_type is not None
    assert (notice_type.text, notice_type.get("listName")) == SUBTYPES[subtype][1:3]


def test_corpus_mixes_countries_languages_changes_awards_and_signals() -> None:
    specs = list(generate_specs(2000, seed=3))
    countries = Counter(s.buyers[0].country for s in specs)
    assert {"FIN", "SWE", "EST", "DEU"} <= set(countries)
    langs = Counter(lang for s in specs for lang in s.title)
    assert {"fin", "swe", "eng"} <= set(langs)
    changes = [s for s in specs if s.change]
    assert len(changes) > 50
    ids = {f"{s.notice_id}-{s.version}" for s in specs} | {s.publication_number for s in specs}
    short = {f"{int(p.split('-')[0])}-{p.split('-')[1]}" for p in (s.publication_number for s in specs) if p}
    assert all(c.change.changed_notice in ids | short for c in changes)
    calls = {s.procedure_id for s in specs if SUBTYPES[s.subtype][2] == "competition"}
    awards = [s for s in specs if s.awards and s.procedure_id in calls]
    assert len(awards) > 50
    assert any("BT-776" in lot.signals for s in specs for lot in s.lots)
    assert sum(1 for s in specs if s.national) > 5
    assert sum(1 for s in specs if len(s.buyers) > 1) > 50


def test_text_is_escaped_and_hilma_extension_is_the_last_child() -> None:
    spec = NoticeSpec(
        subtype="E3",
        title={"fin": 'R&D <pilotti> "A"', "swe": "FoU & test"},
        buyers=[Buyer(name="Kunta & Co", org_id=y_tunnus(random.Random(1)), country="FIN")],
        lots=[LotSpec(lot_id="LOT-0001", title={"fin": "Osa 1"})],
        change=Change("00123456-2024", ["cor-buy"], {"fin": "Korjaus"}),
        awards=[Award("LOT-0001", "selec-w", ["Voittaja Oy"], Money(1000.5, "EUR"))],
        national={"FI-20": False, "FI-11": "procurement-legislation"},
    )
    root = etree.fromstring(build_notice_xml(spec))
    names = root.findall("cac:ProcurementProject/cbc:Name", NS)
    assert [n.text for n in names] == ['R&D <pilotti> "A"', "FoU & test"]
    assert root[-1].tag == f"{{{NS['hilma']}}}NationalExtension"


def test_y_tunnus_check_digit() -> None:
    rng = random.Random(5)
    for _ in range(100):
        body, check = y_tunnus(rng).split("-")
        rem = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        assert rem != 1
        assert int(check) == (0 if rem == 0 else 11 - rem)
    # a known real one: Finland's State Treasury
    body = "0245437"
    rem = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    assert 11 - rem == 2


def test_corpus_publication_numbers_and_notice_ids_are_unique() -> None:
    specs = list(generate_specs(5000, seed=4))  # random numbers collided ~8 times at this size
    numbers = [s.publication_number for s in specs]
    assert len(set(numbers)) == len(numbers)
    assert len({s.notice_id for s in specs}) == len(specs)
