"""The admin pages (issue #15): who sees what, CSRF on admin POSTs, the audited bulk retry, branch
figures equal to ``tenderwatch report branches``, and an admin's visit in Chromium.

Roles come from the config: ``admin@example.org`` is in the shipped service.yaml's ``admins``;
the branch contact is added to TEM's ``contacts`` by this module's ``config_dir``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.models.alerts import OutboxMessage, Subscriber
from db.models.audit import AuditEntry
from db.models.failures import DocumentFailure
from db.models.runs import CrawlRun, SourceWatermark
from db.models.scheduler import ScheduledJob
from db.record import Buyer, Money
from db.session import get_sessionmaker
from monitor.cli import cli
from monitor.config import AppConfig, load_config
from monitor.reports.figures import build_report
from monitor.reports.periods import HELSINKI, Period
from monitor.reports.render import render_csv
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web.conftest import REPO, LiveWeb, link_in, process, sign_in

ADMIN = "admin@example.org"
CONTACT = "innovaatiot@tem.example.fi"
SUBSCRIBER = "myynti@yritys.example.com"
TEM_BUYER = Buyer(name="Työ- ja elinkeinoministeriö", org_id=None, country="FIN", legal_type="cga")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The shipped config with one contact for TEM (the shipped file lists none), added in the YAML."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    path = target / "branches.yaml"
    text = path.read_text(encoding="utf-8")
    shipped = "    contacts: []  # e.g. [innovaatiot@tem.fi]"
    edited = text.replace(shipped, f"    contacts: [{CONTACT}]  # e.g.", 1)
    assert edited != text, "TEM's contacts line moved in config/branches.yaml"
    path.write_text(edited, encoding="utf-8")
    return target


@pytest.fixture
def app_config(config_dir: Path) -> AppConfig:
    """The config the web app of these tests runs on."""
    return load_config(config_dir)


def form_token(html: str, name: str = "csrftoken") -> str:
    m = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def signed_in(live: LiveWeb, email: str) -> httpx.Client:
    """A client signed in as ``email`` the way a browser is: form, emailed link, button."""
    client = live.client()
    before = len(live.mails_to(email))
    page = client.get("/signin")
    client.post("/signin", data={"email": email, "csrftoken": form_token(page.text)})
    link = link_in(live.wait_for_mail(email, before + 1)[-1], r"https?://\S+/signin/\S+")
    confirm = client.get(link)
    done = client.post(
        "/signin/confirm",
        data={"token": form_token(confirm.text, "token"), "csrftoken": form_token(confirm.text)},
    )
    assert done.status_code == 303, done.text
    return client


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


ADMIN_PAGES = [
    "/admin/",
    "/admin/operations",
    "/admin/branches",
    "/admin/branches/TEM",
    "/admin/branches/TEM/figures.csv",
    "/admin/branches/TEM/calls.csv",
    "/admin/branches/VM",
]


def test_who_sees_which_admin_page(live: LiveWeb, clients: dict[str, httpx.Client]) -> None:
    for path in ADMIN_PAGES:
        r = clients["anonymous"].get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
        r = clients["subscriber"].get(path)
        assert r.status_code == 403, path
        assert "ylläpitäjille" in r.text  # the 403 page says why, in the visitor's language
        assert clients["admin"].get(path).status_code in (200, 303), path
    contact = clients["contact"]
    assert contact.get("/admin/branches/TEM").status_code == 200
    assert contact.get("/admin/branches/TEM/calls.csv").status_code == 200
    assert contact.get("/admin/branches/VM").status_code == 403
    assert contact.get("/admin/operations").status_code == 403
    assert contact.get("/admin/").headers["location"] == "/admin/branches/TEM"
    listed = contact.get("/admin/branches").text
    assert "/admin/branches/TEM" in listed and "/admin/branches/VM" not in listed
    assert clients["admin"].get("/admin/").headers["location"] == "/admin/operations"
    assert clients["admin"].get("/admin/branches/XYZ").status_code == 404
    # The header links staff to the admin pages, nobody else.
    assert 'href="/admin/"' in clients["admin"].get("/search").text
    assert 'href="/admin/"' in contact.get("/search").text
    assert 'href="/admin/"' not in clients["subscriber"].get("/search").text


def seed_outbox(db_url: str, now: datetime, failed: int = 2, email: str = "tilaaja@example.com") -> None:
    with get_sessionmaker(db_url).begin() as s:
        sub = Subscriber(email=email, language="fi", created_at=now, updated_at=now)
        s.add(sub)
        s.flush()
        for i in range(failed):
            s.add(
                OutboxMessage(
                    subscriber_id=sub.id, kind="new", procedure_key=f"p{i}", state="failed", attempts=1,
                    last_error="550 mailbox unavailable", failure_kind="permanent",
                    created_at=now - timedelta(hours=2), updated_at=now - timedelta(hours=1),
                )
            )  # fmt: skip
        s.add(
            OutboxMessage(subscriber_id=sub.id, kind="new", procedure_key="sent", state="sent", sent_at=now)
        )


def seed_operations(db_url: str, now: datetime) -> None:
    """What ``tenderwatch status`` reads: two sources' runs, a watermark, failed documents, the schedule."""
    with get_sessionmaker(db_url).begin() as s:
        s.add(
            CrawlRun(
                source="ted", started_at=now - timedelta(hours=1), finished_at=now - timedelta(minutes=57),
                status="finished", requests=40, notices_seen=120, notices_new=7, notices_updated=2,
                errors={"parse": 1}, close_reason="finished",
            )
        )  # fmt: skip
        s.add(
            CrawlRun(
                source="hilma", started_at=now - timedelta(minutes=30), status="failed",
                finished_at=now - timedelta(minutes=29), errors={"http_503": 3},
                close_reason="HILMA answered 503 three times",
            )
        )  # fmt: skip
        s.add(
            SourceWatermark(
                source="ted", value=now - timedelta(hours=2), updated_at=now - timedelta(minutes=57)
            )
        )
        s.add(
            DocumentFailure(
                source="ted", source_id="123456-2026", kind="parse", attempts=5, last_error="no root element",
                first_failed_at=now - timedelta(days=2), last_failed_at=now, given_up_at=now,
            )
        )  # fmt: skip
        s.add(
            ScheduledJob(
                job_id="crawl:ted", next_run_time=now + timedelta(minutes=15),
                trigger="interval[0:15:00] Europe/Helsinki",
            )
        )  # fmt: skip


def states(db_url: str) -> list[str]:
    with get_sessionmaker(db_url)() as s:
        return sorted(s.scalars(select(OutboxMessage.state)).all())


def audit_rows(db_url: str) -> list[AuditEntry]:
    with get_sessionmaker(db_url)() as s:
        return list(s.scalars(select(AuditEntry)).all())


def test_bulk_retry_needs_the_csrf_token_and_is_audited(
    live: LiveWeb, clients: dict[str, httpx.Client], db_url: str, now: datetime
) -> None:
    seed_outbox(db_url, now)
    seed_operations(db_url, now)
    admin = clients["admin"]
    page = admin.get("/admin/operations")
    assert page.status_code == 200
    assert 'data-state="failed">2<' in page.text
    assert "550 mailbox unavailable" in page.text  # why they failed, before anyone retries
    for fact in ("HILMA answered 503 three times", "http_503 3", "parse 1", "123456-2026", "no root element"):
        assert fact in page.text, fact
    next_run = (now + timedelta(minutes=15)).astimezone(HELSINKI).strftime("%H[.:]%M")  # fi: 12.15
    assert re.search(rf"crawl:ted</td><td>[^<]*{next_run}", page.text), "the schedule's next run"
    refused = admin.post("/admin/operations/retry-failed", data={})
    assert refused.status_code == 403
    assert states(db_url) == ["failed", "failed", "sent"] and audit_rows(db_url) == []
    # A subscriber with a valid token is still no admin.
    sub = clients["subscriber"]
    token = form_token(sub.get("/account").text)
    assert sub.post("/admin/operations/retry-failed", data={"csrftoken": token}).status_code == 403
    assert states(db_url) == ["failed", "failed", "sent"]

    done = admin.post("/admin/operations/retry-failed", data={"csrftoken": form_token(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/operations?retried=2"
    assert states(db_url) == ["pending", "pending", "sent"]
    (row,) = audit_rows(db_url)
    assert (row.actor, row.action, row.target) == (ADMIN, "alerts.retry_failed", "outbox")
    assert row.old == {"failed": 2, "pending": 0} and row.new == {"requeued": 2}
    after = admin.get(done.headers["location"]).text
    assert "2 viestiä palautettiin jonoon" in after and 'data-state="pending">2<' in after


def seed_branch_calls(live: LiveWeb, config: AppConfig, now: datetime) -> None:
    """TEM: one innovative call, one ordinary; Helsinki (kunta) one ordinary call.

    All published in the current year, which the branch page shows by default: three and forty
    days back, or on 1 January when that is later (on 1 January itself all three are today's).
    """
    jan1 = date(now.year, 1, 1)
    recent, older = (max(now.date() - timedelta(days=d), jan1) for d in (3, 40))
    innovative = dataclasses.replace(
        call(publication_number="00800001-2026", publication_date=recent),
        title={"fin": "Tekoälypilotti: innovaatiokumppanuus työllisyyspalvelujen uudistamiseksi"},
        description={
            "fin": "Ministeriö hakee kumppania kehittämään ja pilotoimaan uudenlaisen ratkaisun, jota ei "
            "ole vielä markkinoilla. Hankintaa edelsi markkinavuoropuhelu."
        },
        buyers=[TEM_BUYER],
        estimated_value=Money(900_000, "EUR"),
    )
    ordinary = dataclasses.replace(
        call(publication_number="00800002-2026", publication_date=older),
        title={"fin": "Toimistotarvikkeet"},
        description={"fin": "Paperia ja kyniä."},
        buyers=[TEM_BUYER],
        estimated_value=Money(100_000, "EUR"),
    )
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(s, innovative, now - (now.date() - recent))
        ingest(s, ordinary, now - (now.date() - older))
        ingest(s, call(publication_number="00800003-2026", publication_date=now.date()), now)
    process(live, config, now)


def figure(html: str, name: str) -> str:
    m = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert m, name
    return m.group(1).strip()


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def test_branch_page_figures_are_the_reports(
    live: LiveWeb,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    now: datetime,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_branch_calls(live, app_config, now)
    period = Period(date(today.year, 1, 1), today)
    with get_sessionmaker(db_url)() as s:
        report = build_report(
            s, app_config.branches, period, goal=app_config.service.innovation_goal,
            declared_rule=app_config.rules.declared.summary(),
        )  # fmt: skip
        s.commit()
    tem = report.area("TEM")
    assert tem.calls == 2 and tem.innovative == 1  # the seed did what the test means
    html = clients["contact"].get("/admin/branches/TEM").text
    assert figure(html, "calls") == str(tem.calls)
    for name in ("innovative_share", "declared_share", "innovative_value_share", "declared_value_share"):
        assert figure(html, name) == pct(getattr(tem, name)), name
    assert figure(html, "goal") == pct(tem.goal_percent)
    months = dict(
        re.findall(r'<tr data-month="([^"]+)">\s*<th scope="row"[^>]*>[^<]*</th><td class="num">(\d+)<', html)
    )
    assert months == {p.label: str(p.calls) for p in report.trend["TEM"]}
    assert "Tekoälypilotti" in html and "/p/" in html  # the innovative call, linked to its page
    assert "Toimistotarvikkeet" not in html  # not innovative, not possible: only in the CSV

    # The CSV is the report's CSV line for TEM, and the same line `tenderwatch report branches` prints.
    web_csv = clients["contact"].get("/admin/branches/TEM/figures.csv").text
    assert web_csv == render_csv(report, areas=["TEM"])
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(live.settings.data_dir))
    from monitor.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli,
            ["report", "branches", "--from", period.start.isoformat(), "--to", period.end.isoformat(),
             "--format", "csv"],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    cli_rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["area"] == "TEM"]
    assert cli_rows == list(csv.DictReader(io.StringIO(web_csv)))
    calls_csv = clients["contact"].get("/admin/branches/TEM/calls.csv").text
    assert "Toimistotarvikkeet" in calls_csv and "Tekoälypilotti" in calls_csv


@pytest.mark.browser
def test_admin_retries_failed_alerts_and_reads_a_branch_in_chromium(
    live: LiveWeb,
    browser: Any,
    app_config: AppConfig,
    db_url: str,
    now: datetime,
    shoot: Callable[[Any, str], None],
) -> None:
    seed_outbox(db_url, now, failed=3)
    seed_operations(db_url, now)
    seed_branch_calls(live, app_config, now)
    # Both start in Finnish (conftest's sign_in reads the Finnish form); English by the switch.
    for lang, (width, height) in (("fi", (1280, 900)), ("en", (390, 844))):
        context = browser.new_context(
            base_url=live.url, locale="fi-FI", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        if lang == "fi":
            sign_in(live, page, ADMIN)
            page.get_by_role("link", name="Ylläpito").click()
            page.wait_for_url("**/admin/operations")
            failed = page.locator('td[data-state="failed"]')
            assert failed.inner_text() == "3"
            shoot(page, "admin-operations-fi-desktop")
            page.get_by_role("button", name="Yritä uudelleen: 3 epäonnistunutta viestiä").click()
            page.get_by_text("3 viestiä palautettiin jonoon").wait_for()
            assert failed.inner_text() == "0"
            assert page.locator('td[data-state="pending"]').inner_text() == "3"
            assert page.get_by_text("Ei epäonnistuneita viestejä.").is_visible()
            shoot(page, "admin-operations-fi-after-retry")
            # The page refreshes itself (htmx; the event the 30 s timer also sends): a new failure shows.
            seed_outbox(db_url, now, failed=1, email="toinen@example.com")
            page.evaluate("htmx.trigger('#live', 'refresh')")
            page.get_by_role("button", name="Yritä uudelleen: 1 epäonnistunutta viestiä").wait_for()
            assert (
                failed.inner_text() == "1" and page.get_by_text("3 viestiä palautettiin jonoon").is_visible()
            )
        else:
            sign_in(live, page, ADMIN)
            page.goto("/lang/en?next=/admin/operations")  # the visible language switch's link
            shoot(page, "admin-operations-en-phone")
        page.goto("/admin/branches")
        page.get_by_role("link", name=re.compile("Työ- ja elinkeino|Economic Affairs")).click()
        page.wait_for_url("**/admin/branches/TEM")
        chart = page.locator("#chart-trend")
        assert (chart.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
        assert page.evaluate("document.querySelector('#chart-trend').naturalWidth") > 0
        # Nothing wider than the screen: tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"admin-branch-{lang}-{'desktop' if width > 800 else 'phone'}")
        page.goto("/admin/branches")
        shoot(page, f"admin-branches-{lang}")
        assert errors == []
        context.close()
    (row,) = audit_rows(db_url)
    assert row.new == {"requeued": 3}  # the English visit only looked: one retry, one row
