"""Charts for the reports: altair builders, the CJK font, PNG/SVG/PDF export and offline display.

Every builder is a pure function: polars frames in the shapes of ``docs/CONTRACTS.md`` go in, an
``alt.Chart`` (or layer/concat) comes out, with Chinese titles, axes and legends.  Builders compute
nothing the assessment has not already computed; they only reshape for drawing (join a name, count
rows per status, take the top *n*).

Fonts and offline rendering
---------------------------
Charts are drawn by vl-convert (a Vega engine inside the Python wheel: no browser, no network).  It
only knows the fonts it is told about, so before anything is drawn :func:`register_cjk_font` points
it at the Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` package (on Windows, when
that package font is missing, at the system's Microsoft YaHei / SimHei).  Without it every Chinese
character is drawn as the same empty box.

The chart theme names a CSS font stack that starts with "Noto Sans CJK SC" and falls through to the
usual Windows/macOS/Linux CJK fonts: vl-convert takes the first family it has, and a browser showing
an SVG does the same with its own fonts (a browser that can show the report's Chinese prose can show
the chart's Chinese labels).

In notebooks :func:`show` displays a chart as inline SVG (``image/svg+xml``) that nbconvert embeds
as a data-URI ``<img>``: the exported HTML needs no JavaScript and no CDN.  :func:`use_offline`
switches altair's own renderer to ``"svg"`` (vl-convert) for interactive JupyterLab use.  altair's
default ``html`` renderer loads vega from a CDN, and its ``mimetype``/``jupyterlab`` renderers emit
``application/vnd.vegalite.v6.json``, which JupyterLab 4's built-in vega extension (v3-v5 only)
does not render — so neither works on an offline intranet.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from analysis.filenames import safe_filename
from analysis.vocab import GRADES, ORG_TYPE_ZH, ORGS, STATUS_ZH

# --------------------------------------------------------------------------------------------
# Fonts.
# --------------------------------------------------------------------------------------------
FONT_FAMILY = "Noto Sans CJK SC"
#: CSS font stack used by every chart; the first family vl-convert (or the browser) has wins.
FONT_STACK = (
    '"Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", sans-serif'
)
_WINDOWS_FONTS = (("Microsoft YaHei", ("msyh.ttc", "msyh.ttf")), ("SimHei", ("simhei.ttf",)))


@dataclass(frozen=True)
class FontChoice:
    """The CJK font vl-convert was pointed at."""

    family: str
    path: Path | None  # the font file, None when no CJK font was found


_registered: FontChoice | None = None


def _package_font() -> Path | None:
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def _windows_font() -> tuple[str, Path] | None:
    fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    for family, files in _WINDOWS_FONTS:
        for name in files:
            if (fonts / name).is_file():
                return family, fonts / name
    return None


def register_cjk_font() -> FontChoice:
    """Point vl-convert at a CJK font once per process and say which one.

    The ``noto-cjk-sans-otc`` package font comes first; on Windows, when it is missing, the system's
    Microsoft YaHei or SimHei.  Calling it again is free.  When no CJK font is found the charts still
    render, with boxes in place of Chinese characters (``FontChoice.path is None``).
    """
    global _registered
    if _registered is not None:
        return _registered
    choice = FontChoice(FONT_FAMILY, None)
    package = _package_font()
    if package is not None:
        vlc.register_font_directory(str(package.parent))
        choice = FontChoice(FONT_FAMILY, package)
    elif sys.platform == "win32" and (found := _windows_font()) is not None:
        vlc.register_font_directory(str(found[1].parent))
        choice = FontChoice(found[0], found[1])
    _registered = choice
    return choice


# --------------------------------------------------------------------------------------------
# Theme: a 16:9 briefing slide.
# --------------------------------------------------------------------------------------------
THEME_NAME = "dangjian"
SLIDE_WIDTH = 1280  #: px, whole chart (title and axes included)
SLIDE_HEIGHT = 720
PNG_SCALE = 2  #: PNGs are written at twice the slide size, sharp on a projector
PNG_MAX_PIXELS = 16e6  #: about 4 slides' worth of pixels at PNG_SCALE
ROW_STEP = 22  #: px per bar/row when a chart grows with the number of organisations

PRIMARY = "#b3261e"  # party red, for single-series bars
NEUTRAL = "#9e9e9e"
GRADE_COLORS = dict(zip(GRADES, ("#b3261e", "#ef8a17", "#3f7cbf", "#7f7f7f"), strict=True))
STATUS_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "pending": "#f2a900",
    "not_applicable": "#d0d0d0",
    "no_data": "#f3f3f3",
}


def theme() -> dict[str, Any]:
    """The shared chart config: CJK font stack, slide-sized type, white background."""
    return {
        "config": {
            "font": FONT_STACK,
            "background": "white",
            "padding": 16,
            "view": {"stroke": None},
            "title": {"fontSize": 28, "subtitleFontSize": 18, "anchor": "start", "offset": 16},
            "axis": {
                "labelFontSize": 16,
                "titleFontSize": 18,
                "titleFontWeight": "normal",
                "labelLimit": 260,
                "gridColor": "#e6e6e6",
            },
            "legend": {"labelFontSize": 16, "titleFontSize": 18, "orient": "top", "symbolSize": 160},
            "header": {"labelFontSize": 18, "titleFontSize": 18},
            "text": {"fontSize": 15},
            "bar": {"color": PRIMARY},
            "line": {"color": PRIMARY, "strokeWidth": 2},
            "point": {"color": PRIMARY},
        }
    }


alt.theme.register(THEME_NAME, enable=False)(theme)

# --------------------------------------------------------------------------------------------
# Chinese words on charts and tables (the vocab holds the registry and status words).
# --------------------------------------------------------------------------------------------
LABELS: dict[str, str] = {
    **{c.name: c.zh for c in ORGS.columns},
    "top_id": "所属党委编码",
    "score": "得分",
    "applicable_points": "适用分值",
    "earned_points": "实得分值",
    "grade": "等级",
    "qualified": "合格",
    "vetoed": "一票否决",
    "veto_reasons": "否决原因",
    "failed_rules": "未达标考核项",
    "n_failed": "未达标项数",
    "rule_id": "考核项编号",
    "rule": "考核项",
    "category": "类别",
    "status": "状态",
    "measured": "实际情况",
    "required": "考核要求",
    "measured_value": "实际值",
    "required_value": "要求值",
    "points": "分值",
    "earned": "得分",
    "evidence_rows": "依据行数",
    "table": "数据表",
    "_file": "来源文件",
    "_sheet": "工作表",
    "_row": "行号",
    "rank": "排名",
    "selected": "入选",
    "p_selected": "入选概率",
    "rank_p05": "排名（乐观，5%）",
    "rank_p95": "排名（保守，95%）",
    "label": "结论",
    "reasons": "原因",
    "year": "年度",
    "change": "得分变化",
    "count": "组织数",
    "rows": "行数",
    "path": "文件",
    "tables": "数据表",
    "rows_read": "读取行数",
    "rows_kept": "保留行数",
    "rows_refused": "拒收行数",
    "rows_duplicate": "重复行数",
    "message": "说明",
    "column": "列",
    "value": "原值",
    "reason_zh": "原因",
    "parent_name": "上级组织",
    "evidence": "依据（来源文件与行号）",
    "note": "说明",
}
_YES_NO = {True: "是", False: "否"}
_DIRECTION = {"up": "上升", "down": "下降", "flat": "持平"}
_DIRECTION_COLORS = {"上升": "#2e7d32", "下降": "#c62828", "持平": NEUTRAL}


def zh_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as a reader sees it: org types and statuses in Chinese, yes/no as 是/否, and
    Chinese column headers (unknown columns keep their name)."""
    exprs: list[pl.Expr] = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if name == "org_type":
            col = col.replace(ORG_TYPE_ZH)
        elif name == "status":
            col = col.replace(STATUS_ZH)
        elif dtype == pl.Boolean:
            col = col.replace_strict(_YES_NO, return_dtype=pl.String)
        exprs.append(col.alias(LABELS.get(name, name)))
    return df.select(exprs)


def rule_titles(ruleset: Any) -> dict[str, str]:
    """``{rule_id: title_zh}`` in rubric order, from an assessment's loaded ruleset."""
    return {item.rule_id: item.title_zh for item in ruleset.items}


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


# --------------------------------------------------------------------------------------------
# Rendering, export and display.
# --------------------------------------------------------------------------------------------
def to_vega(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The compiled Vega spec of ``chart`` under the workbench theme (whatever theme is active)."""
    register_cjk_font()
    with alt.theme.enable(THEME_NAME):
        spec = chart.to_dict()
    return vlc.vegalite_to_vega(spec)


def to_svg(chart: alt.TopLevelMixin) -> str:
    """``chart`` drawn as SVG (text as ``<text>`` in the CJK font stack)."""
    return vlc.vega_to_svg(to_vega(chart))


def to_png(chart: alt.TopLevelMixin, scale: float = PNG_SCALE) -> bytes:
    return vlc.svg_to_png(to_svg(chart), scale=scale)


def to_pdf(chart: alt.TopLevelMixin) -> bytes:
    return vlc.svg_to_pdf(to_svg(chart))


def png_scale(svg: str, max_pixels: float = PNG_MAX_PIXELS) -> float:
    """:data:`PNG_SCALE`, lowered for a very tall chart (hundreds of rows) so that its PNG stays
    under ``max_pixels`` — a 2560×14000 image helps nobody and costs seconds and megabytes."""
    m = re.search(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', svg)
    if not m:
        return PNG_SCALE
    area = float(m.group(1)) * float(m.group(2))
    return min(PNG_SCALE, round((max_pixels / area) ** 0.5, 2)) if area > 0 else PNG_SCALE


def _write(svg: str, out_dir: str | os.PathLike[str], name_zh: str, png: bytes | None = None) -> list[Path]:
    # PNG and PDF are rasterised/converted from the one SVG: Vega lays the chart out once
    # (the slow step), resvg draws it with the registered fonts (the PDF embeds them).
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(name_zh)
    files = {
        out / f"{stem}.png": png if png is not None else vlc.svg_to_png(svg, scale=png_scale(svg)),
        out / f"{stem}.svg": svg.encode("utf-8"),
        out / f"{stem}.pdf": vlc.svg_to_pdf(svg),
    }
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def save_chart(chart: alt.TopLevelMixin, out_dir: str | os.PathLike[str], name_zh: str) -> list[Path]:
    """Write ``chart`` as PNG (slides, twice the slide size), SVG (web) and PDF (print) into
    ``out_dir``, named after ``name_zh`` (e.g. ``得分分布.png``).  Returns the three paths."""
    return _write(to_svg(chart), out_dir, name_zh)


def inline_svg(chart: alt.TopLevelMixin) -> Any:
    """``chart`` as an IPython SVG object: displayed inline, exported by nbconvert without JS."""
    from IPython.display import SVG

    return SVG(to_svg(chart))


def show(
    chart: alt.TopLevelMixin,
    out_dir: str | os.PathLike[str] | None = None,
    name_zh: str | None = None,
) -> None:
    """Display ``chart`` inline as a PNG drawn by vl-convert with the CJK font and, given ``out_dir``
    and ``name_zh``, also save its PNG/SVG/PDF there (see :func:`save_chart`).  Returns nothing, so a
    notebook cell ending in ``show(...)`` prints no list of paths under the chart.

    PNG rather than SVG inline: an SVG's text is drawn by the *reader's* fonts, which on a machine
    without a Chinese font are empty boxes; the PNG carries its glyphs."""
    from IPython.display import Image, display

    svg = to_svg(chart)
    scale = png_scale(svg)
    png = vlc.svg_to_png(svg, scale=scale)
    width = re.search(r'<svg[^>]*?\swidth="([\d.]+)"', svg)
    display(Image(data=png, format="png", width=int(float(width.group(1))) if width else None))
    if out_dir is not None and name_zh:
        _write(svg, out_dir, name_zh, png)  # the PNG just shown is the file: rasterised once


def subset_font(text: str, out_path: str | os.PathLike[str]) -> Path | None:
    """Write a WOFF2 font holding just the glyphs of ``text``, cut from the CJK font, for web pages.

    A whole Noto Sans CJK is ~20 MB; the characters of a run's reports make a font of a few hundred KB
    that the pages load from ``fonts/`` next to them (offline, no system font needed).  Returns None
    when no CJK font file is known (the pages then use the reader's system fonts).
    """
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    font = register_cjk_font()
    if font.path is None:
        return None
    path = Path(font.path)
    if path.suffix.lower() == ".ttc":
        number = 0
        for i, f in enumerate(TTCollection(str(path), lazy=True).fonts):
            if f["name"].getDebugName(1) == FONT_FAMILY:
                number = i
                break
        tt = TTFont(str(path), fontNumber=number, lazy=False)
    else:
        tt = TTFont(str(path))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(set(text) | set(" 0123456789.,:%-()（）"))))
    sub.subset(tt)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(tt, str(out), options)
    return out


def show_table(df: pl.DataFrame, max_rows: int | None = 200, collapsed: str | None = None) -> Any:
    """Display a frame as a plain HTML table with Chinese headers and values (see :func:`zh_frame`);
    long frames are cut at ``max_rows`` with a note saying so.  With ``collapsed`` the table sits
    folded under that heading (an HTML ``<details>``: no JavaScript needed)."""
    from IPython.display import HTML, display

    part = df if max_rows is None else df.head(max_rows)
    if "p_selected" in part.columns:  # a probability reads best as a percentage
        part = part.with_columns((pl.col("p_selected") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")
    numeric = [dtype.is_numeric() for dtype in part.schema.values()]
    shown = zh_frame(part)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if num else ''}>{'' if v is None else html.escape(str(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in shown.iter_rows()
    )
    note = ""
    if max_rows is not None and df.height > max_rows:
        note = f"<p>仅显示前 {max_rows} 行，共 {df.height} 行。</p>"
    if df.height == 0:
        note = "<p>（无记录）</p>"
    markup = f'<table class="dataframe"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'
    if collapsed:
        markup = f"<details><summary>{html.escape(collapsed)}</summary>{markup}</details>"
    table = HTML(markup)
    display(table)
    return table


def use_offline() -> FontChoice:
    """Set up a notebook for offline use: register the CJK font, enable the workbench theme and
    draw altair charts through vl-convert as SVG (no CDN JavaScript).  Returns the font used."""
    font = register_cjk_font()
    alt.theme.enable(THEME_NAME)
    alt.renderers.enable("png")  # drawn by vl-convert with the registered font; no JavaScript, no CDN
    return font


__all__: Sequence[str] = (
    "FONT_FAMILY",
    "FONT_STACK",
    "FontChoice",
    "LABELS",
    "category_bars",
    "count_bars",
    "inline_svg",
    "ranking_bars",
    "register_cjk_font",
    "rule_titles",
    "safe_filename",
    "save_chart",
    "score_histogram",
    "selection_robustness",
    "show",
    "show_table",
    "sibling_comparison",
    "status_heatmap",
    "theme",
    "to_pdf",
    "to_png",
    "to_svg",
    "to_vega",
    "trend_lines",
    "use_offline",
    "yoy_change",
    "zh_frame",
)
