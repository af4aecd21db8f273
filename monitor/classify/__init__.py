"""The innovation classifier: explainable scores from structured signals and fi/sv/en text rules.

Public API::

    from monitor.classify import load_rules, classify
    rules = load_rules("config/innovation.yaml")     # Rules; rules.version is a content hash
    result = classify(record, rules)                 # Classification: label, score, reasons, ...
    result.to_dict()

Storing results and re-classifying: :mod:`monitor.classify.service`.
"""

from monitor.classify.rules import Rules, RulesConfig, load_rules
from monitor.classify.scorer import LABELS, Classification, NotCounted, Reason, classify

__all__ = [
    "LABELS",
    "Classification",
    "NotCounted",
    "Reason",
    "Rules",
    "RulesConfig",
    "classify",
    "load_rules",
]
