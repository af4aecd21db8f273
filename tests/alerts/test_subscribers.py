"""Subscribers: import (YAML, CSV) idempotent by email, export round trip, bad input refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber, Subscription
from monitor.appconfig import ConfigError
from monitor.subscribers import disable, export_all, sync_from_config
from monitor.subscribers.files import dump_csv, dump_yaml, read_file

REPO = Path(__file__).resolve().parents[2]


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Subscriber)),
        session.scalar(select(func.count()).select_from(Subscription)),
    )


def test_example_file_imports_idempotently_and_round_trips(session: Session, tmp_path: Path) -> None:
    data = read_file(REPO / "config" / "subscribers.yaml")
    first = sync_from_config(session, data)
    assert len(first.created) == len(data.subscribers) >= 6
    before = counts(session)
    again = sync_from_config(session, data)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == len(data.subscribers)
    assert counts(session) == before

    for name, dump in (("out.yaml", dump_yaml), ("out.csv", dump_csv)):
        path = tmp_path / name
        path.write_text(dump(export_all(session)), encoding="utf-8")
        assert read_file(path) == export_all(session), name
        assert len(sync_from_config(session, read_file(path)).unchanged) == len(data.subscribers)


def test_csv_import_updates_in_place_and_removes_dropped_subscriptions(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(
        "email,name,language,delivery,digest_hour,subscription,cpv,keywords\n"
        "Sales@Example.com,Firma Oy,fi,daily,8,IT,72000000;48000000,\n"
        "sales@example.com,,,,,Tekoäly,,tekoäly;artificial intelligence\n",
        encoding="utf-8",
    )
    sync_from_config(session, read_file(path))
    sub = session.scalar(select(Subscriber))
    assert (sub.email, sub.delivery, sub.digest_hour) == ("sales@example.com", "daily", 8)
    assert {s.name: s.filters["cpv"] or s.filters["keywords"] for s in sub.subscriptions} == {
        "IT": ["72000000", "48000000"],
        "Tekoäly": ["tekoäly", "artificial intelligence"],
    }
    path.write_text("email,subscription,cpv\nsales@example.com,IT,72000000\n", encoding="utf-8")
    stats = sync_from_config(session, read_file(path))
    assert stats.updated == ["sales@example.com"]
    session.refresh(sub)
    assert [(s.name, s.filters["cpv"]) for s in sub.subscriptions] == [("IT", ["72000000"])]
    assert counts(session) == (1, 1)


def test_a_bad_row_refuses_the_whole_file_naming_the_line(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(
        "email,subscription,cpv\nok@example.com,IT,72000000\nbad@example.com,IT,7200\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        read_file(path)
    assert err.value.problems[0].line == 3 and "CPV" in err.value.problems[0].message
    assert counts(session) == (0, 0)
    path = tmp_path / "subs.yaml"
    path.write_text("subscribers:\n  - email: x@example.com\n    langauge: fi\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_file(path)
    assert err.value.problems[0].line == 3 and "langauge" in err.value.problems[0].message


def test_unsubscribed_stays_unsubscribed_after_a_reimport(session: Session) -> None:
    data = read_file(REPO / "config" / "subscribers.yaml")
    sync_from_config(session, data)
    email = data.subscribers[0].email
    disable(session, email, unsubscribed=True)
    sync_from_config(session, data)
    sub = session.scalar(select(Subscriber).where(Subscriber.email == email))
    assert sub.enabled is False and sub.unsubscribed_at is not None


def test_a_branch_contact_without_subscriptions_watches_its_branch() -> None:
    from monitor.subscribers.config import SubscriberSpec

    spec = SubscriberSpec(email="stm@example.org", kind="branch", branch="STM")
    assert [(s.name, s.branches) for s in spec.subscriptions] == [("STM", ["STM"])]
    with pytest.raises(ValueError, match="needs 'branch'"):
        SubscriberSpec(email="x@example.org", kind="branch")
