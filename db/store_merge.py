"""Another source's own content, merged into a stored notice version.

Copies of one notice version from two sources agree on everything but what is a source's own
(docs/architecture.md#identity): the per-source publication fields, ``national`` extras, and
signals under a ``source:`` key — HILMA's innovation answers (``hilma:innovationConsidered``)
come beside its XML, not in it, and TED never has them. Those do not make the copies differ
(``db.store_keys.record_hash`` leaves them out), and they are not dropped either: whichever copy
came first, the stored record gains what the other carries, so the declared measure and the
classifier see HILMA's answers even for a notice TED brought first.

The rule: signals by key, record level and per lot (by lot id), union of codes, sorted and
de-duplicated as ``db.record`` keeps them; ``national`` keys the stored record lacks are added
(a key both have keeps the stored value). Only adds, so a re-send changes nothing and the
order of arrival does not matter. Imports only ``db.store_keys``.
"""

from __future__ import annotations

from typing import Any

from db.store_keys import is_source_own


def has_own_content(data: dict[str, Any]) -> bool:
    """Whether a record dict carries anything :func:`merge_own` could add: ``national`` extras or a
    source-own signal (record level or on a lot). Cheap: no copy, stops at the first one."""
    if data.get("national"):
        return True
    if any(is_source_own(k) for k in data.get("signals") or ()):
        return True
    return any(is_source_own(k) for lot in data.get("lots") or () for k in lot.get("signals") or ())


def _union_own(stored: dict[str, Any] | None, incoming: dict[str, Any] | None) -> dict[str, Any] | None:
    """``stored`` signals with ``incoming``'s source-own codes added; None when that adds nothing."""
    merged: dict[str, Any] | None = None
    for key, codes in (incoming or {}).items():
        if not is_source_own(key):
            continue
        have = (stored or {}).get(key) or []
        union = sorted({*have, *codes})
        if union != have:
            merged = merged if merged is not None else dict(stored or {})
            merged[key] = union
    return merged


def merge_own(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any] | None:
    """``stored`` (a record dict) with ``incoming``'s own content added; None if it adds nothing.

    ``incoming`` is another copy of the same notice version (equal ``record_hash``), so its lots
    are the stored lots; a lot id the stored record lacks has nowhere to go and is skipped.
    Neither argument is changed.
    """
    out: dict[str, Any] | None = None
    signals = _union_own(stored.get("signals"), incoming.get("signals"))
    if signals is not None:
        out = {**stored, "signals": signals}
    incoming_lots = {lot.get("lot_id"): lot for lot in incoming.get("lots") or ()}
    lots = list(stored.get("lots") or ())
    lots_changed = False
    for i, lot in enumerate(lots):
        other = incoming_lots.get(lot.get("lot_id"))
        lot_signals = _union_own(lot.get("signals"), other.get("signals")) if other else None
        if lot_signals is not None:
            lots[i] = {**lot, "signals": lot_signals}
            lots_changed = True
    if lots_changed:
        out = {**(out or stored), "lots": lots}
    have = stored.get("national") or {}
    extra = {k: v for k, v in (incoming.get("national") or {}).items() if k not in have}
    if extra:
        out = {**(out or stored), "national": {**have, **extra}}
    return out
