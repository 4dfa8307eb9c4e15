"""The measure registry: the ``@measure`` decorator, what a measure declares (:class:`MeasureSpec`,
:class:`ParamSpec`, :class:`Pace` with its :class:`Lift` and :class:`Broken`), what it returns
(:class:`Measured`), ``REGISTRY`` and :func:`lookup`.

Rule id → measure, and what each measure needs, so the loader can check a ruleset before anything runs.
The measures register themselves when ``analysis.rules.measures`` is imported (``analysis.rules`` does
that first); this module imports neither them, the context nor the loader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class ParamSpec:
    """A parameter a measure reads from ``rules.<id>.params``.

    ``kind`` is checked when the file is loaded: ``int`` (≥ 0), ``share`` (0–1), ``months`` (divides 12),
    ``bool``, ``text``, ``texts`` (list of text), ``kinds`` (list of activity kind ids).
    """

    kind: str
    default: Any = REQUIRED


@dataclass(frozen=True)
class Lift:
    """One condition a period must meet, and how to lift it, so pace warnings can name why a month or
    period was not met (``Pace.conditions``): the measure is re-run with every *other* condition lifted,
    and a period still not met then fails this one.

    ``thresholds``/``params``: values that replace the rule's (a threshold for every org type);
    ``columns``: ``{table: {column: expression}}`` rewriting the rows the measure reads.  ``cause`` names
    the condition for people (``vocab.PACE_CAUSE_ZH``).
    """

    cause: str
    thresholds: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, dict[str, pl.Expr]] = field(default_factory=dict)


@dataclass(frozen=True)
class Broken:
    """A result column counting rows that fail the rule for good once the ruleset turns the condition on
    with ``params[param]`` (an unrecorded meeting when every meeting must be recorded)."""

    column: str
    param: str
    cause: str


@dataclass(frozen=True)
class Pace:
    """How a measure's year-to-date progress is read for pace warnings (``analysis.decisions.pace``).

    Declared next to the measure, so a new rule served by a paced measure gets its warning without
    anyone listing rule ids.  The measure itself is re-run on the rows dated up to a cut-off (nothing
    dated after it counts); ``kind`` says what a shortfall early in the year means:

    - ``count``: rows so far against the year's count; nothing is lost by waiting (信息报送, 谈心谈话).
    - ``periods``: rows fall into periods of ``params[period_param]`` months and ``threshold.periods`` of
      them must hold one; a period that ended empty is lost for good (委员会议 每两个月, 党员大会 每季度).
    - ``months``: months that met the rule; a month that ended (plus ``params[lag_param]`` months of
      grace, e.g. dues remitted by the end of the next month) without meeting it is lost (每月集中学习, 党费).
    - ``windows``: each of the rule's date windows must hold its document; a window that closed without
      one is lost (年度计划 by 31 March, 年度总结 from November).
    - ``term``: judged over the term at the as-of date (按时换届, 届内培训): the verdict itself is the
      colour; a duty still open in a term that falls due within the year is behind.
    - ``scaled``: each member's own count against the threshold ``scaled`` × the elapsed share of the
      year (党员学习天数: 6 of 12 days by 30 June).
    - ``none``: cannot be paced (registry values, inspection scores given at year end); ``why`` says so
      (``vocab.PACE_UNPACED_ZH``).

    ``broken``: result columns that fail the rule for good (:class:`Broken`).  ``conditions``: the
    conditions a month must meet, each with how to lift it (:class:`Lift`), and ``absent``: the cause of
    a month that fails even with all of them lifted (nothing held); for ``periods`` a lost period is
    always ``absent``.  ``unit``: what a count counts in notes when not ``params.unit`` (default 次).
    """

    kind: Literal["count", "periods", "months", "windows", "term", "scaled", "none"]
    period_param: str | None = None
    lag_param: str | None = None
    broken: tuple[Broken, ...] = ()
    conditions: tuple[Lift, ...] = ()
    absent: str | None = None
    scaled: str | None = None
    why: str | None = None
    unit: str | None = None


@dataclass
class Measured:
    """What a measure returns: the per-org result frame, its evidence rows and any data warnings."""

    frame: pl.LazyFrame
    evidence: pl.LazyFrame
    warnings: pl.LazyFrame | None = None


#: a measure, ``fn(ctx: Context, rule: Rule) -> Measured``; its arguments are typed ``Any`` here so that the
#: registry imports neither the context nor the loader, which both import it
MeasureFn = Callable[[Any, Any], Measured]


@dataclass(frozen=True)
class MeasureSpec:
    """A registered measure and what it needs, so a ruleset can be checked before anything runs.

    ``tables``: store tables that must exist in the dataset, else the rule is ``no_data``.
    ``columns``: ``(table, column)`` pairs some source must have carried, else ``no_data``.
    ``thresholds``: names of the per-org-type thresholds (one name: a bare number is allowed).
    ``params``/``windows``: names the ruleset must (or may) give.  ``deductions``: shortfall columns the
    rubric may deduct for.  ``methods``: rubric methods that make sense for this measure.  ``pace``: how
    its year-to-date progress is read (:class:`Pace`); ``None`` = no pace warning for its rules.
    """

    rule_id: str
    fn: MeasureFn
    tables: tuple[str, ...]
    columns: tuple[tuple[str, str], ...] = ()
    thresholds: tuple[str, ...] = ()
    params: dict[str, ParamSpec] = field(default_factory=dict)
    windows: tuple[str, ...] = ()
    deductions: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("binary", "ratio", "deduct")
    pace: Pace | None = None


REGISTRY: dict[str, MeasureSpec] = {}


def measure(
    *rule_ids: str,
    tables: Sequence[str],
    columns: Sequence[tuple[str, str]] = (),
    thresholds: Sequence[str] = (),
    params: dict[str, ParamSpec] | None = None,
    windows: Sequence[str] = (),
    deductions: Sequence[str] = (),
    methods: Sequence[str] = ("binary", "ratio", "deduct"),
    pace: Pace | None = None,
) -> Callable[[MeasureFn], MeasureFn]:
    """Register ``fn`` as the measure of ``rule_ids`` (``"manual.*"`` matches every ``manual.<name>``)."""

    def deco(fn: MeasureFn) -> MeasureFn:
        for rid in rule_ids:
            if rid in REGISTRY:
                raise ValueError(f"measure {rid} registered twice")
            REGISTRY[rid] = MeasureSpec(
                rid, fn, tuple(tables), tuple(columns), tuple(thresholds), dict(params or {}),
                tuple(windows), tuple(deductions), tuple(methods), pace,
            )  # fmt: skip
        return fn

    return deco


def lookup(rule_id: str) -> MeasureSpec | None:
    """The measure of ``rule_id``: an exact registration, else its group's wildcard (``manual.*``)."""
    if rule_id in REGISTRY:
        return REGISTRY[rule_id]
    group, _, name = rule_id.partition(".")
    return REGISTRY.get(f"{group}.*") if name else None

