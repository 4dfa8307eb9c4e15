"""What the command line says, as a user at an 80-column terminal sees it: Chinese usage errors instead of
click's English, help without type marks or “…”, and an explain view that reads as one grade, names items
in Chinese and gives the evidence its own line."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import typer
from rich.cells import cell_len

from analysis.assess import assess, explain_text, wrap_cells
from analysis.cli import app
from analysis.rules import load_ruleset
from tests.test_excel import department_store

ROOT = Path(__file__).resolve().parents[1]
RULE_IDS = sorted({r.rule_id for name in ("changzhou-2009", "national-2019") for r in load_ruleset(name).items})
CLICK_ENGLISH = (
    "Invalid value", "No such option", "No such command", "Did you mean", "Missing option", "Missing argument",
    "Missing parameter", "Got unexpected", "requires an argument", "does not take a value", "Possible options",
    "Usage:", "[OPTIONS]", "COMMAND [ARGS]", "Error:", "Try '",
)


def workbench(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    home = tempfile.mkdtemp(prefix="workbench-home-")
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT, check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": str(columns), "HOME": home},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "--year", "abc", "--out", "x"], "--year 的值无效：应为整数（收到 abc）"),
        (["assess", "--stor", "x"], "没有这个选项：--stor（是不是 --store？）"),
        (["asses"], "没有这个命令：asses（是不是 assess？）"),
        (["profile", "chek"], "没有这个命令：chek（是不是 check？）"),
        (["assess", "--out", "x"], "缺少必填的选项：--year（考核年度）"),
        (["ingest"], "缺少必填的参数：文件或文件夹（要导入的文件或文件夹）"),
        (["explain", "000101", "000102", "--year", "2024"], "多余的参数：000102"),
        (["demo", "--format"], "选项 --format 后面需要给出一个值"),
        (["ingest", "--strict=yes", "x"], "选项 --strict 是开关，后面不带值"),
        (["report", "--workers", "1.5"], "--workers 的值无效：应为整数（收到 1.5）"),
    ],
)
def test_usage_errors_are_one_chinese_sentence_and_exit_two(args: list[str], message: str) -> None:
    done = workbench(*args)
    assert done.returncode == 2
    first, hint = done.stderr.strip().splitlines()
    assert first == f"用法错误：{message}"
    assert hint.startswith("运行 ") and hint.endswith(" --help 查看用法。")
    assert not [e for e in CLICK_ENGLISH if e in done.stderr], done.stderr


def command_paths() -> list[list[str]]:
    """Every command and subcommand of the app, as the words a user types (``[]`` is the app itself)."""
    top = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, cmd in sorted(top.commands.items()):
        paths.append([name])
        paths += [[name, sub] for sub in sorted(getattr(cmd, "commands", {}))]
    return paths


def test_an_unknown_command_with_nothing_close_lists_the_commands() -> None:
    done = workbench("frobnicate")
    names = "、".join(sorted(typer.main.get_command(app).commands))
    assert "assess、briefing、compare" in names
    assert done.stderr.splitlines()[0] == f"用法错误：没有这个命令：frobnicate（可选：{names}）"


@pytest.mark.parametrize("command", command_paths(), ids=lambda c: " ".join(c) or "workbench")
def test_help_at_80_columns_is_chinese_uncut_and_has_no_type_marks(command: list[str]) -> None:
    done = workbench(*command, "--help")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.lstrip().startswith("用法：") and "[选项]" in text
    assert "…" not in text and "<" not in text and ">" not in text, text
    assert not [e for e in CLICK_ENGLISH if e in text]
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert "显示本帮助并退出。" in text


def test_assess_help_says_what_a_mid_year_as_of_date_does() -> None:
    text = "".join(line.strip("│ ") for line in workbench("assess", "--help", columns=200).stdout.splitlines())
    assert "截止日期在年中时：换届和届内培训按该日判断，其余各项按数据中该年已有的全部记录、对照全年要求评分，" in text
    assert "并另出进度预警（pace.csv，截至该日的进度）" in text


def test_list_options_show_the_chinese_type_and_that_they_repeat() -> None:
    text = workbench("ingest", "--help", columns=120).stdout
    profile = next(line for line in text.splitlines() if "--profile" in line)
    assert "路径（可重复）" in profile
    strict = next(line for line in text.splitlines() if "--strict" in line)
    assert strict.split("--strict")[1].strip().startswith("有任何行")  # a flag shows no type at all


@pytest.fixture(scope="module")
def department():
    return assess(department_store(), 2024)


def test_explain_reads_as_one_grade_and_names_items_in_chinese(department) -> None:
    text = explain_text(department, "B", width=80)
    lines = text.splitlines()
    assert lines[2] == "得分 97.5（实得 79 ÷ 适用分值 81 × 100）  等次 良好（合格）"
    assert lines[3] == "未达标：谈心谈话"
    assert lines[5].split() == ["考核项目", "状态", "得分", "实际", "要求"]
    assert not [r for r in RULE_IDS if r in text]
    assert max(cell_len(line) for line in lines) <= 80
    vetoed = explain_text(department, "T", width=80).splitlines()
    assert vetoed[2].endswith("等次 不合格（一票否决）")


def test_explain_puts_the_evidence_on_its_own_line_and_shows_a_dash_for_items_not_scored(department) -> None:
    lines = [line.rstrip() for line in explain_text(department, "B", width=80).splitlines()]
    i = next(k for k, line in enumerate(lines) if line.startswith("一(5) 委员会议"))
    assert lines[i].split()[:4] == ["一(5)", "委员会议", "达标", "6"]
    assert lines[i + 2] == "    来源：<memory> 第 137、138、139、140、141 行（共 6 行）"
    na = next(line for line in lines if line.startswith("二(1) 届内党务"))
    assert na.split()[2:4] == ["不适用", "—"]
    nxt = lines[lines.index(na) + 1]
    assert not nxt.strip().startswith("来源")  # an item not scored has no evidence line
    heart = next(line for line in lines if line.startswith("二(4) 谈心谈话"))
    assert heart.split()[2:6] == ["未达标", "0", "/", "2"]


def test_explain_of_a_mid_year_date_says_what_it_means() -> None:
    text = explain_text(assess(department_store(), 2024, as_of="2024-06-30"), "B", width=200)
    assert text.splitlines()[1] == (
        "2024 年度  规则集 changzhou-2009  截止 2024-06-30（年中：换届和届内培训按该日判断，"
        "其余各项按数据中该年已有的全部记录、对照全年要求评分）"
    )


def test_chinese_wraps_between_characters_never_inside_a_number_or_before_closing_punctuation() -> None:
    assert wrap_cells("每届 4 年，届满前后 1 个月内换届", 10) == "每届 4\n年，届满前\n后 1 个月\n内换届"
    assert wrap_cells("年度计划 2024-01-01 至 2024-03-31", 12) == "年度计划\n2024-01-01\n至\n2024-03-31"
    assert wrap_cells("第 8、14 行（共 6 行）", 12) == "第 8、14 行\n（共 6 行）"
    assert wrap_cells("abcdefghij", 4) == "abcd\nefgh\nij"
