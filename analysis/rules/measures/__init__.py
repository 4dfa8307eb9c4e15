"""The measures, one small polars function per rule registered under the rule's id, one module per duty area
of the opinion: org (一), edu (二), style (三), counts (the counted clauses of every area), manual (督查评分).

Each measure reads the store's LazyFrames and returns, for **every registry org at once**, the measured
value, the required value, a status (``pass``/``fail``/``pending``), the share of the requirement met (for
ratio rubric items), human-readable measured/required text, the number of source rows it counted, and
those rows themselves (``_file, _sheet, _row``) as a lazy evidence frame.  No measure loops over orgs or
rows: everything is a filter, a group-by and a left join onto the registry, so an org with no rows gets
zeros rather than a missing row, and nothing depends on the order rows were read.

What the numbers mean is in ``shared/spec/RULES.md``; what the thresholds and windows are comes from the
ruleset TOML (``analysis/rules/*.toml``), never from constants here.  Importing this package registers
every measure (``analysis.rules`` does so first); :func:`analysis.rules.evaluate` runs a whole ruleset.

The names this module held before it became a package (the registry, the context, the shared helpers,
``evaluate``) are re-exported from their homes: ``registry``, ``context``, ``common``, ``evaluation``.
"""

from analysis.rules.common import (
    EPS,
    EVIDENCE_COLUMNS,
    EVIDENCE_SCHEMA,
    ORG,
    ORG_INDEX,
    PERIOD_ZH,
    RESULT_COLUMNS,
    WARNING_SCHEMA,
    binary_result,
    day,
    num,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.evaluation import Evaluation, evaluate, missing_inputs
from analysis.rules.measures.counts import count_in_year, periodic_count
from analysis.rules.measures.edu import _member_totals as _member_totals  # read by tests/test_member_study.py
from analysis.rules.measures.edu import cadre_training, dues, member_study_days, monthly_study
from analysis.rules.measures.manual import inspection
from analysis.rules.measures.org import annual_plan, budget, secretary, term_election
from analysis.rules.measures.style import integrity_pledges
from analysis.rules.registry import (
    REGISTRY,
    REQUIRED,
    Measured,
    MeasureFn,
    MeasureSpec,
    Pace,
    ParamSpec,
    lookup,
    measure,
)

__all__ = [
    "EPS",
    "EVIDENCE_COLUMNS",
    "EVIDENCE_SCHEMA",
    "ORG",
    "ORG_INDEX",
    "PERIOD_ZH",
    "REGISTRY",
    "REQUIRED",
    "RESULT_COLUMNS",
    "WARNING_SCHEMA",
    "Context",
    "Evaluation",
    "MeasureFn",
    "MeasureSpec",
    "Measured",
    "Pace",
    "ParamSpec",
    "annual_plan",
    "binary_result",
    "budget",
    "cadre_training",
    "count_in_year",
    "day",
    "dues",
    "evaluate",
    "inspection",
    "integrity_pledges",
    "lookup",
    "measure",
    "member_study_days",
    "missing_inputs",
    "monthly_study",
    "num",
    "num_text",
    "passfail",
    "periodic_count",
    "ratio",
    "result",
    "secretary",
    "term_election",
]
