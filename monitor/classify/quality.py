"""How good each rule and each keyword is (issue #15, point 3): the rule quality table's figures.

Per rule (signal id) and per keyword (a text rule's matched word, lower case, with its language,
as the stored reasons record it):

- **fired**: in how many notices it counted, over the latest ``FIRED_WINDOW`` stored
  classifications that scored anything;
- **precision by verdicts**: of the notices where it counted that an admin judged, the share
  judged innovative;
- **precision by clicks**: of the readers' answers on notices where it counted, the share
  "relevant".

Cost: the page must not read a million result JSONs per view. Only each row's ``reasons`` is
read (not the text hits, most of a result's size), from a bounded window of the newest
classifications with a non-zero score (a notice without any reason has a zero score, and most
notices have none); judged notices are read in full, their number is bounded by people's
effort. At 1M stored notices the page reads at most ``FIRED_WINDOW`` small JSON arrays.
The figures are under the stored labels: after a rules change they follow as the service
re-classifies. For admins: docs/innovation.md#review-queue-and-readers-feedback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.classification import NoticeClassification
from db.models.review import ReaderFeedback, ReviewVerdict

FIRED_WINDOW = 20_000
"""Classifications read for the "fired" counts, newest first: about a year of Finnish calls with
any signal, read in well under a second on SQLite; the precision figures read every judgement."""
POOR_PRECISION = 0.5
POOR_MIN_JUDGEMENTS = 5
"""A keyword is marked poor when fewer than half of at least 5 judgements (verdicts, or readers'
answers) agree with it: below 5, one or two unlucky notices would mark a good word; below half,
the word misleads more often than it helps, and is worth a look in the rules editor."""
NOTICES_LISTED = 200


@dataclass(frozen=True)
class Key:
    """A rule (``keyword`` empty) or one of a text rule's matched words (lower case)."""

    signal_id: str
    keyword: str = ""
    lang: str = ""


@dataclass
class Figures:
    key: Key
    kind: str
    """``structured`` or ``text`` (of the rule)."""
    fired: list[int] = field(default_factory=list)
    """Notice ids in the window where it counted, newest first."""
    verdicts: dict[int, bool] = field(default_factory=dict)
    """Notice id → judged innovative."""
    clicks: list[tuple[int, bool]] = field(default_factory=list)
    """(notice id, relevant) of each reader's answer."""

    @property
    def verdict_yes(self) -> int:
        return sum(self.verdicts.values())

    @property
    def click_yes(self) -> int:
        return sum(1 for _, r in self.clicks if r)

    @property
    def verdict_precision(self) -> float | None:
        return self.verdict_yes / len(self.verdicts) if self.verdicts else None

    @property
    def click_precision(self) -> float | None:
        return self.click_yes / len(self.clicks) if self.clicks else None

    @property
    def poor(self) -> bool:
        """Precision under ``POOR_PRECISION`` on ``POOR_MIN_JUDGEMENTS`` or more judgements of a kind."""
        return any(
            n >= POOR_MIN_JUDGEMENTS and p is not None and p < POOR_PRECISION
            for n, p in (
                (len(self.verdicts), self.verdict_precision),
                (len(self.clicks), self.click_precision),
            )
        )


@dataclass
class Quality:
    rules: list[Figures]
    keywords: list[Figures]
    window: int
    """How many classifications the "fired" counts are over."""
    verdicts: int
    clicks: int

    def find(self, key: Key) -> Figures | None:
        for f in self.keywords if key.keyword else self.rules:
            if f.key == key:
                return f
        return None


def keys_of(reasons: Iterable[dict[str, Any]]) -> dict[Key, str]:
    """Each rule, and each text rule's matched word, that counted in one notice → its kind."""
    out: dict[Key, str] = {}
    for r in reasons:
        sid, kind = r.get("signal_id") or "", r.get("kind") or ""
        out.setdefault(Key(sid), kind)
        if kind == "text" and r.get("matched"):
            out.setdefault(Key(sid, " ".join(str(r["matched"]).lower().split()), r.get("lang") or ""), kind)
    return out


def measure(session: Session, window: int = FIRED_WINDOW) -> Quality:
    reasons_col = NoticeClassification.result["reasons"]
    table: dict[Key, Figures] = {}

    def figures(key: Key, kind: str) -> Figures:
        f = table.get(key)
        if f is None:
            f = table[key] = Figures(key, kind)
        return f

    read = 0
    for notice_pk, reasons in session.execute(
        select(NoticeClassification.notice_pk, reasons_col)
        .where(NoticeClassification.score != 0)
        .order_by(NoticeClassification.id.desc())
        .limit(window)
    ):
        read += 1
        for key, kind in keys_of(reasons or []).items():
            figures(key, kind).fired.append(notice_pk)
    verdicts = 0
    for notice_pk, verdict, reasons in session.execute(
        select(ReviewVerdict.notice_pk, ReviewVerdict.verdict, reasons_col).join(
            NoticeClassification, NoticeClassification.notice_pk == ReviewVerdict.notice_pk
        )
    ):
        verdicts += 1
        for key, kind in keys_of(reasons or []).items():
            figures(key, kind).verdicts[notice_pk] = verdict == "innovative"
    clicks = 0
    for notice_pk, relevant, reasons in session.execute(
        select(ReaderFeedback.notice_pk, ReaderFeedback.relevant, reasons_col)
        .join(NoticeClassification, NoticeClassification.notice_pk == ReaderFeedback.notice_pk)
        .order_by(ReaderFeedback.id)
    ):
        clicks += 1
        for key, kind in keys_of(reasons or []).items():
            figures(key, kind).clicks.append((notice_pk, bool(relevant)))

    def order(f: Figures) -> tuple[Any, ...]:
        return (not f.poor, -len(f.fired), f.key.signal_id, f.key.keyword, f.key.lang)

    rules = sorted((f for k, f in table.items() if not k.keyword), key=order)
    keywords = sorted((f for k, f in table.items() if k.keyword), key=order)
    return Quality(rules, keywords, read, verdicts, clicks)
