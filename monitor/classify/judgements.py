"""Recording the two kinds of judgement on a notice's innovation label (issue #15, point 3).

An admin's **verdict** from the review queue (innovative / not innovative) and a reader's
**answer** from an alert email's signed links (relevant / not relevant). Each is one current row:
a second judgement of the same notice (by the same reader) replaces the first. Both note the
label the notice had then, so a later rules change does not rewrite what was being judged.
Callers commit; the web writes its audit row in the same transaction.

Two judgements of one notice at the same moment (a double click on PostgreSQL, where the web's
writes run side by side) would both find no row and both insert it; the second would fail on the
unique key. Judgements therefore take turns (``db.locks.serialize``): they are a person's clicks,
few enough that one queue costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.locks import serialize
from db.models.classification import NoticeClassification
from db.models.notices import Notice
from db.models.review import VERDICTS, ReaderFeedback, ReviewVerdict

ANSWERS = {"relevant": True, "not_relevant": False}
"""A reader's answer as the links and the page's form spell it → ``ReaderFeedback.relevant``."""


class UnknownNotice(LookupError):
    """The notice is not in the store (any more)."""


@dataclass(frozen=True)
class Change:
    """What a judgement changed: the old value (None: the first) and the new."""

    old: str | None
    new: str


def _label_of(session: Session, notice_pk: int) -> tuple[str | None, float | None]:
    row = session.execute(
        select(NoticeClassification.label, NoticeClassification.score).where(
            NoticeClassification.notice_pk == notice_pk
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


def record_verdict(session: Session, notice_pk: int, verdict: str, reviewer: str, now: datetime) -> Change:
    """The notice's one current verdict becomes ``verdict`` (``VERDICTS``); the same one again
    changes nothing (``Change.old == Change.new``), so the caller writes no audit row."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    serialize(session, "judgement")  # see the module docstring
    if session.get(Notice, notice_pk) is None:
        raise UnknownNotice(notice_pk)
    label, score = _label_of(session, notice_pk)
    row = session.scalar(select(ReviewVerdict).where(ReviewVerdict.notice_pk == notice_pk))
    old = row.verdict if row is not None else None
    if old == verdict:  # the same verdict again: the first one stands, with its reviewer and time
        return Change(old, verdict)
    if row is None:
        row = ReviewVerdict(notice_pk=notice_pk)
        session.add(row)
    row.verdict, row.reviewer, row.decided_at = verdict, reviewer, now
    row.label_then, row.score_then = label, score
    session.flush()
    return Change(old, verdict)


def record_answer(session: Session, subscriber_id: int, notice_pk: int, answer: str, now: datetime) -> Change:
    """The reader's one current answer on the notice becomes ``answer`` (a key of ``ANSWERS``)."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
    serialize(session, "judgement")  # see the module docstring
    if session.get(Notice, notice_pk) is None:
        raise UnknownNotice(notice_pk)
    row = session.scalar(
        select(ReaderFeedback).where(
            ReaderFeedback.subscriber_id == subscriber_id, ReaderFeedback.notice_pk == notice_pk
        )
    )
    old = None if row is None else ("relevant" if row.relevant else "not_relevant")
    if row is None:
        row = ReaderFeedback(subscriber_id=subscriber_id, notice_pk=notice_pk)
        session.add(row)
    row.relevant, row.answered_at = ANSWERS[answer], now
    row.label_then = _label_of(session, notice_pk)[0]
    session.flush()
    return Change(old, answer)
