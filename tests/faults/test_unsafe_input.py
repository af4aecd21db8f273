"""Issue #13, points 4 and 6: hostile notice data and hostile files on their way through.

A document URL of ``javascript:``, a right-to-left override in a title, a subscriber name
that is a spreadsheet formula, an address no SMTP server without SMTPUTF8 takes, a FIFO or
``/dev/zero`` given to ``tenderwatch parse``: each against the real code path.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from db.models.alerts import OutboxMessage, Subscriber
from db.session import get_sessionmaker
from monitor.addresses import AddressError, ascii_address
from monitor.alerts.enqueue import enqueue_pending
from monitor.alerts.mailer import ConnectionLost, SmtpTransport
from monitor.alerts.render import build_message, parse_message
from monitor.alerts.sender import send_pending
from monitor.cli import cli
from monitor.reports.figures import CallRow, notice_url
from monitor.reports.render import render_calls_csv
from monitor.safety import csv_cell, csv_uncell, header_safe, safe_url
from monitor.settings import Settings
from monitor.subscribers import SubscriberSpec, upsert
from monitor.subscribers.config import SubscribersFile
from monitor.subscribers.files import dump_csv, read_file
from tests.alerts.conftest import HELD, SmtpSink, ingest
from tests.conftest import NOW
from tests.db.records import call

pytestmark = pytest.mark.faults

EVIL_URLS = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "https:\\\\evil.example",
    "http://",
]


@pytest.mark.parametrize("url", EVIL_URLS)
def test_only_http_and_https_may_become_links(url: str) -> None:
    assert safe_url(url) is None
    assert safe_url(url, mailto=True) is None


def test_safe_urls_pass_unchanged() -> None:
    assert safe_url("https://tarjouspalvelu.fi/docs/1?a=b&c=d") == "https://tarjouspalvelu.fi/docs/1?a=b&c=d"
    assert safe_url(" http://example.org/x ") == "http://example.org/x"
    assert safe_url("mailto:hankinnat@example.fi") is None  # not where a document is meant
    assert safe_url("mailto:hankinnat@example.fi", mailto=True) == "mailto:hankinnat@example.fi"
    assert notice_url(None, "javascript:alert(1)", "https://ted.europa.eu") is None
    assert notice_url(None, "https://www.hankintailmoitukset.fi/fi/public/procedure/1", "x") is not None


def test_a_javascript_document_url_is_not_linked_in_the_email(sqlite_url: str, tmp_path: Path) -> None:
    smtp = SmtpSink()
    smtp.start()
    try:
        settings = Settings(
            data_dir=tmp_path / "var",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            secret_key="k",  # type: ignore[arg-type]
        )
        with get_sessionmaker(sqlite_url)() as session:
            upsert(
                session,
                SubscriberSpec(email="it@example.com", subscriptions=[{"name": "IT", "cpv": ["72000000"]}]),
            )
            session.commit()
            record = call(
                deadline=NOW + timedelta(days=30), documents_url="javascript:alert(document.cookie)"
            )
            lots = [dataclasses.replace(record.lots[0], documents_url="data:text/html,<script>x</script>")]
            ingest(session, dataclasses.replace(record, lots=lots), NOW)
            enqueue_pending(session, NOW, **HELD)
            session.commit()
        assert send_pending(sqlite_url, settings, now=NOW).sent == 1
        [msg] = smtp.messages
    finally:
        smtp.stop()
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "javascript:" not in html.lower() and "data:text" not in html
    assert "javascript:" not in text.lower() and "data:text" not in text
    assert 'href="https://ted.europa.eu/' in html  # the safe link is still there


def test_bidi_overrides_never_reach_a_header() -> None:
    title = "Tarjous \u202egpj.exe\u202c \u2066x\u2069 \u200fy"
    assert header_safe(title) == "Tarjous gpj.exe x y"
    row = OutboxMessage(
        id=1,
        subscriber_id=1,
        kind="new",
        procedure_key="p\u202e1",
        ref="",
        payload={"notice": {"title": {"fin": title}}},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    sub = Subscriber(id=1, email="a@example.com", name="Evil \u202eName", language="fi")
    msg = parse_message(build_message(row, sub, Settings(secret_key="k")))  # type: ignore[arg-type]
    for header in ("Subject", "To", "X-TenderWatch-Procedure"):
        value = str(msg[header])
        assert not any(
            ch in value for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
        )


def test_csv_exports_neutralise_formulas_and_read_back_unchanged(tmp_path: Path) -> None:
    spec = SubscriberSpec(
        email="x@example.com",
        name='=HYPERLINK("http://evil.example","click")',
        subscriptions=[{"name": "@SUM(A1)", "keywords": ["+cmd", "-2", "tekoäly"]}],
    )
    text = dump_csv(SubscribersFile(subscribers=[spec]))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["name"].startswith("'=") and row["subscription"].startswith("'@")
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row.values())
    assert row["keywords"] == "'+cmd;-2;tekoäly"  # -2 is a number: it runs nothing
    path = tmp_path / "export.csv"
    path.write_text(text)
    assert read_file(path).subscribers[0] == spec
    assert csv_cell("-1.5") == "-1.5" and csv_cell("-1.5+A1") == "'-1.5+A1"
    assert csv_uncell(csv_cell("\tx")) == "\tx"

    calls = render_calls_csv(
        [
            CallRow(
                procedure_pk=1,
                procedure_key="p",
                area="TEM",
                period_date=datetime(2026, 10, 1).date(),
                label=None,
                cancelled=False,
                title="=cmd|'/c calc'!A0",
                buyer_name="@evil",
                value_amount=-5.0,
                value_currency="EUR",
                publication_number=None,
                url=None,
                label_notice_pk=None,
            )
        ]
    )
    cells = list(csv.reader(io.StringIO(calls)))[1]
    assert cells[5] == "'=cmd|'/c calc'!A0" and cells[6] == "'@evil" and cells[7] == "-5.0"


def test_non_ascii_addresses_are_made_ascii_or_refused_at_the_door() -> None:
    assert ascii_address("Hankinnat@Exämple.FI") == "Hankinnat@xn--exmple-cua.fi"
    with pytest.raises(AddressError, match="ASCII"):
        ascii_address("ylläpito@example.fi")
    spec = SubscriberSpec(email="Myynti@Kööpenhamina.example")
    assert spec.email == "myynti@xn--kpenhamina-ecba.example"
    with pytest.raises(ValidationError, match="ASCII"):
        SubscriberSpec(email="jörg@example.de")


def test_an_address_that_slipped_in_earlier_fails_its_row_only(sqlite_url: str, tmp_path: Path) -> None:
    """A row whose address was stored before the door check: permanent failure, batch goes on."""
    smtp = SmtpSink()
    smtp.start()
    try:
        settings = Settings(
            data_dir=tmp_path / "var", smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"
        )
        with get_sessionmaker(sqlite_url)() as session:
            for email in ("ok@example.com", "ok2@example.com"):
                upsert(
                    session, SubscriberSpec(email=email, subscriptions=[{"name": "IT", "cpv": ["72000000"]}])
                )
            session.commit()
            session.query(Subscriber).filter_by(email="ok@example.com").update({"email": "jörg@example.de"})
            session.commit()
            ingest(session, call(deadline=NOW + timedelta(days=30)), NOW)
            enqueue_pending(session, NOW, **HELD)
            session.commit()
        stats = send_pending(sqlite_url, settings, now=NOW)
    finally:
        smtp.stop()
    assert (stats.sent, stats.failed, stats.retrying) == (1, 1, 0)
    with get_sessionmaker(sqlite_url)() as session:
        failed = session.query(OutboxMessage).filter_by(state="failed").one()
        assert failed.failure_kind == "permanent" and "ASCII" in (failed.last_error or "")


def test_clear_text_smtp_to_another_host_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="192.0.2.10",  # TEST-NET-1: never routed, so nothing is ever sent
        smtp_port=25,
        smtp_security="none",
        smtp_user="tw",
        smtp_password="s3cret",  # type: ignore[arg-type]
        smtp_timeout=0.5,
    )
    with caplog.at_level(logging.WARNING, logger="monitor.alerts.mailer"), pytest.raises(ConnectionLost):
        SmtpTransport(settings).open()
    [record] = [r for r in caplog.records if "unencrypted" in r.getMessage()]
    assert "192.0.2.10" in record.getMessage() and "password" in record.getMessage()
    assert "s3cret" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="monitor.alerts.mailer"), pytest.raises(ConnectionLost):
        SmtpTransport(settings).open()
    assert "unencrypted" not in caplog.text  # once per process and server, not at every send run


def test_parse_refuses_a_fifo_and_dev_zero_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "notice.xml"
    os.mkfifo(fifo)
    # A child process with a timeout: the old code blocked forever on the FIFO and read
    # /dev/zero until memory ran out.
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "parse", str(fifo), "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert f"{fifo}: not a regular file" in proc.stderr
    assert "/dev/zero: not a regular file" in proc.stderr
    assert "2 file(s) could not be parsed" in proc.stderr


def test_parse_reads_a_big_file_only_up_to_the_limit(tmp_path: Path) -> None:
    from scrapers.parsers import DEFAULT_MAX_BYTES

    big = tmp_path / "big.xml"
    with big.open("wb") as fh:
        fh.truncate(DEFAULT_MAX_BYTES + 10)  # sparse: costs no disk
    result = CliRunner().invoke(cli, ["parse", str(big)])
    assert result.exit_code == 1 and "over the limit" in result.output


def test_names_in_from_and_to_are_cleaned_too() -> None:
    """The From name comes from settings, the To name from the subscriber: both cleaned."""
    settings = Settings(mail_from="Tender\u202eWatch <alerts@example.org>", secret_key="k")  # type: ignore[arg-type]
    row = OutboxMessage(
        id=2, subscriber_id=1, kind="new", procedure_key="", ref="", payload={}, created_at=NOW
    )
    sub = Subscriber(id=1, email="a@example.com", name="A\r\nBcc: x@example.org", language="fi")
    msg = parse_message(build_message(row, sub, settings))
    assert "\u202e" not in str(msg["From"]) and msg["Bcc"] is None
