"""The one key that signs everything TenderWatch hands out: unsubscribe links, sessions, CSRF.

There is no public default. ``TENDERWATCH_SECRET_KEY`` wins when set (several machines behind
one address must share it); otherwise a random key is generated on first use and kept in the
data folder (``secret_key``, mode 0600), so ``make run`` needs no set-up and links in emails
already sent stay valid across restarts. The service and the web read the same file.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from monitor.settings import Settings

KEY_FILE = "secret_key"
_lock = threading.Lock()
_cache: dict[Path, str] = {}


def secret_key(settings: Settings) -> str:
    """The signing key: from the environment, or the data folder's generated one."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    path = (settings.data_dir / KEY_FILE).resolve()
    with _lock:
        if path not in _cache:
            _cache[path] = _read_or_create(path)
        return _cache[path]


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: of two processes starting together, exactly one writes the key; 0600 because
        # whoever reads it can sign any link.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if not text:
            raise RuntimeError(f"{path} is empty: delete it to generate a new key") from None
        return text
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key
