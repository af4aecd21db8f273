"""Feeds parse with real parsers and carry Helsinki deadlines; the API's OpenAPI description is
valid and a property-based run against it finds no server error."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from icalendar import Calendar
from sqlalchemy import select

from db.models.alerts import Subscription
from db.session import get_sessionmaker
from monitor.config import AppConfig
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web.conftest import LiveWeb, process

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_atom_and_icalendar_feeds_of_a_subscription(
    live: LiveWeb, app_config: AppConfig, now: datetime
) -> None:
    # 12:00 in Helsinki on a winter day (UTC+2) and on a summer day (UTC+3): the wall-clock time holds.
    # Next year's, so both calls are open whatever day the suite runs on.
    year = now.year + 1
    winter = datetime(year, 1, 15, 10, 0, tzinfo=UTC)
    summer = datetime(year, 6, 15, 9, 0, tzinfo=UTC)
    with get_sessionmaker(live.settings.db_url)() as s:
        upsert(
            s,
            SubscriberSpec(
                email="feed@example.com", language="en", subscriptions=[{"name": "IT", "cpv": ["72000000"]}]
            ),
        )
        s.commit()
        for number, deadline, title in (
            ("00720001-2026", winter, "Winter call"),
            ("00720002-2026", summer, "Summer call"),
        ):
            ingest(
                s,
                dataclasses.replace(
                    call(publication_number=number, publication_date=now.date(), deadline=deadline),
                    title={"eng": title},
                    language="eng",
                ),
                now,
            )
    process(live, app_config, now)
    with get_sessionmaker(live.settings.db_url).begin() as s:
        sub = s.scalar(select(Subscription))
        sub.feed_key = "k" * 32
    with live.client() as http:
        assert http.get("/feeds/" + "z" * 32 + ".atom").status_code == 404  # a wrong key finds nothing
        atom = http.get(f"/feeds/{'k' * 32}.atom")
        ics = http.get(f"/feeds/{'k' * 32}.ics")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(atom.content)
    assert not feed.bozo, feed.bozo_exception
    assert sorted(e.title for e in feed.entries) == ["Summer call", "Winter call"]
    assert all(e.link.startswith(f"{live.url}/p/") for e in feed.entries)
    assert any(f"15 Jan {year} 12:00" in e.summary for e in feed.entries)

    cal = Calendar.from_ical(ics.content)
    events = {str(e["summary"]): e.decoded("dtstart") for e in cal.walk("VEVENT")}
    assert set(events) == {"Summer call", "Winter call"}
    for when in events.values():
        assert when.tzinfo is not None and str(when.tzinfo) == "Europe/Helsinki"
        assert (when.hour, when.minute) == (12, 0)
    assert events["Winter call"] == winter and events["Summer call"] == summer


def test_openapi_description_is_valid_and_lists_the_api(live: LiveWeb) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json")  # validates the document
    paths = set(schema.raw_schema["paths"])
    assert {"/api/notices", "/api/notices/{notice_id}", "/api/procedures", "/api/procedures/{key}"} <= paths
    assert not any(p.startswith(("/subscriptions", "/signin", "/unsubscribe")) for p in paths)


@pytest.mark.slow
def test_property_based_run_finds_no_server_error(
    live: LiveWeb, app_config: AppConfig, now: datetime
) -> None:
    import schemathesis

    with get_sessionmaker(live.settings.db_url)() as s:
        for i in range(3):
            ingest(
                s,
                call(
                    publication_number=f"0073000{i}-2026",
                    publication_date=now.date(),
                    deadline=now + timedelta(days=10 + i),
                ),
                now,
            )
    process(live, app_config, now)
    schema = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json")
    failures: list[str] = []
    for operation in schema.get_all_operations():
        check_operation(operation.ok(), failures)
    assert failures == []


def check_operation(op, failures: list[str]) -> None:  # type: ignore[no-untyped-def]
    import hypothesis
    import schemathesis

    @hypothesis.settings(
        max_examples=40,
        deadline=None,
        database=None,  # no example database written into the work tree
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,  # the same examples every run: a failure here is reproducible
    )
    @hypothesis.given(case=op.as_strategy())
    def run(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call()
        if response.status_code >= 500:
            failures.append(f"{op.label}: {case.path} {case.query} -> {response.status_code}")
        case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

    run()
