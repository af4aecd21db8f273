"""Unsubscribe tokens: ``<subscriber id>.<HMAC>``, so a link works without a login and cannot be forged.

The HMAC covers the subscriber id and email under ``settings.secret_key``: a token for one
person cannot be edited into another's, and a token stops working if the address changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from db.models.alerts import Subscriber


class InvalidToken(ValueError):
    """The token is malformed, unknown or its signature does not match."""


def _sig(secret: str, subscriber_id: int, email: str) -> str:
    mac = hmac.new(secret.encode(), f"unsubscribe:{subscriber_id}:{email}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")


def make_token(secret: str, subscriber_id: int, email: str) -> str:
    return f"{subscriber_id}.{_sig(secret, subscriber_id, email)}"


def verify_token(session: Session, secret: str, token: str) -> Subscriber:
    """The subscriber the token belongs to; :class:`InvalidToken` otherwise."""
    sid_text, _, sig = token.strip().partition(".")
    if not sid_text.isdigit() or not sig:
        raise InvalidToken("malformed unsubscribe token")
    sub = session.get(Subscriber, int(sid_text))
    if sub is None or not hmac.compare_digest(sig, _sig(secret, sub.id, sub.email)):
        raise InvalidToken("unknown or forged unsubscribe token")
    return sub
