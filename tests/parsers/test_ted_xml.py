"""The legacy parser's small readers where they were made faster: same answers as the slow way.

``record_builder`` skips a frozen dataclass's ``__init__``, and dates, deadlines, DOC_IDs and
amounts have fast paths and caches; each must give what the plain code gives, and the caches
must not keep what a hostile document puts in them.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from db.record import Award, Buyer, Lot, Money, NoticeRecord
from scrapers.parsers import ted_xml
from scrapers.parsers.ted_xml import amount, compact_date, deadline, publication_number, record_builder


@pytest.mark.parametrize("cls", [Money, Buyer, Lot, Award, NoticeRecord])
def test_record_builder_builds_what_the_constructor_builds(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [f"v{i}" for i in range(len(fields))]
    built = record_builder(cls)(*values)
    assert type(built) is cls
    assert built == cls(*values) and repr(built) == repr(cls(*values))
    assert record_builder(cls)(**{f.name: v for f, v in zip(fields, values, strict=True)}) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(fields[0].name, "changed")


def test_record_builder_refuses_what_it_cannot_build_faithfully() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (Mutable, Checked):
        with pytest.raises(TypeError):
            record_builder(cls)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("000001-2021", "00000001-2021"),
        ("405809-2019", "00405809-2019"),
        ("00000000-2021", "00000000-2021"),
        ("123456789-2021", None),  # nine significant digits: not a publication number
        ("0000000012345678-2021", "12345678-2021"),
        ("2019/S 166-405809", "00405809-2019"),
        (" 405809-2019 ", "00405809-2019"),
        ("405809_2019", "00405809-2019"),
        ("４０５８０９-2019", "00405809-2019"),  # full-width digits: the regex path, as before
    ],
)
def test_publication_number_fast_path_agrees_with_the_patterns(value: str, expected: str | None) -> None:
    assert publication_number(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("841000.00", 841000.0),
        (" 12 ", 12.0),
        ("1 640 000", 1640000.0),
        ("189 945 844,15", 189945844.15),
        ("1.234.567", 1234567.0),
        (".", None),
        ("", None),
        ("１２", 12.0),
    ],
)
def test_amount_fast_path_agrees_with_cleaning(text: str, expected: float | None) -> None:
    assert amount(text) == expected


def test_date_and_deadline_caches_answer_alike_and_keep_no_huge_text() -> None:
    assert compact_date("20210104") == compact_date("20210104") == date(2021, 1, 4)
    assert compact_date("2021-13-01") is None and compact_date("2021-13-01") is None
    huge = "2021-01-04" + " " * 10_000
    assert compact_date(huge) == date(2021, 1, 4)
    assert huge not in ted_xml._DATES
    first = deadline(date(2021, 1, 4), "10:00", "FI")
    assert deadline(date(2021, 1, 4), "10:00", "FI") is first
    assert first is not None and first.isoformat() == "2021-01-04T10:00:00+02:00"
    long_clock = "10:00" + "x" * 10_000
    assert deadline(date(2021, 1, 4), long_clock, "FI") == first
    assert (date(2021, 1, 4), long_clock, "FI") not in ted_xml._DEADLINES
