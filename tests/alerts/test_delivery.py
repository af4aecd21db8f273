"""Delivery scenarios, end to end: store → enqueue → (digest) → real SMTP on loopback.

Each runs on SQLite and on PostgreSQL (``db_url``).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.alerts import OutboxMessage
from db.record import Buyer
from db.session import get_sessionmaker
from monitor.alerts import outbox
from monitor.alerts.digest import build_due_digests
from monitor.alerts.enqueue import enqueue_pending
from monitor.alerts.sender import send_pending
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import HELD, SmtpSink, ingest
from tests.db.records import NOW, call, change_of

IT = {"name": "IT", "cpv": ["72000000"]}
BUILDING = {"name": "Rakentaminen", "cpv": ["45000000"]}


def subscriber(session: Session, email: str, *subs: dict, **kw) -> int:
    spec = SubscriberSpec(email=email, name=email.split("@")[0], subscriptions=list(subs), **kw)
    row, _ = upsert(session, spec)
    session.commit()
    return row.id


def states(session: Session) -> list[tuple[str, str, str]]:
    session.rollback()  # a new transaction: SQLite (WAL) reads a snapshot
    rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.state, OutboxMessage.ref).order_by(OutboxMessage.id)
    )
    out = [tuple(r) for r in rows]
    session.rollback()  # SQLite transactions begin IMMEDIATE: never hold one while a sender runs
    return out


def cycle(session: Session, db_url: str, settings, now):  # type: ignore[no-untyped-def]
    stats = enqueue_pending(session, now, **HELD)
    session.commit()
    sent = send_pending(db_url, settings, now=now)
    return stats, sent


def test_instant_alert_is_delivered_once_with_unsubscribe_headers(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    subscriber(session, "it@example.com", IT)
    subscriber(session, "build@example.com", BUILDING)
    rec = dataclasses.replace(call(), cpv_main="72212000")
    ingest(session, rec, NOW)

    stats, sent = cycle(session, db_url, mail_settings, NOW)
    assert (stats.new, sent.sent, sent.failed) == (1, 1, 0)
    [msg] = smtp.messages
    assert msg["To"].addresses[0].addr_spec == "it@example.com"
    assert str(msg["List-Unsubscribe"]).strip().startswith("<https://tenderwatch.example.org/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",)).get_content()
    assert "CPV 72000000 kattaa koodin 72212000" in text  # why it matched, in the subscriber's language
    assert "Innovatiivinen liikennejärjestelmä" in msg["Subject"]

    stats, sent = cycle(session, db_url, mail_settings, NOW + timedelta(minutes=5))
    assert (stats.new, sent.claimed) == (0, 0)
    assert len(smtp.messages) == 1


def test_daily_digest_waits_for_its_hour_and_lists_innovative_first(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    # 07:00 Helsinki = 05:00 UTC in March (EET, +02:00).
    subscriber(session, "digest@example.com", IT, delivery="daily", digest_hour=7, language="en")
    plain = dataclasses.replace(call(), title={"fin": "Tavallinen ylläpito"}, cpv_main="72500000")
    ingest(session, plain, NOW)
    fancy = dataclasses.replace(
        call(publication_number="00711912-2026"), title={"fin": "Tekoälyn innovaatiokumppanuus"}
    )
    ingest(session, fancy, NOW)
    from db.models.classification import NoticeClassification
    from db.models.notices import Notice

    # Label one notice innovative as the classifier would (its own tests prove the classifier).
    fancy_pk = session.scalar(select(Notice.id).where(Notice.notice_id == fancy.notice_id))
    session.add(
        NoticeClassification(
            notice_pk=fancy_pk,
            label="innovative",
            score=7.5,
            rules_version="t",
            result={
                "reasons": [
                    {
                        "signal_id": "kw-innovation-partnership",
                        "field": "title",
                        "matched": "innovaatiokumppanuus",
                        "weight": 7.5,
                    }
                ]
            },
        )
    )
    session.commit()

    before = NOW.replace(hour=4, minute=0)  # 06:00 Helsinki
    stats, sent = cycle(session, db_url, mail_settings, before)
    assert stats.held == 2 and sent.claimed == 0
    assert build_due_digests(session, before) == 0  # held at 06:00: today's 07:00 digest takes them
    at = NOW.replace(hour=5, minute=30)  # 07:30 Helsinki
    assert build_due_digests(session, at) == 1
    session.commit()
    assert build_due_digests(session, at) == 0  # the same period never twice
    session.commit()
    sent = send_pending(db_url, mail_settings, now=at)
    assert sent.sent == 1
    [msg] = smtp.messages
    assert "digest" in msg["Subject"].lower()
    text = msg.get_body(("plain",)).get_content()
    assert text.index("innovaatiokumppanuus") < text.index("Tavallinen ylläpito")
    assert "Innovation-oriented procurement" in text
    assert [s for _, s, _ in states(session)].count("digested") == 2

    # A new match after the digest waits for the next day's 07:00.
    ingest(session, dataclasses.replace(call(), cpv_main="72300000"), NOW)
    enqueue_pending(session, at + timedelta(hours=1), **HELD)
    session.commit()
    assert build_due_digests(session, at + timedelta(hours=12)) == 0
    assert build_due_digests(session, at + timedelta(days=1)) == 1
    session.commit()

    # Switching to instant mail releases what is held at the next digest round.
    ingest(session, dataclasses.replace(call(), cpv_main="72400000"), NOW)
    enqueue_pending(session, at + timedelta(days=1, hours=1), **HELD)
    subscriber(session, "digest@example.com", IT, delivery="instant", language="en")
    assert build_due_digests(session, at + timedelta(days=1, hours=2)) == 0
    session.commit()
    assert send_pending(db_url, mail_settings, now=at + timedelta(days=1, hours=2)).sent == 2  # digest + new


def test_change_notice_sends_one_update_to_those_who_got_the_call_only(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    subscriber(session, "it@example.com", IT)
    subscriber(session, "build@example.com", BUILDING)
    original = call()
    ingest(session, original, NOW)
    cycle(session, db_url, mail_settings, NOW)
    assert len(smtp.messages) == 1

    later = original.deadline + timedelta(days=14)
    change = change_of(original, deadline=later, lots=[dataclasses.replace(original.lots[0], deadline=later)])
    ingest(session, change, NOW + timedelta(days=1))
    stats, sent = cycle(session, db_url, mail_settings, NOW + timedelta(days=1))
    assert (stats.updates, stats.new, sent.sent) == (1, 0, 1)
    update_msg = smtp.messages[-1]
    assert update_msg["To"].addresses[0].addr_spec == "it@example.com"
    assert "Muutos hankintaan" in update_msg["Subject"]
    assert "Määräaika muuttui" in update_msg.get_body(("plain",)).get_content()
    assert smtp.to("build@example.com") == []

    stats, sent = cycle(session, db_url, mail_settings, NOW + timedelta(days=1, minutes=5))
    assert (stats.updates, sent.claimed, len(smtp.messages)) == (0, 0, 2)


def test_smtp_down_then_up_delivers_every_email_exactly_once(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    for i in range(5):
        subscriber(session, f"c{i}@example.com", IT)
    ingest(session, call(), NOW)
    enqueue_pending(session, NOW, **HELD)
    session.commit()

    smtp.stop()
    sent = send_pending(db_url, mail_settings, now=NOW)
    assert (sent.sent, sent.retrying, sent.failed) == (0, 5, 0)
    session.rollback()  # a new transaction: SQLite (WAL) reads a snapshot
    rows = session.scalars(select(OutboxMessage)).all()
    assert {(r.state, r.failure_kind, r.attempts) for r in rows} == {("pending", "temporary", 1)}
    assert all(r.next_attempt_at == NOW + outbox.backoff(1) for r in rows)
    session.rollback()
    assert send_pending(db_url, mail_settings, now=NOW + timedelta(seconds=30)).claimed == 0  # backing off
    sent = send_pending(db_url, mail_settings, now=NOW + timedelta(minutes=1))  # still down: 2nd failure
    assert sent.retrying == 5
    session.rollback()  # a new transaction: SQLite (WAL) reads a snapshot
    assert {r.next_attempt_at for r in session.scalars(select(OutboxMessage))} == {
        NOW + timedelta(minutes=1) + outbox.backoff(2)
    }
    session.rollback()

    smtp.start()
    sent = send_pending(db_url, mail_settings, now=NOW + timedelta(minutes=3))
    assert (sent.sent, sent.failed) == (5, 0)
    assert sorted(str(m["To"]) for m in smtp.messages) == sorted(f"c{i} <c{i}@example.com>" for i in range(5))
    assert len({m["Message-ID"] for m in smtp.messages}) == 5
    assert send_pending(db_url, mail_settings, now=NOW + timedelta(hours=1)).claimed == 0
    assert len(smtp.messages) == 5


def test_killed_between_send_and_mark_sent_resends_with_the_same_message_id(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber(session, "it@example.com", IT)
    ingest(session, call(), NOW)
    enqueue_pending(session, NOW, **HELD)
    session.commit()

    class Killed(BaseException):
        """Stands for SIGKILL: nothing after the send runs, not even except-clauses."""

    def die(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(outbox, "mark_sent", die)
        with pytest.raises(Killed):
            send_pending(db_url, mail_settings, now=NOW)
    get_sessionmaker(db_url).kw["bind"].dispose()  # the dead process's connections are gone
    assert len(smtp.messages) == 1
    assert states(session) == [("new", "sending", "")]

    # Before the lease runs out another sender leaves it alone; after, it is sent again.
    assert send_pending(db_url, mail_settings, now=NOW + timedelta(minutes=5)).claimed == 0
    sent = send_pending(db_url, mail_settings, now=NOW + outbox.LEASE + timedelta(seconds=1))
    assert sent.sent == 1
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert states(session) == [("new", "sent", "")]


def test_title_with_crlf_and_script_renders_safely(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    subscriber(session, "it@example.com", IT)
    evil = "Tarjous\r\nBcc: victim@example.net\r\n<script>alert('x')</script>"
    rec = call(title=evil)
    rec = dataclasses.replace(
        rec, buyers=[Buyer(name="Kaupunki\nX-Evil: 1 <b>", country="FIN", legal_type="la")]
    )
    ingest(session, rec, NOW)
    cycle(session, db_url, mail_settings, NOW)
    [msg] = smtp.messages
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert smtp.handler.envelopes[0][1] == ["it@example.com"]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html.replace("<b>", "", 0) or "&lt;b&gt;" in html
    assert "&lt;b&gt;" in html


def test_failed_row_is_listed_and_retry_sends_it(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    subscriber(session, "it@example.com", IT)
    ingest(session, call(), NOW)
    enqueue_pending(session, NOW, **HELD)
    session.commit()

    async def refuse(server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        return "550 5.1.1 No such user"

    smtp.handler.handle_RCPT = refuse  # type: ignore[attr-defined]  # aiosmtpd looks hooks up per call
    assert send_pending(db_url, mail_settings, now=NOW).failed == 1
    del smtp.handler.handle_RCPT  # type: ignore[attr-defined]
    assert send_pending(db_url, mail_settings, now=NOW + timedelta(hours=1)).claimed == 0  # final
    session.rollback()
    row = session.scalar(select(OutboxMessage))
    assert (row.state, row.failure_kind, row.next_attempt_at) == ("failed", "permanent", None)
    assert "550" in row.last_error
    outbox.retry(session, row.id, NOW)
    session.commit()
    assert send_pending(db_url, mail_settings, now=NOW).sent == 1
    assert (
        session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent"))
        == 1
    )


def test_branch_contact_receives_its_branchs_calls_only(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    # Branches are the shipped config/branches.yaml, passed as the service would (HELD).
    subscriber(session, "tem@example.org", {"name": "TEM", "branches": ["TEM"]}, kind="branch", branch="TEM")
    subscriber(session, "it@example.com", IT)
    tem = call(publication_number="00700001-2026", title="Yritystukien tietojärjestelmä")
    tem = dataclasses.replace(
        tem, buyers=[Buyer("Työ- ja elinkeinoministeriö", None, "FIN", legal_type="cga")]
    )
    city = call(publication_number="00700002-2026", title="Kaupungin tietojärjestelmä")
    ingest(session, tem, NOW)
    ingest(session, city, NOW)
    cycle(session, db_url, mail_settings, NOW)
    [to_tem] = smtp.to("tem@example.org")
    assert "Yritystukien tietojärjestelmä" in to_tem["Subject"]
    assert "Hallinnonala TEM: Työ- ja elinkeinoministeriö" in to_tem.get_body(("plain",)).get_content()
    assert len(smtp.to("it@example.com")) == 2


def test_eml_files_when_no_smtp_server_is_configured(session: Session, db_url: str, tmp_path) -> None:
    from monitor.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", smtp_host=None)
    subscriber(session, "it@example.com", IT)
    ingest(session, call(), NOW)
    _, sent = cycle(session, db_url, settings, NOW)
    assert sent.sent == 1
    [path] = list(settings.outbox_dir.glob("*.eml"))
    import email
    import email.policy

    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert path.name.startswith("tenderwatch.1.new.") and msg["List-Unsubscribe-Post"]
    assert send_pending(db_url, settings, now=NOW).claimed == 0
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_opt_in_reminder_before_the_deadline_once(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    subscriber(session, "remind@example.com", IT, reminder_days=[7])
    subscriber(session, "plain@example.com", IT)
    rec = call()  # deadline NOW + 30 days
    ingest(session, rec, NOW)
    cycle(session, db_url, mail_settings, NOW)
    assert len(smtp.messages) == 2
    stats, _ = cycle(session, db_url, mail_settings, rec.deadline - timedelta(days=8))
    assert stats.reminders == 0
    stats, sent = cycle(session, db_url, mail_settings, rec.deadline - timedelta(days=6, hours=23))
    assert (stats.reminders, sent.sent) == (1, 1)
    reminder = smtp.messages[-1]
    assert reminder["To"].addresses[0].addr_spec == "remind@example.com"
    assert "Määräaika lähestyy" in reminder["Subject"]
    assert "päättyy 7 päivän kuluttua" in reminder.get_body(("plain",)).get_content()
    stats, sent = cycle(session, db_url, mail_settings, rec.deadline - timedelta(days=5))
    assert (stats.reminders, sent.claimed, len(smtp.messages)) == (0, 0, 3)


def test_label_upgrade_reaches_innovative_only_subscribers(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    from db.models.classification import ClassificationChange, NoticeClassification

    subscriber(session, "inno@example.com", {"name": "Innovaatiot", "innovation": "innovative"})
    notice_pk = ingest(session, call(), NOW)
    session.add(
        NoticeClassification(notice_pk=notice_pk, label="none", score=0, rules_version="v1", result={})
    )
    session.add(
        ClassificationChange(
            notice_pk=notice_pk, old_label=None, new_label="none", new_score=0, rules_version="v1"
        )
    )
    session.commit()
    stats, sent = cycle(session, db_url, mail_settings, NOW)
    assert (stats.new, sent.sent) == (0, 0)

    # The rules change and the classifier now calls the notice innovative.
    cls = session.scalar(select(NoticeClassification))
    cls.label, cls.score, cls.rules_version = "innovative", 6.0, "v2"
    session.add(
        ClassificationChange(
            notice_pk=notice_pk,
            old_label="none",
            new_label="innovative",
            old_score=0,
            new_score=6.0,
            rules_version="v2",
        )
    )
    session.commit()
    stats, sent = cycle(session, db_url, mail_settings, NOW + timedelta(hours=1))
    assert (stats.label_changes, stats.new, sent.sent) == (1, 1, 1)
    assert "Innovatiivinen hankinta" in smtp.messages[0].get_body(("plain",)).get_content()
    stats, sent = cycle(session, db_url, mail_settings, NOW + timedelta(hours=2))
    assert (stats.new, sent.claimed) == (0, 0)


def test_concurrent_senders_deliver_each_email_once(
    session: Session, db_url: str, smtp: SmtpSink, mail_settings
) -> None:
    import threading

    for i in range(30):
        subscriber(session, f"c{i}@example.com", IT)
    ingest(session, call(), NOW)
    enqueue_pending(session, NOW, **HELD)
    session.commit()
    results = []

    def sender() -> None:
        results.append(send_pending(db_url, mail_settings, now=NOW, batch_size=5))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in results) == 30 and sum(r.failed for r in results) == 0
    assert len(smtp.messages) == 30 and len({m["Message-ID"] for m in smtp.messages}) == 30
    assert len(results) == 3 and sum(r.claimed for r in results) == 30  # claims were disjoint
