"""The admin's subscribers pages (issue #15, point 6): who may use them (admins; a branch contact
for their branch's contacts), CSRF on every POST, the
CSV import's preview and confirm, disabling (checked through the real enqueue and send path),
the resend's Message-ID, and an admin's import in Chromium.

Roles and sign-in come from ``test_admin`` (its ``config_dir`` adds TEM's contact).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from db.clock import utcnow
from db.models.alerts import OutboxMessage, Subscriber
from db.models.audit import AuditEntry
from db.session import get_sessionmaker
from monitor import pipeline
from monitor.config import AppConfig
from monitor.subscribers import upsert
from monitor.subscribers.config import SubscriberSpec
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web import test_admin
from tests.web.conftest import LiveWeb, process, sign_in
from tests.web.test_admin import ADMIN, CONTACT, form_token

# test_admin's fixtures, used here by name: its config (TEM's contact) and its signed-in clients.
app_config = test_admin.app_config
config_dir = test_admin.config_dir
clients = test_admin.clients

CUSTOMER = "hankinnat@asiakas.example.com"

BAD_CSV = (
    "email,name,language\n"
    "uusi1@example.com,Uusi Yksi Oy,fi\n"  # line 2: good
    "ei-osoite,Huono,fi\n"  # 3: bad address
    "uusi2@example.com,Ny Två Ab,sv\n"  # 4: good
    "UUSI1@example.com,Kaksoiskappale,fi\n"  # 5: duplicate of line 2 (case does not matter)
    f"{CUSTOMER},Asiakas,en\n"  # 6: already a subscriber
    "uusi3@example.com,Saksa,de\n"  # 7: unknown language
    "uusi4@example.com,,EN\n"  # 8: good (language in any case, name empty)
)


def audit_rows(db_url: str) -> list[AuditEntry]:
    with get_sessionmaker(db_url)() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all())


def emails(db_url: str) -> list[str]:
    with get_sessionmaker(db_url)() as s:
        return sorted(s.scalars(select(Subscriber.email)).all())


def add_customer(db_url: str, *, cpv: str = "72000000") -> int:
    """A company subscriber with one subscription matching ``tests.db.records.call``'s CPV."""
    with get_sessionmaker(db_url).begin() as s:
        spec = SubscriberSpec.model_validate(
            {"email": CUSTOMER, "name": "Asiakas Oy", "subscriptions": [{"name": "IT", "cpv": [cpv]}]}
        )
        sub, _ = upsert(s, spec)
        return sub.id


def outbox_of(db_url: str, sub_id: int) -> list[OutboxMessage]:
    with get_sessionmaker(db_url)() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.subscriber_id == sub_id).order_by(OutboxMessage.id)
            ).all()
        )


def new_call(live: LiveWeb, number: int, today: date, now: datetime) -> None:
    record = call(
        publication_number=f"00{number}-2026",
        publication_date=today,
        deadline=now + timedelta(days=30),
        title=f"Ohjelmistokehitys {number}",
    )
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(s, record, now)


def test_only_admins_and_every_post_needs_the_token(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    sub_id = add_customer(db_url)
    pages = ["/admin/subscribers", f"/admin/subscribers/{sub_id}", "/admin/subscribers?q=asiakas&page=2"]
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/admin/subscribers/add", {"data": {"email": "x@example.com", "language": "fi", "kind": "company"}}),
        ("/admin/subscribers/import", {"files": {"file": ("a.csv", BAD_CSV.encode(), "text/csv")}}),
        ("/admin/subscribers/import/confirm", {"data": {"content": "", "sha": ""}}),
        (f"/admin/subscribers/{sub_id}/disable", {"data": {}}),
        (f"/admin/subscribers/{sub_id}/enable", {"data": {}}),
        (f"/admin/subscribers/{sub_id}/resend/1", {"data": {}}),
    ]
    before = emails(db_url)
    for path in pages:
        r = clients["anonymous"].get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
        assert clients["subscriber"].get(path).status_code == 403, path
        assert clients["admin"].get(path).status_code == 200, path
    # TEM's contact has the list (their branch's contacts only), not a company's page.
    assert clients["contact"].get("/admin/subscribers").status_code == 200
    assert clients["contact"].get(f"/admin/subscribers/{sub_id}").status_code == 403
    sub_token = form_token(clients["subscriber"].get("/account").text)
    contact_token = form_token(clients["contact"].get("/admin/subscribers").text)
    for path, body in posts:
        # Not signed in (no cookies at all, so no CSRF cookie either): sent to sign in.
        r = clients["anonymous"].post(path, **body)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin"), path
        # Signed in, without the token: refused by the CSRF check, whoever it is.
        for who in ("subscriber", "admin"):
            assert clients[who].post(path, **body).status_code == 403, (who, path)
        # A subscriber with a valid token is still no admin, and the contact manages no company
        # nor adds or imports anyone.
        for who, token in (("subscriber", sub_token), ("contact", contact_token)):
            data = {**body.get("data", {}), "csrftoken": token}
            r = clients[who].post(path, data=data, files=body.get("files"))
            assert r.status_code == 403, (who, path)
    assert emails(db_url) == before and audit_rows(db_url) == []
    with get_sessionmaker(db_url)() as s:
        assert s.get(Subscriber, sub_id).enabled is True  # type: ignore[union-attr]


def test_a_branch_contact_manages_only_their_branchs_contacts(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    with get_sessionmaker(db_url).begin() as s:
        tem, _ = upsert(s, SubscriberSpec(email="kirjaamo@tem.example.fi", kind="branch", branch="TEM"))
        vm, _ = upsert(s, SubscriberSpec(email="kirjaamo@vm.example.fi", kind="branch", branch="VM"))
        tem_id, vm_id = tem.id, vm.id
    add_customer(db_url)
    contact = clients["contact"]
    page = contact.get("/admin/subscribers").text
    listed = re.findall(r'<a href="/admin/subscribers/\d+">([^<]+)</a>', page)
    assert listed == ["kirjaamo@tem.example.fi"]
    assert 'action="/admin/subscribers/import"' not in page and 'action="/admin/subscribers/add"' not in page
    assert contact.get(f"/admin/subscribers/{vm_id}").status_code == 403
    token = form_token(page)
    assert contact.post(f"/admin/subscribers/{vm_id}/disable", data={"csrftoken": token}).status_code == 403
    done = contact.post(f"/admin/subscribers/{tem_id}/disable", data={"csrftoken": token})
    assert done.status_code == 303
    with get_sessionmaker(db_url)() as s:
        assert s.get(Subscriber, tem_id).enabled is False  # type: ignore[union-attr]
        assert s.get(Subscriber, vm_id).enabled is True  # type: ignore[union-attr]
    (row,) = audit_rows(db_url)
    assert (row.actor, row.action, row.target) == (CONTACT, "subscribers.disable", f"subscriber:{tem_id}")


def test_add_shows_errors_at_the_field(live: LiveWeb, clients: dict[str, httpx.Client], db_url: str) -> None:
    admin = clients["admin"]
    before = emails(db_url)  # the three people the clients fixture signed in
    token = form_token(admin.get("/admin/subscribers").text)
    bad = admin.post(
        "/admin/subscribers/add",
        data={"csrftoken": token, "email": "ei osoite", "language": "fi", "kind": "branch"},
    )
    assert bad.status_code == 422
    assert re.search(r'id="a-email"[^>]*aria-invalid="true"', bad.text)
    assert 'id="err-email"' in bad.text and 'id="err-branch"' in bad.text
    assert "ei osoite" in bad.text  # what was typed stays in the field
    assert audit_rows(db_url) == [] and emails(db_url) == before
    ok = admin.post(
        "/admin/subscribers/add",
        data={"csrftoken": token, "email": " Uusi@Example.com ", "language": "sv", "kind": "company"},
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("?done=added")
    assert set(emails(db_url)) - set(before) == {"uusi@example.com"}
    again = admin.post(
        "/admin/subscribers/add",
        data={"csrftoken": token, "email": "uusi@example.com", "language": "fi", "kind": "company"},
    )
    assert again.status_code == 422 and 'id="err-email"' in again.text
    (row,) = audit_rows(db_url)
    assert (row.actor, row.action) == (ADMIN, "subscribers.add")
    assert row.old is None and row.new["email"] == "uusi@example.com" and row.new["language"] == "sv"


def test_import_reports_bad_rows_and_creates_only_the_good_once(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    add_customer(db_url)
    admin = clients["admin"]
    token = form_token(admin.get("/admin/subscribers").text)
    before = emails(db_url)
    preview = admin.post(
        "/admin/subscribers/import",
        data={"csrftoken": token},
        files={"file": ("lista.csv", BAD_CSV.encode(), "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    bad = dict(re.findall(r'<tr class="attention" data-line="(\d+)">.*?<td>([^<]*)</td></tr>', preview.text))
    assert bad == {
        "3": "Virheellinen sähköpostiosoite",
        "5": "Sama osoite jo rivillä 2",
        "6": "Tilaaja on jo olemassa",
        "7": "Tuntematon kieli “de” (sallitut: fi, sv, en)",
    }
    good = re.findall(r'<tr data-line="(\d+)">', preview.text)
    assert good == ["2", "4", "8"]
    assert emails(db_url) == before and audit_rows(db_url) == []  # a preview writes nothing

    content, sha = form_token(preview.text, "content"), form_token(preview.text, "sha")
    tampered = admin.post(
        "/admin/subscribers/import/confirm",
        data={"csrftoken": token, "content": content[:-8] + "AAAAAAA=", "sha": sha},
    )
    assert tampered.status_code == 400 and emails(db_url) == before

    done = admin.post(
        "/admin/subscribers/import/confirm", data={"csrftoken": token, "content": content, "sha": sha}
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/subscribers?imported=3&skipped=4"
    new = {"uusi1@example.com", "uusi2@example.com", "uusi4@example.com"}
    assert set(emails(db_url)) == set(before) | new
    with get_sessionmaker(db_url)() as s:
        langs = dict(s.execute(select(Subscriber.email, Subscriber.language)).all())
    assert langs["uusi2@example.com"] == "sv" and langs["uusi4@example.com"] == "en"
    again = admin.post(
        "/admin/subscribers/import/confirm", data={"csrftoken": token, "content": content, "sha": sha}
    )
    assert again.headers["location"] == "/admin/subscribers?imported=0&skipped=7"
    assert set(emails(db_url)) == set(before) | new
    first, second = audit_rows(db_url)
    assert (first.action, first.actor, first.new["created"]) == (
        "subscribers.import",
        ADMIN,
        ["uusi1@example.com", "uusi2@example.com", "uusi4@example.com"],
    )
    assert second.new["created"] == [] and second.new["sha256"] == sha
    assert "3 tilaajaa lisättiin, 4 riviä ohitettiin." in admin.get(done.headers["location"]).text


def test_import_refuses_a_file_it_cannot_read(live: LiveWeb, clients: dict[str, httpx.Client]) -> None:
    admin = clients["admin"]
    token = form_token(admin.get("/admin/subscribers").text)
    for body, message in (
        (b"email,nimi\nx@example.com,X\n", "Tiedostosta puuttuu sarake: name, language."),
        ("email,name,language\nä@example.com,Å,fi\n".encode("latin-1"), "ei ole UTF-8-muodossa"),
        (b"email,name,language\n" + b"x" * (256 * 1024), "liian suuri"),
    ):
        r = admin.post(
            "/admin/subscribers/import",
            data={"csrftoken": token},
            files={"file": ("a.csv", body, "text/csv")},
        )
        assert r.status_code == 422 and message in r.text


def test_search_by_part_kind_and_state_paged(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str, now: datetime
) -> None:
    with get_sessionmaker(db_url).begin() as s:
        for i in range(60):
            upsert(s, SubscriberSpec(email=f"asiakas{i:02d}@firma.example.com", name=f"Firma {i} Oy"))
        upsert(s, SubscriberSpec(email="tem@valtio.example.fi", kind="branch", branch="TEM", enabled=False))
    admin = clients["admin"]

    def listed(query: str) -> list[str]:
        return re.findall(
            r'<a href="/admin/subscribers/\d+">([^<]+)</a>', admin.get(f"/admin/subscribers?{query}").text
        )

    assert len(listed("q=firma")) == 50 and len(listed("q=firma&page=2")) == 10
    assert listed("q=FIRMA 7 oy") == ["asiakas07@firma.example.com"]  # a part of the name, any case
    assert listed("q=%25") == []  # a typed % is a character, not a wildcard
    assert listed("kind=branch") == ["tem@valtio.example.fi"]
    assert listed("state=disabled") == ["tem@valtio.example.fi"]
    assert len(listed("state=active&q=asiakas5")) == 10
    assert "Sivu 1 / 2" in admin.get("/admin/subscribers?q=firma").text


def test_disabled_subscriber_gets_no_alert_and_enable_brings_mail_back(
    live: LiveWeb,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    today: date,
    now: datetime,
) -> None:
    sub_id = add_customer(db_url)
    admin = clients["admin"]
    page = admin.get(f"/admin/subscribers/{sub_id}").text
    token = form_token(page)
    r = admin.post(f"/admin/subscribers/{sub_id}/disable", data={"csrftoken": token})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=disabled")
    assert "Keskeytetty" in admin.get(r.headers["location"]).text

    new_call(live, 900001, today, now)
    process(live, app_config, now)  # classify, match, queue (the real enqueue path), send
    assert outbox_of(db_url, sub_id) == [] and live.mails_to(CUSTOMER) == []

    r = admin.post(f"/admin/subscribers/{sub_id}/enable", data={"csrftoken": token})
    assert r.headers["location"].endswith("?done=enabled")
    new_call(live, 900002, today, now + timedelta(minutes=1))
    process(live, app_config, now + timedelta(minutes=1))
    (row,) = outbox_of(db_url, sub_id)
    assert row.state == "sent" and row.payload["notice"]["publication_number"] == "00900002-2026"
    live.wait_for_mail(CUSTOMER, 1)

    disabled, enabled = audit_rows(db_url)
    assert (disabled.action, disabled.target, disabled.actor) == (
        "subscribers.disable",
        f"subscriber:{sub_id}",
        ADMIN,
    )
    assert disabled.old == {"email": CUSTOMER, "enabled": True} and disabled.new["enabled"] is False
    assert (
        enabled.action == "subscribers.enable"
        and enabled.old["enabled"] is False
        and enabled.new["enabled"] is True
    )


def test_disable_cancels_queued_mail(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str, now: datetime
) -> None:
    """Queued but unsent mail is cancelled, so enabling later releases no stale backlog."""
    sub_id = add_customer(db_url)
    with get_sessionmaker(db_url).begin() as s:
        s.add(
            OutboxMessage(
                subscriber_id=sub_id, kind="new", procedure_key="p1", state="pending", created_at=now
            )
        )
    admin = clients["admin"]
    token = form_token(admin.get(f"/admin/subscribers/{sub_id}").text)
    admin.post(f"/admin/subscribers/{sub_id}/disable", data={"csrftoken": token})
    assert [r.state for r in outbox_of(db_url, sub_id)] == ["cancelled"]


def test_resend_requeues_the_same_message(
    live: LiveWeb,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    today: date,
    now: datetime,
) -> None:
    sub_id = add_customer(db_url)
    new_call(live, 900003, today, now)
    process(live, app_config, now)
    (first,) = live.wait_for_mail(CUSTOMER, 1)
    (row,) = outbox_of(db_url, sub_id)
    admin = clients["admin"]
    page = admin.get(f"/admin/subscribers/{sub_id}").text
    assert (
        "Ohjelmistokehitys 900003" in page and f'action="/admin/subscribers/{sub_id}/resend/{row.id}"' in page
    )
    r = admin.post(f"/admin/subscribers/{sub_id}/resend/{row.id}", data={"csrftoken": form_token(page)})
    assert r.status_code == 303
    (queued,) = outbox_of(db_url, sub_id)
    assert (queued.id, queued.state) == (row.id, "pending")
    # The web re-queued it at the run's running clock (db.clock), which is ``now`` plus the time
    # the suite has taken so far: deliver after that, not at ``now`` + a few minutes.
    pipeline.deliver(live.settings, utcnow() + timedelta(minutes=5))
    _, second = live.wait_for_mail(CUSTOMER, 2)
    assert second["Message-ID"] == first["Message-ID"]
    (entry,) = audit_rows(db_url)
    assert (entry.action, entry.target) == ("alerts.resend", f"outbox:{row.id}")
    assert entry.old == {"state": "sent", "subscriber": CUSTOMER} and entry.new == {"state": "pending"}
    # Another subscriber's row, or a pending one, cannot be resent from this page.
    other = admin.post(
        f"/admin/subscribers/{sub_id + 1000}/resend/{row.id}", data={"csrftoken": form_token(page)}
    )
    assert other.status_code == 404
    with get_sessionmaker(db_url)() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1


@pytest.mark.browser
def test_admin_imports_finds_and_disables_in_chromium(
    live: LiveWeb,
    browser: Any,
    db_url: str,
    now: datetime,
    tmp_path: Any,
    shoot: Callable[[Any, str], None],
) -> None:
    sub_id = add_customer(db_url)
    failed = {"title": {"fin": "Tietojärjestelmän ylläpito"}}
    with get_sessionmaker(db_url).begin() as s:  # mail to show on the customer's page
        s.add(
            OutboxMessage(
                subscriber_id=sub_id, kind="new", procedure_key="p-sent", state="sent", sent_at=now,
                created_at=now, payload={"notice": {"title": {"fin": "Ohjelmistokehitys"}}},
            )
        )  # fmt: skip
        s.add(
            OutboxMessage(
                subscriber_id=sub_id, kind="new", procedure_key="p-failed", state="failed", created_at=now,
                last_error="550 5.1.1 mailbox unavailable", failure_kind="permanent",
                payload={"notice": failed},
            )
        )  # fmt: skip
    csv_file = tmp_path / "asiakkaat.csv"
    csv_file.write_text(
        f"email,name,language\nuusi.asiakas@yritys.example.com,Uusi Asiakas Oy,fi\n{CUSTOMER},Asiakas,fi\n",
        encoding="utf-8",
    )
    for lang, (width, height) in (("fi", (1280, 900)), ("en", (390, 844))):
        context = browser.new_context(
            base_url=live.url, locale="fi-FI", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        sign_in(live, page, ADMIN)
        if lang == "fi":
            page.get_by_role("link", name="Ylläpito").click()
            page.get_by_role("link", name="Tilaajat").click()
            page.wait_for_url("**/admin/subscribers")
            shoot(page, "admin-subscribers-fi-desktop")
            page.get_by_label("CSV-tiedosto", exact=True).set_input_files(str(csv_file))
            page.get_by_role("button", name="Esikatsele").click()
            page.get_by_text("1 lisätään, 1 riviä ohitetaan.").wait_for()
            bad = page.locator("#bad-rows tbody tr")
            assert (
                bad.count() == 1 and "Tilaaja on jo olemassa" in bad.inner_text() and "3" in bad.inner_text()
            )
            shoot(page, "admin-subscribers-import-preview-fi")
            page.get_by_role("button", name="Vahvista: lisää 1 tilaajaa").click()
            page.get_by_text("1 tilaajaa lisättiin, 1 riviä ohitettiin.").wait_for()
            page.get_by_label("Sähköpostiosoite tai nimi").fill("uusi asiakas")
            page.get_by_role("button", name="Hae", exact=True).click()
            page.get_by_role("link", name="uusi.asiakas@yritys.example.com").click()
            page.get_by_role("button", name="Keskeytä posti").click()
            page.get_by_text("Posti keskeytettiin.").wait_for()
            assert page.locator("#sub-state").inner_text() == "Keskeytetty"
            shoot(page, "admin-subscriber-fi-disabled")
        else:
            page.goto("/lang/en?next=/admin/subscribers")
            page.get_by_role("heading", name="Subscribers", exact=True).wait_for()
            shoot(page, "admin-subscribers-en-phone")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.get_by_role("link", name=CUSTOMER).click()
            page.get_by_role("button", name="Send again").first.wait_for()
            shoot(page, "admin-subscriber-en-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert errors == []
        context.close()
    with get_sessionmaker(db_url)() as s:
        sub = s.scalar(select(Subscriber).where(Subscriber.email == "uusi.asiakas@yritys.example.com"))
        assert sub is not None and sub.enabled is False
    assert [r.action for r in audit_rows(db_url)] == ["subscribers.import", "subscribers.disable"]


def test_an_upload_with_its_file_before_the_token_is_refused(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str
) -> None:
    """The CSRF check reads a multipart form up to its token (``monitor.web.security``): a file
    part first is refused (403), not buffered and not a server error."""
    admin = clients["admin"]
    token = form_token(admin.get("/admin/subscribers").text)
    boundary = "tw-test-boundary"
    file_part = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{BAD_CSV}\r\n"
    )
    token_part = f'--{boundary}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{token}\r\n'
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    end = f"--{boundary}--\r\n"
    r = admin.post(
        "/admin/subscribers/import", content=(file_part + token_part + end).encode(), headers=headers
    )
    assert r.status_code == 403
    # The same parts with the token first go through to the preview.
    r = admin.post(
        "/admin/subscribers/import", content=(token_part + file_part + end).encode(), headers=headers
    )
    assert r.status_code == 200 and 'id="bad-rows"' in r.text
    assert audit_rows(db_url) == []
