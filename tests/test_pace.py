"""Year-to-date pace warnings (analysis.pace): colours, what is still needed, and the notes.

The crafted year is judged on 30 June 2024 (6 of 12 months elapsed, 6 left) under changzhou-2009:

    C 党委      studies every month (green); committee meetings in Jan and Apr (amber: 2 of 2.5,
                one window missed — the allowance — so every window from now on counts)
    G 党总支    no study in February (red: a monthly duty missed in a past month cannot be made up);
                one committee meeting, in Feb (red: two windows lost, at most 4 of 6)
    B 党支部    studies every month, meetings Jan/Mar/May (green), all 3 submissions done (green)
    T 党支部    one submission of 3 (amber: 1.5 due by now), no meeting at all (red)

The dataset has no dues table, so 党费 is grey for everyone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from analysis.assess import AssessError
from analysis.decisions import PACE_COLUMNS, pace, pace_table
from analysis.rules import load_ruleset, lookup
from analysis.store import Store
from tests.test_rules_helpers import D, acts, make_store, run

AS_OF = D(2024, 6, 30)


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
    assert r["note"] == "2月未达标，错过的时段不能补做；全年最多 11/12 个月达标，达不到要求的 12 个月"


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
    assert (
        r["note"] == "3-4月、5-6月未达标，错过的时段不能补做；全年最多 4/6 个双月达标，达不到要求的 5 个双月"
    )


def test_meetings_in_every_window_so_far_are_green(mid_year: pl.DataFrame) -> None:
    assert numbers(row(mid_year, "B", "org.committee_meetings")) == (3.0, 5.0, 2.0, 0.33, "green", "绿")


def test_leadership_review_missed_in_the_first_half_is_red_only_once_the_half_is_over() -> None:
    store = make_store(activities=meetings("C", [3], kind="leadership_review"))
    on_30_june, on_29_june = paced(store), paced(store, D(2024, 6, 29))
    assert row(on_30_june, "C", "org.leadership_review")["colour"] == "green"
    assert row(on_30_june, "T", "org.leadership_review")["colour"] == "red"
    assert row(on_30_june, "T", "org.leadership_review")["note"].startswith("1-6月未达标")
    assert numbers(row(on_29_june, "T", "org.leadership_review")) == (0.0, 2.0, 2.0, 0.33, "amber", "黄")


def test_national_monthly_committee_meeting_missed_in_april_is_red() -> None:
    store = make_store(activities=meetings("B", [1, 2, 3, 5, 6]))
    r = row(paced(store, ruleset="national-2019"), "B", "org.committee_meetings")
    assert numbers(r) == (5.0, 12.0, 7.0, 1.17, "red", "红")
    assert r["note"].startswith("4月未达标")


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
    assert row(df, "G", "edu.dues")["note"].startswith("2月未达标")
    assert row(df, "T", "edu.dues")["colour"] == "red"
    assert row(df, "T", "edu.dues")["note"].startswith("5月未达标")
    assert row(df, "C", "edu.dues")["note"].startswith("1月、2月、3月、4月、5月未达标")


# ---------------------------------------------------------------------------------------------
# Which rules, and the output.
# ---------------------------------------------------------------------------------------------
def test_every_applicable_paced_rule_and_nothing_else_is_listed(mid_year: pl.DataFrame) -> None:
    ruleset = load_ruleset()
    paced_ids = [r.rule_id for r in ruleset.items if lookup(r.rule_id).pace is not None]
    assert mid_year.columns == list(PACE_COLUMNS)
    assert mid_year.filter(pl.col("org_id") == "B")["rule_id"].to_list() == [
        r for r in paced_ids if r not in ("org.leadership_review", "mass.reports_heard")
    ]
    assert mid_year.filter(pl.col("org_id") == "C")["rule_id"].to_list() == [
        r for r in paced_ids if r != "edu.three_meetings_one_lesson"
    ]
    assert "org.term_election" not in paced_ids and "edu.monthly_study" in paced_ids


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
