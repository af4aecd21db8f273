"""The shared corpus of 2,295 real legacy TED notices (``../shared/fixtures/ted-legacy``).

Every file must parse, and what ``INDEX.tsv`` says of each (written by the corpus collector from
the XML) must be what the record says. Skipped, saying why, where the shared corpus is absent.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from db.record import NoticeRecord
from scrapers.parsers import parse_notice
from scrapers.parsers.ted_codes import COUNTRY_ALPHA3, country, language
from tests.conftest import shared_path

LEGACY_FORMS_WITHOUT_2014_NAME = {"F16", "F17", "F18", "T01", "T02"}
"""INDEX's form column names the 2014 form element (``F03_2014``); R2.0.8 defence forms and the
public-transport forms (``MOVE``) have none there."""


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict[str, str]], dict[str, NoticeRecord]]:
    directory = shared_path("fixtures", "ted-legacy")
    with (directory / "INDEX.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    records = {
        row["file"]: parse_notice((directory / row["file"]).read_bytes(), source_name=row["file"])
        for row in rows
    }
    return rows, records


def test_every_file_parses(corpus: tuple[list, dict]) -> None:
    rows, records = corpus
    files = {p.name for p in Path(shared_path("fixtures", "ted-legacy")).glob("*.xml")}
    assert len(rows) == len(files) == len(records) == 2295


def test_index_fields_match_the_records(corpus: tuple[list, dict]) -> None:
    rows, records = corpus
    mismatches: dict[str, list[str]] = {}
    for row in rows:
        r = records[row["file"]]
        number, year = row["doc_id"].split("-")
        day = row["date_pub"]
        lang = language(row["lang"])
        checks = {
            "publication number": r.publication_number == f"{int(number):08d}-{year}",
            "date": r.publication_date == date(int(day[:4]), int(day[4:6]), int(day[6:])),
            "country": bool(r.buyers) and r.buyers[0].country == country(row["country"]),
            "form": r.subtype == row["form"][:3]
            if row["form"]
            else r.subtype in LEGACY_FORMS_WITHOUT_2014_NAME,
            "cpv main": r.cpv_main == row["cpv_main"],
            "language": r.language == lang,
            # INDEX's title is TED's heading in the original language (ML_TITLES), which for most
            # notices is the main CPV code's label, not the buyer's title; the record keeps it as
            # national["ted:heading"] and uses the buyer's own title as title[original].
            "title": " ".join(row["title"].split())
            in " ".join(r.national.get("ted:heading", {}).get(lang or "", "").split()),
            "original title": bool(r.title.get(lang or "")),
            "innovation partnership": (row["innovation_partnership"] == "1")
            == (r.procedure_type == "innovation"),
        }
        for name, ok in checks.items():
            if not ok:
                mismatches.setdefault(name, []).append(row["file"])
    assert mismatches == {}


def test_index_countries_are_iso_alpha3_in_the_records(corpus: tuple[list, dict]) -> None:
    rows, records = corpus
    alpha3 = set(COUNTRY_ALPHA3.values())
    buyers = [b for r in records.values() for b in r.buyers]
    assert {b.country for b in buyers} <= alpha3
    assert sum(r.buyers[0].country == "FIN" for r in records.values()) == 78  # README: 78 Finnish buyers
    assert {records[row["file"]].buyers[0].country for row in rows if row["country"] == "UK"} == {"GBR"}
    assert {records[row["file"]].buyers[0].country for row in rows if row["country"] == "GR"} == {"GRC"}


def test_every_notice_has_the_vocabulary_the_store_reads(corpus: tuple[list, dict]) -> None:
    _, records = corpus
    form_types = {"planning", "competition", "change", "result", "dir-awa-pre", "cont-modif"}
    for name, r in records.items():
        assert r.form_type in form_types and r.notice_type, name
        assert r.procedure_id and r.procedure_id.startswith("ted-legacy:"), name
        assert set(r.title) <= {r.language, "fin", "swe", "eng", *r.languages}, name
        assert {"fin", "swe", "eng"} <= set(r.title), name  # TED's headings for our readers


def test_references_name_procedures_inside_the_corpus(corpus: tuple[list, dict]) -> None:
    """38 corpus notices refer to another corpus notice. When the notice referred to starts its
    chain (refers to nothing) both carry its number as procedure id; the 3 that refer to a notice
    which itself refers further back (F03 → F15 → …, F20 → F03 → …, F06 → F05 → …) are joined by
    the store instead (tests/db/test_legacy_store.py)."""
    _, records = corpus
    own = {
        f"ted-legacy:{int(r.publication_number[:8])}-{r.publication_number[-4:]}": r for r in records.values()
    }
    pairs = [
        (r, own[r.procedure_id]) for r in records.values() if own.get(r.procedure_id or "") not in (None, r)
    ]
    shared = [(r, named) for r, named in pairs if named.procedure_id == r.procedure_id]
    further = [(r.subtype, named.subtype) for r, named in pairs if named.procedure_id != r.procedure_id]
    assert (len(pairs), len(shared)) == (38, 35)
    assert sorted(further) == [("F03", "F15"), ("F06", "F05"), ("F20", "F03")]


def test_country_map_covers_the_eforms_country_codelist() -> None:
    """Every eForms country (bar Clipperton, which has no ISO alpha-2) is reachable from TED's
    alpha-2 codes, and the map writes nothing eForms lacks but France's overseas regions, which
    ISO codes apart and eForms counts as France."""
    from lxml import etree

    codelist = etree.parse(str(shared_path("fixtures", "eforms-sdk", "codelists", "country.gc")))
    codes = {row.findtext("Value[@ColumnRef='code']/SimpleValue") for row in codelist.iter("Row")}
    written = set(COUNTRY_ALPHA3.values())
    assert codes - written == {"CPT"}
    assert written - codes == {"GLP", "GUF", "MTQ", "MYT", "REU"}
