"""Which subscriptions want a notice, and why: an index so each notice meets few subscriptions.

Every subscription is filed under its most selective filter:

- subscriptions with CPV codes in a CPV prefix tree (a dict from prefix to subscriptions:
  a notice code offers its 2…8-digit prefixes, so ``72212000`` finds subscriptions on
  ``72``, ``722``, ``7221``, ``72212``);
- otherwise, those with keywords under their terms: one pass of the shared keyword matcher
  over the notice (``keywords.TermIndex``, itself indexed token form → term) names the terms;
- otherwise, those with branches, buyers or countries under those values;
- the rest (only value, deadline, kind or innovation filters) are tested against every notice.

A candidate is then checked in full by :meth:`CompiledSubscription.check`, which returns the
reasons ("why matched") or None. ``match_without_index`` does the same checks against every
subscription; the benchmark compares the two, and the tests prove they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.matching.facts import NoticeFacts
from monitor.matching.filters import SubscriptionFilters, cpv_prefix
from monitor.matching.keywords import TermHit, TermIndex

INNOVATION_RANK = {"none": 0, "possible": 1, "innovative": 2}
DEFAULT_KINDS = ("planning", "competition")
"""Without a ``kinds`` filter a subscription wants calls it could still answer, not results."""


@dataclass(frozen=True, slots=True)
class Match:
    subscription_id: int
    subscriber_id: int
    subscription_name: str
    reasons: list[dict[str, Any]]


@dataclass
class CompiledSubscription:
    id: int
    subscriber_id: int
    name: str
    filters: SubscriptionFilters
    cpv_prefixes: list[tuple[str, str]] = field(default_factory=list)
    """(prefix, the code as subscribed)."""
    buyer_ids: set[str] = field(default_factory=set)
    buyer_names: list[str] = field(default_factory=list)

    @classmethod
    def compile(
        cls, id: int, subscriber_id: int, name: str, filters: SubscriptionFilters
    ) -> CompiledSubscription:
        from monitor.branches import normalize_business_id

        c = cls(id, subscriber_id, name, filters)
        c.cpv_prefixes = [(cpv_prefix(code), code) for code in filters.cpv]
        for b in filters.buyers:
            bid = normalize_business_id(b)
            if bid:
                c.buyer_ids.add(bid)
            else:
                c.buyer_names.append(b.casefold())
        return c

    def check(self, facts: NoticeFacts, terms: TermCache, now: datetime) -> list[dict[str, Any]] | None:
        """The reasons this subscription wants the notice, or None. Cheapest filters first."""
        f = self.filters
        reasons: list[dict[str, Any]] = []
        if facts.kind not in (f.kinds or DEFAULT_KINDS):
            return None
        if f.countries and not facts.countries.intersection(f.countries):
            return None
        if f.innovation:
            label = facts.innovation or "none"
            if INNOVATION_RANK.get(label, 0) < INNOVATION_RANK[f.innovation]:
                return None
            reasons.append({"filter": "innovation", "label": label, "score": facts.innovation_score})
        if f.value_min is not None or f.value_max is not None:
            v = facts.value_eur
            # No estimated value published: keep it. Most calls omit it, and a subscriber
            # who set a range would otherwise miss nearly everything.
            if v is not None:
                if (f.value_min is not None and v < f.value_min) or (
                    f.value_max is not None and v > f.value_max
                ):
                    return None
                reasons.append({"filter": "value", "value": v})
        if (
            f.min_days_ahead is not None
            and facts.deadline is not None  # planning notices have none: keep them
            and facts.deadline < now + timedelta(days=f.min_days_ahead)
        ):
            return None
        if self.cpv_prefixes:
            hit = _cpv_hit(self.cpv_prefixes, facts.cpv)
            if hit is None:
                return None
            reasons.append({"filter": "cpv", "subscribed": hit[0], "notice": hit[1]})
        if f.nuts:
            hit_n = next(((p, n) for n in facts.nuts for p in f.nuts if n.startswith(p)), None)
            if hit_n is None:
                return None
            reasons.append({"filter": "nuts", "subscribed": hit_n[0], "notice": hit_n[1]})
        if f.branches:
            b = next((b for b in f.branches if b in facts.branch_keys), None)
            if b is None:
                return None
            reasons.append({"filter": "branch", "branch": b, **facts.branch_keys[b]})
        if f.buyers:
            hit_b = _buyer_hit(self, facts)
            if hit_b is None:
                return None
            reasons.append({"filter": "buyer", "subscribed": hit_b})
        if f.exclude:
            for term in f.exclude:
                if terms.hits(term):
                    return None
        if f.keywords:
            found = [h for term in f.keywords for h in terms.hits(term)]
            if not found:
                return None
            for h in found:
                reasons.append(
                    {
                        "filter": "keyword",
                        "term": h.term,
                        "field": h.field,
                        "lang": h.lang,
                        "matched": h.matched,
                    }
                )
        return reasons


def _cpv_hit(prefixes: list[tuple[str, str]], codes: list[str]) -> tuple[str, str] | None:
    for code in codes:
        for prefix, subscribed in prefixes:
            if code.startswith(prefix):
                return subscribed, code
    return None


def _buyer_hit(c: CompiledSubscription, facts: NoticeFacts) -> str | None:
    for bid in c.buyer_ids:
        if bid in facts.buyer_ids:
            return bid
    for part in c.buyer_names:
        if any(part in name for name in facts.buyer_names):
            return part
    return None


class TermCache:
    """One notice's keyword hits: one matcher pass, run only if some candidate asks for a term."""

    def __init__(self, index: TermIndex, facts: NoticeFacts) -> None:
        self.index = index
        self.facts = facts
        self._hits: dict[str, list[TermHit]] | None = None

    def all(self) -> dict[str, list[TermHit]]:
        if self._hits is None:
            self._hits = self.index.find_all(self.facts.texts)
        return self._hits

    def hits(self, term: str) -> list[TermHit]:
        return self.all().get(term, [])


class SubscriptionIndex:
    def __init__(self, subscriptions: Iterable[CompiledSubscription]) -> None:
        self.subs: dict[int, CompiledSubscription] = {}
        self.by_cpv: dict[str, list[int]] = {}
        self.by_term: dict[str, list[int]] = {}
        self.by_value: dict[str, dict[str, list[int]]] = {"branch": {}, "buyer_id": {}, "country": {}}
        self.by_buyer_name: list[int] = []
        self.always: list[int] = []
        terms: list[str] = []
        for s in subscriptions:
            self.subs[s.id] = s
            terms.extend(s.filters.keywords)
            terms.extend(s.filters.exclude)
            f = s.filters
            if s.cpv_prefixes:
                for prefix, _ in s.cpv_prefixes:
                    self.by_cpv.setdefault(prefix, []).append(s.id)
            elif f.keywords:
                for term in f.keywords:
                    self.by_term.setdefault(term, []).append(s.id)
            elif f.branches:
                for b in f.branches:
                    self.by_value["branch"].setdefault(b, []).append(s.id)
            elif f.buyers and not s.buyer_names:
                for b in s.buyer_ids:
                    self.by_value["buyer_id"].setdefault(b, []).append(s.id)
            elif f.countries:
                for c in f.countries:
                    self.by_value["country"].setdefault(c, []).append(s.id)
            else:
                self.always.append(s.id)
        self.terms = TermIndex(terms)

    def __len__(self) -> int:
        return len(self.subs)

    def candidates(self, facts: NoticeFacts, cache: TermCache) -> set[int]:
        out: set[int] = set(self.always)
        for code in facts.cpv:
            for n in range(2, 9):
                found = self.by_cpv.get(code[:n])
                if found:
                    out.update(found)
        if self.by_term:
            for term in cache.all():
                found = self.by_term.get(term)
                if found:
                    out.update(found)
        for key in facts.branch_keys:
            out.update(self.by_value["branch"].get(key, ()))
        for bid in facts.buyer_ids:
            out.update(self.by_value["buyer_id"].get(bid, ()))
        for c in facts.countries:
            out.update(self.by_value["country"].get(c, ()))
        return out

    def match(self, facts: NoticeFacts, now: datetime) -> list[Match]:
        cache = TermCache(self.terms, facts)
        out = []
        for sid in sorted(self.candidates(facts, cache)):
            out.extend(self._check(self.subs[sid], facts, cache, now))
        return out

    def match_without_index(self, facts: NoticeFacts, now: datetime) -> list[Match]:
        """Every subscription checked in full: the baseline the benchmark compares against."""
        cache = TermCache(self.terms, facts)
        out = []
        for sid in sorted(self.subs):
            out.extend(self._check(self.subs[sid], facts, cache, now))
        return out

    @staticmethod
    def _check(s: CompiledSubscription, facts: NoticeFacts, cache: TermCache, now: datetime) -> list[Match]:
        reasons = s.check(facts, cache, now)
        if reasons is None:
            return []
        return [Match(s.id, s.subscriber_id, s.name, reasons)]
