"""Derived report rows follow the store and the classifier: nothing goes stale."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from db.clock import utcnow
from db.models.notices import Notice
from db.models.reports import ReportProcedure
from db.record import Change, Money
from db.session import session_scope
from db.store import RawDoc, Store
from monitor.reports.facts import refresh_report_procedures
from monitor.reports.figures import build_report
from monitor.reports.periods import Period
from tests.reports import dataset
from tests.reports.dataset import N, P

OCTOBER = Period.month("2026-10")


def _tem(url, branches):
    with session_scope(url) as session:
        return build_report(session, branches, OCTOBER).area("TEM")


def test_new_labels_and_new_notices_reach_the_next_report(db_url, branches) -> None:
    specs = [
        P("tem", [N("call", date(2026, 10, 2), "none", 10_000.0)]),
        P("tem", [N("call", date(2026, 10, 3), "possible", None)]),
    ]
    with session_scope(db_url) as session:
        dataset.ingest(session, specs)
    before = _tem(db_url, branches)
    assert (before.calls, before.innovative, before.possible, before.value_known) == (2, 0, 1, 1)

    # The classifier re-ran with new rules: the first call is now innovative.
    with session_scope(db_url) as session:
        notice_pk = session.scalar(select(Notice.id).where(Notice.procedure_pk == specs[0].pk))
        dataset.classify(session, notice_pk, specs[0].pk, "innovative", old="none")
    after = _tem(db_url, branches)
    assert (after.calls, after.innovative, after.innovative_value_eur) == (2, 1, pytest.approx(10_000.0))

    # A change notice gives the second call a value: the store folds it into the procedure and
    # bumps it; the report row follows.
    with session_scope(db_url) as session:
        call = session.scalars(select(Notice).where(Notice.procedure_pk == specs[1].pk)).one()
        record = call.to_record()
        change = dataclasses.replace(
            record,
            notice_id=str(uuid.uuid4()),
            publication_number="00999999-2026",
            publication_date=date(2026, 11, 9),
            estimated_value=Money(7.0, "EUR"),
            changes=Change(f"{record.notice_id}-01", ["update-add"]),
        )
        raw = RawDoc("ted", "00999999-2026", None, change.to_json().encode(), utcnow())
        assert Store(session).ingest(change, raw).procedure_pk == specs[1].pk
    again = _tem(db_url, branches)
    assert (again.calls, again.value_known, again.value_eur) == (2, 2, pytest.approx(10_007.0))
    assert again.notices == 3


def test_refresh_is_a_no_op_when_nothing_changed(db_url, branches) -> None:
    with session_scope(db_url) as session:
        dataset.ingest(session, [P("tampere", [N("call", date(2026, 10, 2), "none", 1.0)])])
    with session_scope(db_url) as session:
        assert refresh_report_procedures(session, branches).derived == 1
    with session_scope(db_url) as session:
        assert refresh_report_procedures(session, branches).derived == 0
        assert refresh_report_procedures(session, branches, full=True).derived == 1
        assert session.scalar(select(func.count()).select_from(ReportProcedure)) == 1


def test_two_processes_refreshing_at_once_both_succeed(db_url, branches) -> None:
    """The service's processing step and a CLI report may derive the same rows concurrently."""
    import threading

    from db.session import get_sessionmaker

    with session_scope(db_url) as session:
        dataset.ingest(session, [P("tem", [N("call", date(2026, 10, d), "none", 1.0)]) for d in range(1, 6)])
    maker = get_sessionmaker(db_url)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with maker() as s, s.begin():
                refresh_report_procedures(s, branches, full=True)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    with maker() as first, first.begin():
        assert refresh_report_procedures(first, branches, full=True).derived == 5
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)  # the second waits for the first's locks (or SQLite's write lock)
    thread.join(30)
    assert not thread.is_alive() and not errors, errors
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(ReportProcedure)) == 5
