"""Unsubscribe tokens: ``<subscriber id>.<itsdangerous-signed list of subscription ids>``.

Each alert's ``List-Unsubscribe`` link names the subscriptions that matched it, so the
one-click POST (RFC 8058) ends exactly that mail; a token naming no subscription (the monthly
branch report) ends the subscriber's mail. Signing is itsdangerous's (HMAC-SHA1 over a derived
key); the salt carries the subscriber's id and address, so a token cannot be moved to another
person, and it stops working if the subscriber is deleted and the id reused by someone else.

The old hand-written ``<id>.<truncated HMAC>`` tokens are not accepted any more: most were signed
with the former public default key, and honouring them would let anyone unsubscribe anyone.
"""

from __future__ import annotations

from collections.abc import Iterable

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber

SALT = "tenderwatch.unsubscribe.v2"
FEEDBACK_SALT = "tenderwatch.feedback.v1"
"""Another salt for the reader-feedback links: an unsubscribe token is never a feedback token."""


class InvalidToken(ValueError):
    """The token is malformed, unknown, altered or forged."""


def _serializer(secret: str, subscriber_id: int, email: str, salt: str = SALT) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"{salt}:{subscriber_id}:{email}")


def make_token(secret: str, subscriber_id: int, email: str, subscription_ids: Iterable[int] = ()) -> str:
    ids = sorted({int(i) for i in subscription_ids})
    return f"{subscriber_id}.{_serializer(secret, subscriber_id, email).dumps(ids)}"


def verify_token(session: Session, secret: str, token: str) -> tuple[Subscriber, list[int]]:
    """The subscriber and the subscription ids the token names; :class:`InvalidToken` otherwise."""
    sid_text, _, signed = token.strip().partition(".")
    if not sid_text.isdigit() or not signed or len(token) > 500:
        raise InvalidToken("malformed unsubscribe token")
    sub = session.get(Subscriber, int(sid_text))
    if sub is None:
        raise InvalidToken("unknown or forged unsubscribe token")
    try:
        ids = _serializer(secret, sub.id, sub.email).loads(signed)
    except BadSignature:
        raise InvalidToken("unknown or forged unsubscribe token") from None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise InvalidToken("malformed unsubscribe token")
    return sub, ids


def make_feedback_token(secret: str, subscriber_id: int, email: str, notice_pk: int) -> str:
    """``<subscriber id>.<signed notice id>``: the "relevant" / "not relevant" links of one notice in
    one subscriber's email (the answer itself is in the URL's query and the page's form, unsigned:
    the reader may change it on the page anyway)."""
    return f"{subscriber_id}.{_serializer(secret, subscriber_id, email, FEEDBACK_SALT).dumps(int(notice_pk))}"


def verify_feedback_token(session: Session, secret: str, token: str) -> tuple[Subscriber, int]:
    """The subscriber and the notice id a feedback token names; :class:`InvalidToken` otherwise."""
    sid_text, _, signed = token.strip().partition(".")
    if not sid_text.isdigit() or not signed or len(token) > 200:
        raise InvalidToken("malformed feedback token")
    sub = session.get(Subscriber, int(sid_text))
    if sub is None:
        raise InvalidToken("unknown or forged feedback token")
    try:
        notice_pk = _serializer(secret, sub.id, sub.email, FEEDBACK_SALT).loads(signed)
    except BadSignature:
        raise InvalidToken("unknown or forged feedback token") from None
    if not isinstance(notice_pk, int) or isinstance(notice_pk, bool):
        raise InvalidToken("malformed feedback token")
    return sub, notice_pk
