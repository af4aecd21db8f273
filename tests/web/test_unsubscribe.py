"""RFC 8058 one-click unsubscribe, end to end: pipeline → real SMTP → the POST a mailbox provider sends."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import select

from db.models.alerts import Subscription
from db.session import get_sessionmaker
from monitor.config import AppConfig
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web.conftest import LiveWeb, process

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}
BODY = "List-Unsubscribe=One-Click"


def subs_state(live: LiveWeb) -> dict[str, tuple[bool, datetime | None]]:
    with get_sessionmaker(live.settings.db_url)() as s:
        return {r.name: (r.enabled, r.unsubscribed_at) for r in s.scalars(select(Subscription))}


def test_one_click_post_ends_that_subscriptions_mail_once_and_for_all(
    live: LiveWeb, app_config: AppConfig, now: datetime
) -> None:
    with get_sessionmaker(live.settings.db_url)() as s:
        upsert(
            s,
            SubscriberSpec(
                email="it@example.com",
                subscriptions=[{"name": "IT", "cpv": ["72000000"]}, {"name": "Sillat", "cpv": ["45000000"]}],
            ),
        )
        s.commit()
        ingest(
            s,
            dataclasses.replace(
                call(publication_date=now.date(), deadline=now + timedelta(days=30)), cpv_main="72212000"
            ),
            now,
        )
    process(live, app_config, now)
    [msg] = live.wait_for_mail("it@example.com")
    url = str(msg["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert url.startswith(f"{live.url}/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == BODY
    # The email links to our own procedure page and to the subscription's page.
    text = msg.get_body(("plain",)).get_content()
    assert f"{live.url}/p/" in text and f"{live.url}/subscriptions/" in text

    with live.client() as http:
        # A scanner prefetching the link (GET) unsubscribes nobody; it sees a confirm button.
        page = http.get(url)
        assert page.status_code == 200 and 'method="post"' in page.text and "IT" in page.text
        assert subs_state(live)["IT"] == (True, None)

        first = http.post(url, content=BODY, headers=ONE_CLICK)
        assert first.status_code == 200 and not first.is_redirect
        enabled, at = subs_state(live)["IT"]
        assert enabled is False and at is not None
        assert subs_state(live)["Sillat"] == (True, None)  # only the subscription that matched

        again = http.post(url, content=BODY, headers=ONE_CLICK)
        assert again.status_code == 200
        assert subs_state(live)["IT"] == (False, at)  # idempotent: the first time is kept

        token = url.rsplit("/", 1)[1]
        forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        for bad in (forged, "1.W10.x", "999." + token.split(".", 1)[1], "nonsense"):
            r = http.post(f"{live.url}/unsubscribe/{bad}", content=BODY, headers=ONE_CLICK)
            assert r.status_code == 400 and "eikä mitään muutettu" in r.text
    with get_sessionmaker(live.settings.db_url)() as s:
        upsert(
            s, SubscriberSpec(email="other@example.com", subscriptions=[{"name": "IT", "cpv": ["72000000"]}])
        )
        s.commit()
    assert subs_state(live)["Sillat"] == (True, None)

    # A new call that the ended subscription would match: no more mail to it.
    later = now + timedelta(hours=1)
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(
            s,
            dataclasses.replace(
                call(
                    publication_number="00711999-2026",
                    publication_date=now.date(),
                    deadline=now + timedelta(days=20),
                ),
                cpv_main="72500000",
            ),
            later,
        )
    figures = process(live, app_config, later)
    assert figures["deliver"]["sent"] == 1  # to the other subscriber only
    assert len(live.mails_to("it@example.com")) == 1
    assert len(live.mails_to("other@example.com")) == 1


def test_a_forged_token_changes_nothing_and_says_so(
    live: LiveWeb, app_config: AppConfig, now: datetime
) -> None:
    from monitor.alerts.tokens import make_token

    with get_sessionmaker(live.settings.db_url)() as s:
        sub, _ = upsert(
            s, SubscriberSpec(email="a@example.com", subscriptions=[{"name": "IT", "cpv": ["72000000"]}])
        )
        s.commit()
        sid, email, subscription_id = sub.id, sub.email, sub.subscriptions[0].id
    wrong_key = make_token("another-key", sid, email, [subscription_id])
    moved = make_token("web-test-secret", sid, "b@example.com", [subscription_id])  # signed for someone else
    with live.client() as http:
        for token in (wrong_key, moved):
            r = http.post(f"/unsubscribe/{token}", content=BODY, headers=ONE_CLICK)
            assert r.status_code == 400
            assert "eikä mitään muutettu" in r.text
            assert http.get(f"/unsubscribe/{token}").status_code == 400
    assert subs_state(live)["IT"] == (True, None)
