"""Two processes classifying and enqueueing at once on PostgreSQL take turns (issue #13, point 3).

Each test holds the first step's transaction open, starts the same step in a second session
on another thread (as a second ``run --once`` would), lets it run into the first, then
commits the first. Before the fix the second failed with a UniqueViolation (classification)
or a primary-key violation (``alert_source_done``); now it waits, then finds nothing to do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from db.models.alerts import AlertSourceDone, OutboxMessage
from db.models.classification import ClassificationChange, NoticeClassification
from db.session import get_sessionmaker, session_scope
from monitor.alerts.enqueue import enqueue_pending
from monitor.classify import Rules
from monitor.classify.service import classify_pending
from monitor.subscribers import SubscriberSpec, upsert
from tests.alerts.conftest import HELD
from tests.classify.test_service import NOW, _ingest, _notice

WAIT = 1.0
"""How long the second step gets to run into the first one's open transaction."""


def _second(url: str, step: Callable[[Any], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with session_scope(url) as session:
                outcome["result"] = step(session)
        except Exception as exc:  # the failure the test looks for
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _count(url: str, model: type) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_two_classifiers_at_once_take_turns(pg_url: str, rules: Rules) -> None:
    _ingest(pg_url, _notice("00000001-2026", "Innovatiivinen hankinta"), _notice("00000002-2026", "Siivous"))
    with get_sessionmaker(pg_url)() as first:
        assert len(classify_pending(first, rules)) == 2  # inserted, not committed yet
        thread, outcome = _second(pg_url, lambda s: classify_pending(s, rules))
        thread.join(WAIT)
        assert thread.is_alive()  # waiting for the first, not failing
        first.commit()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"] == []  # nothing left: every notice was classified once
    assert _count(pg_url, NoticeClassification) == 2
    assert _count(pg_url, ClassificationChange) == 2  # no label change recorded twice


def test_two_enqueuers_at_once_take_turns(pg_url: str, rules: Rules) -> None:
    _ingest(pg_url, _notice("00000003-2026", "Tietojärjestelmä", cpv="72000000"))
    with session_scope(pg_url) as session:
        upsert(
            session,
            SubscriberSpec(email="it@example.org", subscriptions=[{"name": "it", "cpv": ["72000000"]}]),
        )
        classify_pending(session, rules)
    with get_sessionmaker(pg_url)() as first:
        assert enqueue_pending(first, NOW, **HELD).new == 1
        thread, outcome = _second(pg_url, lambda s: enqueue_pending(s, NOW, **HELD))
        thread.join(WAIT)
        first.commit()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].new == 0 and outcome["result"].notices == 0
    assert _count(pg_url, OutboxMessage) == 1
    assert _count(pg_url, AlertSourceDone) == 1 + _count(pg_url, ClassificationChange)
