"""`web` and `serve` refuse set-ups that leak sessions; `serve` starts the web beside the service."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from monitor.settings import Settings
from monitor.web.server import WebSetupError, check, free_port

REPO = Path(__file__).resolve().parents[2]


def test_dev_only_on_loopback_and_https_otherwise() -> None:
    http = Settings(public_url="http://tenderwatch.example.org")
    with pytest.raises(WebSetupError, match="--dev"):
        check(http, "0.0.0.0", dev=False)
    with pytest.raises(WebSetupError, match="local trial"):
        check(http, "0.0.0.0", dev=True)
    check(http, "127.0.0.1", dev=True)
    check(Settings(public_url="https://tenderwatch.example.org"), "0.0.0.0", dev=False)


@pytest.mark.slow
def test_serve_runs_the_web_in_the_same_process_and_prints_the_address(
    tmp_path: Path, sqlite_url: str
) -> None:
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "TENDERWATCH_DATA_DIR": str(tmp_path / "var"),
        "TENDERWATCH_DATABASE_URL": sqlite_url,
        "TENDERWATCH_CONFIG_DIR": str(REPO / "config"),
        "HOME": str(tmp_path),
    }
    import os

    env["TENDERWATCH_CLOCK"] = os.environ["TENDERWATCH_CLOCK"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "serve", "--dev", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert re.search(rf"http://127\.0\.0\.1:{port}/", line), line
        deadline = time.monotonic() + 20
        body = ""
        while time.monotonic() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/search", timeout=5).read().decode()
            except OSError:
                time.sleep(0.2)
        assert "TenderWatch" in body and "<h1>" in body
        assert (tmp_path / "var" / "secret_key").exists()  # generated on first start, no set-up
    finally:
        proc.terminate()
        proc.wait(30)
    assert proc.returncode == 0
