"""The rules editor's structured form over ``innovation.yaml``: what it shows, and its edits
written back into the YAML text as small splices.

The file is the admins' own text, full of comments that say why a word or weight is there,
and long flow mappings wrapped by hand. A full load-and-dump would rewrite dozens of lines
on every edit (ruamel.yaml joins wrapped flow mappings: 102 changed lines in the shipped
file for no change at all), and the version diff would then hide the one change that was
made. So the text is parsed once with the round-trip loader only for the *positions* of the
values (``lc``), and each changed value is replaced
in place: a number, one keyword language's ``{lemma: [...], ...}`` mapping, or one
sequence (a flow ``[...]`` as a whole; a block sequence item by item, keeping each kept
item's line and comment). Everything else stays byte for byte.

Form field names (the template writes them, :func:`apply_form` reads them):

- ``num:<path>`` a number, e.g. ``num:thresholds.innovative``, ``num:keywords.3.weight``;
- ``seq:<path>`` one input per item, in order, then empty inputs for new items: an item
  cleared is removed, a new one filled in is added (``seq:keywords.3.fi.lemma``,
  ``seq:exclusions.spans.boilerplate``, ``seq:negation_cues.sv``);
- ``bool:<path>`` a checkbox with a hidden "0" before it (``bool:keywords.3.fi.compound``).

A value that is no number is written as a quoted string, so ``rules check`` reports it at
its field like any other mistake; nothing here validates beyond that.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.appconfig import roundtrip
from monitor.appconfig.roundtrip import YAMLError

LANGS = ("fi", "sv", "en")
KINDS = ("lemma", "stems", "regex")
YAML_SPECIALS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


class FormError(ValueError):
    """An edit the form cannot write (the YAML view can)."""


@dataclass
class Sequence:
    path: str
    label: str
    items: list[str]


@dataclass
class LangTerms:
    lang: str
    present: bool
    terms: dict[str, list[str]]
    compound: bool


@dataclass
class KeywordView:
    index: int
    id: str
    weight: Any
    description: str
    langs: list[LangTerms]


@dataclass
class FormView:
    """What the structured form shows, read from the YAML text."""

    thresholds: dict[str, Any]
    keywords: list[KeywordView] = field(default_factory=list)
    structured: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[Sequence] = field(default_factory=list)
    negation: list[Sequence] = field(default_factory=list)


def _load(text: str) -> Any:
    """The shared round-trip load (``monitor.appconfig.roundtrip``): its nodes carry positions
    (``lc``). Its ``dump`` is not used here: it would re-flow the file (module doc)."""
    return roundtrip.load(text)


def form_view(text: str) -> FormView | None:
    """The form's contents, or None when the text is no YAML of the expected shape (the YAML
    view then shows where)."""
    try:
        doc = _load(text)
        thresholds = {k: doc["thresholds"].get(k) for k in ("innovative", "possible", "max_text_score")}
        view = FormView(thresholds)
        for i, kw in enumerate(doc.get("keywords") or []):
            langs = []
            for lang in LANGS:
                block = kw.get(lang)
                terms = {k: [str(v) for v in (block or {}).get(k) or []] for k in KINDS}
                langs.append(LangTerms(lang, block is not None, terms, bool((block or {}).get("compound"))))
            view.keywords.append(
                KeywordView(i, str(kw.get("id")), kw.get("weight"), str(kw.get("description") or ""), langs)
            )
        for i, rule in enumerate(doc.get("structured") or []):
            view.structured.append(
                {
                    "index": i,
                    "id": str(rule.get("id")),
                    "weight": rule.get("weight"),
                    "field": str(rule.get("field")),
                    "description": str(rule.get("description") or ""),
                }
            )
        exclusions = doc.get("exclusions") or {}
        for section in ("spans", "vetoes", "notice_vetoes"):
            for name, items in (exclusions.get(section) or {}).items():
                path, label = f"exclusions.{section}.{name}", f"{section}: {name}"
                view.exclusions.append(Sequence(path, label, [str(v) for v in items or []]))
        for lang, cues in (doc.get("negation_cues") or {}).items():
            view.negation.append(Sequence(f"negation_cues.{lang}", str(lang), [str(v) for v in cues or []]))
        return view
    except (YAMLError, AttributeError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------- writing
def apply_form(text: str, fields: Iterable[tuple[str, str]]) -> str:
    """``text`` with the form's values written in; unchanged values leave their text alone."""
    doc = _load(text)
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []

    def offset(line: int, col: int) -> int:
        return starts[line] + col

    values: dict[str, list[str]] = defaultdict(list)
    for name, value in fields:
        values[name].append(value)

    for name, got in values.items():
        kind, _, path = name.partition(":")
        if kind != "num":
            continue
        parent, key = _resolve_parent(doc, path)
        new = got[-1].strip()
        old = parent.get(key)
        if new == "" or _same_number(old, new):
            continue
        at = offset(*parent.lc.value(key))
        end = _scalar_end(text, at, flow=False)
        edits.append((at, end, new if _is_number(new) else _quote(new)))

    # Keyword languages: one flow mapping per (keyword, language), rewritten whole when it changed.
    blocks: dict[tuple[int, str], dict[str, Any]] = defaultdict(dict)
    for name, got in values.items():
        kind, _, path = name.partition(":")
        parts = path.split(".")
        if parts[0] != "keywords" or len(parts) != 4 or kind not in ("seq", "bool"):
            continue
        i, lang, what = int(parts[1]), parts[2], parts[3]
        if kind == "bool":
            blocks[i, lang][what] = "1" in got
        else:
            blocks[i, lang][what] = [v.strip() for v in got if v.strip()]
    for (i, lang), wanted in sorted(blocks.items()):
        kw = doc["keywords"][i]
        block = kw.get(lang)
        current = {k: [str(v) for v in (block or {}).get(k) or []] for k in KINDS}
        current_compound = bool((block or {}).get("compound"))
        new_terms = {k: wanted.get(k, current[k]) for k in KINDS}
        compound = wanted.get("compound", current_compound)
        if new_terms == current and compound == current_compound:
            continue
        order = [k for k in (block or {}) if k in (*KINDS, "compound")] + [
            k for k in (*KINDS, "compound") if k not in (block or {})
        ]
        parts_out = []
        for k in order:
            if k == "compound":
                if compound:
                    parts_out.append("compound: true")
            elif new_terms[k]:
                parts_out.append(f"{k}: [{', '.join(_quote(v) for v in new_terms[k])}]")
        rendered = "{" + ", ".join(parts_out) + "}"
        if block is None:
            if not parts_out:
                continue
            line, col = kw.lc.key("weight")
            edits.append((starts[line + 1], starts[line + 1], f"{' ' * col}{lang}: {rendered}\n"))
        elif block.fa.flow_style():
            at = offset(*kw.lc.value(lang))
            edits.append((at, _flow_end(text, at), rendered))
        else:
            raise FormError(f"keywords[{i}].{lang} is written in block style; edit it in the YAML view")

    for name, got in values.items():
        kind, _, path = name.partition(":")
        if kind != "seq" or path.startswith("keywords."):
            continue
        parent, key = _resolve_parent(doc, path)
        seq = parent.get(key)
        old = [str(v) for v in seq or []]
        kept = [v.strip() for v in got[: len(old)]]
        added = [v.strip() for v in got[len(old) :] if v.strip()]
        if kept == old and not added:
            continue
        if seq.fa.flow_style():
            at = offset(*parent.lc.value(key))
            items = [v for v in kept if v] + added
            edits.append((at, _flow_end(text, at), "[" + ", ".join(_quote(v) for v in items) + "]"))
            continue
        last_line = 0
        col = 0
        for j, (was, now) in enumerate(zip(old, kept, strict=True)):
            line, col = seq.lc.item(j)
            last_line = line
            if now == was:
                continue
            if not now:
                edits.append((starts[line], starts[line + 1], ""))
            else:
                at = offset(line, col)
                edits.append((at, _scalar_end(text, at, flow=False), _quote(now)))
        if added:
            indent = " " * max(col - 2, 0)
            new_lines = "".join(f"{indent}- {_quote(v)}\n" for v in added)
            edits.append((starts[last_line + 1], starts[last_line + 1], new_lines))

    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def _resolve_parent(doc: Any, path: str) -> tuple[Any, Any]:
    node = doc
    parts = path.split(".")
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
    except (KeyError, IndexError, ValueError, TypeError):
        raise FormError(f"{path} is not in the file") from None
    return node, parts[-1]


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _same_number(old: Any, new: str) -> bool:
    try:
        return float(new) == float(old)
    except (TypeError, ValueError):
        return False


def _quote(value: str) -> str:
    """A YAML scalar for ``value``: plain for a simple word, single-quoted where a backslash
    occurs (regexes: no escapes in single quotes), else double-quoted."""
    if re.fullmatch(r"[^\W\d_][\w\-]*", value) and value.lower() not in YAML_SPECIALS:
        return value
    if "\\" in value or '"' in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _scalar_end(text: str, at: int, *, flow: bool) -> int:
    """Where the scalar starting at ``at`` ends (quoted or plain; a comment is not part of it)."""
    quote = text[at] if at < len(text) else ""
    if quote == "'":
        i = at + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(text)
    if quote == '"':
        i = at + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                return i + 1
            i += 1
        return len(text)
    i = at
    while i < len(text) and text[i] != "\n":
        if text[i] == "#" and i > at and text[i - 1] in " \t":
            break
        if flow and text[i] in ",]}":
            break
        i += 1
    return at + len(text[at:i].rstrip())


def _flow_end(text: str, at: int) -> int:
    """The end of the flow collection (``{...}`` or ``[...]``) that starts at ``at``."""
    depth = 0
    i = at
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _scalar_end(text, i, flow=True)
            continue
        if c == "#" and text[i - 1] in " \t\n":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise FormError("unbalanced brackets")
