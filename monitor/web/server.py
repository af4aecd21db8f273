"""Running the web application with uvicorn: alone (``tenderwatch web``) or beside the service.

Beside the service (``tenderwatch serve``), uvicorn runs in a thread and the service keeps the
main thread: the service's SIGTERM/SIGINT handling (finish the running job, stop the crawl
child) needs the main thread, and uvicorn installs no signal handlers off it. One process,
one database engine, and the web reads the service's held config.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from monitor.config import AppConfig
from monitor.settings import Settings
from monitor.web.app import create_app

log = logging.getLogger("tenderwatch.web")


class WebSetupError(ValueError):
    """The web cannot start as asked (a plain-http public URL without --dev, --dev off loopback)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check(settings: Settings, host: str, dev: bool) -> None:
    """Refuse set-ups that would leak sessions: --dev only on loopback; otherwise https links."""
    if dev and not is_loopback(host):
        raise WebSetupError(
            f"--dev serves plain http and is for a local trial: bind to 127.0.0.1, not {host}"
        )
    if not dev and not settings.public_url.startswith("https://"):
        raise WebSetupError(
            f"TENDERWATCH_PUBLIC_URL is {settings.public_url}: sessions need https in production. "
            "Set TENDERWATCH_PUBLIC_URL=https://… (behind your TLS proxy), or pass --dev for a local trial"
        )


def make_server(
    settings: Settings, config_provider: Callable[[], AppConfig], host: str, port: int, dev: bool
) -> uvicorn.Server:
    app = create_app(settings, config_provider, dev=dev)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",  # the service's own log lines say what happens; no access log per request
        access_log=False,
        proxy_headers=True,  # behind the TLS proxy, the client address is the forwarded one
        server_header=False,  # nothing to gain from announcing the server software
    )
    return uvicorn.Server(config)


class WebThread:
    """uvicorn in a daemon thread; :meth:`start` waits until it listens (or failed)."""

    def __init__(self, server: uvicorn.Server) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.run, name="web", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        end = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > end:
                where = f"{self.server.config.host}:{self.server.config.port}"
                raise WebSetupError(f"the web did not start on {where} (port in use?)")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def address(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
