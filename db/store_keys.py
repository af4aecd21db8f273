"""Identity and reference keys: how notices from different sources are recognised as one.

TED writes publication numbers with leading zeros (``00711911-2023``), BT-758 often without
(``711911-2023``); BT-758 may instead name ``<uuid>-<version>``. Everything that compares
identities goes through these functions so the two spellings always meet.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from db.record import NoticeRecord

_PUBLICATION = re.compile(r"^\s*0*(\d{1,8})-(\d{4})\s*$")
_UUID_VERSION = re.compile(
    r"^\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})-(\d{1,3})\s*$"
)

# Fields one source fills and another may not (TED adds the OJ S publication; HILMA adds
# national extras): they do not make two copies of a notice version different.
PER_SOURCE_FIELDS = ("publication_number", "publication_date", "national")

SOURCE_OWN_MARK = ":"
"""A signal key with a ``source:`` prefix (``hilma:innovationConsidered``) is a source's own
content, not the notice's: eForms keys are ``BT-…``/``OPP-…`` and never contain it
(docs/architecture.md#identity)."""

# BT-03 form types whose notices report a contract rather than invite tenders.
AWARD_FORMS = frozenset({"result", "dir-awa-pre", "cont-modif", "completion"})
PLANNING_FORMS = frozenset({"planning", "consultation"})


def publication_key(number: str | None) -> str | None:
    """``00711911-2023`` → ``711911-2023``; anything that is not a publication number → None."""
    if not number:
        return None
    m = _PUBLICATION.match(number)
    return f"{int(m.group(1))}-{m.group(2)}" if m else None


LEGACY_PROCEDURE_PREFIX = "ted-legacy:"
"""Procedure ids of legacy TED notices (TED_EXPORT, before eForms), which have no BT-04: the
prefix and the publication key of the first notice of the chain, ``ted-legacy:405809-2019``."""

LEGACY_SCHEMA_PREFIX = "R2.0."
"""``sdk_version`` of a record parsed from legacy TED XML (``R2.0.9.S03.E01``, ``R2.0.8``)."""


def legacy_procedure_id(number: str | None) -> str | None:
    """The synthetic procedure id of a legacy notice chain starting at publication ``number``."""
    key = publication_key(number)
    return f"{LEGACY_PROCEDURE_PREFIX}{key}" if key else None


def legacy_procedure_start(procedure_key: str) -> str | None:
    """The publication key a legacy procedure id names (``ted-legacy:405809-2019`` → ``405809-2019``)."""
    if procedure_key.startswith(LEGACY_PROCEDURE_PREFIX):
        return publication_key(procedure_key[len(LEGACY_PROCEDURE_PREFIX) :])
    return None


def is_partial_change(form_type: str | None, sdk_version: str | None) -> bool:
    """A legacy TED corrigendum (F14): it repeats only what it changes, unlike an eForms change
    notice, which repeats the whole notice. Diffs and procedure summaries read only what it says."""
    return form_type == "change" and (sdk_version or "").startswith(LEGACY_SCHEMA_PREFIX)


def normalise_version(version: str | None) -> str | None:
    if version is None:
        return None
    v = version.strip()
    return v.zfill(2) if v.isdigit() else v


def version_ref(notice_id: str, version: str) -> str:
    """The ``<uuid>-<ver>`` form of BT-758 for a notice version, normalised."""
    return f"{notice_id.strip().lower()}-{normalise_version(version)}"


def changed_notice_ref(value: str | None) -> str | None:
    """BT-758 normalised: a publication key, or ``<uuid lower>-<ver zero-padded>``."""
    if not value:
        return None
    pub = publication_key(value)
    if pub:
        return pub
    m = _UUID_VERSION.match(value)
    if m:
        return version_ref(m.group(1), m.group(2))
    return value.strip().lower()


def split_version_ref(ref: str) -> tuple[str, str] | None:
    m = _UUID_VERSION.match(ref)
    return (m.group(1).lower(), normalise_version(m.group(2)) or "") if m else None


def source_key(source: str, source_id: str) -> str:
    return f"{source}:{source_id}"


def procedure_key(record: NoticeRecord, source: str, source_id: str) -> str:
    """BT-04, or a synthetic key so a notice without one still forms its own procedure."""
    if record.procedure_id and record.procedure_id.strip():
        return record.procedure_id.strip().lower()
    if record.notice_id:
        return f"notice:{record.notice_id.strip().lower()}"
    return f"source:{source_key(source, source_id)}"


def is_source_own(key: str) -> bool:
    """Whether a signal key is a source's own (``hilma:solutionNewToBuyer``), not an eForms id."""
    return SOURCE_OWN_MARK in key


def _shared_signals(signals: Any) -> Any:
    if not signals or not any(SOURCE_OWN_MARK in k for k in signals):
        return signals
    return {k: v for k, v in signals.items() if SOURCE_OWN_MARK not in k}


def shared_content(data: dict[str, Any]) -> dict[str, Any]:
    """What every source's copy of a notice version must agree on: the record dict without the
    per-source fields and without source-own signal keys (record level and each lot's).

    A record with no source-own signal gives the same dict as before source-own keys were left
    out, so its hash did not change (only stored hashes of records with such keys had to be
    recomputed, migration 0010).
    """
    core = {k: v for k, v in data.items() if k not in PER_SOURCE_FIELDS}
    if "signals" in core:
        core["signals"] = _shared_signals(core["signals"])
    lots = core.get("lots")
    if lots and any(_shared_signals(lot.get("signals")) is not lot.get("signals") for lot in lots):
        core["lots"] = [{**lot, "signals": _shared_signals(lot.get("signals"))} for lot in lots]
    return core


def record_hash(data: dict[str, Any]) -> str:
    """sha256 of a record dict's :func:`shared_content`, canonically serialised."""
    blob = json.dumps(shared_content(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def differing_fields(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Top-level fields in which two copies differ, per-source fields and source-own signals left out."""
    a, b = shared_content(a), shared_content(b)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def lifecycle(record: NoticeRecord) -> str:
    """Where a notice sits in a procedure's life: planning, call, change, award or cancel.

    ``cancel``: a change notice with BT-140 ``cancel``, or a result whose every lot closed
    without a winner (BT-142 ``clos-nw``) — the procedure was discontinued.
    ``change``: a legacy SDK ≤1.8 ``change`` form; eForms change notices keep their form type.
    """
    if record.changes and "cancel" in record.changes.reasons:
        return "cancel"
    form = (record.form_type or "").lower()
    if form in AWARD_FORMS:
        statuses = [a.status for a in record.awards]
        if statuses and all(s == "clos-nw" for s in statuses):
            return "cancel"
        return "award"
    if form in PLANNING_FORMS or (record.subtype or "").upper() == "E1":
        return "planning"
    if form == "change":
        return "change"
    return "call"
