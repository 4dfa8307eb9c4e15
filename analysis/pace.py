"""Kept so ``from analysis.pace import ...`` still works: the pace warnings now live in
:mod:`analysis.decisions.pace`.  New code imports from ``analysis.decisions``.
"""

from analysis.decisions.pace import COLOUR_ZH, ORG, PACE_COLUMNS, PACE_SCHEMA, pace, pace_table

__all__ = ["COLOUR_ZH", "ORG", "PACE_COLUMNS", "PACE_SCHEMA", "pace", "pace_table"]
