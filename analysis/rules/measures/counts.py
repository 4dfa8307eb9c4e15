"""The two counting measures that serve clauses of every duty area: meetings held through the year's
periods (:func:`periodic_count`) and activity rows counted in the year (:func:`count_in_year`).

They serve the meeting clauses of (一) and (二) and every counted clause of (三) to (五) (党纪教育, 信息报送,
结对共建, 听取工青妇汇报), so (四) 上级党委部署的工作 (``duty.*``) and (五) 党建“带三建” (``mass.*``) need no
module of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from analysis import vocab
from analysis.rules.common import (
    ORG,
    PERIOD_ZH,
    _evidence,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Broken, Measured, Pace, ParamSpec, measure

#: an unrecorded meeting fails a rule that requires every meeting recorded, whatever comes later
_UNRECORDED = Broken("unrecorded", "require_recorded", "unrecorded")


def _kinds_zh(kinds: Iterable[str]) -> str:
    return "、".join(vocab.ACTIVITY_KIND_ZH[k] for k in kinds)


@measure(
    "org.committee_meetings",
    "org.leadership_review",
    "org.member_congress",
    "edu.group_meetings",
    "edu.themed_party_day",
    tables=("activities",),
    thresholds=("count", "periods"),
    params={
        "kinds": ParamSpec("kinds"),
        "period_months": ParamSpec("months"),
        "require_recorded": ParamSpec("bool", False),
    },
    deductions=("unrecorded",),
    pace=Pace("periods", period_param="period_months", broken=(_UNRECORDED,), absent="absent"),
)
def periodic_count(ctx: Context, rule: Rule) -> Measured:
    """Meetings held through the year [seed 一(5) 每两个月一次、不少于5次; 一(6) 每半年专题研究一次;
    national-2019: 支委会、党小组会、主题党日每月, 党员大会每季度].

    Counts rows of ``kinds`` in the year and the periods of ``period_months`` (Jan–Feb, Mar–Apr … for 2;
    halves for 6) holding at least one.  Passes with ≥ ``count`` rows covering ≥ ``periods`` periods (and,
    when ``require_recorded``, none unrecorded).  The ratio is the smaller of the two shares, i.e. the
    rubric's "n = the smaller of the meeting count and the windows covered".
    """
    kinds, pm, need_rec = rule.params["kinds"], rule.params["period_months"], rule.params["require_recorded"]
    n_periods = 12 // pm
    rows = ctx.rows(kinds, ctx.y0, ctx.y1)
    agg = rows.group_by(ORG).agg(
        n=pl.len(),
        periods=((pl.col("date").dt.month() - 1) // pm).n_unique(),
        unrecorded=(~pl.col("recorded").fill_null(False)).sum(),
    )
    lf = ctx.with_orgs(agg, zeros=["n", "periods", "unrecorded"]).with_columns(
        c=ctx.threshold(rule, "count"), p=ctx.threshold(rule, "periods")
    )
    n, periods, unrec = pl.col("n"), pl.col("periods"), pl.col("unrecorded")
    ok = (n >= pl.col("c")) & (periods >= pl.col("p"))
    if need_rec:
        ok &= unrec == 0
    unit = PERIOD_ZH[pm]
    measured = pl.format("{} 次，覆盖 {}/{} 个{}", n, periods, pl.lit(n_periods), pl.lit(unit))
    required = ctx.text_by_type(
        rule,
        lambda t: f"≥ {num_text(t['count'])} 次，覆盖 ≥ {num_text(t['periods'])}/{n_periods} 个{unit}"
        + ("，每次均有记录" if need_rec else ""),
    )
    if need_rec:
        measured = measured + pl.format("，未记录 {} 次", unrec)
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=n,
        required_value=pl.col("c"),
        ratio=pl.min_horizontal(ratio(n, pl.col("c")), ratio(periods, pl.col("p"))),
        measured=measured,
        required=required,
        evidence_rows=n,
        unrecorded=unrec,
    )
    return Measured(frame, _evidence(rows, "activities"))


@measure(
    "edu.three_meetings_one_lesson",
    "edu.democratic_life_meeting",
    "edu.heart_talks",
    "style.discipline_education",
    "duty.info_submissions",
    "duty.joint_building",
    "mass.reports_heard",
    "edu.org_life_meeting",
    "edu.member_review",
    tables=("activities",),
    thresholds=("count",),
    params={
        "kinds": ParamSpec("kinds"),
        "require_recorded": ParamSpec("bool", False),
        "unit": ParamSpec("text", "次"),
    },
    deductions=("unrecorded",),
    pace=Pace("count", broken=(_UNRECORDED,)),
)
def count_in_year(ctx: Context, rule: Rule) -> Measured:
    """A count of activity rows of ``kinds`` in the year against a per-org-type threshold.

    Serves every "≥ n times a year" clause (三会一课, 民主生活会, 谈心谈话, 党纪教育, 信息报送, 结对共建,
    听取工青妇汇报; national-2019: 组织生活会, 民主评议党员).  With ``require_recorded`` every counted row must
    also be recorded (民主生活会记录详细).
    """
    kinds, need_rec, unit = rule.params["kinds"], rule.params["require_recorded"], rule.params["unit"]
    rows = ctx.rows(kinds, ctx.y0, ctx.y1)
    per_kind = (
        [(pl.col("kind") == k).sum().alias(f"k_{i}") for i, k in enumerate(kinds)] if len(kinds) > 1 else []
    )
    agg = rows.group_by(ORG).agg(
        *per_kind, n=pl.len(), unrecorded=(~pl.col("recorded").fill_null(False)).sum()
    )
    zero_cols = ["n", "unrecorded", *(f"k_{i}" for i in range(len(per_kind)))]
    lf = ctx.with_orgs(agg, zeros=zero_cols).with_columns(c=ctx.threshold(rule, "count"))
    n, unrec = pl.col("n"), pl.col("unrecorded")
    ok = n >= pl.col("c")
    if per_kind:
        parts = [
            pl.format(f"{vocab.ACTIVITY_KIND_ZH[k]} {{}} {unit}", pl.col(f"k_{i}"))
            for i, k in enumerate(kinds)
        ]
        measured = pl.concat_str(parts, separator="、") + pl.format("，共 {} {}", n, pl.lit(unit))
    else:
        measured = pl.format("{} {}", n, pl.lit(unit))
    required = ctx.text_by_type(
        rule,
        lambda t: f"{_kinds_zh(kinds)} ≥ {num_text(t['count'])} {unit}" + ("，均有记录" if need_rec else ""),
    )
    if need_rec:
        ok &= unrec == 0
        measured = measured + pl.format("，未记录 {} {}", unrec, pl.lit(unit))
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=n,
        required_value=pl.col("c"),
        ratio=ratio(n, pl.col("c")),
        measured=measured,
        required=required,
        evidence_rows=n,
        unrecorded=unrec,
    )
    return Measured(frame, _evidence(rows, "activities"))
