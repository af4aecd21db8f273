"""Every alert email, instant and digest, HTML and text, fi/sv/en, carries each notice's signed
"relevant" / "not relevant" links (issue #15, point 3); the page they open is tested in
``tests/web/test_admin_review.py``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from db.models.alerts import OutboxMessage, Subscriber
from monitor.alerts import i18n
from monitor.alerts.render import build_message, parse_message
from monitor.alerts.tokens import make_feedback_token
from monitor.settings import Settings

AT = datetime(2026, 1, 1, tzinfo=UTC)


def item(row_id: int, notice_pk: int | None, title: str, kind: str = "new") -> OutboxMessage:
    return OutboxMessage(
        id=row_id, subscriber_id=1, kind=kind, procedure_key=f"p-{row_id}", ref="", notice_id=notice_pk,
        payload={"notice": {"title": {"fin": title}}}, created_at=AT,
    )  # fmt: skip


def bodies(
    msg: OutboxMessage,
    sub: Subscriber,
    items: list[OutboxMessage] | None = None,
    public_url: str = "https://tw.example.org",
) -> tuple[str, str]:
    settings = Settings(secret_key="k", public_url=public_url)  # type: ignore[arg-type]
    parsed = parse_message(build_message(msg, sub, settings, items))
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_instant_and_digest_emails_link_each_notice_both_ways(lang: str) -> None:
    sub = Subscriber(id=1, email="a@example.com", language=lang)
    t = i18n.strings(lang)
    expected = {pk: make_feedback_token("k", 1, "a@example.com", pk) for pk in (41, 42)}
    text, html = bodies(item(7, 41, "Tekoälypilotti"), sub)
    for part in (text, html):
        for answer in ("relevant", "not_relevant"):
            assert f"https://tw.example.org/feedback/{expected[41]}?answer={answer}" in part, (lang, answer)
        assert t["feedback_relevant"] in part and t["feedback_not_relevant"] in part
    digest = item(9, None, "", kind="digest")
    items = [item(10, 41, "Tekoälypilotti"), item(11, 42, "Robotiikka"), item(12, None, "Vanha")]
    text, html = bodies(digest, sub, items)
    for part in (text, html):
        tokens = re.findall(r"/feedback/([^?\s\"]+)\?answer=not_relevant", part)
        # One pair per notice that has a store id; a row without one gets none.
        assert sorted(tokens) == sorted(expected.values()), lang


def test_no_links_without_a_public_url() -> None:
    """A relative link in an email leads nowhere: without ``public_url`` there are none."""
    sub = Subscriber(id=1, email="a@example.com", language="fi")
    text, html = bodies(item(7, 41, "Tekoälypilotti"), sub, public_url="")
    assert "Tekoälypilotti" in text and "Tekoälypilotti" in html
    assert "/feedback/" not in text and "/feedback/" not in html
