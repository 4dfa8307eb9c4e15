"""The office versions: 考核结果.xlsx beside the CSV contracts, and 自评分表.xlsx ready to print and hand in —
Chinese headers and item names, 是/否, frozen and filterable headers, fitted widths, one-decimal numbers,
A4 print set-up — read back with openpyxl."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from analysis.assess import assess
from analysis.decisions import pace, select_advanced, weak_orgs
from analysis.outputs import write_outputs, write_results
from tests.test_excel import NAMES, department_store

RULE_ID = re.compile(r"\b[a-z_]+\.[a-z_]+\b", re.ASCII)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every file of one mid-year assessment of the small department (so 进度预警 is there too)."""
    store = department_store()
    a = assess(store, 2024, as_of="2024-06-30")
    weak = weak_orgs(a)
    out = tmp_path_factory.mktemp("office")
    paths = write_outputs(a, out)
    written = write_results(a, out, select_advanced(a, weak=weak, draws=50), weak, pace(store, a))
    return {**paths, **{p.name: p for p in written}}


@pytest.fixture(scope="module")
def results(files: dict[str, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(files["考核结果.xlsx"])


def rows_of(ws) -> list[dict[str, object]]:
    head = [c.value for c in ws[1]]
    return [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_results_workbook_has_a_sheet_per_contract_and_the_contracts_stay(files, results) -> None:
    assert results.sheetnames == ["考核得分", "逐项结果", "先进推荐", "后进排查", "进度预警"]
    assert {"scores.csv", "rules.csv", "advanced.csv", "weak.csv", "pace.csv"} <= {p.name for p in files.values()}
    advanced = files["advanced.csv"].read_bytes().decode("utf-8-sig").splitlines()[0]
    assert advanced == "org_id,name,org_type,score,rank,selected,p_selected,rank_p05,rank_p95,label"


def test_year_end_results_have_no_pace_sheet(tmp_path: Path) -> None:
    a = assess(department_store(), 2024)
    weak = weak_orgs(a)
    written = write_results(a, tmp_path, select_advanced(a, weak=weak, draws=10), weak)
    assert [p.name for p in written] == ["advanced.csv", "weak.csv", "考核结果.xlsx"]
    assert openpyxl.load_workbook(written[-1]).sheetnames == ["考核得分", "逐项结果", "先进推荐", "后进排查"]


def test_scores_sheet_says_yes_no_and_names_the_failed_items(results) -> None:
    ws = results["考核得分"]
    assert [c.value for c in ws[1]] == [
        "组织编码", "组织名称", "组织类型", "上级组织编码", "直属党组织编码", "得分", "适用分值", "实得分",
        "等次", "是否合格", "一票否决", "否决原因", "未达标项",
    ]
    by_id = {r["组织编码"]: r for r in rows_of(ws)}
    b, t = by_id["B"], by_id["T"]
    assert (b["组织类型"], b["是否合格"], b["一票否决"], b["未达标项"]) == ("党支部", "是", "否", "谈心谈话")
    assert (t["等次"], t["是否合格"], t["一票否决"], t["否决原因"]) == ("不合格", "否", "是", "2024-03-01 重大失误和损失")
    assert by_id["G"]["组织名称"] == NAMES["G"] and ws["B4"].data_type == "s"  # a formula-like name stays text


def test_rules_sheet_keeps_the_rule_id_beside_the_chinese_item_name(results) -> None:
    rows = rows_of(results["逐项结果"])
    assert list(rows[0]) == [
        "组织编码", "组织名称", "规则编号", "条款", "考核项目", "类别", "状态", "实际", "要求", "实际值", "要求值",
        "标准分", "得分", "依据行数",
    ]
    heart = next(r for r in rows if r["组织编码"] == "B" and r["规则编号"] == "edu.heart_talks")
    assert (heart["考核项目"], heart["条款"], heart["状态"], heart["实际值"], heart["标准分"], heart["得分"]) == (
        "谈心谈话", "二(4)", "未达标", 0, 2, 0,
    )
    budget = next(r for r in rows if r["组织编码"] == "B" and r["规则编号"] == "org.budget")
    assert (budget["状态"], budget["得分"], budget["实际值"]) == ("不适用", None, None)  # not scored: no points shown


def test_advanced_weak_and_pace_sheets_are_in_chinese(results) -> None:
    advanced = rows_of(results["先进推荐"])
    assert {r["是否推荐"] for r in advanced} <= {"是", "否"} and {r["组织类型"] for r in advanced} <= {"党委", "党总支", "党支部"}
    assert [r["组织编码"] for r in rows_of(results["后进排查"])] == ["T"]
    pace_rows = rows_of(results["进度预警"])
    meetings = next(r for r in pace_rows if r["组织编码"] == "B" and r["规则编号"] == "org.committee_meetings")
    assert (meetings["考核项目"], meetings["已完成"], meetings["要求"], meetings["尚差"], meetings["预警"]) == (
        "委员会议", 3, 5, 2, "绿",
    )
    assert results["进度预警"].cell(row=2, column=9).number_format == "0.00"


def test_results_sheets_are_frozen_filtered_and_print_on_a4(results) -> None:
    for ws in results.worksheets:
        assert ws.freeze_panes == "C2", ws.title
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        assert ws.print_title_rows == "$1:$1"
        assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.oddHeader.center.text == f"2024 年度{ws.title}（截止 2024-06-30）"
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    scores = results["考核得分"]
    assert scores["F2"].number_format == "0.0" and scores["G2"].number_format == "0.0"
    assert results["先进推荐"]["G2"].number_format == "0.0%" and results["先进推荐"]["E2"].number_format == "0"


def test_summary_of_the_self_assessment_is_ready_to_hand_in(files) -> None:
    ws = openpyxl.load_workbook(files["xlsx"])["汇总"]
    assert ws.freeze_panes == "C3" and ws.auto_filter.ref == "A2:M6" and ws.print_title_rows == "$2:$2"
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape")
    assert [ws.cell(row=r, column=6).number_format for r in range(3, 7)] == ["0.0"] * 4
    widths = {k: int(d.width) for k, d in ws.column_dimensions.items()}
    # 组织名称: the widest name is '=HYPERLINK("x")' (15 cells) + 2; 组织类型: 党总支 (3 CJK = 6) + 2 → 8,
    # raised to the header 组织类型 (4 CJK = 8) + 2; 未达标项: 谈心谈话 and the header both 8 cells + 2
    assert (widths["B"], widths["C"], widths["M"]) == (17, 10, 10)


def test_org_sheet_prints_with_its_name_in_the_page_header_and_the_header_row_repeated(files) -> None:
    ws = openpyxl.load_workbook(files["xlsx"])["B 第一党支部"]
    assert ws.oddHeader.center.text == "第一党支部（B）2024 年度党建目标管理责任制自评分表"
    assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4"
    assert (ws.page_setup.paperSize, ws.page_setup.orientation, ws.page_setup.fitToHeight) == (9, "landscape", 0)
    item = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "二(4) 谈心谈话")
    assert (item[2].number_format, item[4].number_format) == ("0.0", "0.0")


def test_no_rule_id_true_false_or_english_header_in_any_sheet_people_read(files) -> None:
    seen = 0
    for name in ("考核结果.xlsx", "xlsx"):
        wb = openpyxl.load_workbook(files[name])
        for ws in wb.worksheets:
            header_row = 2 if ws.title == "汇总" else 1
            headers = [c.value for c in ws[header_row]]
            assert all(h is None or not str(h).isascii() for h in headers), (ws.title, headers)
            id_columns = {i for i, h in enumerate(headers) if h == "规则编号"}
            for row in ws.iter_rows(values_only=True):
                for i, v in enumerate(row):
                    if isinstance(v, str) and i not in id_columns:
                        seen += 1
                        assert not RULE_ID.search(v), (ws.title, v)
                        assert v.lower() not in {"true", "false"}, (ws.title, v)
    assert seen > 1000


def test_item_names_follow_the_rubric_order_and_name_term_wide_items(files) -> None:
    rs = assess(department_store(), 2024).ruleset
    assert rs.item_names("edu.monthly_study;org.annual_plan") == "年度计划和总结、每月集中学习"
    assert rs.item_names("任期:edu.cadre_training") == "任期：届内党务干部培训"
    assert rs.item_names("") == "" and rs.item_names(None) == ""
    df = pl.read_csv(files["scores"], infer_schema=False)
    assert df.filter(pl.col("org_id") == "B")["failed_rules"].to_list() == ["edu.heart_talks"]  # the contract keeps ids


def test_rows_whose_text_wraps_are_tall_enough_to_print_every_line(files) -> None:
    ws = openpyxl.load_workbook(files["xlsx"])["B 第一党支部"]
    assert ws.cell(row=5, column=1).value == "一(2) 按时换届"
    # 考核内容及标准 is two paragraphs of 77 and 83 cells in a column 44 wide: 2 + 2 lines of 13.5 pt + 3
    assert ws.row_dimensions[5].height == 57.0
    assert ws.row_dimensions[4].height is None  # a category row is one line: Excel's own height
    assert ws.row_dimensions[1].height == 24  # the title's 14-point text
