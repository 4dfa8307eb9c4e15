"""The 自评核查 chart: each organisation's claimed score (自评总分) against the score computed from the
evidence (核定总分), one dot per organisation, the diagonal where the two agree and the band of the
spot-check threshold above it; orgs on the spot-check list coloured by why.  Input: the ``claims`` and
``spotcheck`` frames of :func:`analysis.decisions.selfcheck.assess_self_scores`."""

from __future__ import annotations

import altair as alt
import polars as pl

from analysis.charts.common import _data, finish
from analysis.charts.style import DEFAULT_SIZE, NEUTRAL, PRIMARY, Size, get_size
from analysis.vocab import SPOT_REASON_ZH

#: the colour of each kind of dot, by its legend word
_KINDS = {"inflated": PRIMARY, "grade": "#ef6c00", "random": "#1565c0", "rest": NEUTRAL}
_REST = "未列入抽查"


def _kind(reason: str | None) -> str:
    if not reason:
        return _REST
    for key in ("inflated", "grade"):
        if SPOT_REASON_ZH[key] in reason:
            return SPOT_REASON_ZH[key]
    return SPOT_REASON_ZH["random"].split("（")[0]


def claims_scatter(
    claims: pl.DataFrame, spot: pl.DataFrame, overclaim_points: float = 5.0, *, size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.Chart:
    """Claimed vs computed score per org (see the module docstring)."""
    s = get_size(size)
    df = claims.join(spot.select("org_id", "reason"), on="org_id", how="left").with_columns(
        kind=pl.col("reason").map_elements(_kind, return_dtype=pl.String, skip_nulls=False)
    )
    low = float(min(df["computed_score"].min() or 0.0, df["claimed_score"].min() or 0.0))
    low = max(0.0, (low // 10) * 10)
    words = [SPOT_REASON_ZH["inflated"], SPOT_REASON_ZH["grade"], SPOT_REASON_ZH["random"].split("（")[0], _REST]
    axis = alt.Scale(domain=[low, 100], nice=False)
    line = pl.DataFrame({"x": [low, 100.0], "y": [low, 100.0], "y5": [low + overclaim_points, 100.0 + overclaim_points]})
    diagonal = alt.Chart(_data(line)).mark_line(color=NEUTRAL, strokeDash=[4, 4]).encode(
        x=alt.X("x:Q", scale=axis), y=alt.Y("y:Q", scale=axis)
    )
    band = alt.Chart(_data(line)).mark_line(color=PRIMARY, strokeDash=[2, 3], clip=True).encode(
        x=alt.X("x:Q", scale=axis), y=alt.Y("y5:Q", scale=axis)
    )
    dots = (
        alt.Chart(_data(df.select("name", "claimed_score", "computed_score", "gap", "kind")))
        .mark_circle(size=60, opacity=0.85)
        .encode(
            x=alt.X("computed_score:Q", title="核定总分（按台账计算）", scale=axis),
            y=alt.Y("claimed_score:Q", title="自评总分", scale=axis),
            color=alt.Color("kind:N", title="抽查", scale=alt.Scale(domain=words, range=list(_KINDS.values()))),
            tooltip=[alt.Tooltip("name:N", title="组织"), alt.Tooltip("claimed_score:Q", title="自评"),
                     alt.Tooltip("computed_score:Q", title="核定"), alt.Tooltip("gap:Q", title="差额")],
        )
    )
    over = int((df["gap"] > 0).sum())
    subtitle = f"{df.height} 个组织；{over} 个自评高于核定（虚线：两者相等；红色点线：高出 {overclaim_points:g} 分）"
    return finish(alt.layer(diagonal, band, dots), s, note, ("自评总分与核定总分", subtitle))
