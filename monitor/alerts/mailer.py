"""Delivering built emails: SMTP (one connection per batch) or ``.eml`` files when no server is set.

Errors are sorted into three kinds, because they call for different handling by the sender:

- :class:`ConnectionLost`: the server cannot take mail from us now (unreachable, timed out,
  dropped us, refused our sender address; the ``.eml`` folder cannot be written): stop the
  batch, retry all of it later;
- :class:`MessageDeferred`: a 4xx for this one message (a busy mailbox, greylisting): retry
  this message later, carry on with the others;
- :class:`MessageRejected`: a 5xx for this one message, or an address that cannot be
  encoded: this message has failed for good, carry on with the others.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import smtplib
import ssl
import tempfile
from email.message import Message
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol

from db.private import private_dir
from monitor.settings import Settings

log = logging.getLogger(__name__)
_warned_clear_text: set[str] = set()


class ConnectionLost(Exception):
    """The mail server cannot take mail from us now; everything not yet sent waits."""


class MessageDeferred(Exception):
    """The server refused this message for now (4xx); it is tried again later."""


class MessageRejected(Exception):
    """The server refused this message for good (5xx), or it cannot be encoded for SMTP."""


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
        if s.smtp_security == "none" and not _is_loopback(host) and host not in _warned_clear_text:
            _warned_clear_text.add(host)  # once per process and server: a warning, not a flood
            log.warning(
                "TENDERWATCH_SMTP_SECURITY=none: mail to %s crosses the network unencrypted%s; "
                "use starttls or tls unless that network is trusted",
                host,
                " and so does the SMTP password" if s.smtp_user else "",
            )
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
            data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
            for address in (sender, *recipients):
                address.encode("ascii")  # no SMTPUTF8: smtplib would fail mid-command
        except UnicodeError as exc:
            raise MessageRejected(f"cannot be encoded for SMTP: {exc}") from exc
        try:
            refused = self.conn.sendmail(sender, recipients, data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refusal(exc.recipients) from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our own From address: every message would meet the same answer, so this is the
            # server's problem (or the config's), not this message's. Stop; retry later.
            raise ConnectionLost(f"sender {sender} refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code == 421:  # "service not available, closing channel"
                self.conn = None
                raise ConnectionLost(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise _by_code(exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.conn = None
            raise ConnectionLost(str(exc)) from exc
        if refused:
            raise _refusal(refused)

    def close(self) -> None:
        if self.conn is not None:
            # The messages are already accepted; a failing QUIT changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self.conn = None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int, text: str) -> MessageDeferred | MessageRejected:
    """4xx: try again later; 5xx (or anything else odd): refused for good."""
    return MessageDeferred(text) if 400 <= code < 500 else MessageRejected(text)


def _refusal(refused: dict[str, tuple[int, bytes]]) -> MessageDeferred | MessageRejected:
    """One message's refused recipients: deferred if any refusal was temporary (it may yet
    succeed for that one), else rejected."""
    text = "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in refused.items())
    temporary = any(400 <= code < 500 for code, _ in refused.values())
    return MessageDeferred(text) if temporary else MessageRejected(text)


class EmlTransport:
    """Writes each email to ``outbox_dir/<message-id>.eml``: same Message-ID, same file.

    The folder is made private (0700; the files are 0600, as ``mkstemp`` makes them): the
    emails carry subscribers' addresses. A folder that cannot be written is the ``.eml``
    counterpart of a mail server that is down: :class:`ConnectionLost`, so the rows wait.
    """

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def open(self) -> None:
        try:
            private_dir(self.dir)
        except OSError as exc:
            raise ConnectionLost(f"cannot write to {self.dir}: {exc.strerror or exc}") from exc

    def send(self, msg: Message) -> None:
        name = eml_name(str(msg["Message-ID"]))
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, self.dir / name)  # atomic: a reader never sees half an email
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise ConnectionLost(f"cannot write to {self.dir}: {exc.strerror or exc}") from exc

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
