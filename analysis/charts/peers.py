"""The builders that set an organisation against others: its siblings (同级组织比较), the selection's
rank bands (先进评选稳健性), the years before (多年得分走势) and its term's years against the median of
its peers (任期内各年度得分).  Names are placed where they cannot
collide: one row per organisation with its name on the axis, or line ends spread apart in Python."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import altair as alt
import polars as pl

from analysis.charts.common import _data, count_axis, finish, meta, org_labels, resizable, title
from analysis.charts.labels import LABELS
from analysis.charts.layout import (
    Frame,
    data_room,
    dodge,
    line_height,
    row_label_size,
    rows_that_fit,
    text_width,
    widest,
)
from analysis.charts.style import DEFAULT_SIZE, HIGHLIGHT_COLORS, NEUTRAL, PRIMARY, Size, get_size

_FAR, _LISTED, _OTHER = "明显低于同级", "列入后进名单", "其他"
_PEER_COLORS = {_FAR: "#b71c1c", _LISTED: "#ef8a17", _OTHER: NEUTRAL}
_TOP_LEVEL = "（顶层组织）"


# --------------------------------------------------------------------------------------------
# 先进评选稳健性.
# --------------------------------------------------------------------------------------------
def _rank_window(df: pl.DataFrame, wanted: int, keep: int, cutoff: int | None) -> pl.DataFrame:
    """The first ``wanted`` rows, or — when only ``keep`` fit — the ``keep`` rows around the cut,
    where the choice is close."""
    if keep >= wanted or cutoff is None:
        return df.head(keep)
    ranks = df["rank"].to_list()
    at_cut = next((i for i, r in enumerate(ranks) if r > cutoff), len(ranks))
    start = max(0, min(at_cut - keep // 2, wanted - keep))
    return df.slice(start, keep)


@resizable
def selection_robustness(
    selection: pl.DataFrame, n: int | None = 40, *, size: str | Size = DEFAULT_SIZE, note: str | None = None
) -> alt.HConcatChart:
    """Probability of being selected and the 5%–95% rank interval over the resampling draws.

    ``selection`` is the frame of ``select_advanced``; rows are ordered by rank and the first
    ``n`` are kept — or, when the size holds fewer, as many as it holds around the cut.  A dashed
    line marks the last rank that is selected.
    """
    s = get_size(size)
    df = org_labels(selection).sort(["rank", "org_id"])
    cutoff = selection.filter(pl.col("selected"))["rank"].max()
    frame = Frame(s, legend_top=True, note=True)
    wanted = df.height if n is None else min(n, df.height)
    keep = rows_that_fit(frame, wanted)
    df = _rank_window(df, wanted, keep, cutoff)
    font = row_label_size(frame, keep)
    labels = widest(df["_label"], font)
    order = df["_label"].to_list()
    df = df.with_columns(selected_zh=pl.col("selected").replace_strict({True: "入选", False: "未入选"}))
    data = _data(df.select("_label", "rank", "rank_p05", "rank_p95", "p_selected", "selected_zh"))
    _, height = frame.plot()
    spacing = 24
    room = s.width - 2 * s.padding - labels - 12 - spacing - 16
    prob_width = round(room * 0.36)
    y = alt.Y("_label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=font))
    color = alt.Color(
        "selected_zh:N",
        title="评选结果",
        scale=alt.Scale(domain=["入选", "未入选"], range=[PRIMARY, NEUTRAL]),
    )
    prob = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "p_selected:Q",
                title=LABELS["p_selected"],
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=color,
        )
        .properties(width=prob_width, height=height)
    )
    interval = alt.Chart(data).encode(y=alt.Y("_label:N", sort=order, axis=None))
    low_rank = min(df["rank_p05"].min() or 1, df["rank"].min() or 1)
    high_rank = max(df["rank_p95"].max() or 1, df["rank"].max() or 1)
    ranks = alt.layer(
        interval.mark_rule(strokeWidth=3, color=NEUTRAL).encode(
            x=alt.X(
                "rank_p05:Q",
                title="排名区间（5%–95%）与实际排名",
                scale=alt.Scale(zero=False),
                axis=count_axis(low_rank, high_rank),
            ),
            x2="rank_p95:Q",
        ),
        interval.mark_point(filled=True, size=90).encode(x="rank:Q", color=color),
    )
    if cutoff is not None:
        cut = alt.Chart(alt.Data(values=[{"cutoff": cutoff + 0.5}])).mark_rule(
            strokeDash=[6, 4], color="#333"
        )
        ranks = alt.layer(ranks, cut.encode(x="cutoff:Q"))
    n_selected = int(selection["selected"].sum())
    shown = ""
    if df.height < selection.height:
        shown = f"；显示第 {df['rank'].min()}–{df['rank'].max()} 名（共 {selection.height} 个候选）"
    return alt.hconcat(
        prob, ranks.properties(width=room - prob_width, height=height), spacing=spacing
    ).properties(
        title=title(
            "先进评选稳健性：入选概率与排名区间",
            f"入选 {n_selected} 个；虚线为入选名次线，横线越短名次越稳定{shown}",
            size=s,
        ),
        usermeta=meta(s, note),
    )


# --------------------------------------------------------------------------------------------
# 同级组织比较.
# --------------------------------------------------------------------------------------------
def _peer_groups(df: pl.DataFrame, peers: pl.DataFrame, max_groups: int) -> tuple[pl.DataFrame, str, str]:
    """The peer groups :func:`sibling_comparison` shows (``group, n, far, listed, median, title``, by
    median), which of ``far``/``listed``/``n`` chose them, and the words saying so: those with an
    organisation far below, else those with a highlighted one, else the largest; at most
    ``max_groups``."""
    parents = org_labels(peers.select("org_id", "name"))
    parent_names = dict(zip(parents["org_id"].to_list(), parents["_label"].to_list(), strict=True))
    titles = {g: (parent_names.get(g) or g) if g else _TOP_LEVEL for g in df["group"].unique().to_list()}
    groups = (
        df.group_by("group")
        .agg(
            n=pl.len(),
            far=(pl.col("flag") == _FAR).sum(),
            listed=(pl.col("flag") != _OTHER).sum(),
            median=pl.col("peer_median").first(),
        )
        .with_columns(title=pl.col("group").replace_strict(titles, return_dtype=pl.String))
    )
    tiers = (("far", "有组织明显低于同级的"), ("listed", "有后进组织的"), ("n", "规模最大的"))
    key, which = next((k, w) for k, w in tiers if groups.filter(pl.col(k) > 0).height or k == "n")
    candidates = groups.filter(pl.col(key) > 0)
    chosen = (
        candidates.sort([key, "n", "group"], descending=[True, True, False])
        .head(max_groups)
        .sort(["median", "group"], nulls_last=True)
    )
    return chosen, key, which


def _peer_rows(df: pl.DataFrame, chosen: pl.DataFrame, key: str, limit: int) -> pl.DataFrame:
    """The rows of the chart (``_label, group, title, score, peer_median, lower_limit``): the
    organisations far below (furthest first) or, without any, the highlighted ones (lowest first),
    at most ``limit``, shown group by group; without either, one row per group (named after it)."""
    rank = {g: i for i, g in enumerate(chosen["group"].to_list())}
    if key == "n":
        rows = df.unique("group", keep="first").with_columns(_label=pl.col("title"))
    else:
        picked = df.filter(pl.col("flag") == _FAR) if key == "far" else df.filter(pl.col("flag") != _OTHER)
        by = pl.col("score") - pl.col("lower_limit") if key == "far" else pl.col("score")
        rows = picked.sort(by, "org_id", nulls_last=True).head(limit)
    return (
        rows.with_columns(_order=pl.col("group").replace_strict(rank, return_dtype=pl.Int64))
        .sort("_order", "score", "org_id")
        .head(limit)
        .select("_label", "group", "title", "score", "peer_median", "lower_limit")
    )


def _peer_layers(rows: pl.DataFrame, points: pl.DataFrame, named: bool, s: Size) -> list[alt.Chart]:
    """The layers of :func:`sibling_comparison`: the median and limit ticks of each row, the dots
    of its peer group and — when the rows are organisations (``named``) — a ring round the row's own
    dot and its parent's name in a column right of 100 points."""
    frame = Frame(s, legend_top=True, note=True)
    font = row_label_size(frame, max(rows.height, 1))
    text_size = min(s.text, font)
    column = widest(rows["title"], text_size) + s.label + 12 if named else 0.0
    frame = Frame(s, legend_top=True, note=True, y_labels=widest(rows["_label"], font))
    plot_width, plot_height = frame.plot()
    step = plot_height / max(rows.height, 1)
    low = min(points["score"].min() or 0.0, rows["lower_limit"].min() or 100.0)
    low = max(0.0, math.floor(low / 5) * 5 - 5)
    scale = alt.Scale(domain=[low, 100 + data_room(column, plot_width, 100 - low)], nice=False)
    x = alt.X(
        "score:Q",
        title=LABELS["score"],
        scale=scale,
        axis=alt.Axis(values=list(range(int(low), 101, 10 if 100 - low > 40 else 5))),
    )
    y = alt.Y("_label:N", sort=rows["_label"].to_list(), title=None, axis=alt.Axis(labelFontSize=font))
    tick = min(step * 0.8, 40)
    dot = min(step * 0.45, s.label * 0.9)  # px across
    limits = alt.Chart(_data(rows.select("_label", "peer_median", "lower_limit"))).encode(y=y)
    layers: list[alt.Chart] = [
        limits.mark_tick(color="#222", thickness=3, size=tick).encode(x=alt.X("peer_median:Q", scale=scale)),
        limits.transform_filter("isValid(datum.lower_limit)")
        .mark_tick(color="#c62828", thickness=3, size=tick)
        .encode(x=alt.X("lower_limit:Q", scale=scale)),
        alt.Chart(_data(points.select("_label", "title", "score", "flag")))
        .mark_circle(size=dot**2, opacity=0.8)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "flag:N",
                title=None,
                scale=alt.Scale(domain=list(_PEER_COLORS), range=list(_PEER_COLORS.values())),
            ),
        ),
    ]
    if named:
        own = alt.Chart(_data(rows.select("title", "score", "_label")))
        layers += [
            own.mark_point(size=(dot * 1.6) ** 2, color="#000", strokeWidth=1.5).encode(x=x, y=y),
            own.mark_text(align="left", dx=dot / 2 + 8, fontSize=text_size, color="#444").encode(
                x=alt.datum(100), y=y, text="title:N"
            ),
        ]
    return layers


@resizable
def sibling_comparison(
    peers: pl.DataFrame,
    highlight: Iterable[str] = (),
    max_groups: int = 30,
    max_labels: int = 20,
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """Organisations far below their siblings (same parent), each on a row of its own with its
    siblings, the peer group's median and its control limit — a table-like dot plot, so no two
    names can collide.

    ``peers`` is the frame of ``analysis.selection.peer_comparison`` (``org_id, name, parent_id,
    score, peer_median, lower_limit, far_below``).  Each row: the organisation's name on the axis,
    a dot per member of its peer group (dark red far below, orange in ``highlight`` — e.g. the ids of
    ``weak_orgs`` —, grey the others), the organisation itself ringed, a black tick at the group
    median, a red tick at its lower limit, and the parent's name in a column on the right.  The rows
    are the ``max_labels`` organisations furthest below (or, without any, the highlighted ones; or,
    without either, one row per peer group), from at most ``max_groups`` groups, and no more than
    the size holds.
    """
    s = get_size(size).figure()
    marked = list(set(highlight))
    df = org_labels(peers.drop_nulls("score")).with_columns(
        group=pl.col("parent_id").fill_null(""),
        flag=pl.when(pl.col("far_below").fill_null(False))
        .then(pl.lit(_FAR))
        .when(pl.col("org_id").is_in(marked))
        .then(pl.lit(_LISTED))
        .otherwise(pl.lit(_OTHER)),
    )
    chosen, key, which = _peer_groups(df, peers, max_groups)
    df = df.join(chosen.select("group", "title"), on="group", how="inner")
    frame = Frame(s, legend_top=True, note=True)
    rows = _peer_rows(df, chosen, key, rows_that_fit(frame, max_labels if key != "n" else max_groups))
    # every row repeats its whole peer group; ``_label`` is the row's, not the member's
    points = rows.select("_label", "group").join(df.select("group", "title", "score", "flag"), on="group")
    layers = _peer_layers(rows, points, key != "n", s)
    rows_are = {
        "far": "每行一个明显低于同级的组织（圈出）",
        "listed": "每行一个后进组织（圈出）",
        "n": "每行一组",
    }[key]
    subtitle = (
        f"{rows_are}与其同级组织；黑线为同级中位数，红线为下限{'，右列为上级' if key != 'n' else ''}；"
        f"{which} {rows['group'].n_unique()} 组"
    )
    return finish(alt.layer(*layers), s, note, ("同级组织比较：得分与同级中位数、下限", subtitle))


# --------------------------------------------------------------------------------------------
# 多年得分走势.
# --------------------------------------------------------------------------------------------
def _label_ends(last: pl.DataFrame, low: float, high: float, plot_height: float, font: float) -> pl.DataFrame:
    """``last`` (one row per highlighted organisation, at its last year) with ``label_score``: where
    its name goes, spread so that no two names are closer than a line."""
    gap = line_height(font) * (high - low) / max(plot_height, 1.0)
    wanted = last["score"].to_list()
    placed = dodge(wanted, gap, low + gap / 2, high - gap / 2)
    return last.with_columns(label_score=pl.Series(placed, dtype=pl.Float64))


@resizable
def trend_lines(
    history: Mapping[int, pl.DataFrame],
    highlight: Iterable[str] = (),
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """Scores over the years: a thin grey line per organisation, the median in black and the
    ``highlight`` organisations in colour, named at the end of their line.  The names are spread
    apart in Python (a line's height between any two, a thin leader from each line end) in room
    kept right of the last year; as many as the plot's height holds."""
    s = get_size(size).figure()
    marked = set(highlight)
    frames = [
        h.select("org_id", "name", "score").with_columns(year=pl.lit(y, pl.Int64)) for y, h in history.items()
    ]
    df = (
        pl.concat(frames).drop_nulls("score")
        if frames
        else pl.DataFrame(
            schema={"org_id": pl.String, "name": pl.String, "score": pl.Float64, "year": pl.Int64}
        )
    )
    names = org_labels(df.unique("org_id", keep="last").select("org_id", "name")).select("org_id", "_label")
    df = df.join(names, on="org_id", how="left")
    median = df.group_by("year").agg(score=pl.col("score").median()).sort("year")
    years = sorted(history)
    others = df.filter(~pl.col("org_id").is_in(list(marked)))
    chosen = df.filter(pl.col("org_id").is_in(list(marked)))
    low = max(0.0, math.floor((df["score"].min() or 0.0) / 5) * 5) if df.height else 0.0
    high = 100.0
    frame = Frame(s, note=True, y_labels=text_width("100", s.label), y_title=True)
    plot_width, plot_height = frame.plot()
    fits = max(1, math.floor(plot_height / line_height(s.text)))
    last = chosen.sort("year").group_by("_label", maintain_order=True).agg(pl.all().last())
    last = last.sort("score").head(fits)
    chosen = chosen.join(last.select("org_id"), on="org_id", how="semi")
    first_year, last_year = (years[0], years[-1]) if years else (0, 0)
    label_px = widest(last["_label"], s.text) + 24 if last.height else 0.0
    span = (last_year - first_year) + 0.4
    room = data_room(label_px, plot_width, span)
    x_scale = alt.Scale(domain=[first_year - 0.2, last_year + 0.2 + room], nice=False)
    x = alt.X("year:Q", title=LABELS["year"], scale=x_scale, axis=alt.Axis(values=years, format="d"))
    y = alt.Y(
        "score:Q",
        title=LABELS["score"],
        scale=alt.Scale(domain=[low, high], nice=False),
        axis=alt.Axis(tickCount=max(2, round(plot_height / 60))),
    )
    layers: list[alt.Chart] = [
        alt.Chart(_data(others.select("org_id", "year", "score")))
        .mark_line(color="#cfcfcf", strokeWidth=1)
        .encode(x=x, y=y, detail="org_id:N"),
        alt.Chart(_data(median)).mark_line(color="#222", strokeWidth=3, strokeDash=[8, 4]).encode(x=x, y=y),
    ]
    if chosen.height:
        color = alt.Color(
            "_label:N",
            legend=None,
            sort=last["_label"].to_list(),
            scale=alt.Scale(range=list(HIGHLIGHT_COLORS)),
        )
        ends = _label_ends(last.select("_label", "year", "score"), low, high, plot_height, s.text)
        ends = ends.with_columns(label_year=pl.col("year") + data_room(16, plot_width, span))
        ends_chart = alt.Chart(_data(ends))
        layers += [
            alt.Chart(_data(chosen.select("_label", "year", "score")))
            .mark_line(point=True, strokeWidth=3)
            .encode(x=x, y=y, color=color),
            ends_chart.mark_rule(strokeWidth=1).encode(
                x=x, y=y, x2="label_year:Q", y2="label_score:Q", color=color
            ),
            ends_chart.mark_text(align="left", dx=3, baseline="middle", fontSize=s.text).encode(
                x=alt.X("label_year:Q", scale=x_scale),
                y=alt.Y("label_score:Q", scale=alt.Scale(domain=[low, high], nice=False)),
                text="_label:N",
                color=color,
            ),
        ]
    span_zh = f"{years[0]}–{years[-1]}年" if years else ""
    subtitle = "灰线为各组织，黑色虚线为全部组织中位数" + ("，彩色为重点关注组织" if chosen.height else "")
    return finish(alt.layer(*layers), s, note, (f"多年得分走势（{span_zh}）", subtitle))


# --------------------------------------------------------------------------------------------
# 任期内各年度得分.
# --------------------------------------------------------------------------------------------
@resizable
def term_trend(
    trend: pl.DataFrame,
    term_score: float | None,
    name: str,
    peers: str = "同类组织中位数",
    *,
    size: str | Size = DEFAULT_SIZE,
    note: str | None = None,
) -> alt.LayerChart:
    """An org's annual scores over its term: its line with the scores written by the points (below a
    valley, above otherwise), the median of its peers each year (grey) and the term score as a dashed
    level line; a year only partly
    inside the term says how much of it counts.  The value axis runs a little past 100 so that a
    label above a full score stays inside the plot.

    ``trend`` is ``year, score, weight, peer_median`` (one row per scored year of the term,
    :func:`analysis.views.term_trend`).
    """
    s = get_size(size).figure()
    share = (pl.col("weight") * 100).round(1).cast(pl.String).str.replace(r"\.0$", "")
    part = pl.when(pl.col("weight") < 0.9995).then(pl.format("（计入 {}%）", share)).otherwise(pl.lit(""))
    years = trend.sort("year").with_columns(year_label=pl.format("{}年{}", "year", part))
    term = f"任期得分（{term_score:.1f}）" if term_score is not None else None
    # a score lower than its neighbours' (a valley) is written below its point, the others above
    valley = pl.col("score") < pl.mean_horizontal(pl.col("score").shift(1), pl.col("score").shift(-1))
    lines = pl.concat(
        [
            years.select("year_label", "score", series=pl.lit(name), below=valley.fill_null(False)),
            years.select("year_label", score=pl.col("peer_median"), series=pl.lit(peers), below=pl.lit(False)),
        ]
    ).drop_nulls("score")
    domain = [name, peers, *([term] if term else [])]
    legend = alt.Legend(symbolType="stroke", symbolStrokeWidth=3)
    colour = alt.Color(
        "series:N", title=None, legend=legend, scale=alt.Scale(domain=domain, range=[PRIMARY, NEUTRAL, PRIMARY])
    )
    dash = alt.StrokeDash(
        "series:N", title=None, legend=legend, scale=alt.Scale(domain=domain, range=[[1, 0], [1, 0], [8, 4]])
    )
    lowest = min([*lines["score"].to_list(), *([term_score] if term_score is not None else [])], default=60.0)
    low = max(0.0, math.floor((lowest - 5) / 5) * 5)
    top = 100 + (100 - low) * 0.08
    ticks = [v for v in range(int(low), 101, 5 if 100 - low > 20 else 2)]
    y = alt.Y(
        "score:Q", title=LABELS["score"], scale=alt.Scale(domain=[low, top], nice=False), axis=alt.Axis(values=ticks)
    )
    x = alt.X("year_label:O", title=LABELS["year"], sort=years["year_label"].to_list(), axis=alt.Axis(labelAngle=0))
    base = alt.Chart(_data(lines)).encode(x=x, y=y, color=colour, strokeDash=dash)
    gap = line_height(s.text) * 0.8
    layers: list[alt.Chart] = [
        base.mark_line(point=alt.OverlayMarkDef(size=s.text * 5), strokeWidth=3),
        *(
            base.transform_filter((alt.datum.series == name) & (alt.datum.below == below))
            .mark_text(dy=gap if below else -gap, fontSize=s.text)
            .encode(text=alt.Text("score:Q", format=".1f"), color=alt.value("#222"))
            for below in (False, True)
        ),
    ]
    if term:
        level = pl.DataFrame({"score": [term_score], "series": [term]})
        layers.append(alt.Chart(_data(level)).mark_rule(strokeWidth=2).encode(y=y, color=colour, strokeDash=dash))
    span = "–".join(dict.fromkeys(f"{v}年" for v in (years["year"].min(), years["year"].max()) if v is not None))
    heading = f"任期内各年度得分（{span}）" if span else "任期内各年度得分"
    return finish(alt.layer(*layers), s, note, (heading, f"{name}；灰线为同类组织的年度得分中位数"))
