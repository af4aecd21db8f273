"""Bad input gets a typed error naming the source and the reason; nothing dangerous is expanded."""

from __future__ import annotations

import time

import pytest

from monitor.demo.samples.builder import NoticeSpec, build_notice_xml
from scrapers.parsers import (
    DocumentTooLargeError,
    IncompleteNoticeError,
    MalformedXmlError,
    NotEformsError,
    UnsafeXmlError,
    parse_notice,
    sniff_kind,
    xmlsafe,
)

TED_EXPORT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<TED_EXPORT xmlns="http://publications.europa.eu/resource/schema/ted/R2.0.9/publication" '
    b'DOC_ID="123456-2022" EDITION="2022123"><TECHNICAL_SECTION/><CODED_DATA_SECTION/></TED_EXPORT>'
)
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Request blocked &mdash; "
    b"Service Unavailable</title></head><body><p>Try again later<br></body></html>"
)
XHTML_PAGE = b"<html><head><title>Login required</title></head><body><p>Sign in</p></body></html>"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2">
&lol9;</ContractNotice>"""
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2">'
    b"&xxe;</ContractNotice>"
)


def _notice() -> bytes:
    return build_notice_xml(NoticeSpec(title={"fin": "Testi"}))


def test_ted_export_shell_without_a_form_is_incomplete() -> None:
    """Legacy TED XML is parsed (tests/parsers/test_ted_legacy.py); an empty shell is not a notice."""
    with pytest.raises(IncompleteNoticeError) as info:
        parse_notice(TED_EXPORT, source_name="2022/123456.xml")
    assert "2022/123456.xml" in str(info.value) and "TED_EXPORT" in str(info.value)


@pytest.mark.parametrize(
    ("page", "title"), [(HTML_PAGE, "Request blocked — Service Unavailable"), (XHTML_PAGE, "Login required")]
)
def test_html_page_reports_its_title(page: bytes, title: str) -> None:
    with pytest.raises(NotEformsError) as info:
        parse_notice(page, source_name="https://ted.example/notice/1")
    assert info.value.kind == "html"
    assert title in str(info.value)
    assert "https://ted.example/notice/1" in str(info.value)


def test_long_html_title_is_shortened() -> None:
    page = b"<html><head><title>" + b"x" * 500 + b"</title></head><body></body></html>"
    with pytest.raises(NotEformsError) as info:
        parse_notice(page)
    assert len(info.value.reason) < 200


@pytest.mark.parametrize("cut", [50, 500, -40])
def test_truncated_xml(cut: int) -> None:
    data = _notice()[:cut]
    with pytest.raises(MalformedXmlError) as info:
        parse_notice(data, source_name="part.xml")
    assert str(info.value).startswith("part.xml: not well-formed XML")
    assert info.value.line is not None


def test_billion_laughs_is_refused_quickly_without_expansion() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXmlError) as info:
        parse_notice(BILLION_LAUGHS, source_name="lol.xml")
    assert time.perf_counter() - start < 1.0
    assert "DOCTYPE" in str(info.value)


def test_external_entity_is_refused() -> None:
    with pytest.raises(UnsafeXmlError):
        parse_notice(XXE)


def test_doctype_in_utf16_document_is_still_refused() -> None:
    data = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(UnsafeXmlError):
        parse_notice(data.decode("ascii").encode("utf-16"))
    notice = _notice().replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")
    assert sniff_kind(notice) == "eforms"
    assert parse_notice(notice).title == {"fin": "Testi"}


def test_doctype_the_byte_scan_cannot_read_is_refused_after_parsing() -> None:
    """UTF-32 hides the DOCTYPE from the byte scan (it reads UTF-8 and UTF-16 only); the check
    on the parsed document still refuses it, for each form a DOCTYPE can take."""
    for doctype in ("<!DOCTYPE x>", '<!DOCTYPE x SYSTEM "x.dtd">', '<!DOCTYPE x PUBLIC "-//x" "x.dtd">'):
        data = f'<?xml version="1.0" encoding="UTF-32"?>{doctype}<x/>'.encode("utf-32")
        assert xmlsafe._root_start(xmlsafe._ascii_head(data))[0] != "decl"  # the scan missed it
        with pytest.raises(UnsafeXmlError):
            parse_notice(data)


def test_oversize_document() -> None:
    data = _notice()
    with pytest.raises(DocumentTooLargeError) as info:
        parse_notice(data, source_name="big.xml", max_bytes=len(data) - 1)
    assert "big.xml" in str(info.value)
    assert parse_notice(data, max_bytes=len(data)).title == {"fin": "Testi"}


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_document(data: bytes) -> None:
    with pytest.raises(NotEformsError) as info:
        parse_notice(data, source_name="empty.xml")
    assert info.value.kind == "empty"


def test_unknown_root_and_missing_notice_id() -> None:
    with pytest.raises(NotEformsError) as info:
        parse_notice(b"<rss><channel/></rss>")
    assert info.value.kind == "unknown" and "<rss>" in str(info.value)
    no_id = _notice().replace(b'schemeName="notice-id"', b'schemeName="other"')
    with pytest.raises(IncompleteNoticeError):
        parse_notice(no_id)


def test_every_error_is_a_value_error_naming_the_source() -> None:
    for data in (TED_EXPORT, HTML_PAGE, b"<a>", BILLION_LAUGHS, b""):
        with pytest.raises(ValueError, match=r"^src\.xml: "):
            parse_notice(data, source_name="src.xml")


def test_sniff_kind() -> None:
    assert sniff_kind(_notice()) == "eforms"
    assert (
        sniff_kind(b"\xef\xbb\xbf<?xml version='1.0'?><!-- c --><cn:ContractAwardNotice xmlns:cn='x'/>")
        == "eforms"
    )
    assert sniff_kind(TED_EXPORT) == "ted-export"
    assert sniff_kind(HTML_PAGE) == "html"
    assert sniff_kind(XHTML_PAGE) == "html"
    assert sniff_kind(b"") == "unknown"
    assert sniff_kind(b"not xml at all") == "unknown"
    assert sniff_kind(BILLION_LAUGHS) == "unknown"
