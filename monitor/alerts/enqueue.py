"""Turning what the store and the classifier produced into outbox rows.

Three inputs, each processed once (``AlertSourceDone`` remembers what was seen):

1. new notice versions: matched against every subscription; a match is a ``new`` row per
   subscriber and procedure (a later version of the same procedure never repeats it);
2. procedure events (deadline moved, cancelled, lots changed…): one ``update`` row per
   causing notice, only for subscribers who already have the procedure's ``new`` row —
   people hear about changes to calls they were told about, and nobody else does;
3. label changes from the classifier: the notice is matched again, so a subscription for
   innovative calls hears of a call once the rules call it innovative.

Plus opt-in ``reminder`` rows N days before a deadline. Subscribers with a digest get their
rows ``held`` for :mod:`monitor.alerts.digest`; the rest ``pending`` for the sender.

Two processes may enqueue at once (two ``run --once``, ``serve`` beside a CLI command). The
outbox insert is idempotent by its unique key, but "what was seen" is read and then written,
and an ``update`` is decided from the ``new`` rows another enqueuer may not have committed
yet. So :func:`enqueue_pending` takes the ``enqueue`` lock first (``db.locks.serialize``),
and ``AlertSourceDone`` rows are inserted ``ON CONFLICT DO NOTHING`` besides (issue #13).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.locks import serialize
from db.models.alerts import CANCELLED, HELD, PENDING, AlertSourceDone, OutboxMessage, Subscriber
from db.models.classification import ClassificationChange, NoticeClassification
from db.models.notices import Notice, NoticeSource, Procedure, ProcedureEvent
from db.record import NoticeRecord
from monitor.alerts import outbox
from monitor.alerts.payload import match_payload, notice_summary, ted_url
from monitor.branches import BranchesConfig
from monitor.matching import SubscriptionIndex, build_facts, load_index
from monitor.matching.index import INNOVATION_RANK, Match
from monitor.sources import HILMA, TED

log = logging.getLogger(__name__)
BATCH = 500
STALE_CALL_STATES = ("cancelled", "awarded", "closed")
"""A call in these states is not news any more: no ``new`` alert for it (e.g. after a backfill)."""
HILMA_PUBLIC = "https://www.hankintailmoitukset.fi/"


@dataclass
class EnqueueStats:
    notices: int = 0
    events: int = 0
    label_changes: int = 0
    new: int = 0
    updates: int = 0
    reminders: int = 0
    held: int = 0
    """Of the rows above, how many wait for a digest."""


def enqueue_pending(
    session: Session,
    now: datetime,
    *,
    branches: BranchesConfig | None,
    ted_site_url: str,
    index: SubscriptionIndex | None = None,
) -> EnqueueStats:
    """Match every new notice, procedure event and label change; enqueue ``new``/``update``/``reminder``.

    ``branches`` is the config the caller holds (the service's last good one: a refused edit
    of ``branches.yaml`` must not stop branch subscriptions matching); None matches no branch.
    ``ted_site_url`` is where TED's notice pages are linked from the emails.
    """
    serialize(session, "enqueue")  # one enqueuer at a time; see the module docstring
    stats = EnqueueStats()
    if index is None:
        index = load_index(session)
    modes = {sid: mode for sid, mode in session.execute(select(Subscriber.id, Subscriber.delivery))}
    ctx = _Ctx(session, now, branches, index, modes, stats, ted_site_url)
    ctx.label_changes()
    ctx.notices()
    ctx.events()
    ctx.reminders()
    session.flush()
    return stats


class _Ctx:
    def __init__(
        self,
        session: Session,
        now: datetime,
        branches: BranchesConfig | None,
        index: SubscriptionIndex,
        modes: dict[int, str],
        stats: EnqueueStats,
        ted_site_url: str,
    ) -> None:
        self.s = session
        self.ted_site_url = ted_site_url
        self.now = now
        self.branches = branches
        self.index = index
        self.modes = modes
        self.stats = stats
        self.done_notices: set[int] = set()

    # ------------------------------------------------------------------ bookkeeping
    def _done(self, source: str, ids: list[int]) -> None:
        if ids:
            insert = postgresql.insert if self.s.get_bind().dialect.name == "postgresql" else sqlite.insert
            rows = [{"source": source, "ref_id": i, "done_at": self.now} for i in ids]
            self.s.execute(insert(AlertSourceDone).on_conflict_do_nothing(), rows)

    def _undone(self, source: str, id_col: Any) -> Any:
        return (
            ~select(AlertSourceDone.ref_id)
            .where(AlertSourceDone.source == source, AlertSourceDone.ref_id == id_col)
            .exists()
        )

    def _state_for(self, subscriber_id: int) -> str:
        return HELD if self.modes.get(subscriber_id, "instant") != "instant" else PENDING

    def _put(
        self,
        subscriber_id: int,
        kind: str,
        key: str,
        ref: str,
        notice_pk: int | None,
        payload: dict[str, Any],
    ) -> None:
        state = self._state_for(subscriber_id)
        new_id = outbox.enqueue(
            self.s,
            subscriber_id=subscriber_id,
            kind=kind,
            procedure_key=key,
            ref=ref,
            notice_id=notice_pk,
            payload=payload,
            state=state,
            now=self.now,
        )
        if new_id is None:
            return  # already enqueued (this run, an earlier one, or another process)
        counter = {"new": "new", "update": "updates", "reminder": "reminders"}[kind]
        setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        if state == HELD:
            self.stats.held += 1

    # ------------------------------------------------------------------ 1. new notices
    def notices(self) -> None:
        last = 0
        while True:
            rows = self.s.execute(
                select(Notice, Procedure.procedure_key, Procedure.state, NoticeClassification)
                .join(Procedure, Procedure.id == Notice.procedure_pk)
                .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
                .where(Notice.id > last, self._undone("notice", Notice.id))
                .order_by(Notice.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            last = rows[-1][0].id
            for notice, key, state, cls in rows:
                self._match_notice(notice, key, state, cls)
            self._done("notice", [r[0].id for r in rows])
            self.stats.notices += len(rows)

    def _match_notice(
        self, notice: Notice, key: str, proc_state: str, cls: NoticeClassification | None
    ) -> None:
        if notice.superseded_by_pk is not None or notice.lifecycle == "cancel":
            return
        record = notice.to_record()
        facts = build_facts(
            record,
            branches=self.branches,
            notice_id=notice.id,
            key=key,
            innovation=cls.label if cls else None,
            innovation_score=cls.score if cls else None,
            innovation_reasons=_innovation_reasons(cls),
        )
        if facts.kind in ("planning", "competition") and proc_state in STALE_CALL_STATES:
            return
        matches = self.index.match(facts, self.now)
        if not matches:
            return
        links = self._links(notice, record)
        for subscriber_id, ms in _by_subscriber(matches).items():
            self._put(subscriber_id, "new", key, "", notice.id, match_payload(facts, ms, links))

    def _links(self, notice: Notice, record: NoticeRecord) -> list[dict[str, str]]:
        """Pages a person can open: TED's notice page, HILMA's public page when a source gave one.

        Source URLs are what the spider fetched (TED's XML, HILMA's keyed API), not pages for
        people, so TED's page is built from the publication number instead.
        """
        links: list[dict[str, str]] = []
        sources = {
            s
            for (s,) in self.s.execute(select(NoticeSource.source).where(NoticeSource.notice_pk == notice.id))
        }
        if TED in sources or (record.publication_number or "").count("-") == 1:
            url = ted_url(self.ted_site_url, record.publication_number)
            if url:
                links.append({"label": "TED", "url": url})
        for (url,) in self.s.execute(
            select(NoticeSource.url).where(NoticeSource.notice_pk == notice.id, NoticeSource.source == HILMA)
        ):
            if url and url.startswith(HILMA_PUBLIC):
                links.append({"label": "HILMA", "url": url})
                break
        return links

    # ------------------------------------------------------------------ 2. procedure events
    def events(self) -> None:
        while True:
            rows = self.s.execute(
                select(ProcedureEvent, Procedure.procedure_key)
                .join(Procedure, Procedure.id == ProcedureEvent.procedure_pk)
                .where(self._undone("event", ProcedureEvent.id))
                .order_by(ProcedureEvent.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            by_notice: dict[tuple[int, str], list[ProcedureEvent]] = defaultdict(list)
            for ev, key in rows:
                by_notice[(ev.notice_pk, key)].append(ev)
            for (notice_pk, key), evs in by_notice.items():
                self._update(notice_pk, key, evs)
            self._done("event", [ev.id for ev, _ in rows])
            self.stats.events += len(rows)

    def _update(self, notice_pk: int, key: str, evs: list[ProcedureEvent]) -> None:
        told = self.s.execute(
            select(OutboxMessage.subscriber_id, OutboxMessage.notice_id, OutboxMessage.payload)
            .join(Subscriber, Subscriber.id == OutboxMessage.subscriber_id)
            .where(
                OutboxMessage.procedure_key == key,
                OutboxMessage.kind == "new",
                OutboxMessage.state != CANCELLED,
                Subscriber.enabled.is_(True),
            )
        ).all()
        if not told:
            return
        notice = self.s.get(Notice, notice_pk)
        summary = notice_summary(notice.to_record()) if notice is not None else None
        events = [{"kind": e.kind, "old": e.old, "new": e.new} for e in sorted(evs, key=lambda e: e.id)]
        for subscriber_id, first_notice, first in told:
            if first_notice == notice_pk:
                continue  # their "new" email already describes this very version
            payload = dict(first)
            if summary is not None:
                summary["links"] = (first.get("notice") or {}).get("links", [])
                payload["notice"] = summary
            payload["events"] = events
            self._put(subscriber_id, "update", key, f"notice:{notice_pk}", notice_pk, payload)

    # ------------------------------------------------------------------ 3. label changes
    def label_changes(self) -> None:
        while True:
            rows = (
                self.s.execute(
                    select(ClassificationChange)
                    .where(self._undone("label", ClassificationChange.id))
                    .order_by(ClassificationChange.id)
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            done_notices = set(
                self.s.scalars(
                    select(AlertSourceDone.ref_id).where(
                        AlertSourceDone.source == "notice",
                        AlertSourceDone.ref_id.in_({c.notice_pk for c in rows}),
                    )
                )
            )
            for change in rows:
                # A first label of an unmatched notice: the notice pass below uses it anyway.
                # A downgrade: nothing to take back (what was sent was true when sent).
                up = INNOVATION_RANK.get(change.new_label, 0) > INNOVATION_RANK.get(
                    change.old_label or "none", 0
                )
                if change.notice_pk in done_notices and up:
                    row = self.s.execute(
                        select(Notice, Procedure.procedure_key, Procedure.state, NoticeClassification)
                        .join(Procedure, Procedure.id == Notice.procedure_pk)
                        .outerjoin(NoticeClassification, NoticeClassification.notice_pk == Notice.id)
                        .where(Notice.id == change.notice_pk)
                    ).first()
                    if row is not None:
                        self._match_notice(*row)
            self._done("label", [c.id for c in rows])
            self.stats.label_changes += len(rows)

    # ------------------------------------------------------------------ 4. reminders
    def reminders(self) -> None:
        subs = self.s.execute(
            select(Subscriber.id, Subscriber.reminder_days).where(Subscriber.enabled.is_(True))
        ).all()
        wanted = {sid: days for sid, days in subs if days}
        if not wanted:
            return
        longest = max(max(d) for d in wanted.values())
        rows = self.s.execute(
            select(OutboxMessage, Procedure.deadline)
            .join(Procedure, Procedure.procedure_key == OutboxMessage.procedure_key)
            .where(
                OutboxMessage.kind == "new",
                OutboxMessage.state != CANCELLED,
                OutboxMessage.subscriber_id.in_(wanted),
                Procedure.state == "open",
                and_(Procedure.deadline > self.now, Procedure.deadline <= self.now + timedelta(days=longest)),
            )
        ).all()
        for row, deadline in rows:
            if deadline is None:  # excluded by the query; says so to the type checker
                continue
            for days in sorted(wanted[row.subscriber_id]):
                due = deadline - timedelta(days=days)
                # Only if the call was known before the reminder moment: a call that arrives
                # three days before its deadline needs no "seven days left" email.
                if due <= self.now and row.created_at < due:
                    payload = dict(row.payload)
                    payload["reminder_days"] = days
                    payload["notice"] = {**payload.get("notice", {}), "deadline": deadline.isoformat()}
                    self._put(
                        row.subscriber_id, "reminder", row.procedure_key, str(days), row.notice_id, payload
                    )
                    break  # the nearest due reminder only; a longer one now would say the same


def _by_subscriber(matches: list[Match]) -> dict[int, list[Match]]:
    out: dict[int, list[Match]] = defaultdict(list)
    for m in matches:
        out[m.subscriber_id].append(m)
    return out


def _innovation_reasons(cls: NoticeClassification | None) -> list[dict[str, Any]]:
    if cls is None:
        return []
    reasons = (cls.result or {}).get("reasons") or []
    return [
        {k: r.get(k) for k in ("signal_id", "field", "matched", "weight", "lang")}
        for r in sorted(reasons, key=lambda r: -float(r.get("weight") or 0))
    ]
