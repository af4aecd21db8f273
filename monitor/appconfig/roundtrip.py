"""Edit a config file's YAML text the way a person would: its comments, quoting and layout kept.

The web editors (branches, admins) change a few values of a file that admins also edit by
hand and that explains itself in comments; loading it into plain data and dumping it again
would drop every comment. ruamel.yaml's round-trip mode keeps them, and the shipped files come
back byte for byte when nothing changed (``tests/web/test_admin_branch_edit.py`` checks).

This module only parses and prints; validation stays with ``load_file`` (``versions.check_text``).
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

__all__ = [
    "CommentedMap",
    "CommentedSeq",
    "YAMLError",
    "add_key",
    "append_item",
    "delete_item",
    "dump",
    "flow_list",
    "load",
]


def _yaml() -> YAML:
    y = YAML()  # round-trip mode: comments, key order and flow styles survive
    y.preserve_quotes = True  # 'a' stays 'a' and "b" stays "b": a hand-written diff stays small
    y.width = 4096  # never fold a long line the admin wrote on one line (regex lists, names)
    y.indent(mapping=2, sequence=4, offset=2)  # the shipped files' "  - name:" style
    return y


def load(text: str) -> Any:
    """The document as ruamel's commented maps and lists (raises ``YAMLError`` on bad YAML)."""
    return _yaml().load(text)


def dump(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def flow_list(items: list[Any]) -> CommentedSeq:
    """A list written ``[a, b]`` on one line, as the shipped files write patterns."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def append_item(seq: CommentedSeq, item: Any) -> None:
    """Append to a list, keeping what followed the list after it.

    ruamel hangs the comment (and blank line) that follows a list of plain values on the list's
    last item, so a plain ``append`` would slip the new item below the next key's comment.
    """
    trailer = seq.ca.items.pop(len(seq) - 1, None) if len(seq) else None
    seq.append(item)
    if trailer is not None:
        seq.ca.items[len(seq) - 1] = trailer


def delete_item(seq: CommentedSeq, index: int) -> None:
    """Delete from a list; the comment after the list stays when its last item goes."""
    last = len(seq) - 1
    trailer = seq.ca.items.get(last) if index == last else None
    del seq[index]
    if trailer is not None and len(seq):
        seq.ca.items[len(seq) - 1] = trailer


def add_key(mapping: CommentedMap, key: str, value: Any, *, before: str | None = None) -> None:
    """Add a key that is not there: just above ``before`` when the mapping has it, else last,
    taking over the comment or blank line that followed the mapping (see :func:`append_item`)."""
    if before is not None and before in mapping:
        mapping.insert(list(mapping).index(before), key, value)
        return
    last = next(reversed(mapping), None) if len(mapping) else None
    trailer = mapping.ca.items.pop(last, None) if last is not None else None
    mapping[key] = value
    if trailer is not None:
        mapping.ca.items[key] = trailer
