"""The rules' own measures re-run on the rows so far: the only source of the pace warnings' numbers.

**Rows so far.**  A run counts the rows of the store dated inside its span (an activity, a study day, a
dues month) with what was known of them at the as-of date: a date inside a row after the as-of date is
not known yet, so dues remitted on 9 July are not remitted at all on 30 June (:class:`_StoreSoFar`).
The measure's year then ends where the span does (:class:`_UpTo`), so "done so far" is exactly what
the assessment would count.

**Units.**  Each rule is read in units (:func:`units`): the periods or months of a periodic or monthly
duty, the date windows of a document (年度计划 by 31 March, 年度总结 from November), or the whole year.  A
unit is over for good (``final``) when its deadline — its end, plus any grace (dues: remitted by the end
of the next month) — is on or before the as-of date: the as-of date counts the rows dated that day.
The measure runs on 1 January to the as-of date (the rule's verdict so far), and once on the rows of
each unit that has begun (its first day to its last, or to the as-of date for the running one): a
unit is met when that run counts something.

**Causes.**  A unit the rule failed is explained by the measure itself: it is re-run, on the rows of
the orgs that failed it, with every condition but one lifted (``Pace.conditions``) — a unit still failed
then fails that condition — and with all of them lifted: a unit still failed held nothing
(``Pace.absent``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

import polars as pl

from analysis import vocab
from analysis.assess import Assessment
from analysis.rules import Context, Rule, Ruleset, evaluate, lookup
from analysis.rules.common import PERIOD_ZH
from analysis.rules.evaluation import missing_inputs
from analysis.rules.registry import Lift, Pace
from analysis.store import Store

ORG = "org_id"
#: the runs of a rule: as the ruleset says, with its scaled threshold (``Pace.scaled``), with every
#: condition lifted, and with all conditions but one lifted (:func:`but`)
REAL, SCALED, LIFTED = "real", "scaled", "lifted"
#: a rule that declares no pace
UNDECLARED = Pace("none", why="undeclared")


def but(cause: str) -> str:
    """The run with every condition lifted except ``cause``."""
    return f"but:{cause}"


@dataclass
class _StoreSoFar(Store):
    """A store holding the rows of a span as known at ``known``: rows whose own date (the table's
    required date or month column) is outside ``since``–``until`` are left out, and any other date after
    ``known`` is empty (not yet).  ``edits`` rewrite columns of the rows read (``(table, column,
    expression)``, in order): how a condition is lifted (:class:`~analysis.rules.registry.Lift`)."""

    since: date = date.min
    until: date = date.max
    known: date = date.max
    edits: tuple[tuple[str, str, pl.Expr], ...] = ()

    @classmethod
    def of(cls, store: Store, **cut: Any) -> _StoreSoFar:
        return cls(**{f.name: getattr(store, f.name) for f in fields(Store)}, **cut)

    def table(self, name: str) -> pl.LazyFrame:
        lf = super().table(name)
        for c in vocab.TABLES[name].columns:
            if c.kind not in ("date", "month"):
                continue
            when = pl.col(c.name)
            lf = lf.filter(when.is_between(self.since, self.until)) if c.required else lf.with_columns(
                pl.when(when <= self.known).then(when).alias(c.name)
            )
        for table, column, expr in self.edits:
            if table == name:
                lf = lf.with_columns(expr.alias(column))
        return lf

    def study_keyed(
        self, start: date | None = None, end: date | None = None
    ) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        return super().study_keyed(max(start or self.since, self.since), min(end or self.until, self.until))


@dataclass
class _UpTo(Context):
    """A :class:`Context` whose year ends at ``until``: every measure then counts rows dated 1 Jan – until.

    The measures read the year's last day only through ``ctx.y1``, so truncating it (with the store cut
    there too) is all it takes to ask a measure "how far had this org got by then?".
    """

    until: date = date.max

    @property
    def y1(self) -> date:
        return self.until


@dataclass(frozen=True)
class Plan:
    """One rule as pace reads it: its position in the rubric, its pace (``UNDECLARED`` when its measure
    declares none), the length of its periods in months and the grace after each."""

    order: int
    rule: Rule
    pace: Pace
    unit_months: int  # months per period (periods, months); 12 otherwise
    lag: int  # months of grace after a period ends before it is lost (dues: remit by next month's end)

    @property
    def kind(self) -> str:
        return self.pace.kind

    @property
    def unit_word(self) -> str:
        """What is counted: 次 / 篇 / 人 for rows, 个月 for months met, 项 for documents."""
        if self.kind == "months":
            return "个月"
        if self.kind == "windows":
            return "项"
        return str(self.rule.params.get("unit", self.pace.unit or "次"))

    def variants(self) -> dict[str, tuple[Lift, ...]]:
        """The lifted runs that explain a failed month: all lifted, and all but each one."""
        lifts = self.pace.conditions
        if not lifts:
            return {}
        out = {LIFTED: lifts}
        out.update({but(c.cause): tuple(x for x in lifts if x is not c) for c in lifts})
        return out


def plans(ruleset: Ruleset) -> list[Plan]:
    """Every rule of the ruleset, in rubric order, with the pace its measure declares."""
    out = []
    for order, rule in enumerate(ruleset.items):
        spec = lookup(rule.rule_id)
        p = spec.pace if spec is not None and spec.pace is not None else UNDECLARED
        unit = int(rule.params[p.period_param]) if p.period_param else 1 if p.kind == "months" else 12
        lag = int(rule.params[p.lag_param]) if p.lag_param else 0
        out.append(Plan(order, rule, p, unit, lag))
    return out


def month_end(year: int, month: int) -> date:
    """Last day of ``month`` counted from January of ``year`` (month 13 = January of the next year)."""
    y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def _spans(plan: Plan, year: int) -> list[tuple[str, date, date, date]]:
    """The units of a rule: (label, first day, last day, deadline)."""
    if plan.kind in ("periods", "months"):
        um, out = plan.unit_months, []
        for i in range(12 // um):
            a, b = i * um + 1, (i + 1) * um
            label = f"{a}月" if a == b else f"{a}-{b}月"
            out.append((label, date(year, a, 1), month_end(year, b), month_end(year, b + plan.lag)))
        return out
    if plan.kind == "windows":
        bounds = sorted((w.bounds(year), name) for name, w in plan.rule.windows.items())
        return [(vocab.PACE_WINDOW_ZH.get(name, name), a, b, b) for (a, b), name in bounds]
    return [("", date(year, 1, 1), date(year, 12, 31), date(year, 12, 31))]


UNITS_SCHEMA: dict[str, pl.DataType] = {
    "rule_id": pl.String(),
    "unit": pl.Int64(),
    "label": pl.String(),
    "start": pl.Date(),
    "end": pl.Date(),
    "deadline": pl.Date(),
    "begun": pl.Boolean(),
    "ended": pl.Boolean(),
    "final": pl.Boolean(),
    "until": pl.Date(),
}


def units(plan_list: list[Plan], year: int, as_of: date) -> pl.DataFrame:
    """Every unit of every rule: its label, dates and deadline; whether it has begun, ended (its last day
    is on or before the as-of date) and is over for good (``final``: so is its deadline); for a unit
    that has begun, the last day of the rows its run counts (``until``: its last day or the as-of date)."""
    rows = []
    for plan in plan_list:
        for i, (label, start, end, deadline) in enumerate(_spans(plan, year)):
            begun = start <= as_of
            rows.append(
                (
                    plan.rule.rule_id, i, label, start, end, deadline, begun, end <= as_of, deadline <= as_of,
                    min(end, as_of) if begun else None,
                )
            )  # fmt: skip
    return pl.DataFrame(rows, schema=UNITS_SCHEMA, orient="row")


def _variant_rule(rule: Rule, lifts: tuple[Lift, ...], scale: tuple[str, float] | None = None) -> Rule:
    """``rule`` with the lifted conditions' thresholds and params (and a threshold scaled by a share)."""
    spec = lookup(rule.rule_id)
    names = spec.thresholds if spec else ()
    new: dict[str, float] = {k: v for lift in lifts for k, v in lift.thresholds.items()}

    def one(key: str, value: float) -> float:
        if scale is not None and key == scale[0]:
            return value * scale[1]
        return float(new.get(key, value))

    threshold: dict[str, Any] = {}
    for org_type, v in rule.threshold.items():
        if isinstance(v, dict):
            threshold[org_type] = {k: one(k, x) for k, x in v.items()}
        else:
            threshold[org_type] = one(names[0], v) if len(names) == 1 else v
    params = {**rule.params, **{k: v for lift in lifts for k, v in lift.params.items()}}
    return rule.model_copy(update={"threshold": threshold, "params": params})


def _edits(lifts: tuple[Lift, ...]) -> tuple[tuple[str, str, pl.Expr], ...]:
    return tuple((t, c, e) for lift in lifts for t, cols in lift.columns.items() for c, e in cols.items())


@dataclass(frozen=True)
class _Job:
    """One run of one rule: the span of rows it counts, which variant, and for a unit run its number."""

    rule_id: str
    since: date
    until: date
    variant: str
    unit: int | None = None


def _selected(frame: pl.LazyFrame, plan: Plan, job: _Job) -> pl.LazyFrame:
    """A run's result in the long layout: what the measure said, the rows breaking the rule for good."""
    have = frame.collect_schema().names()
    active = [b for b in plan.pace.broken if plan.rule.params.get(b.param) and b.column in have]
    broken = pl.sum_horizontal(pl.col(b.column).fill_null(0) for b in active) if active else pl.lit(0.0)
    return frame.select(
        ORG,
        "status",
        "measured",
        pl.col("required").alias("required_text"),
        pl.col("measured_value").alias("value"),
        "required_value",
        broken.cast(pl.Float64).alias("broken_n"),
        pl.lit(active[0].cause if active else None, pl.String).alias("broken_cause"),
        pl.lit(job.rule_id).alias("rule_id"),
        pl.lit(job.unit, pl.Int64).alias("unit"),
        pl.lit(job.variant).alias("variant"),
    )


def _run(
    store: Store, assessment: Assessment, by_id: dict[str, Plan], jobs: list[_Job], share: float
) -> list[pl.LazyFrame]:
    """The jobs' results, still lazy: one context per span and store view.  The run of the whole
    ruleset from 1 January to the as-of date goes through :func:`evaluate` (``not_applicable``,
    ``no_data``); the others call the measure directly."""
    year, as_of = assessment.year, assessment.as_of
    groups: dict[tuple, list[_Job]] = defaultdict(list)
    for job in jobs:
        lifts = by_id[job.rule_id].variants().get(job.variant, ())
        data_key = (job.rule_id, job.variant) if _edits(lifts) else None
        groups[(job.since, job.until, data_key)].append(job)
    frames = []
    for (since, until, _key), group in groups.items():
        first = group[0]
        edits = _edits(by_id[first.rule_id].variants().get(first.variant, ()))
        view = _StoreSoFar.of(store, since=since, until=until, known=as_of, edits=edits)
        ctx = _UpTo(view, assessment.ruleset, year, as_of, until=until)
        whole = [j for j in group if j.variant == REAL and j.unit is None]
        if whole:  # the verdict so far of every rule: evaluate
            ev = evaluate(ctx)
            frames += [_selected(ev.frames[j.rule_id], by_id[j.rule_id], j) for j in whole]
        for job in group:
            if job in whole:
                continue
            plan = by_id[job.rule_id]
            scale = (plan.pace.scaled, share) if job.variant == SCALED and plan.pace.scaled else None
            rule = _variant_rule(plan.rule, plan.variants().get(job.variant, ()), scale)
            frames.append(_selected(lookup(job.rule_id).fn(ctx, rule).frame, plan, job))
    return frames


#: joins an org code and a unit number into the code of an org held apart (:func:`_held_apart`)
_APART = "\x1f"


def _held_apart(
    store: Store, plan: Plan, failed: pl.DataFrame, spans: dict[int, tuple[date, date]]
) -> Store:
    """An in-memory store in which each (org, unit) the rule failed is an org of its own, holding that
    org's rows of that unit only: one run of the measure then says, for every such pair at once,
    whether the unit is met (``org_id`` + :data:`_APART` + unit; the registry row is the org's, so its
    type, level and thresholds are too).  ``failed``: ``org_id, unit``."""
    apart_id = pl.format("{}{}{}", pl.col(ORG), pl.lit(_APART), pl.col("unit"))
    key = failed.select(ORG, _unit="unit", apart=apart_id)
    registry = store.table("orgs").collect()
    apart = registry.join(key, on=ORG).with_columns(pl.col("apart").alias(ORG)).select(registry.columns)
    frames = {"orgs": pl.concat([registry, apart])}
    spec = lookup(plan.rule.rule_id)
    for name in spec.tables if spec else ():
        dated = [c.name for c in vocab.TABLES[name].columns if c.required and c.kind in ("date", "month")]
        if name == "orgs" or not dated or not store.has(name):
            continue
        when, unit = pl.col(dated[0]), pl.lit(None, pl.Int64)
        for u, (a, b) in sorted(spans.items(), reverse=True):
            unit = pl.when(when.is_between(a, b)).then(pl.lit(u, pl.Int64)).otherwise(unit)
        rows = store.table(name).filter(pl.col(ORG).is_in(key[ORG].unique().implode())).with_columns(_unit=unit)
        rows = rows.join(key.lazy(), on=[ORG, "_unit"]).with_columns(pl.col("apart").alias(ORG))
        frames[name] = rows.drop("_unit", "apart").collect()
    return replace(store, path=None, _frames=frames)


def _apart_again(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The results of the orgs held apart, back under their own code with the unit number."""
    parts = pl.col(ORG).str.split_exact(_APART, 1)
    return frame.filter(pl.col(ORG).str.contains(_APART, literal=True)).with_columns(
        parts.struct.field("field_0").alias(ORG), parts.struct.field("field_1").cast(pl.Int64).alias("unit")
    )


def measured_so_far(
    store: Store, assessment: Assessment, plan_list: list[Plan], unit_frame: pl.DataFrame, share: float
) -> pl.DataFrame:
    """Every run pace needs, in one frame: ``org_id, status, measured, required_text, value,
    required_value, broken_n, broken_cause, rule_id, unit, variant``.

    - every rule as the ruleset says on the rows up to the as-of date (``unit`` empty, variant ``real``;
      earlier years too: a term rule reads the term), and a scaled rule with its threshold × ``share``
      (the elapsed share of the year; ``scaled``);
    - a periodic, monthly or windowed rule on the rows of each begun unit (``real``);
    - then, for a rule with conditions, the lifted variants of each unit some org failed, on the rows of
      those orgs only.
    """
    by_id = {p.rule.rule_id: p for p in plan_list}
    y0, as_of = date(assessment.year, 1, 1), assessment.as_of
    begun = unit_frame.filter(pl.col("begun"))
    spans = defaultdict(list)
    for rid, unit, start, until in begun.select("rule_id", "unit", "start", "until").iter_rows():
        spans[rid].append((unit, start, until))
    jobs = []
    for plan in plan_list:
        rid = plan.rule.rule_id
        jobs.append(_Job(rid, date.min, as_of, REAL))
        if missing_inputs(store, rid):
            continue
        if plan.kind in ("periods", "months", "windows"):
            jobs += [_Job(rid, start, until, REAL, unit) for unit, start, until in spans[rid]]
        if plan.kind == "scaled":
            jobs.append(_Job(rid, date.min, as_of, SCALED))
    first = pl.concat(pl.collect_all(_run(store, assessment, by_id, jobs, share)))
    explained = [p.rule.rule_id for p in plan_list if p.variants()]
    failed = first.filter(
        pl.col("unit").is_not_null() & (pl.col("value").fill_null(0) <= 0) & pl.col("rule_id").is_in(explained)
    ).select("rule_id", ORG, "unit")
    lifted = []
    for (rid,), part in failed.group_by("rule_id", maintain_order=True):
        plan = by_id[rid]
        held = _held_apart(store, plan, part.drop("rule_id"), {u: (a, b) for u, a, b in spans[rid]})
        # every lifted run at once, on the held-apart orgs' rows (1 January – as-of: each holds one unit)
        jobs = [_Job(rid, y0, as_of, variant) for variant in plan.variants()]
        lifted += [_apart_again(f) for f in _run(held, assessment, by_id, jobs, share)]
    return pl.concat([first, *pl.collect_all(lifted)]) if lifted else first


def term_due(store: Store, assessment: Assessment) -> pl.DataFrame:
    """Per org: the due date of its current term at the as-of date (``org_id, term_due``)."""
    view = _StoreSoFar.of(store, until=assessment.as_of, known=assessment.as_of)
    ctx = Context(view, assessment.ruleset, assessment.year, assessment.as_of)
    return ctx.terms.select(ORG, "term_due")


def period_word(plan: Plan) -> str:
    """The Chinese name of one of the rule's units (月, 双月, 季度 …)."""
    return PERIOD_ZH.get(plan.unit_months, "时段")
