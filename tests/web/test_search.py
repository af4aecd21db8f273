"""Search finds words as the classifier's matcher does (inflections, compound heads and starts),
combines them with filters, and the preview agrees with the service's matching."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db.record import Buyer
from monitor.matching import SubscriptionFilters
from monitor.search.indexer import index_pending
from monitor.search.query import SearchQuery, search
from monitor.web.preview import preview
from tests.alerts.conftest import ingest
from tests.db.records import call

TEXTS = {
    "00740001-2026": ("Tekoälypilotin hankinta", "Pilotoidaan tekoälyä asiakaspalvelussa."),
    "00740002-2026": ("Tieolosuhteiden ennakointi", "Ennustetaan tieolosuhteet ja liukkaus."),
    "00740003-2026": ("Koulujen siivous", "Ylläpitosiivous kouluille."),
    "00740004-2026": ("Digital tvilling för energinätet", "Staden upphandlar en digital tvilling."),
}


def stored(session: Session, now: datetime) -> dict[str, int]:
    pks = {}
    for i, (number, (title, description)) in enumerate(TEXTS.items()):
        lang = "swe" if "tvilling" in title else "fin"
        rec = dataclasses.replace(
            call(
                publication_number=number,
                publication_date=now.date() - timedelta(days=i),
                deadline=now + timedelta(days=9),
            ),
            title={lang: title},
            description={lang: description},
            language=lang,
            cpv_main="90910000" if "siivous" in title else "72212000",
            buyers=[
                Buyer(
                    name="Tampereen kaupunki" if i == 2 else "Helsingin kaupunki", org_id=None, country="FIN"
                )
            ],
        )
        pks[number] = ingest(session, rec, now)
    assert index_pending(session) == len(TEXTS)
    session.commit()
    return pks


def numbers(session: Session, q: SearchQuery, now: datetime) -> list[str]:
    return [r.notice.publication_number for r in search(session, q, now).rows]


def test_words_are_found_inflected_and_inside_compounds(session: Session, now: datetime) -> None:
    stored(session, now)
    assert numbers(session, SearchQuery(words="tekoäly"), now) == [
        "00740001-2026"
    ]  # tekoälypilotin, tekoälyä
    assert numbers(session, SearchQuery(words="pilotti"), now) == ["00740001-2026"]  # head of tekoälypilotin
    assert numbers(session, SearchQuery(words="olosuhde"), now) == ["00740002-2026"]  # tieolosuhteet
    assert numbers(session, SearchQuery(words="tvilling"), now) == ["00740004-2026"]  # Swedish, inflected
    assert numbers(session, SearchQuery(words='"digital tvilling" energinät'), now) == ["00740004-2026"]
    assert numbers(session, SearchQuery(words="siivo*"), now) == ["00740003-2026"]
    assert numbers(session, SearchQuery(words="tekoäly siivous"), now) == []  # every word must occur
    assert numbers(session, SearchQuery(words="ai"), now) == []  # short words are whole forms only


def test_filters_sort_and_count(session: Session, now: datetime) -> None:
    stored(session, now)
    assert numbers(session, SearchQuery(cpv=["90000000"]), now) == ["00740003-2026"]
    assert numbers(session, SearchQuery(buyer="tampere"), now) == ["00740003-2026"]
    assert numbers(session, SearchQuery(country="FIN"), now) == list(TEXTS)  # newest first
    day = now.date() - timedelta(days=1)
    assert numbers(session, SearchQuery(published_from=day, published_to=day), now) == ["00740002-2026"]
    page = search(session, SearchQuery(per_page=3), now)
    assert page.total == 4 and page.has_next and len(page.rows) == 3


def test_preview_matches_as_the_service_does(session: Session, now: datetime) -> None:
    stored(session, now)
    got = preview(session, SubscriptionFilters(keywords=["tekoäly", "tvilling"]), None, now)
    assert sorted(h.notice.publication_number for h in got.hits) == ["00740001-2026", "00740004-2026"]
    assert got.matched == 2
    reasons = {r["matched"] for h in got.hits for r in h.reasons if r["filter"] == "keyword"}
    assert {"Tekoälypilotin", "tvilling"} <= reasons
    excluded = preview(
        session, SubscriptionFilters(keywords=["tekoäly"], exclude=["asiakaspalvelu"]), None, now
    )
    assert excluded.hits == []
    by_cpv = preview(session, SubscriptionFilters(cpv=["72000000"]), None, now)
    assert by_cpv.matched == 3
