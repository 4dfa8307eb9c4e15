"""Year-to-date pace warnings (进度预警): is each org on course to meet the year's count rules?

With an as-of date inside the assessment year, every org gets one row per rule of the ruleset that
applies to it and whose measure declares a :class:`~analysis.rules.measures.Pace` (counts, periodic
meetings, monthly duties).  Nothing here re-implements a rule: the rule's own measure is re-run on the
rows dated 1 January up to a cut-off — the as-of date, and the end of every period or month that has
begun — so "done so far" is exactly what the assessment would count, and the step between two cut-offs
is what one period or month contributed.  Which rules take part, and how a shortfall is read, comes from
the measure registry (``@measure(..., pace=Pace(...))``), never from a list of rule ids.

Time is counted in months: elapsed months = (month − 1) + day ÷ days in that month, so 30 June is 6 and
15 June is 5.5; the elapsed share of the year is elapsed months ÷ 12 and the remaining months are
12 − elapsed months.

Colours (RULES.md, "Pace warnings"):

- **灰 grey** — the rule is ``no_data``: its table (or registry column) is absent from the whole dataset,
  so nothing can be said.
- **红 red** — the year's requirement can no longer be met:

  * periods and months (``Pace`` kinds ``periods``/``months``): the periods or months that already
    *ended* without meeting the rule outnumber the allowance (periods in the year − periods required).
    A duty required in every month or period (支委会每月, 每月集中学习, 党费每月) is red as soon as one
    past month is missed — RULES.md: "Monthly duties missed in a past month cannot be made up".  The
    bimonthly committee meetings of changzhou-2009 (5 of 6 windows) turn red at the second missed window.
    A dues month ends at its remittance deadline (``remit_months`` later), not at the month's end.
  * counts (``count``): rows can be added any day, so only when no time is left (as-of 31 December)
    with the count short.

- **绿 green** — not red, done ≥ required × elapsed share, and for periods/months also the periods met
  ≥ periods required × elapsed share (holding six meetings in January is not "on pace" for monthly
  meetings).  A duty with grace (dues) is paced on the months already due: its elapsed share is
  (elapsed months − grace) ÷ 12, so on 30 June the dues of January to May are expected, not June's.
- **黄 amber** — everything else: behind pace, but still reachable.

``rate_needed`` is the remaining count ÷ remaining months (per month still to come), rounded to two
decimals; 0 when nothing remains, empty when no time remains but something does, empty for grey rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import polars as pl

from analysis import vocab
from analysis.assess import AssessError, Assessment
from analysis.rules import Context, Rule, Ruleset, evaluate, lookup
from analysis.rules.measures import EPS, PERIOD_ZH, Pace, num
from analysis.store import Store

ORG = "org_id"
#: Chinese words of the colours.  They belong in analysis/vocab.py; kept here until the lead moves them
#: (this module was written without touching vocab.py).
COLOUR_ZH = vocab.PACE_COLOUR_ZH
PACE_SCHEMA: dict[str, pl.DataType] = {
    ORG: pl.String(),
    "name": pl.String(),
    "org_type": pl.String(),
    "rule_id": pl.String(),
    "title": pl.String(),
    "done": pl.Float64(),
    "required": pl.Float64(),
    "remaining": pl.Float64(),
    "rate_needed": pl.Float64(),
    "colour": pl.String(),
    "colour_zh": pl.String(),
    "note": pl.String(),
}
#: columns of :func:`pace`, in order
PACE_COLUMNS = tuple(PACE_SCHEMA)


@dataclass
class _UpTo(Context):
    """A :class:`Context` whose year ends at ``until``: every measure then counts rows dated 1 Jan – until.

    The measures read the year's last day only through ``ctx.y1``, so truncating it is all it takes to
    ask a measure "how far had this org got by then?".
    """

    until: date = date.max

    @property
    def y1(self) -> date:
        return self.until


@dataclass(frozen=True)
class _Plan:
    """One paced rule: its pace kind, the length of its periods in months and the grace after each."""

    order: int
    rule: Rule
    pace: Pace
    unit_months: int  # months per period; 12 for a count (one period: the year)
    lag: int  # months of grace after a period ends before it is lost (dues: remit by next month's end)

    @property
    def n_units(self) -> int:
        return 12 // self.unit_months

    @property
    def unit_word(self) -> str:
        """What is counted: 次 / 篇 for rows, 个月 for months met."""
        if self.pace.kind == "months":
            return "个月"
        return str(self.rule.params.get("unit", "次"))


def _month_end(year: int, month: int) -> date:
    """Last day of ``month`` counted from January of ``year`` (month 13 = January of the next year)."""
    y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def _elapsed_months(as_of: date) -> float:
    return as_of.month - 1 + as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]


def _label(plan: _Plan, i: int) -> str:
    """The period's name in notes: 3月 for a month, 1-2月 / 4-6月 for longer periods."""
    a, b = i * plan.unit_months + 1, (i + 1) * plan.unit_months
    return f"{a}月" if a == b else f"{a}-{b}月"


def _plans(ruleset: Ruleset) -> list[_Plan]:
    """The rules whose measure declares a pace, in rubric order."""
    out = []
    for order, rule in enumerate(ruleset.items):
        spec = lookup(rule.rule_id)
        if spec is None or spec.pace is None:
            continue
        p = spec.pace
        unit = int(rule.params[p.period_param]) if p.period_param else 1 if p.kind == "months" else 12
        lag = int(rule.params[p.lag_param]) if p.lag_param else 0
        out.append(_Plan(order, rule, p, unit, lag))
    return out


def _units(plans: list[_Plan], year: int, as_of: date) -> pl.DataFrame:
    """Every period of every paced rule that has begun by ``as_of``: its cut-off (its end, or as-of for
    the running one), whether it is over for good (``final``) and its name."""
    rows = []
    for plan in plans:
        for i in range(plan.n_units):
            start = date(year, i * plan.unit_months + 1, 1)
            if start > as_of:
                break
            end = _month_end(year, (i + 1) * plan.unit_months)
            final = (
                plan.pace.kind != "count" and _month_end(year, (i + 1) * plan.unit_months + plan.lag) <= as_of
            )
            rows.append((plan.rule.rule_id, i, min(end, as_of), final, _label(plan, i)))
    return pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.String,
            "unit": pl.Int64,
            "cutoff": pl.Date,
            "final": pl.Boolean,
            "label": pl.String,
        },
        orient="row",
    )


def _measured_up_to(
    store: Store, assessment: Assessment, plans: list[_Plan], units: pl.DataFrame
) -> pl.DataFrame:
    """Each paced rule's measure at each of its cut-offs, for every org: one :func:`evaluate` per distinct
    cut-off (at most 12), all collected together."""
    by_rule = {p.rule.rule_id: p.rule for p in plans}
    frames = []
    for (cutoff,), part in units.group_by("cutoff", maintain_order=True):
        rule_ids = part["rule_id"].to_list()
        sub = assessment.ruleset.model_copy(update={"rules": {rid: by_rule[rid] for rid in rule_ids}})
        ev = evaluate(_UpTo(store, sub, assessment.year, assessment.as_of, until=cutoff))
        frames += [
            ev.frames[rid].select(
                ORG,
                "status",
                "measured",
                pl.col("measured_value").alias("value"),
                "required_value",
                pl.lit(rid).alias("rule_id"),
                pl.lit(cutoff, pl.Date).alias("cutoff"),
            )
            for rid in rule_ids
        ]
    return pl.concat(pl.collect_all(frames))


def _meta(plans: list[_Plan]) -> pl.DataFrame:
    """Per rule × org type: the pace kind, periods in the year and periods required (``periods`` kind)."""
    rows = []
    for p in plans:
        periods = p.rule.threshold_map("periods") if p.pace.kind == "periods" else {}
        for org_type in p.rule.applies_to:
            rows.append(
                (
                    p.rule.rule_id, org_type, p.order, p.rule.title_zh, p.pace.kind, p.n_units,
                    periods.get(org_type), p.unit_word, PERIOD_ZH[p.unit_months], p.lag,
                )
            )  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.String, "org_type": pl.String, "_order": pl.Int64, "title": pl.String,
            "kind": pl.String, "n_units": pl.Int64, "units_required": pl.Float64, "unit_word": pl.String,
            "period_word": pl.String, "lag": pl.Int64,
        },
        orient="row",
    )  # fmt: skip


def pace(store: Store, assessment: Assessment) -> pl.DataFrame:
    """Year-to-date pace of every org on every paced rule that applies to it (colours: module docstring).

    Parameters
    ----------
    store
        The store the assessment was made from (the measures are re-run on it up to each cut-off).
    assessment
        An :class:`Assessment` whose ``as_of`` lies inside its year; its ruleset says which rules are
        paced and its ``scores`` give the orgs.

    Returns
    -------
    pl.DataFrame
        ``org_id, name, org_type, rule_id, title, done, required, remaining, rate_needed, colour,
        colour_zh, note`` — sorted by org and rubric order.  ``done`` counts rows (or months met) dated
        1 January to the as-of date; ``required`` is the year's requirement; ``colour`` is
        green/amber/red/grey and ``note`` a Chinese sentence saying why.

    Raises
    ------
    AssessError
        The as-of date is outside the assessment year.
    """
    year, as_of = assessment.year, assessment.as_of
    if not date(year, 1, 1) <= as_of <= date(year, 12, 31):
        raise AssessError(f"进度预警需要 {year} 年内的截止日期，收到 {as_of}")
    plans = _plans(assessment.ruleset)
    if not plans:
        return pl.DataFrame(schema=PACE_SCHEMA)
    units = _units(plans, year, as_of)
    measured = _measured_up_to(store, assessment, plans, units)
    per_rule = _progress(measured, units)
    elapsed = _elapsed_months(as_of)
    left = 12.0 - elapsed
    when = f"{as_of.month}月{as_of.day}日"
    frame = _rows(assessment.scores, per_rule, plans, elapsed, left)
    return _coloured(frame, when, left)


def _progress(measured: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Per org × rule: the measure at the as-of date, and the periods met, lost for good and their names.

    A period's step is what its cut-off added to the one before; it is met when the step is positive and
    lost when it is over for good (``final``) without one.
    """
    value = pl.col("value")
    step = value - value.shift(1).over(ORG, "rule_id").fill_null(0.0)
    lost = pl.col("final") & (pl.col("step") <= 0)
    return (
        measured.join(units, on=["rule_id", "cutoff"])
        .sort(ORG, "rule_id", "unit")
        .with_columns(step=step)
        .group_by(ORG, "rule_id")
        .agg(
            pl.col("status", "measured", "value", "required_value").last(),  # at the as-of date
            met=(pl.col("step") > 0).sum(),
            missed=lost.sum(),
            missed_labels=pl.col("label").filter(lost).str.join("、"),
        )
    )


def _rows(
    scores: pl.DataFrame, per_rule: pl.DataFrame, plans: list[_Plan], elapsed: float, left: float
) -> pl.DataFrame:
    """One row per org × paced rule that applies to it: what remains, the share of the year that should
    be done (after any grace), the periods that can still be missed (``spare``) and the monthly rate."""
    kind, done, req = pl.col("kind"), pl.col("value"), pl.col("required_value")
    return (
        scores.select(ORG, "name", "org_type")
        .join(per_rule, on=ORG)
        .join(_meta(plans), on=["rule_id", "org_type"])
        .filter(pl.col("status") != "not_applicable")
        .with_columns(
            units_req=pl.when(kind == "months").then(req).otherwise(pl.col("units_required")),
            remaining=(req - done).clip(lower_bound=0.0),
            share=(pl.lit(elapsed) - pl.col("lag")).clip(lower_bound=0.0) / 12.0,
        )
        .with_columns(
            spare=pl.col("n_units") - pl.col("units_req") - pl.col("missed"),
            rate=pl.col("remaining") / left if left > 0 else pl.when(pl.col("remaining") <= 0).then(0.0),
        )
    )


def _coloured(frame: pl.DataFrame, when: str, left: float) -> pl.DataFrame:
    """Each row's colour (module docstring) and note, the numbers of grey rows left empty: the frame of
    :func:`pace`, by org and rubric order."""
    kind, done, req = pl.col("kind"), pl.col("value"), pl.col("required_value")
    periodic, share = kind != "count", pl.col("share")
    red = (periodic & (pl.col("spare") < -EPS)) | ((pl.col("remaining") > 0) & (left <= 0))
    green = (done >= req * share - EPS) & (~periodic | (pl.col("met") >= pl.col("units_req") * share - EPS))
    colour = (
        pl.when(pl.col("status") == "no_data")
        .then(pl.lit("grey"))
        .when(red)
        .then(pl.lit("red"))
        .when(green)
        .then(pl.lit("green"))
        .otherwise(pl.lit("amber"))
    )
    known = pl.col("colour") != "grey"
    return (
        frame.with_columns(colour=colour)
        .with_columns(note=_note(when, left))
        .with_columns(
            pl.when(known).then(pl.col(c)).cast(pl.Float64).alias(c)
            for c in ("value", "required_value", "remaining", "rate")
        )
        .sort(ORG, "_order")
        .select(
            ORG,
            "name",
            "org_type",
            "rule_id",
            "title",
            pl.col("value").alias("done"),
            pl.col("required_value").alias("required"),
            "remaining",
            pl.col("rate").round(2, mode="half_away_from_zero").alias("rate_needed"),
            "colour",
            pl.col("colour").replace_strict(COLOUR_ZH).alias("colour_zh"),
            "note",
        )
    )


def _note(when: str, left: float) -> pl.Expr:
    """The Chinese sentence of each row: what was done, what pace asks, and what it takes from here."""
    u, period = pl.col("unit_word"), pl.col("period_word")
    done, req, n = num(pl.col("value")), num(pl.col("required_value")), pl.col("n_units")
    kind = pl.col("kind")
    so_far = pl.format("截至{}已完成 {} {}，全年要求 {} {}", pl.lit(when), done, u, req, u)
    so_far_months = pl.format("截至{}已有 {} 个月达标，全年要求 {} 个月", pl.lit(when), done, req)
    head = pl.when(kind == "months").then(so_far_months).otherwise(so_far)
    reached = (pl.col("remaining") <= 0) & ((kind == "count") | (pl.col("met") >= pl.col("units_req") - EPS))
    green = head + pl.when(reached).then(pl.lit("，已达到全年要求")).otherwise(pl.lit("，进度正常"))
    red_periods = pl.format(
        "{}未达标，错过的时段不能补做；全年最多 {}/{} 个{}达标，达不到要求的 {} 个{}",
        pl.col("missed_labels"),
        n - pl.col("missed"),
        n,
        period,
        num(pl.col("units_req")),
        period,
    )
    red_count = pl.format("已到年底，完成 {}/{} {}，未达到要求", done, req, u)
    expected = num(pl.col("required_value") * pl.col("share"))
    behind = pl.format(
        "截至{}已完成 {} {}，按进度应完成 {} {}；其余 {} 个月还需 {} {}（平均每月 {} {}）",
        pl.lit(when), done, u, expected, u, num(pl.lit(left)), num(pl.col("remaining")), u,
        num(pl.col("rate")), u,
    )  # fmt: skip
    last_chance = (
        pl.when(pl.col("spare") <= EPS)
        .then(pl.format("，此后每个{}都不能错过", period))
        .otherwise(pl.format("，此后最多还能错过 {} 个{}", num(pl.col("spare")), period))
    )
    behind_periods = behind + pl.format("；已达标 {}/{} 个{}", pl.col("met"), n, period) + last_chance
    behind_months = (
        pl.format("截至{}已有 {} 个月达标，按进度应有 {} 个月", pl.lit(when), done, expected) + last_chance
    )
    return (
        pl.when(pl.col("colour") == "grey")
        .then(pl.col("measured") + pl.lit("，无法判断进度"))
        .when((pl.col("colour") == "red") & (kind != "count") & (pl.col("spare") < -EPS))
        .then(red_periods)
        .when(pl.col("colour") == "red")
        .then(red_count)
        .when(pl.col("colour") == "green")
        .then(green)
        .when(kind == "months")
        .then(behind_months)
        .when(kind == "periods")
        .then(behind_periods)
        .otherwise(behind)
    )


def pace_table(df: pl.DataFrame) -> pl.DataFrame:
    """The pace.csv layout: Chinese org types and colours, numbers as written, the note."""
    return df.select(
        ORG,
        "name",
        pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
        "rule_id",
        "title",
        *(num(pl.col(c)).alias(c) for c in ("done", "required", "remaining", "rate_needed")),
        pl.col("colour_zh").alias("colour"),
        "note",
    )
