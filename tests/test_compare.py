"""Comparing rulesets (analysis.compare): who changes grade or selection between changzhou-2009 and
national-2019, and which rules cause it.

The crafted year: every org passes every rule of both rulesets (monthly committee meetings, and for the
branches monthly 党小组会 and 主题党日, a 组织生活会 and a 民主评议党员), except

    B 党支部  committee meetings in only 5 months — enough for changzhou (5 of 6 bimonthly windows), not
              for national (monthly): 6 → 2.5 points, 优秀 → 良好, and 5 of 12 meetings puts it on the
              weak list, so it loses its place on the advanced list;
    T 党支部  no 民主评议党员, a rule only national-2019 has: 优秀 → 良好.

The registry says every org's secretary is a unit leader and both branches have 党小组, so national-2019's
书记配备 and 党小组会 are assessed; the rows carry no 主题, so 书记讲党课 is 无数据, and 书记述职 (a kind
the data never records) too.

All four score 100 under changzhou; the one advanced place (15% of 4, at least 1) goes to the first
org_id, B.  Under national B is weak, so C (100) takes the place — C changes without a rule of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from analysis.compare import MOVED_BY_OTHERS, CompareError, Comparison, compare_rulesets, write_comparison
from analysis.rules import load_ruleset
from analysis.store import Store
from tests.test_rules_helpers import D, acts, make_store, orgs_frame, perfect_year

BASE, OTHER = "changzhou-2009", "national-2019"
ORG_IDS = ["C", "G", "B", "T"]


def crafted_store() -> Store:
    tables: dict[str, list[dict[str, Any]]] = {}
    for org in ORG_IDS:
        for name, rows in perfect_year(org).items():
            tables.setdefault(name, []).extend(rows)
    activities = [
        r for r in tables.pop("activities") if not (r["org_id"] == "B" and r["kind"] == "committee_meeting")
    ]
    for org in ("C", "G", "T"):  # perfect_year meets in odd months; national wants every month
        activities += acts(org, "committee_meeting", [D(2024, m, 5) for m in (2, 4, 6, 8, 10, 12)])
    activities += acts("B", "committee_meeting", [D(2024, m, 5) for m in (1, 3, 5, 7, 9)])
    for org in ("B", "T"):
        activities += acts(org, "group_meeting", [D(2024, m, 15) for m in range(1, 13)])
        activities += acts(org, "themed_party_day", [D(2024, m, 16) for m in range(1, 13)])
        activities += acts(org, "org_life_meeting", [D(2024, 11, 20)])
    activities += acts("B", "member_review", [D(2024, 12, 10)])
    leaders = {"member_count": 1, "mid_cadres": 3, "secretary_is_leader": True, "has_party_groups": True}
    orgs = orgs_frame(**{o: leaders for o in ORG_IDS})
    return make_store(orgs=orgs, activities=activities, **tables)


@pytest.fixture(scope="module")
def cmp() -> Comparison:
    return compare_rulesets(crafted_store(), 2024, [BASE, OTHER])


def org(cmp: Comparison, org_id: str) -> dict[str, Any]:
    return cmp.orgs.filter(pl.col("org_id") == org_id).row(0, named=True)


def detail(cmp: Comparison, org_id: str, rule_id: str) -> dict[str, Any]:
    rows = cmp.rules.filter((pl.col("org_id") == org_id) & (pl.col("rule_id") == rule_id))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_scores_grades_and_selection_under_both_rulesets(cmp: Comparison) -> None:
    got = cmp.orgs.select(
        "org_id", f"{BASE}_score", f"{BASE}_grade", f"{BASE}_selected", f"{OTHER}_score", f"{OTHER}_grade",
        f"{OTHER}_selected", f"{OTHER}_weak", "changed",
    ).rows()  # fmt: skip
    assert got == [
        ("B", 100.0, "优秀", True, 95.3, "良好", False, True, True),  # 71.5 of 75 applicable points
        ("C", 100.0, "优秀", False, 100.0, "优秀", True, False, True),
        ("G", 100.0, "优秀", False, 100.0, "优秀", False, False, False),
        ("T", 100.0, "优秀", False, 96.7, "良好", False, False, True),  # 88 of 91
    ]
    assert cmp.names == (BASE, OTHER) and cmp.baseline == BASE


def test_the_cause_names_the_monthly_committee_meeting_rule_with_its_points(cmp: Comparison) -> None:
    b = org(cmp, "B")
    assert b["change"] == f"{OTHER}：等次 优秀→良好，先进 入选→未入选，后进 未列入→列入"
    assert b["causes"] == (
        f"{OTHER}「委员会会议（支委会）」要求 ≥ 12 次，覆盖 ≥ 12/12 个月，每次均有记录，"
        "实际 5 次，覆盖 5/12 个月，未记录 0 次（达标→未达标，6→2.5 分，-3.5 分）。"
    )


def test_a_rule_only_the_other_ruleset_has_is_named_as_such(cmp: Comparison) -> None:
    t = org(cmp, "T")
    assert t["change"] == f"{OTHER}：等次 优秀→良好"
    assert (
        t["causes"]
        == f"仅 {OTHER} 考核「民主评议党员」：要求 民主评议党员 ≥ 1 次，实际 0 次（未达标，得 0/3 分）。"
    )


def test_an_org_moved_by_others_says_so_and_an_unchanged_org_has_no_cause(cmp: Comparison) -> None:
    assert (org(cmp, "C")["change"], org(cmp, "C")["causes"]) == (
        f"{OTHER}：先进 未入选→入选",
        MOVED_BY_OTHERS,
    )
    assert (org(cmp, "G")["change"], org(cmp, "G")["causes"]) == ("", "")


def test_rule_detail_side_by_side(cmp: Comparison) -> None:
    shared = detail(cmp, "B", "org.committee_meetings")
    assert (shared["assessed_in"], shared[f"{BASE}_earned"], shared[f"{OTHER}_earned"]) == (
        f"{BASE}、{OTHER}",
        6.0,
        2.5,
    )
    assert (shared[f"{OTHER}_diff"], shared["differs"]) == (-3.5, True)
    only_base = detail(cmp, "B", "org.annual_plan")
    assert (only_base["assessed_in"], only_base[f"{OTHER}_status"], only_base[f"{OTHER}_diff"]) == (
        BASE,
        None,
        None,
    )
    assert only_base["differs"] is True
    not_for_branches = detail(cmp, "B", "edu.democratic_life_meeting")  # national: 组织生活会 instead
    assert (not_for_branches["assessed_in"], not_for_branches[f"{OTHER}_status"]) == (BASE, "not_applicable")
    same = detail(cmp, "B", "org.secretary")
    assert (same[f"{OTHER}_diff"], same["differs"]) == (0.0, False)
    # a rule neither ruleset assesses for the org is left out
    assert (
        cmp.rules.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "edu.cadre_training")).height == 0
    )


def test_write_comparison_writes_both_files_for_excel(cmp: Comparison, tmp_path: Path) -> None:
    paths = write_comparison(cmp, tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == [
        "compare.csv", "compare_by_rule.csv", "compare_rules.csv", "compare_weak.csv",
    ]  # fmt: skip
    raw = paths["compare"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pl.read_csv(paths["compare"], infer_schema=False)
    assert table.columns == [
        "org_id", "name", "org_type",
        f"{BASE}_score", f"{BASE}_grade", f"{BASE}_selected", f"{BASE}_weak",
        f"{OTHER}_score", f"{OTHER}_grade", f"{OTHER}_selected", f"{OTHER}_weak",
        "changed", "change", "causes",
    ]  # fmt: skip
    b = table.filter(pl.col("org_id") == "B").row(0, named=True)
    assert (b["org_type"], b[f"{OTHER}_score"], b["changed"]) == ("党支部", "95.3", "true")
    rules = pl.read_csv(paths["compare_rules"], infer_schema=False)
    r = rules.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "org.committee_meetings")).row(
        0, named=True
    )
    assert (r[f"{BASE}_status"], r[f"{OTHER}_status"], r[f"{OTHER}_earned"], r[f"{OTHER}_diff"]) == (
        "达标", "未达标", "2.5", "-3.5",
    )  # fmt: skip


def test_quota_applies_to_every_ruleset() -> None:
    cmp = compare_rulesets(crafted_store(), 2024, [BASE, OTHER], quota=2, history=False)
    assert cmp.orgs.filter(pl.col(f"{BASE}_selected"))["org_id"].to_list() == ["B", "C"]
    assert cmp.orgs.filter(pl.col(f"{OTHER}_selected"))["org_id"].to_list() == ["C", "G"]


def test_comparing_needs_two_differently_named_rulesets() -> None:
    store = make_store()
    with pytest.raises(CompareError, match="至少需要两个规则集"):
        compare_rulesets(store, 2024, [BASE])
    with pytest.raises(CompareError, match="出现了两次"):
        compare_rulesets(store, 2024, [BASE, load_ruleset(BASE)])


# ---------------------------------------------------------------------------------------------
# Per rule: how many orgs change and why; the weak list's counts per ruleset.
# ---------------------------------------------------------------------------------------------
def by_rule(cmp: Comparison, rule_id: str) -> dict[str, Any]:
    rows = cmp.by_rule.filter((pl.col("ruleset") == OTHER) & (pl.col("rule_id") == rule_id))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_per_rule_summary_counts_the_orgs_that_change_and_says_why(cmp: Comparison) -> None:
    r = by_rule(cmp, "org.committee_meetings")
    assert (r["baseline_pass"], r["baseline_fail"], r["pass"], r["fail"]) == (4, 0, 1, 1)
    assert (r["orgs_differ"], r["orgs_lower"], r["orgs_higher"]) == (1, 1, 0)  # B; C and G earned it in full
    assert r["why"] == (
        f"适用范围不同：{BASE} 适用于党委、党总支、党支部，{OTHER} 适用于党支部；要求不同：{BASE} ≥ 5 次，覆盖 ≥ 5/6 个双月，"
        f"每次均有记录；{OTHER} ≥ 12 次，覆盖 ≥ 12/12 个月，每次均有记录"
    )
    review = by_rule(cmp, "edu.member_review")
    assert (review["orgs_differ"], review["orgs_lower"], review["why"]) == (1, 1, f"仅 {OTHER} 考核此项（支部条例第十八条）")
    assert by_rule(cmp, "org.secretary_report")["why"] == f"仅 {OTHER} 考核此项（机关条例第三十九条）"
    assert by_rule(cmp, "org.secretary_report")["no_data"] == 4
    assert by_rule(cmp, "edu.heart_talks")["why"] == "规则相同，结果相同"


def test_weak_counts_per_ruleset_and_reason(cmp: Comparison) -> None:
    assert cmp.weak_counts.rows() == [("后进组织（合计）", 0, 1), ("会议次数不足", 0, 1)]


def test_write_comparison_writes_the_two_summaries(cmp: Comparison, tmp_path: Path) -> None:
    paths = write_comparison(cmp, tmp_path)
    weak = pl.read_csv(paths["compare_weak"], infer_schema=False)
    assert weak.columns == ["reason", BASE, OTHER] and weak.row(0) == ("后进组织（合计）", "0", "1")
    rules = pl.read_csv(paths["compare_by_rule"], infer_schema=False)
    assert rules.columns == [
        "ruleset", "rule_id", "title", "baseline_pass", "baseline_fail", "baseline_no_data", "pass", "fail",
        "no_data", "orgs_differ", "orgs_lower", "orgs_higher", "why",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The term rule: a difference of term lengths, said plainly.
# ---------------------------------------------------------------------------------------------
def test_an_election_on_time_under_one_term_length_and_early_under_the_other_is_said_plainly() -> None:
    elections = [{"org_id": "B", "date": d, "approved": False} for d in (D(2022, 10, 7), D(2024, 10, 2))]
    c = compare_rulesets(make_store(elections=elections), 2024, [BASE, OTHER], history=False)
    assert (
        f"{OTHER}「按时换届」规则集的任期年限不同，换届记录本身相同：2024-10-02 的换届：按 {OTHER} 的 3 年任期应于 "
        f"2025-10-07 换届；按 {BASE} 的 2 年任期为按时（达标→未达标，5→0 分，-5 分）。"
    ) in org(c, "B")["causes"]
    r = by_rule(c, "org.term_election")
    assert (r["orgs_differ"], r["why"].endswith("其中 1 个组织的差别只来自任期年限（换届记录相同）")) == (1, True)


def test_a_current_term_overdue_under_one_term_length_only_is_said_plainly() -> None:
    orgs = orgs_frame(G={"term_years": 4})  # a 党总支 under a 党委: 4 years in changzhou-2009, 3 in national-2019
    c = compare_rulesets(
        make_store(orgs=orgs, elections=[{"org_id": "G", "date": D(2021, 2, 7), "approved": False}]),
        2024, [BASE, OTHER], history=False,
    )  # fmt: skip
    assert (
        f"{OTHER}「按时换届」规则集的任期年限不同，换届记录本身相同：本届（2021-02-07 换届）：按 {OTHER} 的 3 年任期应于 "
        f"2024-02-07 届满，至 2024-12-31 已逾期；按 {BASE} 的 4 年任期应于 2025-02-07 届满，未逾期（达标→未达标，5→0 分，-5 分）。"
    ) in org(c, "G")["causes"]


# ---------------------------------------------------------------------------------------------
# The command: --rulesets a --rulesets b, --rulesets a b and --rulesets a,b.
# ---------------------------------------------------------------------------------------------
def test_ruleset_names_split_commas_and_keep_the_order() -> None:
    from analysis.cli import ruleset_names

    assert ruleset_names(["a,b", "c", "d，e", " f ,"]) == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize(
    "form",
    [
        ["--rulesets", BASE, "--rulesets", OTHER],
        ["--rulesets", BASE, OTHER],
        ["--rulesets", f"{BASE},{OTHER}"],
    ],
)
def test_the_compare_command_accepts_every_way_of_naming_the_rulesets(tmp_path: Path, form: list[str]) -> None:
    from tests.test_cli import workbench

    data = tmp_path / "data"
    data.mkdir()
    (data / "组织名册.csv").write_text("组织编码,组织名称,组织类型\nB,第一党支部,党支部\nT,第二党支部,党支部\n", "utf-8")
    (data / "活动记录.csv").write_text("组织编码,活动日期,活动类型\nB,2024-03-01,支委会\n", "utf-8")
    done = workbench("compare", "--data", str(data), "--year", "2024", *form, "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert f"2 套规则集（基准：{BASE}）" in done.stdout
    assert f"后进名单：{BASE} 2 个，{OTHER} 2 个" in done.stdout
    header = (tmp_path / "out" / "compare.csv").read_text("utf-8-sig").splitlines()[0]
    assert f"{BASE}_score" in header and f"{OTHER}_score" in header
