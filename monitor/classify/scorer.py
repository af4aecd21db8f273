"""The innovation score: additive, explainable, and honest about what it left out.

score = Σ structured weights + min(Σ text weights, max_text_score). Each signal id counts
once per notice (its strongest occurrence: a title hit counts more than one in additional
info); a weaker text hit inside a stronger hit's span is dropped, so "innovaatio" inside
"innovaatiokumppanuus" does not count twice. Every reason carries signal id, field, matched
text, snippet and weight; every dropped hit and excluded span says why, so a reviewer sees
both why a notice was flagged and why it was not.

Only the procedure's and lots' title, description and additional information are read:
organisation names and legal boilerplate elsewhere in a notice produced false hits in
every prototype (research/innovation.md §2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from db.record import NoticeRecord
from monitor.classify.rules import Rules, StructuredRule
from monitor.textmatch import Hit
from monitor.textmatch.matcher import required_literal
from monitor.textmatch.tokens import snippet

Label = Literal["innovative", "possible", "none"]
LABELS: tuple[Label, ...] = ("innovative", "possible", "none")
LABEL_RANK = {"none": 0, "possible": 1, "innovative": 2}


@dataclass(frozen=True, slots=True)
class Reason:
    signal_id: str
    kind: Literal["structured", "text"]
    field: str
    matched: str
    snippet: str
    weight: float
    how: str = ""
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class NotCounted:
    """A hit that did not count, and why (negated, vetoed, weaker, counted once already)."""

    signal_id: str
    field: str
    matched: str
    snippet: str
    why: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class ExcludedSpan:
    rule: str
    field: str
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class Classification:
    label: Label
    score: float
    structured_score: float
    text_score: float
    rules_version: str
    reasons: list[Reason] = field(default_factory=list)
    not_counted: list[NotCounted] = field(default_factory=list)
    excluded: list[ExcludedSpan] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    """Every accepted text hit, before scoring: stored so a weights-only rules change can re-score
    without matching text again (:func:`rescore`)."""
    matcher_version: str = ""
    matcher_dropped: int = 0
    """How many of ``not_counted`` (the first ones) the matcher dropped (negation, veto)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "structured_score": self.structured_score,
            "text_score": self.text_score,
            "rules_version": self.rules_version,
            "reasons": [asdict(r) for r in self.reasons],
            "not_counted": [asdict(r) for r in self.not_counted],
            "excluded": [asdict(r) for r in self.excluded],
            "hits": [h.to_dict() for h in self.hits],
            "matcher_version": self.matcher_version,
            "matcher_dropped": self.matcher_dropped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Classification:
        return cls(
            label=data["label"],
            score=float(data["score"]),
            structured_score=float(data.get("structured_score", 0.0)),
            text_score=float(data.get("text_score", 0.0)),
            rules_version=data.get("rules_version", ""),
            reasons=[Reason(**r) for r in data.get("reasons", [])],
            not_counted=[NotCounted(**r) for r in data.get("not_counted", [])],
            excluded=[ExcludedSpan(**r) for r in data.get("excluded", [])],
            hits=[Hit(**h) for h in data.get("hits", [])],
            matcher_version=data.get("matcher_version", ""),
            matcher_dropped=int(data.get("matcher_dropped", 0)),
        )


def label_for(score: float, rules: Rules) -> Label:
    t = rules.config.thresholds
    if score >= t.innovative:
        return "innovative"
    if score >= t.possible:
        return "possible"
    return "none"


def text_fields(record: NoticeRecord) -> Iterator[tuple[str, str, str, str]]:
    """(field name, multiplier key, language, text) for every text the classifier may read."""
    for key in ("title", "description", "additional_info"):
        for lang, text in getattr(record, key).items():
            yield key, key, lang, text
    for lot in record.lots:
        for key in ("title", "description", "additional_info"):
            for lang, text in getattr(lot, key).items():
                yield f"lots[{lot.lot_id}].{key}", f"lot_{key}", lang, text


def _structured_values(record: NoticeRecord, name: str) -> Iterator[tuple[str, str]]:
    """(where, code) pairs for a structured field, from the procedure and every lot."""
    if name == "OPP-070":
        if record.subtype:
            yield "OPP-070 (notice subtype)", record.subtype
        return
    if name == "BT-02":
        if record.notice_type:
            yield "BT-02 (notice type)", record.notice_type
        return
    if name == "CPV":
        for code in [record.cpv_main, *record.cpv_additional]:
            if code:
                yield "CPV (procedure)", code
        for lot in record.lots:
            for code in [lot.cpv_main, *lot.cpv_additional]:
                if code:
                    yield f"CPV (lot {lot.lot_id})", code
        return
    if name == "BT-105" and record.procedure_type:
        yield "BT-105 (procedure type)", record.procedure_type
    if ":" in name:  # a source's own answers may sit in `national` (HILMA: {"innovationConsidered": true})
        for key in (name, name.partition(":")[2]):
            value = record.national.get(key)
            if value is not None:
                yield name, str(value).lower() if isinstance(value, bool) else str(value)
    for code in record.signals.get(name, ()):
        yield name, str(code)
    for lot in record.lots:
        for code in lot.signals.get(name, ()):
            yield f"{name} (lot {lot.lot_id})", str(code)


def _structured_hit(values: list[tuple[str, str, str]], rule: StructuredRule) -> tuple[str, str] | None:
    """The first (where, code) of ``values`` (where, code, lower-cased code) that ``rule`` accepts."""
    wanted = rule.equals_lower
    for where, code, value in values:
        if (wanted and value in wanted) or any(value.startswith(p) for p in rule.prefix):
            return where, code
    return None


def classify(record: NoticeRecord, rules: Rules) -> Classification:
    """Score one notice with ``rules``. Pure: no I/O, safe to call from many processes."""
    fields = list(text_fields(record))
    matches = rules.matcher.match((name, lang, text) for name, _, lang, text in fields)
    dropped = [
        NotCounted(d.hit.term_id, d.hit.field, d.hit.matched, d.hit.snippet, d.why, d.hit.lang)
        for d in matches.dropped
    ]
    excluded = [ExcludedSpan(e.rule, e.field, e.text, e.lang) for e in matches.excluded]
    return _score(record, rules, fields, matches.hits, dropped, excluded)


def rescore(record: NoticeRecord, stored: dict[str, Any], rules: Rules) -> Classification | None:
    """Score again from a stored result's text hits, skipping text matching (most of the cost).

    Exact when the stored result came from a matcher with the same words, exclusions, vetoes and
    negation (``Rules.matcher_version``): then only weights, thresholds, multipliers or structured
    rules can differ, and those are re-applied here. None when it does not apply.
    """
    if (
        not rules.matcher_version
        or stored.get("matcher_version") != rules.matcher_version
        or "hits" not in stored
    ):
        return None
    hits = [Hit(**h) for h in stored["hits"]]
    k = int(stored.get("matcher_dropped", 0))
    dropped = [NotCounted(**n) for n in stored.get("not_counted", [])[:k]]
    excluded = [ExcludedSpan(**e) for e in stored.get("excluded", [])]
    return _score(record, rules, list(text_fields(record)), hits, dropped, excluded)


def _score(
    record: NoticeRecord,
    rules: Rules,
    fields: list[tuple[str, str, str, str]],
    matched: list[Hit],
    dropped: list[NotCounted],
    excluded: list[ExcludedSpan],
) -> Classification:
    reasons: list[Reason] = []
    not_counted: list[NotCounted] = list(dropped)  # the matcher's drops first (see ``matcher_dropped``)
    structured_score = 0.0
    values_of: dict[str, list[tuple[str, str, str]]] = {}
    for rule in rules.config.structured:
        if rule.field not in values_of:  # several rules read the same field (BT-776, CPV): read it once
            values_of[rule.field] = [(w, c, c.lower()) for w, c in _structured_values(record, rule.field)]
        found = _structured_hit(values_of[rule.field], rule)
        if not found:
            continue
        where, code = found
        same = next((r for r in reasons if r.signal_id in rule.same_fact_as), None)
        if same is not None:
            why = f"same fact as structured signal {same.signal_id}, counted there"
            not_counted.append(NotCounted(rule.id, where, code, rule.description or rule.id, why))
            continue
        veto = _structured_veto(rules.structured_vetoes.get(rule.id, ()), fields)
        if veto:
            not_counted.append(
                NotCounted(rule.id, veto[0], code, veto[1], f"vetoed: {veto[2]!r} in the text")
            )
            continue
        reasons.append(Reason(rule.id, "structured", where, code, rule.description or rule.id, rule.weight))
        structured_score += rule.weight

    multiplier_of = {name: rules.config.field_multipliers.get(key, 1.0) for name, key, _, _ in fields}

    def weight(hit: Hit) -> float:
        return rules.weights[hit.term_id] * hit.factor * multiplier_of[hit.field]

    fired = {r.signal_id for r in reasons}
    same_fact = {k.id: [s for s in k.same_fact_as if s in fired] for k in rules.config.keywords}
    hits = []
    for hit in matched:
        if same_fact.get(hit.term_id):
            why = f"same fact as structured signal {same_fact[hit.term_id][0]}, counted there"
            not_counted.append(NotCounted(hit.term_id, hit.field, hit.matched, hit.snippet, why, hit.lang))
            continue
        veto = _structured_veto(rules.structured_vetoes.get(hit.term_id, ()), fields)
        if veto:
            why = f"vetoed: {veto[2]!r} in {veto[0]}"
            not_counted.append(NotCounted(hit.term_id, hit.field, hit.matched, hit.snippet, why, hit.lang))
            continue
        hits.append(hit)
    kept = _drop_weaker_inside_stronger(hits, weight, not_counted)
    best: dict[str, tuple[float, Hit]] = {}
    for hit in kept:
        w = weight(hit)
        current = best.get(hit.term_id)
        if current is None or w > current[0]:
            if current is not None:
                _once(current[1], hit.term_id, not_counted)
            best[hit.term_id] = (w, hit)
        else:
            _once(hit, hit.term_id, not_counted)
    text_score = 0.0
    for signal_id, (w, hit) in best.items():
        reasons.append(
            Reason(signal_id, "text", hit.field, hit.matched, hit.snippet, round(w, 3), hit.how, hit.lang)
        )
        text_score += w
    text_score = min(text_score, rules.config.thresholds.max_text_score)
    score = round(structured_score + text_score, 3)
    return Classification(
        label=label_for(score, rules),
        score=score,
        structured_score=round(structured_score, 3),
        text_score=round(text_score, 3),
        rules_version=rules.version,
        reasons=sorted(reasons, key=lambda r: -r.weight),
        not_counted=not_counted,
        excluded=excluded,
        hits=list(matched),
        matcher_version=rules.matcher_version,
        matcher_dropped=len(dropped),
    )


def _structured_veto(vetoes: Any, fields: list[tuple[str, str, str, str]]) -> tuple[str, str, str] | None:
    """(field, snippet, matched) of the first veto regex found in any text, e.g. a survey under CPV 732."""
    for rx in vetoes:
        literal = required_literal(rx.pattern)
        for name, _, _, text in fields:
            if literal is not None and literal not in text.lower():
                continue
            m = rx.search(text)
            if m:
                return name, snippet(text, m.start(), m.end()), m.group()
    return None


def _once(hit: Hit, signal_id: str, not_counted: list[NotCounted]) -> None:
    why = f"{signal_id} already counted once, from a stronger place"
    not_counted.append(NotCounted(signal_id, hit.field, hit.matched, hit.snippet, why, hit.lang))


def _drop_weaker_inside_stronger(hits: list[Hit], weight: Any, not_counted: list[NotCounted]) -> list[Hit]:
    """Within one field and language, a hit whose span lies inside a stronger hit's span goes."""
    kept = []
    for hit in hits:
        w = weight(hit)
        stronger = next(
            (
                o
                for o in hits
                if o is not hit
                and o.field == hit.field
                and o.lang == hit.lang
                and o.start <= hit.start
                and hit.end <= o.end
                and weight(o) > w
            ),
            None,
        )
        if stronger is None:
            kept.append(hit)
        else:
            why = f"inside the stronger match {stronger.term_id} ({stronger.matched!r})"
            not_counted.append(NotCounted(hit.term_id, hit.field, hit.matched, hit.snippet, why, hit.lang))
    return kept
