"""What a change notice changed, and which of those changes matter to a bidder.

``diff_records`` compares the record a change notice carries (eForms change notices repeat
the whole notice) with the record of the notice it changes, field by field; ``material_events``
turns that diff into the event kinds the alerting part mails about. Both are pure functions
of two records, so they give the same answer whichever notice arrived first.
"""

from __future__ import annotations

from typing import Any

from db.record import Money, NoticeRecord
from db.store_keys import is_partial_change

DIFF_FIELDS = ("deadline", "value", "lots", "cpv", "documents_url", "title", "description")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Money | None) -> dict[str, Any] | None:
    return {"amount": value.amount, "currency": value.currency} if value else None


def _documents(record: NoticeRecord) -> list[str]:
    urls = [record.documents_url, *(lot.documents_url for lot in record.lots)]
    return sorted({u for u in urls if u})


def _lot_ids(record: NoticeRecord) -> list[str]:
    return [lot.lot_id for lot in record.lots]


def diff_records(old: NoticeRecord, new: NoticeRecord) -> dict[str, dict[str, Any]]:
    """``{field: {"old": …, "new": …}}`` for each of :data:`DIFF_FIELDS` that differs.

    ``lots`` also carries ``added`` and ``removed`` lot ids; ``documents_url`` compares the set
    of procedure and lot document URLs; ``deadline`` is the record's earliest deadline.

    A legacy TED corrigendum (F14) repeats only what it changes (``is_partial_change``): a
    field it leaves empty is not a removal and is not compared, and of the CPV codes it
    repeats only the main one.
    """
    partial = is_partial_change(new.form_type, new.sdk_version)
    out: dict[str, dict[str, Any]] = {}
    pairs: dict[str, tuple[Any, Any]] = {
        "deadline": (_iso(old.deadline), _iso(new.deadline)),
        "value": (_money(old.estimated_value), _money(new.estimated_value)),
        "cpv": ([old.cpv_main], [new.cpv_main]) if partial else (old.all_cpv, new.all_cpv),
        "documents_url": (_documents(old), _documents(new)),
        "title": (old.title, new.title),
        "description": (old.description, new.description),
    }
    for name, (a, b) in pairs.items():
        if partial and not (b and b != [None]):
            continue
        if a != b:
            out[name] = {"old": a, "new": b}
    old_lots, new_lots = _lot_ids(old), _lot_ids(new)
    if old_lots != new_lots and not (partial and not new_lots):
        out["lots"] = {
            "old": old_lots,
            "new": new_lots,
            "added": [x for x in new_lots if x not in old_lots],
            "removed": [x for x in old_lots if x not in new_lots],
        }
    return {k: out[k] for k in DIFF_FIELDS if k in out}


def material_events(diff: dict[str, dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """``(kind, old, new)`` for each material change in a diff, in a stable order.

    Title, description and CPV edits are stored in the diff but raise no event: they do not
    change whether or when anyone can bid. For ``lots_added``/``lots_removed`` ``old`` is the
    previous lot list and ``new`` the lots added or removed.
    """
    events: list[tuple[str, Any, Any]] = []
    if "deadline" in diff and diff["deadline"]["new"] is not None:
        events.append(("deadline_moved", diff["deadline"]["old"], diff["deadline"]["new"]))
    if "lots" in diff:
        lots = diff["lots"]
        if lots["added"]:
            events.append(("lots_added", lots["old"], lots["added"]))
        if lots["removed"]:
            events.append(("lots_removed", lots["old"], lots["removed"]))
    if "documents_url" in diff:
        events.append(("documents_changed", diff["documents_url"]["old"], diff["documents_url"]["new"]))
    if "value" in diff:
        events.append(("value_changed", diff["value"]["old"], diff["value"]["new"]))
    return events
