"""The chart builders: polars frames in the shapes of ``docs/CONTRACTS.md`` go in, an ``alt.Chart``
(or layer/concat) comes out, with Chinese titles, axes and legends.

Every builder is a pure function.  Builders compute nothing the assessment has not already computed;
they only reshape for drawing (join a name, count rows per status, take the top *n*).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import altair as alt
import polars as pl

from analysis.charts.labels import LABELS
from analysis.charts.style import (
    GRADE_COLORS,
    NEUTRAL,
    PRIMARY,
    ROW_STEP,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    STATUS_COLORS,
)
from analysis.vocab import STATUS_ZH

_DIRECTION = {"up": "上升", "down": "下降", "flat": "持平"}
_DIRECTION_COLORS = {"上升": "#2e7d32", "下降": "#c62828", "持平": NEUTRAL}


# --------------------------------------------------------------------------------------------
# Helpers shared by the builders.
# --------------------------------------------------------------------------------------------
def _data(df: pl.DataFrame) -> alt.Data:
    # Inline values: independent of altair's global data transformer and its 5000-row limit.
    return alt.Data(values=df.to_dicts())


def _org_labels(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``_label``: the org name, with its code appended when two orgs share a name
    (there are many "第一党支部")."""
    dup = pl.col("name").is_duplicated() | pl.col("name").is_null()
    return df.with_columns(
        _label=pl.when(dup)
        .then(pl.concat_str(pl.col("name").fill_null(""), pl.lit("（"), pl.col("org_id"), pl.lit("）")))
        .otherwise(pl.col("name"))
    )


def _slide(chart: alt.TopLevelMixin, height: int = SLIDE_HEIGHT) -> alt.TopLevelMixin:
    """Size a single-view chart to the slide width, title and axes included."""
    return chart.properties(
        width=SLIDE_WIDTH,
        height=height,
        autosize=alt.AutoSizeParams(type="fit", contains="padding"),
    )


def _rows_height(n_rows: int) -> int:
    return max(SLIDE_HEIGHT, n_rows * ROW_STEP + 200)


def _title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


def _zh_scale(mapping: Mapping[str, str], colors: Mapping[str, str]) -> alt.Scale:
    return alt.Scale(domain=[mapping[k] for k in colors], range=list(colors.values()))


# --------------------------------------------------------------------------------------------
# Builders.
# --------------------------------------------------------------------------------------------
def score_histogram(scores: pl.DataFrame, bin_width: float = 5.0) -> alt.Chart:
    """How many organisations scored in each band of ``bin_width`` points, stacked by grade."""
    df = scores.select("score", "grade").drop_nulls("score")
    low = min(60.0, (df["score"].min() or 0.0) // bin_width * bin_width)  # a band above the bar of 合格
    return _slide(
        alt.Chart(_data(df))
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(step=bin_width, extent=[low, 100]), title=LABELS["score"]),
            y=alt.Y("count():Q", title=LABELS["count"]),
            color=alt.Color(
                "grade:N",
                title=LABELS["grade"],
                scale=alt.Scale(domain=list(GRADE_COLORS), range=list(GRADE_COLORS.values())),
            ),
            order=alt.Order("grade:N"),
        )
        .properties(title=_title("考核得分分布", f"共 {df.height} 个组织，每 {bin_width:g} 分一档"))
    )


def ranking_bars(scores: pl.DataFrame, n: int | None = 30, worst: bool = False) -> alt.LayerChart:
    """Organisations ordered by score, as labelled horizontal bars coloured by grade.

    ``n`` keeps the first *n* (or, with ``worst``, the last *n*); ``None`` keeps all.
    """
    df = _org_labels(scores.drop_nulls("score")).sort(["score", "org_id"], descending=[True, False])
    total = df.height
    if n is not None and total > n:
        df = df.tail(n) if worst else df.head(n)
        which = f"后 {n} 名" if worst else f"前 {n} 名"
        subtitle = f"{which}，共 {total} 个组织"
    else:
        subtitle = f"共 {total} 个组织"
    order = df["_label"].to_list()
    base = alt.Chart(_data(df.select("_label", "score", "grade"))).encode(
        y=alt.Y("_label:N", sort=order, title=None),
        x=alt.X("score:Q", title=LABELS["score"], scale=alt.Scale(domain=[0, 100])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "grade:N",
            title=LABELS["grade"],
            scale=alt.Scale(domain=list(GRADE_COLORS), range=list(GRADE_COLORS.values())),
        )
    )
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("score:Q", format=".1f"))
    return _slide(alt.layer(bars, text), _rows_height(df.height)).properties(
        title=_title("考核得分排名", subtitle)
    )


def status_heatmap(
    rules: pl.DataFrame,
    scores: pl.DataFrame,
    titles: Mapping[str, str] | None = None,
    max_orgs: int | None = None,
) -> alt.Chart:
    """One row per organisation (best score on top), one column per rubric item, coloured by status.

    ``titles`` (``{rule_id: title_zh}``, see :func:`rule_titles`) names and orders the columns.
    ``max_orgs`` keeps only the lowest-scoring organisations — where the failures are — so that a
    chart over hundreds of organisations stays readable.
    """
    orgs = _org_labels(scores.select("org_id", "name", "score")).sort(
        ["score", "org_id"], descending=[True, False], nulls_last=True
    )
    total = orgs.height
    if max_orgs is not None and total > max_orgs:
        orgs = orgs.tail(max_orgs)
    which = f"得分最低的 {orgs.height} 个组织（共 {total} 个）" if orgs.height < total else f"{total} 个组织"
    titles = dict(titles or {})
    rule_ids = [r for r in titles if r in set(rules["rule_id"])] + sorted(set(rules["rule_id"]) - set(titles))
    df = (
        rules.select("org_id", "rule_id", "status")
        .join(orgs.select("org_id", "_label"), on="org_id", how="inner")
        .with_columns(
            rule=pl.col("rule_id").replace(titles),
            status_zh=pl.col("status").replace(STATUS_ZH),
        )
    )
    column_order = [titles.get(r, r) for r in rule_ids]
    return _slide(
        alt.Chart(_data(df.select("_label", "rule", "status_zh")))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "rule:N",
                sort=column_order,
                title=LABELS["rule"],
                axis=alt.Axis(orient="top", labelAngle=-45, labelLimit=180),
            ),
            y=alt.Y("_label:N", sort=orgs["_label"].to_list(), title=None),
            color=alt.Color("status_zh:N", title=LABELS["status"], scale=_zh_scale(STATUS_ZH, STATUS_COLORS)),
        ),
        _rows_height(orgs.height) + 120,
    ).properties(title=_title("各组织考核项达标情况", f"{which} × {len(rule_ids)} 个考核项，按得分从高到低"))


def category_bars(rules: pl.DataFrame) -> alt.Chart:
    """For each rubric category, the share of (organisation, item) pairs in each status."""
    df = (
        rules.group_by("category", "status")
        .agg(rows=pl.len())
        .with_columns(status_zh=pl.col("status").replace(STATUS_ZH))
    )
    categories = rules["category"].unique(maintain_order=True).to_list()
    status_order = [STATUS_ZH[s] for s in STATUS_COLORS]
    return _slide(
        alt.Chart(_data(df.select("category", "status_zh", "rows")))
        .mark_bar()
        .transform_calculate(status_rank=f"indexof({status_order!r}, datum.status_zh)")
        .encode(
            y=alt.Y("category:N", sort=categories, title=LABELS["category"]),
            x=alt.X("sum(rows):Q", stack="normalize", title="占比", axis=alt.Axis(format="%", tickCount=10)),
            color=alt.Color("status_zh:N", title=LABELS["status"], scale=_zh_scale(STATUS_ZH, STATUS_COLORS)),
            order=alt.Order("status_rank:Q"),
        )
        .properties(title=_title("各类别考核项达标情况", "每个组织的每个考核项计一次"))
    )


def yoy_change(
    current: pl.DataFrame,
    previous: pl.DataFrame,
    years: tuple[int, int] | None = None,
    n: int | None = 40,
) -> alt.Chart:
    """Score change of each organisation present in both years, largest changes first.

    ``years`` is ``(previous_year, current_year)`` for the title; ``n`` keeps the *n* largest
    absolute changes (``None`` keeps all).
    """
    df = _org_labels(
        current.select("org_id", "name", "score")
        .join(previous.select("org_id", previous_score="score"), on="org_id", how="inner")
        .drop_nulls(["score", "previous_score"])
        .with_columns(change=(pl.col("score") - pl.col("previous_score")).round(1))
    )
    total = df.height
    df = df.sort([pl.col("change").abs(), "org_id"], descending=[True, False])
    if n is not None:
        df = df.head(n)
    df = df.sort(["change", "org_id"], descending=[True, False]).with_columns(
        direction=pl.when(pl.col("change") > 0)
        .then(pl.lit(_DIRECTION["up"]))
        .when(pl.col("change") < 0)
        .then(pl.lit(_DIRECTION["down"]))
        .otherwise(pl.lit(_DIRECTION["flat"]))
    )
    span = f"{years[0]}→{years[1]}年" if years else "与上年相比"
    subtitle = f"两年均参评的 {total} 个组织" + (f"中变化最大的 {df.height} 个" if df.height < total else "")
    base = alt.Chart(_data(df.select("_label", "change", "direction"))).encode(
        y=alt.Y("_label:N", sort=df["_label"].to_list(), title=None),
        x=alt.X("change:Q", title=f"{LABELS['change']}（分）"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "direction:N",
            title="变化",
            scale=alt.Scale(domain=list(_DIRECTION_COLORS), range=list(_DIRECTION_COLORS.values())),
        )
    )
    label = alt.Text("change:Q", format="+.1f")
    gains = base.transform_filter("datum.change >= 0").mark_text(align="left", dx=4).encode(text=label)
    losses = base.transform_filter("datum.change < 0").mark_text(align="right", dx=-4).encode(text=label)
    return _slide(alt.layer(bars, gains, losses), _rows_height(df.height)).properties(
        title=_title(f"得分同比变化（{span}）", subtitle)
    )


def selection_robustness(selection: pl.DataFrame, n: int | None = 40) -> alt.HConcatChart:
    """Probability of being selected and the 5%–95% rank interval over the resampling draws.

    ``selection`` is the frame of ``select_advanced``; rows are ordered by rank and the first
    ``n`` are kept.  A dashed line marks the last rank that is selected.
    """
    df = _org_labels(selection).sort(["rank", "org_id"])
    if n is not None:
        df = df.head(n)
    order = df["_label"].to_list()
    cutoff = selection.filter(pl.col("selected"))["rank"].max()
    df = df.with_columns(selected_zh=pl.col("selected").replace_strict({True: "入选", False: "未入选"}))
    data = _data(df.select("_label", "rank", "rank_p05", "rank_p95", "p_selected", "selected_zh"))
    height = max(SLIDE_HEIGHT - 200, df.height * ROW_STEP)
    y = alt.Y("_label:N", sort=order, title=None)
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
        .properties(width=360, height=height)
    )
    interval = alt.Chart(data).encode(y=alt.Y("_label:N", sort=order, axis=None))
    ranks = alt.layer(
        interval.mark_rule(strokeWidth=3, color=NEUTRAL).encode(
            x=alt.X("rank_p05:Q", title="排名区间（5%–95%）与实际排名", scale=alt.Scale(zero=False)),
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
    return alt.hconcat(
        prob, ranks.properties(width=SLIDE_WIDTH - 360 - 420, height=height), spacing=24
    ).properties(
        title=_title(
            "先进评选稳健性：入选概率与排名区间",
            f"入选 {n_selected} 个；虚线为入选名次线，横线越短名次越稳定",
        )
    )


_FAR, _LISTED, _OTHER = "明显低于同级", "列入后进名单", "其他"
_PEER_COLORS = {_FAR: "#b71c1c", _LISTED: "#ef8a17", _OTHER: NEUTRAL}


def _peer_groups(df: pl.DataFrame, peers: pl.DataFrame, max_groups: int) -> tuple[pl.DataFrame, str]:
    """The peer groups :func:`sibling_comparison` shows (``group, n, far, listed, median, title``, by
    median) and the words saying which they are: those with an organisation far below, else those
    with a highlighted one, else the largest; at most ``max_groups``."""
    parent_names = dict(zip(peers["org_id"].to_list(), peers["name"].to_list(), strict=True))
    titles = {g: (parent_names.get(g) or g) if g else "（顶层组织）" for g in df["group"].unique().to_list()}
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
    return chosen, which


def sibling_comparison(
    peers: pl.DataFrame,
    highlight: Iterable[str] = (),
    max_groups: int = 30,
    max_labels: int = 20,
) -> alt.LayerChart:
    """Each organisation against its siblings (same parent), with the peer group's control limit.

    ``peers`` is the frame of ``analysis.selection.peer_comparison`` (``org_id, name, parent_id,
    score, peer_median, lower_limit, far_below``): one column per peer group, a dot per member, a
    black tick at the group median and a red tick at its lower limit — a dot under the red tick is
    far below its siblings (dark red, named; the ``max_labels`` furthest below).  ``highlight`` (e.g.
    the ids of ``weak_orgs``) are drawn in orange.  The groups shown are those with an organisation
    far below, else those with a highlighted one, else the largest; at most ``max_groups``.
    """
    marked = list(set(highlight))
    df = _org_labels(peers.drop_nulls("score")).with_columns(
        group=pl.col("parent_id").fill_null(""),
        flag=pl.when(pl.col("far_below").fill_null(False))
        .then(pl.lit(_FAR))
        .when(pl.col("org_id").is_in(marked))
        .then(pl.lit(_LISTED))
        .otherwise(pl.lit(_OTHER)),
    )
    chosen, which = _peer_groups(df, peers, max_groups)
    df = df.join(chosen.select("group", "title"), on="group", how="inner")
    named = (
        df.filter(pl.col("flag") == _FAR)
        .sort(pl.col("score") - pl.col("lower_limit"), "org_id")
        .head(max_labels)
        .select("title", "score", "_label")
    )
    limits = df.unique("group").select("title", "peer_median", "lower_limit")
    x = alt.X(
        "title:N",
        sort=chosen["title"].to_list(),
        title="上级组织（同级组织为一组）",
        axis=alt.Axis(labelAngle=-30),
    )
    y = alt.Y("score:Q", title=LABELS["score"], scale=alt.Scale(zero=False))
    ticks = alt.Chart(_data(limits)).encode(x=x)
    layers = [
        ticks.mark_tick(color="#222", thickness=3, size=40).encode(y=alt.Y("peer_median:Q")),
        ticks.transform_filter("isValid(datum.lower_limit)")
        .mark_tick(color="#c62828", thickness=3, size=40)
        .encode(y=alt.Y("lower_limit:Q")),
        alt.Chart(_data(df.select("title", "score", "flag")))
        .mark_circle(size=110, opacity=0.85)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "flag:N",
                title=None,
                scale=alt.Scale(domain=list(_PEER_COLORS), range=list(_PEER_COLORS.values())),
            ),
        ),
        alt.Chart(_data(named))
        .mark_text(align="left", dx=9, color=_PEER_COLORS[_FAR])
        .encode(x=x, y=y, text="_label:N"),
    ]
    return _slide(alt.layer(*layers)).properties(
        title=_title(
            "同级组织比较：得分与同级中位数、下限",
            f"黑色短线为同级中位数，红色短线为下限，点在红线以下即明显低于同级；显示{which} {chosen.height} 组",
        )
    )


def count_bars(
    df: pl.DataFrame,
    label: str,
    count: str = "rows",
    title: str = "",
    subtitle: str | None = None,
    n: int | None = 20,
) -> alt.LayerChart:
    """Labelled horizontal bars of ``count`` per ``label``, largest first (the first ``n``)."""
    data = df.select(
        pl.col(label).cast(pl.String).fill_null("（空）").alias("_label"), pl.col(count).alias("_n")
    )
    data = data.sort(["_n", "_label"], descending=[True, False])
    total = data.height
    if n is not None and total > n:
        data = data.head(n)
        subtitle = f"{subtitle + '；' if subtitle else ''}前 {n} 项，共 {total} 项"
    base = alt.Chart(_data(data)).encode(
        y=alt.Y("_label:N", sort=data["_label"].to_list(), title=None),
        x=alt.X("_n:Q", title=LABELS.get(count, count)),
    )
    layers = alt.layer(base.mark_bar(), base.mark_text(align="left", dx=4).encode(text="_n:Q"))
    return _slide(layers, _rows_height(data.height) if data.height > 20 else SLIDE_HEIGHT).properties(
        title=_title(title, subtitle)
    )


def trend_lines(
    history: Mapping[int, pl.DataFrame],
    highlight: Iterable[str] = (),
) -> alt.LayerChart:
    """Scores over the years: a thin grey line per organisation, the median in black and the
    ``highlight`` organisations in colour with their names."""
    marked = set(highlight)
    frames = [
        s.select("org_id", "name", "score").with_columns(year=pl.lit(y, pl.Int64)) for y, s in history.items()
    ]
    df = (
        pl.concat(frames).drop_nulls("score")
        if frames
        else pl.DataFrame(
            schema={"org_id": pl.String, "name": pl.String, "score": pl.Float64, "year": pl.Int64}
        )
    )
    names = _org_labels(df.unique("org_id", keep="last").select("org_id", "name")).select("org_id", "_label")
    df = df.join(names, on="org_id", how="left")
    median = df.group_by("year").agg(score=pl.col("score").median()).sort("year")
    years = sorted(history)
    x = alt.X("year:O", title=LABELS["year"], sort=years, axis=alt.Axis(labelAngle=0))
    y = alt.Y("score:Q", title=LABELS["score"], scale=alt.Scale(zero=False))
    others = df.filter(~pl.col("org_id").is_in(list(marked)))
    chosen = df.filter(pl.col("org_id").is_in(list(marked)))
    layers: list[alt.Chart] = [
        alt.Chart(_data(others.select("org_id", "year", "score")))
        .mark_line(color="#cfcfcf", strokeWidth=1)
        .encode(x=x, y=y, detail="org_id:N"),
        alt.Chart(_data(median)).mark_line(color="#222", strokeWidth=3, strokeDash=[8, 4]).encode(x=x, y=y),
    ]
    if chosen.height:
        sel = alt.Chart(_data(chosen.select("_label", "year", "score")))
        last = chosen.sort("year").group_by("_label").agg(pl.all().last())
        layers += [
            sel.mark_line(point=True, strokeWidth=3).encode(
                x=x, y=y, color=alt.Color("_label:N", title="重点关注组织")
            ),
            alt.Chart(_data(last.select("_label", "year", "score")))
            .mark_text(align="left", dx=8)
            .encode(x=x, y=y, text="_label:N", color=alt.Color("_label:N", legend=None)),
        ]
    span = f"{years[0]}–{years[-1]}年" if years else ""
    return _slide(alt.layer(*layers)).properties(
        title=_title(f"多年得分走势（{span}）", "灰线为各组织，黑色虚线为全部组织中位数")
    )
