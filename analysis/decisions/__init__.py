"""Decisions taken on an assessment: advanced organizations and their robustness, weak organizations,
and year-to-date pace warnings.  Each reads an Assessment; none recomputes a rule's score."""

from analysis.decisions.pace import COLOUR_ZH, PACE_COLUMNS, PACE_SCHEMA, pace, pace_table

__all__ = [
    "COLOUR_ZH",
    "PACE_COLUMNS",
    "PACE_SCHEMA",
    "pace",
    "pace_table",
]
