"""The review queue, readers' feedback links and the rule quality table (issue #15, point 3).

A reader answers "not relevant" through the link in a real alert email (delivered through the
SMTP sink, opened in Chromium, the button clicked) and the keyword's precision by readers
changes on the rule table; an admin's verdict in the review queue changes its precision by
verdicts. A GET alone and a tampered link record nothing; subscribers get 403; a POST without
the CSRF token is refused; the verdicts exported and evaluated round-trip.

Roles and sign-in come from ``test_admin`` (its module-scoped ``app_config``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.models.audit import AuditEntry
from db.models.notices import Notice
from db.models.review import ReaderFeedback, ReviewVerdict
from db.session import get_sessionmaker
from monitor.cli import cli
from monitor.config import AppConfig
from monitor.subscribers import upsert
from monitor.subscribers.config import SubscriberSpec
from tests.alerts.conftest import ingest
from tests.db.records import call
from tests.web import test_admin
from tests.web.conftest import REPO, LiveWeb, sign_in, text_of
from tests.web.test_admin import ADMIN, form_token

app_config = test_admin.app_config
clients = test_admin.clients

READER = "hankinnat@hoiva.example.com"
TITLE = "Tekoälypilotti kotihoitoon"
"""Labelled ``possible`` by the shipped rules: ``pilot_trial`` fires on the word “tekoälypilotti”."""
KEYWORD_ROW = 'tr[data-key="pilot_trial|tekoälypilotti|fin"]'


def add_reader(db_url: str) -> int:
    with get_sessionmaker(db_url).begin() as s:
        spec = SubscriberSpec.model_validate(
            {"email": READER, "name": "Hoiva Oy", "subscriptions": [{"name": "IT", "cpv": ["72000000"]}]}
        )
        sub, _ = upsert(s, spec)
        return sub.id


def alert_with_feedback_links(
    live: LiveWeb, app_config: AppConfig, today: date, now: datetime
) -> EmailMessage:
    """A possible-innovation call, processed and delivered as the service does, to the reader."""
    add_reader(live.settings.db_url)
    record = call(
        publication_number="00777001-2026",
        publication_date=today,
        deadline=now + timedelta(days=30),
        title=TITLE,
    )
    with get_sessionmaker(live.settings.db_url)() as s:
        ingest(s, record, now)
    test_admin.process(live, app_config, now)
    (msg,) = live.wait_for_mail(READER, 1)
    return msg


def feedback(db_url: str) -> list[tuple[int | None, bool]]:
    with get_sessionmaker(db_url)() as s:
        return [(r.subscriber_id, r.relevant) for r in s.scalars(select(ReaderFeedback)).all()]


def verdicts(db_url: str) -> list[tuple[int, str, str]]:
    with get_sessionmaker(db_url)() as s:
        return [(v.notice_pk, v.verdict, v.reviewer) for v in s.scalars(select(ReviewVerdict)).all()]


def audit_rows(db_url: str) -> list[AuditEntry]:
    with get_sessionmaker(db_url)() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all())


def figure(html: str, column: str) -> str:
    """The text of one cell of the keyword's row on the rule table (tags dropped)."""
    row = re.search(r'<tr[^>]*data-key="pilot_trial\|tekoälypilotti\|fin"[^>]*>(.*?)</tr>', html, re.S)
    assert row, html[:2000]
    cell = re.search(rf'data-figure="{column}">(.*?)</td>', row.group(1), re.S)
    assert cell
    return " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split())


@pytest.mark.browser
def test_a_readers_click_and_an_admins_verdict_change_the_rule_table(
    live: LiveWeb,
    browser: Any,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    today: date,
    now: datetime,
    shoot: Callable[[Any, str], None],
) -> None:
    msg = alert_with_feedback_links(live, app_config, today, now)
    text = text_of(msg)
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    no = re.search(r"https?://\S+/feedback/\S+\?answer=not_relevant", text)
    yes = re.search(r"https?://\S+/feedback/\S+\?answer=relevant", text)
    assert no and yes, text
    assert "Ei osuva" in text and no.group(0).replace("&", "&amp;") in html and yes.group(0) in html
    admin = clients["admin"]
    before = admin.get("/admin/rules/quality").text
    assert (
        figure(before, "fired") == "1"
        and figure(before, "clicks") == "–"
        and figure(before, "verdicts") == "–"
    )

    # A mail scanner's GET (no cookies) shows the page and records nothing.
    scanner = live.client()
    r = scanner.get(no.group(0))
    assert r.status_code == 200 and TITLE in r.text and 'value="not_relevant" checked' in r.text
    assert feedback(db_url) == []
    # A tampered link records nothing, whoever sends it, and says so.
    token = no.group(0).split("/feedback/")[1].split("?")[0]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    # (fresh clients without cookies: a POST with the GET's CSRF cookie but no form token is
    # refused by the CSRF check before the token is read, which would prove nothing here)
    r = live.client().get(f"/feedback/{tampered}?answer=relevant")
    assert r.status_code == 400 and "virheellinen" in r.text
    r = live.client().post(f"/feedback/{tampered}", data={"answer": "relevant"})
    assert r.status_code == 400 and "virheellinen" in r.text
    other = str(int(token.split(".")[0]) + 1) + "." + token.split(".", 1)[1]  # another subscriber's id
    assert live.client().post(f"/feedback/{other}", data={"answer": "relevant"}).status_code == 400
    assert feedback(db_url) == []

    # The reader opens the link in a browser and presses the button.
    context = browser.new_context(base_url=live.url, locale="fi-FI", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(no.group(0))
    assert page.get_by_label("Ei osuva").is_checked()
    page.get_by_role("button", name="Tallenna vastaus").click()
    page.get_by_text("Kiitos! Vastauksesi ”ei osuva” on tallennettu.").wait_for()
    shoot(page, "reader-feedback")
    ((sub_id, relevant),) = feedback(db_url)
    assert relevant is False and sub_id is not None
    context.close()
    after_click = admin.get("/admin/rules/quality").text
    assert figure(after_click, "clicks") == "0 % 0/1 osuvia"
    assert figure(after_click, "verdicts") == "–"

    # An admin gives a verdict in the review queue, then changes it.
    context = browser.new_context(base_url=live.url, locale="fi-FI", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(live, page, ADMIN)
    page.goto("/admin/operations")
    page.get_by_role("link", name="Tarkistusjono").click()
    page.wait_for_url("**/admin/review")
    assert page.locator('[data-count="possible"]').inner_text() == "1"
    item = page.locator("#rv-items > li").first
    assert TITLE in item.inner_text() and "tekoälypilotti" in item.locator("mark").first.inner_text().lower()
    shoot(page, "admin-review")
    item.get_by_role("button", name="Innovatiivinen", exact=True).click()
    page.get_by_text("Päätös tallennettu.").wait_for()
    assert page.locator('[data-count="possible"]').inner_text() == "0"
    with get_sessionmaker(db_url)() as s:
        notice_pk = s.scalar(select(Notice.id))
    assert verdicts(db_url) == [(notice_pk, "innovative", ADMIN)]
    page.get_by_role("link", name="Sääntöjen osuvuus").click()
    page.wait_for_url("**/admin/rules/quality")
    row = page.locator(KEYWORD_ROW)
    assert (
        " ".join(row.locator('[data-figure="verdicts"]').inner_text().split()) == "100 % 1/1 innovatiivisia"
    )
    assert " ".join(row.locator('[data-figure="clicks"]').inner_text().split()) == "0 % 0/1 osuvia"
    shoot(page, "admin-rule-quality")
    # The figure links to the notices behind it.
    row.locator('[data-figure="clicks"] a').click()
    page.wait_for_url("**/admin/rules/quality/notices?**")
    assert (
        TITLE in page.locator("#rq-notices").inner_text()
        and "0 osuva, 1 ei osuva" in page.locator("#rq-notices").inner_text()
    )

    page.goto("/admin/review?filter=decided")
    page.locator("#rv-items > li").first.get_by_role("button", name="Ei innovatiivinen").click()
    page.get_by_text("Päätös tallennettu.").wait_for()
    assert verdicts(db_url) == [(notice_pk, "not_innovative", ADMIN)]  # one current verdict, replaced
    page.goto("/admin/rules/quality")
    assert " ".join(page.locator(KEYWORD_ROW).locator('[data-figure="verdicts"]').inner_text().split()) == (
        "0 % 0/1 innovatiivisia"
    )
    assert errors == []
    context.close()
    first, second = (a for a in audit_rows(db_url) if a.action == "review.verdict")
    assert (first.target, first.old, first.new) == (
        f"notice:{notice_pk}",
        {"verdict": None},
        {"verdict": "innovative"},
    )
    assert (second.old, second.new, second.actor) == (
        {"verdict": "innovative"},
        {"verdict": "not_innovative"},
        ADMIN,
    )


def test_subscribers_get_403_and_posts_need_the_csrf_token(
    live: LiveWeb,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    today: date,
    now: datetime,
) -> None:
    alert_with_feedback_links(live, app_config, today, now)
    with get_sessionmaker(db_url)() as s:
        notice_pk = s.scalar(select(Notice.id))
    pages = [
        "/admin/review",
        "/admin/review?filter=decided",
        "/admin/review/verdicts.yaml",
        "/admin/rules/quality",
        "/admin/rules/quality/notices?rule=pilot_trial&figure=fired",
    ]
    for path in pages:
        r = clients["anonymous"].get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), path
        assert clients["subscriber"].get(path).status_code == 403, path
        assert clients["contact"].get(path).status_code == 403, path  # a branch contact is no admin
        assert clients["admin"].get(path).status_code == 200, path
    body = {"notice": str(notice_pk), "verdict": "innovative"}
    assert clients["admin"].post("/admin/review/verdict", data=body).status_code == 403  # no token
    sub_token = form_token(clients["subscriber"].get("/account").text)
    assert (
        clients["subscriber"].post("/admin/review/verdict", data={**body, "csrftoken": sub_token}).status_code
        == 403
    )
    assert verdicts(db_url) == [] and audit_rows(db_url) == []
    # The admin, with the token: recorded; an unknown verdict or notice: refused, nothing written.
    token = form_token(clients["admin"].get("/admin/review").text)
    bad = clients["admin"].post(
        "/admin/review/verdict", data={**body, "verdict": "maybe", "csrftoken": token}
    )
    missing = clients["admin"].post(
        "/admin/review/verdict", data={**body, "notice": "999999", "csrftoken": token}
    )
    assert (bad.status_code, missing.status_code) == (422, 404)
    assert verdicts(db_url) == [] and audit_rows(db_url) == []
    ok = clients["admin"].post("/admin/review/verdict", data={**body, "csrftoken": token})
    assert ok.status_code == 303 and verdicts(db_url) == [(notice_pk, "innovative", ADMIN)]
    assert len(audit_rows(db_url)) == 1
    # Every page in the three languages, with a verdict given (the decided tab shows it).
    for lang, words in (
        ("sv", ("Granskningskö", "Reglernas träffsäkerhet")),
        ("en", ("Review queue", "Rule quality")),
    ):
        clients["admin"].cookies.set("tw_lang", lang)
        for path in pages[:2] + pages[3:]:
            r = clients["admin"].get(path)
            assert r.status_code == 200 and all(w in r.text for w in words), (lang, path)
    clients["admin"].cookies.delete("tw_lang")
    # The nav shows the two pages to admins only.
    assert 'href="/admin/review"' in clients["admin"].get("/admin/branches").text
    assert 'href="/admin/review"' not in clients["contact"].get("/admin/branches").text


def test_verdicts_export_and_evaluate(
    live: LiveWeb,
    clients: dict[str, httpx.Client],
    app_config: AppConfig,
    db_url: str,
    today: date,
    now: datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Export → eval round trip: the CLI's file and the page's download are the same labelled set,
    ``tenderwatch eval`` reads it, and the exported notice is classified as it is stored."""
    alert_with_feedback_links(live, app_config, today, now)
    with get_sessionmaker(db_url)() as s:
        notice_pk = s.scalar(select(Notice.id))
    token = form_token(clients["admin"].get("/admin/review").text)
    clients["admin"].post(
        "/admin/review/verdict", data={"notice": notice_pk, "verdict": "innovative", "csrftoken": token}
    )
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("TENDERWATCH_DATA_DIR", str(live.settings.data_dir))
    from monitor.settings import get_settings

    get_settings.cache_clear()
    out = tmp_path / "verdicts.yaml"
    try:
        runner = CliRunner()
        exported = runner.invoke(cli, ["review", "export", "-o", str(out)])
        assert exported.exit_code == 0, exported.output
        evaluated = runner.invoke(cli, ["eval", str(out), "--errors"])
        with_set = runner.invoke(
            cli, ["eval", str(REPO / "tests/data/innovation_labels.yaml"), "--with-verdicts"]
        )
        again = runner.invoke(cli, ["eval", str(out), "--with-verdicts"])
    finally:
        get_settings.cache_clear()
    text = out.read_text(encoding="utf-8")
    assert text == clients["admin"].get("/admin/review/verdicts.yaml").text
    assert "id: review-00777001-2026\n  label: innovative" in text and TITLE in text
    assert evaluated.exit_code == 0, evaluated.output
    assert "1 labelled notices" in evaluated.output
    # Labelled innovative by the admin, ``possible`` by the rules: the one error, as stored.
    assert "review-00777001-2026: expected innovative, got possible" in evaluated.output
    assert with_set.exit_code == 0 and "1 verdicts added from the review queue" in with_set.output
    assert (
        again.exit_code == 0
        and "0 verdicts added from the review queue (1 already in the file)" in again.output
    )
