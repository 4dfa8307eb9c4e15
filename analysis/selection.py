"""Kept so ``from analysis.selection import ...`` still works: advanced selection, its robustness and
the weak organizations now live in :mod:`analysis.decisions` (``advanced``, ``robustness``, ``weak``,
``history``).  New code imports from ``analysis.decisions``.
"""

# __all__ is the old module's; ``X as X`` keeps the names it held outside __all__ importable too
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
from analysis.decisions.robustness import _RankBands as _RankBands
from analysis.decisions.settings import AssessmentLike as AssessmentLike
from analysis.decisions.weak import (
    DEFAULT_WEAK,
    WEAK_REASON_ZH,
    peer_comparison,
    weak_orgs,
    weak_table,
)
from analysis.decisions.weak import FAILING_GRADE as FAILING_GRADE
from analysis.decisions.weak import REASON_SEP as REASON_SEP

__all__ = [
    "DEFAULT_SELECTION",
    "DEFAULT_WEAK",
    "LABEL_DROPPED",
    "LABEL_MARGINAL",
    "LABEL_STABLE",
    "WEAK_REASON_ZH",
    "peer_comparison",
    "select_advanced",
    "selection_settings",
    "weak_orgs",
    "history_for",
    "advanced_table",
    "weak_table",
]
