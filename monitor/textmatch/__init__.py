"""Generic fi/sv/en keyword matching: tokens, lemmas, compounds, exclusions, negation.

Public API (used by the innovation classifier and by subscription matching)::

    from monitor.textmatch import KeywordMatcher
    m = KeywordMatcher.from_terms({"fin": ["tekoäly", "pilotti"], "eng": ["artificial intelligence"]},
                                  exclusions=[r"business\\s+finland"])
    hits = m.find({"fin": "Tekoälypilotin hankinta", "eng": "..."})   # -> list[Hit]
"""

from monitor.textmatch.matcher import Dropped, Excluded, Hit, KeywordMatcher, Matches, Term

__all__ = ["Dropped", "Excluded", "Hit", "KeywordMatcher", "Matches", "Term"]
