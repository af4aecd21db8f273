"""Fixtures for the branch reports: the real branches config and a stored generated set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.appconfig import load_file
from monitor.branches import BranchesConfig

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def branches() -> BranchesConfig:
    """config/branches.yaml as shipped: the mapping under test is the one admins run."""
    return load_file(REPO / "config" / "branches.yaml", BranchesConfig)  # type: ignore[return-value]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stored_set(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The generated set stored once per module and database; yields (url, specs).

    Module-scoped because storing it through the store takes seconds; tests using it only read
    (a test that changes data uses its own small set on ``db_url``, in another module).
    """
    from db.session import session_scope
    from tests.conftest import _truncate_all
    from tests.reports import dataset

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("report-set") / "set.sqlite"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_pg_database")
    specs = dataset.generated()
    with session_scope(url) as session:
        dataset.ingest(session, specs)
    yield url, specs
    if request.param == "postgresql":
        _truncate_all(url)
