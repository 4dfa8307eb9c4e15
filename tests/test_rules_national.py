"""The second ruleset, national-2019 (支部工作条例 2018, 机关基层组织工作条例 2019): its rubric, its terms
and the cadences it adds (党员大会每季度, 支委会/党小组会/主题党日每月)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from analysis.assess import Assessment
from analysis.rules import builtin_rulesets, load_ruleset
from analysis.store import Store
from tests.test_rules_helpers import D, acts, make_store, result, run

NATIONAL = "national-2019"

RUBRIC_ORDER = [
    ("org.term_election", 5), ("org.committee_meetings", 6), ("org.member_congress", 4),
    ("org.leadership_review", 3), ("org.budget", 2), ("org.secretary", 5),
    ("edu.group_meetings", 8), ("edu.themed_party_day", 8), ("edu.org_life_meeting", 5),
    ("edu.member_review", 4), ("edu.democratic_life_meeting", 4), ("edu.heart_talks", 2), ("edu.dues", 4),
    ("style.discipline_education", 4), ("style.integrity_pledges", 5), ("manual.style", 6),
    ("duty.info_submissions", 6), ("duty.joint_building", 4), ("manual.duty", 5),
    ("mass.reports_heard", 6), ("manual.mass", 4),
]  # fmt: skip


def national(store: Store, year: int = 2024, **kw: Any) -> Assessment:
    return run(store, year, ruleset=NATIONAL, **kw)


# ---------------------------------------------------------------------------------------------
# The file.
# ---------------------------------------------------------------------------------------------
def test_national_ruleset_loads_with_a_rubric_of_100_over_the_same_five_categories() -> None:
    rs = load_ruleset(NATIONAL)
    assert NATIONAL in builtin_rulesets()
    assert rs.name == NATIONAL
    assert [(i.rule_id, i.points) for i in rs.items] == RUBRIC_ORDER
    assert sum(i.points for i in rs.items) == 100
    assert rs.categories == load_ruleset("changzhou-2009").categories
    assert rs.terms.years == {"committee": 5, "general_branch": 3, "branch": 3}


def test_every_rule_names_its_clause_and_has_a_chinese_title() -> None:
    for rule in load_ruleset(NATIONAL).items:
        assert rule.clause.strip() and rule.title_zh.strip() and rule.standard.strip(), rule.rule_id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.title_zh), rule.rule_id


def test_shared_rules_keep_their_ids_and_points_and_dropped_points_go_to_added_rules() -> None:
    ours, theirs = load_ruleset(NATIONAL), load_ruleset("changzhou-2009")
    shared = ours.rules.keys() & theirs.rules.keys()
    assert all(ours.rule(r).points == theirs.rule(r).points for r in shared)
    for category in ours.categories:
        dropped = sum(
            r.points for r in theirs.items if r.category == category and r.rule_id not in ours.rules
        )
        added = sum(r.points for r in ours.items if r.category == category and r.rule_id not in theirs.rules)
        assert dropped == added, category
    assert sorted(ours.rules.keys() - theirs.rules.keys()) == [
        "edu.group_meetings", "edu.member_review", "edu.org_life_meeting", "edu.themed_party_day",
        "org.member_congress",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 支部党员大会 每季度.
# ---------------------------------------------------------------------------------------------
def congress_result(dates: list[date]) -> dict:
    return result(
        national(make_store(activities=acts("B", "member_congress", dates))), "B", "org.member_congress"
    )


def test_member_congress_in_three_quarters_fails_and_earns_three_quarters() -> None:
    r = congress_result([D(2024, 1, 5), D(2024, 4, 5), D(2024, 7, 5)])
    assert (r["status"], r["measured_value"], r["earned"]) == ("fail", 3.0, 3.0)
    assert r["measured"] == "3 次，覆盖 3/4 个季度"


def test_member_congress_in_every_quarter_passes_on_the_quarter_bounds() -> None:
    r = congress_result([D(2024, 3, 31), D(2024, 4, 1), D(2024, 9, 30), D(2024, 12, 31)])
    assert (r["status"], r["earned"]) == ("pass", 4.0)


def test_four_congresses_in_three_quarters_fail_each_quarter_needs_one() -> None:
    r = congress_result([D(2024, 1, 5), D(2024, 2, 5), D(2024, 4, 5), D(2024, 7, 5)])
    assert (r["status"], r["measured_value"], r["earned"]) == ("fail", 4.0, 3.0)


def test_member_congress_applies_to_branches_only() -> None:
    a = national(make_store())
    assert [result(a, o, "org.member_congress")["status"] for o in ("C", "G", "B", "T")] == [
        "not_applicable", "not_applicable", "fail", "fail",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 支委会 每月.
# ---------------------------------------------------------------------------------------------
def test_committee_meetings_in_eleven_months_fail_and_earn_eleven_twelfths() -> None:
    meetings = acts("B", "committee_meeting", [D(2024, m, 3) for m in range(1, 12)])
    r = result(national(make_store(activities=meetings)), "B", "org.committee_meetings")
    assert (r["status"], r["earned"]) == ("fail", 5.5)
    assert r["measured"] == "11 次，覆盖 11/12 个月，未记录 0 次"


def test_bimonthly_meetings_pass_changzhou_but_earn_half_under_national() -> None:
    store = make_store(
        activities=acts("B", "committee_meeting", [D(2024, m, 3) for m in (1, 3, 5, 7, 9, 11)])
    )
    assert result(run(store), "B", "org.committee_meetings")["earned"] == 6.0
    assert result(national(store), "B", "org.committee_meetings")["earned"] == 3.0


# ---------------------------------------------------------------------------------------------
# Terms: committee 5 years, branch 3 years, ± 12 months with approval.
# ---------------------------------------------------------------------------------------------
def term(rows: list[tuple[str, date, bool]], org: str, ruleset: str = NATIONAL, year: int = 2024) -> str:
    store = make_store(elections=[{"org_id": o, "date": d, "approved": ok} for o, d, ok in rows])
    return result(run(store, year, ruleset=ruleset), org, "org.term_election")["status"]


def test_committee_term_is_five_years() -> None:
    rows = [("C", D(2019, 6, 1), False), ("C", D(2024, 6, 1), False)]
    assert term(rows, "C") == "pass"
    assert term(rows, "C", "changzhou-2009") == "fail"  # 4 years there: a year late


def test_committee_elected_four_years_ago_is_not_yet_due() -> None:
    rows = [("C", D(2020, 6, 1), False)]
    assert term(rows, "C") == "pass"
    assert term(rows, "C", "changzhou-2009") == "fail"  # overdue since 2024-06-01


@pytest.mark.parametrize(
    ("held", "approved", "expected"),
    [
        (D(2024, 3, 1), False, "pass"),  # due 2024-03-01 (3 years)
        (D(2023, 4, 1), True, "pass"),  # 11 months early, approved
        (D(2023, 4, 1), False, "fail"),
        (D(2023, 3, 1), True, "pass"),  # exactly 12 months early: bound included
        (D(2023, 2, 28), True, "fail"),  # beyond a year, even approved
    ],
)
def test_branch_term_is_three_years_and_approval_allows_a_year(
    held: date, approved: bool, expected: str
) -> None:
    assert term([("B", D(2021, 3, 1), False), ("B", held, approved)], "B", year=held.year) == expected


# ---------------------------------------------------------------------------------------------
# The term transition (任期意见一): a term begun before 2018-07-12 runs its old length (党委 4, 支部 2).
# ---------------------------------------------------------------------------------------------
def term_row(rows: list[tuple[str, date, bool]], org: str, year: int) -> dict:
    store = make_store(elections=[{"org_id": o, "date": d, "approved": ok} for o, d, ok in rows])
    return result(national(store, year), org, "org.term_election")


def test_the_transition_is_read_from_the_ruleset() -> None:
    before = load_ruleset(NATIONAL).terms.before
    assert before is not None and load_ruleset("changzhou-2009").terms.before is None
    assert (str(before.effective), before.years) == (
        "2018-07-12", {"committee": 4, "general_branch": 3, "branch": 2},
    )  # fmt: skip


def test_an_election_closing_an_old_four_year_term_on_time_passes() -> None:
    r = term_row([("C", D(2017, 3, 1), False), ("C", D(2021, 3, 1), False)], "C", 2021)
    assert r["status"] == "pass"
    assert r["measured"] == "末次换届 2021-03-01，本届按 2018-07-12 起的 5 年任期应于 2026-03-01 届满"
    assert r["required"] == (
        "每届 5 年（2018-07-12 前开始的一届 4 年），届满前后 1 个月内换届；经党工委批准可提前或延后不超过 12 个月"
    )


def test_an_election_a_year_after_an_old_term_ended_fails_and_names_the_rule_and_the_last_election() -> None:
    r = term_row([("C", D(2017, 3, 1), False), ("C", D(2022, 3, 1), False)], "C", 2022)
    assert r["status"] == "fail"
    assert r["measured"].endswith(
        "换届时间超出允许范围：2022-03-01（按 2018-07-12 前的 4 年任期（上次换届 2017-03-01）应于 2021-03-01 换届，未批准）"
    )


def test_an_election_closing_a_new_three_year_branch_term_after_two_years_fails() -> None:
    r = term_row([("B", D(2021, 3, 1), False), ("B", D(2023, 3, 1), False)], "B", 2023)
    assert r["status"] == "fail"
    assert r["measured"].endswith(
        "2023-03-01（按 2018-07-12 起的 3 年任期（上次换届 2021-03-01）应于 2024-03-01 换届，未批准）"
    )


@pytest.mark.parametrize(
    ("begun", "held", "expected"),
    [
        (D(2018, 7, 11), D(2020, 7, 11), "pass"),  # begun the day before: the old 2 years
        (D(2018, 7, 11), D(2021, 7, 11), "fail"),  # … so 3 years is a year late
        (D(2018, 7, 12), D(2021, 7, 12), "pass"),  # begun on the effective date: the new 3 years
        (D(2018, 7, 12), D(2020, 7, 12), "fail"),
    ],
)
def test_a_term_begun_on_the_effective_date_has_the_new_length(begun: date, held: date, expected: str) -> None:
    assert term_row([("B", begun, False), ("B", held, False)], "B", held.year)["status"] == expected


def test_a_current_old_term_is_due_after_its_old_length() -> None:
    r = term_row([("C", D(2017, 3, 1), False)], "C", 2021)  # due 2021-03-01, overdue by 31 December
    assert (r["status"], r["measured"]) == (
        "fail",
        "末次换届 2017-03-01，本届按 2018-07-12 前的 4 年任期应于 2021-03-01 届满，至 2021-12-31 逾期超过 1 个月未换届",
    )


# ---------------------------------------------------------------------------------------------
# 组织生活会 for branches, 民主生活会 for committees and general branches.
# ---------------------------------------------------------------------------------------------
def test_branches_hold_org_life_meetings_and_committees_democratic_life_meetings() -> None:
    rows = acts("B", "org_life_meeting", [D(2024, 11, 5)]) + acts(
        "C", "democratic_life_meeting", [D(2024, 12, 5)]
    )
    a = national(make_store(activities=rows))
    assert result(a, "B", "edu.org_life_meeting")["status"] == "pass"
    assert result(a, "B", "edu.democratic_life_meeting")["status"] == "not_applicable"
    assert result(a, "C", "edu.org_life_meeting")["status"] == "not_applicable"
    assert result(a, "C", "edu.democratic_life_meeting")["status"] == "pass"
