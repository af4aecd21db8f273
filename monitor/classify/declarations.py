"""Stored declarations: evaluate the ``declared`` rule on every stored notice that needs it.

:func:`declare_pending` is the processing step's (``monitor.pipeline.process``, right after the
classifier) and the re-evaluation after a rule change in one: it visits notices that have no
declaration yet and notices declared under another rule version, in batches by id, reading only
their records' signals. A re-evaluation that changes neither the answers nor the verdict of a
notice only moves its rows to the new version, so the report rows built on them stay fresh.

Cost (``bench/bench_declared.py``): nothing to do is two counts and one index probe; a rule
change re-reads every record's JSON once, in batches (bounded memory), with no text matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from db.clock import utcnow
from db.locks import serialize
from db.models.declarations import NoticeDeclaration
from db.models.notices import Notice
from monitor.classify.declared import NOTICE_LEVEL, DeclaredRule, LevelDeclaration, declare

BATCH = 1000  # notices per query and write: bounded memory (records are read as JSON), few round trips
_IN_CHUNK = 500  # ids per IN list: under both databases' parameter limits


@dataclass
class DeclareStats:
    visited: int = 0
    written: int = 0
    """Notices whose rows were (re)written: new, or answers or verdict changed."""
    version_only: int = 0
    """Notices whose declaration held under the new rule version (only the version moved)."""
    declared: int = 0
    """Of the visited notices, how many the rule declares innovative."""


def _other_version(session: Session, version: str) -> bool:
    """Is any stored declaration of another rule version? (index probe, not a scan)."""
    nd = NoticeDeclaration
    other = or_(nd.rule_version < version, nd.rule_version > version)
    return session.scalar(select(nd.id).where(other).limit(1)) is not None


def _complete(session: Session) -> bool:
    """Does every stored notice have its notice-level row? Two counts."""
    notices = session.scalar(select(func.count()).select_from(Notice))
    declared = session.scalar(
        select(func.count()).select_from(NoticeDeclaration).where(NoticeDeclaration.lot_id == NOTICE_LEVEL)
    )
    return notices == declared


def declare_pending(session: Session, rule: DeclaredRule, *, batch: int = BATCH) -> DeclareStats:
    """Write the declarations of notices that have none, or one of another rule version."""
    serialize(session, "declare")  # read what is missing, then write: one at a time (db/locks.py)
    stats = DeclareStats()
    version = rule.version
    if not _other_version(session, version) and _complete(session):
        return stats
    nd = NoticeDeclaration
    level = and_(nd.notice_pk == Notice.id, nd.lot_id == NOTICE_LEVEL)
    stale = or_(nd.id.is_(None), nd.rule_version != version)
    now = utcnow()
    last = 0
    while True:
        rows = session.execute(
            select(Notice.id, Notice.record)
            .outerjoin(nd, level)
            .where(Notice.id > last, stale)
            .order_by(Notice.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        fresh = {pk: declare(record or {}, rule) for pk, record in rows}
        _write(session, fresh, version, now, stats)
        session.flush()
    return stats


def _write(
    session: Session,
    fresh: dict[int, list[LevelDeclaration]],
    version: str,
    now: Any,
    stats: DeclareStats,
) -> None:
    old = _stored(session, list(fresh))
    rewrite, bump = [], []
    for pk, levels in fresh.items():
        stats.visited += 1
        stats.declared += levels[0].declared
        if old.get(pk) == {(lv.lot_id, _key(lv.answers), lv.declared, tuple(lv.matched)) for lv in levels}:
            bump.append(pk)
        else:
            rewrite.append(pk)
    for chunk in _chunks(bump):
        session.execute(
            update(NoticeDeclaration)
            .where(NoticeDeclaration.notice_pk.in_(chunk))
            .values(rule_version=version)
        )
    for chunk in _chunks(rewrite):
        session.execute(delete(NoticeDeclaration).where(NoticeDeclaration.notice_pk.in_(chunk)))
    rows = [
        {
            "notice_pk": pk,
            "lot_id": lv.lot_id,
            "answers": lv.answers,
            "declared": lv.declared,
            "matched": lv.matched,
            "rule_version": version,
            "changed_at": now,
        }
        for pk in rewrite
        for lv in fresh[pk]
    ]
    if rows:
        session.execute(insert(NoticeDeclaration), rows)
    stats.written += len(rewrite)
    stats.version_only += len(bump)


def _key(answers: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(v)) for k, v in answers.items()))


def _stored(session: Session, pks: list[int]) -> dict[int, set[tuple[Any, ...]]]:
    """The stored rows of ``pks`` in the comparable form ``_write`` builds from fresh ones."""
    nd = NoticeDeclaration
    out: dict[int, set[tuple[Any, ...]]] = {}
    for chunk in _chunks(pks):
        query = select(nd.notice_pk, nd.lot_id, nd.answers, nd.declared, nd.matched).where(
            nd.notice_pk.in_(chunk)
        )
        for pk, lot_id, answers, declared, matched in session.execute(query):
            out.setdefault(pk, set()).add((lot_id, _key(answers or {}), bool(declared), tuple(matched or ())))
    return out


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def notice_declarations(session: Session, notice_pk: int) -> list[NoticeDeclaration]:
    """One notice's stored rows, the notice level first (for ``explain`` and the review lists)."""
    rows = session.scalars(select(NoticeDeclaration).where(NoticeDeclaration.notice_pk == notice_pk)).all()
    return sorted(rows, key=lambda r: (r.lot_id != NOTICE_LEVEL, r.lot_id))
