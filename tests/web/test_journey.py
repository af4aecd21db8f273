"""A new person in a real browser: sign in with the emailed link, build a watch with the CPV
picker and its live preview, save it; a new call is crawled from the loopback TED; the alert
arrives; its "manage" link opens the watch; pause works."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from db.models.alerts import Subscriber, Subscription
from db.record import Buyer, Money
from db.session import get_sessionmaker
from monitor import pipeline
from monitor.config import AppConfig
from monitor.demo.loopback import CorpusNotice, LoopbackSources
from monitor.demo.samples.builder import LotSpec, NoticeSpec
from tests.web.conftest import LiveWeb, Watched, link_in, process, sign_in

pytestmark = pytest.mark.browser
HELSINKI_BUYER = Buyer(
    name="Helsingin kaupunki", org_id="0201256-6", country="FIN", city="Helsinki", nuts="FI1B1"
)


def software_call(number: int, day: date, title: str) -> CorpusNotice:
    deadline = datetime.combine(day + timedelta(days=30), time(12), tzinfo=None)
    from datetime import UTC

    deadline = deadline.replace(tzinfo=UTC)
    spec = NoticeSpec(
        notice_id=str(uuid.uuid4()),
        procedure_id=str(uuid.uuid4()),
        publication_number=f"{number:08d}-{day.year}",
        publication_date=day,
        issue_date=day,
        title={"fin": title},
        description={"fin": "Kaupunki hankkii ohjelmistokehityspalveluja asukaspalveluiden uudistamiseen."},
        buyers=[HELSINKI_BUYER],
        cpv_main="72212000",
        place_nuts=["FI1B1"],
        estimated_value=Money(250_000, "EUR"),
        lots=[LotSpec(lot_id="LOT-0001", title={"fin": title}, cpv_main="72212000", deadline=deadline)],
    )
    return CorpusNotice.from_spec(spec)


def crawl(live: LiveWeb, config: AppConfig, fake: LoopbackSources, day: date) -> None:
    result = pipeline.crawl(
        live.settings,
        config,
        "ted",
        overrides={
            "api_url": fake.url,
            "site_url": fake.url,
            "countries": ["FIN"],
            "from_date": (day - timedelta(days=3)).isoformat(),
            "to_date": day.isoformat(),
        },
        scrapy_overrides={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},  # our own loopback server
    )
    assert result.get("status") == "finished", result


def test_sign_in_build_a_watch_get_the_alert_manage_and_pause(
    live: LiveWeb, watched: Watched, app_config: AppConfig, today: date, now: datetime
) -> None:
    page = watched.page
    first = software_call(910001, today, "Asukaspalvelun ohjelmistokehitys")
    with LoopbackSources([first], today=today) as fake:
        crawl(live, app_config, fake, today)
        process(live, app_config, now)

        sign_in(live, page, "uusi@yritys.example")
        page.get_by_role("link", name="Uusi seuranta").click()
        page.get_by_label("Seurannan nimi").fill("Ohjelmistot")
        page.get_by_placeholder("Hae CPV-luokitusta").fill("ohjelmointipalvelut")
        pick = page.locator("#cpv-results button.pick").filter(has_text="72212000")
        pick.first.click()
        page.locator("#cpv-selected input[value='72212000']").wait_for()
        # The live preview lists the stored call, with why it matched, in Finnish.
        preview = page.locator("#preview")
        preview.get_by_text("Asukaspalvelun ohjelmistokehitys").wait_for()
        assert "CPV 72212000 kattaa koodin 72212000" in preview.inner_text()
        page.get_by_role("button", name="Tallenna").click()
        page.get_by_text("Tallennettu.").wait_for()

        with get_sessionmaker(live.settings.db_url)() as s:
            sub = s.scalar(
                select(Subscription).join(Subscriber).where(Subscriber.email == "uusi@yritys.example")
            )
            assert sub is not None and sub.filters["cpv"] == ["72212000"] and sub.enabled
            sub_id = sub.id

        # A new call is published and crawled; its alert arrives with a "manage" link.
        fake.add_notices([software_call(910002, today, "Kirjastojärjestelmän ohjelmistokehitys")])
        crawl(live, app_config, fake, today)
        process(live, app_config, now + timedelta(minutes=5))
    [alert] = [
        m
        for m in live.mails_to("uusi@yritys.example")
        if "signin" not in str(m["Subject"]).lower() and "Kirjastojärjestelmän" in str(m["Subject"])
    ]
    manage = link_in(alert, rf"{live.url}/subscriptions/\d+")
    assert manage.endswith(f"/subscriptions/{sub_id}")
    page.goto(manage)
    assert page.get_by_label("Seurannan nimi").input_value() == "Ohjelmistot"

    page.goto("/subscriptions")
    page.get_by_role("button", name="Keskeytä").click()
    page.get_by_text("Keskeytetty").first.wait_for()
    with get_sessionmaker(live.settings.db_url)() as s:
        assert s.get(Subscription, sub_id).enabled is False
    assert watched.errors == [] and watched.dialogs == []
