"""Plain-text mail to the admins (health problems, refused config edits).

Sent straight through the alert mailer's transport rather than the outbox: the outbox may be
the very thing that is broken, and an admin mail is about the service, not a procedure.
"""

from __future__ import annotations

import hashlib
import logging
from email.message import EmailMessage
from email.utils import formatdate

from monitor.alerts.mailer import ConnectionLost, MessageRejected, transport_for
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
    msg["Subject"] = " ".join(subject.split())  # one line: no header injection through a summary
    msg["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<admin-{digest}@tenderwatch>"
    msg.set_content(body)
    transport = transport_for(settings)
    try:
        transport.open()
        try:
            transport.send(msg)
        finally:
            transport.close()
    except (ConnectionLost, MessageRejected) as exc:
        log.error("admin mail not sent (%s); will try again at the next check: %s", exc, subject)
        return False
    return True
