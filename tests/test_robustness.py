"""What drives the advanced list (issue 22): leave-one-out, Sobol indices of the category weights, and
the item checks.  Small Assessment-shaped objects built as in test_selection.py."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from analysis.decisions import select_advanced
from analysis.decisions.sensitivity import category_sensitivity, item_checks, leave_one_out
from analysis.outputs.robustness import write_robustness
from tests.test_selection import assessment, org, rule_row

#: test_selection's three items, one per category
RUBRIC = {
    "items": [
        {"rule_id": "org.a", "category": "组织建设", "title_zh": "按时换届"},
        {"rule_id": "edu.b", "category": "党员教育管理", "title_zh": "月度学习"},
        {"rule_id": "duty.c", "category": "上级部署工作", "title_zh": "信息报送"},
    ]
}


def four_orgs(c_shares: tuple[float, float, float] = (0.5, 1, 1)) -> object:
    """A 100, B 85 (half of edu.b), C (half of org.a: 80), D 70; two places go to A and B."""
    return assessment(
        org("A", (1, 1, 1)),
        org("B", (1, 0.5, 1)),
        org("C", c_shares),
        org("D", (0.5, 0.5, 1)),
        ruleset=RUBRIC,
    )


# ============================================================================================
# Leave-one-out
# ============================================================================================
def test_removing_the_item_that_holds_c_back_swaps_b_and_c_at_the_cut() -> None:
    a = four_orgs()
    sel = select_advanced(a, quota=2, draws=0)
    assert sel.filter("selected").get_column("org_id").to_list() == ["A", "B"]
    out = leave_one_out(a, sel)
    assert out.columns == ["item", "category", "n_left", "n_entered", "left", "entered"]
    # without org.a: B (15 + 30) / 60 = 75, C (30 + 30) / 60 = 100 -> C in, B out; the others change nothing
    assert out.rows() == [
        ("org.a", "组织建设", 1, 1, "B", "C"),
        ("edu.b", "党员教育管理", 0, 0, "", ""),
        ("duty.c", "上级部署工作", 0, 0, "", ""),
        ("", "组织建设", 1, 1, "B", "C"),
        ("", "党员教育管理", 0, 0, "", ""),
        ("", "上级部署工作", 0, 0, "", ""),
    ]


def test_leave_one_out_breaks_a_new_score_tie_on_failed_rules_without_the_item() -> None:
    # without duty.c, B (1, 0.5, 0.5 -> 55/70 = 78.6) and C (1, 0.5, 1 -> 55/70 = 78.6) tie; B had failed
    # duty.c, which no longer counts, so both have one failed rule and org_id keeps B first
    a = assessment(org("A"), org("B", (1, 0.5, 0.5)), org("C", (1, 0.5, 1)), ruleset=RUBRIC)
    sel = select_advanced(a, quota=2, draws=0)
    assert sel.filter("selected").get_column("org_id").to_list() == ["A", "C"]
    row = leave_one_out(a, sel).filter(pl.col("item") == "duty.c").row(0)
    assert row == ("duty.c", "上级部署工作", 1, 1, "C", "B")


# ============================================================================================
# Sobol
# ============================================================================================
def crossing_orgs() -> object:
    """B (1, 0.5, 1) and C (0.625, 1, 1) both score 85 at the published weights; with org.a's weight w,
    B = (40w + 45) / (40w + 60) and C = (25w + 60) / (40w + 60): C passes B exactly when w < 1."""
    return assessment(org("A"), org("B", (1, 0.5, 1)), org("C", (0.625, 1, 1)), org("D", (0.5, 0.5, 1)), ruleset=RUBRIC)


def test_only_the_varying_category_explains_the_rank_shift() -> None:
    a = crossing_orgs()
    sel = select_advanced(a, quota=2, draws=0)
    # the rank shift is homogeneous in the weights, so "only one category matters" needs the others held fixed
    out = category_sensitivity(a, sel, draws=512, noise={"组织建设": 0.2}, seed=7)
    assert out.columns == ["category", "S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"]
    s1, st = dict(out.select("category", "S1").rows()), dict(out.select("category", "ST").rows())
    assert s1["组织建设"] == pytest.approx(1.0, abs=0.05)
    assert st["组织建设"] == pytest.approx(1.0, abs=0.05)
    assert (s1["党员教育管理"], s1["上级部署工作"], st["党员教育管理"], st["上级部署工作"]) == (0.0, 0.0, 0.0, 0.0)
    low, high = out.filter(pl.col("category") == "组织建设").select("S1_low", "S1_high").row(0)
    assert low <= s1["组织建设"] <= high


def test_sobol_is_reproducible_with_its_seed() -> None:
    a = crossing_orgs()
    sel = select_advanced(a, quota=2, draws=0)
    one = category_sensitivity(a, sel, draws=64, seed=3)
    assert one.equals(category_sensitivity(a, sel, draws=64, seed=3))
    assert not one.equals(category_sensitivity(a, sel, draws=64, seed=4))


def test_no_rank_ever_moving_gives_zero_indices_not_nan() -> None:
    # B − C = (32·w_org − 15·w_edu) / denominator > 0 for any weights within ±20%: nobody ever swaps
    a = assessment(org("A"), org("B", (1, 0.5, 1)), org("C", (0.2, 1, 1)), ruleset=RUBRIC)
    out = category_sensitivity(a, select_advanced(a, quota=2, draws=0), draws=64)
    assert out.get_column("S1").to_list() == [0.0, 0.0, 0.0]
    assert out.get_column("ST").to_list() == [0.0, 0.0, 0.0]


def test_zero_draws_gives_the_categories_with_null_indices() -> None:
    a = four_orgs()
    out = category_sensitivity(a, select_advanced(a, quota=2, draws=0), draws=0)
    assert out.get_column("category").to_list() == ["组织建设", "党员教育管理", "上级部署工作"]
    assert out.get_column("S1").null_count() == 3


# ============================================================================================
# Item checks
# ============================================================================================
def correlated(r: float) -> object:
    """Four healthy orgs with two extra items x.one, x.two whose ratios correlate at exactly ``r``:
    u = (−1, 1, −1, 1) and v = (1, 1, −1, −1) are centred, orthogonal and of equal length, so
    x.two = 0.5 + 0.1 (r u + √(1 − r²) v) against x.one = 0.5 + 0.1 u has Pearson r."""
    u, v = (-1, 1, -1, 1), (1, 1, -1, -1)
    orgs = []
    for k, (ui, vi) in enumerate(zip(u, v, strict=True)):
        one = 10 * (0.5 + 0.1 * ui)
        two = 10 * (0.5 + 0.1 * (r * ui + math.sqrt(1 - r * r) * vi))
        extra = [
            rule_row(f"O{k}", "x.one", "fail", points=10.0, earned=one),
            rule_row(f"O{k}", "x.two", "fail", points=10.0, earned=two),
        ]
        orgs.append(org(f"O{k}", extra_rules=extra))
    return assessment(*orgs, ruleset=RUBRIC)


def correlated_pairs(a: object) -> list[str]:
    sel = select_advanced(a, quota=1, draws=0)
    checks = item_checks(a, sel)
    return checks.filter(pl.col("check") == "correlated").get_column("items").to_list()


def test_a_correlation_of_exactly_the_threshold_is_not_flagged() -> None:
    assert correlated_pairs(correlated(0.9)) == []


def test_a_correlation_just_above_the_threshold_is_flagged_with_a_sentence() -> None:
    a = correlated(0.91)
    assert correlated_pairs(a) == ["x.one;x.two"]
    row = item_checks(a, select_advanced(a, quota=1, draws=0)).filter(pl.col("check") == "correlated").row(0)
    assert row[2] == 0.91
    assert row[3] == "“x.one”与“x.two”在各组织的得分率高度相关（相关系数0.91），可能重复计分，建议核对两项是否考查同一件事。"


def test_an_item_every_candidate_passes_is_listed_and_one_a_candidate_fails_is_not() -> None:
    a = four_orgs()
    checks = item_checks(a, select_advanced(a, quota=2, draws=0))
    passed = checks.filter(pl.col("check") == "all_pass")
    assert passed.get_column("items").to_list() == ["duty.c"]  # org.a and edu.b are failed by C, B, D
    assert passed.get_column("sentence").to_list() == [
        "“信息报送”所有4个适用的候选组织都已达标，这一项不能区分候选组织，对名单排序没有作用。"
    ]


# ============================================================================================
# The CSVs
# ============================================================================================
def test_the_two_csvs_have_their_contract_columns(tmp_path: Path) -> None:
    a = four_orgs()
    paths = write_robustness(a, select_advanced(a, quota=2, draws=0), tmp_path, draws=16)
    items = pl.read_csv(paths[0], infer_schema=False)
    cats = pl.read_csv(paths[1], infer_schema=False)
    assert [p.name for p in paths] == ["robustness_items.csv", "robustness_categories.csv"]
    assert items.columns == ["item", "category", "n_left", "n_entered", "left", "entered"]
    assert items.row(0) == ("org.a", "组织建设", "1", "1", "B", "C")
    assert cats.columns == ["category", "S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"]
    assert cats.get_column("category").to_list() == ["组织建设", "党员教育管理", "上级部署工作"]
