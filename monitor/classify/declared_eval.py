"""The text rules measured on real notices: buyers' declarations as the truth (``eval --declared``).

The labelled set (``evaluate.py``) was written in this project; this measures the classifier on
stored notices instead, with what their buyers declared (the ``declared`` rule) as the truth.
The prediction is the classifier's label with every structured signal hidden: the rules'
``structured`` list is emptied (BT-105, BT-06, BT-776, HILMA's answers, subtype, CPV, …), so the
form fields that *are* the declaration cannot predict it, and only the text rules are measured.
Legacy TED notices carry TED's own headings beside the buyer's title (the CPV code's label in
Finnish, Swedish and English: "Tutkimus- ja kehityspalvelut"); they are the CPV field in words,
not the buyer's text, so they are hidden too.

Limits, printed with the figures (:data:`LIMITS`): a declaration is the buyer's self-report;
legacy notices declare only their procedure type, so there "declared" means innovation
partnership; HILMA's answers exist only in HILMA's notices; the numbers are small.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.notices import Notice
from db.record import NoticeRecord
from monitor.classify.declared import DeclaredRule, declare
from monitor.classify.rules import Rules
from monitor.classify.scorer import LABELS, Classification, classify

BATCH = 500  # stored records per query: bounded memory
LIMITS = (
    "Declared is the buyer's own statement in the form, not an expert's judgement: buyers forget "
    "to tick it and tick it loosely.",
    "Legacy TED notices (before eForms) declare only their procedure type: there, declared "
    "means an innovation partnership, and every other innovative call counts as a false alarm.",
    "HILMA's innovation answers are only in notices fetched from HILMA; eForms BT-06/BT-776 are "
    "optional and forbidden in planning notices.",
    "Small numbers: a handful of declared notices per language; a precision or recall over fewer "
    "than about 20 positives moves by several points with one notice.",
)


@dataclass
class Tally:
    """One group's confusion: declared (True/False) → label → count, with the derived figures."""

    confusion: dict[bool, dict[str, int]] = field(
        default_factory=lambda: {True: dict.fromkeys(LABELS, 0), False: dict.fromkeys(LABELS, 0)}
    )

    def add(self, declared: bool, label: str) -> None:
        self.confusion[declared][label] += 1

    @property
    def notices(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    @property
    def declared(self) -> int:
        return sum(self.confusion[True].values())

    def predicted(self, labels: tuple[str, ...]) -> int:
        return sum(self.confusion[d][label] for d in (True, False) for label in labels)

    def hits(self, labels: tuple[str, ...]) -> int:
        return sum(self.confusion[True][label] for label in labels)

    def precision(self, labels: tuple[str, ...]) -> float | None:
        predicted = self.predicted(labels)
        return self.hits(labels) / predicted if predicted else None

    def recall(self, labels: tuple[str, ...]) -> float | None:
        return self.hits(labels) / self.declared if self.declared else None


INNOVATIVE = ("innovative",)
FLAGGED = ("innovative", "possible")


@dataclass(frozen=True)
class Disagreement:
    notice_pk: int
    publication_number: str | None
    language: str
    declared: bool
    label: str
    score: float
    title: str
    why: list[str]
    """The declared rule's conditions that fired, or the text reasons of the label."""


@dataclass
class DeclaredEvaluation:
    rules_version: str
    declared_version: str
    declared_rule: str
    overall: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=dict)
    missed: list[Disagreement] = field(default_factory=list)
    """Declared, but not labelled innovative from the text."""
    false_alarms: list[Disagreement] = field(default_factory=list)
    """Labelled innovative from the text, but not declared."""

    def to_dict(self) -> dict[str, Any]:
        def tally(t: Tally) -> dict[str, Any]:
            return {
                "notices": t.notices,
                "declared": t.declared,
                "confusion": {("declared" if d else "not_declared"): row for d, row in t.confusion.items()},
                **{
                    f"{name}_{what}": getattr(t, what)(labels)
                    for name, labels in (("innovative", INNOVATIVE), ("innovative_or_possible", FLAGGED))
                    for what in ("precision", "recall")
                },
            }

        return {
            "rules_version": self.rules_version,
            "declared_version": self.declared_version,
            "declared_rule": self.declared_rule,
            "overall": tally(self.overall),
            "by_language": {lang: tally(t) for lang, t in sorted(self.by_language.items())},
            "missed": [dataclasses.asdict(d) for d in self.missed],
            "false_alarms": [dataclasses.asdict(d) for d in self.false_alarms],
            "limits": list(LIMITS),
        }


def text_only_rules(rules: Rules) -> Rules:
    """The same rules without structured signals: only the text can make a label."""
    return Rules.from_config(rules.config.model_copy(update={"structured": []}), rules.path)


def text_only_record(record: NoticeRecord) -> NoticeRecord:
    """The record without TED's translated headings (legacy TED XML only, see the module doc)."""
    if not (record.sdk_version or "").startswith("R2."):
        return record
    own = record.language
    heading = (record.national.get("ted:heading") or {}).get(own or "")
    title = {
        lang: text for lang, text in record.title.items() if lang == own and not (heading and text == heading)
    }
    return dataclasses.replace(record, title=title)


def stored_records(
    session: Session, batch: int = BATCH
) -> Iterator[tuple[int, str | None, str | None, dict[str, Any]]]:
    """(pk, publication number, title, record JSON) of every stored notice, in batches by id."""
    last = 0
    while True:
        rows = session.execute(
            select(Notice.id, Notice.publication_number, Notice.title, Notice.record)
            .where(Notice.id > last)
            .order_by(Notice.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        yield from ((pk, number, title, record) for pk, number, title, record in rows)


def evaluate_declared(
    session: Session, rules: Rules, declared: DeclaredRule, *, keep: int = 50
) -> DeclaredEvaluation:
    """Every stored notice: its declaration under ``declared`` (computed now, from the record, so the
    truth follows the rule given rather than what was stored under an older one) against the label
    of ``rules`` with structured signals hidden. ``keep``: disagreements listed per kind."""
    text_rules = text_only_rules(rules)
    out = DeclaredEvaluation(rules.version, declared.version, declared.summary())
    for pk, number, title, data in stored_records(session):
        level = declare(data, declared)[0]
        record = NoticeRecord.from_dict(data)
        result = classify(text_only_record(record), text_rules)
        lang = record.language or "und"
        out.overall.add(level.declared, result.label)
        out.by_language.setdefault(lang, Tally()).add(level.declared, result.label)
        if level.declared != (result.label == "innovative"):
            _note(out, pk, number, title, lang, level.declared, level.matched, result, keep)
    return out


def _note(
    out: DeclaredEvaluation,
    pk: int,
    number: str | None,
    title: str | None,
    lang: str,
    declared: bool,
    matched: list[str],
    result: Classification,
    keep: int,
) -> None:
    into = out.missed if declared else out.false_alarms
    if len(into) >= keep:
        return
    why = matched if declared else [f"{r.signal_id} {r.weight:g} {r.matched!r}" for r in result.reasons[:4]]
    into.append(Disagreement(pk, number, lang, declared, result.label, result.score, (title or "")[:90], why))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def report(ev: DeclaredEvaluation, *, errors: bool = False) -> str:
    """The figures as ``tenderwatch eval --declared`` prints them."""
    lines = [
        f"{ev.overall.notices} stored notices; truth: declared innovative (rule {ev.declared_version}: "
        f"{ev.declared_rule}); prediction: text rules only (rules {ev.rules_version}, structured signals "
        "and TED's headings hidden)",
        "",
        f"{'language':<10}{'notices':>9}{'declared':>10}{'flagged':>9}{'both':>6}"
        f"{'precision':>11}{'recall':>8}   {'inn.+poss.: prec.':>18}{'recall':>8}",
    ]
    groups = [("all", ev.overall), *sorted(ev.by_language.items(), key=lambda kv: -kv[1].notices)]
    for name, t in groups:
        lines.append(
            f"{name:<10}{t.notices:>9}{t.declared:>10}{t.predicted(INNOVATIVE):>9}{t.hits(INNOVATIVE):>6}"
            f"{_pct(t.precision(INNOVATIVE)):>11}{_pct(t.recall(INNOVATIVE)):>8}   "
            f"{_pct(t.precision(FLAGGED)):>18}{_pct(t.recall(FLAGGED)):>8}"
        )
    lines += ["", "confusion, all languages (rows: declared, columns: text label)"]
    lines.append(f"{'':<14}" + "".join(f"{label:>12}" for label in LABELS))
    for declared in (True, False):
        row = ev.overall.confusion[declared]
        name = "declared" if declared else "not declared"
        lines.append(f"{name:<14}" + "".join(f"{row[label]:>12}" for label in LABELS))
    lines += ["", "limits:", *(f"- {limit}" for limit in LIMITS)]
    if errors:
        for heading, items in (
            ("declared, not labelled innovative from the text", ev.missed),
            ("labelled innovative from the text, not declared", ev.false_alarms),
        ):
            lines += ["", f"{heading} (first {len(items)}):"]
            for d in items:
                number = d.publication_number or d.notice_pk
                lines.append(f"  {number}  [{d.language}] {d.label} {d.score:g}  {d.title}")
                lines.extend(f"      {w}" for w in d.why)
    return "\n".join(lines)
