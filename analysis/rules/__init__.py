"""Rulesets (TOML data shipped beside this file) and the measures that evaluate them.

``load_ruleset("changzhou-2009")`` reads and validates a ruleset; :func:`evaluate` runs every measure
of it over a store for one assessment year, lazily.  Scoring the results is the next stage
(``analysis.scoring``).

Each module imports only those listed above it:

    registry.py     the ``@measure`` decorator, MeasureSpec / ParamSpec / Pace, REGISTRY, lookup
    loader.py       TOML → Ruleset, checked against the registry (never imports the measures)
    common.py       the result and evidence columns, EPS, PERIOD_ZH, num / num_text, result builders
    context.py      Context: the registry orgs, elections, terms and thresholds every measure reads
    measures/       the measures, one module per duty area of the opinion; importing it registers them
    evaluation.py   running a ruleset (:func:`evaluate`, :func:`missing_inputs`)

This package imports ``measures`` here, and Python runs this file before any of its modules, so every
measure is registered before anything can look a rule up.
"""

from analysis.rules import measures as measures  # registers every measure
from analysis.rules.common import EVIDENCE_COLUMNS, RESULT_COLUMNS
from analysis.rules.context import Context
from analysis.rules.evaluation import Evaluation, evaluate, missing_inputs
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
