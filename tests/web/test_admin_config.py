"""The config history pages (issue #15, point 2): hand edits shown, diffs, one-click rollback,
a rollback built on an old version refused with the other's change, admins only, CSRF.

Roles and sign-in come from ``test_admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from db.models.audit import AuditEntry
from db.session import get_sessionmaker
from tests.web import test_admin
from tests.web.conftest import LiveWeb, sign_in
from tests.web.test_admin import ADMIN, form_token

app_config = test_admin.app_config
config_dir = test_admin.config_dir
clients = test_admin.clients
FILE = "innovation.yaml"
HISTORY = f"/admin/config/{FILE}/history"


def _hand_edit(live: LiveWeb, comment: str) -> str:
    path = Path(live.settings.config_dir) / FILE
    text = path.read_text(encoding="utf-8") + f"\n# {comment}\n"
    path.write_text(text, encoding="utf-8")
    return text


def test_history_shows_hand_edits_and_a_rollback_is_a_new_version(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    admin = clients["admin"]
    path = Path(live.settings.config_dir) / FILE
    original = path.read_text(encoding="utf-8")
    first = admin.get(HISTORY)
    assert first.status_code == 200 and 'href="/admin/config/innovation.yaml/versions/1"' in first.text
    _hand_edit(live, "tightened by hand")
    page = admin.get(HISTORY).text
    assert "/versions/2" in page and "muokattu tiedostossa" in page  # the hand edit, by "the file"
    version = admin.get(f"/admin/config/{FILE}/versions/2").text
    assert "<ins>+# tightened by hand</ins>" in version

    refused = admin.post(f"/admin/config/{FILE}/rollback/1", data={"base": "2"})
    assert refused.status_code == 403 and path.read_text(encoding="utf-8") != original  # no token
    done = admin.post(f"/admin/config/{FILE}/rollback/1", data={"base": "2", "csrftoken": form_token(page)})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=3")
    assert path.read_text(encoding="utf-8") == original
    with get_sessionmaker(db_url)() as session:
        (row,) = session.scalars(select(AuditEntry)).all()
    assert (row.actor, row.action, row.target, row.new["version"]) == (ADMIN, "config.save", FILE, 3)

    # A second rollback built on version 2 (the page was open before the first): refused, shown why.
    stale = admin.post(f"/admin/config/{FILE}/rollback/2", data={"base": "2", "csrftoken": form_token(page)})
    assert stale.status_code == 409
    assert "Joku muu tallensi sillä välin" in stale.text and f"{ADMIN} tallensi version 3" in stale.text
    assert path.read_text(encoding="utf-8") == original


def test_only_admins_see_the_history(live: LiveWeb, clients: dict[str, httpx.Client]) -> None:
    for who in ("subscriber", "contact"):
        assert clients[who].get(HISTORY).status_code == 403, who
    anonymous = clients["anonymous"].get(HISTORY, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
    assert clients["admin"].get("/admin/config/subscribers.yaml/history").status_code == 404


def test_admin_rolls_back_in_chromium(live: LiveWeb, browser: Any, shoot: Callable[[Any, str], None]) -> None:
    original = (Path(live.settings.config_dir) / FILE).read_text(encoding="utf-8")
    context = browser.new_context(base_url=live.url, locale="fi-FI", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(live, page, ADMIN)
    page.goto(HISTORY)  # version 1: the file as first seen
    _hand_edit(live, "an experiment")
    page.goto("/lang/en?next=" + HISTORY)
    page.get_by_role("link", name="2", exact=True).click()
    page.get_by_text("+# an experiment").wait_for()
    shoot(page, "admin-config-version")
    assert page.get_by_role("button", name="Roll back to version 2").count() == 0  # it is in force
    page.get_by_role("link", name="Versions of innovation.yaml").click()
    page.get_by_role("button", name="Roll back to version 1").first.click()
    page.get_by_text("Saved as version 3").wait_for()
    shoot(page, "admin-config-history")
    assert (Path(live.settings.config_dir) / FILE).read_text(encoding="utf-8") == original
    assert errors == []
    context.close()
