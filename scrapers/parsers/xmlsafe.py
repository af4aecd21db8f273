"""Parse untrusted XML safely, and classify a document cheaply by its root element.

Why a module of its own: every document we parse comes from the internet. The rules are in one
place: no DTD loading, no entity resolution, no network, no huge-tree mode, a size limit, and
any DOCTYPE refused before libxml2 sees it (eForms never has one; a DOCTYPE is either an HTML
page or an entity-expansion attempt).
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from scrapers.parsers.errors import (
    DocumentTooLargeError,
    MalformedXmlError,
    NotEformsError,
    UnsafeXmlError,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""The biggest SDK example (100 lots) is 1.8 MB; 20 MB leaves room and still bounds memory."""

EFORMS_ROOTS = frozenset(
    {
        "PriorInformationNotice",
        "ContractNotice",
        "ContractAwardNotice",
        "BusinessRegistrationInformationNotice",
    }
)

_local = threading.local()
_BOM = b"\xef\xbb\xbf"
_NAME_RE = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parser objects must not be shared between threads."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,  # never expand entities (billion laughs, XXE)
            no_network=True,  # never fetch anything a document points at
            load_dtd=False,  # never read a DTD, internal or external
            huge_tree=False,  # keep libxml2's depth and text-size safety limits
            remove_comments=True,  # comments are noise for extraction; fewer nodes to walk
            remove_pis=True,  # likewise processing instructions
            collect_ids=False,  # no xml:id hash table: nothing looks ids up, saves time
        )
        _local.parser = parser
    return parser


def _root_start(data: bytes) -> tuple[str, int]:
    """Skip the XML declaration, PIs and comments: ``("element"|"decl"|"none", offset)``."""
    i = 3 if data.startswith(_BOM) else 0
    while True:
        j = data.find(b"<", i)
        if j < 0:
            return "none", len(data)
        if data.startswith(b"<?", j):
            k = data.find(b"?>", j)
            if k < 0:
                return "none", j
            i = k + 2
        elif data.startswith(b"<!--", j):
            k = data.find(b"-->", j)
            if k < 0:
                return "none", j
            i = k + 3
        elif data.startswith(b"<!", j):
            return "decl", j
        else:
            return "element", j


def _ascii_head(data: bytes) -> bytes:
    """The bytes to scan for the prolog: UTF-16 documents (BOM) are re-encoded so the scan can
    read their DOCTYPE; everything else is scanned as it is."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data[:65536].decode("utf-16", "ignore").encode("utf-8")
    return data


def _is_html_doctype(data: bytes, at: int) -> bool:
    return data[at : at + 14].upper() == b"<!DOCTYPE HTML"


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def html_title(data: bytes, limit: int = 120) -> str | None:
    """The ``<title>`` of an HTML page (error pages say what went wrong there), shortened."""
    # Imported here, on the error path only: bs4 takes ~55 ms to import (python -X importtime,
    # after scrapers.parsers' own 32 ms), and every `tenderwatch` command imports this module at
    # start-up (monitor.cli: ~215 ms in all); in a crawl child it would add ~41 ms.
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data[:65536], "html.parser")
    if soup.title is None:
        return None
    title = " ".join(soup.title.get_text().split())
    return title[: limit - 1] + "…" if len(title) > limit else (title or None)


def html_error(data: bytes, source: str) -> NotEformsError:
    title = html_title(data)
    reason = (
        f"an HTML page, not an eForms notice (title: {title!r})"
        if title
        else ("an HTML page, not an eForms notice")
    )
    return NotEformsError(source, reason, kind="html")


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_xml(data: bytes, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse ``data`` into its root element or raise a :class:`NoticeParseError` subclass."""
    if len(data) > max_bytes:
        raise DocumentTooLargeError(source, f"{len(data):,} bytes is over the limit of {max_bytes:,} bytes")
    head = _ascii_head(data)
    what, at = _root_start(head)
    if what == "decl":
        if _is_html_doctype(head, at):
            raise html_error(data, source)
        raise UnsafeXmlError(source, "DOCTYPE/entity declarations are not allowed in eForms notices")
    if what == "none" and not data.strip(b" \t\r\n" + _BOM):
        raise NotEformsError(source, "empty document", kind="empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if _looks_like_html(data):
            raise html_error(data, source) from exc
        raise MalformedXmlError(source, f"not well-formed XML ({exc.msg})", exc.lineno) from exc
    # A DOCTYPE the byte scan could not read (e.g. UTF-32) still leaves a DTD node on the parsed
    # document. Asked through DocInfo(root) directly: ``getroottree().docinfo.doctype`` answers
    # the same but builds the declaration string twice, 0.5 % of a notice's parse time.
    info = etree.DocInfo(root)  # type: ignore[call-arg]  # types-lxml omits DocInfo(tree)
    if info.internalDTD is not None or info.externalDTD is not None:
        raise UnsafeXmlError(source, "DOCTYPE/entity declarations are not allowed in eForms notices")
    return root


def sniff_kind(data: bytes) -> str:
    """Cheap classification without parsing: ``eforms``, ``ted-export``, ``html`` or ``unknown``.

    Reads only the root element's name, so the package backfill can count legacy formats
    without paying for a parse.
    """
    data = _ascii_head(data)
    what, at = _root_start(data)
    if what == "decl":
        return "html" if _is_html_doctype(data, at) else "unknown"
    if what != "element":
        return "unknown"
    m = _NAME_RE.match(data, at)
    if not m:
        return "unknown"
    name = m.group(2).decode("ascii", "replace")
    if name in EFORMS_ROOTS:
        return "eforms"
    if name == "TED_EXPORT":
        return "ted-export"
    if name.lower() == "html":
        return "html"
    return "unknown"
