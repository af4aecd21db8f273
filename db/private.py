"""Files and folders that hold subscribers' data are created private: 0600 files, 0700 folders.

The SQLite database, the ``.eml`` outbox, the crawl logs and exports name people and their
e-mail addresses; the process umask (usually 022) would make them world-readable. Only what
TenderWatch creates is affected: an existing file or folder keeps the mode its owner gave it.
Here in ``db`` because the database file is created here and ``db`` imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` and any missing parents, each new one 0700 (``mkdir`` gives only the leaf a mode)."""
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile
            folder.mkdir(mode=DIR_MODE)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)  # raises the reason it is not
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 if it does not exist (its folder private too); keep it if it does.

    An existing file is never opened: closing any descriptor of a SQLite database drops every
    POSIX lock this process holds on it (SQLite's "how to corrupt" notes, section 2.2).
    """
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    return path
