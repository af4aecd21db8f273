"""Config hot reload: the last good config keeps running; a bad edit is refused and reported once.

Every job asks :meth:`ConfigHolder.current` for the config. It re-reads the folder only when
a file's modification time or size changed, so the check costs a few ``stat`` calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from monitor.appconfig import ConfigError
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
        """Load the config now; raise :class:`ConfigError` if it is invalid (refuse to start)."""
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
        for path in sorted(self.directory.glob("*.yaml")):
            st = path.stat()
            out.append((path.name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    @property
    def last_good(self) -> AppConfig:
        """The config in force, without checking the files (safe inside the callbacks)."""
        return self._config

    def current(self) -> AppConfig:
        """The config in force, after picking up a valid edit if there is one."""
        with self._lock:
            fingerprint = self._stat()
            if fingerprint == self._fingerprint or fingerprint == self._refused_fingerprint:
                return self._config
            try:
                new = load_config(self.directory)
            except ConfigError as exc:
                self._refused_fingerprint = fingerprint
                self.last_error = exc
                log.error("config edit refused; keeping version %s\n%s", self._config.version, exc.report())
                if self._on_refused:
                    self._on_refused(exc)
                return self._config
            old, self._config = self._config, new
            self._fingerprint = fingerprint
            self._refused_fingerprint = None
            self.last_error = None
            if new.version != old.version:
                log.info("config reloaded: version %s → %s", old.version, new.version)
                if self._on_reloaded:
                    self._on_reloaded(old, new)
            return self._config
