"""Typed parse errors: each names the source (file name, URL or package member) and the reason.

Why typed: callers treat them differently. A crawl counts ``NotEformsError(kind="ted-export")``
as a legacy document rather than a failure; ``UnsafeXmlError`` is worth an alert; a
``MalformedXmlError`` usually means a truncated download worth fetching again. All are
``ValueError`` subclasses so a generic ``except ValueError`` still catches them.
"""

from __future__ import annotations


class NoticeParseError(ValueError):
    """A document could not be turned into a notice record."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class MalformedXmlError(NoticeParseError):
    """Not well-formed XML (truncated download, encoding damage, stray bytes)."""

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        super().__init__(source, reason)
        self.line = line


class UnsafeXmlError(NoticeParseError):
    """A DOCTYPE or entity declaration: refused outright (entity expansion, external entities)."""


class DocumentTooLargeError(NoticeParseError):
    """Bigger than the configured limit; the biggest real notices are a few MB."""


class NotEformsError(NoticeParseError):
    """Well-formed (or recognisable) but not an eForms notice.

    ``kind`` says what it is instead: ``ted-export`` (legacy TED XML), ``html`` (an error or
    login page served in place of the document), ``empty`` or ``unknown``.
    """

    def __init__(self, source: str, reason: str, kind: str) -> None:
        super().__init__(source, reason)
        self.kind = kind


class IncompleteNoticeError(NoticeParseError):
    """An eForms root without what identifies a notice (BT-701 notice id)."""
