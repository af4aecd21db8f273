"""The rules editor's back-tests, run by warm runner processes (``monitor.classify.backtest``,
whose docstring says why a process and not the web server; figures in docs/rules-editor.md).

One spare runner waits, warmed up, from the first visit to the editor on; a back-test takes
it, and a new spare starts when that back-test ends. One back-test per admin: starting another stops the
first (its process group: the runner and its forked workers), and so does the page going
away (:meth:`Backtests.stop`, called when the stream ends for any reason).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from typing import IO

from monitor.classify.backtest import Job

RUNNER = [sys.executable, "-m", "monitor.classify.backtest"]


class Backtests:
    """The web process's runners: a spare, and the running back-test of each admin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spare: subprocess.Popen[bytes] | None = None
        self._running: dict[str, subprocess.Popen[bytes]] = {}

    def prepare(self) -> None:
        """Have a spare runner warming up (the editor page calls this on every visit)."""
        with self._lock:
            if self._spare is None or self._spare.poll() is not None:
                self._spare = _spawn()

    def start(self, who: str, job: Job) -> subprocess.Popen[bytes]:
        """Hand ``job`` to the spare (or a new runner) for ``who``; stop ``who``'s earlier one."""
        with self._lock:
            proc = self._spare if self._spare is not None and self._spare.poll() is None else _spawn()
            self._spare = None
            previous = self._running.pop(who, None)
            self._running[who] = proc
        if previous is not None:
            _kill(previous)
        stdin: IO[bytes] | None = proc.stdin
        assert stdin is not None
        stdin.write(job.to_json().encode() + b"\n")
        stdin.flush()
        return proc

    def stop(self, who: str, proc: subprocess.Popen[bytes]) -> None:
        """Stop ``proc`` if still running, and forget it if it is still ``who``'s; then have a
        spare ready for the next back-test.

        The spare starts only now, not while the back-test runs: warming up takes about 9 s of
        CPU, which on a 2-core machine the back-test's workers would lose (measured with
        bench/bench_backtest.py)."""
        with self._lock:
            if self._running.get(who) is proc:
                del self._running[who]
        _kill(proc)
        self.prepare()

    def running(self, who: str) -> bool:
        proc = self._running.get(who)
        return proc is not None and proc.poll() is None

    def shutdown(self) -> None:
        """Stop every runner (tests; a stopping server's runners also exit when stdin closes)."""
        with self._lock:
            procs = [*self._running.values(), *([self._spare] if self._spare else [])]
            self._running.clear()
            self._spare = None
        for proc in procs:
            _kill(proc)


def _spawn() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        RUNNER,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # Its own process group: one killpg stops the runner and the workers it forks.
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.killpg(proc.pid, signal.SIGKILL)  # workers too; they hold nothing worth a clean exit
    # Reaped in the background: the caller may be the event loop, and closing the output pipe
    # waits for a reader blocked on it, which the kill releases (end of file) a moment later.
    threading.Thread(target=_reap, args=(proc,), daemon=True).start()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
