"""``workbench term``'s files: terms.csv, the 任期自评分表 (xlsx) and the 任期考核自查报告 draft (docx), read
back with csv, openpyxl and python-docx; and the command with its real exit codes.

The registry is the little department of ``test_rules_helpers``: C 党委 (4-year term) ⊃ G 党总支 (3 years)
⊃ B 党支部, and T, a top-level 党支部 (2 years).  At 2024-12-31:

- T, elected 2023-03-01, is due 2025-03-01 (即将届满, 60 days left).  It does all its work in 2023 and 2024
  but holds no heart talk in 2023: 2023 scores 97.9 (95 of 97 points) with weight 306/365 = 0.8384, 2024
  scores 100; term score (0.8384 × 97.9 + 100) ÷ 1.8384 = 99.04 → 99.0, 良好 (a failed rule in 2023).
- G, elected 2020-01-10, was due 2023-01-10 (超期未换届); its branch B has an incident on 2024-03-02, so
  G's term is vetoed; the data begin in 2023, so 2020–2022 are not scored.
- C, elected 2022-01-05, is due 2026-01-05 (任期中); B has no election (无换届记录): no files for them.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from analysis import vocab
from analysis.outputs import write_term_files
from analysis.outputs.term_sheet import current_year_status
from analysis.outputs.term_word import DATA_HEADINGS
from analysis.store import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REJECTS_SCHEMA, Store, write_store
from analysis.terms import TERMS_CSV_COLUMNS, assess_terms
from tests.test_cli import workbench
from tests.test_terms import election, incident, perfect_years, store_with

D = date
AS_OF = D(2024, 12, 31)
T_FILE, G_FILE = "直属党支部_T", "第一党总支_G"


def department() -> Store:
    tables = perfect_years("T", (2023, 2024))
    tables["activities"] = [
        r for r in tables["activities"] if not (r["kind"] == "heart_talk" and r["date"].year == 2023)
    ]
    return store_with(
        [election("T", D(2023, 3, 1)), election("C", D(2022, 1, 5)), election("G", D(2020, 1, 10))],
        incidents=[incident("B", D(2024, 3, 2), "leader_disciplined")],
        **tables,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = department()
    out = tmp_path_factory.mktemp("term") / "out"
    files = write_term_files(assess_terms(store, AS_OF), store, out)
    assert [p.stem for p in files.sheets] == [G_FILE, T_FILE]  # overdue first
    assert [p.stem for p in files.reports] == [G_FILE, T_FILE]
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def sheet_rows(path: Path) -> dict[str, list]:
    """The xlsx rows by label: an item row (it has a clause) by its item name, any other by column A."""
    ws = load_workbook(path).active
    rows: dict[str, list] = {}
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        key = row[2] if i > 8 and row[1] is not None else row[0]
        if key is not None:
            rows.setdefault(str(key), list(row))
    return rows


def docx_tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in r.cells] for r in t.rows] for t in Document(str(path)).tables]


# ---------------------------------------------------------------------------------------------
# terms.csv
# ---------------------------------------------------------------------------------------------
def test_terms_csv_has_the_contract_columns_and_the_due_branch_row(written: Path) -> None:
    raw = (written / "terms.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese
    rows = read_csv(written / "terms.csv")
    assert list(rows[0]) == list(TERMS_CSV_COLUMNS)
    assert [r["org_id"] for r in rows] == ["B", "C", "G", "T"]
    t = next(r for r in rows if r["org_id"] == "T")
    assert t == {
        "org_id": "T", "name": "直属党支部", "org_type": "党支部", "parent_id": "",
        "term_start": "2023-03-01", "term_due": "2025-03-01", "term_status": "即将届满", "report_due": "true",
        "years_scored": "2023;2024", "year_weights": "0.8384;1", "year_scores": "97.9;100.0",
        "term_score": "99.0", "term_grade": "良好", "vetoed": "false", "veto_reasons": "",
        "cadre_training": "不适用", "failed_rules": "2023:edu.heart_talks", "term_years": "2",
        "days_left": "60", "years_unscored": "",
    }  # fmt: skip
    g = next(r for r in rows if r["org_id"] == "G")
    assert (g["term_status"], g["vetoed"], g["term_grade"]) == ("超期未换届", "true", "不合格")
    assert g["veto_reasons"] == "2024-03-02 领导班子成员受处分（下级组织 B）"


def test_no_files_for_orgs_that_do_not_owe_a_report(written: Path) -> None:
    assert {p.name for p in (written / vocab.TERM_SHEET_DIR).iterdir()} == {
        f"{G_FILE}.xlsx",
        f"{T_FILE}.xlsx",
    }
    assert {p.name for p in (written / vocab.TERM_REPORT_DIR).iterdir()} == {
        f"{G_FILE}.docx",
        f"{T_FILE}.docx",
    }


def test_no_term_folders_when_nobody_owes_a_report(tmp_path: Path) -> None:
    store = store_with([election("T", D(2024, 3, 1))], **perfect_years("T", (2024,)))
    files = write_term_files(assess_terms(store, AS_OF), store, tmp_path)
    assert (files.sheets, files.reports) == ([], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terms.csv"]


# ---------------------------------------------------------------------------------------------
# 任期自评分表.xlsx
# ---------------------------------------------------------------------------------------------
def test_term_sheet_holds_the_header_block_and_the_per_year_points(written: Path) -> None:
    wb = load_workbook(written / vocab.TERM_SHEET_DIR / f"{T_FILE}.xlsx")
    assert wb.sheetnames == ["任期自评分表"]
    ws = wb.active
    assert ws["A1"].value == "直属党支部任期党建工作责任制考核自评分表"
    assert [
        (ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 4).value, ws.cell(r, 5).value)
        for r in range(2, 7)
    ] == [
        ("组织名称", "直属党支部", "组织编码", "T"),
        ("组织类型", "党支部", "上级组织", "无（直属党组织）"),
        ("任期开始", "2023-03-01", "任期届满", "2025-03-01（任期 2 年）"),
        ("任期状态", "即将届满", "距届满天数", "60 天"),
        (
            "截止日期",
            "2024-12-31",
            "考核规则",
            "关于实行机关党的工作目标管理责任制的意见（常州市级机关工委，2009）",
        ),
    ]
    header = [c.value for c in ws[8]]
    assert header == [
        "类别", "条款", "考核项目", "标准分", "2023年\n实得分", "2024年\n实得分", "任期加权得分", "2024年状态", "说明",
    ]  # fmt: skip
    rows = sheet_rows(written / vocab.TERM_SHEET_DIR / f"{T_FILE}.xlsx")
    talks = rows["谈心谈话"]
    # 2 points, 0 earned in 2023, 2 in 2024: (0.8384 × 0 + 1 × 2) ÷ 1.8384 = 1.088 → 1.09
    assert talks[2:9] == ["谈心谈话", 2, 0, 2, 1.09, "达标", "1 次；要求：谈心谈话 ≥ 1 次"]
    assert rows["每月集中学习"][2:7] == ["每月集中学习", 8, 8, 8, 8]
    assert rows["届内党务干部培训"][4:8] == ["不适用", "不适用", "不适用", "不适用"]  # a branch has none
    assert rows["年度得分 / 任期得分"][4:7] == [97.9, 100, 99.0]
    assert rows["年度等次 / 任期等次"][4:7] == ["良好", "优秀", "良好"]
    assert rows["适用分值"][4:6] == [97, 97] and rows["实得分"][4:6] == [95, 97]
    assert rows["年度权重（任期内天数 ÷ 当年天数）"][4:6] == [pytest.approx(306 / 365), 1]
    assert rows["任期得分"][3] == "99.0（各考核年度得分按任期内天数加权平均）"
    assert rows["任期等次"][3] == "良好" and rows["一票否决（任期内）"][3] == "无"
    assert "未计分年度" not in rows


def test_term_sheet_number_formats_and_print_settings(written: Path) -> None:
    ws = load_workbook(written / vocab.TERM_SHEET_DIR / f"{T_FILE}.xlsx").active
    talks = next(r for r in ws.iter_rows(min_row=9) if r[2].value == "谈心谈话")
    assert [c.number_format for c in talks[3:7]] == ["0.0"] * 4
    weights = next(
        r for r in ws.iter_rows(min_row=9) if r[0].value and str(r[0].value).startswith("年度权重")
    )
    assert weights[4].number_format == "0.0000"
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation) == (9, "landscape")  # A4 landscape
    assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToHeight == 0  # one page wide, any length
    assert setup.fitToWidth in (None, 1)  # 1 is the default Excel leaves out
    assert ws.print_title_rows == "$8:$8"  # the header row on every page
    assert ws.freeze_panes == "E9"
    # rows with wrapped text carry their height (LibreOffice and WPS do not grow a row on opening)
    assert ws.row_dimensions[8].height == 2 * 12.75 + 3  # the two-line year headers
    assert (
        ws.row_dimensions[9].height == 3 * 12.75 + 3
    )  # 按时换届: its 说明 takes three lines of the 48 wide column
    assert ws.row_dimensions[13].height is None  # 党建经费列入预算: one line, the default height
    assert ws.oddHeader.center.text == "直属党支部任期自评分表"
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["C"] >= 2 * len("作风建设、案件通报（督查评分）")  # fitted to the longest Chinese item name
    assert widths["A"] < widths["C"]


def test_vetoed_overdue_term_sheet_names_the_veto_and_the_unscored_years(written: Path) -> None:
    rows = sheet_rows(written / vocab.TERM_SHEET_DIR / f"{G_FILE}.xlsx")
    assert rows["任期状态"][4] == "已过届满日期 721 天"
    assert rows["一票否决（任期内）"][3] == "2024-03-02 领导班子成员受处分（下级组织 B）（任期等次为不合格）"
    assert rows["任期等次"][3] == "不合格"
    assert rows["未计分年度"][3] == "2020年、2021年、2022年：数据中没有该年度的工作台账，未计分"
    cadre = next(
        r
        for r in load_workbook(written / vocab.TERM_SHEET_DIR / f"{G_FILE}.xlsx").active.iter_rows(
            values_only=True
        )
        if r[0] == "届内党务干部培训"
    )
    assert cadre[3].startswith("未达标：")


def test_mid_year_sheet_shows_the_pace_colours_of_the_current_year(tmp_path: Path) -> None:
    store = department()
    # 30 Sep: T's term is due within 6 months (1 Mar 2025), 2024 is not over
    files = write_term_files(assess_terms(store, D(2024, 9, 30)), store, tmp_path)
    path = next(p for p in files.sheets if p.stem == T_FILE)
    ws = load_workbook(path).active
    header = [c.value for c in ws[8]]
    assert header[4:] == [
        "2023年\n实得分",
        "任期加权得分",
        "2024年截至9月30日进度",
        "说明",
    ]  # 2024 not scored
    talks = next(r for r in ws.iter_rows(min_row=9) if r[2].value == "谈心谈话")
    assert (talks[4].value, talks[5].value, talks[6].value) == (0, 0, "绿")
    assert talks[7].value == "截至9月30日已完成 1 次，全年要求 1 次，已达到全年要求"
    assert talks[6].fill.fgColor.rgb == "FFC6EFCE"
    secretary = next(r for r in ws.iter_rows(min_row=9) if r[2].value == "书记配备")
    assert (secretary[6].value, secretary[7].value) == (
        "灰",
        "书记：张三（兼任）；组织名册中的登记项，不按进度预警",
    )


def test_due_term_without_a_scored_year_gets_files_without_year_columns(tmp_path: Path) -> None:
    # elected 2022-11-15, due 2024-11-15; the data hold only 2024, which is not over at 31 Oct
    store = store_with([election("T", D(2022, 11, 15))], **perfect_years("T", (2024,)))
    files = write_term_files(assess_terms(store, D(2024, 10, 31)), store, tmp_path)
    assert [p.stem for p in files.sheets] == [T_FILE]
    ws = load_workbook(files.sheets[0]).active
    assert [c.value for c in ws[8]] == [
        "类别",
        "条款",
        "考核项目",
        "标准分",
        "任期加权得分",
        "2024年截至10月31日进度",
        "说明",
    ]
    rows = sheet_rows(files.sheets[0])
    assert rows["谈心谈话"][4] == "不适用"  # no scored year in which it applied
    assert rows["任期得分"][3] == "暂无（任期内尚无计分的考核年度）"
    assert rows["未计分年度"][3] == "2022年、2023年：数据中没有该年度的工作台账，未计分"
    texts = [p.text for p in Document(str(files.reports[0])).paragraphs]
    assert "任期内尚无计分的考核年度（已结束且有工作台账的年度），暂无任期得分。" in texts


# ---------------------------------------------------------------------------------------------
# 任期考核报告.docx
# ---------------------------------------------------------------------------------------------
def test_term_report_has_the_title_and_the_headed_places_for_the_narrative(written: Path) -> None:
    doc = Document(str(written / vocab.TERM_REPORT_DIR / f"{T_FILE}.docx"))
    paragraphs = doc.paragraphs
    assert paragraphs[0].text == "直属党支部任期党建工作责任制考核自查报告"
    h1 = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    h2 = [p.text for p in paragraphs if p.style.name == "Heading 2"]
    assert h1 == list(vocab.TERM_REPORT_SECTIONS) and h2 == list(DATA_HEADINGS)
    placeholders = [p for p in paragraphs if p.text.startswith("【")]
    assert len(placeholders) == 3 and all(p.text.endswith("】") for p in placeholders)
    after = {paragraphs[i - 1].text: p.text for i, p in enumerate(paragraphs) if p in placeholders}
    assert set(after) == set(vocab.TERM_REPORT_SECTIONS)  # each narrative heading has its placeholder
    assert all(p.runs[0].font.highlight_color is not None for p in placeholders)


def test_term_report_tables_hold_the_numbers(written: Path) -> None:
    facts, years, rubric, failed = docx_tables(written / vocab.TERM_REPORT_DIR / f"{T_FILE}.docx")
    assert facts[2] == ["本届任期", "2023年3月1日起，任期 2 年", "应换届日期", "2025年3月1日"]
    assert facts[3] == ["任期状态", "即将届满", "距届满", "60 天"]
    assert years == [
        ["年度", "权重（任期内天数÷当年天数）", "得分", "等次", "未达标项目数"],
        ["2023年", "0.8384", "97.9", "良好", "1"],
        ["2024年", "1.0000", "100.0", "优秀", "0"],
        ["任期", "1.8384", "99.0", "良好", "1"],
    ]
    assert rubric[0] == ["类别", "考核项目", "标准分", "2023年", "2024年", "任期加权"]
    assert ["党员教育管理", "二(4) 谈心谈话", "2.0", "0.0", "2.0", "1.1"] in rubric
    assert ["党员教育管理", "二(1) 届内党务干部培训", "3.0", "不适用", "不适用", "不适用"] in rubric
    assert len(rubric) == 1 + 21
    assert failed == [
        ["年度", "考核项目", "实际情况", "考核要求", "得分/标准分"],
        ["2023年", "二(4) 谈心谈话", "0 次", "谈心谈话 ≥ 1 次", "0.0/2.0"],
    ]
    texts = [p.text for p in Document(str(written / vocab.TERM_REPORT_DIR / f"{T_FILE}.docx")).paragraphs]
    assert "一票否决：本届任期内（自2023年3月1日至2024年12月31日）本组织及下级组织均无一票否决事项。" in texts
    assert "届内党务干部培训：不适用。" in texts


def test_vetoed_term_report_lists_the_term_wide_failure_and_the_veto(written: Path) -> None:
    path = written / vocab.TERM_REPORT_DIR / f"{G_FILE}.docx"
    failed = docx_tables(path)[3]
    assert failed[-1][:2] == ["任期", "二(1) 届内党务干部培训"]
    texts = [p.text for p in Document(str(path)).paragraphs]
    assert (
        "一票否决：本届任期内（自2020年1月10日至2024年12月31日）有一票否决事项：2024-03-02 领导班子成员受处分（下级组织 B）。任期考核等次为不合格。"
        in texts
    )
    assert "2020年、2021年、2022年在任期内，但数据中没有该年度的工作台账，未计分。" in texts


def test_term_report_sets_east_asian_fonts_and_a4(written: Path) -> None:
    doc = Document(str(written / vocab.TERM_REPORT_DIR / f"{T_FILE}.docx"))
    east = {
        name: doc.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
        for name in ("Normal", "Heading 1", "Heading 2")
    }
    assert east == {"Normal": "仿宋", "Heading 1": "黑体", "Heading 2": "黑体"}
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert (
        round(s.top_margin.mm),
        round(s.bottom_margin.mm),
        round(s.left_margin.mm),
        round(s.right_margin.mm),
    ) == (37, 35, 28, 26)


# ---------------------------------------------------------------------------------------------
# The current year's column: its own function over a pace frame
# ---------------------------------------------------------------------------------------------
RULES = pl.DataFrame(
    {
        "org_id": ["T", "T"],
        "rule_id": ["edu.heart_talks", "org.secretary"],
        "status": ["fail", "pass"],
        "measured": ["0 次", "书记：张三（兼任）"],
        "required": ["谈心谈话 ≥ 1 次", ""],
    }
)


def test_current_year_status_without_pace_is_the_years_own_status() -> None:
    got = current_year_status(RULES, None)
    assert got.rows() == [
        ("T", "edu.heart_talks", "未达标", "fail", "0 次；要求：谈心谈话 ≥ 1 次"),
        ("T", "org.secretary", "达标", "pass", "书记：张三（兼任）"),
    ]


def test_current_year_status_takes_the_pace_colour_of_paced_rules() -> None:
    pace_frame = pl.DataFrame(
        {
            "org_id": ["T"], "rule_id": ["edu.heart_talks"], "colour": ["amber"], "colour_zh": ["黄"],
            "note": ["截至6月30日已完成 0 次，按进度应完成 0.5 次"],
        }
    )  # fmt: skip
    got = current_year_status(RULES, pace_frame)
    assert got.rows() == [
        ("T", "edu.heart_talks", "黄", "amber", "截至6月30日已完成 0 次，按进度应完成 0.5 次"),
        ("T", "org.secretary", "达标", "pass", "书记：张三（兼任）"),
    ]


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The department written to disk as an ingested store (what ``--store`` reads)."""
    mem = department()
    path = tmp_path_factory.mktemp("disk") / "store"
    tables = {name: lf.collect() for name, lf in mem.tables().items()}
    write_store(
        path,
        tables,
        pl.DataFrame(schema={"table": pl.String, **PROVENANCE_SCHEMA}),
        pl.DataFrame(schema=REJECTS_SCHEMA),
        pl.DataFrame(schema=MANIFEST_SCHEMA),
        {name: sorted(mem.columns_present(name)) for name in tables},
    )
    return path


def test_term_command_writes_the_files_and_summarises_in_chinese(disk_store: Path, tmp_path: Path) -> None:
    done = workbench("term", "--store", str(disk_store), "--as-of", "2024-12-31", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "任期状态（截至 2024-12-31" in out
    assert "超期未换届 1 个：第一党总支（G，应于 2023-01-10 换届，已超 721 天）" in out
    assert "应报送任期考核材料的组织（2 个" in out and "直属党支部" in out
    assert (tmp_path / vocab.TERM_SHEET_DIR / f"{T_FILE}.xlsx").is_file()
    assert (tmp_path / vocab.TERM_REPORT_DIR / f"{G_FILE}.docx").is_file()
    assert [r["org_id"] for r in read_csv(tmp_path / "terms.csv")] == ["B", "C", "G", "T"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2024-13-01"), "截止日期「2024-13-01」无法识别"),
        (("--as-of", "2024-12-31", "--due-within", "-1"), "--due-within 须为不小于 0 的月数（现为 -1）"),
        (("--as-of", "2024-12-31", "--data", "data/sample"), "--data 和 --store 只能选一个"),
    ],
)
def test_term_command_mistakes_exit_2_with_a_chinese_line(
    disk_store: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = workbench("term", "--store", str(disk_store), "--out", str(tmp_path / "out"), *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "terms.csv").exists()
