"""E-mail addresses TenderWatch can really send to, checked and made ASCII where they come in.

SMTP without the SMTPUTF8 extension carries ASCII only. An address with a non-ASCII domain
is fine once the domain is written in IDNA (``exämple.fi`` → ``xn--exmple-cua.fi``), so that
is what is stored. A non-ASCII part before the ``@`` has no ASCII form: it could only go to
servers offering SMTPUTF8, so it is refused here, at the door (config files, the CLI,
imports), instead of sitting in the outbox as mail that can never be sent.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator


class AddressError(ValueError):
    """Not an address TenderWatch can send to."""


def ascii_address(value: str) -> str:
    """``value`` as an ASCII address (a ``Name <addr>`` form gives its address); the domain in
    IDNA and lower case. Raises :class:`AddressError` saying what is wrong."""
    text = value.strip()
    if "<" in text:
        text = parseaddr(text)[1] or text
    try:
        # No DNS look-up: validation must work offline and must not wait on the network.
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(f"{value!r} is not a valid e-mail address: {exc}") from None
    if result.ascii_email is None:
        raise AddressError(
            f"{value!r}: letters outside ASCII before the @ cannot be delivered by every mail "
            "server (SMTPUTF8); use an ASCII address"
        )
    local, _, domain = result.ascii_email.rpartition("@")
    return f"{local}@{domain.lower()}"


MailAddress = Annotated[str, AfterValidator(ascii_address)]
"""A pydantic field type: a valid address, stored in its ASCII form."""
