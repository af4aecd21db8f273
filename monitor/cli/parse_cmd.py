"""``tenderwatch parse``: run the parser (eForms or legacy TED XML) over files, to check a notice by hand.

Read-only: nothing is stored. Every file is tried even when others fail, and each failure names
its file, so one bad download in a directory of thousands is easy to find.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from db.record import NoticeRecord
from scrapers.parsers import DEFAULT_MAX_BYTES, NoticeParseError, parse_notice


def _files(paths: tuple[Path, ...]) -> Iterator[Path]:
    """Files as given; directories walked (recursively, sorted) for ``*.xml``."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.xml") if p.is_file())
        else:
            yield path


class Unreadable(Exception):
    """A path that is not a file we will read: a FIFO, a device, a file over the size limit."""


def read_notice_file(path: Path, limit: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, read only if it is a regular file and only up to ``limit`` (+1, to
    tell the parser it is too big): a FIFO would block forever and ``/dev/zero`` never ends."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not block either
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    finally:
        os.close(fd)


def summary_line(record: NoticeRecord) -> str:
    """One human-readable line: identity, type, buyer, title, deadline and signals."""
    buyer = record.buyers[0] if record.buyers else None
    who = f"{buyer.name} ({buyer.country})" if buyer and buyer.country else (buyer.name if buyer else "-")
    title = record.text(record.title) or "-"
    if len(title) > 70:
        title = title[:69] + "…"
    parts = [
        record.publication_number or record.notice_id or "-",
        f"st{record.subtype or '?'} {record.notice_type or '?'}",
        who,
        title,
    ]
    if record.deadline:
        parts.append(f"deadline {record.deadline.isoformat()}")
    if record.changes:
        parts.append(f"changes {record.changes.changed_notice}")
    signals = " ".join(f"{k}={','.join(v)}" for k, v in record.signals.items())
    if signals:
        parts.append(signals)
    return " | ".join(parts)


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notice (the normalized record).")
def parse_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Parse notice files (eForms or legacy TED XML) and print what TenderWatch reads from them.

    PATHS are XML files or directories (searched recursively for *.xml). Prints one line per
    notice, or with --json one JSON object per line. Files that cannot be parsed are reported
    on stderr with the reason; the others are still printed. Exits 1 if any file failed.
    """
    failed = 0
    for path in _files(paths):
        try:
            record = parse_notice(read_notice_file(path), source_name=str(path))
        except (NoticeParseError, Unreadable) as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
            continue
        except OSError as exc:
            failed += 1
            click.echo(f"error: {path}: cannot read: {exc.strerror or exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(record.to_dict(), ensure_ascii=False))
        else:
            click.echo(summary_line(record))
    if failed:
        click.echo(f"{failed} file(s) could not be parsed", err=True)
        sys.exit(1)


commands: list[click.Command] = [parse_command]
