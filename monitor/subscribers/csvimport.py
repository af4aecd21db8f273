"""The admin page's CSV import: a preview that reports every bad row, then creating the good ones.

Unlike ``tenderwatch subscribers import`` (``monitor.subscribers.files``), which takes a whole
file or nothing and updates existing subscribers, this import only ever **adds** people: a row
whose address is already a subscriber is reported and skipped, never changed. That makes a
confirm idempotent (the second one finds every address existing and creates nothing) and
keeps an old spreadsheet from overwriting what subscribers set for themselves.

The file is read twice: once for the preview, and again, from the same text, on confirm,
inside the transaction that creates the rows, so what is created is checked against the
database as it is then, not as it was at the preview.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.alerts import Subscriber
from monitor.safety import csv_uncell
from monitor.subscribers import upsert
from monitor.subscribers.config import SubscriberSpec

REQUIRED_COLUMNS = ("email", "name", "language")
OPTIONAL_COLUMNS = ("kind", "branch")
"""``kind`` is ``company`` (the default) or ``branch``; a branch contact also needs ``branch``."""
MAX_BYTES = 256 * 1024
"""The largest file taken: about 3,000 rows, more than any real list, small enough to carry
back to the confirm step in a hidden form field and to parse twice without noticing."""
MAX_ROWS = 5000


@dataclass(frozen=True)
class BadRow:
    line: int
    """The file's line number (the header is line 1), as a spreadsheet shows it."""
    email: str
    reason: str
    """A stable code the page translates: ``bad_email``, ``unknown_language``, ``duplicate``,
    ``exists``, ``bad_kind``, ``needs_branch``, ``unknown_branch``."""
    detail: str = ""


@dataclass
class Preview:
    good: list[tuple[int, SubscriberSpec]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    error: str | None = None
    """Why the whole file was refused (``too_big``, ``not_utf8``, ``missing_columns``, …), or None."""
    error_detail: str = ""


def digest(text: str) -> str:
    """The hash the preview page carries with the file, so the confirm takes exactly what was shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes) -> str | None:
    """The file's text (UTF-8, with or without Excel's BOM), or None when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def preview(session: Session, text: str, branches: Collection[str]) -> Preview:
    """Check every row of ``text`` against the rules and the database; create nothing."""
    out = Preview()
    if len(text.encode("utf-8")) > MAX_BYTES:
        out.error = "too_big"
        return out
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        out.error, out.error_detail = "missing_columns", ", ".join(missing)
        return out
    unknown = [c for c in columns if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        out.error, out.error_detail = "unknown_columns", ", ".join(unknown)
        return out
    seen: dict[str, int] = {}
    rows: list[tuple[int, SubscriberSpec]] = []
    for count, row in enumerate(reader, start=1):
        if count > MAX_ROWS:
            out.error, out.error_detail = "too_many_rows", str(MAX_ROWS)
            return out
        line = reader.line_num
        cells = {k: csv_uncell((v or "").strip()) for k, v in row.items() if k}
        if not any(cells.values()):
            continue  # a spreadsheet's trailing empty line is no mistake
        email = cells.get("email", "")
        bad = _check(cells, branches)
        if bad:
            out.bad.append(BadRow(line, email, *bad))
            continue
        spec = SubscriberSpec(
            email=email,
            name=cells.get("name", ""),
            language=cells["language"].lower(),  # type: ignore[arg-type]  # checked by _check
            kind=(cells.get("kind") or "company").lower(),  # type: ignore[arg-type]
            branch=cells.get("branch") or None,
        )
        if spec.email in seen:
            out.bad.append(BadRow(line, email, "duplicate", str(seen[spec.email])))
            continue
        seen[spec.email] = line
        rows.append((line, spec))
    existing = _existing(session, [s.email for _, s in rows])
    for line, spec in rows:
        if spec.email in existing:
            out.bad.append(BadRow(line, spec.email, "exists"))
        else:
            out.good.append((line, spec))
    out.bad.sort(key=lambda b: b.line)
    return out


def _check(cells: dict[str, str], branches: Collection[str]) -> tuple[str, str] | None:
    """The first thing wrong with a row, as (reason, detail), or None."""
    language = cells.get("language", "").lower()
    if language not in ("fi", "sv", "en"):
        return "unknown_language", cells.get("language", "")
    kind = (cells.get("kind") or "company").lower()
    if kind not in ("company", "branch"):
        return "bad_kind", cells.get("kind", "")
    branch = cells.get("branch") or ""
    if kind == "branch" and not branch:
        return "needs_branch", ""
    if branch and branch not in branches:
        return "unknown_branch", branch
    try:
        SubscriberSpec(email=cells.get("email", ""), name=cells.get("name", ""))
    except ValidationError as exc:
        return "bad_email", str(exc.errors()[0].get("msg", ""))
    return None


def _existing(session: Session, emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 500):  # well under every database's bound-parameter limit
        chunk = emails[start : start + 500]
        found.update(
            session.scalars(
                select(func.lower(Subscriber.email)).where(func.lower(Subscriber.email).in_(chunk))
            )
        )
    return found


def create(session: Session, result: Preview) -> list[str]:
    """Create the preview's good rows (in the caller's transaction); return their addresses."""
    created = []
    for _, spec in result.good:
        upsert(session, spec)
        created.append(spec.email)
    return created
