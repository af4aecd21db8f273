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
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.models.audit import AuditEntry
from db.record import Buyer
from db.session import get_sessionmaker
from monitor.adminlist import add_admin, admins_in, remove_admin
from monitor.appconfig import load_file, versions
from monitor.appconfig.roundtrip import append_item, dump, load
from monitor.branchedit import apply_branch, branch_form, branch_ids
from monitor.branches import BranchesConfig
from monitor.unmapped import unmapped_buyers
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web import test_admin
from tests.web.conftest import REPO, LiveWeb, link_in, sign_in, text_of
from tests.web.test_admin import ADMIN, CONTACT, form_token, signed_in

clients = test_admin.clients  # anonymous, subscriber, TEM's contact and the admin, signed in
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
    append_item(service["admins"], ADMIN2)
    (folder / "service.yaml").write_text(dump(service), encoding="utf-8")
    return folder


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
        (
            dataclasses.replace(
                call(publication_number="00900001-2026", publication_date=recent),
                buyers=[NEW_AGENCY],
                title={"fin": "Uuden viraston tietojärjestelmä"},
            ),
            recent,
        ),
        (
            dataclasses.replace(
                call(publication_number="00900002-2026", publication_date=older),
                buyers=[NEW_AGENCY],
                title={"fin": "Uuden viraston siivous"},
            ),
            older,
        ),
        (
            dataclasses.replace(
                call(publication_number="00900003-2026", publication_date=older), buyers=[NAMELESS_ID]
            ),
            older,
        ),
        (call(publication_number="00900004-2026", publication_date=recent), recent),
    ]
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


# ---------------------------------------------------------------------------------- unmapped queue
@pytest.mark.browser
def test_unmapped_buyer_is_assigned_in_one_click(
    live: LiveWeb,
    watched: Any,
    clients: dict[str, httpx.Client],
    db_url: str,
    now: datetime,
    shoot: Callable[[Any, str], None],
) -> None:
    seed_unmapped(live, now)
    admin = clients["admin"]
    assert figure(admin.get("/admin/branches/TEM").text, "calls") == "0"
    page = watched.page
    sign_in(live, page, ADMIN)
    page.goto("/admin/branches/unmapped")
    rows = page.locator("#unmapped-table tbody tr")
    assert rows.count() == 2  # the agency and the unit without an ID; never Helsinki (a municipality)
    agency = page.locator(f'tr[data-buyer="{NEW_AGENCY.name}"]')
    assert agency.locator("td").nth(0).inner_text() == "1234567-1"
    assert agency.locator("td").nth(1).inner_text() == "2"  # notices
    assert agency.locator("a[href^='/p/']").count() == 1  # its latest notice, linked
    shoot(page, "admin-unmapped")
    versions_before = len(history(db_url, "branches.yaml"))

    agency.get_by_role("combobox").select_option("TEM")
    agency.get_by_role("button", name="Kohdista").click()
    page.wait_for_url("**/admin/branches/unmapped?assigned=*")
    assert "kohdistettiin hallinnonalaan" in page.locator("#assigned").inner_text()
    assert page.locator(f'tr[data-buyer="{NEW_AGENCY.name}"]').count() == 0  # it left the queue
    assert page.locator("#unmapped-table tbody tr").count() == 1
    assert watched.errors == []

    saved = (live.settings.config_dir / "branches.yaml").read_text(encoding="utf-8")
    tem = saved[saved.index("  - id: TEM") : saved.index("  - id: STM")]
    assert f"- name: {NEW_AGENCY.name}\n        business_id: 1234567-1\n" in tem
    assert "# Finnish administrative branches" in saved  # the file's comments are kept
    newest, *_ = history(db_url, "branches.yaml")
    assert len(history(db_url, "branches.yaml")) == versions_before + 1
    assert (newest.author, newest.comment) == (ADMIN, f"assign {NEW_AGENCY.name} to TEM")
    (row,) = [r for r in audit_rows(db_url) if r.action == "config.save"]
    assert (row.actor, row.target, row.new["version"]) == (ADMIN, "branches.yaml", newest.number)
    # The branch page counts the agency's two calls; the CLI's list no longer names it.
    assert figure(admin.get("/admin/branches/TEM").text, "calls") == "2"
    with get_sessionmaker(db_url)() as s:
        branches = load_file(live.settings.config_dir / "branches.yaml", BranchesConfig)
        assert [b.name for b in unmapped_buyers(s, branches)] == [NAMELESS_ID.name]

    # The unit without a business ID is placed by its whole name.
    form = admin.get("/admin/branches/unmapped").text
    done = admin.post(
        "/admin/branches/unmapped/assign",
        data={
            "name": NAMELESS_ID.name,
            "org_id": "",
            "legal_type": "cga",
            "branch": "VM",
            "csrftoken": form_token(form),
        },
    )
    assert done.status_code == 303
    saved = (live.settings.config_dir / "branches.yaml").read_text(encoding="utf-8")
    assert f"patterns: ['^{NAMELESS_ID.name}$']" in saved
    after = admin.get("/admin/branches/unmapped").text
    assert "Kaikki valtionhallinnon ostajat on kohdistettu." in after
    # Assigning it again (a second tab) changes nothing and says why.
    again = admin.post(
        "/admin/branches/unmapped/assign",
        data={
            "name": NAMELESS_ID.name,
            "org_id": "",
            "legal_type": "cga",
            "branch": "TEM",
            "csrftoken": form_token(form),
        },
    )
    assert again.status_code == 409 and "on jo kohdistettu" in again.text
    assert (live.settings.config_dir / "branches.yaml").read_text(encoding="utf-8") == saved


# ---------------------------------------------------------------------------------- the editor
@pytest.mark.browser
def test_bad_branch_edit_shows_the_error_at_its_field_and_saves_nothing(
    live: LiveWeb, watched: Any, db_url: str, shoot: Callable[[Any, str], None]
) -> None:
    path = live.settings.config_dir / "branches.yaml"
    before = path.read_text(encoding="utf-8")
    page = watched.page
    sign_in(live, page, ADMIN)
    page.goto("/admin/branches/edit?branch=OM")
    assert page.get_by_label("Tunnus", exact=True).input_value() == "OM"
    markkinaoikeus = page.locator("#member-1")
    assert markkinaoikeus.get_by_label("Nimi", exact=True).input_value() == "Markkinaoikeus"
    markkinaoikeus.get_by_label("Y-tunnus").fill("3006157-7")  # the check digit is 6
    page.get_by_label("Muutoksen kuvaus").fill("korjattu Y-tunnus")
    page.get_by_role("button", name="Tallenna uutena versiona").click()
    error = page.locator("#err-m-1-business_id")
    assert error.inner_text().startswith("'3006157-7' is not a valid Finnish business ID")
    assert markkinaoikeus.get_by_label("Y-tunnus").get_attribute("aria-invalid") == "true"
    assert markkinaoikeus.get_by_label("Y-tunnus").input_value() == "3006157-7"  # the admin's input stays
    line = next(n for n, t in enumerate(before.splitlines(), 1) if "business_id: 3006157-6" in t)
    problems = page.locator("#problems").inner_text()
    assert f"rivi {line}" in problems and "branches[2].members[1].business_id" in problems
    assert "3006157-7" in page.locator("#problems pre.excerpt span.bad").inner_text()
    shoot(page, "admin-branches-edit")
    assert path.read_text(encoding="utf-8") == before
    assert len(history(db_url, "branches.yaml")) == 1  # the file as first seen, nothing saved
    assert audit_rows(db_url) == []

    # Add a member with the button, fix the ID, save: one new version that keeps the comments.
    page.get_by_role("button", name="Lisää virastorivi").click()
    markkinaoikeus = page.locator("#member-1")
    markkinaoikeus.get_by_label("Y-tunnus").fill("3006157-6")
    new = page.locator("#member-8")
    assert new.locator("legend").inner_text() == "Uusi virasto"
    new.get_by_label("Nimi", exact=True).fill("Tietosuojavaltuutetun toimisto")
    new.get_by_label("Y-tunnus").fill("2345678-0")
    new.get_by_label("Voimassa alkaen").fill("2027-01-01")
    page.locator("#member-3").get_by_label("Poista tämä virasto").check()  # Syyttäjälaitos
    page.get_by_role("button", name="Tallenna uutena versiona").click()
    page.wait_for_url("**/admin/branches/edit?branch=OM&saved=2")
    assert "Tallennettu versiona 2" in page.locator("#saved").inner_text()
    # Only the refused save's status (422), which Chromium logs as a failed resource.
    assert [e for e in watched.errors if "status of 422" not in e] == [] and len(watched.errors) == 1
    saved = path.read_text(encoding="utf-8")
    assert "Syyttäjälaitos" not in saved
    assert (
        "- name: Tietosuojavaltuutetun toimisto\n"
        "        business_id: 2345678-0\n"
        "        valid_from: 2027-01-01\n" in saved
    )
    assert saved.startswith(before.split("branches:")[0])  # the header comments are as they were
    (row,) = audit_rows(db_url)
    assert (row.actor, row.action, row.target, row.new["comment"]) == (
        ADMIN,
        "config.save",
        "branches.yaml",
        "korjattu Y-tunnus",
    )


def test_two_admins_saving_at_once_the_second_is_refused_with_the_diff(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    first, second = clients["admin"], signed_in(live, ADMIN2)
    path = live.settings.config_dir / "branches.yaml"
    # Both open the YAML view of the same version.
    page1, page2 = first.get("/admin/branches/edit/yaml").text, second.get("/admin/branches/edit/yaml").text
    base = re.search(r'name="base" value="(\d+)"', page1).group(1)  # type: ignore[union-attr]
    text = path.read_text(encoding="utf-8")
    # A bad edit of the text first: refused at its line, with the lines around it; nothing saved.
    bad = text.replace("business_id: 3006157-6", "business_id: 3006157-7")
    line = next(n for n, t in enumerate(bad.splitlines(), 1) if "3006157-7" in t)
    refused = first.post(
        "/admin/branches/edit/yaml", data={"text": bad, "base": base, "csrftoken": form_token(page1)}
    )
    assert refused.status_code == 422
    assert (
        f"<strong>rivi {line}</strong>" in refused.text
        and "is not a valid Finnish business ID" in refused.text
    )
    assert re.search(rf'<span class="bad">\s*{line}  \s*business_id: 3006157-7</span>', refused.text)
    assert path.read_text(encoding="utf-8") == text and audit_rows(db_url) == []
    mine = text.replace("patterns: ['rikosseuraamus']", "patterns: ['rikosseuraamus', 'vankila']")
    theirs = text.replace("patterns: ['hätäkeskuslaitos']", "patterns: ['hätäkeskuslaitos', '112']")
    done = first.post(
        "/admin/branches/edit/yaml",
        data={"text": mine, "base": base, "comment": "vankilat", "csrftoken": form_token(page1)},
    )
    assert done.status_code == 303
    refused = second.post(
        "/admin/branches/edit/yaml", data={"text": theirs, "base": base, "csrftoken": form_token(page2)}
    )
    assert refused.status_code == 409
    assert ADMIN in refused.text and 'id="conflict"' in refused.text
    assert (
        "+        patterns: [&#39;rikosseuraamus&#39;, &#39;vankila&#39;]" in refused.text
    )  # the other's diff
    assert "&#39;112&#39;" in refused.text  # the second admin's text is still in the form
    assert path.read_text(encoding="utf-8") == mine  # nothing overwritten
    # The structured form is refused the same way.
    form = second.get("/admin/branches/edit?branch=VNK").text
    third = first.post(
        "/admin/branches/edit/yaml",
        data={"text": mine + "\n# one more\n", "base": str(int(base) + 1), "csrftoken": form_token(page1)},
    )
    assert third.status_code == 303
    stale = second.post(
        "/admin/branches/edit",
        data={
            "index": "0",
            "base": re.search(r'name="base" value="(\d+)"', form).group(1),  # type: ignore[union-attr]
            "rows": "0",
            "id": "VNK",
            "main_title": "23",
            "name_fi": "VNK",
            "name_sv": "SK",
            "name_en": "PMO",
            "action": "save",
            "csrftoken": form_token(form),
        },
    )
    assert stale.status_code == 409 and "+# one more" in stale.text
    assert path.read_text(encoding="utf-8") == mine + "\n# one more\n"
    assert [r.action for r in audit_rows(db_url)] == ["config.save", "config.save"]
    second.close()


# ---------------------------------------------------------------------------------- audit log
def seed_audit(db_url: str, now: datetime) -> None:
    """60 resends by the first admin over 60 days, a disable by the second, three days ago."""
    with get_sessionmaker(db_url).begin() as s:
        for i in range(60):
            s.add(
                AuditEntry(
                    at=now - timedelta(days=i, minutes=1),
                    actor=ADMIN,
                    action="alerts.resend",
                    target=f"outbox:{i}",
                    old={"state": "sent"},
                    new={"state": "pending"},
                )
            )
        s.add(
            AuditEntry(
                at=now - timedelta(days=3),
                actor=ADMIN2,
                action="subscribers.disable",
                target="subscriber:7",
                old={"enabled": True},
                new={"enabled": False},
            )
        )


def listed(html: str) -> list[tuple[str, str]]:
    """(action, target) of each row on the page, in order."""
    return re.findall(r'<tr data-action="([^"]+)">.*?<td class="code">([^<]*)</td>', html, re.S)


@pytest.mark.browser
def test_audit_log_filters_pages_and_shows_old_and_new(
    live: LiveWeb,
    watched: Any,
    clients: dict[str, httpx.Client],
    db_url: str,
    now: datetime,
    shoot: Callable[[Any, str], None],
) -> None:
    seed_audit(db_url, now)
    admin = clients["admin"]
    # A config save through the queue, so the log has one with its diff.
    seed_unmapped(live, now)
    token = form_token(admin.get("/admin/branches/unmapped").text)
    admin.post(
        "/admin/branches/unmapped/assign",
        data={"name": NEW_AGENCY.name, "org_id": "1234567-1", "branch": "TEM", "csrftoken": token},
    )

    first = admin.get("/admin/audit").text
    assert "62 merkintää." in first
    rows = listed(first)
    assert len(rows) == 50 and rows[0] == ("config.save", "branches.yaml")  # newest first
    assert rows[1] == ("alerts.resend", "outbox:0")
    second = admin.get("/admin/audit?page=2").text
    assert len(listed(second)) == 12 and listed(second)[-1] == ("alerts.resend", "outbox:59")
    assert "+        business_id: 1234567-1" in first  # the save's diff, not just its version number
    assert "/admin/config/branches.yaml/history" in first
    assert "&#34;state&#34;: &#34;pending&#34;" in first  # old and new as indented JSON

    by_actor = listed(admin.get("/admin/audit", params={"actor": "TOINEN"}).text)
    assert by_actor == [("subscribers.disable", "subscriber:7")]
    by_action = listed(admin.get("/admin/audit", params={"action": "config.save"}).text)
    assert by_action == [("config.save", "branches.yaml")]
    by_target = listed(admin.get("/admin/audit", params={"target": "outbox:5"}).text)
    # Newest first: 5 days ago, then 50 … 59 days ago.
    assert by_target == [("alerts.resend", f"outbox:{i}") for i in (5, *range(50, 60))]
    # Days are Helsinki days, both ends included: 5 to 3 days ago holds three resends and the disable.
    helsinki = (now + timedelta(hours=2)).date()
    window = {"since": str(helsinki - timedelta(days=5)), "until": str(helsinki - timedelta(days=3))}
    assert sorted(listed(admin.get("/admin/audit", params=window).text)) == [
        ("alerts.resend", "outbox:3"),
        ("alerts.resend", "outbox:4"),
        ("alerts.resend", "outbox:5"),
        ("subscribers.disable", "subscriber:7"),
    ]
    bad = admin.get("/admin/audit", params={"since": "eilen"}).text
    assert "Päivä on annettava muodossa VVVV-KK-PP." in bad

    page = watched.page
    sign_in(live, page, ADMIN)
    page.goto("/admin/operations")
    page.get_by_role("link", name="Muutosloki").click()
    page.get_by_label("Toimenpide").select_option("config.save")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**/admin/audit?*action=config.save*")
    assert page.locator("#audit-table tbody tr").count() == 1
    page.get_by_text("Näytä muutos").click()
    assert "1234567-1" in page.locator("#audit-table pre.diff").inner_text()
    page.goto("/admin/audit")
    page.locator("#audit-table details").first.locator("summary").click()
    shoot(page, "admin-audit")
    assert watched.errors == []


# ---------------------------------------------------------------------------------- invitations
@pytest.mark.browser
def test_an_invited_admin_gets_the_sign_in_mail_and_opens_operations(
    live: LiveWeb,
    browser: Any,
    watched: Any,
    clients: dict[str, httpx.Client],
    db_url: str,
    shoot: Callable[[Any, str], None],
) -> None:
    invited = "uusi.yllapitaja@example.org"
    service = live.settings.config_dir / "service.yaml"
    page = watched.page
    sign_in(live, page, ADMIN)
    page.goto("/admin/people")
    assert page.locator("#admins-table").inner_text().count("@") == 2
    page.get_by_label("Sähköpostiosoite").fill("ei osoite")
    page.get_by_role("button", name="Kutsu").click()
    assert "Tämä ei ole sähköpostiosoite" in page.locator("#failed").inner_text()
    assert invited not in service.read_text(encoding="utf-8") and live.mails_to(invited) == []
    page.get_by_label("Sähköpostiosoite").fill(invited.upper())
    page.get_by_label("Kutsuviestin kieli").select_option("en")
    page.get_by_role("button", name="Kutsu").click()
    page.wait_for_url("**/admin/people?invited=*")
    assert invited in page.locator("#admins-table").inner_text()
    shoot(page, "admin-people")

    text = service.read_text(encoding="utf-8")
    assert f"  - {ADMIN2}\n  - {invited}\n\n# Times in this file" in text  # comments stay in place
    newest, *_ = history(db_url, "service.yaml")
    assert (newest.author, newest.comment) == (ADMIN, f"invite {invited} as admin")
    (row,) = audit_rows(db_url)
    assert (row.actor, row.action, row.target) == (ADMIN, "config.save", "service.yaml")

    (mail,) = live.wait_for_mail(invited)
    body = text_of(mail)
    assert f"{ADMIN} invited you to be an admin of TenderWatch" in body
    link = link_in(mail, r"https?://\S+/signin/\S+")
    assert "next=/admin/operations" in link
    # The invited person, in a browser of their own: the link, the button, the operations page.
    context = browser.new_context(base_url=live.url, locale="en-GB")
    theirs = context.new_page()
    theirs.goto(link)
    theirs.get_by_role("button").filter(has_text=re.compile("Sign in|Kirjaudu")).click()
    theirs.wait_for_url("**/admin/operations")
    assert theirs.locator("h1").count() == 1
    assert clients["subscriber"].get("/admin/operations").status_code == 403  # no one else gains it
    context.close()

    # Removal: not oneself, never the last; another admin can be removed.
    own = page.locator("#admins-table tr", has_text=ADMIN)
    assert own.get_by_role("button").count() == 0  # no remove button on one's own row
    token = form_token(clients["admin"].get("/admin/people").text)
    refused = clients["admin"].post("/admin/people/remove", data={"email": ADMIN, "csrftoken": token})
    assert refused.status_code == 409 and "Et voi poistaa itseäsi" in refused.text
    page.locator("#admins-table tr", has_text=invited).get_by_role(
        "button", name="Poista ylläpitäjistä"
    ).click()
    page.wait_for_url("**/admin/people?removed=*")
    assert invited not in service.read_text(encoding="utf-8")
    assert [r.new["comment"] for r in audit_rows(db_url)] == [
        f"invite {invited} as admin",
        f"remove {invited} from admins",
    ]
    assert [e for e in watched.errors if "status of 422" not in e] == []


# ---------------------------------------------------------------------------------- the round trip
def test_edits_keep_the_files_comments_and_untouched_lines() -> None:
    """A form saved unchanged gives the file back byte for byte; an edit changes only its lines."""
    shipped = (REPO / "config" / "branches.yaml").read_text(encoding="utf-8")
    for index in range(len(branch_ids(shipped))):
        assert apply_branch(shipped, branch_form(shipped, index))[0] == shipped, index
    tem = branch_ids(shipped).index("TEM")
    form = branch_form(shipped, tem)
    form.contacts = "innovaatiot@tem.example.fi"
    edited, _ = apply_branch(shipped, form)
    changed = [line for line in edited.splitlines() if line not in shipped.splitlines()]
    assert changed == [
        "    contacts: [innovaatiot@tem.example.fi] # e.g. [innovaatiot@tem.fi]: see the top of this file"
    ]
    service = (REPO / "config" / "service.yaml").read_text(encoding="utf-8")
    added = add_admin(service, ADMIN2)
    assert added.replace(f"  - {ADMIN2}\n", "") == service
    assert remove_admin(added, ADMIN2) == service
    assert admins_in(remove_admin(added, ADMIN)) == [ADMIN2]
    assert "# Times in this file" in remove_admin(added, ADMIN2)
