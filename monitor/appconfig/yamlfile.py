"""Read YAML keeping the line of every key and item, so validation errors can point at them.

PyYAML's composer gives nodes with marks; we build plain Python data from the node tree
ourselves and record ``path → line``. Duplicate keys, which PyYAML silently accepts,
are reported as errors: a typo'd second ``weight:`` must not win quietly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.appconfig.errors import ConfigProblem

Path_ = tuple[str | int, ...]


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


def read_yaml(path: Path, text: str | None = None) -> YamlDocument:
    """Parse ``path`` (or ``text``). A syntax error becomes a problem with its line, not an exception."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"YAML syntax error: {exc.problem or exc}"
        return YamlDocument(None, {}, [ConfigProblem(path, line, msg)])
    lines: dict[Path_, int] = {}
    problems: list[ConfigProblem] = []
    data = _build(node, (), lines, problems, path) if node is not None else None
    return YamlDocument(data, lines, problems)


_constructor = yaml.SafeLoader("")


def _build(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[ConfigProblem], file: Path
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _constructor.construct_object(key_node, deep=True)
            if key in out:
                problems.append(
                    ConfigProblem(
                        file, key_node.start_mark.line + 1, f"duplicate key {key!r}", _dotted((*path, key))
                    )
                )
            child = (*path, key)
            out[key] = _build(value_node, child, lines, problems, file)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, problems, file) for i, item in enumerate(node.value)]
    return _constructor.construct_object(node, deep=True)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
