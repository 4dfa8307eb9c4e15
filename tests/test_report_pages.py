"""What a reader gets from ``run_reports``: every page's tables once, in Chinese, the lists linked to the
单位画像 pages, a PDF of every report, the index's headline numbers — on a small department built here
and run through the real notebooks (papermill, nbconvert, typst)."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import polars as pl
import pytest
from bs4 import BeautifulSoup

from analysis import reports
from analysis.reports import check_filter, run_reports
from analysis.store import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REJECTS_SCHEMA, Store, conform, write_store
from analysis.views import FilterError, ingest_totals, tables_zh, typed_header
from analysis.vocab import TABLES
from tests.test_rules_helpers import orgs_frame, perfect_year

#: the department: 机关党委 C with 第一党总支 G (and its 第一党支部 B) and 第二党支部 W, which recorded
#: nothing in 2024; 直属党支部 T stands alone
ORGS = [
    {"org_id": "000100", "name": "机关党委", "org_type": "committee", "parent_id": None},
    {"org_id": "000110", "name": "第一党总支", "org_type": "general_branch", "parent_id": "000100"},
    {"org_id": "000111", "name": "第一党支部", "org_type": "branch", "parent_id": "000110"},
    {"org_id": "000120", "name": "第二党支部", "org_type": "branch", "parent_id": "000100"},
    {"org_id": "000200", "name": "直属党支部", "org_type": "branch", "parent_id": None},
]
PERFECT = ["000100", "000110", "000111", "000200"]
RULE_ID = re.compile(r"\b[a-z_]+\.(?!(?:xlsx|xls|csv|json|parquet|txt|pdf|docx|html)\b)[a-z_]+\b")


def _rejects() -> pl.DataFrame:
    rows = [
        ("dues", "党费.xlsx", "2024年", 14, "paid", "-5", "negative", "【实交金额】数值不能为负数",
         {"组织编码": "000111", "月份": "2024年3月", "应交金额": "10", "实交金额": "-5"}),
        ("activities", "活动.csv", "", 7, "org_id", "099999", "unknown_org", "【组织编码】组织编码不在组织名册中",
         {"org_id": "099999", "date": "2024-05-01", "kind": "group_study"}),
        ("activities", "活动2.xlsx", "三会一课", 9, "date", "去年", "bad_date", "【活动日期】日期无法识别",
         {"组织 编码": "000120", "活动 日期": "去年", "活动类型": "党课"}),
    ]
    return pl.DataFrame(
        {
            "table": [r[0] for r in rows],
            "_file": [r[1] for r in rows],
            "_sheet": [r[2] for r in rows],
            "_row": [r[3] for r in rows],
            "column": [r[4] for r in rows],
            "value": [r[5] for r in rows],
            "reason_code": [r[6] for r in rows],
            "reason_zh": [r[7] for r in rows],
            "reason_en": ["" for _ in rows],
            "record": [json.dumps(r[8], ensure_ascii=False) for r in rows],
        },
        schema=REJECTS_SCHEMA,
    )


def make_department(path: Path) -> Path:
    """The department above as an ingested store on disk: four perfect years of 2024, one empty, three
    refused rows (with the headers their files typed) in three files."""
    tables: dict[str, list[dict]] = {}
    for org in PERFECT:
        for name, rows in perfect_year(org).items():
            tables.setdefault(name, []).extend(rows)
    orgs = orgs_frame(ORGS, **{o["org_id"]: {"member_count": 1, "mid_cadres": 3} for o in ORGS})
    frames = {"orgs": conform(orgs, "orgs")}
    frames |= {name: conform(pl.DataFrame(rows), name) for name, rows in tables.items()}
    files = ["组织.xlsx", "党费.xlsx", "活动.csv", "活动2.xlsx"]
    manifest = pl.DataFrame(
        {
            "path": files,
            "size": [1, 1, 1, 1],
            "sha256": ["a", "b", "c", "d"],
            "tables": ["orgs", "dues", "activities", "activities"],
            "status": ["ok"] * 4,
            "message": [""] * 4,
            "rows_read": [5, 13, 1, 1],
            "rows_kept": [5, 12, 0, 0],
            "rows_refused": [0, 1, 1, 1],
            "rows_duplicate": [0, 0, 0, 0],
            "ingested_at": "2025-01-01T00:00:00",
        },
        schema=MANIFEST_SCHEMA,
    )
    write_store(
        path,
        frames,
        pl.DataFrame(schema={"table": pl.String, **PROVENANCE_SCHEMA}),
        _rejects(),
        manifest,
        {name: list(TABLES[name].names) for name in frames},
    )
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> reports.ReportRun:
    root = tmp_path_factory.mktemp("pages")
    run = run_reports(make_department(root / "store"), 2024, root / "out", progress=False)
    assert run.ok, [f.describe() for f in run.failures]
    return run


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _page(batch: reports.ReportRun, label: str) -> Path:
    return next(o.html for o in batch.outputs if o.label == label)


# ------------------------------------------------------------------------------------------------
# Tables: once, Chinese.
# ------------------------------------------------------------------------------------------------
def test_every_table_of_every_page_appears_once(batch: reports.ReportRun) -> None:
    counts = {}
    for output in batch.outputs:
        tables = [str(t) for t in _soup(output.html).select("table")]
        assert len(tables) == len(set(tables)), output.label
        counts[output.label] = len(tables)
    # 数据质量: the file list, the refused rows and 报送完整性; 后进: the list; 综合对比: 换届提醒 and the full score
    # table; 单位画像: one rubric table per organisation of the unit; 先进: the list and one per candidate
    assert counts["数据质量"] == 3
    assert counts["后进支部排查"] == 1
    assert counts["年度考核综合对比"] == 2
    assert counts["单位画像_机关党委"] == 4
    assert counts["单位画像_直属党支部"] == 1
    assert counts["先进基层党组织评选"] == 1 + 1 + 1  # a 15% quota of four qualified orgs: one; the Sobol table


def test_no_table_shows_a_rule_id_an_english_header_or_true_false(batch: reports.ReportRun) -> None:
    for output in batch.outputs:
        for table in _soup(output.html).select("table"):
            heads = [th.get_text(strip=True) for th in table.select("th")]
            assert heads and not [h for h in heads if h.isascii()], (output.label, heads)
            cells = [td.get_text(strip=True) for td in table.select("td")]
            assert not [c for c in cells if RULE_ID.search(c)], output.label
            assert not {"true", "false", "True", "False"} & set(cells), output.label


def test_data_quality_names_tables_in_chinese_and_columns_as_the_file_typed_them(
    batch: reports.ReportRun,
) -> None:
    files, refused, completeness = _soup(_page(batch, "数据质量")).select("table")
    # 报送完整性 lists the orgs under 100 %: here the branch that sent no activity, study or dues rows at all
    assert [tr.select_one("td").get_text() for tr in completeness.select("tbody tr")] == ["000120"]
    assert completeness.select("tbody tr td")[-1].get_text() == "未完整报送"
    assert [td.get_text() for td in files.select("tbody tr td:nth-of-type(2)")] == ["党费", "活动记录", "活动记录", "组织"]
    rows = [[td.get_text() for td in tr.select("td")] for tr in refused.select("tbody tr")]
    assert [r[3:6] for r in rows] == [
        ["党费", "实交金额", "-5"],
        ["活动记录", "org_id（组织编码）", "099999"],
        ["活动记录", "活动 日期", "去年"],
    ]


# ------------------------------------------------------------------------------------------------
# Drill-down.
# ------------------------------------------------------------------------------------------------
def test_org_codes_in_the_lists_link_to_the_org_on_its_profile_page(batch: reports.ReportRun) -> None:
    seen = {}
    for label in ("后进支部排查", "先进基层党组织评选", "年度考核综合对比"):
        for a in _soup(_page(batch, label)).select("table.dataframe a[href]"):
            page, _, anchor = urllib.parse.unquote(a["href"]).partition("#")
            target = batch.out_dir / page
            assert target.is_file(), a["href"]
            assert _soup(target).find("details", id=anchor) is not None, a["href"]
            seen[a.get_text()] = (page, anchor)
    assert seen["000120"] == ("单位画像_机关党委.html", "org-000120")  # the weak branch, in its unit
    assert seen["000200"] == ("单位画像_直属党支部.html", "org-000200")
    weak = _soup(_page(batch, "后进支部排查")).select_one("table.dataframe")
    assert [th.get_text() for th in weak.select("th")][:2] == ["组织编码", "组织名称"]


def test_unknown_filter_is_refused_in_chinese(tmp_path: Path) -> None:
    store = Store.open(make_department(tmp_path / "store"))
    assert check_filter(store, " 000100 ", "党支部") == ("000100", "branch")
    assert check_filter(store, None, "general_branch") == (None, "general_branch")
    with pytest.raises(FilterError, match="组织名册中没有编码为 009 的组织"):
        check_filter(store, "009", None)
    with pytest.raises(FilterError, match="组织类型「支委」无法识别"):
        check_filter(store, None, "支委")


def test_overview_filtered_to_the_branches_under_a_committee(tmp_path: Path) -> None:
    chosen = [r for r in reports.REPORTS if r.title == "年度考核综合对比"]
    run = run_reports(
        make_department(tmp_path / "store"), 2024, tmp_path / "out", reports=chosen,
        under="000100", org_type="党支部", pdf=False, progress=False,
    )
    assert run.ok, [f.describe() for f in run.failures]
    soup = _soup(run.outputs[0].html)
    assert soup.find("h1").get_text() == "2024年度党建目标管理考核综合对比（机关党委及其下属组织，仅党支部）"
    codes = [tr.select_one("td").get_text() for tr in soup.select("table.dataframe tbody tr")]
    assert codes == ["000111", "000120"]
    index = run.index.read_text(encoding="utf-8")
    assert "范围：机关党委及其下属组织，仅党支部" in index


# ------------------------------------------------------------------------------------------------
# PDF.
# ------------------------------------------------------------------------------------------------
def test_every_report_has_its_pdf(batch: reports.ReportRun) -> None:
    assert sorted(p.name for p in (batch.out_dir / "PDF").iterdir()) == sorted(
        f"{o.html.stem}.pdf" for o in batch.outputs
    )
    for output in batch.outputs:
        assert output.pdf is not None and output.pdf.read_bytes().startswith(b"%PDF-")


def test_profile_pdf_has_its_pages_and_the_org_and_scores_in_chinese(batch: reports.ReportRun) -> None:
    from pypdf import PdfReader

    pdf = PdfReader(batch.out_dir / "PDF" / "单位画像_机关党委.pdf")
    # the ranking of three and the heatmap of four, each as tall as its rows, share the first page with the
    # first rubric table; the rubric tables of the four orgs fill three more
    assert len(pdf.pages) == 4
    text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "")
    assert "单位画像：机关党委（2024年度）" in text
    assert "机关党委（编码000100）本年度得分100.0分，等级优秀" in text
    assert "第二党支部（000120）：" in text  # the fold's heading, opened: its table follows
    assert "第1页/共4页" in text
    fonts = {str(f) for page in pdf.pages for f in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts  # the text is set in embedded fonts
    names = {page["/Resources"]["/Font"][k].get_object()["/BaseFont"] for page in pdf.pages[:1] for k in page["/Resources"]["/Font"]}
    assert any("NotoSansCJK" in str(n) for n in names)


def test_an_item_not_applicable_shows_a_dash_not_zero_points_on_the_page_and_in_the_pdf(
    batch: reports.ReportRun,
) -> None:
    from pypdf import PdfReader

    shown = []
    for table in _soup(_page(batch, "单位画像_机关党委")).select("table.dataframe"):
        heads = [th.get_text() for th in table.select("th")]
        for tr in table.select("tbody tr"):
            row = dict(zip(heads, (td.get_text() for td in tr.select("td")), strict=True))
            shown.append((row["考核项"], row["状态"], row["得分"]))
    not_applicable = [r for r in shown if r[1] == "不适用"]
    assert len(not_applicable) == 16 and {r[2] for r in not_applicable} == {"—"}
    assert ("三会一课", "不适用", "—") in shown and ("三会一课", "未达标", "0.0") in shown  # the branch W failed it
    pdf = PdfReader(batch.out_dir / "PDF" / "单位画像_机关党委.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "三会一课 不适用 仅适用于党支部 8.0 — —" in text  # 得分 and 依据


# ------------------------------------------------------------------------------------------------
# The index, and what is left on disk.
# ------------------------------------------------------------------------------------------------
def test_index_opens_with_the_headline_numbers(batch: reports.ReportRun) -> None:
    soup = _soup(batch.index)
    cards = {c.select_one(".what").get_text(): c.select_one(".n").get_text() for c in soup.select("#summary .card")}
    assert cards == {
        "参评组织": "5",
        "优秀": "4",
        "良好": "0",
        "合格": "0",
        "不合格": "1",
        "一票否决": "0",
        "推荐先进": "1",
        "后进排查": "1",
        "应报送任期报告": "2",  # the two branches elected 2023-06-01 for two years: due 2025-06-01
    }
    text = soup.get_text()
    assert "用时" not in text and str(batch.out_dir.parent / "store") not in text
    units = soup.select("section.units h3")
    assert [h.get_text() for h in units] == ["党委（1 个）", "党支部（1 个）"]
    hrefs = {urllib.parse.unquote(a["href"]) for a in soup.select("a[href]")}
    assert {"单位画像_机关党委.html", "PDF/单位画像_机关党委.pdf", "数据质量.html", "PDF/数据质量.pdf"} <= hrefs
    for href in hrefs:
        assert (batch.out_dir / href.split("#")[0]).exists(), href


def test_notebooks_are_not_kept_unless_asked(batch: reports.ReportRun) -> None:
    assert not (batch.out_dir / "notebooks").exists()
    assert all(o.notebook is None for o in batch.outputs)
    assert sorted(p.name for p in (batch.out_dir / "assets").iterdir()) == ["font.js", "tables.js"]


# ------------------------------------------------------------------------------------------------
# The Chinese values the views give.
# ------------------------------------------------------------------------------------------------
def test_typed_header_is_the_files_own_header() -> None:
    record = json.dumps({"组织 编码*": "1", "paid": "-5", "实交金额 ": "3"}, ensure_ascii=False)
    assert typed_header(record, "activities", "org_id") == "组织 编码*"
    assert typed_header(json.dumps({"paid": "-5"}), "dues", "paid") == "paid（实交金额）"
    assert typed_header(json.dumps({"实交金额 ": "3"}, ensure_ascii=False), "dues", "paid") == "实交金额"
    assert typed_header(None, "dues", "paid") == "实交金额"  # no source row: the Chinese name
    assert typed_header("not json", "dues", "due") == "应交金额"
    assert typed_header(None, "", "") == ""


def test_table_names_and_ingest_totals_in_chinese() -> None:
    assert tables_zh("activities,dues") == "活动记录、党费"
    assert tables_zh("") == ""
    assert ingest_totals({"files": 3, "rows_read": 10}).columns == ["文件数", "读取行数"]


# ------------------------------------------------------------------------------------------------
# Pictures made small, and prose set as typst.
# ------------------------------------------------------------------------------------------------
def test_compact_png_keeps_every_pixel_of_a_chart_in_fewer_bytes() -> None:
    import io

    import vl_convert as vlc
    from PIL import Image

    from analysis import charts

    chart = charts.count_bars(pl.DataFrame({"k": ["甲", "乙", "丙"], "rows": [3, 2, 1]}), "k", title="测试图")
    png = vlc.svg_to_png(charts.to_svg(chart), scale=2)  # vl-convert's own RGBA picture (to_png is compact already)
    small = reports.compact_png(png)
    assert len(small) < len(png) / 2
    before, after = (Image.open(io.BytesIO(b)) for b in (png, small))
    assert after.mode == "P" and before.size == after.size
    assert before.convert("RGB").tobytes() == after.convert("RGB").tobytes()


def test_compact_png_leaves_a_translucent_picture_as_it_is() -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (4, 4), (255, 0, 0, 128)).save(buf, "PNG")
    assert reports.compact_png(buf.getvalue()) == buf.getvalue()
    assert reports.compact_png(b"not a picture") == b"not a picture"


def test_markdown_becomes_typst_whose_text_is_never_markup() -> None:
    from analysis.reports.pdf import markdown_to_typst

    assert markdown_to_typst("# 2024年度 #1\n\n**甲** 乙\n丙 \"引\\号\" $x$") == (
        '#heading(level: 1)[#"2024年度 #1"]\n#par[#strong[#"甲"]#" 乙"#"丙 \\"引\\\\号\\" $x$"]'
    )
    assert markdown_to_typst("- 一\n- 二") == "#pad(left: 10pt)[• #\"一\"]\n#pad(left: 10pt)[• #\"二\"]"


def test_a_markdown_table_becomes_a_typst_table_of_its_cells_text() -> None:
    from analysis.reports.pdf import markdown_to_typst

    assert markdown_to_typst("共 **2** 个：\n\n| 组织 | 状态 |\n|---|---|\n| [甲](a.html)（001） | 已届满 |\n\n后文") == (
        '#par[#"共 "#strong[#"2"]#" 个："]\n'
        '#table(\n  columns: (auto, 1fr,),\n  align: (left, left,),\n  table.header("组织", "状态"),\n'
        '  "甲（001）", "已届满"\n)\n#par[#"后文"]'
    )


def test_pdf_draws_a_saved_slide_chart_from_its_a4_variant_as_tall_as_it_is_drawn(tmp_path: Path) -> None:
    import base64

    import nbformat

    from analysis import charts
    from analysis.reports.images import digest
    from analysis.reports.pdf import typst_source

    scores = pl.DataFrame(
        {"org_id": ["1", "2", "3", "4"], "name": ["甲", "乙", "丙", "丁"], "score": [99.0, 88.5, 75.0, 50.2],
         "grade": ["优秀", "良好", "合格", "不合格"]}
    )
    many = pl.concat([scores.with_columns(pl.col("org_id") + f"-{k}", pl.col("name") + f"{k}") for k in range(20)])
    shown = []
    for name, chart in (
        ("排名", charts.ranking_bars(scores, n=None)),  # 16:9; its A4 variant is four rows tall
        ("分布", charts.ranking_bars(many, n=None)),  # 16:9; its A4 variant of 56 rows is a page
    ):
        png, *_ = charts.save_chart(chart, tmp_path, name)
        shown.append(png)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(png.read_bytes()).decode("ascii")}
        )])
        for png in shown
    ]  # fmt: skip
    source, pictures = typst_source(nb, "测试", {digest(p.read_bytes()): p for p in shown})
    assert pictures == {
        "picture-1.svg": (tmp_path / "排名_A4.svg").read_bytes(),
        "picture-2.svg": (tmp_path / "分布_A4.svg").read_bytes(),
    }
    assert '#align(center, image("picture-1.svg", width: 100%))' in source
    assert '#align(center, image("picture-2.svg", height: 232mm))' in source  # fit to the page's body


def test_report_command_refuses_an_unknown_filter_with_a_chinese_line(tmp_path: Path) -> None:
    from tests.test_cli import workbench

    store = make_department(tmp_path / "store")
    done = workbench("report", "--store", str(store), "--out", str(tmp_path / "out"), "--org-type", "支委")
    assert done.returncode == 2
    assert "组织类型「支委」无法识别（应为党委、党总支或党支部）" in done.stderr
    done = workbench("report", "--store", str(store), "--out", str(tmp_path / "out"), "--under", "009")
    assert done.returncode == 2
    assert "组织名册中没有编码为 009 的组织" in done.stderr
    assert not (tmp_path / "out" / "考核结果").exists()  # refused before anything is assessed or written
