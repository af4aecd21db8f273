"""What an email says, frozen into the outbox row when it is enqueued.

Freezing it (rather than re-reading the store at send time) means a retry, hours later,
sends exactly the email that was first attempted, and a digest lists items as they were
when they matched. A later change reaches the subscriber as its own ``update``.
"""

from __future__ import annotations

from typing import Any

from db.record import NoticeRecord
from monitor.matching.facts import LANG3, NoticeFacts
from monitor.matching.index import Match

SUMMARY_CHARS = 600


def ted_url(site: str, publication_number: str | None) -> str | None:
    """TED's public page of a notice; TED writes the number without leading zeros."""
    if not publication_number:
        return None
    num, _, year = publication_number.partition("-")
    return f"{site.rstrip('/')}/en/notice/-/detail/{num.lstrip('0') or '0'}-{year}"


def notice_summary(record: NoticeRecord, links: list[dict[str, str]] | None = None) -> dict[str, Any]:
    documents = [record.documents_url] if record.documents_url else []
    for lot in record.lots:
        if lot.documents_url and lot.documents_url not in documents:
            documents.append(lot.documents_url)
    descriptions = {k: _shorten(v) for k, v in (record.description or {}).items() if v}
    buyer = record.buyers[0] if record.buyers else None
    return {
        "title": dict(record.title or {}),
        "description": descriptions,
        "language": record.language,
        "buyer": buyer.name if buyer else None,
        "buyer_city": buyer.city if buyer else None,
        "buyer_country": buyer.country if buyer else None,
        "deadline": record.deadline.isoformat() if record.deadline else None,
        "value": (
            {"amount": record.estimated_value.amount, "currency": record.estimated_value.currency}
            if record.estimated_value
            else None
        ),
        "cpv": [c[:8] for c in record.all_cpv],
        "nuts": record.all_nuts,
        "publication_number": record.publication_number,
        "publication_date": record.publication_date.isoformat() if record.publication_date else None,
        "form_type": record.form_type,
        "links": links or [],
        "documents": documents[:5],
    }


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def match_payload(facts: NoticeFacts, matches: list[Match], links: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "notice": notice_summary(facts.record, links),
        "innovation": {
            "label": facts.innovation,
            "score": facts.innovation_score,
            "reasons": facts.innovation_reasons[:8],
        },
        "matches": [
            {"subscription_id": m.subscription_id, "subscription": m.subscription_name, "reasons": m.reasons}
            for m in matches
        ],
    }


def pick_text(texts: dict[str, str], lang: str, notice_lang: str | None = None) -> str:
    """The subscriber's language (fi/sv/en) first, then the notice's, then English, then any."""
    if not texts:
        return ""
    for key in (LANG3.get(lang, lang), *[k for k, v in LANG3.items() if v == lang], notice_lang, "eng"):
        if key and key in texts:
            return texts[key]
    return next(iter(texts.values()))
