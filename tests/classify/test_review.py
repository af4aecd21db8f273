"""The review queue's sample, the feedback tokens, judgements and the poor-keyword rule (issue #15,
point 3), below the web pages (``tests/web/test_admin_review.py`` drives those)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import delete, literal, select

from db.models.alerts import Subscriber
from db.models.review import ReaderFeedback, ReviewVerdict
from db.session import get_sessionmaker
from monitor.alerts.tokens import (
    InvalidToken,
    make_feedback_token,
    make_token,
    verify_feedback_token,
)
from monitor.classify import quality
from monitor.classify.judgements import UnknownNotice, record_answer, record_verdict
from monitor.classify.review_queue import SAMPLE_PER_MILLE, in_sample, sample_clause
from tests.alerts.conftest import ingest
from tests.db.records import call

IDS = 20_000


def test_the_sample_is_the_same_in_python_and_in_sql(db_url: str) -> None:
    """The queue's SQL picks exactly the notices ``in_sample`` names, at about the stated rate, and
    not every n-th id (which would follow the crawl's order)."""
    numbers = select(literal(1).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < IDS))
    with get_sessionmaker(db_url)() as s:
        for label in ("innovative", "none"):
            picked = set(s.scalars(select(numbers.c.n).where(sample_clause(label, numbers.c.n))).all())
            assert picked == {i for i in range(1, IDS + 1) if in_sample(i, label)}, label
            rate = SAMPLE_PER_MILLE[label] / 1000
            assert abs(len(picked) / IDS - rate) < rate * 0.25, (label, len(picked))
            gaps = {b - a for a, b in zip(sorted(picked), sorted(picked)[1:], strict=False)}
            assert len(gaps) > 1, gaps  # not a fixed stride (three gap sizes: the three-gap theorem)
    assert all(in_sample(i, "possible") for i in range(1, 100))


def add_subscriber(s: object, email: str, now: datetime) -> Subscriber:
    sub = Subscriber(email=email, language="fi", created_at=now, updated_at=now)
    s.add(sub)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return sub


def test_feedback_tokens_name_one_reader_and_one_notice(db_url: str, now: datetime) -> None:
    with get_sessionmaker(db_url).begin() as s:
        a = add_subscriber(s, "a@example.com", now)
        b = add_subscriber(s, "b@example.com", now)
        token = make_feedback_token("k", a.id, a.email, 42)
        sub, notice = verify_feedback_token(s, "k", token)
        assert (sub.id, notice) == (a.id, 42)
        signed = token.split(".", 1)[1]
        bad = [
            token[:-2] + ("xx" if not token.endswith("xx") else "yy"),  # altered signature
            f"{b.id}.{signed}",  # moved to another reader
            make_feedback_token("other-key", a.id, a.email, 42),  # another site's key
            make_token("k", a.id, a.email, [42]),  # an unsubscribe token is no feedback token
            "12x.abc",
            "",
        ]
        for t in bad:
            with pytest.raises(InvalidToken):
                verify_feedback_token(s, "k", t)


def test_one_current_judgement_each_and_a_deleted_reader_leaves_an_anonymous_answer(
    db_url: str, now: datetime
) -> None:
    with get_sessionmaker(db_url)() as s:
        notice_pk = ingest(s, call(), now)
    with get_sessionmaker(db_url).begin() as s:
        reader = add_subscriber(s, "r@example.com", now)
        reader_id = reader.id
        assert record_answer(s, reader_id, notice_pk, "relevant", now).old is None
        change = record_answer(s, reader_id, notice_pk, "not_relevant", now)
        assert (change.old, change.new) == ("relevant", "not_relevant")
        assert record_verdict(s, notice_pk, "innovative", "admin@example.org", now).old is None
        change = record_verdict(s, notice_pk, "not_innovative", "admin@example.org", now)
        assert (change.old, change.new) == ("innovative", "not_innovative")
        again = record_verdict(s, notice_pk, "not_innovative", "other@example.org", now)
        assert (again.old, again.new) == ("not_innovative", "not_innovative")
        (kept,) = s.scalars(select(ReviewVerdict)).all()
        assert (kept.verdict, kept.reviewer) == ("not_innovative", "admin@example.org")
        with pytest.raises(UnknownNotice):
            record_verdict(s, notice_pk + 1000, "innovative", "admin@example.org", now)
        with pytest.raises(ValueError, match="verdict must be"):
            record_verdict(s, notice_pk, "maybe", "admin@example.org", now)
    with get_sessionmaker(db_url).begin() as s:
        rows = s.scalars(select(ReaderFeedback)).all()
        assert [(r.subscriber_id, r.relevant) for r in rows] == [(reader_id, False)]
        s.execute(delete(Subscriber).where(Subscriber.id == reader_id))
    with get_sessionmaker(db_url)() as s:
        rows = s.scalars(select(ReaderFeedback)).all()
        assert [(r.subscriber_id, r.relevant, r.notice_pk) for r in rows] == [(None, False, notice_pk)]


def test_a_keyword_is_poor_below_half_with_five_judgements_or_more() -> None:
    def figures(yes: int, no: int, clicks: tuple[int, int] = (0, 0)) -> quality.Figures:
        f = quality.Figures(quality.Key("pilot_trial", "pilotti", "fin"), "text")
        f.verdicts = {i: i < yes for i in range(yes + no)}
        f.clicks = [(i, i < clicks[0]) for i in range(sum(clicks))]
        return f

    assert figures(2, 3).poor  # 40 % of 5
    assert not figures(0, 4).poor  # 0 % of 4: too few to tell
    assert not figures(3, 2).poor  # 60 % of 5
    assert not figures(5, 5).poor  # exactly half is not below half
    assert figures(5, 0, clicks=(1, 5)).poor  # readers disagree, on 6 answers
    assert quality.POOR_PRECISION == 0.5 and quality.POOR_MIN_JUDGEMENTS == 5


def test_keys_count_a_rule_and_its_word_once_per_notice() -> None:
    reasons = [
        {"signal_id": "pilot_trial", "kind": "text", "matched": "Pilotti", "lang": "fin"},
        {"signal_id": "proc_innovation_partnership", "kind": "structured", "matched": "innovation"},
    ]
    assert quality.keys_of(reasons) == {
        quality.Key("pilot_trial"): "text",
        quality.Key("pilot_trial", "pilotti", "fin"): "text",
        quality.Key("proc_innovation_partnership"): "structured",
    }


def test_two_answers_at_the_same_moment_leave_one_row(db_url: str, now: datetime) -> None:
    """A double click: two transactions answer for one reader and notice at once. Without the
    judgements' turn-taking, PostgreSQL's second insert failed on the unique key."""
    with get_sessionmaker(db_url)() as s:
        notice_pk = ingest(s, call(), now)
    with get_sessionmaker(db_url).begin() as s:
        reader_id = add_subscriber(s, "r@example.com", now).id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(value: str) -> None:
        barrier.wait()
        try:
            with get_sessionmaker(db_url).begin() as s:
                record_answer(s, reader_id, notice_pk, value, now)
            outcomes.append("saved")
        except Exception as exc:  # the assertion below shows what went wrong
            outcomes.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=answer, args=(v,)) for v in ("relevant", "not_relevant")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == ["saved", "saved"]
    with get_sessionmaker(db_url)() as s:
        assert len(s.scalars(select(ReaderFeedback)).all()) == 1
