"""Which subscriptions want a notice, and why: an index so each notice meets few subscriptions.

Each filter dimension is an inverted index from value to subscriptions; CPV codes form a
prefix tree (a notice code offers its 2…8-digit prefixes, so ``72212000`` finds
subscriptions on ``72``, ``722``, ``7221``, ``72212``); keywords come from one pass of the
shared keyword matcher (``keywords.TermIndex``, itself indexed token form → term). See
:class:`SubscriptionIndex` for how the dimensions combine.

A candidate is then checked in full by :meth:`CompiledSubscription.check`, which returns the
reasons ("why matched") or None. ``match_without_index`` does the same checks against every
subscription; the benchmark compares the two, and the tests prove they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.branches import normalize_business_id
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
    nuts_prefixes: list[tuple[str, str]] = field(default_factory=list)
    buyer_ids: set[str] = field(default_factory=set)
    buyer_names: list[str] = field(default_factory=list)

    @classmethod
    def compile(
        cls, id: int, subscriber_id: int, name: str, filters: SubscriptionFilters
    ) -> CompiledSubscription:
        c = cls(id, subscriber_id, name, filters)
        c.cpv_prefixes = [(cpv_prefix(code), code) for code in filters.cpv]
        c.nuts_prefixes = [(code, code) for code in filters.nuts]
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
            hit = _prefix_hit(self.cpv_prefixes, facts.cpv_prefixes)
            if hit is None:
                return None
            reasons.append({"filter": "cpv", "subscribed": hit[0], "notice": hit[1]})
        if self.nuts_prefixes:
            hit = _prefix_hit(self.nuts_prefixes, facts.nuts_prefixes)
            if hit is None:
                return None
            reasons.append({"filter": "nuts", "subscribed": hit[0], "notice": hit[1]})
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


def _prefix_hit(prefixes: list[tuple[str, str]], notice: dict[str, str]) -> tuple[str, str] | None:
    """(code as subscribed, notice code) for the first subscribed prefix the notice has."""
    for prefix, subscribed in prefixes:
        code = notice.get(prefix)
        if code is not None:
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


class _Dimension:
    """One filter dimension as bitsets: value → subscriptions naming it, plus those without the filter."""

    def __init__(self) -> None:
        self.by_value: dict[str, int] = {}
        self.any = 0

    def add(self, bit: int, values: Iterable[str]) -> None:
        vals = list(values)
        if not vals:
            self.any |= bit
        for v in vals:
            self.by_value[v] = self.by_value.get(v, 0) | bit

    def mask(self, values: Iterable[str]) -> int:
        m = self.any
        for v in values:
            m |= self.by_value.get(v, 0)
        return m


class SubscriptionIndex:
    """Every subscription, one bit each; a notice's candidates are the AND of per-filter bitsets.

    For each filter dimension (CPV prefix, NUTS prefix, country, branch, buyer ID, notice
    kind, innovation label, keyword) the subscriptions that accept the notice on that
    dimension are one OR of precomputed bitsets (Python ints); their AND leaves only
    subscriptions every indexed filter accepts. Those few are checked in full, which also
    writes the reasons; value range, deadline and exclusions are decided there. The keyword
    matcher runs only if some surviving candidate has keywords.
    """

    def __init__(self, subscriptions: Iterable[CompiledSubscription]) -> None:
        self.subs: dict[int, CompiledSubscription] = {}
        self.order: list[CompiledSubscription] = []
        self.cpv, self.nuts, self.country = _Dimension(), _Dimension(), _Dimension()
        self.branch, self.buyer, self.kind = _Dimension(), _Dimension(), _Dimension()
        self.innovation, self.keyword = _Dimension(), _Dimension()
        terms: list[str] = []
        for bit_no, s in enumerate(subscriptions):
            bit = 1 << bit_no
            self.subs[s.id] = s
            self.order.append(s)
            f = s.filters
            self.cpv.add(bit, [p for p, _ in s.cpv_prefixes])
            self.nuts.add(bit, f.nuts)
            self.country.add(bit, f.countries)
            self.branch.add(bit, f.branches)
            # Name parts cannot be looked up: such subscriptions pass this dimension, the check decides.
            self.buyer.add(bit, [] if s.buyer_names else sorted(s.buyer_ids))
            self.kind.add(bit, f.kinds or DEFAULT_KINDS)
            rank = INNOVATION_RANK[f.innovation] if f.innovation else 0
            self.innovation.add(bit, [label for label, r in INNOVATION_RANK.items() if r >= rank])
            self.keyword.add(bit, f.keywords)
            terms.extend(f.keywords)
            terms.extend(f.exclude)
        self.terms = TermIndex(terms)
        self.all_bits = (1 << len(self.order)) - 1

    def __len__(self) -> int:
        return len(self.subs)

    def _mask(self, facts: NoticeFacts, cache: TermCache) -> int:
        m = self.kind.mask([facts.kind] if facts.kind else [])
        m &= self.innovation.mask([facts.innovation or "none"])
        m &= self.country.mask(facts.countries)
        if m:
            m &= self.cpv.mask(facts.cpv_prefixes)
        if m:
            m &= self.nuts.mask(facts.nuts_prefixes)
        if m:
            m &= self.branch.mask(facts.branch_keys)
        if m:
            m &= self.buyer.mask(facts.buyer_ids)
        if m & ~self.keyword.any:  # a survivor wants keywords: now the matcher pass is worth it
            m &= self.keyword.mask(cache.all())
        return m

    def candidates(self, facts: NoticeFacts, cache: TermCache) -> set[int]:
        """Ids of the subscriptions the index lets through to the full check."""
        return {self.order[i].id for i in _bits(self._mask(facts, cache))}

    def match(self, facts: NoticeFacts, now: datetime) -> list[Match]:
        cache = TermCache(self.terms, facts)
        out = []
        for i in _bits(self._mask(facts, cache)):
            out.extend(self._check(self.order[i], facts, cache, now))
        return sorted(out, key=lambda m: m.subscription_id)

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


def _bits(mask: int) -> Iterable[int]:
    """Positions of the set bits, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low
