"""组织建设 rules: annual plan/summary, committee meetings, leadership review, budget, secretary."""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_rules_helpers import D, acts, make_store, orgs_frame, result, run


# ---------------------------------------------------------------------------------------------
# org.annual_plan — plan 1 Jan – 31 Mar Y, summary 1 Nov Y – 31 Jan Y+1
# ---------------------------------------------------------------------------------------------
def plan(plan_on: date | None, summary_on: date | None) -> dict:
    rows = (acts("B", "annual_plan", [plan_on]) if plan_on else []) + (
        acts("B", "annual_summary", [summary_on]) if summary_on else []
    )
    return result(run(make_store(activities=rows)), "B", "org.annual_plan")


def test_plan_and_summary_on_the_window_bounds_pass() -> None:
    r = plan(D(2024, 3, 31), D(2025, 1, 31))
    assert (r["status"], r["earned"], r["evidence_rows"]) == ("pass", 4.0, 2)
    assert r["measured"] == "年度计划：2024-03-31；年度总结：2025-01-31"


def test_plan_one_day_late_earns_only_the_summary_half() -> None:
    r = plan(D(2024, 4, 1), D(2024, 11, 1))
    assert (r["status"], r["earned"], r["measured_value"], r["evidence_rows"]) == ("fail", 2.0, 1.0, 1)


def test_summary_before_november_or_after_january_does_not_count() -> None:
    assert plan(D(2024, 1, 1), D(2024, 10, 31))["earned"] == 2.0
    assert plan(D(2024, 1, 1), D(2025, 2, 1))["earned"] == 2.0
    assert plan(None, None)["earned"] == 0.0


# ---------------------------------------------------------------------------------------------
# org.committee_meetings — ≥ 5, ≥ 5 of 6 bimonthly windows, all recorded
# ---------------------------------------------------------------------------------------------
def meetings(dates: list[date], unrecorded: int = 0, org: str = "B") -> dict:
    rows = acts(org, "committee_meeting", dates)
    for r in rows[:unrecorded]:
        r["recorded"] = False
    return result(run(make_store(activities=rows)), org, "org.committee_meetings")


FIVE_WINDOWS = [D(2024, 1, 1), D(2024, 3, 1), D(2024, 5, 1), D(2024, 7, 1), D(2024, 12, 31)]


@pytest.mark.parametrize("org", ["C", "G", "B"])
def test_five_recorded_meetings_in_five_windows_pass_for_every_org_type(org: str) -> None:
    r = meetings(FIVE_WINDOWS, org=org)
    assert (r["status"], r["earned"], r["measured_value"]) == ("pass", 6.0, 5.0)
    assert r["measured"] == "5 次，覆盖 5/6 个双月，未记录 0 次"


def test_four_meetings_fail_and_earn_four_fifths() -> None:
    r = meetings(FIVE_WINDOWS[:4])
    assert (r["status"], r["earned"]) == ("fail", 4.8)


def test_five_meetings_in_four_windows_fail_on_coverage() -> None:
    # January and February are one window
    r = meetings([D(2024, 1, 1), D(2024, 2, 29), D(2024, 5, 1), D(2024, 7, 1), D(2024, 9, 1)])
    assert (r["status"], r["earned"]) == ("fail", 4.8)
    assert r["measured"] == "5 次，覆盖 4/6 个双月，未记录 0 次"


def test_unrecorded_meeting_fails_and_deducts_a_point() -> None:
    r = meetings(FIVE_WINDOWS, unrecorded=1)
    assert (r["status"], r["earned"]) == ("fail", 5.0)
    assert meetings(FIVE_WINDOWS, unrecorded=5)["earned"] == 1.0
    assert meetings(FIVE_WINDOWS[:2], unrecorded=2)["earned"] == 0.4


def test_deductions_floor_at_zero() -> None:
    assert meetings(FIVE_WINDOWS[:1], unrecorded=1)["earned"] == 0.2
    r = meetings([D(2024, 1, d) for d in range(1, 8)], unrecorded=7)  # 1 window, 7 unrecorded
    assert r["earned"] == 0.0


def test_meetings_of_other_years_do_not_count() -> None:
    assert meetings([D(2023, 12, 31), D(2025, 1, 1)])["measured_value"] == 0.0


# ---------------------------------------------------------------------------------------------
# org.leadership_review — top-level only, ≥ 1 in each half year
# ---------------------------------------------------------------------------------------------
def review(dates: list[date], org: str = "T") -> dict:
    return result(
        run(make_store(activities=acts(org, "leadership_review", dates))), org, "org.leadership_review"
    )


def test_review_in_each_half_passes_on_the_half_year_bounds() -> None:
    r = review([D(2024, 6, 30), D(2024, 7, 1)])
    assert (r["status"], r["earned"]) == ("pass", 3.0)


def test_two_reviews_in_one_half_earn_half_the_points() -> None:
    r = review([D(2024, 1, 1), D(2024, 6, 30)])
    assert (r["status"], r["earned"], r["measured"]) == ("fail", 1.5, "2 次，覆盖 1/2 个半年")


def test_leadership_review_only_applies_to_top_level_orgs() -> None:
    assert review([D(2024, 3, 1), D(2024, 9, 1)], org="C")["status"] == "pass"
    r = review([D(2024, 3, 1), D(2024, 9, 1)], org="G")
    assert (r["status"], r["earned"], r["measured"], r["evidence_rows"]) == (
        "not_applicable",
        0.0,
        "仅适用于直属党组织",
        0,
    )


# ---------------------------------------------------------------------------------------------
# org.budget and org.secretary — registry values
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "status", "shown"), [(True, "pass", "是"), (False, "fail", "否"), (None, "fail", "未填")]
)
def test_budget_reads_the_registry(value: bool | None, status: str, shown: str) -> None:
    store = make_store(orgs=orgs_frame(C={"budget_included": value}))
    r = result(run(store), "C", "org.budget")
    assert (r["status"], r["measured"], r["evidence_rows"]) == (status, f"党建经费列入预算：{shown}", 1)


def test_budget_column_absent_from_registry_is_no_data() -> None:
    store = make_store(orgs=orgs_frame().drop("budget_included"))
    a = run(store)
    assert result(a, "C", "org.budget")["status"] == "no_data"
    assert result(a, "B", "org.budget")["status"] == "not_applicable"


@pytest.mark.parametrize(
    ("name", "mode", "status"),
    [
        ("张三", "兼任", "pass"),
        ("张三", "专职", "pass"),
        ("", "兼任", "fail"),
        ("  ", "兼任", "fail"),
        (None, None, "fail"),
        ("张三", "代理", "fail"),
        ("张三", None, "fail"),
    ],
)
def test_secretary_present_and_serving_as_concurrent_or_full_time(
    name: str | None, mode: str | None, status: str
) -> None:
    store = make_store(orgs=orgs_frame(B={"secretary": name, "secretary_mode": mode}))
    assert result(run(store), "B", "org.secretary")["status"] == status


def test_vacant_secretary_says_so() -> None:
    store = make_store(orgs=orgs_frame(B={"secretary": None}))
    assert result(run(store), "B", "org.secretary")["measured"] == "书记空缺"


def test_registry_without_secretary_column_is_no_data_not_vacant() -> None:
    store = make_store(orgs=orgs_frame().drop("secretary"))
    r = result(run(store), "B", "org.secretary")
    assert (r["status"], r["measured"]) == ("no_data", "数据集中没有「组织」表的「书记」列")
