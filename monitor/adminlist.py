"""Changes to ``service.yaml``'s ``admins:`` list from the web (invite and remove an admin).

service.yaml stays the one place that says who is an admin: the web edits it (as a new version,
``monitor.appconfig.versions.save``), so an admin added in the browser shows in the file, in its
history and in the audit log, and a hand edit of the file still works. Text in, text out, with
the file's comments kept (``monitor.appconfig.roundtrip``); the caller validates and saves.
"""

from __future__ import annotations

from monitor.appconfig.roundtrip import CommentedSeq, append_item, delete_item, dump, load


def admins_in(text: str) -> list[str]:
    doc = load(text) or {}
    return [str(a) for a in doc.get("admins") or []]


def add_admin(text: str, email: str) -> str:
    """The file with ``email`` added at the end of ``admins:`` (unchanged if it is there, any case)."""
    doc = load(text)
    admins = doc.get("admins")
    if admins is None:
        admins = doc["admins"] = CommentedSeq()
    if email.lower() not in {str(a).lower() for a in admins}:
        append_item(admins, email)
    return dump(doc)


def remove_admin(text: str, email: str) -> str:
    """The file without ``email`` in ``admins:`` (any case)."""
    doc = load(text)
    admins = doc.get("admins")
    if not isinstance(admins, CommentedSeq):
        return dump(doc)
    for i in reversed(range(len(admins))):
        if str(admins[i]).lower() == email.lower():
            delete_item(admins, i)
    return dump(doc)
