"""Run one crawl in a child process and report how it went.

Twisted's reactor cannot be restarted in one process, so every crawl is its own
``python -m scrapers.crawl`` (docs/architecture.md#one-crawl-one-process): a crashed or hung
crawl never takes the service down. The runner creates the crawl run first and hands its id
to the child, so it can close the run itself when the child is killed (timeout, service
stopping) or dies before
recording anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from db.models.runs import CrawlRun
from db.session import session_scope
from db.store import Store
from scrapers.extensions import ProgressReporter

STOP_GRACE_SECONDS = 30.0
"""After SIGINT (Scrapy's graceful stop), how long the child may take to finish before SIGKILL."""


@dataclass(frozen=True)
class CrawlOutcome:
    """What one crawl did: its run id, exit code and the run's recorded figures."""

    source: str
    run_id: int
    exit_code: int
    status: str
    close_reason: str | None
    seconds: float
    requests: int = 0
    seen: int = 0
    new: int = 0
    updated: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def crawl_command(spider: str, args: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """The child's command line (no secrets: those travel in the environment)."""
    cmd = [sys.executable, "-m", "scrapers.crawl", spider]
    for name, value in args.items():
        if value is not None:
            cmd += ["-a", f"{name}={_text(value)}"]
    for name, value in settings.items():
        cmd += ["-s", f"{name}={_text(value)}"]
    return cmd


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(v) for v in value)
    return str(value)


def run_crawl(
    spider: str,
    *,
    db_url: str,
    args: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    stop_event: threading.Event | None = None,
    log_path: Path | None = None,
) -> CrawlOutcome:
    """Crawl ``spider`` in a child process; return when it has ended (or been ended).

    ``args`` are spider arguments, ``settings`` Scrapy settings (e.g. ``DOWNLOAD_DELAY``,
    ``USER_AGENT``). ``env`` adds environment variables (the HILMA key). ``timeout`` seconds
    after the start the child is stopped and the run recorded ``failed`` with reason
    ``timeout``; ``stop_event`` (the service stopping) asks it to finish gracefully.
    ``on_progress`` receives the child's progress lines (a backfill's days and notices).
    ``log_path``: the child's log goes there (default: this process's stderr).
    """
    with session_scope(db_url) as session:
        run_id = Store(session).start_run(spider)
    child_settings = {**(settings or {}), "TENDERWATCH_RUN_ID": run_id}
    if on_progress is not None:
        child_settings["TENDERWATCH_PROGRESS"] = True
    child_env = {**os.environ, **(env or {}), "TENDERWATCH_DATABASE_URL": db_url}
    started = time.monotonic()
    log_file: IO[bytes] | None = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed below
    try:
        proc = subprocess.Popen(
            crawl_command(spider, args or {}, child_settings),
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=child_env,
        )
        reader = threading.Thread(target=_read_progress, args=(proc.stdout, on_progress), daemon=True)
        reader.start()
        forced = _wait(proc, started + timeout, stop_event)
        reader.join(timeout=5)
    finally:
        if log_file:
            log_file.close()
    return _outcome(spider, run_id, proc.returncode, forced, time.monotonic() - started, db_url)


def _read_progress(stream: IO[bytes] | None, on_progress: Callable[[dict[str, Any]], None] | None) -> None:
    if stream is None:
        return
    prefix = ProgressReporter.PREFIX.encode()
    for line in stream:
        if line.startswith(prefix):
            if on_progress is not None:
                with contextlib.suppress(ValueError):  # a torn line: the next one has the same totals
                    on_progress(json.loads(line[len(prefix) :]))
        else:
            sys.stdout.buffer.write(line)


def _wait(proc: subprocess.Popen[bytes], deadline: float, stop_event: threading.Event | None) -> str | None:
    """Wait for the child; stop it at the deadline or when asked. Returns why it was stopped."""
    while proc.poll() is None:
        if time.monotonic() >= deadline:
            _stop(proc, graceful=False)
            return "timeout"
        if stop_event is not None and stop_event.is_set():
            _stop(proc, graceful=True)
            return "shutdown"
        try:
            proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
    return None


def _stop(proc: subprocess.Popen[bytes], *, graceful: bool) -> None:
    """SIGINT lets Scrapy close the spider (and record the run); SIGKILL if it will not."""
    if graceful:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=STOP_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()


def _outcome(
    spider: str, run_id: int, code: int, forced: str | None, seconds: float, db_url: str
) -> CrawlOutcome:
    with session_scope(db_url) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        if run.status == "running" or forced == "timeout":
            reason = forced or f"crawl process ended with exit code {code} before recording its run"
            Store(session).finish_run(
                run_id,
                status="failed",
                requests=run.requests,
                seen=run.notices_seen,
                new=run.notices_new,
                updated=run.notices_updated,
                errors={**(run.errors or {}), "crawl_process": 1},
                close_reason=reason,
                stats=run.stats,
            )
            session.flush()
            session.refresh(run)
        return CrawlOutcome(
            source=spider,
            run_id=run_id,
            exit_code=code,
            status=run.status,
            close_reason=run.close_reason,
            seconds=round(seconds, 2),
            requests=run.requests,
            seen=run.notices_seen,
            new=run.notices_new,
            updated=run.notices_updated,
            errors=dict(run.errors or {}),
        )
