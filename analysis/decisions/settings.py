"""What every decision reads: the Assessment-like object, and the ruleset's tables as settings.

Settings come, in order, from the function arguments, the ruleset's ``[selection]`` / ``[weak]``
tables (``assessment.ruleset.selection`` / ``.weak`` — the loaded pydantic models of
``analysis/rules/loader.py`` — or mappings of the same keys), and the documented defaults of each
decision (:data:`~analysis.decisions.advanced.DEFAULT_SELECTION`,
:data:`~analysis.decisions.weak.DEFAULT_WEAK`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import polars as pl


class AssessmentLike(Protocol):
    """The part of ``analysis.assess.Assessment`` this stage reads."""

    scores: pl.DataFrame
    rules: pl.DataFrame
    year: int


#: rules statuses that are not scored (no points, no pass or fail)
_NOT_SCORED = ("not_applicable", "no_data")


# ============================================================================================
# Settings and small helpers
# ============================================================================================
def _ruleset_section(assessment: object, section: str) -> dict[str, Any]:
    """The ruleset's ``[section]`` table as a dict, else ``{}``.

    The loaded ruleset keeps it as a pydantic model (``ruleset.weak``); tests and notebooks may pass a
    mapping (``{"weak": {...}}``).
    """
    ruleset = getattr(assessment, "ruleset", None)
    place = ruleset.get(section) if isinstance(ruleset, Mapping) else getattr(ruleset, section, None)
    if place is None:
        return {}
    if isinstance(place, Mapping):
        return dict(place)
    if hasattr(place, "model_dump"):
        return dict(place.model_dump())
    return dict(vars(place)) if hasattr(place, "__dict__") else {}


def _settings(
    assessment: object, section: str, defaults: Mapping[str, Any], given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults < ruleset section < explicit values; refuse unknown keys (a typo would be silent)."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"未知的阈值设置：{', '.join(unknown)}；可用的设置为：{', '.join(sorted(defaults))}")
    out = dict(defaults)
    # a ruleset section may hold keys read elsewhere (quota, mc_draws ...): take only ours
    for values in (_ruleset_section(assessment, section), given):
        out.update({k: v for k, v in values.items() if k in defaults and v is not None})
    return out


def _rule_titles(assessment: object) -> dict[str, str]:
    """rule_id -> Chinese title from ``assessment.ruleset.items`` (objects or mappings), in rubric order."""
    ruleset = getattr(assessment, "ruleset", None)
    items = ruleset.get("items") if isinstance(ruleset, Mapping) else getattr(ruleset, "items", None)
    if items is None or callable(items):
        return {}
    out: dict[str, str] = {}
    for item in items if isinstance(items, Iterable) else ():
        get = item.get if isinstance(item, Mapping) else lambda k, _i=item: getattr(_i, k, None)
        rule_id, title = get("rule_id"), get("title_zh")
        if rule_id and title:
            out[str(rule_id)] = str(title)
    return out
