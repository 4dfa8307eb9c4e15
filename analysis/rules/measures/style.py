"""三 作风和廉政建设 [seed 三]: the measure of the integrity pledges signed with mid-level cadres.

Its discipline education (党纪教育) is counted by ``counts.count_in_year``; its qualitative clauses are
inspection items (``manual.py``).
"""

from __future__ import annotations

import polars as pl

from analysis.rules.common import (
    EPS,
    ORG,
    _evidence,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Measured, Pace, measure


@measure(
    "style.integrity_pledges",
    tables=("activities", "orgs"),
    columns=(("activities", "signed_count"), ("orgs", "mid_cadres")),
    thresholds=("share",),
    pace=Pace("count", unit="人"),
)
def integrity_pledges(ctx: Context, rule: Rule) -> Measured:
    """廉洁自律责任状 [seed 三(3) 与中层以上党员干部签订]: ``signed_count`` summed over the year's pledge rows
    against ``share`` × the registry's ``mid_cadres``.  No mid-level cadres = nothing to sign (pass);
    an empty ``mid_cadres`` is that org's missing value (fail)."""
    rows = ctx.rows(["integrity_pledge"], ctx.y0, ctx.y1)
    agg = rows.group_by(ORG).agg(signed=pl.col("signed_count").fill_null(0).sum(), n=pl.len())
    lf = ctx.with_orgs(agg, zeros=["signed", "n"], cols=["mid_cadres"]).with_columns(
        need=pl.col("mid_cadres") * ctx.threshold(rule, "share")
    )
    signed, mid, need = pl.col("signed"), pl.col("mid_cadres"), pl.col("need")
    ok = (signed >= need - EPS).fill_null(False)
    measured = (
        pl.when(mid.is_null())
        .then(pl.format("中层以上党员干部人数未填；签订 {} 人", signed))
        .otherwise(pl.format("签订 {} 人，中层以上党员干部 {} 人", signed, mid))
    )
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=signed,
        required_value=need,
        ratio=pl.when(mid.is_null()).then(0.0).otherwise(ratio(signed, need)),
        measured=measured,
        required=ctx.text_by_type(
            rule,
            lambda t: "与全部中层以上党员干部签订"
            if t["share"] >= 1
            else f"签订人数 ≥ 中层以上党员干部的 {num_text(t['share'] * 100)}%",
        ),
        evidence_rows=pl.col("n") + 1,
    )
    return Measured(frame, pl.concat([_evidence(rows, "activities"), ctx.registry_evidence()]))
