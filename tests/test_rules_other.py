"""作风和廉政建设, 上级部署工作, 党建带三建 rules and the inspection-scored (manual.*) items."""

from __future__ import annotations

import polars as pl
import pytest

from tests.test_rules_helpers import D, acts, make_store, orgs_frame, result, run


def count_rule(org: str, kind: str, n: int, rule_id: str) -> dict:
    rows = acts(org, kind, [D(2024, 1 + i % 12, 1 + i // 12) for i in range(n)])
    return result(run(make_store(activities=rows)), org, rule_id)


# ---------------------------------------------------------------------------------------------
# style.discipline_education, duty.joint_building — ≥ 1 a year, binary
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "rule_id", "points"),
    [
        ("discipline_education", "style.discipline_education", 4.0),
        ("joint_building", "duty.joint_building", 4.0),
    ],
)
def test_once_a_year_rules(kind: str, rule_id: str, points: float) -> None:
    once, never = count_rule("B", kind, 1, rule_id), count_rule("B", kind, 0, rule_id)
    assert (once["status"], once["earned"]) == ("pass", points)
    assert (never["status"], never["earned"]) == ("fail", 0.0)


# ---------------------------------------------------------------------------------------------
# duty.info_submissions — committee 12, general branch 6, branch 3
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("org", "required"), [("C", 12), ("G", 6), ("B", 3)])
def test_info_submissions_threshold_per_org_type(org: str, required: int) -> None:
    at = count_rule(org, "info_submission", required, "duty.info_submissions")
    below = count_rule(org, "info_submission", required - 1, "duty.info_submissions")
    assert (at["status"], at["earned"], at["required_value"]) == ("pass", 6.0, float(required))
    assert (below["status"], below["earned"]) == ("fail", round(6 * (required - 1) / required, 2))
    assert at["measured"] == f"{required} 篇" and at["required"] == f"信息报送 ≥ {required} 篇"


# ---------------------------------------------------------------------------------------------
# mass.reports_heard — top level, ≥ 2
# ---------------------------------------------------------------------------------------------
def test_reports_heard_twice_by_a_top_level_org() -> None:
    assert count_rule("T", "mass_org_report", 2, "mass.reports_heard")["earned"] == 6.0
    r = count_rule("T", "mass_org_report", 1, "mass.reports_heard")
    assert (r["status"], r["earned"]) == ("fail", 3.0)
    assert count_rule("B", "mass_org_report", 2, "mass.reports_heard")["status"] == "not_applicable"


# ---------------------------------------------------------------------------------------------
# style.integrity_pledges — top level, signed ≥ mid_cadres
# ---------------------------------------------------------------------------------------------
def pledges(mid: int | None, *signed: int) -> dict:
    rows = [r for s in signed for r in acts("C", "integrity_pledge", [D(2024, 3, 1)], signed_count=s)]
    store = make_store(orgs=orgs_frame(C={"mid_cadres": mid}), activities=rows)
    return result(run(store), "C", "style.integrity_pledges")


def test_pledges_signed_by_every_mid_level_cadre_pass() -> None:
    r = pledges(5, 3, 2)
    assert (r["status"], r["earned"], r["measured_value"], r["required_value"], r["evidence_rows"]) == (
        "pass",
        5.0,
        5.0,
        5.0,
        3,
    )


def test_one_pledge_short_fails_with_its_share() -> None:
    r = pledges(5, 4)
    assert (r["status"], r["earned"], r["measured"]) == ("fail", 4.0, "签订 4 人，中层以上党员干部 5 人")


def test_no_mid_level_cadres_means_nothing_to_sign() -> None:
    assert pledges(0)["status"] == "pass"


def test_empty_mid_cadres_fails() -> None:
    r = pledges(None, 3)
    assert (r["status"], r["earned"]) == ("fail", 0.0)


def test_pledges_without_signed_count_column_are_no_data() -> None:
    store = make_store(columns_present={"activities": ["org_id", "date", "kind"]})
    assert result(run(store), "C", "style.integrity_pledges")["status"] == "no_data"


# ---------------------------------------------------------------------------------------------
# manual.* — inspection scores
# ---------------------------------------------------------------------------------------------
def inspected(*rows: tuple[str, int, str, float]) -> pl.DataFrame:
    return pl.DataFrame([{"org_id": o, "year": y, "item": i, "score": s} for o, y, i, s in rows])


def test_inspection_score_is_earned_as_given() -> None:
    a = run(
        make_store(inspections=inspected(("B", 2024, "manual.style", 5.0), ("B", 2024, "manual.mass", 2.0)))
    )
    style, mass, duty = (result(a, "B", f"manual.{x}") for x in ("style", "mass", "duty"))
    assert (style["status"], style["earned"]) == ("pass", 5.0)
    assert (mass["status"], mass["earned"]) == ("fail", 2.0)  # 2 of 4 is below 60 %
    assert (duty["status"], duty["earned"], duty["measured"]) == ("fail", 0.0, "无督查评分")


def test_inspection_pass_share_boundary() -> None:
    a = run(
        make_store(inspections=inspected(("B", 2024, "manual.style", 3.6), ("G", 2024, "manual.style", 3.5)))
    )
    assert (result(a, "B", "manual.style")["status"], result(a, "G", "manual.style")["status"]) == (
        "pass",
        "fail",
    )


def test_inspection_score_above_points_is_clipped_with_a_warning() -> None:
    a = run(make_store(inspections=inspected(("B", 2024, "manual.duty", 7.0))))
    assert result(a, "B", "manual.duty")["earned"] == 5.0
    assert a.warnings.filter(pl.col("org_id") == "B")["message"].to_list() == [
        "督查评分 7 超过该项分值 5，按 5 计"
    ]


def test_inspection_scores_of_other_years_are_ignored_and_repeats_averaged() -> None:
    rows = inspected(
        ("B", 2023, "manual.style", 6.0), ("B", 2024, "manual.style", 4.0), ("B", 2024, "manual.style", 5.0)
    )
    r = result(run(make_store(inspections=rows)), "B", "manual.style")
    assert (r["earned"], r["evidence_rows"]) == (4.5, 2)


def test_inspection_table_absent_is_no_data() -> None:
    assert result(run(make_store()), "B", "manual.style")["status"] == "no_data"


def test_pledge_requirement_text_follows_each_org_types_share(tmp_path) -> None:
    from tests.test_rules_loader import BUILTIN, write

    old = 'threshold = { committee = 1.0, general_branch = 1.0, branch = 1.0 }   # 签订人数'
    assert old in BUILTIN
    toml = BUILTIN.replace(old, 'threshold = { committee = 1.0, general_branch = 1.0, branch = 0.8 }   # 签订人数', 1)
    store = make_store(orgs=orgs_frame(C={"mid_cadres": 5}, T={"mid_cadres": 5}))
    a = run(store, ruleset=write(tmp_path, toml))
    assert result(a, "C", "style.integrity_pledges")["required"] == "与全部中层以上党员干部签订"
    assert result(a, "T", "style.integrity_pledges")["required"] == "签订人数 ≥ 中层以上党员干部的 80%"
