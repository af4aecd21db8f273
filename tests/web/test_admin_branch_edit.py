"""Branches edited in the browser, the unmapped-buyers queue, the audit log and admin invitations
(issue #15, point 4 and "admins can invite others").

Each test runs the web app over its own copy of the shipped config (``config_dir``), held as
``serve`` holds it (tests/web/conftest.py's ``live``), so what a page saves is what the next page
reads. TEM's contact is written into the copy's branches.yaml and a second admin into its
service.yaml.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.models.audit import AuditEntry
from db.record import Buyer
from db.session import get_sessionmaker
from monitor.appconfig import versions
from monitor.appconfig.roundtrip import dump, load
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web.conftest import REPO, LiveWeb
from tests.web.test_admin import ADMIN, CONTACT, SUBSCRIBER, form_token, signed_in

ADMIN2 = "toinen.yllapitaja@example.org"
NEW_AGENCY = Buyer("Valtion uusi virasto", "1234567-1", "FIN", legal_type="cga")
NAMELESS_ID = Buyer("Valtion nimetön yksikkö", None, "FIN", legal_type="cga")
ADMIN_ONLY = [
    "/admin/branches/edit",
    "/admin/branches/edit?branch=OM",
    "/admin/branches/edit/yaml",
    "/admin/branches/unmapped",
    "/admin/audit",
    "/admin/people",
]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped config: TEM has a contact, and there is a second admin."""
    folder = tmp_path / "config"
    folder.mkdir()
    for f in (REPO / "config").glob("*.yaml"):
        shutil.copy(f, folder / f.name)
    doc = load((folder / "branches.yaml").read_text(encoding="utf-8"))
    next(b for b in doc["branches"] if b["id"] == "TEM")["contacts"] = [CONTACT]
    (folder / "branches.yaml").write_text(dump(doc), encoding="utf-8")
    service = load((folder / "service.yaml").read_text(encoding="utf-8"))
    service["admins"].append(ADMIN2)
    (folder / "service.yaml").write_text(dump(service), encoding="utf-8")
    return folder


@pytest.fixture
def clients(live: LiveWeb) -> Iterator[dict[str, httpx.Client]]:
    made = {
        "anonymous": live.client(),
        "subscriber": signed_in(live, SUBSCRIBER),
        "contact": signed_in(live, CONTACT),
        "admin": signed_in(live, ADMIN),
    }
    yield made
    for c in made.values():
        c.close()


def audit_rows(db_url: str) -> list[AuditEntry]:
    with get_sessionmaker(db_url)() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all())


def history(db_url: str, file: str) -> list[versions.ConfigVersion]:
    with get_sessionmaker(db_url)() as s:
        return versions.history(s, file)


def seed_unmapped(live: LiveWeb, now: datetime) -> None:
    """Two calls of an agency no rule places (with a business ID), one of a unit without one, and a
    Helsinki call (a municipality: never in the queue). Published this year, as the branch page
    shows the current year."""
    jan1 = date(now.year, 1, 1)
    recent, older = (max(now.date() - timedelta(days=d), jan1) for d in (2, 20))
    records = [
        (dataclasses.replace(call(publication_number="00900001-2026", publication_date=recent),
                             buyers=[NEW_AGENCY], title={"fin": "Uuden viraston tietojärjestelmä"}), recent),
        (dataclasses.replace(call(publication_number="00900002-2026", publication_date=older),
                             buyers=[NEW_AGENCY], title={"fin": "Uuden viraston siivous"}), older),
        (dataclasses.replace(call(publication_number="00900003-2026", publication_date=older),
                             buyers=[NAMELESS_ID]), older),
        (call(publication_number="00900004-2026", publication_date=recent), recent),
    ]  # fmt: skip
    with get_sessionmaker(live.settings.db_url)() as s:
        for record, day in records:
            ingest(s, record, now - (now.date() - day))


def figure(html: str, name: str) -> str:
    m = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert m, name
    return m.group(1).strip()


# ---------------------------------------------------------------------------------- roles, CSRF
def test_admin_only_pages_and_csrf(live: LiveWeb, clients: dict[str, httpx.Client], db_url: str) -> None:
    for path in ADMIN_ONLY:
        r = clients["anonymous"].get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
        assert clients["subscriber"].get(path).status_code == 403, path
        assert clients["contact"].get(path).status_code == 403, path  # a contact of TEM: still no admin
        assert clients["admin"].get(path).status_code == 200, path
    before = (live.settings.config_dir / "branches.yaml").read_text(encoding="utf-8")
    admin = clients["admin"]
    page = admin.get("/admin/branches/unmapped")
    posts = {
        "/admin/branches/unmapped/assign": {"name": NEW_AGENCY.name, "org_id": "1234567-1", "branch": "TEM"},
        "/admin/branches/edit/yaml": {"text": before + "\n# changed\n", "base": "1"},
        "/admin/branches/edit": {"index": "0", "base": "1", "rows": "0", "id": "VNK", "action": "save"},
        "/admin/people/invite": {"email": "uusi@example.org"},
        "/admin/people/remove": {"email": ADMIN2},
    }
    for path, data in posts.items():
        assert admin.post(path, data=data).status_code == 403, path  # no CSRF token
        token = form_token(clients["contact"].get("/account").text)
        assert clients["contact"].post(path, data={**data, "csrftoken": token}).status_code == 403, path
    assert (live.settings.config_dir / "branches.yaml").read_text(encoding="utf-8") == before
    assert ADMIN2 in (live.settings.config_dir / "service.yaml").read_text(encoding="utf-8")
    assert audit_rows(db_url) == []
    assert "/admin/audit" in page.text and "/admin/people" in page.text  # the admin nav links them
    assert "/admin/audit" not in clients["contact"].get("/admin/branches/TEM").text
