"""The assessment cycle with the orgs (issue 18): self-scores in (every format, and the workbench's own
自评分表 returned), the self-check and the spot-check list, templates, to-do notices and submission
completeness — each test on small data it builds itself."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from analysis.assess import assess
from analysis.decisions.selfcheck import (
    SELFCHECK_COLUMNS,
    SPOTCHECK_COLUMNS,
    assess_self_scores,
    spot_check,
)
from analysis.ingest import ingest
from analysis.outputs.excel import write_self_assessment
from analysis.store import Store
from analysis.vocab import ACTIVITY_KIND_ZH
from tests.test_rules_helpers import make_store, orgs_frame, perfect_store, perfect_year

ORG_IDS = ["C", "G", "B", "T"]


def cycle_store(claims: list[dict[str, Any]], style_score: float = 4.0) -> Store:
    """Every org of the default registry with a perfect year, except 督查评分 manual.style = ``style_score``
    (of 6), and the self-scores ``claims`` (org_id, item, score; year 2024)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for o in ORG_IDS:
        for name, rows in perfect_year(o).items():
            tables.setdefault(name, []).extend(rows)
    for r in tables["inspections"]:
        if r["item"] == "manual.style":
            r["score"] = style_score
    orgs = orgs_frame(**{o: {"member_count": 1, "mid_cadres": 3} for o in ORG_IDS})
    activities = tables.pop("activities")
    self_scores = pl.DataFrame(
        [{"year": 2024, **c} for c in claims], schema={"org_id": pl.String, "item": pl.String, "score": pl.Float64, "year": pl.Int64}
    )
    return make_store(orgs=orgs, activities=activities, self_scores=self_scores, **tables)


# ---------------------------------------------------------------------------------------------
# Self-check: flags at the tolerance, items by id or name, claims that cannot be checked.
# ---------------------------------------------------------------------------------------------
def test_selfcheck_flags_each_side_of_the_tolerance_boundary() -> None:
    claims = [
        {"org_id": "C", "item": "manual.style", "score": 4.5},  # gap +0.5: within
        {"org_id": "G", "item": "manual.style", "score": 4.51},  # +0.51: over
        {"org_id": "B", "item": "manual.style", "score": 3.5},  # -0.5: within
        {"org_id": "T", "item": "manual.style", "score": 3.49},  # -0.51: under
    ]
    st = cycle_store(claims)
    result = assess_self_scores(st, assess(st, 2024))
    assert result is not None
    check = result["selfcheck"]
    assert check.columns == list(SELFCHECK_COLUMNS)
    assert check.select("org_id", "item", "claimed", "computed", "gap", "flag").rows() == [
        ("B", "manual.style", 3.5, 4.0, -0.5, "一致"),
        ("C", "manual.style", 4.5, 4.0, 0.5, "一致"),
        ("G", "manual.style", 4.51, 4.0, 0.51, "多报"),
        ("T", "manual.style", 3.49, 4.0, -0.51, "少报"),
    ]
    assert check["title"].unique().to_list() == ["作风建设、案件通报（督查评分）"]
    assert check["evidence"][0].startswith("达标。督查评分 4；来源：<memory>")


def test_selfcheck_tolerance_is_a_setting() -> None:
    st = cycle_store([{"org_id": "C", "item": "manual.style", "score": 4.5}])
    result = assess_self_scores(st, assess(st, 2024), {"tolerance": 0.25})
    assert result is not None
    assert result["selfcheck"]["flag"].to_list() == ["多报"]


def test_claimed_items_are_read_as_rule_id_chinese_name_or_sheet_item_text() -> None:
    st = cycle_store(
        [
            {"org_id": "C", "item": "org.annual_plan", "score": 4.0},
            {"org_id": "G", "item": "年度计划和总结", "score": 4.0},
            {"org_id": "T", "item": "一(3) 年度计划和总结", "score": 4.0},
        ]
    )
    result = assess_self_scores(st, assess(st, 2024))
    assert result is not None
    assert result["selfcheck"].select("org_id", "item", "flag").rows() == [
        ("C", "org.annual_plan", "一致"),
        ("G", "org.annual_plan", "一致"),
        ("T", "org.annual_plan", "一致"),
    ]
    assert result["refused"].height == 0


def test_claims_with_unknown_item_too_many_points_or_an_item_not_applicable_are_refused_with_reasons() -> None:
    st = cycle_store(
        [
            {"org_id": "C", "item": "不存在的项目", "score": 1.0},
            {"org_id": "G", "item": "manual.style", "score": 6.5},  # the item has 6 points
            {"org_id": "B", "item": "edu.cadre_training", "score": 2.0},  # committees and general branches only
            {"org_id": "T", "item": "manual.style", "score": 6.0},
        ]
    )
    result = assess_self_scores(st, assess(st, 2024))
    assert result is not None
    assert result["refused"].select("org_id", "item", "score", "reason").rows() == [
        ("C", "不存在的项目", 1.0, "评分项“不存在的项目”不在规则集“changzhou-2009”中（应填写规则编号或自评分表中的项目名称）"),
        ("G", "manual.style", 6.5, "自评得分 6.5 超过该项分值 6"),
        ("B", "edu.cadre_training", 2.0, "该项对本组织不适用，不计分"),
    ]
    assert result["selfcheck"].select("org_id", "item", "flag").rows() == [("T", "manual.style", "多报")]


def test_no_self_check_without_self_scores_of_the_year() -> None:
    st = perfect_store(["T"])
    assert assess_self_scores(st, assess(st, 2024)) is None
    st = cycle_store([{"org_id": "T", "item": "manual.style", "score": 6.0}])
    assert assess_self_scores(st, assess(st, 2023)) is None


# ---------------------------------------------------------------------------------------------
# The spot-check list.
# ---------------------------------------------------------------------------------------------
def org_claims_frame(n_rest: int) -> pl.DataFrame:
    """Per-org claims as :func:`org_claims` gives them: X1 claims exactly 5 points too many, X2 4.9,
    X3 changes its grade with 0.2, and ``n_rest`` orgs R00… claim what they have."""
    rows = [
        ("X1", 90.0, 85.0, "良好", "良好"),
        ("X2", 89.9, 85.0, "良好", "良好"),
        ("X3", 90.1, 89.9, "良好", "优秀"),
    ] + [(f"R{i:02d}", 80.0, 80.0, "合格", "合格") for i in range(n_rest)]
    return pl.DataFrame(
        [
            {"org_id": o, "name": f"{o}支部", "claimed_score": c, "computed_score": k, "gap": round(c - k, 1),
             "grade": g, "claimed_grade": cg, "overclaim": 0.0, "items": 1}
            for o, c, k, g, cg in rows
        ]
    )


def test_spot_check_lists_inflated_and_grade_changing_orgs_then_a_seeded_tenth_of_the_rest() -> None:
    claims = org_claims_frame(18)  # X2 and 18 others remain: 10% of 19 is 1.9, rounded up to 2
    spot = spot_check(claims, overclaim_points=5.0, spot_share=0.10, seed=7)
    assert spot.columns == list(SPOTCHECK_COLUMNS)
    assert spot.head(2).select("org_id", "gap", "reason").rows() == [("X1", 5.0, "自评虚高"), ("X3", 0.2, "等次变化")]
    drawn = spot.slice(2)
    assert drawn.height == 2
    assert drawn["reason"].to_list() == ["随机抽取（随机种子 7）"] * 2
    assert set(drawn["org_id"]) <= {"X2", *(f"R{i:02d}" for i in range(18))}
    assert drawn["org_id"].to_list() == sorted(drawn["org_id"])


def test_spot_check_draw_is_the_same_for_a_seed_whatever_the_row_order() -> None:
    claims = org_claims_frame(30)
    first = spot_check(claims, seed=11)
    again = spot_check(claims.reverse(), seed=11)
    assert first.equals(again)
    draws = {tuple(spot_check(claims, seed=s).slice(2)["org_id"]) for s in range(5)}
    assert len(draws) > 1  # the seed decides the draw


def test_spot_check_share_zero_lists_only_the_orgs_the_rules_name() -> None:
    spot = spot_check(org_claims_frame(10), spot_share=0.0)
    assert spot["org_id"].to_list() == ["X1", "X3"]


def test_org_claims_rescale_the_claimed_score_like_the_computed_one() -> None:
    # manual.style earns 4 of 6: C 90 of 92 applicable points (97.8), T 95 of 97 (97.9); T claims the 2
    # points back (97 of 97 = 100), C claims what it has
    st = cycle_store([{"org_id": "T", "item": "manual.style", "score": 6.0}, {"org_id": "C", "item": "manual.style", "score": 4.0}])
    result = assess_self_scores(st, assess(st, 2024))
    assert result is not None
    assert result["claims"].select("org_id", "claimed_score", "computed_score", "gap", "overclaim", "grade", "claimed_grade").rows() == [
        ("C", 97.8, 97.8, 0.0, 0.0, "优秀", "优秀"),
        ("T", 100.0, 97.9, 2.1, 2.0, "优秀", "优秀"),
    ]


def test_a_claim_that_turns_a_failed_item_into_full_points_changes_the_grade_and_lists_the_org() -> None:
    # manual.style 0 of 6 fails (needs 60%): T has 91 of 97 (93.8) with a failed item, so 良好; its claim
    # of full points would make it 优秀
    st = cycle_store([{"org_id": "T", "item": "manual.style", "score": 6.0}], style_score=0.0)
    result = assess_self_scores(st, assess(st, 2024), {"spot_share": 0.0})
    assert result is not None
    assert result["claims"].select("org_id", "claimed_score", "computed_score", "grade", "claimed_grade").rows() == [
        ("T", 100.0, 93.8, "良好", "优秀")
    ]
    assert result["spotcheck"].rows() == [("T", "直属党支部", 100.0, 93.8, 6.2, "自评虚高；等次变化")]


# ---------------------------------------------------------------------------------------------
# Self-scores in: a table in any format, and the workbench's own 自评分表 returned.
# ---------------------------------------------------------------------------------------------
REGISTRY_CSV = "组织编码,组织名称,组织类型,上级组织编码\nC,机关党委,党委,\nG,第一党总支,党总支,C\nB,第一党支部,党支部,G\nT,直属党支部,党支部,\n"
STYLE_ITEM = "三(1)(4) 作风建设、案件通报（督查评分）"


def returned_workbook(tmp_path: Path, per_org_sheets_max: int) -> Path:
    """The 自评分表 of :func:`cycle_store` as T returns it: 自查得分 of 作风建设 changed to 6, the 按时换届
    cell emptied (claims nothing); every other item keeps the computed points the workbench filled in."""
    st = cycle_store([])
    path = write_self_assessment(assess(st, 2024), tmp_path / "自评分表.xlsx", per_org_sheets_max=per_org_sheets_max)
    wb = openpyxl.load_workbook(path)
    in_t = False
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            text = str(row[0].value or "")
            if text.endswith("年度党建目标管理责任制自评分表"):  # an org's title line
                in_t = text.startswith("直属党支部（T）")
            if in_t and text == STYLE_ITEM:
                row[4].value = 6
            if in_t and text.endswith("按时换届"):
                row[4].value = None
    wb.save(path)
    return path


@pytest.mark.parametrize("per_org_sheets_max", [100, 0], ids=["sheet-per-org", "sheet-per-unit"])
def test_returned_self_assessment_workbook_is_read_as_the_self_scores_table(tmp_path: Path, per_org_sheets_max: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "组织.csv").write_text(REGISTRY_CSV, encoding="utf-8")
    returned_workbook(folder, per_org_sheets_max)
    result = ingest([folder], tmp_path / "store")
    st = Store.open(tmp_path / "store")
    rows = st.table("self_scores").collect()
    assert st.rejects().height == 0
    assert st.table("orgs").collect()["org_id"].sort().to_list() == ["B", "C", "G", "T"]  # not the 汇总 sheet
    per_org = dict(rows.group_by("org_id").len().sort("org_id").rows())
    # 20 items apply to the top-level orgs, 16 below them (不适用 claims nothing); T emptied 按时换届
    assert per_org == {"B": 16, "C": 20, "G": 16, "T": 19}
    t = rows.filter(pl.col("org_id") == "T")
    assert set(t["year"]) == {2024}
    # text is kept NFKC-normalised, as every text cell is: the full-width brackets become ( )
    assert t.filter(pl.col("item") == unicodedata.normalize("NFKC", STYLE_ITEM))["score"].to_list() == [6.0]
    assert t.filter(pl.col("item").str.ends_with("按时换届")).height == 0
    assert result.totals["rows_refused"] == 0
    # and the self-check, with the evidence beside them, reads them: only T's 作风建设 is claimed above
    # what it earned (4 of 6)
    with_evidence = cycle_store(rows.select("org_id", "item", "score").to_dicts())
    check = assess_self_scores(with_evidence, assess(with_evidence, 2024))
    assert check is not None
    assert check["selfcheck"].filter(pl.col("flag") != "一致").select("org_id", "item", "gap", "flag").rows() == [
        ("T", "manual.style", 2.0, "多报")
    ]


def test_self_scores_csv_with_a_negative_score_or_an_unknown_org_is_refused_at_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "组织.csv").write_text(REGISTRY_CSV, encoding="utf-8")
    (folder / "自评.csv").write_text(
        "组织编码,年度,评分项,自评得分\nT,2024,manual.style,5\nT,2024,edu.dues,-1\nX,2024,edu.dues,3\n", encoding="utf-8"
    )
    ingest([folder], tmp_path / "store")
    st = Store.open(tmp_path / "store")
    assert st.table("self_scores").collect().select("org_id", "item", "score").rows() == [("T", "manual.style", 5.0)]
    rejects = st.rejects().filter(pl.col("table") == "self_scores")
    assert rejects.select("_row", "column", "reason_code").sort("_row").rows() == [(3, "score", "negative"), (4, "org_id", "unknown_org")]


def test_assess_writes_selfcheck_and_spotcheck_csv_only_when_the_data_has_self_scores(tmp_path: Path) -> None:
    from analysis.cli_assess import run_assessment

    st = cycle_store([{"org_id": "T", "item": "manual.style", "score": 6.0}, {"org_id": "C", "item": "不存在", "score": 1.0}])
    run_assessment(st, 2024, tmp_path / "with", overrides={"seed": 3}, spot_share=1.0)
    check = pl.read_csv(tmp_path / "with" / "selfcheck.csv", infer_schema_length=0)
    assert check.columns == ["org_id", "item", "claimed", "computed", "gap", "flag", "title", "evidence"]
    assert check.select("org_id", "item", "claimed", "computed", "gap", "flag").rows() == [
        ("T", "manual.style", "6.0", "4.0", "2.0", "多报")
    ]
    spot = pl.read_csv(tmp_path / "with" / "spotcheck.csv", infer_schema_length=0)
    assert spot.columns == ["org_id", "name", "claimed_score", "computed_score", "gap", "reason"]
    assert spot.rows() == [("T", "直属党支部", "100.0", "97.9", "2.1", "随机抽取（随机种子 3）")]
    refused = pl.read_csv(tmp_path / "with" / "selfcheck_refused.csv", infer_schema_length=0)
    assert refused.select("org_id", "item").rows() == [("C", "不存在")]

    run_assessment(perfect_store(["T"]), 2024, tmp_path / "without")
    assert not (tmp_path / "without" / "selfcheck.csv").exists()
    assert not (tmp_path / "without" / "spotcheck.csv").exists()


# ---------------------------------------------------------------------------------------------
# 台账模板: written, filled in with openpyxl, ingested.
# ---------------------------------------------------------------------------------------------
def registry() -> pl.DataFrame:
    return orgs_frame()


def write_unit_templates(tmp_path: Path) -> dict[str, Path]:
    from analysis.outputs.templates import write_templates
    from analysis.rules import load_ruleset

    paths = write_templates(registry(), 2024, tmp_path / "templates", load_ruleset("changzhou-2009"))
    return {p.name: p for p in paths}


def test_one_template_per_top_level_org_with_a_sheet_per_table_and_nothing_below_the_headers(tmp_path: Path) -> None:
    paths = write_unit_templates(tmp_path)
    assert sorted(paths) == ["机关党委_C.xlsx", "直属党支部_T.xlsx"]
    wb = openpyxl.load_workbook(paths["机关党委_C.xlsx"])
    assert wb.sheetnames == ["填写说明", "活动记录", "党员学习", "党费", "换届", "党务工作者", "选项"]
    assert wb["选项"].sheet_state == "hidden"
    assert [c.value for c in wb["活动记录"][1]] == ["组织编码", "活动日期", "活动类型", "主题", "参加人数", "有记录", "政治理论", "签订人数"]
    assert [c.value for c in wb["党费"][1]] == ["组织编码", "月份", "应交金额", "实交金额", "上交日期"]
    for name in ("活动记录", "党员学习", "党费", "换届", "党务工作者"):
        ws = wb[name]
        assert ws.max_row == 1, name
        assert ws.freeze_panes == "A2", name
    guide = wb["填写说明"]
    assert guide["A1"].value == "机关党委（C）2024 年度党建工作台账填写模板"
    texts = [str(c.value) for row in guide.iter_rows() for c in row if c.value is not None]
    assert "用于考核项目：二(1) 党员学习天数" in texts  # the study table's rule
    assert any(t.startswith("示例（一行）：组织编码 B｜活动日期 2024-03-05｜活动类型 支委会") for t in texts)
    # the unit's own orgs, with their names, beside the codes the drop-down offers
    assert [wb["选项"].cell(r, 1).value for r in range(2, 5)] == ["B", "C", "G"]
    assert [wb["选项"].cell(r, 2).value for r in range(2, 5)] == ["第一党支部", "机关党委", "第一党总支"]


def test_template_drop_downs_sit_on_the_right_columns_with_the_units_codes(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_unit_templates(tmp_path)["机关党委_C.xlsx"])
    lists = {
        name: {str(dv.sqref): dv.formula1 for dv in wb[name].data_validations.dataValidation if dv.type == "list"}
        for name in ("活动记录", "换届", "党务工作者")
    }
    assert lists["活动记录"] == {
        "A2:A2001": "'选项'!$A$2:$A$4",  # 组织编码: B, C, G
        "C2:C2001": f"'选项'!$C$2:$C${len(ACTIVITY_KIND_ZH) + 1}",  # 活动类型: every kind
        "F2:F2001": "'选项'!$D$2:$D$3",  # 有记录: 是/否
        "G2:G2001": "'选项'!$D$2:$D$3",  # 政治理论
    }
    assert lists["换届"] == {"A2:A2001": "'选项'!$A$2:$A$4", "C2:C2001": "'选项'!$D$2:$D$3"}
    assert lists["党务工作者"] == {"C2:C2001": "'选项'!$A$2:$A$4", "D2:D2001": "'选项'!$E$2:$E$9", "F2:F2001": "'选项'!$F$2:$F$3"}
    options = wb["选项"]
    assert [options.cell(r, 3).value for r in range(2, len(ACTIVITY_KIND_ZH) + 2)] == list(ACTIVITY_KIND_ZH.values())
    assert [options.cell(r, 4).value for r in (2, 3)] == ["是", "否"]
    t = openpyxl.load_workbook(write_unit_templates(tmp_path)["直属党支部_T.xlsx"])
    assert [dv.formula1 for dv in t["活动记录"].data_validations.dataValidation if str(dv.sqref) == "A2:A2001"] == ["'选项'!$A$2:$A$2"]
    # codes are text cells, dates date cells, by column format
    acts = wb["活动记录"]
    assert (acts.column_dimensions["A"].number_format, acts.column_dimensions["B"].number_format) == ("@", "yyyy-mm-dd")
    assert wb["党费"].column_dimensions["B"].number_format == "yyyy-mm"


def test_a_filled_in_template_ingests_with_no_profile_and_refuses_only_another_units_code(tmp_path: Path) -> None:
    path = write_unit_templates(tmp_path)["机关党委_C.xlsx"]
    wb = openpyxl.load_workbook(path)
    acts = wb["活动记录"]
    acts.append(["C", datetime(2024, 3, 5), "支委会", "研究三月份党建工作", 7, "是", None, None])
    acts.append(["B", "2024年4月1日", "党课", None, 20, "是", None, None])
    acts.append(["T", datetime(2024, 4, 2), "党课", None, 5, "是", None, None])  # 直属党支部 is another unit
    acts.append(["G", datetime(2024, 5, 6), "集中学习", "理论学习", 9, "是", "是", None])
    wb["党员学习"].append(["000123", "B", datetime(2024, 4, 10), 0.5, "专题学习"])
    wb["党费"].append(["C", datetime(2024, 3, 1), 100, 100, datetime(2024, 3, 28)])
    for ws in (wb["党员学习"], wb["党费"]):
        ws.cell(2, 1).number_format = "@"
    wb.save(path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "组织.csv").write_text(REGISTRY_CSV, encoding="utf-8")
    path.rename(folder / path.name)
    result = ingest([folder], tmp_path / "store")
    st = Store.open(tmp_path / "store")
    assert st.table("activities").collect().select("org_id", "date", "kind", "political_theory").sort("date").rows() == [
        ("C", date(2024, 3, 5), "committee_meeting", False),  # an empty 政治理论 is 否
        ("B", date(2024, 4, 1), "party_lecture", False),
        ("G", date(2024, 5, 6), "group_study", True),
    ]
    assert st.table("study").collect().select("member_id", "org_id", "days").rows() == [("000123", "B", 0.5)]
    assert st.table("dues").collect().select("org_id", "month", "paid").rows() == [("C", date(2024, 3, 1), 100.0)]
    rejects = st.rejects()
    assert rejects.select("table", "_sheet", "_row", "column", "value", "reason_code").rows() == [
        ("activities", "活动记录", 4, "org_id", "T", "other_unit")
    ]
    assert rejects["reason_zh"][0] == "【组织编码】不是本台账模板所属单位的组织编码（模板只收本单位各党组织的记录）"
    assert result.totals["files_refused"] == 0


# ---------------------------------------------------------------------------------------------
# 待办事项: an org behind pace at 30 June, and last year's weak org followed up.
# ---------------------------------------------------------------------------------------------
def behind_store() -> Store:
    """T's perfect year up to 30 June 2024, except that it held its committee meeting of January only
    and two of its 信息报送 (Jan, Feb); in 2023 it had 督查评分 and nothing else (graded 不合格)."""
    cut = date(2024, 6, 30)
    t = perfect_year("T")
    acts = [
        r for r in t["activities"]
        if r["date"] <= cut
        and not (r["kind"] == "committee_meeting" and r["date"].month > 1)
        and not (r["kind"] == "info_submission" and r["date"].month > 2)
    ]  # fmt: skip
    tables = {k: [r for r in v if (r.get("date") or r.get("month")) <= cut] for k, v in t.items() if k in ("study", "dues")}
    tables["inspections"] = t["inspections"] + [{**r, "year": 2023} for r in t["inspections"]]
    tables["elections"] = t["elections"]
    orgs = orgs_frame([{"org_id": "T", "name": "直属党支部", "org_type": "branch", "parent_id": None}], T={"member_count": 1, "mid_cadres": 3})
    return make_store(orgs=orgs, activities=acts, **tables)


def todo_sheet(tmp_path: Path) -> list[tuple[Any, ...]]:
    from analysis.cli_cycle import run_todo
    from analysis.decisions import pace

    st = behind_store()
    a = assess(st, 2024, as_of="2024-06-30")
    written: list[Path] = []
    line = run_todo(st, a, tmp_path, pace(st, a), written)
    assert written == [tmp_path / "待办事项.xlsx"]
    assert line == "待办事项：1 个组织尚有 11 项本年度要求未完成；1 个去年的后进组织列入整改跟踪，见 待办事项.xlsx（每个直属党组织一张表）。"
    wb = openpyxl.load_workbook(written[0])
    assert wb.sheetnames == ["T 直属党支部"]
    return [tuple(c.value for c in row) for row in wb["T 直属党支部"].iter_rows()]


def test_todo_sheet_says_what_an_org_behind_pace_still_owes_and_by_when(tmp_path: Path) -> None:
    rows = todo_sheet(tmp_path)
    assert rows[0][0] == "直属党支部（T）2024 年度党建工作待办事项（截至 2024-06-30）"
    assert rows[3] == ("组织编码", "组织名称", "考核项目", "预警", "待办事项", "截止日期", "已完成", "全年要求", "说明")
    body = {r[2]: r[3:8] for r in rows[4:15]}
    assert body["委员会议"] == ("红", "全年已无法达标，仍须补做；尚未完成：7-8月、9-10月、11-12月", "2024年8月31日", 1, 5)
    assert body["民主生活会"] == ("黄", "还差 1（全年要求 1，已完成 0）", "2024年12月31日", 0, 1)
    assert body["信息报送"] == ("绿", "还差 1（全年要求 3，已完成 2）", "2024年12月31日", 2, 3)
    assert body["党费收缴"] == ("绿", "尚未完成：7月、8月、9月、10月、11月、12月", "2024年8月31日", 6, 12)
    assert body["年度计划和总结"] == ("绿", "尚未完成：年度总结", "2025年1月31日", 1, 2)
    assert [r[3] for r in rows[4:15]] == ["红", "黄", "黄"] + ["绿"] * 8  # worst first
    assert len(body) == 11 and rows[15] == (None,) * 9


def test_todo_sheet_follows_up_last_years_weak_org_reason_by_reason(tmp_path: Path) -> None:
    rows = todo_sheet(tmp_path)
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("整改跟踪"))
    assert rows[start][0] == "整改跟踪：2023 年列入后进名单的组织（去年的原因目前是否仍存在）"
    assert rows[start + 1][:5] == ("组织编码", "组织名称", "去年原因", "目前情况", "说明")
    follow = [r[:5] for r in rows[start + 2:]]
    assert [r[2:4] for r in follow] == [
        ("考核不合格", "仍存在"),
        ("多项规则未达标", "仍存在"),
        ("会议次数不足", "仍存在"),
    ]
    assert follow[2][4] == "已无法全年达标：委员会议"
    assert follow[0][4].startswith("已无法全年达标：委员会议；落后于进度：民主生活会")


# ---------------------------------------------------------------------------------------------
# 报送完整性.
# ---------------------------------------------------------------------------------------------
def test_completeness_tells_an_org_that_sent_nothing_in_march_from_one_that_sent_everything() -> None:
    from analysis.views import completeness_table, submission_completeness

    rows = {k: v for k, v in perfect_year("T").items()}
    g = perfect_year("G")
    no_march = {k: [r for r in v if (r.get("date") or r.get("month") or date(2024, 1, 1)).month != 3] for k, v in g.items()}
    # T: every table every month.  G: nothing at all in March; in May no dues
    no_march["dues"] = [r for r in no_march["dues"] if r["month"].month != 5]
    tables = {k: rows[k] + no_march[k] for k in ("study", "dues")}
    orgs = orgs_frame(**{o: {"member_count": 1} for o in ORG_IDS})
    st = make_store(orgs=orgs, activities=rows["activities"] + no_march["activities"], **tables)
    per_org, months = submission_completeness(st, 2024)
    g_march = months.filter((pl.col("org_id") == "G") & (pl.col("month") == 3))
    assert g_march.select("activities", "study", "dues", "sent", "state").rows() == [(False, False, False, 0, "未报送")]
    assert months.filter((pl.col("org_id") == "G") & (pl.col("month") == 5))["state"].to_list() == ["部分报送"]
    assert months.filter(pl.col("org_id") == "T")["state"].unique().to_list() == ["全部报送"]
    by_org = {r["org_id"]: r for r in per_org.iter_rows(named=True)}
    assert (by_org["G"]["completeness"], by_org["G"]["months_full"], by_org["G"]["months_partial"], by_org["G"]["months_none"]) == (
        round(32 / 36, 4), 10, 1, 1,
    )
    assert by_org["G"]["missing"] == "3月：全部；5月：党费"
    assert by_org["G"]["flag"] == "未完整报送" and by_org["T"]["flag"] == ""
    assert (by_org["C"]["completeness"], by_org["C"]["months_none"]) == (0.0, 12)  # C sent nothing at all
    assert per_org["org_id"].to_list()[:2] == ["B", "C"]  # least complete first (0%, by code)
    shown = completeness_table(per_org)
    assert shown.columns[:3] == ["组织编码", "组织名称", "报送完整率"]
    assert shown.filter(pl.col("组织编码") == "G")["报送完整率"].to_list() == ["88.9%"]
    assert "T" not in shown["组织编码"].to_list()


def test_completeness_heatmap_draws_the_incomplete_orgs_by_month_without_overlaps() -> None:
    from analysis import charts
    from analysis.views import submission_completeness

    g = perfect_year("G")
    no_march = {k: [r for r in v if (r.get("date") or r.get("month") or date(2024, 1, 1)).month != 3] for k, v in g.items()}
    st = make_store(orgs=orgs_frame(), activities=no_march["activities"], study=no_march["study"], dues=no_march["dues"])
    per_org, months = submission_completeness(st, 2024)
    chart = charts.completeness_heatmap(per_org, months, note="数据来源：测试")
    rows = chart.to_dict()["data"]["values"]
    assert {r["_label"] for r in rows} == {"机关党委", "第一党总支", "第一党支部", "直属党支部"}
    assert {r["state"] for r in rows if r["_label"] == "第一党总支" and r["month_zh"] == "3月"} == {"未报送"}
    assert charts.layout(chart).problems() == []


# ---------------------------------------------------------------------------------------------
# The 自评核查 report: a real papermill run, only when the data holds self-scores.
# ---------------------------------------------------------------------------------------------
def self_check_store(tmp_path: Path, with_self_scores: bool) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "组织.csv").write_text(REGISTRY_CSV, encoding="utf-8")
    (folder / "督查评分.csv").write_text("组织编码,年度,评分项,得分\nT,2024,manual.style,4\nC,2024,manual.style,6\n", encoding="utf-8")
    if with_self_scores:
        (folder / "自评.csv").write_text(
            "组织编码,年度,评分项,自评得分\nT,2024,manual.style,6\nC,2024,作风建设、案件通报（督查评分）,6\nC,2024,edu.dues,4\n",
            encoding="utf-8",
        )
    ingest([folder], tmp_path / "store")
    return tmp_path / "store"


def test_self_check_report_shows_the_overclaimed_items_and_the_spot_check_list(tmp_path: Path) -> None:
    from analysis.reports import REPORTS, run_reports

    chosen = [r for r in REPORTS if r.title == "自评核查"]
    run = run_reports(self_check_store(tmp_path, True), 2024, tmp_path / "out", reports=chosen, progress=False, workers=1)
    assert run.ok, [f.describe() for f in run.failures]
    page = (tmp_path / "out" / "自评核查.html").read_text(encoding="utf-8")
    assert "共 <strong>2</strong> 个组织报送了自评得分，共 2 项：多报 <strong>1</strong> 项、少报 0 项、一致 1 项。" in page
    assert "随机种子 20090819" in page
    assert "直属党支部" in page and "作风建设、案件通报（督查评分）" in page
    assert "该项对本组织无数据，不计分" in page  # C's 党费收缴: no dues table in the data
    assert (tmp_path / "out" / "charts" / "自评核查" / "自评总分与核定总分.png").exists()


def test_self_check_report_is_not_run_without_self_scores(tmp_path: Path) -> None:
    from analysis.reports import REPORTS, run_reports

    chosen = [r for r in REPORTS if r.title == "自评核查"]
    run = run_reports(self_check_store(tmp_path, False), 2024, tmp_path / "out", reports=chosen, progress=False, workers=1)
    assert run.ok and run.outputs == []
    assert not (tmp_path / "out" / "自评核查.html").exists()


# ---------------------------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------------------------
def test_template_command_writes_a_workbook_per_unit_and_says_so(tmp_path: Path) -> None:
    from tests.test_cli import workbench

    store = self_check_store(tmp_path, False)
    done = workbench("template", "--store", str(store), "--year", "2024", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "已为 2 个直属党组织生成 2024 年度台账模板（工作表：填写说明、活动记录、党员学习、党费、换届、党务工作者）" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.xlsx")) == ["机关党委_C.xlsx", "直属党支部_T.xlsx"]


def test_template_command_without_a_registry_and_a_bad_spot_share_are_user_errors(tmp_path: Path) -> None:
    from tests.test_cli import workbench

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "自评.json").write_text(
        '[{"org_id": "T", "year": 2024, "item": "manual.style", "self_score": 6}]', encoding="utf-8"
    )
    ingest([folder], tmp_path / "store")
    done = workbench("template", "--store", str(tmp_path / "store"), "--year", "2024", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "数据中没有组织名册，无法生成台账模板：请先导入组织名册" in done.stderr
    # English headers (self_score) are read as 自评得分 too; T is not in any registry
    rejects = Store.open(tmp_path / "store").rejects()
    assert rejects.select("table", "reason_code").rows() == [("self_scores", "unknown_org")]
    done = workbench("assess", "--store", str(tmp_path / "store"), "--year", "2024", "--out", str(tmp_path / "a"), "--spot-share", "1.5")
    assert done.returncode == 2
    assert "--spot-share 应在 0 到 1 之间（例：0.1 即 10%），收到 1.5" in done.stderr
