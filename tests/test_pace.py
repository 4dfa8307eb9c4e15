"""Year-to-date pace warnings (analysis.decisions.pace): colours, what is still needed, and the notes.

The crafted year is judged on 30 June 2024 (6 of 12 months elapsed, 6 left) under changzhou-2009:

    C 党委      studies every month (green); committee meetings in Jan and Apr (amber: 2 of 2.5,
                one window missed — the allowance — so every window from now on counts)
    G 党总支    no study in February (red: a monthly duty missed in a past month cannot be made up);
                one committee meeting, in Feb (red: two windows lost, at most 4 of 6)
    B 党支部    studies every month, meetings Jan/Mar/May (green), all 3 submissions done (green)
    T 党支部    one submission of 3 (amber: 1.5 due by now), no meeting at all (red)

The dataset has no dues table, so 党费 is grey for everyone.  Later sections build their own small
years: a condition broken before the as-of date (red, with its cause), rows dated after it (ignored),
the annual plan's window, the integrity pledges, the term rules and the rules that are not paced.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from analysis.assess import AssessError
from analysis.decisions import PACE_COLUMNS, PACE_SCHEMA, pace, pace_table
from analysis.rules import load_ruleset, lookup
from analysis.store import Store
from tests.test_rules_helpers import D, acts, make_store, orgs_frame, run

AS_OF = D(2024, 6, 30)
MONTHS_LEFT = [f"{m}月" for m in range(7, 13)]


def studies(org: str, months: list[int]) -> list[dict[str, Any]]:
    """Two group studies in each month, one of them political theory: a compliant month."""
    out = []
    for m in months:
        out += acts(org, "group_study", [D(2024, m, 5)], political_theory=True)
        out += acts(org, "group_study", [D(2024, m, 20)])
    return out


def meetings(org: str, months: list[int], kind: str = "committee_meeting") -> list[dict[str, Any]]:
    return acts(org, kind, [D(2024, m, 10) for m in months])


def submissions(org: str, n: int) -> list[dict[str, Any]]:
    return acts(org, "info_submission", [D(2024, m, 3) for m in range(1, n + 1)])


def mid_year_store() -> Store:
    rows = (
        studies("C", [1, 2, 3, 4, 5, 6, 7])  # July is after the as-of date: not counted
        + studies("G", [1, 3, 4, 5, 6])
        + studies("B", [1, 2, 3, 4, 5, 6])
        + studies("T", [1, 2, 3, 4, 5, 6])
        + meetings("C", [1, 4])
        + meetings("G", [2])
        + meetings("B", [1, 3, 5])
        + submissions("C", 6)
        + submissions("B", 3)
        + submissions("T", 1)
    )
    return make_store(activities=rows)


def paced(store: Store, as_of: date = AS_OF, ruleset: str = "changzhou-2009") -> pl.DataFrame:
    return pace(store, run(store, 2024, as_of=as_of, ruleset=ruleset))


def row(df: pl.DataFrame, org: str, rule: str) -> dict[str, Any]:
    rows = df.filter((pl.col("org_id") == org) & (pl.col("rule_id") == rule))
    assert rows.height == 1, (org, rule, rows.height)
    return rows.row(0, named=True)


def numbers(r: dict[str, Any]) -> tuple:
    return r["done"], r["required"], r["remaining"], r["rate_needed"], r["colour"], r["colour_zh"]


@pytest.fixture(scope="module")
def mid_year() -> pl.DataFrame:
    return paced(mid_year_store())


# ---------------------------------------------------------------------------------------------
# The four colours.
# ---------------------------------------------------------------------------------------------
def test_org_studying_every_month_is_green(mid_year: pl.DataFrame) -> None:
    r = row(mid_year, "C", "edu.monthly_study")
    assert numbers(r) == (6.0, 12.0, 6.0, 1.0, "green", "绿")
    assert r["note"] == "截至6月30日已有 6 个月达标，全年要求 12 个月，进度正常"
    assert (r["name"], r["org_type"], r["title"]) == ("机关党委", "committee", "每月集中学习")


def test_committee_meetings_behind_pace_with_the_allowance_used_are_amber(mid_year: pl.DataFrame) -> None:
    r = row(mid_year, "C", "org.committee_meetings")
    assert numbers(r) == (2.0, 5.0, 3.0, 0.5, "amber", "黄")
    assert r["note"] == (
        "截至6月30日已完成 2 次，按进度应完成 2.5 次；其余 6 个月还需 3 次（平均每月 0.5 次）；"
        "已达标 2/6 个双月，此后每个双月都不能错过"
    )


def test_a_monthly_study_missed_in_february_is_red_at_once(mid_year: pl.DataFrame) -> None:
    r = row(mid_year, "G", "edu.monthly_study")
    assert numbers(r) == (5.0, 12.0, 7.0, 1.17, "red", "红")
    assert r["note"] == "2月未开展集中学习（要求每个月都达标）；本年度已无法达标"
    assert (r["causes"], r["open_units"], r["units_needed"]) == (["no_study"], MONTHS_LEFT, 7)


def test_absent_dues_table_is_grey_for_every_org(mid_year: pl.DataFrame) -> None:
    r = row(mid_year, "B", "edu.dues")
    assert numbers(r) == (None, None, None, None, "grey", "灰")
    assert r["note"] == "数据集中没有「党费」表，无法判断进度"
    assert mid_year.filter(pl.col("rule_id") == "edu.dues")["colour"].to_list() == ["grey"] * 4


# ---------------------------------------------------------------------------------------------
# Periods: windows lost beyond the allowance.
# ---------------------------------------------------------------------------------------------
def test_two_bimonthly_windows_lost_are_red(mid_year: pl.DataFrame) -> None:
    r = row(mid_year, "G", "org.committee_meetings")
    assert numbers(r) == (1.0, 5.0, 4.0, 0.67, "red", "红")
    assert r["note"] == "3-4月、5-6月无委员会议（全年只能错过 1 个双月，已错过 2 个）；本年度已无法达标"


def test_meetings_in_every_window_so_far_are_green(mid_year: pl.DataFrame) -> None:
    assert numbers(row(mid_year, "B", "org.committee_meetings")) == (3.0, 5.0, 2.0, 0.33, "green", "绿")


def test_leadership_review_missed_in_the_first_half_is_red_only_once_the_half_is_over() -> None:
    store = make_store(activities=meetings("C", [3], kind="leadership_review"))
    on_30_june, on_29_june = paced(store), paced(store, D(2024, 6, 29))
    assert row(on_30_june, "C", "org.leadership_review")["colour"] == "green"
    assert row(on_30_june, "T", "org.leadership_review")["colour"] == "red"
    assert row(on_30_june, "T", "org.leadership_review")["note"] == (
        "1-6月无党组专题研究党建（每个半年都不能错过）；本年度已无法达标"
    )
    assert numbers(row(on_29_june, "T", "org.leadership_review")) == (0.0, 2.0, 2.0, 0.33, "amber", "黄")


def test_national_monthly_committee_meeting_missed_in_april_is_red() -> None:
    store = make_store(activities=meetings("B", [1, 2, 3, 5, 6]))
    r = row(paced(store, ruleset="national-2019"), "B", "org.committee_meetings")
    assert numbers(r) == (5.0, 12.0, 7.0, 1.17, "red", "红")
    assert r["note"] == "4月无委员会议（每个月都不能错过）；本年度已无法达标"


# ---------------------------------------------------------------------------------------------
# Counts.
# ---------------------------------------------------------------------------------------------
def test_counts_on_pace_done_and_behind(mid_year: pl.DataFrame) -> None:
    assert numbers(row(mid_year, "C", "duty.info_submissions")) == (6.0, 12.0, 6.0, 1.0, "green", "绿")
    done = row(mid_year, "B", "duty.info_submissions")
    assert numbers(done) == (3.0, 3.0, 0.0, 0.0, "green", "绿")
    assert done["note"] == "截至6月30日已完成 3 篇，全年要求 3 篇，已达到全年要求"
    behind = row(mid_year, "T", "duty.info_submissions")
    assert numbers(behind) == (1.0, 3.0, 2.0, 0.33, "amber", "黄")
    assert (
        behind["note"]
        == "截至6月30日已完成 1 篇，按进度应完成 1.5 篇；其余 6 个月还需 2 篇（平均每月 0.33 篇）"
    )
    assert numbers(row(mid_year, "G", "duty.info_submissions")) == (0.0, 6.0, 6.0, 1.0, "amber", "黄")


def test_a_short_count_is_red_only_when_no_time_is_left() -> None:
    store = make_store(activities=submissions("T", 1))
    r = row(paced(store, D(2024, 12, 31)), "T", "duty.info_submissions")
    assert numbers(r) == (1.0, 3.0, 2.0, None, "red", "红")
    assert r["note"] == "已到年底，完成 1/3 篇，未达到要求"


# ---------------------------------------------------------------------------------------------
# The current month is not lost yet; dues months are lost at their remittance deadline.
# ---------------------------------------------------------------------------------------------
def test_the_running_month_is_not_lost_yet() -> None:
    store = make_store(activities=studies("G", [1, 2, 3, 4, 5]))
    r = row(paced(store, D(2024, 6, 15)), "G", "edu.monthly_study")
    assert numbers(r) == (5.0, 12.0, 7.0, 1.08, "amber", "黄")  # 7 months in the 6.5 left
    assert r["note"] == "截至6月15日已有 5 个月达标，按进度应有 5.5 个月，此后每个月都不能错过"


def dues_rows(
    org: str, months: list[int], remitted: dict[int, date | None] | None = None
) -> list[dict[str, Any]]:
    remitted = remitted or {}
    return [
        {"org_id": org, "month": D(2024, m, 1), "due": 10.0, "paid": 10.0, "remitted_on": remitted.get(m, D(2024, m, 25))}
        for m in months
    ]  # fmt: skip


def test_dues_are_paced_on_the_months_already_due() -> None:
    dues = (
        dues_rows("B", [1, 2, 3, 4, 5])  # June is due by 31 July: not behind
        + dues_rows("G", [1, 2, 3, 4, 5], remitted={2: D(2024, 4, 1)})  # February remitted late
        + dues_rows("T", [1, 2, 3, 4, 5], remitted={5: None})  # May not remitted by 30 June
    )
    df = paced(make_store(dues=dues))
    assert numbers(row(df, "B", "edu.dues")) == (5.0, 12.0, 7.0, 1.17, "green", "绿")
    assert row(df, "G", "edu.dues")["note"].startswith("2月党费逾期上交（要求每个月都达标）；本年度已无法达标")
    assert row(df, "T", "edu.dues")["colour"] == "red"
    assert row(df, "T", "edu.dues")["note"].startswith("5月党费逾期未上交（要求每个月都达标）")
    assert row(df, "C", "edu.dues")["note"].startswith("1月、2月、3月、4月、5月党费未上交（要求每个月都达标）")


# ---------------------------------------------------------------------------------------------
# Which rules, and the output.
# ---------------------------------------------------------------------------------------------
def test_every_rule_that_applies_gets_a_row_in_rubric_order(mid_year: pl.DataFrame) -> None:
    # issue 24: rules with a deadline (the annual plan, the pledges …) were left out; now every rule is
    # listed, and one that cannot be paced says so (grey)
    ids = [r.rule_id for r in load_ruleset().items]
    top_only = ("org.leadership_review", "org.budget", "style.integrity_pledges", "mass.reports_heard")
    assert dict(mid_year.schema) == PACE_SCHEMA and mid_year.columns == list(PACE_COLUMNS)
    assert mid_year.filter(pl.col("org_id") == "B")["rule_id"].to_list() == [
        r for r in ids if r not in (*top_only, "edu.cadre_training")
    ]
    assert mid_year.filter(pl.col("org_id") == "C")["rule_id"].to_list() == [
        r for r in ids if r != "edu.three_meetings_one_lesson"
    ]
    assert all(lookup(r).pace is not None for r in ids)


def test_pace_needs_an_as_of_date_inside_the_year() -> None:
    store = make_store()
    with pytest.raises(AssessError, match="2024 年内的截止日期"):
        pace(store, run(store, 2024, as_of=D(2025, 1, 15)))


def test_pace_table_speaks_chinese(mid_year: pl.DataFrame) -> None:
    table = pace_table(mid_year)
    r = table.filter((pl.col("org_id") == "T") & (pl.col("rule_id") == "duty.info_submissions")).row(
        0, named=True
    )
    assert {k: r[k] for k in ("org_type", "done", "required", "remaining", "rate_needed", "colour")} == {
        "org_type": "党支部", "done": "1", "required": "3", "remaining": "2", "rate_needed": "0.33", "colour": "黄",
    }  # fmt: skip
    grey = table.filter(pl.col("rule_id") == "edu.dues").row(0, named=True)
    assert (grey["done"], grey["colour"]) == (None, "灰")
    assert table.columns[:11] == [
        "org_id", "name", "org_type", "rule_id", "title", "done", "required", "remaining", "rate_needed",
        "colour", "note",
    ]  # fmt: skip
    lost = table.filter((pl.col("org_id") == "G") & (pl.col("rule_id") == "org.committee_meetings")).row(
        0, named=True
    )
    assert {k: lost[k] for k in ("still_open", "units_needed", "deadline", "cause")} == {
        "still_open": "7-8月、9-10月、11-12月", "units_needed": 4, "deadline": "2024-08-31", "cause": "有时段未开展",
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# A condition already broken before the as-of date is red, and the note names the cause.
# ---------------------------------------------------------------------------------------------
def test_an_unrecorded_democratic_life_meeting_is_red_though_the_count_is_reached() -> None:
    store = make_store(activities=acts("C", "democratic_life_meeting", [D(2024, 1, 8)], recorded=False))
    r = row(paced(store), "C", "edu.democratic_life_meeting")
    assert numbers(r) == (1.0, 1.0, 0.0, 0.0, "red", "红")
    assert r["note"] == "已开展的 1 次中有 1 次无记录（要求每次都有记录）；本年度已无法达标"
    assert r["causes"] == ["unrecorded"]


def test_an_unrecorded_committee_meeting_is_red_though_every_window_so_far_held_one() -> None:
    rows = meetings("B", [1, 3]) + acts("B", "committee_meeting", [D(2024, 5, 10)], recorded=False)
    r = row(paced(make_store(activities=rows)), "B", "org.committee_meetings")
    assert numbers(r) == (3.0, 5.0, 2.0, 0.33, "red", "红")
    assert r["note"] == "已开展的 3 次中有 1 次无记录（要求每次都有记录）；本年度已无法达标"


def test_failed_study_months_name_what_was_missing() -> None:
    rows = (
        studies("C", [1, 6])
        + acts("C", "group_study", [D(2024, 2, 5), D(2024, 2, 20)])  # two studies, none political
        + acts("C", "group_study", [D(2024, 3, 5)], political_theory=True)  # one study only
        + acts("C", "group_study", [D(2024, 5, 5)])  # one study, not political
    )  # April: none
    r = row(paced(make_store(activities=rows)), "C", "edu.monthly_study")
    assert numbers(r) == (2.0, 12.0, 10.0, 1.67, "red", "红")
    assert r["note"] == (
        "2月未开展政治理论学习，3月集中学习少于 2 次，4月未开展集中学习，5月集中学习少于 2 次、未开展政治理论学习"
        "（要求每个月都达标）；本年度已无法达标"
    )
    assert r["causes"] == ["no_political", "few_studies", "no_study"]


def test_failed_dues_months_name_short_late_and_missing_payments() -> None:
    dues = dues_rows("C", [1, 2, 3, 4], remitted={3: D(2024, 5, 5), 4: None})
    dues[1]["paid"] = 5.0  # February short
    r = row(paced(make_store(dues=dues)), "C", "edu.dues")
    assert numbers(r) == (1.0, 12.0, 11.0, 1.83, "red", "红")
    assert r["note"] == (
        "2月党费短缴，3月党费逾期上交，4月党费逾期未上交，5月党费未上交（要求每个月都达标）；本年度已无法达标；"
        "6月党费尚未上交（7月31日前）"
    )
    assert pace_table(paced(make_store(dues=dues))).filter(
        (pl.col("org_id") == "C") & (pl.col("rule_id") == "edu.dues")
    )["cause"].to_list() == ["短缴、逾期上交、逾期未上交、未上交"]


# ---------------------------------------------------------------------------------------------
# The three notes of issue 24 that misled: count vs windows, the allowance used up, dues remitted later.
# ---------------------------------------------------------------------------------------------
def test_ahead_by_count_but_behind_by_windows_says_which_window_is_missing() -> None:
    r = row(paced(make_store(activities=meetings("C", [1, 2])), D(2024, 3, 31)), "C", "org.committee_meetings")
    assert numbers(r) == (2.0, 5.0, 3.0, 0.33, "amber", "黄")
    assert r["note"] == (
        "截至3月31日已完成 2 次，但3-4月尚无委员会议（4月30日截止）；已覆盖 1/6 个双月，按进度应覆盖 1.25 个，"
        "此后最多还能错过 1 个双月"
    )
    assert (r["deadline"], r["units_needed"]) == (D(2024, 4, 30), 4)


def test_green_with_the_allowed_miss_used_says_every_remaining_window_must_hold_a_meeting() -> None:
    r = row(paced(make_store(activities=meetings("C", [1, 3, 5, 9])), D(2024, 9, 30)), "C", "org.committee_meetings")
    assert numbers(r) == (4.0, 5.0, 1.0, 0.33, "green", "绿")
    assert r["note"] == (
        "截至9月30日已完成 4 次，全年要求 5 次，进度正常；允许错过的 1 个双月已用完（7-8月无委员会议），"
        "此后每个双月都不能错过"
    )
    assert (r["open_units"], r["deadline"]) == (["11-12月"], D(2024, 12, 31))


def test_dues_remitted_after_the_as_of_date_do_not_count_yet() -> None:
    dues = dues_rows("B", [1, 2, 3, 4, 5, 6], remitted={6: D(2024, 7, 9)})
    r = row(paced(make_store(dues=dues)), "B", "edu.dues")
    assert numbers(r) == (5.0, 12.0, 7.0, 1.17, "green", "绿")
    assert r["note"] == "截至6月30日已有 5 个月达标，全年要求 12 个月，进度正常；6月党费尚未上交（7月31日前）"
    assert (r["open_units"][0], r["deadline"]) == ("6月", D(2024, 7, 31))


# ---------------------------------------------------------------------------------------------
# Nothing dated after the as-of date counts, for any rule.
# ---------------------------------------------------------------------------------------------
ONE_OF_EACH = [
    ("C", "org.term_election"), ("C", "org.committee_meetings"), ("C", "org.leadership_review"),
    ("C", "edu.monthly_study"), ("C", "edu.member_study_days"), ("C", "edu.cadre_training"),
    ("B", "edu.three_meetings_one_lesson"), ("C", "edu.democratic_life_meeting"), ("C", "edu.heart_talks"),
    ("C", "edu.dues"), ("C", "style.discipline_education"), ("C", "style.integrity_pledges"),
    ("C", "duty.info_submissions"), ("C", "duty.joint_building"), ("C", "mass.reports_heard"),
]  # fmt: skip


def one_of_each(day: date) -> dict[str, list[dict[str, Any]]]:
    """A row for every paced rule of changzhou-2009 (but the annual plan, due by 31 March), dated ``day``."""
    kinds = (
        "committee_meeting", "leadership_review", "democratic_life_meeting", "heart_talk", "discipline_education",
        "info_submission", "joint_building", "mass_org_report", "cadre_training",
    )  # fmt: skip
    activities = [r for k in kinds for r in acts("C", k, [day])]
    activities += acts("C", "group_study", [day, day], political_theory=True) + acts("B", "member_congress", [day])
    activities += acts("C", "integrity_pledge", [day], signed_count=2)
    return {
        "activities": activities,
        "study": [{"member_id": "C-1", "org_id": "C", "date": day, "days": 6.0}],
        "dues": [{"org_id": "C", "month": D(day.year, day.month, 1), "due": 10.0, "paid": 10.0, "remitted_on": day}],
        "elections": [{"org_id": "C", "date": day, "approved": False}],
    }


def store_with(extra: dict[str, list[dict[str, Any]]]) -> Store:
    base = {
        "activities": [],
        "study": [{"member_id": "C-1", "org_id": "C", "date": D(2024, 1, 10), "days": 1.0}],
        "dues": [],
        "elections": [{"org_id": "C", "date": D(2020, 6, 20), "approved": False}],
    }
    tables = {k: v + extra.get(k, []) for k, v in base.items()}
    orgs = orgs_frame(C={"member_count": 1, "mid_cadres": 2})
    return make_store(orgs=orgs, **tables)


def test_rows_dated_the_day_after_the_as_of_date_change_nothing() -> None:
    before, on_the_day, after = (
        paced(store_with(extra)) for extra in ({}, one_of_each(AS_OF), one_of_each(D(2024, 7, 1)))
    )
    for org, rule in ONE_OF_EACH:
        assert row(after, org, rule) == row(before, org, rule), rule
        assert row(on_the_day, org, rule) != row(before, org, rule), rule  # the same rows a day earlier count


# ---------------------------------------------------------------------------------------------
# The annual plan (by 31 March) and the summary window (from 1 November).
# ---------------------------------------------------------------------------------------------
def plan_row(store: Store, as_of: date, org: str = "C") -> dict[str, Any]:
    return row(paced(store, as_of), org, "org.annual_plan")


def test_a_missing_plan_is_amber_before_31_march_and_red_from_the_end_of_that_day() -> None:
    store = make_store()
    early, last_day, after = (plan_row(store, d) for d in (D(2024, 3, 30), D(2024, 3, 31), D(2024, 4, 1)))
    assert numbers(early) == (0.0, 2.0, 2.0, None, "amber", "黄")
    assert early["note"] == "截至3月30日尚无年度计划，须在3月31日前完成；年度总结须在11月1日至2025年1月31日之间完成"
    assert (early["deadline"], early["open_units"]) == (D(2024, 3, 31), ["年度计划", "年度总结"])
    for r in (last_day, after):
        assert numbers(r) == (0.0, 2.0, 2.0, None, "red", "红")
        assert r["note"] == "3月31日前无年度计划；本年度已无法达标；年度总结须在11月1日至2025年1月31日之间完成"
        assert (r["causes"], r["deadline"], r["open_units"]) == (["window"], D(2025, 1, 31), ["年度总结"])


def test_a_plan_dated_31_march_is_on_time_and_one_dated_1_april_is_late() -> None:
    store = make_store(
        activities=acts("C", "annual_plan", [D(2024, 3, 31)]) + acts("G", "annual_plan", [D(2024, 4, 1)])
    )
    for as_of in (D(2024, 3, 31), D(2024, 4, 1)):
        on_time = plan_row(store, as_of)
        assert numbers(on_time) == (1.0, 2.0, 1.0, None, "green", "绿")
        assert on_time["note"] == (
            f"截至{as_of.month}月{as_of.day}日年度计划已完成，进度正常；年度总结须在11月1日至2025年1月31日之间完成"
        )
        assert numbers(plan_row(store, as_of, "G"))[4] == "red"


def test_the_summary_is_amber_while_its_window_is_open_and_green_once_written() -> None:
    plan = acts("C", "annual_plan", [D(2024, 1, 15)])
    r = plan_row(make_store(activities=plan), D(2024, 11, 15))
    assert numbers(r) == (1.0, 2.0, 1.0, None, "amber", "黄")
    assert r["note"] == "截至11月15日尚无年度总结，须在2025年1月31日前完成"
    late = plan_row(make_store(), D(2024, 11, 15))
    assert late["note"] == "3月31日前无年度计划；本年度已无法达标；尚无年度总结，须在2025年1月31日前完成"
    done = plan_row(make_store(activities=plan + acts("C", "annual_summary", [D(2024, 11, 10)])), D(2024, 11, 15))
    assert numbers(done) == (2.0, 2.0, 0.0, None, "green", "绿")
    assert done["note"] == "截至11月15日年度计划、年度总结均已完成，已达到全年要求"
    assert (done["deadline"], done["open_units"]) == (None, [])


# ---------------------------------------------------------------------------------------------
# Integrity pledges: signed against the registry's mid-level cadres, through the year.
# ---------------------------------------------------------------------------------------------
def pledge_row(signed: int, as_of: date = AS_OF, mid_cadres: int | None = 10) -> dict[str, Any]:
    store = make_store(
        orgs=orgs_frame(C={"mid_cadres": mid_cadres}),
        activities=acts("C", "integrity_pledge", [D(2024, 2, 1)], signed_count=signed),
    )
    return row(paced(store, as_of), "C", "style.integrity_pledges")


def test_pledges_on_pace_behind_signed_and_short_at_year_end() -> None:
    on_pace, behind = pledge_row(5), pledge_row(4)
    assert numbers(on_pace) == (5.0, 10.0, 5.0, 0.83, "green", "绿")
    assert on_pace["note"] == "截至6月30日已完成 5 人，全年要求 10 人，进度正常"
    assert numbers(behind) == (4.0, 10.0, 6.0, 1.0, "amber", "黄")
    assert behind["note"] == "截至6月30日已完成 4 人，按进度应完成 5 人；其余 6 个月还需 6 人（平均每月 1 人）"
    assert pledge_row(10)["note"] == "截至6月30日已完成 10 人，全年要求 10 人，已达到全年要求"
    short = pledge_row(8, D(2024, 12, 31))
    assert numbers(short) == (8.0, 10.0, 2.0, None, "red", "红")
    assert (short["note"], short["causes"]) == ("已到年底，完成 8/10 人，未达到要求", ["year_short"])


def test_pledges_with_no_cadre_count_in_the_registry_are_grey() -> None:
    r = pledge_row(3, mid_cadres=None)
    assert numbers(r) == (None, None, None, None, "grey", "灰")
    assert r["note"] == "中层以上党员干部人数未填；签订 3 人，无法判断进度"


# ---------------------------------------------------------------------------------------------
# Term rules, study days, and the rules that are not paced.
# ---------------------------------------------------------------------------------------------
def test_term_rules_show_their_verdict_at_the_as_of_date() -> None:
    elections = [
        {"org_id": "C", "date": D(2020, 11, 30), "approved": False},  # due 2024-11-30: this year
        {"org_id": "G", "date": D(2021, 3, 1), "approved": False},  # due 2024-03-01: overdue by 30 June
    ]
    df = paced(make_store(elections=elections))
    due = row(df, "C", "edu.cadre_training")
    assert (due["colour"], due["deadline"]) == ("amber", D(2024, 11, 30))
    assert due["note"] == (
        "本届（2020-11-30 起，2024-11-30 届满）培训 0 次；本届于11月30日届满，要求：每届组织党务干部业务培训 ≥ 1 次"
    )
    assert row(df, "C", "org.term_election")["colour"] == "green"
    overdue = row(df, "G", "org.term_election")
    assert (overdue["colour"], overdue["causes"], overdue["deadline"]) == ("red", ["term"], None)
    assert overdue["note"] == (
        "末次换届 2021-03-01，本届应于 2024-03-01 届满，至 2024-06-30 逾期超过 1 个月未换届；本年度已无法达标"
    )
    untrained = row(df, "G", "edu.cadre_training")
    assert (untrained["colour"], untrained["note"]) == ("red", "本届（2021-03-01 起，2024-03-01 届满）培训 0 次；本年度已无法达标")


def test_study_days_are_paced_on_each_members_days_so_far() -> None:
    study = [
        {"member_id": m, "org_id": "C", "date": D(2024, 3, 1), "days": d} for m, d in (("C-1", 6.0), ("C-2", 5.0))
    ]
    store = make_store(orgs=orgs_frame(C={"member_count": 2}), study=study)
    r = row(paced(store), "C", "edu.member_study_days")
    assert numbers(r) == (0.0, 1.0, 1.0, None, "amber", "黄")
    assert r["note"] == (
        "截至6月30日按进度（全年要求的 50%）：学习满 6 天的党员 1/2 人（50%），落后于进度；全年要求全体党员每年集中学习 ≥ 12 天"
    )
    study[1]["days"] = 6.0
    store = make_store(orgs=orgs_frame(C={"member_count": 2}), study=study)
    on_pace = row(paced(store), "C", "edu.member_study_days")
    assert on_pace["note"] == "截至6月30日按进度（全年要求的 50%）：学习满 6 天的党员 2/2 人（100%），进度正常"
    short = row(paced(store, D(2024, 12, 31)), "C", "edu.member_study_days")
    assert (short["colour"], short["note"]) == ("red", "已到年底，学习满 12 天的党员 0/2 人（0%），未达到要求")


def test_registry_values_and_inspection_scores_are_grey_with_why(mid_year: pl.DataFrame) -> None:
    budget, secretary = row(mid_year, "C", "org.budget"), row(mid_year, "B", "org.secretary")
    assert numbers(budget) == (None, None, None, None, "grey", "灰")
    assert budget["note"] == "党建经费列入预算：是；组织名册中的登记项，不按进度预警"
    assert secretary["note"] == "书记：张三（兼任）；组织名册中的登记项，不按进度预警"
    assert row(mid_year, "T", "manual.style")["note"] == "数据集中没有「督查评分」表，无法判断进度"
    inspected = make_store(inspections=[{"org_id": "C", "year": 2024, "item": "manual.style", "score": 5.0}])
    assert row(paced(inspected), "C", "manual.style")["note"] == "督查评分 5；督查评分在年终考核时给出，不按进度预警"
