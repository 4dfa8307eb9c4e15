"""The 报送完整性 heat map of the 数据质量 report: one row per organisation that did not send every monthly
table every month (least complete first, as many as the size holds), one column per month, coloured by
what the org sent that month (全部报送 / 部分报送 / 未报送) — "did not send it" told apart from "did not do
it".  Input: the frames of :func:`analysis.views.submission_completeness`."""

from __future__ import annotations

import altair as alt
import polars as pl

from analysis.charts.builders import _rows
from analysis.charts.common import _data, finish, org_labels, zh_scale
from analysis.charts.layout import Frame, widest
from analysis.charts.style import DEFAULT_SIZE, Size, get_size
from analysis.vocab import COMPLETENESS_STATE_ZH

#: full, partial, none: green, amber, red
COMPLETENESS_COLORS = {"full": "#2e7d32", "partial": "#f9a825", "none": "#c62828"}


def completeness_heatmap(
    per_org: pl.DataFrame, months: pl.DataFrame, *, size: str | Size = DEFAULT_SIZE, note: str | None = None
) -> alt.Chart:
    """Orgs under 100% × months, coloured by the month's state (see the module docstring)."""
    s = get_size(size)
    short = org_labels(per_org.filter(pl.col("completeness") < 1).select("org_id", "name"))
    total = short.height
    frame = Frame(s, legend_top=True, x_title=False, y_labels=widest(short["_label"], s.label), note=True)
    keep, font, frame = _rows(frame, short["_label"].to_list(), max(total, 1))
    shown = short.head(keep)
    df = (
        months.join(shown.select("org_id", "_label"), on="org_id", how="inner")
        .with_columns(month_zh=pl.format("{}月", pl.col("month")))
        .select("_label", "month_zh", "state")
    )
    order = [f"{m}月" for m in sorted(set(months["month"].to_list()))]
    chart = (
        alt.Chart(_data(df))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("month_zh:N", sort=order, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("_label:N", sort=shown["_label"].to_list(), title=None, axis=alt.Axis(labelFontSize=font)),
            color=alt.Color("state:N", title="当月报送", scale=zh_scale(COMPLETENESS_STATE_ZH, COMPLETENESS_COLORS)),
        )
    )
    which = f"报送不完整的 {total} 个组织" + (f"中最不完整的 {shown.height} 个" if shown.height < total else "")
    return finish(chart, s, note, ("各组织逐月报送情况", f"{which}：活动记录、党员学习、党费三张表当月是否有记录"))
