"""The innovation score: additive, explainable, and honest about what it left out.

score = Σ structured weights + min(Σ text weights, max_text_score). Each signal id counts
once per notice (its strongest occurrence: a title hit counts more than one in additional
info); a weaker text hit inside a stronger hit's span is dropped, so "innovaatio" inside
"innovaatiokumppanuus" does not count twice. Every reason carries signal id, field, matched
text, snippet and weight; every dropped hit and excluded span says why, so a reviewer sees
both why a notice was flagged and why it was not.

Only the procedure's and lots' title, description and additional information are read:
organisation names and legal boilerplate elsewhere in a notice produced false hits in
every prototype (docs/innovation.md#which-text-is-read).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from db.record import NoticeRecord
from monitor.classify.rules import Rules, StructuredRule
from monitor.textmatch import Dropped, Hit, Matches
from monitor.textmatch.matcher import required_literal
from monitor.textmatch.morphology import ISO1_TO_3
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
    dropped = [_not_counted(d) for d in matches.dropped]
    excluded = [ExcludedSpan(e.rule, e.field, e.text, e.lang) for e in matches.excluded]
    return _score(record, rules, fields, matches.hits, dropped, excluded)


def rescore(record: NoticeRecord, stored: Mapping[str, Any], rules: Rules) -> Classification | None:
    """Score again from a stored result's text hits, skipping text matching (most of the cost).

    Exact when the stored result came from a matcher with the same words, exclusions, vetoes and
    negation (``Rules.matcher_version``): then only weights, thresholds, multipliers or structured
    rules can differ, and those are re-applied here. None when it does not apply.
    """
    if not rules.matcher_version or stored.get("matcher_version") != rules.matcher_version:
        return None
    fields = list(text_fields(record))
    matched = _stored_matches(stored, fields, None)
    return None if matched is None else _score(record, rules, fields, *matched)


class Reclassifier:
    """A notice's result under ``candidate`` rules, from its stored result under ``current`` rules as
    far as that holds, matching text only for terms whose words changed, and only where they might
    match.

    Always equal to ``classify(record, candidate)`` (tests/classify/test_reclassify.py compares them
    for many kinds of edits); only the cost differs:

    - the same words, exclusions and negation (a weights, thresholds or structured-rules edit):
      the stored hits are re-scored (as :func:`rescore`), no text is read;
    - the same exclusions, negation and compound settings, some words or concepts edited
      (``KeywordMatcher.delta_from``): where the edited words cannot match (the probe, a token-level
      pre-check far cheaper than matching), the stored hits of the candidate's terms are re-scored;
      elsewhere only the changed terms are matched, and the stored hits of the others kept;
    - anything else (an exclusion or negation cue edited, no stored result, one from other rules):
      a full classification.
    """

    def __init__(self, candidate: Rules, current: Rules) -> None:
        self.candidate = candidate
        self._stored_version = current.matcher_version
        self.delta = candidate.matcher.delta_from(current.matcher) if current.matcher_version else None
        """None when stored results cannot help (see ``KeywordMatcher.delta_from``)."""
        self._unprobed = self.delta.same | self.delta.same_unless_probed if self.delta else frozenset()
        """Terms whose stored results hold wherever the probe finds nothing."""

    @property
    def reuses_stored(self) -> bool:
        """False when every notice is classified in full (an exclusion or negation edit): then a caller
        need not read stored results at all."""
        return self.delta is not None

    def __call__(self, record: NoticeRecord, stored: Mapping[str, Any] | None) -> Classification:
        """``stored``: the notice's stored ``Classification.to_dict()``, if any (of any rules)."""
        delta = self.delta
        if delta is None or not stored or stored.get("matcher_version") != self._stored_version:
            return classify(record, self.candidate)
        fields = list(text_fields(record))
        texts = [(name, lang, text) for name, _, lang, text in fields]
        # Same exclusions in both rules, so the stored result lists every excluded span there is.
        no_exclusions = stored.get("excluded") == []
        kept, fresh = self._unprobed, None
        if delta.probe is not None and delta.probe.might_match(texts, no_exclusions=no_exclusions):
            assert delta.changed is not None  # a probe implies changed terms
            kept, fresh = delta.same, delta.changed.match(texts, no_exclusions=no_exclusions)
        matched = _stored_matches(stored, fields, kept, fresh)
        if matched is None:
            return classify(record, self.candidate)
        return _score(record, self.candidate, fields, *matched)


def _stored_matches(
    stored: Mapping[str, Any],
    fields: list[tuple[str, str, str, str]],
    kept: frozenset[tuple[str, str]] | None,
    fresh: Matches | None = None,
) -> tuple[list[Hit], list[NotCounted], list[ExcludedSpan]] | None:
    """The matcher's output for a notice from its stored result: hits and dropped hits of the terms
    (id, language) in ``kept`` (None: all), with ``fresh`` matches of other terms merged in, and the
    excluded spans. None when the stored result cannot be used.

    Merged, the lists are in the matcher's own order: text by text in ``fields`` order, hits by
    position then term id, drops term by term (see ``KeywordMatcher._match_one``). The sorts are
    stable and no term is on both sides, so this is the order a full match gives, also for results
    stored before the matcher ordered its output.
    """
    if stored.get("hits") is None:
        return None
    order: dict[tuple[str, str | None], int] = {}
    for i, (name, _, lang, _) in enumerate(fields):
        order.setdefault((name, ISO1_TO_3.get(lang, lang)), i)
    if len(order) < len(fields):  # two texts of one field in one language: hits cannot be placed
        return None
    hits = [Hit(**h) for h in stored["hits"] if kept is None or (h["term_id"], h["lang"]) in kept]
    k = int(stored.get("matcher_dropped") or 0)
    dropped = [
        NotCounted(**n)
        for n in (stored.get("not_counted") or [])[:k]
        if kept is None or (n["signal_id"], n.get("lang")) in kept
    ]
    if fresh is not None:
        hits.extend(fresh.hits)
        dropped.extend(_not_counted(d) for d in fresh.dropped)
    try:
        hits.sort(key=lambda h: (order[h.field, h.lang], h.start, h.end, h.term_id))
        dropped.sort(key=lambda n: (order[n.field, n.lang], n.signal_id))
    except KeyError:  # a hit in a text the record no longer has: the stored result is stale
        return None
    excluded = [ExcludedSpan(**e) for e in stored.get("excluded") or []]
    return hits, dropped, excluded


def _not_counted(dropped: Dropped) -> NotCounted:
    hit = dropped.hit
    return NotCounted(hit.term_id, hit.field, hit.matched, hit.snippet, dropped.why, hit.lang)


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
    vetoes: dict[str, tuple[str, str, str] | None] = {}  # per signal: its notice veto searches every text
    hits = []
    for hit in matched:
        if same_fact.get(hit.term_id):
            why = f"same fact as structured signal {same_fact[hit.term_id][0]}, counted there"
            not_counted.append(NotCounted(hit.term_id, hit.field, hit.matched, hit.snippet, why, hit.lang))
            continue
        if hit.term_id not in vetoes:
            vetoes[hit.term_id] = _structured_veto(rules.structured_vetoes.get(hit.term_id, ()), fields)
        veto = vetoes[hit.term_id]
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
