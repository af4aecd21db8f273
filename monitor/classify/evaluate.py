"""Evaluate rules against a labelled set: precision, recall and F1 per label, and a confusion table.

The labelled set is a YAML list of compact notice descriptions (see
``tests/data/innovation_labels.yaml``), turned into real :class:`NoticeRecord` objects so the
classifier runs exactly as it does on stored notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from db.record import Lot, NoticeRecord
from monitor.appconfig.errors import ConfigError, ConfigProblem
from monitor.appconfig.loader import load_file
from monitor.appconfig.models import Strict
from monitor.appconfig.yamlfile import read_yaml
from monitor.classify.rules import Rules
from monitor.classify.scorer import LABELS, Classification, classify

LabelName = Literal["innovative", "possible", "none"]


class LabelledNotice(Strict):
    id: str
    label: LabelName
    title: dict[str, str] = Field(default_factory=dict)
    description: dict[str, str] = Field(default_factory=dict)
    additional_info: dict[str, str] = Field(default_factory=dict)
    subtype: str = "16"
    procedure_type: str | None = "open"
    cpv: list[str] = Field(default_factory=list)
    signals: dict[str, list[str]] = Field(default_factory=dict)
    hard_negative: bool = False
    note: str = ""

    def to_record(self) -> NoticeRecord:
        """Lot-level signals and CPV, as eForms puts them; procedure-level texts."""
        lang = next(iter(self.title or self.description), "eng")
        lot = Lot(
            lot_id="LOT-0001",
            cpv_main=self.cpv[0] if self.cpv else None,
            cpv_additional=list(self.cpv[1:]),
            signals={k: list(v) for k, v in self.signals.items()},
        )
        return NoticeRecord(
            notice_id=f"label-{self.id}",
            version="01",
            procedure_id=f"proc-{self.id}",
            publication_number=self.id,
            publication_date=None,
            subtype=self.subtype,
            notice_type=None,
            form_type=None,
            language=lang,
            title=dict(self.title),
            description=dict(self.description),
            additional_info=dict(self.additional_info),
            procedure_type=self.procedure_type,
            cpv_main=lot.cpv_main,
            lots=[lot],
        )


class LabelledSet(Strict):
    items: list[LabelledNotice]


def load_labels(path: Path | str) -> list[LabelledNotice]:
    """Load and validate a labelled set (errors carry file and line, like every config file)."""
    path = Path(path)
    doc = read_yaml(path)
    if doc.problems:
        raise ConfigError(doc.problems)
    if not isinstance(doc.data, list):
        raise ConfigError([ConfigProblem(path, 1, "expected a list of labelled notices")])
    text = path.read_text(encoding="utf-8")
    # Validate as {"items": [...]} so each problem keeps the line of its item.
    wrapped = "items:\n" + "\n".join("  " + line for line in text.splitlines())
    loaded = load_file(path, LabelledSet, wrapped)
    assert isinstance(loaded, LabelledSet)
    ids = [item.id for item in loaded.items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError([ConfigProblem(path, None, f"duplicate ids: {', '.join(dupes)}")])
    return loaded.items


@dataclass
class Evaluation:
    results: list[tuple[LabelledNotice, Classification]]
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    """expected → predicted → count."""

    def precision(self, label: str) -> float:
        predicted = sum(row.get(label, 0) for row in self.confusion.values())
        return self.confusion.get(label, {}).get(label, 0) / predicted if predicted else 0.0

    def recall(self, label: str) -> float:
        actual = sum(self.confusion.get(label, {}).values())
        return self.confusion.get(label, {}).get(label, 0) / actual if actual else 0.0

    def f1(self, label: str) -> float:
        p, r = self.precision(label), self.recall(label)
        return 2 * p * r / (p + r) if p + r else 0.0

    def support(self, label: str) -> int:
        return sum(self.confusion.get(label, {}).values())

    @property
    def errors(self) -> list[tuple[LabelledNotice, Classification]]:
        return [(item, result) for item, result in self.results if item.label != result.label]

    @property
    def hard_negatives_flagged(self) -> list[tuple[LabelledNotice, Classification]]:
        return [(i, r) for i, r in self.results if i.hard_negative and r.label == "innovative"]

    def report(self) -> str:
        lines = [f"{len(self.results)} labelled notices, rules {self.results[0][1].rules_version}"]
        lines.append("")
        lines.append(f"{'label':<12}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
        for label in LABELS:
            lines.append(
                f"{label:<12}{self.precision(label):>10.3f}{self.recall(label):>8.3f}"
                f"{self.f1(label):>7.3f}{self.support(label):>9}"
            )
        lines.append("")
        lines.append("confusion (rows: expected, columns: predicted)")
        lines.append(f"{'':<12}" + "".join(f"{label:>12}" for label in LABELS))
        for expected in LABELS:
            row = self.confusion.get(expected, {})
            lines.append(f"{expected:<12}" + "".join(f"{row.get(p, 0):>12}" for p in LABELS))
        hard = [i for i, _ in self.results if i.hard_negative]
        lines.append("")
        lines.append(f"hard negatives: {len(hard)}, labelled innovative: {len(self.hard_negatives_flagged)}")
        return "\n".join(lines)


def evaluate(items: Iterable[LabelledNotice], rules: Rules) -> Evaluation:
    results = [(item, classify(item.to_record(), rules)) for item in items]
    confusion: dict[str, dict[str, int]] = {e: {p: 0 for p in LABELS} for e in LABELS}
    for item, result in results:
        confusion[item.label][result.label] += 1
    return Evaluation(results, confusion)


def describe(item: LabelledNotice, result: Classification) -> dict[str, Any]:
    """One misclassified item, for ``eval --errors``."""
    return {
        "id": item.id,
        "expected": item.label,
        "got": result.label,
        "score": result.score,
        "reasons": [f"{r.signal_id} {r.weight:g} {r.matched!r}" for r in result.reasons],
    }
