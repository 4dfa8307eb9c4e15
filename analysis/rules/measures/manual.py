"""The qualitative clauses scored by inspectors (督查评分): one measure for every ``manual.<name>``
item of a rubric, reading the inspection scores table.
"""

from __future__ import annotations

import polars as pl

from analysis.rules.common import (
    EPS,
    ORG,
    _evidence,
    num,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Measured, Pace, ParamSpec, measure


@measure(
    "manual.*",
    tables=("inspections",),
    params={"pass_share": ParamSpec("share")},
    methods=("inspection", "binary"),
    pace=Pace("none", why="inspection"),
)
def inspection(ctx: Context, rule: Rule) -> Measured:
    """A qualitative clause scored by inspectors: the score given for this item and year, clipped to
    the item's points.  Several scores for one org and item are averaged.  The item counts as met when
    the score reaches ``pass_share`` of its points; an org nobody scored has 0."""
    pts = rule.points
    rows = ctx.store.table("inspections").filter(
        (pl.col("year") == ctx.year) & (pl.col("item") == rule.rule_id)
    )
    agg = rows.group_by(ORG).agg(raw=pl.col("score").mean(), n=pl.len())
    lf = ctx.with_orgs(agg, zeros=["n"]).with_columns(score=pl.col("raw").fill_null(0.0).clip(0.0, pts))
    score = pl.col("score")
    frame = result(
        lf,
        status=passfail(score >= rule.params["pass_share"] * pts - EPS),
        measured_value=score,
        required_value=pl.lit(pts),
        ratio=ratio(score, pl.lit(pts)),
        measured=pl.when(pl.col("n") > 0)
        .then(pl.format("督查评分 {}", num(pl.col("raw"))))
        .otherwise(pl.lit("无督查评分")),
        required=pl.lit(f"督查评分（满分 {pts:g}，≥ {rule.params['pass_share'] * pts:g} 为达标）"),
        evidence_rows=pl.col("n"),
    )
    warnings = lf.filter(pl.col("raw") > pts).select(
        ORG,
        pl.lit(rule.rule_id).alias("rule_id"),
        pl.format(
            "督查评分 {} 超过该项分值 {}，按 {} 计",
            num(pl.col("raw")),
            pl.lit(f"{pts:g}"),
            pl.lit(f"{pts:g}"),
        ).alias("message"),
    )
    return Measured(frame, _evidence(rows, "inspections"), warnings)
