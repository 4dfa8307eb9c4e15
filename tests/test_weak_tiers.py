"""The weak list in tiers (整顿 / 关注), the cap on 整顿 with a tie at its cut line, and the turnaround of
last year's 整顿 orgs (issue 22).  Small Assessment-shaped objects built as in test_selection.py."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from analysis.decisions import weak_orgs, weak_table
from analysis.decisions.history import previous_weak, weak_with_turnaround
from analysis.decisions.weak_tiers import rectify_places, turnaround
from analysis.rules.loader import RulesetError, load_ruleset
from tests.test_selection import assessment, column, healthy, history_year, meetings, org, rule_row


def tiers(out: pl.DataFrame) -> dict[str, str]:
    return column(out, "tier")


# ============================================================================================
# Each criterion lands in its tier
# ============================================================================================
def test_vetoed_org_is_rectify() -> None:
    out = weak_orgs(healthy(org("X", vetoed=True, veto_reasons="重大失误和损失")))
    assert tiers(out) == {"X": "整顿"}
    assert column(out, "n_hard") == {"X": 1}


def test_failing_grade_is_rectify() -> None:
    assert tiers(weak_orgs(healthy(org("X", (0.6, 0.6, 0.5), n_failed=2)))) == {"X": "整顿"}


def test_vacant_secretary_is_rectify() -> None:
    vacant = rule_row("X", "org.secretary", "fail", measured="书记空缺", measured_value=0.0)
    assert tiers(weak_orgs(healthy(org("X", extra_rules=[vacant])))) == {"X": "整顿"}


def test_meetings_at_half_the_required_count_are_rectify() -> None:
    out = weak_orgs(
        healthy(
            org("C", extra_rules=[meetings("C", "org.committee_meetings", 2, 5)]),
            org("T", extra_rules=[meetings("T", "edu.three_meetings_one_lesson", 6, 12)]),
        )
    )
    assert tiers(out) == {"C": "整顿", "T": "整顿"}


def test_three_failed_rules_are_watch() -> None:
    out = weak_orgs(healthy(org("X", (0.9, 0.9, 0.9))))
    assert column(out, "reason_codes") == {"X": ["many_failed_rules"]}
    assert tiers(out) == {"X": "关注"}
    assert column(out, "n_hard") == {"X": 0}


def test_far_below_peers_is_watch() -> None:
    a = assessment(
        *[org(k, score=s, parent="P", n_failed=0) for k, s in (("P1", 95.0), ("P2", 93.0), ("P3", 91.0), ("P4", 89.0), ("P5", 62.0))]
    )
    assert tiers(weak_orgs(a)) == {"P5": "关注"}


def test_two_years_of_decline_is_watch() -> None:
    now = healthy(org("X", score=88.0, n_failed=0))
    history = [history_year(2022, {"X": 96.0, "OK": 100.0}), history_year(2023, {"X": 92.0, "OK": 100.0})]
    assert tiers(weak_orgs(now, history=history)) == {"X": "关注"}


def test_an_org_with_hard_and_soft_reasons_is_listed_once_under_rectify_with_all_reasons() -> None:
    x = org("X", (0.3, 0.3, 0.3), vetoed=True, extra_rules=[meetings("X", "edu.three_meetings_one_lesson", 2, 12)])
    out = weak_orgs(healthy(x))
    assert out.height == 1
    assert column(out, "tier") == {"X": "整顿"}
    assert column(out, "n_hard") == {"X": 2}  # veto and meetings; many failed rules is soft
    assert column(out, "reason_codes") == {"X": ["vetoed", "many_failed_rules", "few_meetings"]}


def test_rectify_reasons_come_from_the_thresholds() -> None:
    out = weak_orgs(healthy(org("X", (0.9, 0.9, 0.9))), thresholds={"rectify_reasons": ["many_failed_rules"]})
    assert tiers(out) == {"X": "整顿"}


# ============================================================================================
# The cap
# ============================================================================================
def capped_set() -> object:
    """Ten orgs; four 不合格 (one hard reason each) — A 40, B 45, C 45, D 50 — and one with two hard
    reasons (E, vetoed and meetings at half), plus five healthy ones."""
    hard = [org(k, score=s, n_failed=0, qualified=False) for k, s in (("A", 40.0), ("B", 45.0), ("C", 45.0), ("D", 50.0))]
    for row, _ in hard:
        row["grade"] = "不合格"
    e = org("E", score=70.0, n_failed=0, vetoed=True, extra_rules=[meetings("E", "edu.three_meetings_one_lesson", 2, 12)])
    fine = [org(f"OK{i}") for i in range(5)]
    return assessment(*hard, e, *fine)


def test_cap_keeps_the_most_severe_and_moves_the_rest_to_watch_with_the_cut_line() -> None:
    out = weak_orgs(capped_set(), thresholds={"rectify_share": 0.2})  # 20% of 10 orgs = 2 places
    assert tiers(out) == {"A": "整顿", "B": "关注", "C": "关注", "D": "关注", "E": "整顿"}
    assert column(out, "tier_note")["D"] == (
        "整顿名额上限为全部10个组织的20%（至多2个），按严重程度排第5名，截止线为第2名（硬性原因1项，得分40.0）之外，列入关注"
    )
    assert column(out, "tier_note")["E"] == ""


def test_a_tie_at_the_cut_is_decided_by_org_id_and_asks_the_committee() -> None:
    out = weak_orgs(capped_set(), thresholds={"rectify_share": 0.3})  # 3 places: E, A, then B or C (both 45.0)
    assert tiers(out) == {"A": "整顿", "B": "整顿", "C": "关注", "D": "关注", "E": "整顿"}
    notes = column(out, "tier_note")
    assert notes["B"] == "与第3名同等严重（硬性原因1项，得分45.0），仅按组织编码排序而列入整顿，请考核小组裁定"
    assert notes["C"] == "与第3名同等严重（硬性原因1项，得分45.0），仅按组织编码排序而移入关注，请考核小组裁定"
    assert notes["D"].startswith("整顿名额上限为全部10个组织的30%（至多3个），按严重程度排第5名")


def test_no_cap_keeps_every_hard_case_in_rectify() -> None:
    out = weak_orgs(capped_set())
    assert set(tiers(out).values()) == {"整顿"}
    assert set(column(out, "tier_note").values()) == {""}


@pytest.mark.parametrize(("share", "n", "places"), [(0.1, 300, 30), (0.1, 35, 3), (0.05, 19, 0), (1.0, 7, 7)])
def test_rectify_places_round_down(share: float, n: int, places: int) -> None:
    assert rectify_places(share, n) == places


def test_weak_table_puts_the_new_columns_after_the_old_ones() -> None:
    out = weak_table(weak_orgs(capped_set()))
    assert out.columns == ["org_id", "name", "org_type", "parent_id", "score", "reasons", "tier", "tier_note"]


def test_ruleset_refuses_an_unknown_rectify_reason(tmp_path: Path) -> None:
    text = (resources.files("analysis.rules") / "changzhou-2009.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('rectify_reasons = ["vetoed"', 'rectify_reasons = ["vetod"'), encoding="utf-8")
    with pytest.raises(RulesetError, match="vetod"):
        load_ruleset(bad)


def test_shipped_rulesets_have_the_four_hard_reasons_and_no_cap() -> None:
    for name in ("changzhou-2009", "national-2019"):
        weak = load_ruleset(name).weak
        assert weak.rectify_reasons == ("vetoed", "failing_grade", "secretary_vacant", "few_meetings")
        assert weak.rectify_share is None


# ============================================================================================
# Turnaround
# ============================================================================================
def year_of(year: int, *orgs: tuple[dict, list[dict]]) -> object:
    return healthy(*orgs, year=year)


def test_turnaround_names_each_outcome_with_the_reasons_that_still_hold() -> None:
    last = year_of(
        2023,
        org("T", vetoed=True),  # 整顿 last year, fine now: 转化
        org("I", (0.6, 0.6, 0.5), n_failed=2),  # 不合格 last year, three failed rules now: 好转
        org("N", (0.6, 0.6, 0.5), n_failed=2, extra_rules=[meetings("N", "org.committee_meetings", 1, 5)]),
        org("W", (0.9, 0.9, 0.9)),  # only 关注 last year: not in the table
    )
    now = year_of(
        2024,
        org("T"),
        org("I", (0.9, 0.9, 0.9)),
        org("N", (0.6, 0.6, 0.5), n_failed=2),  # still 不合格, meetings fixed
        org("W", (0.9, 0.9, 0.9)),
    )
    weak, table = weak_with_turnaround(now, [last], {"decline_years": 1})  # history holds last year only
    assert column(table, "turnaround") == {"N": "未转化", "I": "好转", "T": "转化"}
    assert table.get_column("org_id").to_list() == ["N", "I", "T"]
    assert column(table, "still_holding") == {"N": "考核等级不合格（得分57.0）", "I": "", "T": ""}
    assert column(table, "tier") == {"N": "整顿", "I": "关注", "T": ""}
    assert column(weak, "turnaround") == {"I": "好转", "N": "未转化", "W": None}
    assert column(weak, "last_tier") == {"I": "整顿", "N": "整顿", "W": "关注"}


def test_last_year_alone_is_enough_for_the_turnaround() -> None:
    last = year_of(2023, org("X", vetoed=True))
    weak, table = weak_with_turnaround(year_of(2024, org("X", (0.9, 0.9, 0.9))), None, None, [last])
    assert column(table, "turnaround") == {"X": "好转"}
    assert column(weak, "last_tier") == {"X": "整顿"}


def test_without_last_year_the_turnaround_columns_are_empty() -> None:
    weak, table = weak_with_turnaround(year_of(2024, org("X", vetoed=True)), None)
    assert table is None
    assert column(weak, "turnaround") == {"X": None}
    assert weak_table(weak).columns[-5:] == ["tier", "tier_note", "last_tier", "turnaround", "still_holding"]


def test_last_year_is_tested_for_decline_only_when_its_own_two_years_are_there() -> None:
    y22 = history_year(2022, {"X": 96.0, "OK": 100.0})
    y23 = history_year(2023, {"X": 92.0, "OK": 100.0})
    assert previous_weak([y22, y23]).height == 0  # 2021 missing: no decline test, no error
    assert previous_weak(None) is None


def test_turnaround_table_is_empty_when_nobody_was_rectify() -> None:
    last = weak_orgs(year_of(2023, org("W", (0.9, 0.9, 0.9))))
    assert turnaround(weak_orgs(year_of(2024)), last).height == 0
