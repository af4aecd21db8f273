"""The monthly branch email: due on the first working day, one per contact and period, over real SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from db.models.alerts import OutboxMessage, Subscriber
from db.session import session_scope
from monitor.alerts.sender import send_pending
from monitor.appconfig.models import GoalPeriod, ServiceConfig
from monitor.reports.monthly import due_period, queue_monthly_reports
from monitor.reports.periods import Period, first_working_day
from monitor.settings import Settings
from tests.alerts.conftest import SmtpSink
from tests.reports import dataset
from tests.reports.dataset import N, P
from tests.reports.pngcheck import assert_not_blank

REPO = Path(__file__).resolve().parents[2]
TED = "https://ted.europa.eu"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def _settings(smtp: SmtpSink, tmp_path: Path, url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=url,
        config_dir=REPO / "config",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",  # the loopback test server speaks plain SMTP
        smtp_timeout=5,
        mail_from="TenderWatch <reports@tenderwatch.example.org>",
        public_url="https://tenderwatch.example.org",
        secret_key="test-secret",  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [
        (2026, 11, date(2026, 11, 2)),  # the 1st is a Sunday
        (2027, 1, date(2027, 1, 4)),  # New Year's Day is a Friday, then a weekend
        (2026, 5, date(2026, 5, 4)),  # May Day is a Friday
        (2026, 12, date(2026, 12, 1)),  # a Tuesday
        (2025, 4, date(2025, 4, 1)),
    ],
)
def test_first_working_day(year: int, month: int, day: date) -> None:
    assert first_working_day(year, month) == day


def test_due_period_reads_the_day_in_helsinki() -> None:
    # 1 Dec 2026 is a Tuesday. 21:59 UTC on 30 Nov is still November in Helsinki (UTC+2).
    assert due_period(datetime(2026, 11, 30, 21, 59, tzinfo=UTC)) == Period.month("2026-10")
    assert due_period(datetime(2026, 11, 30, 22, 0, tzinfo=UTC)) == Period.month("2026-11")
    # 1 Nov 2026 is a Sunday: in Helsinki nothing is due until Monday the 2nd.
    assert due_period(datetime(2026, 10, 31, 22, 30, tzinfo=UTC)) is None
    assert due_period(datetime(2026, 11, 1, 22, 30, tzinfo=UTC)) == Period.month("2026-10")


def test_each_branch_contact_gets_one_email_per_period(db_url, branches, smtp, tmp_path) -> None:
    specs = [
        P(
            "tem",
            [N("call", date(2026, 10, 5), "innovative", 250_000.0)],
            "Tekoälypilotti <työvoimapalveluihin>",
        ),
        P("tem", [N("call", date(2026, 10, 6), "none", 40_000.0)], "Toimistotarvikkeet"),
        P("tem", [N("call", date(2026, 9, 6), "innovative", 40_000.0)], "Syyskuun kilpailutus"),
        P("thl", [N("call", date(2026, 10, 7), "possible", None, declared=True)], "Rokotekylmäketju"),
    ]
    with session_scope(db_url) as session:
        dataset.ingest(session, specs)
        session.add_all(
            [
                Subscriber(email="tem@example.org", name="TEM", kind="branch", branch="TEM", language="fi"),
                Subscriber(email="stm@example.org", name="STM", kind="branch", branch="STM", language="en"),
                Subscriber(email="kunnat@example.org", kind="branch", branch="kunta", language="sv"),
                Subscriber(email="old@example.org", kind="branch", branch="TEM", enabled=False),
                Subscriber(email="firm@example.com", kind="company"),
            ]
        )
    config = SimpleNamespace(
        branches=branches,
        service=ServiceConfig(innovation_goal=[GoalPeriod(start=date(2019, 6, 6), percent=10.0)]),
    )
    settings = _settings(smtp, tmp_path, db_url)

    sunday = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)  # Sunday 1 Nov in Helsinki: not yet
    monday = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)  # Monday 2 Nov, 00:30 in Helsinki
    with session_scope(db_url) as session:
        assert queue_monthly_reports(session, config, sunday, ted_site_url=TED) == 0
    with session_scope(db_url) as session:
        assert queue_monthly_reports(session, config, monday, ted_site_url=TED) == 3
    # The job fires again (another weekday, another instance, a manual run): nothing more.
    with session_scope(db_url) as session:
        assert queue_monthly_reports(session, config, monday, ted_site_url=TED) == 0
        later = datetime(2026, 11, 5, 8, tzinfo=UTC)
        assert queue_monthly_reports(session, config, later, ted_site_url=TED) == 0
        october = Period.month("2026-10")
        assert queue_monthly_reports(session, config, monday, ted_site_url=TED, period=october) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3

    assert send_pending(db_url, settings, now=monday).sent == 3
    assert send_pending(db_url, settings, now=monday).sent == 0
    assert len(smtp.messages) == 3
    assert not smtp.to("old@example.org") and not smtp.to("firm@example.com")

    (tem,) = smtp.to("tem@example.org")
    assert str(tem["Subject"]).strip() == "Innovatiiviset hankinnat 2026-10: Työ- ja elinkeinoministeriö"
    assert tem["X-TenderWatch-Kind"] == "report"
    text = tem.get_body(("plain",)).get_content()
    assert "Hankinnat: 2   Innovatiiviset: 1" in text
    assert "Innovatiivisten osuus: 50.0 % (40.0 %-yks. yli 10 %:n tavoitteen)" in text
    assert "Tekoälypilotti <työvoimapalveluihin>" in text and "Toimistotarvikkeet" not in text
    assert "bt105-innovation “innovation”" in text  # the reasons of the innovative call
    assert "https://ted.europa.eu/en/notice/-/detail/" in text
    assert "Syyskuun" not in text  # September's call is not October's
    html = tem.get_body(("html",)).get_content()
    assert "Tekoälypilotti &lt;työvoimapalveluihin&gt;" in html  # escaped, never markup
    assert 'src="cid:shares@tenderwatch"' in html and 'src="cid:trend@tenderwatch"' in html
    images = {
        part["Content-ID"]: part.get_content()
        for part in tem.walk()
        if part.get_content_type() == "image/png"
    }
    assert set(images) == {"<shares@tenderwatch>", "<trend@tenderwatch>"}
    for png in images.values():
        assert_not_blank(png, min_width=800)

    (stm,) = smtp.to("stm@example.org")
    subject = str(stm["Subject"]).strip()
    assert subject == "Innovation procurement 2026-10: Ministry of Social Affairs and Health"
    stm_text = stm.get_body(("plain",)).get_content()
    assert "Calls: 1   Innovative: 0   Possible: 1" in stm_text and "No calls labelled innovative" in stm_text
    # Declared next to detected: the buyer declared the call the classifier found only possible.
    assert "Declared: 1   Declared share: 100.0 % (90.0 pp above the goal of 10 %)" in stm_text
    assert "Both: 0   Declared only: 1   Detected only: 0" in stm_text
    review = stm_text.split("Declared innovative but not detected (1):\n", 1)[1]
    assert review.startswith(
        "- Hankinta 3: Rokotekylmäketju (Terveyden ja hyvinvoinnin laitos THL, 2026-10-07, possible)"
    )
    assert "Answers" not in review and "Buyer's answers: BT-776: mar-nov" in review
    assert "Detected innovative but not declared (0):\n  None." in stm_text
    (kunnat,) = smtp.to("kunnat@example.org")
    assert str(kunnat["Subject"]).strip() == "Innovativ upphandling 2026-10: Kommuner"
