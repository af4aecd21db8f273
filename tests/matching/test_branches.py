"""Administrative branches: config validation and mapping a buyer, in the documented order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from db.record import Buyer
from monitor.appconfig import ConfigError, load_file
from monitor.branches import BranchesConfig, business_id_valid, is_unmapped_central, normalize_business_id

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def branches() -> BranchesConfig:
    return load_file(REPO / "config" / "branches.yaml", BranchesConfig)  # type: ignore[return-value]


def test_the_shipped_file_has_the_twelve_ministries(branches: BranchesConfig) -> None:
    ids = {b.id for b in branches.branches}
    assert ids == {"VNK", "UM", "OM", "SM", "PLM", "VM", "OKM", "MMM", "LVM", "TEM", "STM", "YM"}
    assert {b.main_title for b in branches.branches} == {23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 35}


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("0988084-1", "0988084-1"),
        ("FI09880841", "0988084-1"),
        (" 1010547-1 ", "1010547-1"),
        ("10105471", "1010547-1"),
        ("212000-0142", None),
        ("", None),
    ],
)
def test_business_ids_are_normalised(raw: str, norm: str | None) -> None:
    assert normalize_business_id(raw) == norm


def test_business_id_check_digit() -> None:
    assert business_id_valid("0988084-1") and business_id_valid("1010547-1")
    assert not business_id_valid("0988084-2")


def test_mapping_order(branches: BranchesConfig) -> None:
    on = date(2026, 6, 1)
    m = branches.map_buyer(Buyer("Hansel Oy (Hilma)", "FI09880841", "FIN", legal_type="body-pl-cga"), on)
    assert (m.group, m.branch, m.how) == ("yhteishankinta", None, "central-purchasing")
    m = branches.map_buyer(Buyer("Some renamed agency", "1010547-1", "FIN", legal_type="cga"), on)
    assert (m.group, m.branch, m.how) == ("valtio", "LVM", "business-id")
    m = branches.map_buyer(Buyer("Salon kaupunki", "0139533-1", "FIN", legal_type="la"), on)
    assert (m.group, m.how) == ("kunta", "legal-type")
    m = branches.map_buyer(Buyer("Pirkanmaan hyvinvointialue", None, "FIN", legal_type="ra"), on)
    assert m.group == "hyvinvointialue"
    m = branches.map_buyer(Buyer("Poliisihallitus", None, "FIN", legal_type="cga"), on)
    assert (m.branch, m.how) == ("SM", "name-pattern")
    m = branches.map_buyer(Buyer("Terveyden ja hyvinvoinnin laitos THL", None, "FIN"), on)
    assert m.branch == "STM"


def test_validity_dates_follow_reorganisations(branches: BranchesConfig) -> None:
    ely = Buyer("Pohjois-Savon ELY-keskus", None, "FIN", legal_type="cga")
    assert branches.map_buyer(ely, date(2025, 6, 1)).branch == "TEM"
    assert not branches.map_buyer(ely, date(2026, 6, 1)).mapped
    successor = Buyer("Pohjois-Savon elinvoimakeskus", None, "FIN", legal_type="cga")
    assert branches.map_buyer(successor, date(2026, 6, 1)).branch == "TEM"
    assert not branches.map_buyer(successor, date(2025, 6, 1)).mapped


def test_unmapped_central_government_buyers_are_reported(branches: BranchesConfig) -> None:
    unknown = Buyer("Uusi virasto", "1234567-1", "FIN", legal_type="cga")
    assert is_unmapped_central(unknown, branches.map_buyer(unknown))
    city = Buyer("Espoon kaupunki", None, "FIN", legal_type="la")
    assert not is_unmapped_central(city, branches.map_buyer(city))
    swedish = Buyer("Trafikverket", None, "SWE", legal_type="cga")
    assert not is_unmapped_central(swedish, branches.map_buyer(swedish))


def test_bad_branches_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "branches.yaml"
    path.write_text(
        "branches:\n"
        "  - id: TEM\n"
        "    main_title: 32\n"
        "    names: {fi: a, sv: b, en: c}\n"
        "    members:\n"
        "      - name: Wrong\n"
        "        business_id: 0988084-2\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_file(path, BranchesConfig)
    [problem] = err.value.problems
    assert problem.line == 7 and "check digit" in problem.message
