"""The command line: subscribers, alerts, branches and unsubscribe, against a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from db.clock import utcnow
from db.models.alerts import OutboxMessage, Subscriber, Subscription
from db.session import get_sessionmaker, session_scope
from monitor.alerts.enqueue import enqueue_pending
from monitor.alerts.tokens import make_token
from monitor.cli import cli
from monitor.secretkey import secret_key
from monitor.settings import get_settings
from tests.alerts.conftest import HELD, ingest
from tests.db.records import NOW, call

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-q", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_subscribers_commands(settings_env: Path, tmp_path: Path) -> None:
    code, out = run("subscribers", "import", str(REPO / "config" / "subscribers.yaml"))
    assert code == 0 and "6 created" in out
    code, out = run("subscribers", "import", str(REPO / "config" / "subscribers.yaml"))
    assert code == 0 and "0 created, 0 updated, 6 unchanged" in out
    code, out = run(
        "subscribers",
        "add",
        "new@example.com",
        "--name",
        "Uusi Oy",
        "--cpv",
        "45000000",
        "--nuts",
        "FI1B",
        "--keyword",
        "silta",
        "--subscription",
        "Sillat",
    )
    assert code == 0 and "created: new@example.com (1 subscription(s))" in out
    code, out = run("subscribers", "add", "new@example.com", "--cpv", "7200", "--subscription", "X")
    assert code == 1 and "not a CPV code" in out
    code, out = run("subscribers", "list")
    assert "new@example.com" in out and "7 subscriber(s)" in out
    code, out = run("subscribers", "show", "new@example.com")
    assert "- name: Sillat" in out and "45000000" in out and "# outbox: empty" in out
    csv_path = tmp_path / "all.csv"
    code, out = run("subscribers", "export", "--format", "csv", "-o", str(csv_path))
    assert code == 0 and csv_path.read_text().startswith("email,name,kind")
    code, out = run("subscribers", "import", str(csv_path))
    assert "7 unchanged" in out
    code, out = run("subscribers", "disable", "new@example.com")
    assert code == 0
    code, out = run("subscribers", "list")
    assert "new@example.com" not in out


def test_alerts_and_unsubscribe_commands(settings_env: Path) -> None:
    url = get_settings().db_url
    run("subscribers", "add", "it@example.com", "--cpv", "72000000", "--subscription", "IT")
    # Queued "now" by the clock `alerts send` reads: an alert older than the maximum age, or
    # past its call's deadline, would expire instead of going out.
    at = utcnow()
    with get_sessionmaker(url)() as session:
        ingest(session, call(deadline=at + timedelta(days=30)), at)
        enqueue_pending(session, at, **HELD)
        session.commit()
    code, out = run("alerts", "list", "--state", "pending")
    assert code == 0 and "pending   new" in out and "it@example.com" in out
    code, out = run("alerts", "send")
    assert code == 0 and "1 sent, 0 failed, 0 to retry, 0 expired" in out
    assert len(list((settings_env / "outbox").glob("*.eml"))) == 1
    code, out = run("alerts", "show", "1")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out and "CPV 72000000" in out
    code, out = run("alerts", "retry", "99")
    assert code == 1 and "no outbox row 99" in out

    with session_scope(url) as session:
        sub = session.scalar(select(Subscriber))
        token = make_token(secret_key(get_settings()), sub.id, sub.email, [sub.subscriptions[0].id])
    code, out = run("unsubscribe", token[:-2] + "xx")
    assert code == 1 and "forged" in out
    code, out = run("unsubscribe", token)
    assert code == 0 and "unsubscribed: it@example.com (IT)" in out
    with session_scope(url) as session:
        # The subscription named by the link ends; the subscriber (and their sign-in) stays.
        assert session.scalar(select(Subscriber.enabled)) is True
        assert session.scalar(select(Subscription.enabled)) is False
        assert session.scalar(select(Subscription.unsubscribed_at)) is not None
        assert session.scalar(select(OutboxMessage.state)) == "sent"


def test_branches_commands(settings_env: Path) -> None:
    from dataclasses import replace

    from db.record import Buyer

    code, out = run("branches", "list")
    assert code == 0 and out.count("\n") == 12
    code, out = run("branches", "map", "Väylävirasto", "--id", "1010547-1")
    assert out.startswith("LVM")
    url = get_settings().db_url
    with get_sessionmaker(url)() as session:
        unknown = Buyer("Valtion uusi virasto", "1234567-1", "FIN", legal_type="cga")
        ingest(session, replace(call(), buyers=[unknown]), NOW)
        ingest(session, call(publication_number="00711999-2026"), NOW)  # a city: not central government
    code, out = run("branches", "unmapped")
    assert code == 0 and "Valtion uusi virasto" in out and "1 unmapped buyer(s)" in out
