"""The earlier years' Assessments the weak decline criterion needs, read from a store.

:func:`history_for` runs ``analysis.assess`` on those years (imported inside the function); the
decisions sit downstream of the assessment, so the import goes one way.
"""

from __future__ import annotations

from typing import Any

from analysis.decisions.settings import _settings
from analysis.decisions.weak import DEFAULT_WEAK


def history_for(store: Any, assessment: Any, years_back: int | None = None) -> list[Any] | None:
    """Assessments of the earlier years the decline criterion needs, when the store holds them.

    Returns ``None`` (the criterion is skipped, not failed) when any of those years has no yearly work
    on record, so a first year of data never reads as a decline.
    """
    from analysis.assess import assess
    from analysis.store import years_with_data

    n = int(years_back if years_back is not None else _settings(assessment, "weak", DEFAULT_WEAK, None)["decline_years"])
    wanted = [assessment.year - k for k in range(n, 0, -1)]
    have = set(years_with_data(store))
    if not all(y in have for y in wanted):
        return None
    return [assess(store, y, ruleset=assessment.ruleset) for y in wanted]
