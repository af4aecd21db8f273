"""Declared innovation: what the buyer says in the notice's form, apart from what the text says.

The state counts innovation procurement by buyers' own answers (HILMA's statistics questions,
eForms BT-06 ``inn-pur`` and BT-776, the innovation-partnership procedure), while the
classifier (``monitor.classify.scorer``) reads the texts. The two are different facts, so the
declaration is computed and stored on its own (``db.models.declarations``), from the
``declared`` section of ``config/innovation.yaml``: which fields' answers are kept and which
answers make a notice "declared innovative". The section is the admins' definition; reports
print it (:meth:`DeclaredRule.summary`) beside the figures.

Pure and cheap: a declaration reads only a record's signals (never its texts), so re-evaluating
every stored notice after a rule change is a scan of their records' JSON
(``monitor.classify.declarations``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from monitor.appconfig.models import Strict

NOTICE_LEVEL = ""
"""``lot_id`` of the row that speaks for the whole notice (its answers merged over the procedure
and every lot, as the record merges its signals)."""

FIELD_PATTERN = r"^(BT-\d+[a-z]?|[a-z]+:[A-Za-z0-9_.-]+)$"
_FIELD_RE = re.compile(FIELD_PATTERN)


def _line(info: ValidationInfo, *path: Any) -> str:
    lines = (info.context or {}).get("lines") or {}
    line = lines.get(("declared", *path))
    return f" (line {line})" if line else ""


class DeclaredCondition(Strict):
    """One answer that makes a notice declared innovative: a field and the codes that count."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str = Field(
        pattern=FIELD_PATTERN,
        description="A BT id (procedure or any lot) or a source's own key such as hilma:solutionNewToBuyer",
    )
    equals: list[str] = Field(min_length=1)
    description: str = ""

    @field_validator("equals", mode="before")
    @classmethod
    def _as_strings(cls, values: Any) -> Any:
        if isinstance(
            values, list
        ):  # YAML reads `true` as a bool; HILMA's answers are the codes "true"/"false"
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        return values

    @property
    def codes(self) -> frozenset[str]:
        """Codes compare case-insensitively, as the classifier's structured rules do. Not cached:
        pydantic's ``model_copy`` would carry a cached value over to an edited copy."""
        return frozenset(v.lower() for v in self.equals)


class DeclaredRule(Strict):
    """The ``declared`` section of ``innovation.yaml``."""

    description: str = ""
    answers: list[str] = Field(
        default_factory=list,
        description="Fields whose answers are stored with each declaration, whether they count or not",
    )
    count: list[DeclaredCondition] = Field(default_factory=list)

    @field_validator("answers")
    @classmethod
    def _answer_fields(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not _FIELD_RE.match(v)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: not a BT id (BT-776) or source:key")
        return values

    @model_validator(mode="after")
    def _unique_ids(self, info: ValidationInfo) -> DeclaredRule:
        seen: dict[str, int] = {}
        problems = []
        for i, condition in enumerate(self.count):
            if condition.id in seen:
                problems.append(
                    f"count[{i}]{_line(info, 'count', i)}: duplicate id {condition.id!r}, "
                    f"first used at count[{seen[condition.id]}]"
                )
            seen.setdefault(condition.id, i)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field whose answers are stored: ``answers`` and the counted fields, in order."""
        return tuple(dict.fromkeys([*self.answers, *(c.field for c in self.count)]))

    @property
    def version(self) -> str:
        """A content hash of the rule: a stored declaration of another version is stale. Not
        cached, for the reason :attr:`DeclaredCondition.codes` is not."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def summary(self) -> str:
        """The definition in one line, for reports: ``BT-06 = inn-pur; BT-776 = mar-nov, rd-act; …``."""
        if not self.count:
            return "(no rule: nothing counts as declared)"
        by_field: dict[str, list[str]] = {}
        for c in self.count:
            by_field.setdefault(c.field, []).extend(c.equals)
        return "; ".join(f"{f} = {', '.join(codes)}" for f, codes in by_field.items())


@dataclass(frozen=True, slots=True)
class LevelDeclaration:
    """The answers at one level (the notice as a whole, or one lot) and the rule's verdict."""

    lot_id: str
    """:data:`NOTICE_LEVEL` or a lot id (BT-137)."""
    answers: dict[str, list[str]]
    declared: bool
    matched: list[str] = field(default_factory=list)
    """Ids of the conditions that fired."""


def _codes(signals: Mapping[str, Any] | None, name: str) -> list[str]:
    if not signals:
        return []
    return [str(v) for v in signals.get(name) or ()]


def _national(national: Mapping[str, Any] | None, name: str) -> list[str]:
    """A source's answer kept in ``record.national`` (``hilma:x`` or bare ``x``), as a code."""
    if not national or ":" not in name:
        return []
    for key in (name, name.partition(":")[2]):
        value = national.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            return [str(value).lower() if isinstance(value, bool) else str(value)]
    return []


def _level(rule: DeclaredRule, lot_id: str, answers: dict[str, list[str]]) -> LevelDeclaration:
    kept = {name: sorted(set(codes)) for name, codes in answers.items() if codes}
    matched = [c.id for c in rule.count if any(code.lower() in c.codes for code in kept.get(c.field, ()))]
    return LevelDeclaration(lot_id, kept, bool(matched), matched)


def declare(record: Mapping[str, Any], rule: DeclaredRule) -> list[LevelDeclaration]:
    """The notice-level declaration first, then one per lot that carries any of the rule's fields.

    ``record`` is a stored record's JSON (``NoticeRecord.to_dict()``): reading the few keys needed
    straight from it is several times cheaper than building a ``NoticeRecord``, which matters when a
    rule change re-evaluates every stored notice. A lot answers only what is written on it; the
    notice answers what is written anywhere in it (procedure, lots, BT-105 procedure type, a
    source's own answers), so a notice is declared when any of its lots is.
    """
    lots: list[LevelDeclaration] = []
    merged: dict[str, list[str]] = {}
    for name in rule.fields:
        codes = _codes(record.get("signals"), name) + _national(record.get("national"), name)
        if name == "BT-105" and record.get("procedure_type"):
            codes.append(str(record["procedure_type"]))
        merged[name] = codes
    for lot in record.get("lots") or ():
        answers = {name: _codes(lot.get("signals"), name) for name in rule.fields}
        if any(answers.values()):
            lots.append(_level(rule, str(lot.get("lot_id") or ""), answers))
            for name, codes in answers.items():
                merged[name].extend(codes)
    return [_level(rule, NOTICE_LEVEL, merged), *lots]
