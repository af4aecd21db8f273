"""Parsers: a fetched document (bytes: eForms or legacy TED XML) → a normalized record.

The record is :class:`db.record.NoticeRecord`; :func:`parse_notice` dispatches by root element.
Public interface: :func:`parse_notice`, :func:`sniff_kind` and the error types.
"""

from scrapers.parsers.errors import (
    DocumentTooLargeError,
    IncompleteNoticeError,
    MalformedXmlError,
    NotEformsError,
    NoticeParseError,
    UnsafeXmlError,
)
from scrapers.parsers.notice import parse_notice, parse_notice_element
from scrapers.parsers.xmlsafe import DEFAULT_MAX_BYTES, sniff_kind

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DocumentTooLargeError",
    "IncompleteNoticeError",
    "MalformedXmlError",
    "NotEformsError",
    "NoticeParseError",
    "UnsafeXmlError",
    "parse_notice",
    "parse_notice_element",
    "sniff_kind",
]
