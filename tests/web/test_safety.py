"""Hostile notice text stays inert; forms need their CSRF token; sign-in links are single-use and expire."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.clock import utcnow
from db.models.alerts import Subscriber, Subscription
from db.session import get_sessionmaker
from monitor.config import AppConfig
from monitor.web import signin
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web.conftest import LiveWeb, Watched, process, sign_in

pytestmark = pytest.mark.browser
EVIL = '<script>alert("x")</script>" onmouseover="alert(1)" <img src=x onerror=alert(2)> Hyökkäysjärjestelmä'


def test_a_hostile_title_is_shown_as_text_on_procedure_search_and_preview_pages(
    live: LiveWeb, watched: Watched, app_config: AppConfig, now: datetime
) -> None:
    record = dataclasses.replace(
        call(publication_date=now.date(), deadline=now + timedelta(days=20)),
        title={"fin": EVIL},
        description={"fin": f"Kuvaus: {EVIL}"},
        cpv_main="72212000",
    )
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(s, record, now)
    process(live, app_config, now)
    page = watched.page

    page.goto("/search?words=hyökkäysjärjestelmä")
    link = page.locator("ol.results h2 a").first
    assert EVIL.split(" Hyö")[0] in link.inner_text()
    link.hover()
    link.click()
    assert EVIL in page.locator("h1").inner_text()
    page.locator("h1").hover()
    assert page.locator("script:not([src])").count() == 0 and page.locator("img[src=x]").count() == 0

    sign_in(live, page, "tarkastaja@example.com")
    page.goto("/subscriptions/new")
    page.get_by_label("Seurannan nimi").fill("Testi")
    page.locator("#keywords").fill("hyökkäysjärjestelmä")
    preview = page.locator("#preview")
    preview.get_by_text("Hyökkäysjärjestelmä").first.wait_for()
    assert "<script>" in preview.inner_text()
    preview.locator("a").first.hover()
    page.wait_for_timeout(300)
    assert watched.dialogs == [], watched.dialogs
    assert watched.errors == [], watched.errors


def test_a_form_post_without_its_csrf_token_is_refused(live: LiveWeb, watched: Watched) -> None:
    page = watched.page
    sign_in(live, page, "csrf@example.com")
    page.goto("/subscriptions/new")
    token = page.locator("input[name=csrftoken]").first.get_attribute("value")
    form = {"name": "Ilman tunnistetta", "keywords": "tekoäly"}
    refused = page.request.post(f"{live.url}/subscriptions/new", form=form, max_redirects=0)
    assert refused.status == 403 and "Lomake vanheni" in refused.text()
    forged = page.request.post(
        f"{live.url}/subscriptions/new", form={**form, "csrftoken": "x" + (token or "")}, max_redirects=0
    )
    assert forged.status == 403
    with get_sessionmaker(live.settings.db_url)() as s:
        assert s.scalars(select(Subscription)).all() == []
    accepted = page.request.post(
        f"{live.url}/subscriptions/new", form={**form, "csrftoken": token or ""}, max_redirects=0
    )
    assert accepted.status == 303
    with get_sessionmaker(live.settings.db_url)() as s:
        assert [r.name for r in s.scalars(select(Subscription))] == ["Ilman tunnistetta"]
    # Sign-in forms are protected even for a visitor without cookies (no login CSRF).
    with live.client() as http:
        assert http.post("/signin", data={"email": "x@example.com"}).status_code == 403


def test_an_expired_or_reused_sign_in_link_is_refused(live: LiveWeb, watched: Watched, now: datetime) -> None:
    page = watched.page
    sign_in(live, page, "kerran@example.com")  # uses its link once
    used = [m for m in live.mails_to("kerran@example.com")][-1].get_body(("plain",)).get_content()
    link = next(w for w in used.split() if "/signin/" in w)
    page.context.clear_cookies()
    page.goto(link)
    assert page.get_by_role("heading").first.inner_text() == "Linkki ei enää toimi"

    at = utcnow()  # the suite's clock, as the app reads it (time has moved on since `now`)
    with get_sessionmaker(live.settings.db_url).begin() as s:
        old = signin.issue(s, "vanha@example.com", at - timedelta(minutes=31))
        fresh = signin.issue(s, "vanha@example.com", at - timedelta(minutes=29))
    page.goto(f"/signin/{old}")
    assert page.get_by_role("heading").first.inner_text() == "Linkki ei enää toimi"
    # The confirm POST refuses it too, whatever the page said.
    page.goto(f"/signin/{fresh}")
    page.locator("input[name=token]").evaluate(f"(el) => el.value = '{old}'")
    page.get_by_role("button", name="Kirjaudu sisään").click()
    assert page.get_by_role("heading").first.inner_text() == "Linkki ei enää toimi"
    with get_sessionmaker(live.settings.db_url)() as s:
        assert s.scalar(select(Subscriber).where(Subscriber.email == "vanha@example.com")) is None
    # Only hashes are stored.
    with get_sessionmaker(live.settings.db_url)() as s:
        from db.models.web import SigninToken

        hashes = s.scalars(select(SigninToken.token_hash)).all()
        assert old not in hashes and signin.token_hash(old) in hashes
