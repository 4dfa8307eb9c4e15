"""The `workbench` command as a user runs it: real processes, real exit codes, Chinese messages."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len

from tests.test_cli_words import RULE_IDS

ROOT = Path(__file__).resolve().parents[1]


def workbench(*args: str, cwd: Path = ROOT, columns: int = 200) -> subprocess.CompletedProcess[str]:
    home = Path(tempfile.mkdtemp(prefix="workbench-home-"))  # kernels write their settings under HOME
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=cwd, check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "HOME": str(home)},
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assess") / "out"
    done = workbench("assess", "--data", str(ROOT / "data" / "sample"), "--year", "2024", "--out", str(out), "--draws", "200")
    assert done.returncode == 0, done.stderr
    assert "2024年度考核结果" in done.stdout and "Traceback" not in done.stderr
    assert not [r for r in RULE_IDS if r in done.stdout]  # people read item names, never rule ids
    return out


def test_assess_writes_the_contract_files_for_every_org(assessed: Path) -> None:
    scores = read_csv(assessed / "scores.csv")
    assert list(scores[0]) == [
        "org_id", "name", "org_type", "parent_id", "score", "applicable_points", "grade", "qualified", "vetoed", "failed_rules",
    ]
    assert len(scores) == 300 and len({r["org_id"] for r in scores}) == 300
    assert all(r["org_id"].isdigit() and len(r["org_id"]) == 6 for r in scores)  # leading zeros kept
    assert {r["grade"] for r in scores} <= {"优秀", "良好", "合格", "不合格"}
    assert {r["vetoed"] for r in scores} == {"true", "false"}
    assert all(r["grade"] == "不合格" for r in scores if r["vetoed"] == "true")
    rules = read_csv(assessed / "rules.csv")
    assert list(rules[0]) == [
        "org_id", "rule_id", "status", "measured", "required", "points", "earned", "evidence_rows",
        "measured_value", "required_value",
    ]
    assert len(rules) == 300 * 21
    advanced = read_csv(assessed / "advanced.csv")
    assert list(advanced[0]) == ["org_id", "name", "org_type", "score", "rank", "selected", "p_selected", "rank_p05", "rank_p95", "label"]
    vetoed = {r["org_id"] for r in scores if r["vetoed"] == "true"}
    assert not vetoed & {r["org_id"] for r in advanced}
    weak = read_csv(assessed / "weak.csv")
    assert list(weak[0]) == [
        "org_id", "name", "org_type", "parent_id", "score", "reasons", "tier", "tier_note", "last_tier", "turnaround", "still_holding",
    ]
    assert vetoed <= {r["org_id"] for r in weak}
    assert {r["tier"] for r in weak if r["org_id"] in vetoed} == {"整顿"}
    assert {r["turnaround"] for r in weak} <= {"", "好转", "未转化"}
    items = read_csv(assessed / "robustness_items.csv")
    assert list(items[0]) == ["item", "category", "n_left", "n_entered", "left", "entered"]
    assert len(items) == 21 + 5 and [r["item"] for r in items[21:]] == [""] * 5
    categories = read_csv(assessed / "robustness_categories.csv")
    assert list(categories[0]) == ["category", "S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"]
    assert [r["category"] for r in categories] == ["组织建设", "党员教育管理", "作风和廉政建设", "上级部署工作", "党建带三建"]
    wb = load_workbook(assessed / "自评分表.xlsx", read_only=True)
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 1 + 60  # 300 orgs: a sheet per top-level unit
    results = load_workbook(assessed / "考核结果.xlsx", read_only=True)
    assert results.sheetnames == ["考核得分", "逐项结果", "先进推荐", "后进排查", "优秀党务工作者"]
    # the 优秀党务工作者 sheet inside 考核结果.xlsx is the one of 优秀党务工作者.xlsx, a row per workers.csv row
    inside = [list(r) for r in results["优秀党务工作者"].iter_rows(values_only=True)]
    alone = [list(r) for r in load_workbook(assessed / "优秀党务工作者.xlsx", read_only=True)["优秀党务工作者"].iter_rows(values_only=True)]
    assert inside == alone
    assert len(inside) == 1 + len(read_csv(assessed / "workers.csv"))


def test_rectify_share_caps_the_rectify_tier_and_says_so(assessed: Path, tmp_path: Path) -> None:
    out = tmp_path / "capped"
    done = workbench("assess", "--store", str(assessed / "store"), "--year", "2024", "--out", str(out), "--draws", "0",
                     "--sensitivity-draws", "0", "--rectify-share", "0.05")
    assert done.returncode == 0, done.stderr
    weak = read_csv(out / "weak.csv")
    assert sum(r["tier"] == "整顿" for r in weak) == 15  # 5% of 300 orgs (17 without the cap)
    assert "其中整顿 15 个（占全部 300 个组织的 5.0%" in done.stdout
    assert any(r["tier_note"].startswith("整顿名额上限为全部300个组织的5%") for r in weak)


@pytest.mark.parametrize("share", ["0", "1.5", "-0.1"])
def test_a_rectify_share_outside_zero_to_one_is_a_chinese_error(share: str, tmp_path: Path) -> None:
    done = workbench("assess", "--store", str(tmp_path), "--year", "2024", "--out", str(tmp_path / "o"), "--rectify-share", share)
    assert done.returncode == 2
    assert "--rectify-share 应为 0 到 1 之间的比例" in done.stdout + done.stderr


def test_explain_shows_evidence_rows_in_chinese(assessed: Path) -> None:
    scores = read_csv(assessed / "scores.csv")
    org = next(r["org_id"] for r in scores if r["org_type"] == "党支部")
    done = workbench("explain", org, "--year", "2024", "--store", str(assessed / "store"), columns=80)
    assert done.returncode == 0, done.stderr
    assert org in done.stdout and "三会一课" in done.stdout and "来源：" in done.stdout
    assert not [r for r in RULE_IDS if r in done.stdout]
    assert max(cell_len(line) for line in done.stdout.splitlines()) <= 80


def test_explain_of_an_unknown_org_is_one_chinese_line(assessed: Path) -> None:
    done = workbench("explain", "999999", "--year", "2024", "--store", str(assessed / "store"))
    assert done.returncode == 2
    assert "组织名册中没有编码为 999999 的组织" in done.stderr and "Traceback" not in done.stderr


def test_a_failing_notebook_makes_report_exit_non_zero_and_name_it(assessed: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "nb"
    shutil.copytree(ROOT / "notebooks", notebooks)
    nb = notebooks / "data_quality.py"
    nb.write_text(nb.read_text(encoding="utf-8") + '\n# %%\nraise RuntimeError("故意的错误")\n', encoding="utf-8")
    done = workbench(
        "report", "--store", str(assessed / "store"), "--year", "2024", "--out", str(tmp_path / "r"),
        "--only", "数据质量", "--notebooks", str(notebooks),
    )
    assert done.returncode == 1
    assert "数据质量" in done.stderr and "RuntimeError" in done.stderr and "故意的错误" in done.stderr
    assert (tmp_path / "r" / "index.html").is_file()


def test_missing_store_is_a_chinese_message_not_a_traceback(tmp_path: Path) -> None:
    done = workbench("assess", "--store", str(tmp_path / "nope"), "--year", "2024", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "找不到数据仓库" in done.stderr and "Traceback" not in done.stderr


def test_ingest_strict_exits_one_when_something_was_refused(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.csv").write_text("组织编码,组织名称,组织类型\n000001,甲,外星\n", encoding="utf-8")
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"), "--strict")
    assert done.returncode == 1
    assert "拒收 1" in done.stdout
    relaxed = workbench("ingest", str(data), "--store", str(tmp_path / "s2"))
    assert relaxed.returncode == 0


def test_ingest_names_a_sheet_it_could_not_read_and_strict_counts_it(tmp_path: Path) -> None:
    import xlsxwriter

    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text("组织编码,组织名称,组织类型,上级组织编码\n000101,一支部,党支部,\n", encoding="utf-8")
    wb = xlsxwriter.Workbook(data / "台账.xlsx")
    wb.add_worksheet("活动").write_row(0, 0, ["组织编码", "活动日期", "活动类型"])
    wb.get_worksheet_by_name("活动").write_row(1, 0, ["000101", "2024-01-05", "党课"])
    wb.add_worksheet("通讯录").write_row(0, 0, ["姓名", "电话"])
    wb.get_worksheet_by_name("通讯录").write_row(1, 0, ["张三", "123"])
    wb.close()
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    assert "注意：台账.xlsx 中有工作表未导入——工作表“通讯录”：无法识别表格" in done.stdout
    assert "拒收明细见数据仓库中的 rejects.parquet" in done.stdout
    strict = workbench("ingest", str(data), "--store", str(tmp_path / "s2"), "--strict")
    assert strict.returncode == 1


def test_ingest_of_many_files_prints_rows_per_table_and_only_the_files_with_refusals(tmp_path: Path) -> None:
    import re

    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text("组织编码,组织名称,组织类型,上级组织编码\n000101,一支部,党支部,\n", encoding="utf-8")
    for i in range(45):
        day = "2024-13-40" if i == 7 else f"2024-01-{i % 28 + 1:02d}"
        (data / f"活动{i:02d}.csv").write_text(
            f"组织编码,活动日期,活动类型,主题\n000101,{day},党课,第{i}次\n000101,2024-02-01,党员大会,另{i}次\n",
            encoding="utf-8",
        )
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"活动记录\s*│\s*45\s*│\s*90\s*│\s*89\s*│\s*1\s*│\s*0\s*│", out)
    assert re.search(r"组织\s*│\s*1\s*│\s*1\s*│\s*1\s*│\s*0\s*│\s*0\s*│", out)
    assert "有拒收的文件（共 1 个）" in out and "活动07.csv" in out
    assert "活动06.csv" not in out and "活动08.csv" not in out  # files without refusals are not listed
    assert "每个文件的读入、保留、拒收、重复行数见数据仓库中的 manifest.parquet" in out
    assert "共读取 46 个文件（整份拒收 0 个）；读入 91 行 = 保留 90 + 拒收 1 + 重复 0。" in out


def test_compare_names_orgs_that_change_and_the_rules_that_cause_it(assessed: Path, tmp_path: Path) -> None:
    done = workbench(
        "compare", "--store", str(assessed / "store"), "--year", "2024",
        "--rulesets", "changzhou-2009", "--rulesets", "national-2019", "--out", str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    rows = read_csv(tmp_path / "compare.csv")
    assert len(rows) == 300
    changed = [r for r in rows if r["changed"] == "true"]
    assert changed and all(r["change"].startswith("national-2019：") for r in changed)
    assert all(r["causes"] for r in changed)
    assert f"其中 {len(changed)} 个" in done.stdout


def test_assess_mid_year_writes_pace(assessed: Path, tmp_path: Path) -> None:
    done = workbench(
        "assess", "--store", str(assessed / "store"), "--year", "2024", "--as-of", "2024-06-30",
        "--out", str(tmp_path), "--draws", "0",
    )
    assert done.returncode == 0, done.stderr
    pace = read_csv(tmp_path / "pace.csv")
    assert "截止日期 2024-06-30 在年中：换届和届内培训按该日判断" in done.stdout
    assert pace and {r["colour"] for r in pace} <= {"绿", "黄", "红", "灰"}
    assert {"红", "绿"} <= {r["colour"] for r in pace}
