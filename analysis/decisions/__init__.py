"""Decisions taken on an assessment: the advanced list and its Monte Carlo robustness, the weak
organizations with their reasons, and the year-to-date pace warnings (advanced, robustness, weak, pace)."""

from analysis.decisions.advanced import (
    DEFAULT_SELECTION,
    LABEL_DROPPED,
    LABEL_MARGINAL,
    LABEL_STABLE,
    advanced_table,
    select_advanced,
    selection_settings,
)
from analysis.decisions.history import history_for
from analysis.decisions.pace import COLOUR_ZH, PACE_COLUMNS, PACE_SCHEMA, pace, pace_table
from analysis.decisions.settings import AssessmentLike
from analysis.decisions.weak import (
    DEFAULT_WEAK,
    FAILING_GRADE,
    REASON_SEP,
    WEAK_REASON_ZH,
    peer_comparison,
    weak_orgs,
    weak_table,
)

__all__ = [
    "COLOUR_ZH",
    "DEFAULT_SELECTION",
    "DEFAULT_WEAK",
    "FAILING_GRADE",
    "LABEL_DROPPED",
    "LABEL_MARGINAL",
    "LABEL_STABLE",
    "PACE_COLUMNS",
    "PACE_SCHEMA",
    "REASON_SEP",
    "WEAK_REASON_ZH",
    "AssessmentLike",
    "advanced_table",
    "history_for",
    "pace",
    "pace_table",
    "peer_comparison",
    "select_advanced",
    "selection_settings",
    "weak_orgs",
    "weak_table",
]
