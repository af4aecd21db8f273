"""Changes to ``branches.yaml``'s text from the web editor and the unmapped-buyers queue.

Each function takes the file's text and returns the new text; nothing here validates (the
caller saves through ``monitor.appconfig.versions.save``, which runs the same checks as
``tenderwatch config check`` and writes nothing on a problem) and nothing here writes a file.
The edits go through ruamel's round trip (``monitor.appconfig.roundtrip``), so the file's
comments, and the members the admin did not touch, stay as they were written.

A value the admin typed is written as typed (a business ID with its spaces, a date that is not
one): the check then reports it at its line, in the admin's words, rather than this module
guessing what was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ruamel.yaml.scalarstring import SingleQuotedScalarString

from monitor.appconfig.roundtrip import CommentedMap, add_key, dump, flow_list, load
from monitor.branches import business_id_valid, normalize_business_id

MEMBER_FIELDS = ("name", "business_id", "patterns", "valid_from", "valid_to")
_LOCATION = re.compile(r"^branches\[(\d+)\](?:\.members\[(\d+)\])?(?:\.(.+))?$")


@dataclass
class MemberRow:
    """One member as the form shows it: every value a string, patterns one per line."""

    name: str = ""
    business_id: str = ""
    patterns: str = ""
    valid_from: str = ""
    valid_to: str = ""
    original: int | None = None
    """Its position in the file when the form was drawn (None: added in the form)."""
    remove: bool = False

    @property
    def blank(self) -> bool:
        return not any((self.name, self.business_id, self.patterns, self.valid_from, self.valid_to))

    def pattern_list(self) -> list[str]:
        return [p.strip() for p in self.patterns.splitlines() if p.strip()]


@dataclass
class BranchForm:
    """One branch as the structured editor shows it."""

    index: int
    id: str = ""
    main_title: str = ""
    name_fi: str = ""
    name_sv: str = ""
    name_en: str = ""
    contacts: str = ""
    """One address per line."""
    members: list[MemberRow] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def branch_ids(text: str) -> list[str]:
    """The branches' ids in file order (for the editor's list of branches)."""
    doc = load(text) or {}
    return [_text(b.get("id")) for b in doc.get("branches") or [] if isinstance(b, dict)]


def branch_form(text: str, index: int) -> BranchForm:
    """The form of the ``index``-th branch of the file (IndexError when there is none)."""
    doc = load(text) or {}
    b = (doc.get("branches") or [])[index]
    names = b.get("names") or {}
    members = [
        MemberRow(
            name=_text(m.get("name")),
            business_id=_text(m.get("business_id")),
            patterns="\n".join(_text(p) for p in m.get("patterns") or []),
            valid_from=_text(m.get("valid_from")),
            valid_to=_text(m.get("valid_to")),
            original=i,
        )
        for i, m in enumerate(b.get("members") or [])
    ]
    return BranchForm(
        index=index,
        id=_text(b.get("id")),
        main_title=_text(b.get("main_title")),
        name_fi=_text(names.get("fi")),
        name_sv=_text(names.get("sv")),
        name_en=_text(names.get("en")),
        contacts="\n".join(_text(c) for c in b.get("contacts") or []),
        members=members,
    )


def _date_or_text(value: str) -> date | str:
    """A typed date as a YAML date; anything else as typed, for the check to report at its line."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


def _int_or_text(value: str) -> int | str:
    return int(value) if value.strip().isdigit() else value


def _set(mapping: Any, key: str, value: Any, before: str | None = None) -> None:
    """Set ``key`` or, for an empty value, drop it (an optional key the admin cleared). A new key
    goes above ``before`` (a branch's contacts above its long members list), else last."""
    if value in ("", None, []):
        if key in mapping:
            del mapping[key]
    elif key not in mapping:
        add_key(mapping, key, value, before=before)
    elif mapping.get(key) != value:
        mapping[key] = value


def _apply_member(target: Any, row: MemberRow) -> None:
    _set(target, "name", row.name.strip())
    _set(target, "business_id", row.business_id.strip(), before="patterns")
    patterns = row.pattern_list()
    if list(target.get("patterns") or []) != patterns:  # unchanged lists keep their written style
        _set(target, "patterns", flow_list(patterns) if patterns else [])
    _set(target, "valid_from", _date_or_text(row.valid_from.strip()) if row.valid_from.strip() else "")
    _set(target, "valid_to", _date_or_text(row.valid_to.strip()) if row.valid_to.strip() else "")


def apply_branch(text: str, form: BranchForm) -> tuple[str, list[int]]:
    """The file with branch ``form.index`` as the form has it; also, for each member in the new
    file, the form row it came from (so a problem at ``members[i]`` is shown at its row)."""
    doc = load(text)
    b = doc["branches"][form.index]
    _set(b, "id", form.id.strip())
    _set(b, "main_title", _int_or_text(form.main_title.strip()))
    names = b.get("names")
    if names is None:
        names = b["names"] = CommentedMap()
        names.fa.set_flow_style()
    for lang, value in (("fi", form.name_fi), ("sv", form.name_sv), ("en", form.name_en)):
        _set(names, lang, value.strip())
    old_members = list(b.get("members") or [])
    new_members: list[Any] = []
    rows: list[int] = []
    for i, row in enumerate(form.members):
        if row.remove or (row.original is None and row.blank):
            continue
        if row.original is not None and row.original < len(old_members):
            target = old_members[row.original]  # edited in place: its comments stay with it
        else:
            target = CommentedMap()
        _apply_member(target, row)
        new_members.append(target)
        rows.append(i)
    if "members" in b:
        b["members"][:] = new_members
    elif new_members:
        b["members"] = new_members
    contacts = [c.strip() for c in form.contacts.splitlines() if c.strip()]
    if list(b.get("contacts") or []) != contacts:
        if "contacts" in b:  # written [a, b] as the file writes it; cleared as []
            b["contacts"] = flow_list(contacts)
        elif contacts:
            add_key(b, "contacts", flow_list(contacts), before="members")
    return dump(doc), rows


@dataclass(frozen=True)
class FieldProblem:
    """Where in the structured form a problem of the check belongs."""

    key: str
    """``""`` (the whole form), ``id``, ``names.fi``, ``m-3`` (a member row), ``m-3-business_id``."""
    message: str
    line: int | None


def form_key(location: str, index: int, rows: list[int]) -> str:
    """The form field of a problem's dotted location, for branch ``index`` ("" when elsewhere)."""
    m = _LOCATION.match(location)
    if not m or int(m.group(1)) != index:
        return ""
    member, rest = m.group(2), m.group(3) or ""
    if member is None:
        return rest
    i = int(member)
    row = rows[i] if i < len(rows) else i
    name = rest.split("[")[0].split(".")[0]
    return f"m-{row}-{name}" if name in MEMBER_FIELDS else f"m-{row}"


def member_for_buyer(name: str, org_id: str | None) -> CommentedMap:
    """The member that places a buyer: its business ID when it has a valid one; else its name,
    matched whole (``^name$``, case-insensitive like every pattern), never as a looser regex."""
    member = CommentedMap()
    member["name"] = name
    bid = normalize_business_id(org_id)
    if bid and business_id_valid(bid):
        member["business_id"] = bid
    else:
        # re.escape also escapes spaces, which a reader of the file need not see.
        pattern = "^" + re.escape(name.strip()).replace("\\ ", " ") + "$"
        member["patterns"] = flow_list([SingleQuotedScalarString(pattern)])
    return member


def add_member(text: str, branch_id: str, member: CommentedMap) -> str:
    """The file with ``member`` appended to branch ``branch_id``'s members (KeyError: no such branch)."""
    doc = load(text)
    for b in doc.get("branches") or []:
        if b.get("id") == branch_id:
            if b.get("members") is None:
                b["members"] = []
            b["members"].append(member)
            return dump(doc)
    raise KeyError(branch_id)
