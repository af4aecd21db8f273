"""Delivering built emails: SMTP (one connection per batch) or ``.eml`` files when no server is set.

Errors are sorted into two kinds, because they call for different handling by the sender:
:class:`ConnectionLost` (the server is unreachable or dropped us: stop the batch, retry
everything later) and :class:`MessageRejected` (this one message was refused: fail it, carry on).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import smtplib
import ssl
import tempfile
from email.message import Message
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol

from monitor.settings import Settings


class ConnectionLost(Exception):
    """The mail server cannot be reached or the connection broke."""


class MessageRejected(Exception):
    """The server refused this message (a bad recipient, a policy rejection)."""


class Transport(Protocol):
    def open(self) -> None: ...
    def send(self, msg: Message) -> None: ...
    def close(self) -> None: ...


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.s = settings
        self.conn: smtplib.SMTP | None = None

    def open(self) -> None:
        s = self.s
        host = s.smtp_host or ""  # checked in __init__: a Mailer exists only when a host is set
        try:
            if s.smtp_security == "tls":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, s.smtp_port, timeout=s.smtp_timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(host, s.smtp_port, timeout=s.smtp_timeout)
                if s.smtp_security == "starttls":
                    conn.ehlo()
                    if conn.has_extn("starttls"):
                        conn.starttls(context=ssl.create_default_context())
                        conn.ehlo()
                    elif not _is_loopback(s.smtp_host or ""):
                        # Never fall back to clear text across a network: say how to allow it.
                        conn.close()
                        raise ConnectionLost(
                            f"{s.smtp_host} does not offer STARTTLS; set TENDERWATCH_SMTP_SECURITY=none "
                            "to send without encryption"
                        )
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                conn.login(s.smtp_user, password)
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        self.conn = conn

    def send(self, msg: Message) -> None:
        if self.conn is None:
            raise ConnectionLost("not connected")
        # sendmail with the bytes flattened once: send_message would copy and re-fold every header.
        sender = parseaddr(str(msg["From"]))[1]
        recipients = [addr for _, addr in getaddresses([str(v) for v in msg.get_all("To", [])]) if addr]
        try:
            # CRLF line ends: smtplib sends bytes as given, and SMTP lines end in CRLF.
            refused = self.conn.sendmail(
                sender, recipients, msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
            )
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if getattr(exc, "smtp_code", 500) >= 500 or isinstance(exc, smtplib.SMTPRecipientsRefused):
                raise MessageRejected(str(exc)) from exc
            raise ConnectionLost(str(exc)) from exc  # 4xx: temporary, try the batch again later
        except (OSError, smtplib.SMTPException) as exc:
            self.conn = None
            raise ConnectionLost(str(exc)) from exc
        if refused:
            raise MessageRejected(f"recipients refused: {refused}")

    def close(self) -> None:
        if self.conn is not None:
            # The messages are already accepted; a failing QUIT changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self.conn = None


class EmlTransport:
    """Writes each email to ``outbox_dir/<message-id>.eml``: same Message-ID, same file."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def send(self, msg: Message) -> None:
        name = eml_name(str(msg["Message-ID"]))
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, self.dir / name)  # atomic: a reader never sees half an email
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ConnectionLost(f"cannot write to {self.dir}: {exc}") from exc

    def close(self) -> None:
        pass


def _is_loopback(host: str) -> bool:
    """A server on this machine: mail to it never crosses a network, so STARTTLS is optional."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def eml_name(message_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in message_id.strip("<>"))
    return f"{safe}.eml"


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return EmlTransport(settings.outbox_dir)
