"""The earlier years' Assessments the weak decline criterion needs, read from a store, and last
year's weak list for the turnaround (后进转化).

:func:`history_for` runs ``analysis.assess`` on those years (imported inside the function); the
decisions sit downstream of the assessment, so the import goes one way.
"""

from __future__ import annotations

from typing import Any

from analysis.decisions.settings import _settings
from analysis.decisions.weak import DEFAULT_WEAK, weak_orgs
from analysis.decisions.weak_tiers import turnaround, with_turnaround


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


def previous_weak(history: list[Any] | None, thresholds: dict[str, Any] | None = None) -> Any:
    """Last year's weak list with its tiers, from the Assessments :func:`history_for` gave (or ``None``).

    ``history`` ends with last year; last year's decline criterion is tested only when the years before
    it are in ``history`` too (otherwise skipped, as for any first years of data).  The same
    ``thresholds`` (e.g. the ``rectify_share`` cap) apply, so "整顿 last year" means what it means now.
    """
    if not history:
        return None
    last = history[-1]
    n = int(_settings(last, "weak", DEFAULT_WEAK, thresholds)["decline_years"])
    earlier = {h.year: h for h in history[:-1]}
    wanted = [last.year - k for k in range(n, 0, -1)]
    before = [earlier[y] for y in wanted] if all(y in earlier for y in wanted) else None
    return weak_orgs(last, before, thresholds)


def weak_with_turnaround(
    assessment: Any,
    history: list[Any] | None,
    thresholds: dict[str, Any] | None = None,
    last_years: list[Any] | None = None,
) -> tuple[Any, Any]:
    """This year's tiered weak list with the turnaround columns, and the turnaround table (or ``None``).

    ``history`` is what the decline criterion needs (:func:`history_for`); ``last_years`` (ending with
    last year) stands in for it in the turnaround when ``history`` is ``None`` — a store with last year
    but not the year before still shows what became of last year's 整顿 orgs.  The table
    (:func:`~analysis.decisions.weak_tiers.turnaround`) lists every org that was 整顿 last year — also
    those no longer on any list (转化), which weak.csv cannot hold.
    """
    weak = weak_orgs(assessment, history, thresholds)
    last = previous_weak(history or last_years, thresholds)
    table = None if last is None else turnaround(weak, last)
    return with_turnaround(weak, last), table
