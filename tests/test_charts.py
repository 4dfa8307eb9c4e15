"""Charts: the CJK font really draws Chinese, exports are named for people, builders keep the right rows.

Font checks compare rendered pixels, not configuration: with the font missing every Chinese character
is the same empty box, so two titles of equal length render to the same PNG.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc
from bs4 import BeautifulSoup

from analysis import charts

GRADE = {"score": pl.Float64}


def _title_chart(title: str) -> alt.Chart:
    df = pl.DataFrame({"x": ["甲", "乙"], "y": [1.0, 2.0]})
    return alt.Chart(charts._data(df)).mark_bar().encode(x="x:N", y="y:Q").properties(title=title)


def _values(spec: Any) -> list[list[dict[str, Any]]]:
    """Every inline data block of a chart spec, in document order."""
    found: list[list[dict[str, Any]]] = []
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and "values" in data:
            found.append(data["values"])
        for key, value in spec.items():
            if key != "data":
                found += _values(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _values(item)
    return found


def _scores(rows: list[tuple[str, str, str | None, float]]) -> pl.DataFrame:
    grade = {True: "优秀", False: "合格"}
    return pl.DataFrame(
        {
            "org_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "org_type": ["branch"] * len(rows),
            "parent_id": [r[2] for r in rows],
            "score": [r[3] for r in rows],
            "grade": [grade[r[3] >= 90] for r in rows],
            "vetoed": [False] * len(rows),
        },
        schema_overrides={"parent_id": pl.String},
    )


def _system_has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


# ------------------------------------------------------------------------------------------------
# The font.
# ------------------------------------------------------------------------------------------------
def test_two_chinese_titles_render_to_different_pixels() -> None:
    first = charts.to_png(_title_chart("考核得分"), scale=1)
    second = charts.to_png(_title_chart("党建目标"), scale=1)
    again = charts.to_png(_title_chart("考核得分"), scale=1)
    assert first == again  # rendering is deterministic, so a difference comes from the glyphs
    assert first != second


@pytest.mark.skipif(_system_has_cjk_font(), reason="a system CJK font would draw the glyphs anyway")
def test_without_the_registered_font_chinese_titles_are_identical_boxes() -> None:
    # The control for the test above: a fresh process that never registers the font draws both
    # titles as the same boxes, so comparing pixels does detect a missing font.
    code = textwrap.dedent(
        """
        import sys, vl_convert as vlc
        def spec(title):
            return {"data": {"values": [{"x": "甲", "y": 1}]}, "mark": "bar", "title": title,
                    "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
                    "config": {"font": "Noto Sans CJK SC"}}
        a = vlc.vegalite_to_png(spec("考核得分"))
        b = vlc.vegalite_to_png(spec("党建目标"))
        sys.stdout.write("same" if a == b else "different")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "same"


def test_pdf_embeds_the_noto_cjk_font() -> None:
    pdf = charts.to_pdf(_title_chart("考核得分"))
    fonts = set(re.findall(rb"/BaseFont\s*/([^\s/]+)", pdf))
    assert any(b"NotoSansCJKsc" in f for f in fonts), fonts


def test_svg_text_names_the_cjk_font_stack_first() -> None:
    svg = charts.to_svg(_title_chart("考核得分"))
    assert "考核得分" in svg
    families = re.findall(r'font-family="([^"]*)"', svg)
    assert families and all(f.startswith("&quot;Noto Sans CJK SC&quot;") for f in families)


def test_font_registration_points_at_the_package_collection_once() -> None:
    first = charts.register_cjk_font()
    assert first.family == "Noto Sans CJK SC"
    assert first.path is not None and first.path.name == "NotoSansCJK-Regular.ttc"
    assert charts.register_cjk_font() is first


def test_use_offline_enables_png_renderer_and_workbench_theme() -> None:
    """PNG drawn by vl-convert carries its glyphs; an inline SVG would use the reader's fonts."""
    try:
        charts.use_offline()
        assert alt.renderers.active == "png"
        assert alt.theme.active == charts.THEME_NAME
        bundle = _title_chart("考核得分")._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        assert set(data) == {"image/png"}
        assert data["image/png"][:4] == b"\x89PNG" or str(data["image/png"]).startswith("iVBOR")
    finally:
        alt.renderers.enable("default")
        alt.theme.enable("default")


# ------------------------------------------------------------------------------------------------
# Export.
# ------------------------------------------------------------------------------------------------
def test_save_chart_writes_png_svg_pdf_named_in_chinese(tmp_path: Path) -> None:
    paths = charts.save_chart(_title_chart("考核得分"), tmp_path / "图表", "得分/分布:2024*")
    assert [p.name for p in paths] == ["得分_分布_2024.png", "得分_分布_2024.svg", "得分_分布_2024.pdf"]
    png, svg, pdf = (p.read_bytes() for p in paths)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert svg.startswith(b"<svg") and "考核得分".encode() in svg
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("得分分布", "得分分布"),
        ('a\\b/c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("  第一党支部. ", "第一党支部"),
        ("CON", "_CON"),
        ("...", "图表"),
        ("一" * 100, "一" * 80),
    ],
)
def test_safe_filename_keeps_chinese_and_drops_what_windows_forbids(name: str, expected: str) -> None:
    assert charts.safe_filename(name) == expected


def test_png_scale_shrinks_only_very_tall_charts() -> None:
    assert charts.png_scale('<svg class="marks" width="1280" height="720">') == 2
    assert charts.png_scale('<svg class="marks" width="1280" height="12500">') == 1.0


# ------------------------------------------------------------------------------------------------
# Builders keep the right rows.
# ------------------------------------------------------------------------------------------------
def test_ranking_keeps_top_n_and_tells_same_named_orgs_apart() -> None:
    scores = _scores(
        [
            ("001", "第一党支部", "100", 95.0),
            ("002", "第一党支部", "200", 91.0),
            ("003", "机关党支部", "100", 80.0),
        ]
    )
    spec = charts.ranking_bars(scores, n=2).to_dict()
    labels = [row["_label"] for row in _values(spec)[0]]
    assert labels == ["第一党支部（001）", "第一党支部（002）"]
    assert spec["title"]["subtitle"] == "前 2 名，共 3 个组织"
    worst = charts.ranking_bars(scores, n=1, worst=True).to_dict()
    assert [row["_label"] for row in _values(worst)[0]] == ["机关党支部"]


def test_heatmap_with_max_orgs_keeps_the_lowest_scores_in_rubric_order() -> None:
    scores = _scores([("001", "甲", None, 95.0), ("002", "乙", None, 60.0), ("003", "丙", None, 70.0)])
    rules = pl.DataFrame(
        {
            "org_id": ["001", "002", "003"] * 2,
            "rule_id": ["r1"] * 3 + ["r2"] * 3,
            "status": ["pass", "fail", "pending", "pass", "no_data", "not_applicable"],
        }
    )
    spec = charts.status_heatmap(rules, scores, {"r2": "第二项", "r1": "第一项"}, max_orgs=2).to_dict()
    rows = _values(spec)[0]
    assert {(r["_label"], r["rule"], r["status_zh"]) for r in rows} == {
        ("丙", "第一项", "届内待办"),
        ("乙", "第一项", "未达标"),
        ("丙", "第二项", "不适用"),
        ("乙", "第二项", "无数据"),
    }
    assert spec["encoding"]["x"]["sort"] == ["第二项", "第一项"]
    assert spec["encoding"]["y"]["sort"] == ["丙", "乙"]


def test_category_bars_count_each_org_and_item_once() -> None:
    rules = pl.DataFrame(
        {
            "org_id": ["1", "2", "1", "2"],
            "category": ["组织建设", "组织建设", "作风建设", "作风建设"],
            "status": ["pass", "pass", "fail", "pass"],
        }
    )
    rows = _values(charts.category_bars(rules).to_dict())[0]
    assert sorted((r["category"], r["status_zh"], r["rows"]) for r in rows) == [
        ("作风建设", "未达标", 1),
        ("作风建设", "达标", 1),
        ("组织建设", "达标", 2),
    ]


def test_yoy_change_compares_orgs_present_in_both_years() -> None:
    now = _scores([("001", "甲", None, 80.0), ("002", "乙", None, 70.0), ("003", "丙", None, 90.0)])
    before = _scores([("001", "甲", None, 85.5), ("002", "乙", None, 70.0), ("004", "丁", None, 60.0)])
    spec = charts.yoy_change(now, before, (2023, 2024)).to_dict()
    rows = _values(spec)[0]
    assert [(r["_label"], r["change"], r["direction"]) for r in rows] == [
        ("乙", 0.0, "持平"),
        ("甲", -5.5, "下降"),
    ]
    assert spec["title"]["text"] == "得分同比变化（2023→2024年）"


def test_selection_chart_marks_the_cut_after_the_last_selected_rank() -> None:
    selection = pl.DataFrame(
        {
            "org_id": ["a", "b", "c"],
            "name": ["甲", "乙", "丙"],
            "rank": [1, 2, 3],
            "selected": [True, True, False],
            "p_selected": [1.0, 0.6, 0.4],
            "rank_p05": [1.0, 1.0, 2.0],
            "rank_p95": [1.0, 3.0, 3.0],
        }
    )
    blocks = _values(charts.selection_robustness(selection).to_dict())
    assert {"cutoff": 2.5} in [row for block in blocks for row in block]
    assert [r["selected_zh"] for r in blocks[0]] == ["入选", "入选", "未入选"]


def test_sibling_comparison_shows_groups_with_an_org_far_below_and_names_it() -> None:
    peers = pl.DataFrame(
        {
            "org_id": ["p1", "p2", "a", "b", "c", "d"],
            "name": ["一党委", "二党委", "甲", "乙", "丙", "丁"],
            "parent_id": [None, None, "p1", "p1", "p2", "p2"],
            "score": [90.0, 88.0, 80.0, 40.0, 85.0, 84.0],
            "peer_median": [89.0, 89.0, 60.0, 60.0, 84.5, 84.5],
            "lower_limit": [None, None, 50.0, 50.0, 64.5, 64.5],
            "far_below": [False, False, False, True, False, False],
        }
    )
    blocks = _values(charts.sibling_comparison(peers, highlight=["a", "c"]).to_dict())
    points = next(b for b in blocks if b and "flag" in b[0])
    assert {(r["title"], r["score"], r["flag"]) for r in points} == {
        ("一党委", 80.0, "列入后进名单"),
        ("一党委", 40.0, "明显低于同级"),
    }
    assert [{"title": "一党委", "score": 40.0, "_label": "乙"}] in blocks  # only the far-below one is named


def test_trend_lines_draw_the_yearly_median() -> None:
    history = {
        2023: _scores([("1", "甲", None, 60.0), ("2", "乙", None, 80.0), ("3", "丙", None, 70.0)]),
        2024: _scores([("1", "甲", None, 50.0), ("2", "乙", None, 90.0), ("3", "丙", None, 75.0)]),
    }
    blocks = _values(charts.trend_lines(history, highlight=["1"]).to_dict())
    assert [{"year": 2023, "score": 70.0}, {"year": 2024, "score": 75.0}] in blocks
    assert {"_label": "甲", "year": 2024, "score": 50.0} in [row for block in blocks for row in block]


def test_count_bars_keep_the_largest_counts() -> None:
    df = pl.DataFrame({"reason": ["日期无法识别", "类型不在清单中", None], "rows": [3, 5, 1]})
    spec = charts.count_bars(df, "reason", title="拒收原因", n=2).to_dict()
    assert [(r["_label"], r["_n"]) for r in _values(spec)[0]] == [("类型不在清单中", 5), ("日期无法识别", 3)]
    assert spec["title"]["subtitle"] == "前 2 项，共 3 项"


# ------------------------------------------------------------------------------------------------
# Tables.
# ------------------------------------------------------------------------------------------------
def test_zh_frame_translates_headers_types_statuses_and_booleans() -> None:
    df = pl.DataFrame(
        {
            "org_id": ["000123"],
            "org_type": ["general_branch"],
            "status": ["pending"],
            "vetoed": [True],
            "x": [1],
        }
    )
    assert charts.zh_frame(df).rows(named=True) == [
        {"组织编码": "000123", "组织类型": "党总支", "状态": "届内待办", "一票否决": "是", "x": 1}
    ]


def test_show_table_writes_percentages_numbers_right_and_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    df = pl.DataFrame({"name": ["甲<乙>", "丙"], "p_selected": [0.875, 0.1], "rank": [1, 2]})
    charts.show_table(df, max_rows=1, collapsed="候选")
    html = shown[0].data
    assert html.startswith("<details><summary>候选</summary><table")
    assert "<td>甲&lt;乙&gt;</td><td>88%</td><td class=num>1</td>" in html
    assert "仅显示前 1 行，共 2 行。" in html


def test_show_table_shows_an_empty_value_as_a_dash_like_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    df = pl.DataFrame({"rule": ["三会一课", "党费收缴"], "earned": [None, 4.0], "evidence": [None, "党费.xlsx 第2行"]})
    charts.show_table(df)
    rows = BeautifulSoup(shown[0].data, "html.parser").select("tbody tr")
    assert [[td.get_text() for td in tr.select("td")] for tr in rows] == [
        ["三会一课", "—", "—"],
        ["党费收缴", "4.0", "党费.xlsx 第2行"],
    ]


# ------------------------------------------------------------------------------------------------
# Layout: sizes, the source note, labels that neither collide nor get cut.
# ------------------------------------------------------------------------------------------------
NOTE = "数据来源：测试数据库 · 截至 2024-12-31"
LONG = "市住房公积金管理中心直属单位第{}党支部"  # 19 characters, the sample's longest kind of name
NUMERALS = "一二三四五六七八九十"
ITEMS = [
    "按时换届", "年度计划和总结", "委员会议", "党组专题研究党建", "党建经费列入预算", "书记配备",
    "每月集中学习", "党员学习天数", "届内党务干部培训", "三会一课", "民主生活会", "谈心谈话", "党费收缴",
    "党纪教育", "廉洁自律责任状", "作风建设、案件通报（督查评分）", "信息报送", "结对共建",
    "上级部署工作（督查评分）", "听取工青妇汇报", "工青妇组织建设（督查评分）",
]  # fmt: skip


def _name(i: int) -> str:
    return LONG.format(NUMERALS[i % 10] + ("" if i < 10 else str(i)))


def _many_scores(n: int, low: float = 30.0) -> pl.DataFrame:
    """``n`` orgs with long names (two of them "第一党支部", told apart by code), scores spread
    from ``low`` to 100."""
    rows = [(f"{i:03d}", _name(i), None, round(low + (100 - low) * i / max(n - 1, 1), 1)) for i in range(n)]
    rows[1] = ("001", "第一党支部", None, rows[1][3])
    rows[2] = ("002", "第一党支部", None, rows[2][3])
    return _scores(rows)


def _peers() -> pl.DataFrame:
    """A top-level group of 30 where nine sit far below, close together (the sample's 顶层组织),
    and two small groups with one far below each."""
    rows = [(f"t{i:02d}", _name(i), None, 90.0 + i % 10, False) for i in range(21)]
    rows += [(f"f{i}", _name(30 + i), None, 40.0 + i * 0.4, True) for i in range(9)]
    rows += [("p1", "市中级人民法院机关党委", "t00", 95.0, False), ("p2", "市城市管理局机关党委", "t00", 96.0, False)]
    rows += [("a", _name(50), "t01", 41.2, True), ("b", _name(51), "t01", 95.0, False)]
    rows += [("c", _name(52), "t02", 43.0, True), ("d", _name(53), "t02", 94.0, False)]
    frame = pl.DataFrame(
        rows, schema=["org_id", "name", "parent_id", "score", "far_below"], orient="row"
    ).with_columns(
        peer_median=pl.when(pl.col("parent_id").is_null()).then(94.0).otherwise(93.0),
        lower_limit=pl.when(pl.col("parent_id").is_null()).then(79.0).otherwise(73.0),
    )
    return frame


def _history() -> dict[int, pl.DataFrame]:
    """Three years; eight orgs (highlighted) end within one point of each other."""
    years = {}
    for k, year in enumerate((2022, 2023, 2024)):
        rows = [(f"{i:03d}", _name(i), None, 90.0 + (i * 7 + k) % 10) for i in range(30)]
        rows += [(f"w{i}", _name(40 + i), None, [99.0, 92.0, 35.0 + i * 0.12][k]) for i in range(8)]
        years[year] = _scores(rows)
    return years


def _selection(n: int = 100, selected: int = 50) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "org_id": [f"{i:03d}" for i in range(n)],
            "name": [_name(i) for i in range(n)],
            "rank": list(range(1, n + 1)),
            "selected": [i < selected for i in range(n)],
            "p_selected": [max(0.0, 1 - i / n) for i in range(n)],
            "rank_p05": [max(1.0, i - 10.0) for i in range(n)],
            "rank_p95": [min(float(n), i + 12.0) for i in range(n)],
        }
    )


def _rules(scores: pl.DataFrame) -> pl.DataFrame:
    statuses = list(charts.STATUS_COLORS)
    ids = scores["org_id"].to_list()
    return pl.DataFrame(
        {
            "org_id": [o for o in ids for _ in ITEMS],
            "rule_id": [f"r{k:02d}" for _ in ids for k in range(len(ITEMS))],
            "category": [("组织建设", "思想建设", "作风建设", "党风廉政建设")[k % 4] for _ in ids for k in range(len(ITEMS))],
            "status": [statuses[(i + k) % 5] for i in range(len(ids)) for k in range(len(ITEMS))],
        }
    )


def _builders(size: str) -> dict[str, alt.TopLevelMixin]:
    """Every builder, with data that crowded the old layouts, at ``size`` with a note."""
    many = _many_scores(60)
    before = many.with_columns(score=pl.col("score") + pl.Series([57.5, 58.0, -19.7] + [3.0] * 57))
    reasons = pl.DataFrame(
        {
            "reason": ["无法识别表格：前20行中没有找到至少两个已知列名", "【活动类型】活动类型不在规定范围内"]
            + ["这是一条很长很长的拒收原因，说明这一行为什么不能导入，以及应当怎样修改原始表格后重新导入"],
            "orgs": [3, 2, 1],
        }
    )
    titles = {f"r{k:02d}": t for k, t in enumerate(ITEMS)}
    kw = {"size": size, "note": NOTE}
    return {
        "score_histogram": charts.score_histogram(many, **kw),
        "ranking_bars": charts.ranking_bars(many, n=30, **kw),
        "status_heatmap": charts.status_heatmap(_rules(many), many, titles, max_orgs=60, **kw),
        "category_bars": charts.category_bars(_rules(many.head(5)), **kw),
        "yoy_change": charts.yoy_change(many, before, (2023, 2024), **kw),
        "selection_robustness": charts.selection_robustness(_selection(), n=None, **kw),
        "sibling_comparison": charts.sibling_comparison(_peers(), highlight=["t03", "b"], **kw),
        "trend_lines": charts.trend_lines(_history(), highlight=[f"w{i}" for i in range(8)], **kw),
        "count_bars": charts.count_bars(reasons, "reason", "orgs", title="后进原因分布", **kw),
        "term_trend": charts.term_trend(_term_years(), 97.1, "市市场监督管理局执法支队机关服务第二党支部", **kw),
    }


def _term_years() -> pl.DataFrame:
    """A term's scored years: a first year with two days inside the term, a full score, a low year."""
    return pl.DataFrame(
        {"year": [2022, 2023, 2024], "score": [100.0, 88.9, 99.6], "weight": [2 / 365, 1.0, 1.0]}
    ).with_columns(peer_median=pl.Series([95.5, 94.7, 95.1]))


BUILDERS = [
    "score_histogram", "ranking_bars", "status_heatmap", "category_bars", "yoy_change",
    "selection_robustness", "sibling_comparison", "trend_lines", "count_bars", "term_trend",
]  # fmt: skip


@pytest.mark.parametrize("size", ["slide", "a4"])
@pytest.mark.parametrize("builder", BUILDERS)
def test_every_builder_fills_its_size_with_no_label_overlapping_cut_or_off_the_canvas(
    builder: str, size: str
) -> None:
    chart = _builders(size)[builder]
    drawn = charts.layout(chart)
    preset = charts.SIZES[size]
    assert drawn.problems() == []
    assert charts.chart_size(chart) is preset
    if builder in ROWS and size == "a4":  # on a page, as tall as its rows
        assert drawn.width == preset.width and drawn.height <= preset.height
    elif builder in FIGURES and size == "a4":  # on a page, 4:3
        assert (drawn.width, drawn.height) == (preset.width, 596)
    elif not builder.endswith("robustness"):  # a concatenated chart is laid out inside the canvas
        assert (drawn.width, drawn.height) == (preset.width, preset.height)
    else:
        assert drawn.width <= preset.width and drawn.height <= preset.height
    assert NOTE in [b.text for b in drawn.boxes]


def test_the_layout_test_covers_every_builder() -> None:
    from analysis.charts import builders

    assert set(_builders("slide")) == set(BUILDERS) == set(builders.__all__) - {"_data"}


def test_layout_check_reports_overlapping_cut_and_off_canvas_labels() -> None:
    # The control for the test above: the check does see the faults the old charts had.
    df = pl.DataFrame({"x": [1.0, 1.05, 9.9], "y": [1.0, 1.0, 5.0], "t": ["市档案馆行政处党支部", "−58.0", "出界的标签"]})
    base = alt.Chart(charts._data(df)).encode(x=alt.X("x:Q", scale=alt.Scale(domain=[0, 10])), y="y:Q")
    chart = alt.layer(
        base.mark_text(align="left", fontSize=16).encode(text="t:N"),
        base.mark_point(),
    ).properties(
        width=300,
        height=200,
        title=alt.TitleParams("被截断的很长很长的标题文字", limit=60),
        autosize=alt.AutoSizeParams(type="none"),  # the canvas does not grow to take the last label in
    )
    problems = charts.layout(chart).problems()
    assert "overlap: '市档案馆行政处党支部' (mark) and '−58.0' (mark)" in problems
    assert any(p.startswith("outside the") and "出界的标签" in p for p in problems)
    assert any(p.startswith("cut short: '被截断的很长很长的标题文字'") for p in problems)


def test_text_width_matches_the_glyphs_vl_convert_draws() -> None:
    from io import BytesIO

    from PIL import Image, ImageOps

    for text, size in (("市住房公积金管理中心", 20), ("2024/补报活动记录.csv", 16), ("−57.5", 15)):
        spec = {
            "width": 600, "height": 60, "padding": 0, "background": "white",
            "data": {"values": [{}]},
            "mark": {"type": "text", "text": text, "fontSize": size, "align": "left", "x": 10, "y": 30,
                     "font": charts.FONT_STACK, "color": "black"},
        }  # fmt: skip
        charts.register_cjk_font()
        png = Image.open(BytesIO(vlc.vegalite_to_png(spec, scale=1))).convert("L")
        left, _, right, _ = ImageOps.invert(png).getbbox()
        # the ink starts a little after the pen and ends a little before the advance
        assert right - left <= charts.text_width(text, size) <= right - left + size * 0.35, text


def test_count_axes_tick_whole_numbers_only() -> None:
    def ticks(chart: alt.TopLevelMixin, names: str = "甲乙丙") -> list[str]:
        drawn = charts.layout(chart)
        return [b.text for b in drawn.boxes if b.role == "axis-label" and b.text not in names]

    df = pl.DataFrame({"reason": ["甲", "乙", "丙"], "rows": [3, 2, 1]})
    assert ticks(charts.count_bars(df, "reason", title="拒收原因")) == ["0", "1", "2", "3"]
    ones = df.with_columns(rows=pl.lit(1))  # Vega alone ticks 0, 0.5 and 1 here, all written "0"/"1"
    assert ticks(charts.count_bars(ones, "reason", title="各组织拒收行数")) == ["0", "1"]
    four = _scores([(str(i), "甲", None, 91.0 + i) for i in range(4)])  # four orgs in one band
    counts = [t for t in ticks(charts.score_histogram(four), names="") if "." not in t]  # not 60.0 …
    assert counts == ["0", "1", "2", "3", "4"]


def test_count_bars_title_the_axis_after_what_they_count() -> None:
    df = pl.DataFrame({"reason": ["书记空缺"], "orgs": [3]})
    assert charts.count_bars(df, "reason", "orgs").to_dict()["layer"][0]["encoding"]["x"]["title"] == "组织数"
    df = pl.DataFrame({"reason": ["日期无法识别"], "rows": [3]})
    assert charts.count_bars(df, "reason").to_dict()["layer"][0]["encoding"]["x"]["title"] == "行数"


def test_source_note_says_where_and_when() -> None:
    assert charts.source_note("data/store", date(2024, 12, 31)) == "数据来源：data/store · 截至 2024-12-31"
    assert charts.source_note("样例数据") == "数据来源：样例数据"
    assert charts.source_note("/tmp/run/reports/store", "2026-12-01T20:23:32+00:00") == (
        "数据来源：reports/store · 截至 2026-12-01"
    )
    assert charts.source_note(Path("store"), date(2024, 6, 30)) == "数据来源：store · 截至 2024-06-30"


def test_source_note_is_drawn_under_everything_else() -> None:
    drawn = charts.layout(charts.ranking_bars(_many_scores(5), note=NOTE))
    note = next(b for b in drawn.boxes if b.text == NOTE)
    others = [b for b in drawn.boxes if b is not note]
    assert min(y for _, y in note.corners) > max(y for b in others for _, y in b.corners)
    assert max(y for _, y in note.corners) <= drawn.height
    assert all(b.text != NOTE for b in charts.layout(charts.ranking_bars(_many_scores(5))).boxes)


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_saved_charts_are_slide_sized_or_a4_pages(tmp_path: Path) -> None:
    scores = _many_scores(5)
    png, _, pdf = charts.save_chart(charts.ranking_bars(scores, note=NOTE), tmp_path, "幻灯片")
    assert _png_size(png.read_bytes()) == (1600, 900)
    assert png.read_bytes()[25] == 3  # colour type 3: a palette PNG, a quarter of vl-convert's RGBA one
    assert re.search(rb"/MediaBox\s*\[\s*0 0 960 540\s*\]", pdf.read_bytes())
    png, _, pdf = charts.save_chart(charts.ranking_bars(_many_scores(60), n=None, size="a4", note=NOTE), tmp_path, "A4")
    assert _png_size(png.read_bytes()) == (1191, 1684)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert box and (round(float(box[1])), round(float(box[2]))) == (596, 842)  # A4 is 595×842 pt
    png, *_ = charts.save_chart(charts.selection_robustness(_selection(), note=NOTE), tmp_path, "稳健性")
    assert _png_size(png.read_bytes()) == (1600, 900)  # a concatenated chart gets the full canvas


def test_a_slide_chart_is_saved_with_its_a4_variant_that_print_draws(tmp_path: Path) -> None:
    chart = charts.score_histogram(_many_scores(20), note=NOTE)
    charts.save_chart(chart, tmp_path, "得分分布")
    charts.save_chart(charts.ranking_bars(_many_scores(5), size="a4", note=NOTE), tmp_path, "排名")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "得分分布.pdf", "得分分布.png", "得分分布.svg", "得分分布_A4.pdf", "得分分布_A4.svg",
        "排名.pdf", "排名.png", "排名.svg",
    ]  # fmt: skip
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", (tmp_path / "得分分布_A4.pdf").read_bytes())
    assert box and (round(float(box[1])), round(float(box[2]))) == (596, 447)  # A4's width, 4:3
    assert charts.print_svg(tmp_path / "得分分布.png") == tmp_path / "得分分布_A4.svg"
    assert charts.print_svg(tmp_path / "排名.png") == tmp_path / "排名.svg"  # already A4
    a4 = charts.redraw(chart, charts.SIZES["a4"])
    assert charts.chart_size(a4) is charts.SIZES["a4"] and _note_of(a4) == NOTE
    assert _values(a4.to_dict()) == _values(chart.to_dict())  # the same data, drawn again
    assert charts.redraw(_title_chart("自己画的"), charts.SIZES["a4"]) is None


def _note_of(chart: alt.TopLevelMixin) -> str | None:
    return chart.to_dict()["usermeta"]["workbench"]["note"]


ROWS = ["ranking_bars", "status_heatmap", "category_bars", "yoy_change", "count_bars"]  #: charts of rows
FIGURES = ["score_histogram", "sibling_comparison", "trend_lines", "term_trend"]  #: 4:3 on a page


@pytest.mark.parametrize("builder", ROWS)
def test_on_a_page_a_chart_of_rows_is_as_tall_as_its_rows_up_to_the_page(builder: str) -> None:
    def draw(n: int, size: str) -> alt.TopLevelMixin:
        scores = _many_scores(n)
        kw: dict[str, Any] = {"size": size, "note": NOTE}
        if builder == "ranking_bars":
            return charts.ranking_bars(scores, n=None, **kw)
        if builder == "status_heatmap":
            return charts.status_heatmap(_rules(scores), scores, {f"r{k:02d}": t for k, t in enumerate(ITEMS)}, **kw)
        if builder == "category_bars":  # n categories
            rules = pl.DataFrame({"category": [f"考核类别{i}" for i in range(n)], "status": ["pass"] * n})
            return charts.category_bars(rules, **kw)
        if builder == "yoy_change":
            return charts.yoy_change(scores, scores.with_columns(pl.col("score") - 3.5), (2023, 2024), n=None, **kw)
        reasons = pl.DataFrame({"reason": [f"{LONG.format(i)}的拒收原因" for i in range(n)], "orgs": list(range(n, 0, -1))})
        return charts.count_bars(reasons, "reason", "orgs", title="后进原因分布", n=None, **kw)

    heights = {n: charts.layout(draw(n, "a4")).height for n in (4, 8, 200)}
    assert heights[4] < heights[8] < 1123 / 2 and heights[200] == 1123  # four bars are not a page of bars
    assert charts.layout(draw(4, "a4")).problems() == []
    assert charts.layout(draw(4, "slide")).height == 720  # a slide keeps its frame


def test_unknown_size_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="图表尺寸只能是 slide、a4"):
        charts.ranking_bars(_many_scores(3), size="a3")


def test_rows_beyond_what_the_size_holds_are_left_out_and_the_subtitle_says_so() -> None:
    many = _many_scores(60)
    slide = charts.status_heatmap(_rules(many), many, max_orgs=60).to_dict()
    a4 = charts.status_heatmap(_rules(many), many, max_orgs=60, size="a4").to_dict()
    shown = {s: len(set(r["_label"] for r in _values(spec)[0])) for s, spec in (("slide", slide), ("a4", a4))}
    assert 15 <= shown["slide"] < shown["a4"] <= 60
    assert slide["title"]["subtitle"].startswith(f"得分最低的 {shown['slide']} 个组织（共 60 个）")
    ranking = charts.ranking_bars(many, n=None).to_dict()
    kept = len(_values(ranking)[0])
    assert kept < 60 and ranking["title"]["subtitle"] == f"前 {kept} 名，共 60 个组织"


def test_selection_that_does_not_fit_shows_the_ranks_around_the_cut() -> None:
    spec = charts.selection_robustness(_selection(100, selected=50), n=None).to_dict()
    ranks = [r["rank"] for r in _values(spec)[0]]
    assert 50 in ranks and 51 in ranks and len(ranks) < 100
    assert ranks == list(range(ranks[0], ranks[-1] + 1))
    assert abs((50 - ranks[0]) - (ranks[-1] - 50)) <= 1
    assert spec["title"]["subtitle"].endswith(f"显示第 {ranks[0]}–{ranks[-1]} 名（共 100 个候选）")


def test_sibling_comparison_gives_each_org_far_below_a_row_with_its_parent() -> None:
    blocks = _values(charts.sibling_comparison(_peers()).to_dict())
    named = next(b for b in blocks if b and set(b[0]) == {"title", "score", "_label"})
    assert len(named) == 11 and len({r["_label"] for r in named}) == 11
    assert {r["title"] for r in named} == {"（顶层组织）", _name(1), _name(2)}
    points = next(b for b in blocks if b and "flag" in b[0])
    row = next(r["_label"] for r in named if r["title"] == _name(1))
    assert sorted(r["score"] for r in points if r["_label"] == row) == [41.2, 95.0]  # the row and its sibling


def test_trend_line_names_are_spread_a_line_apart_beside_the_last_year() -> None:
    chart = charts.trend_lines(_history(), highlight=[f"w{i}" for i in range(8)])
    ends = next(b for b in _values(chart.to_dict()) if b and "label_score" in b[0])
    placed = sorted(r["label_score"] for r in ends)
    gaps = [b - a for a, b in zip(placed, placed[1:], strict=False)]
    assert len(ends) == 8 and min(gaps) == pytest.approx(max(gaps))  # evenly spread, a line apart
    assert all(r["label_year"] > 2024 for r in ends)


def test_dodge_keeps_the_gap_inside_the_bounds() -> None:
    from analysis.charts.layout import dodge

    assert dodge([35.0, 35.4, 35.2, 36.0], 2.0, 30.0, 100.0) == [35.0, 39.0, 37.0, 41.0]
    assert dodge([99.0, 99.5], 2.0, 0.0, 100.0) == [98.0, 100.0]
    assert dodge([0.5, -3.0], 2.0, 0.0, 100.0) == [2.0, 0.0]


def test_wrap_breaks_chinese_evenly_and_never_starts_a_line_with_a_comma() -> None:
    assert charts.wrap("年度计划和总结", 40, 13, balance=True) == ["年度", "计划", "和总结"]
    assert charts.wrap("年度计划和总结", 400, 13) == ["年度计划和总结"]
    lines = charts.wrap("作风建设、案件通报（督查评分）", 40, 13, balance=True)
    assert "".join(lines) == "作风建设、案件通报（督查评分）"
    assert not any(line[0] in "、）" or line[-1] == "（" for line in lines)
    assert charts.wrap("一二三四五六七八九十", 50, 16, max_lines=2) == ["一二三", "四五…"]


def test_a_spec_the_schema_refuses_is_refused_although_a_valid_chart_of_another_shape_was_drawn() -> None:
    from altair.utils.schemapi import SchemaValidationError

    good = alt.Chart(alt.Data(values=[{"k": "甲", "n": 1}])).mark_bar().encode(x="k:N", y="n:Q")
    charts.to_vega(good)
    charts.to_vega(good.properties(title="同一形状，另一标题"))  # the same shape: drawn, not checked again
    bad = alt.Chart(alt.Data(values=[{"k": "甲", "n": 1}]), width="宽").mark_bar().encode(x="k:N", y="n:Q")
    with pytest.raises(SchemaValidationError):
        charts.to_vega(bad)

