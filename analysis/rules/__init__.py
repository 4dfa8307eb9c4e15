"""Rulesets (TOML data shipped beside this file) and the measures that evaluate them.

``load_ruleset("changzhou-2009")`` reads and validates a ruleset; :func:`evaluate` runs every measure
of it over a store for one assessment year, lazily.  Scoring the results is the next stage
(``analysis.scoring``).
"""

from analysis.rules.loader import (
    METHOD_ZH,
    ORG_TYPES,
    Rubric,
    Rule,
    Ruleset,
    RulesetError,
    Window,
    builtin_rulesets,
    load_ruleset,
)
from analysis.rules.measures import (
    EVIDENCE_COLUMNS,
    RESULT_COLUMNS,
    Context,
    Evaluation,
    evaluate,
    missing_inputs,
)
from analysis.rules.registry import REGISTRY, Measured, MeasureSpec, ParamSpec, lookup, measure

__all__ = [
    "EVIDENCE_COLUMNS",
    "METHOD_ZH",
    "ORG_TYPES",
    "REGISTRY",
    "RESULT_COLUMNS",
    "Context",
    "Evaluation",
    "MeasureSpec",
    "Measured",
    "ParamSpec",
    "Rubric",
    "Rule",
    "Ruleset",
    "RulesetError",
    "Window",
    "builtin_rulesets",
    "evaluate",
    "load_ruleset",
    "lookup",
    "measure",
    "missing_inputs",
]
