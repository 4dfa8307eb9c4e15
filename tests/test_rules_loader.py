"""Ruleset files: the built-in one loads as RULES.md says; broken files give the documented Chinese errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from analysis.rules import RulesetError, builtin_rulesets, load_ruleset
from tests.test_rules_helpers import make_store, perfect_store, result, run

BUILTIN = (resources.files("analysis.rules") / "changzhou-2009.toml").read_text(encoding="utf-8")

RUBRIC_ORDER = [
    ("org.term_election", 5), ("org.annual_plan", 4), ("org.committee_meetings", 6), ("org.leadership_review", 3),
    ("org.budget", 2), ("org.secretary", 5), ("edu.monthly_study", 8), ("edu.member_study_days", 6),
    ("edu.cadre_training", 3), ("edu.three_meetings_one_lesson", 8), ("edu.democratic_life_meeting", 4),
    ("edu.heart_talks", 2), ("edu.dues", 4), ("style.discipline_education", 4), ("style.integrity_pledges", 5),
    ("manual.style", 6), ("duty.info_submissions", 6), ("duty.joint_building", 4), ("manual.duty", 5),
    ("mass.reports_heard", 6), ("manual.mass", 4),
]  # fmt: skip


def write(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def broken(tmp_path: Path, old: str, new: str) -> str:
    """The error message of the built-in ruleset with ``old`` replaced by ``new``."""
    assert old in BUILTIN, old
    with pytest.raises(RulesetError) as exc:
        load_ruleset(write(tmp_path, BUILTIN.replace(old, new, 1)))
    return str(exc.value)


# ---------------------------------------------------------------------------------------------
# The built-in ruleset.
# ---------------------------------------------------------------------------------------------
def test_builtin_ruleset_is_the_rubric_of_rules_md() -> None:
    rs = load_ruleset("changzhou-2009")
    assert [(i.rule_id, i.points) for i in rs.items] == RUBRIC_ORDER
    assert sum(i.points for i in rs.items) == 100
    assert rs.categories == {
        "组织建设": 25,
        "党员教育管理": 35,
        "作风和廉政建设": 15,
        "上级部署工作": 15,
        "党建带三建": 10,
    }
    assert (rs.grades.excellent, rs.grades.good, rs.grades.qualified) == (90, 80, 60)
    assert rs.terms.years == {"committee": 4, "general_branch": 3, "branch": 2}
    assert len(rs.veto.kinds) == 6 and rs.veto.propagate_to_ancestors and rs.veto.period == "year"
    assert (rs.weak.fail_rules, rs.weak.half_count_share, rs.weak.decline_years) == (3, 0.5, 2)
    assert (rs.selection.quota, rs.selection.quota_kind, rs.selection.quota_scope) == (
        0.15,
        "share",
        "overall",
    )
    assert "changzhou-2009" in builtin_rulesets()


def test_items_expose_the_contract_fields() -> None:
    item = load_ruleset().items[0]
    assert (item.rule_id, item.category, item.points, item.method, item.title_zh) == (
        "org.term_election", "组织建设", 5.0, "binary", "按时换届",
    )  # fmt: skip


def test_thresholds_per_org_type() -> None:
    rule = load_ruleset().rule("duty.info_submissions")
    assert rule.threshold_map("count") == {"committee": 12.0, "general_branch": 6.0, "branch": 3.0}


def test_a_path_loads_like_a_name(tmp_path: Path) -> None:
    assert load_ruleset(write(tmp_path, BUILTIN)).items == load_ruleset().items


def test_nested_and_quoted_rule_tables_are_the_same_rule(tmp_path: Path) -> None:
    nested = BUILTIN.replace('[rules."org.budget"]', "[rules.org.budget]")
    assert load_ruleset(write(tmp_path, nested)).rule("org.budget") == load_ruleset().rule("org.budget")


# ---------------------------------------------------------------------------------------------
# Errors name the file and the key.
# ---------------------------------------------------------------------------------------------
def test_missing_threshold_for_an_applicable_org_type(tmp_path: Path) -> None:
    msg = broken(
        tmp_path,
        "threshold = { committee = 12, general_branch = 12, branch = 12 }",
        "threshold = { committee = 12, general_branch = 12 }",
    )
    assert msg == "规则文件 x.toml 中 rules.edu.dues.threshold.branch 缺失"


def test_missing_named_threshold(tmp_path: Path) -> None:
    msg = broken(
        tmp_path, "threshold.branch = { studies = 2, political = 1 }", "threshold.branch = { studies = 2 }"
    )
    assert msg == "规则文件 x.toml 中 rules.edu.monthly_study.threshold.branch.political 缺失"


def test_unknown_rule_id(tmp_path: Path) -> None:
    msg = broken(tmp_path, '[rules."duty.joint_building"]', '[rules."duty.joint_work"]')
    assert msg.startswith("规则文件 x.toml 中 rules.duty.joint_work 没有对应的计算方法")


def test_points_not_summing_to_100(tmp_path: Path) -> None:
    msg = broken(
        tmp_path, 'rubric = { points = 2, method = "binary" }', 'rubric = { points = 3, method = "binary" }'
    )
    assert msg == "规则文件 x.toml 中各规则 rubric.points 合计为 101，应为 100"


def test_category_points_not_matching_items(tmp_path: Path) -> None:
    text = BUILTIN.replace('"组织建设" = 25', '"组织建设" = 24').replace(
        '"党员教育管理" = 35', '"党员教育管理" = 36'
    )
    with pytest.raises(RulesetError, match="categories.组织建设 为 24，但该类各规则分值合计 25"):
        load_ruleset(write(tmp_path, text))


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            'start = "Y-13-01"',
            "rules.org.annual_plan.windows.plan.start 「Y-13-01」中的月份 13 无效（应为 1-12）",
        ),
        (
            'start = "Y-04-31"',
            "rules.org.annual_plan.windows.plan.start 「Y-04-31」中的日 31 无效（4 月最多 30 日）",
        ),
        ('start = "2024-01-01"', "rules.org.annual_plan.windows.plan.start 「2024-01-01」不是有效的日期"),
        ('start = "Y-04-01"', "rules.org.annual_plan.windows.plan.end 结束日期 Y-03-31 早于开始日期 Y-04-01"),
    ],
)
def test_bad_windows(tmp_path: Path, new: str, expected: str) -> None:
    msg = broken(tmp_path, 'windows.plan = { start = "Y-01-01"', f"windows.plan = {{ {new}")
    assert msg.startswith(f"规则文件 x.toml 中 {expected}")


def test_missing_window(tmp_path: Path) -> None:
    msg = broken(tmp_path, 'windows.publication = { start = "Y-12-01", end = "Y+1-01-31" }', "")
    assert msg == "规则文件 x.toml 中 rules.edu.dues.windows.publication 缺失"


def test_missing_param_and_unknown_param(tmp_path: Path) -> None:
    assert (
        broken(tmp_path, "params = { remit_months = 1 }", "")
        == "规则文件 x.toml 中 rules.edu.dues.params.remit_months 缺失"
    )
    msg = broken(tmp_path, "params = { remit_months = 1 }", "params = { remit_months = 1, grace = 3 }")
    assert msg.startswith("规则文件 x.toml 中 rules.edu.dues.params.grace 不是已知的设置项")


def test_unknown_activity_kind_in_params(tmp_path: Path) -> None:
    msg = broken(tmp_path, 'params = { kinds = ["heart_talk"] }', 'params = { kinds = ["heart_talks"] }')
    assert msg.startswith(
        "规则文件 x.toml 中 rules.edu.heart_talks.params.kinds 含未知的活动类型「heart_talks」"
    )


def test_unknown_method_and_misplaced_method(tmp_path: Path) -> None:
    msg = broken(
        tmp_path, 'rubric = { points = 5, method = "binary" }', 'rubric = { points = 5, method = "bonus" }'
    )
    assert msg.startswith("规则文件 x.toml 中 rules.org.term_election.rubric.method 取值无效")
    msg = broken(
        tmp_path,
        'rubric = { points = 5, method = "binary" }',
        'rubric = { points = 5, method = "inspection" }',
    )
    assert msg.startswith(
        "规则文件 x.toml 中 rules.org.term_election.rubric.method「inspection」不适用于该规则"
    )


def test_unknown_key_and_missing_section(tmp_path: Path) -> None:
    msg = broken(tmp_path, 'clause = "一(2)"', 'clause = "一(2)"\nclasue = "x"')
    assert msg == "规则文件 x.toml 中 rules.org.term_election.clasue 不是已知的设置项"
    msg = broken(tmp_path, "[grades]\nexcellent = 90\ngood = 80\nqualified = 60\n", "")
    assert msg == "规则文件 x.toml 中 grades 缺失"


def test_unknown_veto_kind(tmp_path: Path) -> None:
    msg = broken(tmp_path, '"public_safety",\n]', '"public_safety",\n  "littering",\n]')
    assert msg.startswith("规则文件 x.toml 中 veto.kinds 含未知的否决事项「littering」")


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="规则文件 x.toml 不是有效的 TOML"):
        load_ruleset(write(tmp_path, "[rules\n"))
    with pytest.raises(RulesetError, match="找不到规则集「nope」"):
        load_ruleset("nope")
    with pytest.raises(RulesetError, match="找不到规则文件"):
        load_ruleset(tmp_path / "missing.toml")


# ---------------------------------------------------------------------------------------------
# Rubric override.
# ---------------------------------------------------------------------------------------------
RUBRIC = """
[rubric."org.budget"]
points = 1

[rubric.org.secretary]
points = 6
method = "binary"
"""


def test_rubric_file_overrides_points(tmp_path: Path) -> None:
    rs = load_ruleset("changzhou-2009", rubric=write(tmp_path, RUBRIC, "r.toml"))
    assert (rs.rule("org.budget").points, rs.rule("org.secretary").points) == (1.0, 6.0)
    assert rs.rule("org.budget").method == "binary"  # kept from the ruleset


def test_rubric_override_changes_scores(tmp_path: Path) -> None:
    store = perfect_store(["C"])
    a = run(store, rubric=write(tmp_path, '[rubric."duty.info_submissions"]\nmethod = "binary"\n', "r.toml"))
    assert result(a, "C", "duty.info_submissions")["earned"] == 6.0
    few = make_store()
    a = run(
        few,
        rubric=write(
            tmp_path, '[rubric."duty.info_submissions"]\nmethod = "deduct"\nper_unit = 0.5\n', "r.toml"
        ),
    )
    assert result(a, "C", "duty.info_submissions")["earned"] == 0.0  # 12 short × 0.5 > 6 points
    assert result(a, "B", "duty.info_submissions")["earned"] == 4.5  # 3 short × 0.5


def test_rubric_file_errors_name_the_rubric_file(tmp_path: Path) -> None:
    with pytest.raises(
        RulesetError, match="评分表 r.toml 中 rubric.org.nothing 不是规则文件 changzhou-2009.toml 中的规则"
    ):
        load_ruleset(rubric=write(tmp_path, '[rubric."org.nothing"]\npoints = 1\n', "r.toml"))
    with pytest.raises(
        RulesetError,
        match=r"规则文件 changzhou-2009.toml（含评分表 r.toml） 中各规则 rubric.points 合计为 99",
    ):
        load_ruleset(rubric=write(tmp_path, '[rubric."org.budget"]\npoints = 1\n', "r.toml"))
    with pytest.raises(RulesetError, match="评分表 r.toml 中 weights 不是已知的设置项"):
        load_ruleset(rubric=write(tmp_path, "[weights]\n", "r.toml"))


def test_with_points_reweights_without_revalidating() -> None:
    rs = load_ruleset().with_points({"org.budget": 7.5})
    assert rs.rule("org.budget").points == 7.5
    assert rs.rule("org.secretary").points == 5.0


def test_wrong_value_types_are_one_message_per_key(tmp_path: Path) -> None:
    old = "threshold = { committee = 12, general_branch = 6, branch = 3 }"
    msg = broken(tmp_path, old, 'threshold = { committee = 12, general_branch = 6, branch = "三" }')
    assert msg == "规则文件 x.toml 中 rules.duty.info_submissions.threshold.branch 应为数字（实际为 '三'）"
    msg = broken(tmp_path, old, "threshold = { committee = 12, general_branch = 6, bronch = 3 }")
    assert msg.startswith("规则文件 x.toml 中 rules.duty.info_submissions.threshold.bronch 取值无效")
