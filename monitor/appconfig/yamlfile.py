"""Read YAML keeping the line of every key and item, so validation errors can point at them.

PyYAML's composer gives nodes with marks; we build plain Python data from the node tree
ourselves and record ``path → line``. Duplicate keys, which PyYAML silently accepts,
are reported as errors: a typo'd second ``weight:`` must not win quietly.

The files are edited by hand while the service runs, so whatever is in them must end as a
problem with its line, never as an exception (issue #13):

- bytes that are not UTF-8: the line of the first bad byte;
- aliases: a node may be reached through aliases at most ``MAX_ALIAS_NODES`` times in all,
  so a "billion laughs" bomb stops after a few thousand nodes instead of filling memory,
  and an alias inside its own anchor (``loop: &r [*r]``) is refused, not followed forever;
- nesting deeper than ``MAX_DEPTH``: refused while composing (PyYAML recurses per level)
  and while building (aliases can stack nodes deeper than the text shows);
- a value PyYAML cannot build (``2026-02-30``, ``!!python/object``, bad base64): the line;
- a file bigger than ``MAX_BYTES``, or one that is not a regular file (a FIFO would block).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from monitor.appconfig.errors import ConfigProblem

Path_ = tuple[str | int, ...]

MAX_BYTES = 10 * 1024 * 1024
"""The shipped files total 35 kB; a subscribers import of 30,000 people is about 5 MB."""
MAX_DEPTH = 64
"""The shipped files nest 6 levels deep; 64 leaves room and keeps far from Python's stack."""
MAX_ALIAS_NODES = 10_000
"""Nodes reached again through aliases, in all: plenty for reusing a block, and a bomb of
nine levels of nine (387 million nodes) is stopped after ten thousand."""


class YamlDocument:
    def __init__(self, data: Any, lines: dict[Path_, int], problems: list[ConfigProblem]) -> None:
        self.data = data
        self.lines = lines
        self.problems = problems

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)


def read_bytes(path: Path) -> bytes | ConfigProblem:
    """The file's bytes, or the problem that keeps them from being read (bounded, regular only)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open either
    except OSError as exc:
        return ConfigProblem(path, None, f"cannot be read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ConfigProblem(path, None, "not a regular file")
        if info.st_size > MAX_BYTES:
            return ConfigProblem(path, None, f"{info.st_size:,} bytes is over the limit of {MAX_BYTES:,}")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return ConfigProblem(path, None, f"cannot be read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # it grew while we read
        return ConfigProblem(path, None, f"over the limit of {MAX_BYTES:,} bytes")
    return data


def decode(path: Path, data: bytes) -> str | ConfigProblem:
    """UTF-8 text, or a problem naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return ConfigProblem(path, line, message)


def read_yaml(path: Path, text: str | bytes | None = None) -> YamlDocument:
    """Parse ``path`` (or ``text``, or bytes). Every failure becomes a problem with its line."""
    raw: str | bytes | ConfigProblem = read_bytes(path) if text is None else text
    source = decode(path, raw) if isinstance(raw, bytes) else raw
    if isinstance(source, ConfigProblem):
        return YamlDocument(None, {}, [source])
    try:
        node = yaml.compose(source, Loader=_BoundedLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return YamlDocument(None, {}, [ConfigProblem(path, line, f"YAML syntax error: {exc.problem or exc}")])
    except yaml.YAMLError as exc:  # e.g. ReaderError: a control character, with a position
        position = getattr(exc, "position", None)
        line = source.count("\n", 0, position) + 1 if isinstance(position, int) else None
        reason = getattr(exc, "reason", None) or exc
        return YamlDocument(None, {}, [ConfigProblem(path, line, f"YAML syntax error: {reason}")])
    if node is None:
        return YamlDocument(None, {}, [])
    builder = _Builder(path)
    try:
        data = builder.build(node, (), 0, False)
    except _Refused as exc:
        return YamlDocument(None, builder.lines, [*builder.problems, ConfigProblem(path, exc.line, str(exc))])
    return YamlDocument(data, builder.lines, builder.problems)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses to nest deeper than ``MAX_DEPTH``."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH:
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    """The document as a whole is refused (too many alias nodes, too deep); carries the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


_UNREADABLE = object()


class _Builder:
    """Plain data from a node tree, with lines and problems; aliases bounded, cycles refused."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.problems: list[ConfigProblem] = []
        self.seen: set[int] = set()
        self.on_path: set[int] = set()
        self.alias_nodes = 0
        # One constructor per document: it caches every node it built, and a shared one would
        # keep each reload's nodes alive for the life of the service.
        self.constructor = yaml.SafeLoader("")

    def problem(self, node: yaml.Node, message: str, path: Path_) -> None:
        self.problems.append(ConfigProblem(self.file, node.start_mark.line + 1, message, _dotted(path)))

    def build(self, node: yaml.Node, path: Path_, depth: int, via_alias: bool) -> Any:
        """``via_alias``: this node was reached again through an alias (it counts to the limit)."""
        key = id(node)
        line = node.start_mark.line + 1
        if key in self.on_path:
            self.problem(node, "an alias refers to itself (a loop); write the value out", path)
            return None
        if depth > MAX_DEPTH:
            raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels (through aliases)")
        via_alias = via_alias or key in self.seen
        if via_alias:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _Refused(
                    line,
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (an alias bomb?); "
                    "write the values out",
                )
        self.seen.add(key)
        self.lines[path] = line
        if isinstance(node, yaml.SequenceNode):
            self.on_path.add(key)
            try:
                items = enumerate(node.value)
                return [self.build(item, (*path, i), depth + 1, via_alias) for i, item in items]
            finally:
                self.on_path.discard(key)
        if isinstance(node, yaml.MappingNode):
            self.on_path.add(key)
            try:
                return self._mapping(node, path, depth, via_alias)
            finally:
                self.on_path.discard(key)
        value = self._scalar(node, path)
        return None if value is _UNREADABLE else value

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int, via_alias: bool) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a key must be a plain value, not a list or mapping", path)
                continue
            key = self._scalar(key_node, path)
            if key is _UNREADABLE:
                continue
            if key in out:
                self.problem(key_node, f"duplicate key {key!r}", (*path, key))
            child = (*path, key)
            out[key] = self.build(value_node, child, depth + 1, via_alias)
            self.lines[child] = key_node.start_mark.line + 1
        return out

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
            hash(value)  # a key must be hashable; plain scalars are, tagged oddities may not be
        except Exception as exc:  # PyYAML raises ValueError, TypeError, binascii.Error … here
            reason = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
            self.problem(node, f"cannot read this value ({reason})", path)
            return _UNREADABLE
        return value


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
