"""Versions of the admins' config files: save from the web, history, diffs, rollback (issue #15, point 2).

The file in the config folder stays the truth the service runs on; the ``config_versions`` table
(``db/models/configversions.py``) keeps every state it has had, whole. So:

- **Saving** from the web checks the text as ``tenderwatch config check`` would, adds a version
  row and an ``audit_log`` row, and replaces the file atomically; the running service picks the
  file up at its next job, as it does any edit (``monitor/service/confighold.py``).
- **Editing the file by hand still works**: :func:`sync_from_file` notices that the file differs
  from the newest version and records it as a version by ``file``. Every reader of the history
  calls it first, so a hand edit shows up in the history the next time anyone looks.
- **Two admins saving at once**: each save names the version it was built on (``base``). The
  second to save finds a newer version and gets :class:`StaleEdit` with the other's change as a
  diff; nothing is overwritten. Saves of one file take turns (``db.locks.serialize`` on
  PostgreSQL, the write transaction on SQLite), and the unique (file, number) pair stops any
  other way two rows could claim the same number.
- **Rollback** is a save of an old version's text: a new version, never a deleted one.

Order inside a save: the row first, then the file, then the caller's commit. Should the commit
fail after the file was replaced, the next :func:`sync_from_file` records the file as an edit
on disk: the history may name ``file`` instead of the admin, but no state of the file is lost.

This module sits above ``monitor.config`` (it checks a text with that file's schema), unlike the
rest of ``monitor.appconfig``, which is the machinery below every area.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.audit import AuditEntry
from db.models.configversions import ConfigVersionRow
from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.loader import load_file
from monitor.config import CONFIG_FILES

VERSIONED_FILES = ("innovation.yaml", "branches.yaml", "service.yaml")
"""Files edited in the browser. Not ``subscribers.yaml``: its history would keep the addresses
of people who have since been removed, and not ``sources.yaml``, which only operators edit."""
FROM_DISK = "file"
"""The author of a version found on disk rather than saved from the web."""


@dataclass(frozen=True)
class ConfigVersion:
    """One saved state of a config file."""

    file: str
    number: int
    text: str
    sha256: str
    author: str
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, row: ConfigVersionRow) -> ConfigVersion:
        return cls(row.file, row.number, row.text, row.sha256, row.author, row.comment, row.created_at)


class StaleEdit(Exception):
    """The edit was built on ``base`` but ``head`` was saved since: the other person's change is ``diff``."""

    def __init__(self, head: ConfigVersion, base: ConfigVersion | None) -> None:
        self.head = head
        self.base = base
        old = base.text if base else ""
        self.diff = unified_diff(old, head.text, _label(base), _label(head))
        super().__init__(
            f"{head.file} was saved as version {head.number} by {head.author} since version "
            f"{base.number if base else 0} you edited"
        )


def unified_diff(old: str, new: str, old_label: str = "", new_label: str = "") -> str:
    """A unified diff of two texts (three lines of context), empty when they are equal."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def check_text(config_dir: Path, file: str, text: str) -> list[ConfigProblem]:
    """The problems ``tenderwatch config check`` would report for ``text`` as ``file``; [] when fine."""
    model = CONFIG_FILES.get(file)
    if model is None:
        raise ValueError(f"{file!r} is not a config file")
    try:
        load_file(config_dir / file, model, text)
    except ConfigError as exc:
        return list(exc.problems)
    return []


def sync_from_file(session: Session, config_dir: Path, file: str) -> ConfigVersion:
    """The newest version, after recording the file on disk as a new one if it differs.

    Reads first and writes only when the file changed, so looking at a history costs no write.
    """
    _known(file)
    text = (config_dir / file).read_text(encoding="utf-8")
    head = _head(session, file)
    if head is not None and head.sha256 == _sha(text):
        return ConfigVersion.of(head)
    serialize(session, f"config:{file}")
    head = _head(session, file)  # another process may have recorded it while we waited
    if head is not None and head.sha256 == _sha(text):
        return ConfigVersion.of(head)
    # No comment: the pages say "as first seen" / "edited in the file" in the reader's language.
    return ConfigVersion.of(_add(session, file, text, FROM_DISK, "", head))


def latest(session: Session, config_dir: Path, file: str) -> ConfigVersion:
    """The version the file on disk holds now (see :func:`sync_from_file`)."""
    return sync_from_file(session, config_dir, file)


def history(session: Session, file: str, limit: int = 100) -> list[ConfigVersion]:
    """The file's versions, newest first."""
    rows = session.scalars(
        select(ConfigVersionRow)
        .where(ConfigVersionRow.file == file)
        .order_by(ConfigVersionRow.number.desc())
        .limit(limit)
    )
    return [ConfigVersion.of(row) for row in rows]


def get(session: Session, file: str, number: int) -> ConfigVersion | None:
    row = session.scalars(
        select(ConfigVersionRow).where(ConfigVersionRow.file == file, ConfigVersionRow.number == number)
    ).first()
    return ConfigVersion.of(row) if row else None


def save(
    session: Session, config_dir: Path, file: str, text: str, *, author: str, comment: str, base: int
) -> ConfigVersion:
    """Save ``text`` as ``file``'s next version and write the file; the caller commits.

    Raises :class:`StaleEdit` when a version newer than ``base`` exists (nothing written) and
    :class:`~monitor.appconfig.errors.ConfigError` when the text has problems (nothing written).
    """
    _known(file)
    serialize(session, f"config:{file}")  # saves of one file take turns (module doc)
    head = sync_from_file(session, config_dir, file)
    if head.number != base:
        raise StaleEdit(head, get(session, file, base))
    problems = check_text(config_dir, file, text)
    if problems:
        raise ConfigError(problems)
    row = _add(session, file, text, author, comment, _head(session, file))
    _write_atomically(config_dir / file, text)
    session.add(
        AuditEntry(
            at=row.created_at,
            actor=author,
            action="config.save",
            target=file,
            old={"version": base},
            new={"version": row.number, "comment": comment},
        )
    )
    return ConfigVersion.of(row)


def rollback(
    session: Session, config_dir: Path, file: str, number: int, *, author: str, base: int
) -> ConfigVersion:
    """A new version equal to version ``number`` (see :func:`save` for what it raises)."""
    old = get(session, file, number)
    if old is None:
        raise LookupError(f"{file} has no version {number}")
    return save(
        session, config_dir, file, old.text, author=author, comment=f"rollback to version {number}", base=base
    )


def _known(file: str) -> None:
    if file not in VERSIONED_FILES:
        raise ValueError(f"{file!r} is not versioned; versioned files: {', '.join(VERSIONED_FILES)}")


def _head(session: Session, file: str) -> ConfigVersionRow | None:
    return session.scalars(
        select(ConfigVersionRow)
        .where(ConfigVersionRow.file == file)
        .order_by(ConfigVersionRow.number.desc())
        .limit(1)
    ).first()


def _add(
    session: Session, file: str, text: str, author: str, comment: str, head: ConfigVersionRow | None
) -> ConfigVersionRow:
    row = ConfigVersionRow(
        file=file,
        number=(head.number if head else 0) + 1,
        text=text,
        sha256=_sha(text),
        author=author,
        comment=comment[:500],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()  # the unique (file, number) refuses a duplicate here, before the file is written
    return row


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` so a reader (the service reloading) sees the old file or the new, never half.

    The new file keeps the old one's mode: ``service.yaml`` may be kept private by its owner.
    """
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it takes the old file's name
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _label(version: ConfigVersion | None) -> str:
    return f"version {version.number} ({version.author})" if version else "(none)"
