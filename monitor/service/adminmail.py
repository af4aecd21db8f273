"""Plain-text mail to the admins (health problems, refused config edits).

Sent straight through the alert mailer's transport rather than the outbox: the outbox may be
the very thing that is broken, and an admin mail is about the service, not a procedure.

When the mail server itself is what is broken, no mail can reach the admins through it. The
mail is then kept as a file in the outbox folder (``var/outbox/admin-….eml``, the same
name each try) next to an ERROR line in the log, and the caller tries again later: the
admins read it in the log or the folder now, and in their inbox once the server is back.
"""

from __future__ import annotations

import hashlib
import logging
from email.message import EmailMessage
from email.utils import formatdate

from monitor.alerts.mailer import (
    ConnectionLost,
    EmlTransport,
    MessageDeferred,
    MessageRejected,
    Transport,
    transport_for,
)
from monitor.safety import header_safe
from monitor.settings import Settings

log = logging.getLogger(__name__)


def send_admin_mail(settings: Settings, to: list[str], subject: str, body: str, *, key: str) -> bool:
    """Send one admin email; ``key`` makes its Message-ID stable. Returns whether it went out."""
    if not to:
        log.warning("no admins configured (config/service.yaml 'admins'); not mailed: %s", subject)
        return True  # nobody to tell is not a delivery failure worth retrying
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = header_safe(subject, 200)  # one line: no header injection through a summary
    msg["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<admin-{digest}@tenderwatch>"
    msg.set_content(body)
    transport = transport_for(settings)
    try:
        _deliver(transport, msg)
    except (ConnectionLost, MessageDeferred, MessageRejected) as exc:
        kept = _keep(settings, transport, msg)
        # The body once in the log when there is no file to read it in; else the file has it.
        log.error(
            "admin mail not sent (%s)%s; will try again: %s%s",
            exc,
            kept,
            subject,
            "" if kept else f"\n{body}",
        )
        return False
    return True


def _deliver(transport: Transport, msg: EmailMessage) -> None:
    transport.open()
    try:
        transport.send(msg)
    finally:
        transport.close()


def _keep(settings: Settings, transport: Transport, msg: EmailMessage) -> str:
    """Write the undeliverable mail to the outbox folder, unless that is what failed."""
    if isinstance(transport, EmlTransport):
        return ""
    folder = EmlTransport(settings.outbox_dir)
    try:
        _deliver(folder, msg)
    except ConnectionLost:
        return ""
    return f"; kept in {settings.outbox_dir}"
