"""The second ruleset, national-2019 (支部工作条例 2018, 机关基层组织工作条例 2019): its rubric, its terms
and the cadences it adds (党员大会每季度, 支委会/党小组会/主题党日每月)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analysis.assess import Assessment
from analysis.ingest import ingest
from analysis.rules import RulesetError, builtin_rulesets, load_ruleset
from analysis.store import Store
from analysis.terms import assess_terms
from tests.test_rules_helpers import D, acts, make_store, monthly, orgs_frame, result, run, score

NATIONAL = "national-2019"

RUBRIC_ORDER = [
    ("org.term_election", 5), ("org.committee_meetings", 6), ("org.member_congress", 1),
    ("org.leadership_review", 3), ("org.budget", 2), ("org.secretary", 5),
    ("org.cadre_congress", 1), ("org.secretary_report", 1), ("org.party_building_report", 1),
    ("edu.group_meetings", 7), ("edu.themed_party_day", 7), ("edu.org_life_meeting", 4),
    ("edu.member_review", 3), ("edu.secretary_lecture", 2), ("edu.annual_training", 2),
    ("edu.democratic_life_meeting", 4), ("edu.heart_talks", 2), ("edu.dues", 4),
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
        "edu.annual_training", "edu.group_meetings", "edu.member_review", "edu.org_life_meeting",
        "edu.secretary_lecture", "edu.themed_party_day", "org.cadre_congress", "org.member_congress",
        "org.party_building_report", "org.secretary_report",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("rule_id", "clause"),
    [
        ("edu.themed_party_day", "支部条例第十六条"),
        ("edu.org_life_meeting", "支部条例第十七条"),
        ("edu.member_review", "支部条例第十八条"),
        ("org.budget", "机关条例第四十条"),
        ("org.term_election", "机关条例第五至八条；任期意见一、二"),
        ("org.secretary", "机关条例第八条；沿用常州 一(4)"),
    ],
)
def test_corrected_citations(rule_id: str, clause: str) -> None:
    assert load_ruleset(NATIONAL).rule(rule_id).clause == clause


@pytest.mark.parametrize(
    ("rule_id", "kind", "dates", "expected"),
    [
        ("edu.themed_party_day", "themed_party_day", [D(2024, m, 1) for m in range(1, 13)], ("pass", 7.0)),
        ("edu.themed_party_day", "themed_party_day", [D(2024, m, 1) for m in range(1, 12)], ("fail", 6.42)),
        ("edu.org_life_meeting", "org_life_meeting", [D(2024, 12, 31)], ("pass", 4.0)),
        ("edu.org_life_meeting", "org_life_meeting", [D(2023, 12, 31)], ("fail", 0.0)),
        ("edu.member_review", "member_review", [D(2024, 1, 1)], ("pass", 3.0)),
        ("edu.member_review", "member_review", [D(2025, 1, 1)], ("fail", 0.0)),
    ],
)
def test_corrected_rules_at_their_boundary(rule_id: str, kind: str, dates: list[date], expected: tuple) -> None:
    r = result(national(make_store(activities=acts("B", kind, dates))), "B", rule_id)
    assert (r["status"], round(r["earned"], 2)) == expected


@pytest.mark.parametrize(("included", "expected"), [(True, ("pass", 2.0)), (False, ("fail", 0.0))])
def test_budget_under_article_forty(included: bool, expected: tuple) -> None:
    r = result(national(make_store(orgs=orgs_frame(C={"budget_included": included}))), "C", "org.budget")
    assert (r["status"], r["earned"]) == expected


# ---------------------------------------------------------------------------------------------
# 支部党员大会 每季度.
# ---------------------------------------------------------------------------------------------
def congress_result(dates: list[date]) -> dict:
    return result(
        national(make_store(activities=acts("B", "member_congress", dates))), "B", "org.member_congress"
    )


def test_member_congress_in_three_quarters_fails_and_earns_three_quarters() -> None:
    r = congress_result([D(2024, 1, 5), D(2024, 4, 5), D(2024, 7, 5)])
    assert (r["status"], r["measured_value"], r["earned"]) == ("fail", 3.0, 0.75)
    assert r["measured"] == "3 次，覆盖 3/4 个季度"


def test_member_congress_in_every_quarter_passes_on_the_quarter_bounds() -> None:
    r = congress_result([D(2024, 3, 31), D(2024, 4, 1), D(2024, 9, 30), D(2024, 12, 31)])
    assert (r["status"], r["earned"]) == ("pass", 1.0)


def test_four_congresses_in_three_quarters_fail_each_quarter_needs_one() -> None:
    r = congress_result([D(2024, 1, 5), D(2024, 2, 5), D(2024, 4, 5), D(2024, 7, 5)])
    assert (r["status"], r["measured_value"], r["earned"]) == ("fail", 4.0, 0.75)


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


def test_monthly_committee_meetings_are_a_branch_rule_not_for_committees_or_general_branches() -> None:
    meetings = [r for o in "CGBT" for r in acts(o, "committee_meeting", [D(2024, 1, 3)])]
    a = national(make_store(activities=meetings))
    got = [(result(a, o, "org.committee_meetings")["status"], result(a, o, "org.committee_meetings")["measured"])
           for o in "CGBT"]  # fmt: skip
    assert got == [
        ("not_applicable", "仅适用于党支部"), ("not_applicable", "仅适用于党支部"),
        ("fail", "1 次，覆盖 1/12 个月，未记录 0 次"), ("fail", "1 次，覆盖 1/12 个月，未记录 0 次"),
    ]  # fmt: skip
    assert result(run(make_store(activities=meetings)), "C", "org.committee_meetings")["status"] == "fail"


# ---------------------------------------------------------------------------------------------
# 党小组会: only where the registry says the branch has 党小组.
# ---------------------------------------------------------------------------------------------
def groups_result(orgs: Any, org: str = "B") -> dict:
    store = make_store(orgs=orgs, activities=monthly("B", "group_meeting") + monthly("T", "group_meeting"))
    return result(national(store), org, "edu.group_meetings")


def test_group_meetings_are_no_data_when_the_registry_has_no_party_group_column() -> None:
    r = groups_result(orgs_frame())
    assert (r["status"], r["measured"], r["earned"]) == ("no_data", "数据集中没有「组织」表的「党小组」列", 0.0)


def test_group_meetings_apply_where_the_registry_says_yes_and_not_where_it_says_no() -> None:
    orgs = orgs_frame(B={"has_party_groups": True}, T={"has_party_groups": False})
    yes, no = groups_result(orgs, "B"), groups_result(orgs, "T")
    assert (yes["status"], yes["earned"], yes["evidence_rows"]) == ("pass", 7.0, 12)
    assert (no["status"], no["measured"], no["evidence_rows"]) == ("not_applicable", "组织名册登记本支部未设党小组", 0)


def test_group_meetings_are_no_data_for_a_branch_whose_party_group_cell_is_empty() -> None:
    r = groups_result(orgs_frame(B={"has_party_groups": None}, T={"has_party_groups": True}))
    assert (r["status"], r["measured"]) == ("no_data", "组织名册中「党小组」未填")


def test_the_party_group_column_is_read_from_chinese_and_english_headers(tmp_path: Path) -> None:
    got = {}
    for header in ("党小组", "has_party_groups"):
        folder = tmp_path / header
        folder.mkdir()
        rows = "\n".join(f"{o},{n},{t},{p},{g}" for o, n, t, p, g in [
            ("C", "机关党委", "党委", "", ""), ("B", "第一党支部", "党支部", "C", "有"), ("T", "直属支部", "党支部", "", "无"),
        ])  # fmt: skip
        (folder / "组织名册.csv").write_text(f"组织编码,组织名称,组织类型,上级组织编码,{header}\n{rows}\n", "utf-8")
        st = Store.open(ingest([folder], tmp_path / f"{header}-store").store)
        got[header] = st.table("orgs").select("org_id", "has_party_groups").sort("org_id").collect().rows()
    assert got["党小组"] == got["has_party_groups"] == [("B", True), ("C", None), ("T", False)]


@pytest.mark.parametrize(
    ("headers", "sep"),
    [(("组织编码", "活动日期", "活动类型"), ","), (("org_id", "date", "kind"), ",")],
)
def test_the_new_activity_kinds_are_read_from_chinese_and_english_headers(
    tmp_path: Path, headers: tuple[str, ...], sep: str
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "组织名册.csv").write_text("组织编码,组织名称,组织类型\nC,机关党委,党委\n", "utf-8")
    spelled = ["机关党员干部大会", "党员干部大会", "书记述职", "书记抓党建述职", "党建工作通报", "党建工作情况通报",
               "cadre_congress", "secretary_report", "party_building_report"]  # fmt: skip
    lines = [sep.join(headers)] + [sep.join(("C", f"2024-03-{i + 1:02d}", k)) for i, k in enumerate(spelled)]
    (tmp_path / "in" / "活动记录.csv").write_text("\n".join(lines) + "\n", "utf-8")
    st = Store.open(ingest([tmp_path / "in"], tmp_path / "store").store)
    assert st.table("activities").sort("date").collect()["kind"].to_list() == [
        "cadre_congress", "cadre_congress", "secretary_report", "secretary_report", "party_building_report",
        "party_building_report", "cadre_congress", "secretary_report", "party_building_report",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 书记配备: the secretary is a leader of the unit (机关条例 第八条).
# ---------------------------------------------------------------------------------------------
def test_secretary_rule_is_no_data_without_the_unit_leader_column_and_still_fails_a_vacancy() -> None:
    a = national(make_store(orgs=orgs_frame(B={"secretary": None})))
    named, vacant = result(a, "C", "org.secretary"), result(a, "B", "org.secretary")
    assert (named["status"], named["measured"]) == (
        "no_data", "书记：张三（兼任），数据集中没有「组织」表的「书记为本单位负责人」列",
    )  # fmt: skip
    assert (vacant["status"], vacant["measured"]) == ("fail", "书记空缺")


def test_secretary_rule_reads_the_unit_leader_column() -> None:
    orgs = orgs_frame(
        C={"secretary_is_leader": True}, G={"secretary_is_leader": False}, B={"secretary_is_leader": None},
    )  # fmt: skip
    a = national(make_store(orgs=orgs))
    got = [(result(a, o, "org.secretary")["status"], result(a, o, "org.secretary")["measured"]) for o in "CGB"]
    assert got == [
        ("pass", "书记：张三（兼任），为本单位负责人"),
        ("fail", "书记：张三（兼任），非本单位负责人"),
        ("no_data", "书记：张三（兼任），是否为本单位负责人未登记"),
    ]
    assert result(run(make_store(orgs=orgs)), "G", "org.secretary")["status"] == "pass"  # changzhou: no such rule


# ---------------------------------------------------------------------------------------------
# The duties national-2019 adds: 书记讲党课, 集中培训, 机关党员干部大会, 书记述职, 党建工作通报.
# ---------------------------------------------------------------------------------------------
def lecture_store(rows: list[dict[str, Any]]) -> Store:
    """A store whose activity rows carry their 主题 (``make_store`` keeps no topic)."""
    return Store.from_frames({"orgs": orgs_frame(), "activities": pl.DataFrame(rows)})


def test_a_party_lecture_counts_as_the_secretarys_when_its_topic_says_so_or_names_the_secretary() -> None:
    rows = (
        acts("B", "party_lecture", [D(2024, 3, 1)], topic="书记讲党课")
        + acts("T", "party_lecture", [D(2024, 3, 1)], topic="张三：学习党章")
        + acts("C", "party_lecture", [D(2024, 3, 1)], topic="专题党课")
        + acts("G", "party_lecture", [D(2023, 12, 31)], topic="书记讲党课")  # the year before
    )
    a = national(lecture_store(rows))
    got = [(result(a, o, "edu.secretary_lecture")["status"], result(a, o, "edu.secretary_lecture")["measured"])
           for o in "CGBT"]  # fmt: skip
    assert got == [("fail", "书记讲党课 0 次"), ("fail", "书记讲党课 0 次"), ("pass", "书记讲党课 1 次"),
                   ("pass", "书记讲党课 1 次")]  # fmt: skip


def test_secretary_lecture_is_no_data_when_no_party_lecture_anywhere_is_the_secretarys() -> None:
    a = national(lecture_store(acts("B", "party_lecture", [D(2024, 3, 1)], topic="专题党课")))
    r = result(a, "C", "edu.secretary_lecture")
    assert (r["status"], r["measured"]) == (
        "no_data", "数据中没有任何可认定为书记所讲的党课（主题含“书记”或书记姓名），无法考核",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rule_id", "kind", "who", "expected"),
    [  # statuses of C G B T; G's row is dated the year before
        ("org.cadre_congress", "cadre_congress", "C", ["pass", "not_applicable", "not_applicable", "not_applicable"]),
        ("org.secretary_report", "secretary_report", "B", ["fail", "fail", "pass", "fail"]),
        ("org.party_building_report", "party_building_report", "T", ["fail", "not_applicable", "not_applicable", "pass"]),
    ],
)
def test_a_new_yearly_duty_passes_with_one_in_the_year(rule_id: str, kind: str, who: str, expected: list[str]) -> None:
    a = national(make_store(activities=acts(who, kind, [D(2024, 12, 31)]) + acts("G", kind, [D(2023, 12, 31)])))
    assert [result(a, o, rule_id)["status"] for o in "CGBT"] == expected
    assert result(a, who, rule_id)["measured"] == "1 次"


@pytest.mark.parametrize("rule_id", ["org.cadre_congress", "org.secretary_report", "org.party_building_report"])
def test_a_new_duty_never_recorded_anywhere_is_no_data_not_a_failure_of_every_org(rule_id: str) -> None:
    a = national(make_store(activities=acts("B", "member_congress", [D(2024, 3, 1)])))
    statuses = {result(a, o, rule_id)["status"] for o in "CGBT"} - {"not_applicable"}
    assert statuses == {"no_data"}
    assert result(a, "C", rule_id)["measured"].startswith("数据中没有任何「")


def test_the_new_duties_count_in_the_applicable_points_only_once_the_data_records_their_kinds() -> None:
    kinds = ("cadre_congress", "secretary_report", "party_building_report")
    recorded = national(make_store(activities=[r for k in kinds for r in acts("G", k, [D(2024, 5, 1)])]))
    unrecorded = national(make_store())
    assert score(recorded, "C")["applicable_points"] - score(unrecorded, "C")["applicable_points"] == 3
    assert score(recorded, "C")["earned_points"] == score(unrecorded, "C")["earned_points"]  # C holds none


def test_annual_training_needs_every_member_studying_and_a_training_in_the_year() -> None:
    study = [{"member_id": f"m{i}", "org_id": "B", "date": D(2024, 5, 1), "days": 1.0} for i in range(3)]
    orgs = orgs_frame(B={"member_count": 4}, T={"member_count": 0})
    rows = acts("B", "cadre_training", [D(2024, 6, 1)])
    a = national(make_store(orgs=orgs, activities=rows, study=study))
    b, t = result(a, "B", "edu.annual_training"), result(a, "T", "edu.annual_training")
    assert (b["status"], b["measured"], b["earned"]) == ("fail", "参加集中学习的党员 3/4 人；党务干部培训 1 次", 1.75)
    assert (t["status"], t["measured"], t["earned"]) == ("fail", "参加集中学习的党员 0/0 人；党务干部培训 0 次", 1.0)


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


def test_a_transition_table_missing_an_org_type_is_refused_in_chinese(tmp_path: Path) -> None:
    old = "years = { committee = 4, general_branch = 3, branch = 2 }"
    assert old in load_text()
    text = load_text().replace(old, "years = { committee = 4, general_branch = 3 }")
    (tmp_path / "n.toml").write_text(text, "utf-8")
    with pytest.raises(RulesetError, match=r"terms\.before\.years\.branch 缺失"):
        load_ruleset(tmp_path / "n.toml")


def load_text() -> str:
    return (Path(__file__).resolve().parents[1] / "analysis" / "rules" / f"{NATIONAL}.toml").read_text("utf-8")


def test_terms_csv_gives_a_current_old_term_its_old_length() -> None:
    store = make_store(elections=[{"org_id": o, "date": d, "approved": False}
                                  for o, d in (("C", D(2017, 3, 1)), ("B", D(2019, 3, 1)))])  # fmt: skip
    ta = assess_terms(store, "2020-06-30", ruleset=NATIONAL)
    got = ta.terms.filter(pl.col("org_id").is_in(["B", "C"])).sort("org_id").select("org_id", "term_years", "term_due")
    assert got.rows() == [("B", 3, D(2022, 3, 1)), ("C", 4, D(2021, 3, 1))]


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


def test_group_meetings_pace_only_where_the_branch_has_party_groups() -> None:
    from analysis.decisions import pace

    orgs = orgs_frame(B={"has_party_groups": True}, T={"has_party_groups": False})
    store = make_store(orgs=orgs, activities=acts("B", "group_meeting", [D(2024, m, 5) for m in (1, 2, 4, 5, 6)]))
    p = pace(store, national(store, as_of=D(2024, 6, 30)))
    rows = p.filter(pl.col("rule_id") == "edu.group_meetings")
    assert rows["org_id"].to_list() == ["B"]  # T: 不适用, no pace row
    assert (rows["colour"][0], rows["note"][0]) == ("red", "3月无党小组会（每个月都不能错过）；本年度已无法达标")


def test_only_where_naming_a_column_that_is_not_a_registry_yes_no_column_is_a_chinese_error(tmp_path: Path) -> None:
    text = load_text().replace('only_where = "has_party_groups"', 'only_where = "secretary"')
    (tmp_path / "n.toml").write_text(text, "utf-8")
    with pytest.raises(RulesetError, match="only_where 的「secretary」不是组织名册的是/否列（可用：budget_included、has_party_groups"):
        run(make_store(), ruleset=str(tmp_path / "n.toml"))
