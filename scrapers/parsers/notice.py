"""The one entry point for parsing a notice: safe XML parse, then dispatch by root element.

eForms roots (``ContractNotice``…) go to ``eforms``, ``TED_EXPORT`` (legacy TED XML, R2.0.8/
R2.0.9) to ``ted_legacy``; anything else raises :class:`NotEformsError` with what it is
(``html``, ``unknown``). Every caller — the crawl pipeline, ``tenderwatch parse``/``classify``/
``reparse`` — goes through :func:`parse_notice`, so a format added here is read everywhere.
"""

from __future__ import annotations

from lxml import etree

from db.record import NoticeRecord
from scrapers.parsers import eforms
from scrapers.parsers.errors import NotEformsError
from scrapers.parsers.ted_legacy import parse_legacy_element
from scrapers.parsers.xmlsafe import DEFAULT_MAX_BYTES, html_error, local_name, parse_xml

LEGACY_ROOT = "TED_EXPORT"


def parse_notice(
    data: bytes, *, source_name: str = "<bytes>", max_bytes: int = DEFAULT_MAX_BYTES
) -> NoticeRecord:
    """Parse one notice (eForms or legacy TED); raise a :class:`NoticeParseError` subclass naming
    ``source_name``."""
    root = parse_xml(data, source_name, max_bytes)
    try:
        return parse_notice_element(root, source_name=source_name)
    except NotEformsError as exc:
        if exc.kind == "html":  # well-formed XHTML: say which page it was
            raise html_error(data, source_name) from None
        raise


def parse_notice_element(root: etree._Element, *, source_name: str = "<element>") -> NoticeRecord:
    """Extract a record from an already parsed (and trusted) root element, by its format."""
    if isinstance(root.tag, str) and local_name(root.tag) == LEGACY_ROOT:
        return parse_legacy_element(root, source_name=source_name)
    return eforms.parse_notice_element(root, source_name=source_name)
