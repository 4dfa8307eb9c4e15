"""What people read: scores.csv, rules.csv, 自评分表.xlsx and the explain view."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from analysis.assess import AssessError, explain_text
from analysis.excel import HEADERS, SUMMARY_HEADERS, sheet_name, write_self_assessment
from analysis.outputs import write_outputs
from analysis.store import Store
from tests.test_rules_helpers import D, orgs_frame, perfect_store, run

NAMES = {"C": "机关党委", "G": '=HYPERLINK("x")', "B": "第一党支部", "T": "-直属党支部"}


def department_store() -> Store:
    """The default department, names that look like formulas, B without heart talks, T vetoed."""
    orgs = orgs_frame(**{o: {"name": n, "member_count": 1, "mid_cadres": 3} for o, n in NAMES.items()})
    store = perfect_store(
        ["C", "G", "B", "T"],
        orgs=orgs,
        incidents=[{"org_id": "T", "date": D(2024, 3, 1), "kind": "major_loss"}],
    )
    rows = (
        store.table("activities")
        .collect()
        .filter(~((pl.col("org_id") == "B") & (pl.col("kind") == "heart_talk")))
    )
    tables = {
        t: store.table(t).collect()
        for t in ("orgs", "study", "elections", "dues", "inspections", "incidents")
    }
    return Store.from_frames({**tables, "activities": rows})


@pytest.fixture(scope="module")
def assessment():
    return run(department_store())


@pytest.fixture(scope="module")
def outputs(assessment, tmp_path_factory) -> dict[str, Path]:
    return write_outputs(assessment, tmp_path_factory.mktemp("out"))


def test_scores_csv_is_utf8_with_bom_and_exact_columns(outputs: dict[str, Path]) -> None:
    raw = outputs["scores"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert (
        lines[0]
        == "org_id,name,org_type,parent_id,score,applicable_points,grade,qualified,vetoed,failed_rules"
    )
    assert lines[1] == "B,第一党支部,党支部,G,97.5,81,良好,true,false,edu.heart_talks"
    assert lines[2] == "C,机关党委,党委,,100.0,92,优秀,true,false,"


def test_csv_text_that_looks_like_a_formula_is_quoted(outputs: dict[str, Path]) -> None:
    df = pl.read_csv(outputs["scores"], infer_schema=False)
    names = dict(zip(df["org_id"], df["name"], strict=True))
    assert names["G"] == '\'=HYPERLINK("x")'
    assert names["T"] == "'-直属党支部"
    assert names["C"] == "机关党委"
    t = df.filter(pl.col("org_id") == "T").row(0, named=True)
    assert (t["vetoed"], t["qualified"], t["grade"]) == ("true", "false", "不合格")


def test_rules_csv_columns_chinese_status_and_the_numbers_behind_the_texts(outputs: dict[str, Path]) -> None:
    df = pl.read_csv(outputs["rules"], infer_schema=False, encoding="utf8")
    assert df.columns == [
        "org_id",
        "rule_id",
        "status",
        "measured",
        "required",
        "points",
        "earned",
        "evidence_rows",
        "measured_value",
        "required_value",
    ]
    b = df.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "edu.heart_talks")).row(0, named=True)
    assert (b["status"], b["points"], b["earned"], b["evidence_rows"], b["measured"]) == (
        "未达标",
        "2",
        "0",
        "0",
        "0 次",
    )
    meetings = df.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "org.committee_meetings")).row(0, named=True)
    assert (meetings["measured_value"], meetings["required_value"]) == ("6.0", "5.0")
    na = df.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "org.budget")).row(0, named=True)
    assert (na["status"], na["measured_value"], na["required_value"]) == ("不适用", None, None)
    assert df.height == 4 * 21


def test_workbook_has_a_summary_and_a_sheet_per_org(outputs: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(outputs["xlsx"])
    assert wb.sheetnames == ["汇总", "B 第一党支部", "C 机关党委", 'G =HYPERLINK("x")', "T -直属党支部"]
    ws = wb["汇总"]
    assert [c.value for c in ws[2]] == list(SUMMARY_HEADERS)
    b = [c.value for c in ws[3]]
    assert b[:10] == ["B", "第一党支部", "党支部", "G", "C", 97.5, 81, 79, "良好", "是"]
    assert b[12] == "谈心谈话"  # the item's name, not its rule id
    g = ws["B5"]
    assert (g.value, g.data_type) == ('=HYPERLINK("x")', "s")  # text, not a formula


def test_org_sheet_is_the_filled_in_self_scoring_table(outputs: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(outputs["xlsx"])["B 第一党支部"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][0] == "第一党支部（B）2024 年度党建目标管理责任制自评分表"
    assert rows[2] == list(HEADERS)
    by_item = {r[0]: r for r in rows[3:] if r[0]}
    heart = by_item["二(4) 谈心谈话"]
    assert heart[2:5] == [2, "达标得满分，未达标不得分", 0]
    assert heart[5] == "未达标。0 次"
    study = by_item["二(1) 党员学习天数"]
    assert study[4] == 6 and study[5].startswith(
        "达标。学习满 12 天的党员 1/1 人（100%）\n来源：<memory> 第 "
    )
    assert study[5].endswith("（共 13 行）")
    assert by_item["一(6) 党建经费列入预算"][4] == "不适用"
    assert by_item["组织建设（25 分）"][1] is None
    total = by_item["合计"]
    assert total[2] == 81 and total[4] == 79 and total[5] == "得分 97.5；等次 良好"


def test_vetoed_org_sheet_says_why(outputs: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(outputs["xlsx"])["T -直属党支部"]
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert total[5] == "得分 100.0；等次 不合格；一票否决：2024-03-01 重大失误和损失"


def test_many_orgs_get_a_sheet_per_top_level_unit_with_a_page_break_per_org(assessment, tmp_path: Path) -> None:
    path = write_self_assessment(assessment, tmp_path / "units.xlsx", per_org_sheets_max=3)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "C 机关党委", "T -直属党支部"]
    ws = wb["C 机关党委"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADERS)
    starts = [i for i, r in enumerate(rows) if r[0] and str(r[0]).endswith("自评分表")]
    assert [rows[i][0] for i in starts] == [
        f"{NAMES[o]}（{o}）2024 年度党建目标管理责任制自评分表" for o in ("B", "C", "G")
    ]
    assert [b.id for b in ws.row_breaks.brk] == starts[1:]  # a break before every org but the first
    assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
    assert ws.oddHeader.center.text == "机关党委（C）及所属党组织 2024 年度党建目标管理责任制自评分表"
    t = [r[0] for r in wb["T -直属党支部"].iter_rows(values_only=True) if r[0] and str(r[0]).endswith("自评分表")]
    assert t == ["-直属党支部（T）2024 年度党建目标管理责任制自评分表"]


def test_a_given_creation_time_gives_the_same_bytes_each_time(assessment, tmp_path: Path) -> None:
    created = datetime(2025, 1, 15, 9, 0, 0)
    first = write_self_assessment(assessment, tmp_path / "a.xlsx", created=created)
    second = write_self_assessment(assessment, tmp_path / "b.xlsx", created=created)
    assert first.read_bytes() == second.read_bytes()
    assert openpyxl.load_workbook(first).properties.created == created


def test_sheet_names_are_short_valid_and_unique() -> None:
    used: set[str] = set()
    long = sheet_name("000123", "某某市某某局机关第一党总支部第二党支部联合党支部", used)
    assert len(long) == 31 and long.startswith("000123 ")
    again = sheet_name("000123", "某某市某某局机关第一党总支部第二党支部联合党支部", used)
    assert again != long and len(again) == 31 and again.endswith("~2")
    assert sheet_name("a/b", "[x]:*?", used) == "a_b _x____"
    assert sheet_name("汇总", "", used) == "汇总~2"
    assert sheet_name("X", "", used) == "X" and sheet_name("x", "", used) == "x~2"


def test_explain_shows_status_measures_points_and_source_rows(assessment) -> None:
    text = explain_text(assessment, "B")
    assert "第一党支部（B，党支部）" in text
    assert "得分 97.5（实得 79 ÷ 适用分值 81 × 100）" in text
    assert "二(4) 谈心谈话" in text and "未达标" in text and "不适用" in text
    assert "来源：<memory> 第 145、146、147、148、149 行（共 24 行）" in text


def test_explain_unknown_org_is_a_clear_error(assessment) -> None:
    with pytest.raises(AssessError, match="组织编码 Z 不在组织名册中"):
        explain_text(assessment, "Z")


def test_write_csv_quotes_formulas_in_any_text_column(tmp_path: Path) -> None:
    from analysis.outputs import write_csv

    df = pl.DataFrame({"a": ["@SUM(A1)", "\tx", "ok", ""], "n": [-1, 2, 3, 4]})
    write_csv(df, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines() == ["a,n", "'@SUM(A1),-1", "'\tx,2", "ok,3", ",4"]
