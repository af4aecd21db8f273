"""Sign-in by email link: single-use, 30-minute tokens of which only a hash is stored.

The link opens a page with a button, and only the POST signs in: a mail scanner that follows
links uses up nothing. The token is 32 random bytes (``secrets``); its sha256 is what the
database keeps, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber
from db.models.web import SigninToken
from db.store_sql import rowcount
from monitor.alerts.mailer import transport_for
from monitor.settings import Settings
from monitor.web import i18n

LIFETIME = timedelta(minutes=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, email: str, now: datetime) -> str:
    """A new token for ``email``; the caller mails the link and forgets the token."""
    token = secrets.token_urlsafe(32)
    session.add(
        SigninToken(token_hash=token_hash(token), email=email, created_at=now, expires_at=now + LIFETIME)
    )
    session.flush()
    return token


def peek(session: Session, token: str, now: datetime) -> str | None:
    """The address a still-usable token belongs to (for the confirm page); None otherwise."""
    row = session.scalar(select(SigninToken).where(SigninToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row.email


def consume(session: Session, token: str, now: datetime) -> str | None:
    """Use the token up (one conditional UPDATE: of two racing POSTs one wins); its address or None."""
    h = token_hash(token)
    used = rowcount(
        session.execute(
            update(SigninToken)
            .where(SigninToken.token_hash == h, SigninToken.used_at.is_(None), SigninToken.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if used != 1:
        return None
    return session.scalar(select(SigninToken.email).where(SigninToken.token_hash == h))


def subscriber_for(session: Session, email: str, lang: str, now: datetime) -> Subscriber:
    """The subscriber of ``email``, created on a first sign-in (mail in the page's language)."""
    sub = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if sub is None:
        sub = Subscriber(
            email=email, language=lang if lang in i18n.LANGS else "fi", created_at=now, updated_at=now
        )
        session.add(sub)
        session.flush()
    return sub


def send_link(settings: Settings, email: str, link: str, lang: str, now: datetime, note: str = "") -> None:
    """Mail the link now (SMTP, or an .eml file without a server); runs after the answer is sent.

    ``note``: a paragraph before the usual text, e.g. why an admin invited this person.
    """
    t = i18n.strings(lang)
    msg = EmailMessage()
    _, from_addr = parseaddr(settings.mail_from)
    msg["From"] = settings.mail_from
    msg["To"] = email
    msg["Subject"] = t["mail_signin_subject"]
    msg["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or "localhost")
    msg["Date"] = format_datetime(now)
    msg["Auto-Submitted"] = "auto-generated"
    intro = f"{note}\n\n" if note else ""
    msg.set_content(f"{intro}{t['mail_signin_body']}\n\n{link}\n\n{t['mail_signin_ignore']}\n")
    transport = transport_for(settings)
    transport.open()
    try:
        transport.send(msg)
    finally:
        transport.close()
