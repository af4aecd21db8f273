"""Config hot reload: the last good config keeps running; a bad edit is refused and reported once.

Every job asks :meth:`ConfigHolder.current` for the config. It re-reads the folder only when
a file's modification time or size changed, so the check costs a few ``stat`` calls.

:meth:`ConfigHolder.current` never raises: the service loop and every job call it, and an
exception there would stop the service over a typo. Whatever goes wrong while reloading
(a file that cannot be read or parsed, a value the scheduler cannot use, a failing
callback) becomes a refused edit naming the file, and the line where one is known.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from monitor.appconfig import ConfigError, ConfigProblem
from monitor.config import AppConfig, load_config

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


class ConfigHolder:
    def __init__(
        self,
        directory: Path,
        on_refused: Callable[[ConfigError], None] | None = None,
        on_reloaded: Callable[[AppConfig, AppConfig], None] | None = None,
    ) -> None:
        """Load the config now; raise :class:`ConfigError` if it is invalid (refuse to start).

        ``on_reloaded(old, new)`` applies a new config; if it raises, the edit is refused
        (it must then leave the old config in force). ``on_refused`` reports a refused edit.
        """
        self.directory = directory
        self._on_refused = on_refused
        self._on_reloaded = on_reloaded
        self._lock = threading.Lock()
        self._fingerprint = self._stat()
        self._config = load_config(directory)
        self._refused_fingerprint: Fingerprint | None = None
        self.last_error: ConfigError | None = None

    def _stat(self) -> Fingerprint:
        out = []
        try:
            paths = sorted(self.directory.glob("*.yaml"))
        except OSError:
            return (("<folder unreadable>", 0, 0),)
        for path in paths:
            try:
                st = path.stat()
            except OSError:  # removed between the listing and the stat, or unreadable
                out.append((path.name, -1, -1))
                continue
            out.append((path.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    @property
    def last_good(self) -> AppConfig:
        """The config in force, without checking the files (safe inside the callbacks)."""
        return self._config

    def current(self) -> AppConfig:
        """The config in force, after picking up a valid edit if there is one. Never raises."""
        with self._lock:
            fingerprint = self._stat()
            if fingerprint == self._fingerprint or fingerprint == self._refused_fingerprint:
                return self._config
            old = self._config
            try:
                new = load_config(self.directory)
                if new.version != old.version and self._on_reloaded:
                    self._on_reloaded(old, new)
            except ConfigError as exc:
                self._refuse(fingerprint, exc)
                return self._config
            except Exception as exc:  # anything else: refused too, never raised into the service
                log.exception("config edit could not be applied")
                reason = f"cannot be applied: {type(exc).__name__}: {exc}"
                problem = ConfigProblem(self.directory, None, reason)
                self._refuse(fingerprint, ConfigError([problem]))
                return self._config
            self._config = new
            self._fingerprint = fingerprint
            self._refused_fingerprint = None
            self.last_error = None
            if new.version != old.version:
                log.info("config reloaded: version %s → %s", old.version, new.version)
            return self._config

    def _refuse(self, fingerprint: Fingerprint, error: ConfigError) -> None:
        self._refused_fingerprint = fingerprint
        self.last_error = error
        log.error("config edit refused; keeping version %s\n%s", self._config.version, error.report())
        if self._on_refused:
            try:
                self._on_refused(error)
            except Exception:  # e.g. the database is down: the refusal itself stands
                log.exception("could not record or mail the refused config edit")
