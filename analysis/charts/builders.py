"""The chart builders: polars frames in the shapes of ``docs/CONTRACTS.md`` go in, an ``alt.Chart``
(or layer/concat) comes out, with Chinese titles, axes and legends.

Every builder is a pure function.  Builders compute nothing the assessment has not already computed;
they only reshape for drawing (join a name, count rows per status, take the top *n*).

Every builder takes ``size`` (``"slide"``: 16:9, ``"a4"``: A4 portrait; see
:data:`analysis.charts.style.SIZES`) and ``note`` (the source line under the chart, see
:func:`analysis.charts.labels.source_note`).  Labels are laid out in Python where they could collide:
label columns as wide as their longest label, room kept beyond the bars for the numbers, and no more
rows than the size holds at a readable type size (the subtitle then says how many are shown).  On a
page (``a4``) a chart of rows is as tall as its rows and any other chart 4:3 (``Size.figure``); a
slide is always its 16:9 frame.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace

import altair as alt
import polars as pl

from analysis.charts.common import (
    _data,
    count_axis,
    finish,
    int_ticks,
    label_lines,
    lines_width,
    org_labels,
    resizable,
    wrapped_y_axis,
    zh_scale,
)
from analysis.charts.labels import LABELS
from analysis.charts.layout import (
    Frame,
    data_room,
    line_height,
    row_label_size,
    rows_that_fit,
    text_width,
    widest,
    wrap,
)
from analysis.charts.peers import selection_robustness, sibling_comparison, term_trend, trend_lines
from analysis.charts.style import DEFAULT_SIZE, GRADE_COLORS, NEUTRAL, STATUS_COLORS, Size, get_size
from analysis.vocab import STATUS_ZH

__all__ = [
    "_data",
    "category_bars",
    "count_bars",
    "ranking_bars",
    "score_histogram",
    "selection_robustness",
    "sibling_comparison",
    "status_heatmap",
    "term_trend",
    "trend_lines",
    "yoy_change",
]

_DIRECTION = {"up": "上升", "down": "下降", "flat": "持平"}
_DIRECTION_COLORS = {"上升": "#2e7d32", "下降": "#c62828", "持平": NEUTRAL}
_BAR_PITCH = 2.2  #: a bar's row, in label heights, where the chart's height follows its rows
_LABEL_SHARE = 0.42  #: of the chart's width, at most, for a column of row labels before they wrap


def _grade_color() -> alt.Color:
    return alt.Color(
        "grade:N",
        title=LABELS["grade"],
        scale=alt.Scale(domain=list(GRADE_COLORS), range=list(GRADE_COLORS.values())),
    )


def _rows(frame: Frame, labels: list[str], wanted: int) -> tuple[int, int, Frame]:
    """How many of ``wanted`` rows fit, their label size, and ``frame`` with its label column
    measured at that size (the widest of ``labels``, which are in display order)."""
    keep = rows_that_fit(frame, wanted)
    font = row_label_size(frame, keep)
    return keep, font, replace(frame, y_labels=widest(labels[:keep] if keep else labels, font))


def _rows_height(frame: Frame, rows: int, font: float, lines: int = 1) -> float | None:
    """The height of a chart of ``rows`` rows (labels of up to ``lines`` lines) on a page (``a4``): its
    furniture and the rows, up to the page — four bars are not a page of bars; None on a slide,
    which keeps its 16:9 frame."""
    s = frame.size
    if s.fixed_height:
        return None
    _, plot_height = frame.plot()
    pitch = max(_BAR_PITCH * font, lines * line_height(font) + font)
    return min(s.height, s.height - plot_height + rows * pitch)


# --------------------------------------------------------------------------------------------
# Builders.
# --------------------------------------------------------------------------------------------
@resizable
def score_histogram(
    scores: pl.DataFrame, bin_width: float = 5.0, *, size: str | Size = DEFAULT_SIZE, note: str | None = None
) -> alt.Chart:
    """How many organisations scored in each band of ``bin_width`` points, stacked by grade."""
    s = get_size(size).figure()
    df = scores.select("score", "grade").drop_nulls("score")
    low = min(60.0, (df["score"].min() or 0.0) // bin_width * bin_width)  # a band above the bar of 合格
    last_bin = max(math.ceil((100 - low) / bin_width) - 1, 0)
    tallest = (
        df.group_by(((pl.col("score") - low) // bin_width).clip(upper_bound=last_bin)).len()["len"].max() or 1
    )
    ticks = int_ticks(0, tallest)
    top = ticks[-1] if ticks[-1] >= tallest else ticks[-1] + (ticks[1] - ticks[0] if len(ticks) > 1 else 1)
    chart = (
        alt.Chart(_data(df))
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(step=bin_width, extent=[low, 100]), title=LABELS["score"]),
            y=alt.Y(
                "count():Q",
                title=LABELS["count"],
                scale=alt.Scale(domain=[0, top], nice=False),
                axis=count_axis(0, top),
            ),
            color=_grade_color(),
            order=alt.Order("grade:N"),
        )
    )
    return finish(chart, s, note, ("考核得分分布", f"共 {df.height} 个组织，每 {bin_width:g} 分一档"))


@resizable
def ranking_bars(
    scores: pl.DataFrame,
    n: int | None = 30,
    worst: bool = False,
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """Organisations ordered by score, as labelled horizontal bars coloured by grade.

    ``n`` keeps the first *n* (or, with ``worst``, the last *n*); ``None`` keeps all — in both cases
    no more than the size holds.  On a page (``a4``) the chart is as tall as its rows need, up to
    the page; a slide keeps its 16:9 frame.
    """
    s = get_size(size)
    df = org_labels(scores.drop_nulls("score")).sort(["score", "org_id"], descending=[True, False])
    total = df.height
    wanted = total if n is None else min(n, total)
    labels = df["_label"].to_list()
    frame = Frame(s, legend_top=True, note=True)
    keep, font, frame = _rows(frame, labels[::-1] if worst else labels, wanted)
    df = df.tail(keep) if worst else df.head(keep)
    if keep < total:
        subtitle = f"{'后' if worst else '前'} {keep} 名，共 {total} 个组织"
    else:
        subtitle = f"共 {total} 个组织"
    plot_width, _ = frame.plot()
    text_size = min(s.text, font)
    room = data_room(text_width("100.0", text_size) + 8, plot_width, 100)
    base = alt.Chart(_data(df.select("_label", "score", "grade"))).encode(
        y=alt.Y("_label:N", sort=df["_label"].to_list(), title=None, axis=alt.Axis(labelFontSize=font)),
        x=alt.X(
            "score:Q",
            title=LABELS["score"],
            scale=alt.Scale(domain=[0, 100 + room], nice=False),
            axis=alt.Axis(values=list(range(0, 101, 10))),
        ),
    )
    bars = base.mark_bar().encode(color=_grade_color())
    text = base.mark_text(align="left", dx=4, fontSize=text_size).encode(
        text=alt.Text("score:Q", format=".1f")
    )
    return finish(alt.layer(bars, text), s, note, ("考核得分排名", subtitle), _rows_height(frame, keep, font))


@resizable
def status_heatmap(
    rules: pl.DataFrame,
    scores: pl.DataFrame,
    titles: Mapping[str, str] | None = None,
    max_orgs: int | None = None,
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.Chart:
    """One row per organisation (best score on top), one column per rubric item, coloured by status.

    ``titles`` (``{rule_id: title_zh}``, see :func:`rule_titles`) names and orders the columns; the
    names are broken into lines as narrow as their column, over the grid.  ``max_orgs`` keeps only
    the lowest-scoring organisations — where the failures are — and so does the size when it holds
    fewer rows.  On a page (``a4``) the chart is as tall as its rows need, up to the page.
    """
    s = get_size(size)
    orgs = org_labels(scores.select("org_id", "name", "score")).sort(
        ["score", "org_id"], descending=[True, False], nulls_last=True
    )
    total = orgs.height
    titles = dict(titles or {})
    rule_ids = [r for r in titles if r in set(rules["rule_id"])] + sorted(set(rules["rule_id"]) - set(titles))
    column_order = [titles.get(r, r) for r in rule_ids]
    head_font = s.label - 3
    frame = Frame(s, legend_top=True, x_axis=False, y_labels=widest(orgs["_label"], s.label), note=True)
    column = frame.plot()[0] / max(len(column_order), 1)
    heads = {t: wrap(t, column - 4, head_font, balance=True) for t in column_order}
    n_lines = max((len(v) for v in heads.values()), default=1)
    frame = replace(frame, header=n_lines * line_height(head_font) + s.axis_title + 16)
    wanted = total if max_orgs is None else min(max_orgs, total)
    keep, font, frame = _rows(frame, orgs["_label"].to_list()[::-1], wanted)
    orgs = orgs.tail(keep)
    which = f"得分最低的 {orgs.height} 个组织（共 {total} 个）" if orgs.height < total else f"{total} 个组织"
    df = (
        rules.select("org_id", "rule_id", "status")
        .join(orgs.select("org_id", "_label"), on="org_id", how="inner")
        .with_columns(
            rule=pl.col("rule_id").replace(titles),
            status_zh=pl.col("status").replace(STATUS_ZH),
        )
    )
    table = f"{json.dumps(heads, ensure_ascii=False)}[datum.value]"
    # Vega sets a label's first line on the axis and the others below it: lift each label by its
    # extra lines so that its last line ends just over the grid.
    lift = alt.ExprRef(f"4 + (length({table}) - 1) * {line_height(head_font):g}")
    x_axis = alt.Axis(
        orient="top",
        labelAngle=0,
        labelFontSize=head_font,
        labelExpr=table,
        labelBaseline="bottom",
        labelPadding=lift,
    )
    chart = (
        alt.Chart(_data(df.select("_label", "rule", "status_zh")))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("rule:N", sort=column_order, title=LABELS["rule"], axis=x_axis),
            y=alt.Y("_label:N", sort=orgs["_label"].to_list(), title=None, axis=alt.Axis(labelFontSize=font)),
            color=alt.Color("status_zh:N", title=LABELS["status"], scale=zh_scale(STATUS_ZH, STATUS_COLORS)),
        )
    )
    subtitle = f"{which} × {len(rule_ids)} 个考核项，按得分从高到低"
    return finish(chart, s, note, ("各组织考核项达标情况", subtitle), _rows_height(frame, keep, font))


@resizable
def category_bars(
    rules: pl.DataFrame, *, size: str | Size = DEFAULT_SIZE, note: str | None = None
) -> alt.Chart:
    """For each rubric category, the share of (organisation, item) pairs in each status."""
    s = get_size(size)
    df = (
        rules.group_by("category", "status")
        .agg(rows=pl.len())
        .with_columns(status_zh=pl.col("status").replace(STATUS_ZH))
    )
    categories = rules["category"].unique(maintain_order=True).to_list()
    status_order = [STATUS_ZH[st] for st in STATUS_COLORS]
    chart = (
        alt.Chart(_data(df.select("category", "status_zh", "rows")))
        .mark_bar()
        .transform_calculate(status_rank=f"indexof({status_order!r}, datum.status_zh)")
        .encode(
            y=alt.Y("category:N", sort=categories, title=LABELS["category"]),
            x=alt.X("sum(rows):Q", stack="normalize", title="占比", axis=alt.Axis(format="%", tickCount=10)),
            color=alt.Color("status_zh:N", title=LABELS["status"], scale=zh_scale(STATUS_ZH, STATUS_COLORS)),
            order=alt.Order("status_rank:Q"),
        )
    )
    frame = Frame(s, legend_top=True, y_labels=widest(categories, s.label), y_title=True, note=True)
    height = _rows_height(frame, len(categories), s.label)
    return finish(chart, s, note, ("各类别考核项达标情况", "每个组织的每个考核项计一次"), height)


@resizable
def yoy_change(
    current: pl.DataFrame,
    previous: pl.DataFrame,
    years: tuple[int, int] | None = None,
    n: int | None = 40,
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """Score change of each organisation present in both years, largest changes first.

    ``years`` is ``(previous_year, current_year)`` for the title; ``n`` keeps the *n* largest
    absolute changes (``None`` keeps all), no more than the size holds.  The change is written
    beyond the end of each bar, in room kept for it on both sides of the axis.
    """
    s = get_size(size)
    df = org_labels(
        current.select("org_id", "name", "score")
        .join(previous.select("org_id", previous_score="score"), on="org_id", how="inner")
        .drop_nulls(["score", "previous_score"])
        .with_columns(change=(pl.col("score") - pl.col("previous_score")).round(1))
    )
    total = df.height
    df = df.sort([pl.col("change").abs(), "org_id"], descending=[True, False])
    labels = df["_label"].to_list()
    frame = Frame(s, legend_top=True, note=True)
    keep, font, frame = _rows(frame, labels, total if n is None else min(n, total))
    df = (
        df.head(keep)
        .sort(["change", "org_id"], descending=[True, False])
        .with_columns(
            direction=pl.when(pl.col("change") > 0)
            .then(pl.lit(_DIRECTION["up"]))
            .when(pl.col("change") < 0)
            .then(pl.lit(_DIRECTION["down"]))
            .otherwise(pl.lit(_DIRECTION["flat"]))
        )
    )
    span = f"{years[0]}→{years[1]}年" if years else "与上年相比"
    subtitle = f"两年均参评的 {total} 个组织" + (f"中变化最大的 {df.height} 个" if df.height < total else "")
    low = min(0.0, df["change"].min() or 0.0)
    high = max(0.0, df["change"].max() or 0.0)
    plot_width, _ = frame.plot()
    text_size = min(s.text, font)
    value_px = text_width("−100.0", text_size) + 8
    left = value_px if low < 0 else 0.0
    right = value_px  # a gain, or the "+0.0" of no change
    unit = (high - low or 1.0) / max(plot_width - left - right, 1.0)
    domain = [low - left * unit, high + right * unit]
    base = alt.Chart(_data(df.select("_label", "change", "direction"))).encode(
        y=alt.Y("_label:N", sort=df["_label"].to_list(), title=None, axis=alt.Axis(labelFontSize=font)),
        x=alt.X("change:Q", title=f"{LABELS['change']}（分）", scale=alt.Scale(domain=domain, nice=False)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "direction:N",
            title="变化",
            scale=alt.Scale(domain=list(_DIRECTION_COLORS), range=list(_DIRECTION_COLORS.values())),
        )
    )
    label = alt.Text("change:Q", format="+.1f")
    gains = (
        base.transform_filter("datum.change >= 0")
        .mark_text(align="left", dx=4, fontSize=text_size)
        .encode(text=label)
    )
    losses = (
        base.transform_filter("datum.change < 0")
        .mark_text(align="right", dx=-4, fontSize=text_size)
        .encode(text=label)
    )
    heading = (f"得分同比变化（{span}）", subtitle)
    return finish(alt.layer(bars, gains, losses), s, note, heading, _rows_height(frame, keep, font))


@resizable
def count_bars(
    df: pl.DataFrame,
    label: str,
    count: str = "rows",
    title: str = "",
    subtitle: str | None = None,
    n: int | None = 20,
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """Labelled horizontal bars of ``count`` per ``label``, largest first (the first ``n``, no more
    than the size holds).  The count axis is titled after ``count`` (``rows`` 行数, ``orgs``
    组织数) and has whole-number ticks; a label wider than 42% of the chart is broken into lines."""
    s = get_size(size)
    data = df.select(
        pl.col(label).cast(pl.String).fill_null("（空）").alias("_label"), pl.col(count).alias("_n")
    )
    data = data.sort(["_n", "_label"], descending=[True, False])
    total = data.height
    frame = Frame(s, subtitle=bool(subtitle) or (n is not None and total > n), note=True)
    keep, font, frame = _rows(frame, data["_label"].to_list(), total if n is None else min(n, total))
    if keep < total:
        data = data.head(keep)
        subtitle = f"{subtitle + '；' if subtitle else ''}前 {keep} 项，共 {total} 项"
    _, plot_height = frame.plot()
    lines_allowed = max(1, int(plot_height / max(keep, 1) // line_height(font)))
    max_label = _LABEL_SHARE * (s.width - 2 * s.padding)
    lines = label_lines(data["_label"].to_list(), max_label, font, lines_allowed)
    frame = replace(frame, y_labels=lines_width(lines, font))
    plot_width, _ = frame.plot()
    text_size = min(s.text, font)
    top = int(data["_n"].max() or 0)
    room = data_room(text_width(str(top), text_size) + 8, plot_width, max(top, 1))
    base = alt.Chart(_data(data)).encode(
        y=alt.Y("_label:N", sort=data["_label"].to_list(), title=None, axis=wrapped_y_axis(lines, font)),
        x=alt.X(
            "_n:Q",
            title=LABELS.get(count, count),
            scale=alt.Scale(domain=[0, max(top, 1) + room], nice=False),
            axis=count_axis(0, max(top, 1)),
        ),
    )
    layers = alt.layer(
        base.mark_bar(), base.mark_text(align="left", dx=4, fontSize=text_size).encode(text="_n:Q")
    )
    height = _rows_height(frame, keep, font, max((len(v) for v in lines.values()), default=1))
    return finish(layers, s, note, (title, subtitle), height)
