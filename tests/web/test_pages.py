"""The main pages in Finnish, Swedish and English, on a desktop and a phone: no horizontal
scrolling, the language switch works, keyboard focus starts at the skip link, every page carries
the security headers. With --screenshots each page is saved under var/screenshots/."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from db.record import Money
from db.session import get_sessionmaker
from monitor.config import AppConfig
from monitor.web import i18n
from monitor.web.security import CSP
from tests.alerts.conftest import ingest
from tests.db.records import call, change_of
from tests.web.conftest import LiveWeb, process, sign_in

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def seed(live: LiveWeb, config: AppConfig, now: datetime) -> str:
    first = dataclasses.replace(
        call(publication_date=now.date() - timedelta(days=3), deadline=now + timedelta(days=30)),
        title={
            "fin": "Tekoälypilotti: kotihoidon etäkuntoutuksen innovaatiokumppanuus",
            "swe": "Pilotprojekt med artificiell intelligens för distansrehabilitering",
            "eng": "AI pilot: innovation partnership for remote rehabilitation in home care",
        },
        description={
            "fin": "Kaupunki hakee kumppania kehittämään ja pilotoimaan uudenlaisen tekoälyratkaisun, "
            "jota ei ole vielä markkinoilla. Hankintaa edelsi markkinavuoropuhelu."
        },
        cpv_main="73100000",
        estimated_value=Money(1_250_000, "EUR"),
    )
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(s, first, now - timedelta(days=3))
        ingest(s, change_of(first, publication_date=now.date(), deadline=now + timedelta(days=44)), now)
        for i in range(4):
            ingest(
                s,
                call(
                    publication_number=f"0075000{i}-2026",
                    publication_date=now.date() - timedelta(days=i),
                    deadline=now + timedelta(days=10 + i),
                ),
                now,
            )
    process(live, config, now)
    return first.procedure_id or ""


def test_main_pages_in_three_languages_fit_a_phone(
    live: LiveWeb, browser: Any, app_config: AppConfig, now: datetime, shoot: Callable[[Any, str], None]
) -> None:
    key = seed(live, app_config, now)
    for lang in i18n.LANGS:
        t = i18n.strings(lang)
        for kind, (width, height) in WIDTHS.items():
            context = browser.new_context(
                base_url=live.url,
                viewport={"width": width, "height": height},
                locale={"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}[lang],
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            pages = {
                "home": "/",
                "search": "/search?words=tekoäly",
                "procedure": f"/p/{key}",
                "signin": "/signin",
            }
            for name, path in pages.items():
                response = page.goto(path)
                assert response is not None and response.status == 200, (lang, name)
                assert response.headers["content-security-policy"] == CSP
                assert page.locator("html").get_attribute("lang") == lang  # Accept-Language picked it
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} in {lang} scrolls sideways on a {kind} by {overflow}px"
                shoot(page, f"{name}-{lang}-{kind}")
            sign_in_as(live, page, lang, t)
            page.goto("/subscriptions/new")
            page.locator("#keywords").fill("tekoäly")
            page.locator("#preview li").first.wait_for()
            shoot(page, f"subscription-{lang}-{kind}")
            page.goto("/subscriptions")
            shoot(page, f"subscriptions-{lang}-{kind}")
            assert errors == [], errors
            context.close()


def sign_in_as(live: LiveWeb, page: Any, lang: str, t: dict[str, str]) -> None:
    if lang == "fi":
        sign_in(live, page, f"kuvat-{lang}@example.com")
        return
    email = f"kuvat-{lang}@example.com"
    before = len(live.mails_to(email))
    page.goto("/signin")
    page.get_by_label(t["email"]).fill(email)
    page.get_by_role("button", name=t["send_link"]).click()
    msg = live.wait_for_mail(email, before + 1)[-1]
    link = next(w for w in msg.get_body(("plain",)).get_content().split() if "/signin/" in w)
    assert t["mail_signin_body"] in msg.get_body(("plain",)).get_content()  # the email in the page's language
    page.goto(link)
    page.get_by_role("button", name=t["signin_button"]).click()
    page.wait_for_url("**/subscriptions")


def test_language_switch_and_keyboard(live: LiveWeb, watched: Any) -> None:
    page = watched.page
    page.goto("/search")
    page.get_by_role("link", name="På svenska").click()
    assert page.locator("h1").inner_text() == i18n.strings("sv")["search_title"]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id || document.activeElement.tagName")
    assert focused == "words"  # the first control of the page's own content, not the header
    assert watched.errors == []


def test_the_three_languages_have_the_same_words() -> None:
    keys = {lang: set(words) for lang, words in i18n.STRINGS.items()}
    assert keys["fi"] == keys["sv"] == keys["en"]
    for lang, words in i18n.STRINGS.items():
        for key, text in words.items():
            for other in ("{count}", "{email}", "{names}", "{page}", "{when}"):
                if other in i18n.STRINGS["en"][key]:
                    assert other in text, (lang, key)
    assert i18n.negotiate(None, "sv-FI,sv;q=0.9,en;q=0.8") == "sv"
    assert i18n.negotiate(None, "de-DE") == "fi"
