"""Marking what was derived from a notice's record as stale when the record changes.

A notice's classification and declaration are computed from its record by the processing step
(``monitor.classify.service``, ``monitor.classify.declarations``). When the store changes a
stored record — a reparse, another source's own answers merged in (``db.store_merge``) — it
marks both for re-doing instead of computing them itself (``db`` imports nothing of ours,
docs/architecture.md#import-rules). Shared by ``db.store`` (one notice) and ``db.store_batch``
(a batch), so both mark exactly the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from db.models.classification import STALE_RULES_VERSION, NoticeClassification
from db.models.declarations import STALE_RULE_VERSION, NoticeDeclaration
from db.store_sql import table_of

_CHUNK = 500  # ids per IN (...): under SQLite's and PostgreSQL's parameter limits


def mark_derived_stale(session: Session, notice_pks: Sequence[int]) -> None:
    """Mark these notices' classifications for re-classification, dropping the matcher version
    so no one re-scores text hits found in the old record, and their declarations for
    re-evaluation (the rows stay, so reports read the old verdict until the new one is written)."""
    conn = session.connection()
    declared, classified = table_of(NoticeDeclaration), table_of(NoticeClassification)
    for start in range(0, len(notice_pks), _CHUNK):
        chunk = list(notice_pks[start : start + _CHUNK])
        conn.execute(
            update(declared).where(declared.c.notice_pk.in_(chunk)).values(rule_version=STALE_RULE_VERSION)
        )
        rows = conn.execute(
            select(classified.c.id, classified.c.result).where(classified.c.notice_pk.in_(chunk))
        ).all()
        if rows:
            conn.execute(
                update(classified)
                .where(classified.c.id == bindparam("b_pk"))
                .values(rules_version=STALE_RULES_VERSION, result=bindparam("b_result")),
                [
                    {"b_pk": pk, "b_result": {**(result or {}), "matcher_version": None}}
                    for pk, result in rows
                ],
            )
