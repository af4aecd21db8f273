"""Schema of ``config/innovation.yaml`` and its compiled, ready-to-run form :class:`Rules`.

The admins own the rules; the schema makes a bad edit fail loudly with file and line
(unknown key, bad regex, weight that is not a number, duplicate id, a veto for a signal that
does not exist) instead of silently changing who gets alerted.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from monitor.appconfig import load_file
from monitor.appconfig.models import Strict
from monitor.classify.declared import DeclaredRule
from monitor.textmatch import KeywordMatcher, Term
from monitor.textmatch.morphology import ISO1_TO_3

LangKey = Literal["fi", "sv", "en"]
TEXT_FIELDS = (
    "title",
    "description",
    "additional_info",
    "lot_title",
    "lot_description",
    "lot_additional_info",
)
FIELD_RE = re.compile(r"^(BT-\d+[a-z]?|OPP-\d+|CPV|[a-z]+:[A-Za-z0-9_.-]+)$")


def _check_regexes(values: list[str]) -> list[str]:
    for rx in values:
        try:
            re.compile(rx)
        except re.error as exc:
            raise ValueError(f"bad regular expression {rx!r}: {exc}") from None
    return values


def _line_note(info: ValidationInfo, path: tuple[Any, ...]) -> str:
    lines = (info.context or {}).get("lines") or {}
    line = lines.get(path)
    return f" (line {line})" if line else ""


class LanguageTerms(Strict):
    """One concept's words in one language."""

    lemma: list[str] = Field(default_factory=list, description="Base forms or phrases; never lemmatised")
    stems: list[str] = Field(
        default_factory=list, description="Surface prefixes; spaces = consecutive tokens"
    )
    regex: list[str] = Field(default_factory=list, description="Case-insensitive regexes")
    compound: bool = False

    @field_validator("regex")
    @classmethod
    def _valid_regexes(cls, values: list[str]) -> list[str]:
        return _check_regexes(values)

    @field_validator("stems")
    @classmethod
    def _stems_long_enough(cls, values: list[str]) -> list[str]:
        for stem in values:
            if any(len(part) < 4 for part in stem.split()):
                raise ValueError(f"stem {stem!r} is shorter than 4 letters and would match far too much")
        return values


class KeywordRule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float
    description: str = ""
    negation: Literal["drop", "ignore"] = "drop"
    same_fact_as: list[str] = Field(
        default_factory=list,
        description="Structured ids stating the same fact: if one fired, this adds nothing",
    )
    fi: LanguageTerms | None = None
    sv: LanguageTerms | None = None
    en: LanguageTerms | None = None


class StructuredRule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: str = Field(
        description="BT-xxx, OPP-070 (subtype), CPV, or source:key such as hilma:innovationConsidered"
    )
    equals: list[str] = Field(default_factory=list)
    prefix: list[str] = Field(default_factory=list, description="Code prefixes (CPV)")
    weight: float
    same_fact_as: list[str] = Field(
        default_factory=list,
        description="Earlier structured ids stating the same fact: if one fired, adds nothing",
    )
    description: str = ""

    @field_validator("equals", "prefix", mode="before")
    @classmethod
    def _as_strings(cls, values: Any) -> Any:
        if isinstance(values, list):  # YAML turns `true` and `23` into bool/int; codes are strings
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        return values

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if not FIELD_RE.match(value):
            raise ValueError(f"field {value!r} is not BT-nnn, OPP-nnn, CPV or source:key")
        return value

    @model_validator(mode="after")
    def _one_test(self) -> StructuredRule:
        if bool(self.equals) == bool(self.prefix):
            raise ValueError("give exactly one of 'equals' or 'prefix'")
        return self

    @functools.cached_property
    def equals_lower(self) -> frozenset[str]:
        """Codes compare case-insensitively (real notices mix case, e.g. legacy TED element names)."""
        return frozenset(v.lower() for v in self.equals)


class Thresholds(Strict):
    innovative: float = Field(gt=0)
    possible: float = Field(gt=0)
    max_text_score: float = Field(default=10.0, gt=0, description="Cap: many weak words cannot outweigh")

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.possible >= self.innovative:
            raise ValueError("'possible' must be below 'innovative'")
        return self


class NegationWindow(Strict):
    before: int = Field(default=5, ge=0, le=20)
    after: int = Field(default=3, ge=0, le=20)


class Matching(Strict):
    min_compound_len: int = Field(default=5, ge=3)
    negation_window: NegationWindow = NegationWindow()
    compound_heads: dict[LangKey, list[str]] = Field(default_factory=dict)


class Exclusions(Strict):
    spans: dict[str, list[str]] = Field(default_factory=dict)
    vetoes: dict[str, list[str]] = Field(default_factory=dict)
    """Signal id → regexes; a text hit is dropped when one matches in its sentence (structured: anywhere)."""
    notice_vetoes: dict[str, list[str]] = Field(default_factory=dict)
    """Signal id → regexes; the signal is dropped when one matches anywhere in the notice's texts."""

    @field_validator("spans", "vetoes", "notice_vetoes")
    @classmethod
    def _regexes(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        for rxs in groups.values():
            _check_regexes(rxs)
        return groups


class RulesConfig(Strict):
    """The whole ``innovation.yaml``."""

    version: int = 1
    description: str = ""
    matching: Matching = Matching()
    field_multipliers: dict[str, float] = Field(default_factory=dict)
    thresholds: Thresholds
    negation_cues: dict[LangKey, list[str]] = Field(default_factory=dict)
    structured: list[StructuredRule] = Field(default_factory=list)
    keywords: list[KeywordRule] = Field(default_factory=list)
    exclusions: Exclusions = Exclusions()
    declared: DeclaredRule = DeclaredRule()
    """What buyers' answers make a notice declared innovative (``monitor.classify.declared``); not
    read by the classifier, so it has its own version and is left out of ``Rules.version``."""

    @field_validator("field_multipliers")
    @classmethod
    def _fields(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            if name not in TEXT_FIELDS:
                raise ValueError(f"unknown text field {name!r}; expected one of {', '.join(TEXT_FIELDS)}")
        return value

    @model_validator(mode="after")
    def _unique_ids_and_vetoes(self, info: ValidationInfo) -> RulesConfig:
        seen: dict[str, str] = {}
        problems = []
        ids = (("structured", [r.id for r in self.structured]), ("keywords", [r.id for r in self.keywords]))
        for section, rule_ids in ids:
            for i, rule_id in enumerate(rule_ids):
                where = f"{section}[{i}]{_line_note(info, (section, i))}"
                if rule_id in seen:
                    problems.append(f"duplicate id {rule_id!r} at {where}; first used at {seen[rule_id]}")
                else:
                    seen[rule_id] = where
        for section in ("vetoes", "notice_vetoes"):
            for signal in getattr(self.exclusions, section):
                if signal not in seen:
                    problems.append(
                        f"exclusions.{section} names {signal!r}, which is no keyword or structured id"
                    )
        structured_ids = {r.id for r in self.structured}
        for i, srule in enumerate(self.structured):
            earlier = {r.id for r in self.structured[:i]}
            for other in srule.same_fact_as:
                if other not in earlier:
                    where = f"structured[{i}]{_line_note(info, ('structured', i))}"
                    problems.append(
                        f"{where}: same_fact_as names {other!r}, which is no structured id above it"
                    )
        for i, rule in enumerate(self.keywords):
            for other in rule.same_fact_as:
                if other not in structured_ids:
                    where = f"keywords[{i}]{_line_note(info, ('keywords', i))}"
                    problems.append(f"{where}: same_fact_as names {other!r}, which is no structured id")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class Rules:
    """Validated, compiled rules. ``version`` is a hash of the rules' content, not of the file:
    editing a comment does not re-classify anything."""

    config: RulesConfig
    version: str
    matcher: KeywordMatcher
    weights: dict[str, float]
    structured_vetoes: dict[str, list[re.Pattern[str]]]
    path: Path | None = None
    matcher_version: str = ""
    """Hash of what decides text hits (words, exclusions, vetoes, negation, matching settings) but not
    weights or thresholds: equal versions find the same hits, so ``scorer.rescore`` may reuse them."""

    @classmethod
    def from_config(cls, config: RulesConfig, path: Path | None = None) -> Rules:
        dump = config.model_dump(mode="json", exclude={"declared"})
        version = _hash(dump)
        matcher_version = _hash(
            {
                "keywords": [
                    {k: kw[k] for k in ("id", "negation", "fi", "sv", "en")} for kw in dump["keywords"]
                ],
                "spans": dump["exclusions"]["spans"],
                "vetoes": dump["exclusions"]["vetoes"],
                "negation_cues": dump["negation_cues"],
                "matching": dump["matching"],
            }
        )
        vetoes = config.exclusions.vetoes
        terms = []
        for rule in config.keywords:
            for key in ("fi", "sv", "en"):
                lt: LanguageTerms | None = getattr(rule, key)
                if lt is None:
                    continue
                terms.append(
                    Term(
                        id=rule.id,
                        lang=ISO1_TO_3[key],
                        lemma=tuple(lt.lemma),
                        stems=tuple(lt.stems),
                        regex=tuple(lt.regex),
                        compound=lt.compound,
                        negation=rule.negation,
                        vetoes=tuple(vetoes.get(rule.id, ())),
                    )
                )
        m = config.matching
        matcher = KeywordMatcher(
            terms,
            exclusions=config.exclusions.spans,
            negation_cues={ISO1_TO_3[k]: v for k, v in config.negation_cues.items()},
            negation_window=(m.negation_window.before, m.negation_window.after),
            compound_heads={ISO1_TO_3[k]: v for k, v in m.compound_heads.items()},
            min_compound_len=m.min_compound_len,
        )
        weights = {r.id: r.weight for r in config.keywords}
        structured_ids = {r.id for r in config.structured}
        structured_vetoes = {
            sid: [re.compile(rx, re.IGNORECASE) for rx in rxs]
            for sid, rxs in vetoes.items()
            if sid in structured_ids
        }
        for sid, rxs in config.exclusions.notice_vetoes.items():
            structured_vetoes.setdefault(sid, []).extend(re.compile(rx, re.IGNORECASE) for rx in rxs)
        return cls(config, version, matcher, weights, structured_vetoes, path, matcher_version)


def _hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load_rules(path: Path | str) -> Rules:
    """Load, validate and compile a rules file; raises ``monitor.appconfig.ConfigError`` with lines."""
    path = Path(path)
    config = load_file(path, RulesConfig)
    assert isinstance(config, RulesConfig)
    return Rules.from_config(config, path)
