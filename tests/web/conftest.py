"""The web application served for real (uvicorn on loopback), a real SMTP sink, and Chromium.

The browser is Debian's Chromium driven by Playwright's sync API (Playwright's own browser
download is not available here). Every page the tests open records JavaScript errors and
dialogs; a test that expects none asserts ``page_errors == []``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from monitor.config import AppConfig, load_config
from monitor.service.confighold import ConfigHolder
from monitor.settings import Settings
from monitor.web import create_app
from monitor.web.server import free_port
from tests.alerts.conftest import SmtpSink

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TENDERWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in a container: Chromium's sandbox needs user namespaces
    "--disable-gpu",
    "--disable-background-networking",  # a closed network: no update, sync or safe-browsing calls
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "var" / "screenshots"


@pytest.fixture(scope="session")
def app_config() -> AppConfig:
    return load_config(REPO / "config")


@dataclass
class LiveWeb:
    url: str
    settings: Settings
    smtp: SmtpSink
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    def client(self) -> httpx.Client:
        """A client with no cookies, as a mailbox provider or a scanner would be."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=20)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.smtp.to(address)

    def wait_for_mail(self, address: str, count: int = 1, timeout: float = 20) -> list[EmailMessage]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.smtp.to(address)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{count} email(s) to {address} expected, got {len(self.smtp.to(address))}")


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def link_in(msg: EmailMessage, pattern: str) -> str:
    m = re.search(pattern, text_of(msg))
    assert m, text_of(msg)
    return m.group(0)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the repository's config folder: the web app's, which admin pages may save to.

    A test module overrides this fixture to start from an edited file (``test_admin`` adds a
    branch contact), the way an admin would: in the YAML.
    """
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


@pytest.fixture
def live(db_url: str, tmp_path: Path, smtp: SmtpSink, config_dir: Path) -> Iterator[LiveWeb]:
    """The web app on a free loopback port (``--dev``: plain http), over ``db_url``, mailing ``smtp``.

    Its config folder (``config_dir``) is held as ``serve`` holds it: the admin pages save config
    files (issue #15), and the next request must see the saved file.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=db_url,
        config_dir=config_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",  # the loopback sink speaks plain SMTP
        smtp_timeout=5,
        mail_from="TenderWatch <alerts@tenderwatch.example.org>",
        public_url=url,
        secret_key="web-test-secret",  # type: ignore[arg-type]
    )
    app = create_app(settings, ConfigHolder(config_dir).current, dev=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < end, "the web server did not start"
        time.sleep(0.05)
    yield LiveWeb(url, settings, smtp, app, server, thread)
    server.should_exit = True
    thread.join(10)


# ---------------------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A page with every JavaScript error, console error and dialog it raised."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser: Any, live: LiveWeb) -> Iterator[Watched]:
    context = browser.new_context(base_url=live.url, locale="fi-FI", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    w = Watched(page)
    page.on("pageerror", lambda exc: w.errors.append(f"pageerror: {exc}"))
    page.on("console", lambda m: w.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def on_dialog(d: Any) -> None:
        w.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    yield w
    context.close()


def sign_in(live: LiveWeb, page: Any, email: str) -> None:
    """Sign in as a person does: the form, the link from the email, the button."""
    before = len(live.mails_to(email))
    page.goto("/signin")
    page.get_by_label("Sähköpostiosoite").fill(email)
    page.get_by_role("button", name="Lähetä kirjautumislinkki").click()
    page.get_by_text("kirjautumislinkki on matkalla").wait_for()
    msg = live.wait_for_mail(email, before + 1)[-1]
    page.goto(link_in(msg, r"https?://\S+/signin/\S+"))
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.wait_for_url("**/subscriptions")


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """``shoot(page, name)``: a full-page PNG under var/screenshots/ when run with --screenshots."""
    enabled = request.config.getoption("--screenshots")

    def take(page: Any, name: str) -> None:
        if enabled:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


def process(live: LiveWeb, config: AppConfig, now: datetime) -> dict[str, Any]:
    """The service's process and deliver steps: classify, match, queue, index; then send."""
    from monitor import pipeline

    figures = pipeline.process(live.settings, config, now)
    figures["deliver"] = pipeline.deliver(live.settings, now)
    return figures


@pytest.fixture
def session(db_url: str) -> Iterator[Any]:
    """A session on the test's database (SQLite or PostgreSQL)."""
    from db.session import get_sessionmaker

    with get_sessionmaker(db_url)() as s:
        yield s
        s.rollback()
