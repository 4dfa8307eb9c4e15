"""Advanced selection, its Monte Carlo robustness, weak organizations and peer limits.

Each test builds a tiny Assessment-shaped object (``docs/CONTRACTS.md``) so this stage is tested without
the rules engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from analysis.decisions import (
    LABEL_DROPPED,
    LABEL_MARGINAL,
    LABEL_STABLE,
    peer_comparison,
    select_advanced,
    selection_settings,
    weak_orgs,
)
from analysis.decisions.robustness import _RankBands

# A three-item rubric: enough to make perturbed weights matter, small enough to reason about.
ITEMS = {"org.a": 40.0, "edu.b": 30.0, "duty.c": 30.0}

SCORE_COLUMNS = {
    "org_id": pl.String,
    "name": pl.String,
    "org_type": pl.String,
    "parent_id": pl.String,
    "top_id": pl.String,
    "score": pl.Float64,
    "applicable_points": pl.Float64,
    "earned_points": pl.Float64,
    "grade": pl.String,
    "qualified": pl.Boolean,
    "vetoed": pl.Boolean,
    "veto_reasons": pl.String,
    "failed_rules": pl.String,
    "n_failed": pl.Int64,
}
RULE_COLUMNS = {
    "org_id": pl.String,
    "rule_id": pl.String,
    "category": pl.String,
    "status": pl.String,
    "measured": pl.String,
    "required": pl.String,
    "measured_value": pl.Float64,
    "required_value": pl.Float64,
    "points": pl.Float64,
    "earned": pl.Float64,
    "evidence_rows": pl.Int64,
}


@dataclass
class FakeAssessment:
    """Duck-typed stand-in for analysis.assess.Assessment."""

    scores: pl.DataFrame
    rules: pl.DataFrame
    year: int = 2024
    ruleset: object = None
    evidence: pl.DataFrame = field(default_factory=pl.DataFrame)


def grade_of(score: float, n_failed: int, vetoed: bool) -> str:
    if vetoed or score < 60:
        return "不合格"
    if score >= 90 and n_failed == 0:
        return "优秀"
    return "良好" if score >= 80 else "合格"


def org(
    org_id: str,
    shares: tuple[float, ...] = (1.0, 1.0, 1.0),
    *,
    org_type: str = "branch",
    parent: str | None = None,
    vetoed: bool = False,
    qualified: bool | None = None,
    n_failed: int | None = None,
    score: float | None = None,
    veto_reasons: str = "",
    extra_rules: list[dict] | None = None,
) -> tuple[dict, list[dict]]:
    """One org: its scores row and its rules rows, the score following from the item shares.

    ``n_failed`` defaults to the items below full marks; ``score`` may be forced (weak-org tests).
    """
    earned = {rid: pts * s for (rid, pts), s in zip(ITEMS.items(), shares, strict=True)}
    failed = [rid for rid, s in zip(ITEMS, shares, strict=True) if s < 1]
    computed = round(sum(earned.values()) / sum(ITEMS.values()) * 100, 1)
    score = computed if score is None else score
    n_failed = len(failed) if n_failed is None else n_failed
    grade = grade_of(score, n_failed, vetoed)
    row = {
        "org_id": org_id,
        "name": f"{org_id}支部",
        "org_type": org_type,
        "parent_id": parent if parent is not None else f"P-{org_id}",  # an only child unless told
        "top_id": "T",
        "score": score,
        "applicable_points": 100.0,
        "earned_points": sum(earned.values()),
        "grade": grade,
        "qualified": grade != "不合格" if qualified is None else qualified,
        "vetoed": vetoed,
        "veto_reasons": veto_reasons,
        "failed_rules": ";".join(sorted(failed)),
        "n_failed": n_failed,
    }
    rules = [
        rule_row(org_id, rid, "pass" if earned[rid] == pts else "fail", points=pts, earned=earned[rid])
        for rid, pts in ITEMS.items()
    ]
    return row, rules + (extra_rules or [])


def rule_row(org_id: str, rule_id: str, status: str, **values: object) -> dict:
    base = dict.fromkeys(RULE_COLUMNS)
    base.update(org_id=org_id, rule_id=rule_id, status=status, category="组织建设", evidence_rows=0)
    base.update(points=0.0, earned=0.0)
    base.update(values)
    return base


def assessment(*orgs: tuple[dict, list[dict]], year: int = 2024, ruleset: object = None) -> FakeAssessment:
    scores = pl.DataFrame([o[0] for o in orgs], schema=SCORE_COLUMNS)
    rules = pl.DataFrame([r for o in orgs for r in o[1]], schema=RULE_COLUMNS)
    return FakeAssessment(scores=scores, rules=rules, year=year, ruleset=ruleset)


def column(frame: pl.DataFrame, name: str, key: str = "org_id") -> dict:
    return dict(zip(frame.get_column(key).to_list(), frame.get_column(name).to_list(), strict=True))


# ============================================================================================
# select_advanced: candidates and quota
# ============================================================================================
def test_vetoed_top_scorer_is_never_selected_even_if_flagged_qualified() -> None:
    a = assessment(
        org("A", (1, 1, 1), vetoed=True, qualified=True),
        org("B", (1, 0.9, 1)),
        org("C", (1, 0.8, 1)),
    )
    out = select_advanced(a, quota=1, draws=200)
    assert out.get_column("org_id").to_list() == ["B", "C"]
    assert column(out, "selected") == {"B": True, "C": False}
    assert column(out, "p_selected") == {"B": 1.0, "C": 0.0}


def test_unqualified_org_is_never_a_candidate() -> None:
    a = assessment(
        org("A", (1, 1, 1), qualified=False),
        org("B", (0.2, 0.2, 0.2)),  # 20 points: 不合格
        org("C", (1, 0.8, 1)),
    )
    out = select_advanced(a, quota=5, draws=50)
    assert out.get_column("org_id").to_list() == ["C"]
    assert out.get_column("selected").to_list() == [True]


def test_weak_orgs_are_not_candidates_but_still_count_for_the_share() -> None:
    orgs = [org(f"O{i:02d}", (1, 1 - i / 100, 1)) for i in range(10)]
    a = assessment(*orgs)
    weak = pl.DataFrame({"org_id": ["O00"]})
    out = select_advanced(a, quota="15%", weak=weak, draws=0)
    # 15% of the 10 qualified orgs = 1.5 -> 2 places, although only 9 are candidates
    assert out.height == 9
    assert out.filter("selected").get_column("org_id").to_list() == ["O01", "O02"]
    assert out.get_column("places").unique().to_list() == [2]


def test_quota_by_count_selects_the_top_scorers() -> None:
    a = assessment(*[org(f"O{i}", (1, 1 - i / 10, 1)) for i in range(5)])
    out = select_advanced(a, quota=3, draws=0)
    assert out.get_column("rank").to_list() == [1, 2, 3, 4, 5]
    assert out.filter("selected").get_column("org_id").to_list() == ["O0", "O1", "O2"]
    assert out.get_column("p_selected").to_list() == [None] * 5  # draws=0 skips the Monte Carlo


@pytest.mark.parametrize(
    ("quota", "places"),
    [("15%", 2), ("5%", 1), ("4%", 1), ("25%", 3), ("14%", 1), ("0%", 0), ("100%", 10), ("3", 3), (12, 10)],
)
def test_quota_share_rounds_half_up_with_at_least_one_place(quota: str | int, places: int) -> None:
    a = assessment(*[org(f"O{i:02d}", (1, 1 - i / 100, 1)) for i in range(10)])
    out = select_advanced(a, quota=quota, draws=0)
    assert out.get_column("selected").sum() == places


def test_quota_per_org_type_applies_the_share_within_each_type() -> None:
    branches = [org(f"B{i:02d}", (1, 1 - i / 100, 1)) for i in range(10)]
    committees = [org(f"C{i}", (1, 0.5 - i / 100, 1), org_type="committee") for i in range(4)]
    a = assessment(*branches, *committees)
    out = select_advanced(a, quota="15%", quota_by="org_type", draws=0)
    assert out.get_column("quota_group").unique(maintain_order=True).to_list() == ["committee", "branch"]
    # branch: 15% of 10 = 1.5 -> 2; committee: 15% of 4 = 0.6 -> 1, although committees score lower
    assert out.filter("selected").get_column("org_id").to_list() == ["C0", "B00", "B01"]
    assert column(out, "rank")["C0"] == 1
    by_count = select_advanced(a, quota=1, quota_by="org_type", draws=0)
    assert by_count.filter("selected").get_column("org_id").to_list() == ["C0", "B00"]


def test_tie_on_the_cut_line_is_shown_and_broken_by_org_id() -> None:
    a = assessment(
        org("A", (1, 1, 1)),
        org("C", (1, 0.9, 1)),
        org("B", (1, 0.9, 1)),
        org("D", (1, 0.5, 1)),
    )
    out = select_advanced(a, quota=2, draws=0)
    assert out.get_column("org_id").to_list() == ["A", "B", "C", "D"]
    assert column(out, "selected") == {"A": True, "B": True, "C": False, "D": False}
    assert column(out, "tie") == {"A": False, "B": True, "C": True, "D": False}
    notes = column(out, "note")
    assert (
        notes["B"] == "与第2名同分（97.0分）且未达标规则数相同（1项），仅按组织编码排序而入选，请考核小组裁定"
    )
    assert (
        notes["C"] == "与第2名同分（97.0分）且未达标规则数相同（1项），仅按组织编码排序而落选，请考核小组裁定"
    )
    assert notes["A"] == notes["D"] == ""


def test_score_tie_broken_by_fewer_failed_rules_is_noted_but_not_a_tie() -> None:
    # same published score 97.0; C has two failed rules, B one
    a = assessment(
        org("A", (1, 1, 1)),
        org("C", (1, 0.95, 0.95)),
        org("B", (1, 0.9, 1)),
    )
    out = select_advanced(a, quota=2, draws=0)
    assert out.get_column("org_id").to_list() == ["A", "B", "C"]
    assert column(out, "tie") == {"A": False, "B": False, "C": False}
    assert column(out, "note")["B"] == "与第2名同分（97.0分），按未达标规则较少者优先（本组织1项），入选"
    assert column(out, "note")["C"] == "与第2名同分（97.0分），按未达标规则较少者优先（本组织2项），落选"


def test_bad_quota_is_refused_in_words_the_user_knows() -> None:
    a = assessment(org("A"))
    for bad in ("abc", "-1", "150%", -2, True, "1.5"):
        with pytest.raises(ValueError, match="名额"):
            select_advanced(a, quota=bad, draws=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quota_by"):
        select_advanced(a, quota_by="type", draws=0)


# ============================================================================================
# select_advanced: Monte Carlo
# ============================================================================================
def cut_line_field() -> FakeAssessment:
    """A runaway leader, two indistinguishable orgs competing for place 2, a dominated fourth."""
    return assessment(
        org("A", (1, 1, 1)),
        org("B", (0.9, 0.5, 0.8)),
        org("C", (0.9, 0.5, 0.8)),
        org("D", (0.8, 0.4, 0.7)),
    )


def test_runaway_leader_is_always_selected_and_dominated_org_never() -> None:
    out = select_advanced(cut_line_field(), quota=2, draws=500, seed=1)
    assert column(out, "p_selected")["A"] == 1.0
    assert (column(out, "rank_p05")["A"], column(out, "rank_p95")["A"]) == (1, 1)
    assert column(out, "label")["A"] == LABEL_STABLE
    assert column(out, "p_selected")["D"] == 0.0
    assert (column(out, "rank_p05")["D"], column(out, "rank_p95")["D"]) == (4, 4)
    assert column(out, "label")["D"] == LABEL_DROPPED


def test_identical_orgs_on_the_cut_line_are_each_selected_about_half_the_time() -> None:
    out = select_advanced(cut_line_field(), quota=2, draws=2000, seed=7)
    p = column(out, "p_selected")
    assert 0.45 <= p["B"] <= 0.55
    assert p["B"] + p["C"] == pytest.approx(1.0)  # exactly one of them takes place 2 in every draw
    assert (column(out, "rank_p05")["B"], column(out, "rank_p95")["B"]) == (2, 3)
    assert column(out, "label") == {
        "A": LABEL_STABLE,
        "B": LABEL_MARGINAL,
        "C": LABEL_MARGINAL,
        "D": LABEL_DROPPED,
    }


def test_monte_carlo_is_reproducible_with_a_seed() -> None:
    first = select_advanced(cut_line_field(), quota=2, draws=300, seed=42)
    again = select_advanced(cut_line_field(), quota=2, draws=300, seed=42)
    other = select_advanced(cut_line_field(), quota=2, draws=300, seed=43)
    assert first.equals(again)
    assert column(first, "p_selected")["B"] != column(other, "p_selected")["B"]


def test_without_noise_the_draws_reproduce_the_published_list() -> None:
    a = assessment(*[org(f"O{i}", (1 - i / 20, 1, 1 - i / 30)) for i in range(6)])
    out = select_advanced(a, quota=3, draws=100, noise=0.0)
    assert out.get_column("p_selected").to_list() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert out.get_column("rank_p05").to_list() == out.get_column("rank").to_list()


def test_close_call_with_different_profiles_is_marginal() -> None:
    # B is strong on the 40-point item, C on the two 30-point items: the weights decide between them
    a = assessment(
        org("A"), org("B", (1.0, 0.5, 0.5)), org("C", (0.6, 0.77, 0.77)), org("D", (0.2, 0.2, 0.2))
    )
    out = select_advanced(a, quota=2, draws=1000, seed=3)
    p = column(out, "p_selected")
    assert 0.1 < p["B"] < 0.9 and 0.1 < p["C"] < 0.9
    assert p["B"] + p["C"] == pytest.approx(1.0)
    assert column(out, "label")["B"] == column(out, "label")["C"] == LABEL_MARGINAL


def test_per_type_monte_carlo_ranks_within_the_type() -> None:
    a = assessment(
        org("B1", (1, 1, 1)),
        org("B2", (1, 0.5, 1)),
        org("C1", (0.7, 0.7, 0.7), org_type="committee"),
    )
    out = select_advanced(a, quota=1, quota_by="org_type", draws=100)
    assert column(out, "p_selected") == {"B1": 1.0, "B2": 0.0, "C1": 1.0}
    assert column(out, "rank_p95") == {"B1": 1, "B2": 2, "C1": 1}


def test_label_thresholds_come_from_the_ruleset_and_the_argument_wins() -> None:
    orgs = (org("A"), org("B", (1.0, 0.5, 0.5)))
    default = select_advanced(assessment(*orgs), quota=1, draws=50)
    assert column(default, "label") == {"A": LABEL_STABLE, "B": LABEL_DROPPED}
    strict = assessment(*orgs, ruleset=SimpleNamespace(selection=SimpleNamespace(stable=1.01, dropped=-1.0)))
    out = select_advanced(strict, quota=1, draws=50)
    # p is exactly 1 and 0, yet neither clears a threshold no probability can reach
    assert column(out, "p_selected") == {"A": 1.0, "B": 0.0}
    assert column(out, "label") == {"A": LABEL_MARGINAL, "B": LABEL_MARGINAL}
    explicit = select_advanced(strict, quota=1, draws=50, stable=0.9, dropped=0.1)
    assert column(explicit, "label") == {"A": LABEL_STABLE, "B": LABEL_DROPPED}


def test_not_applicable_items_leave_the_perturbed_denominator() -> None:
    # B's third item does not apply: its perturbed score is always 100, like A's
    a_row, a_rules = org("A", (1, 1, 1))
    b_row, b_rules = org("B", (1, 1, 1))
    b_rules[2] = rule_row("B", "duty.c", "not_applicable", points=30.0, earned=0.0)
    a = assessment((a_row, a_rules), (b_row, b_rules), org("C", (1, 0.9, 0.9)))
    out = select_advanced(a, quota=1, draws=2000, seed=5)
    p = column(out, "p_selected")
    assert p["C"] == 0.0
    assert 0.45 <= p["A"] <= 0.55 and p["A"] + p["B"] == pytest.approx(1.0)


@pytest.mark.parametrize(("draws", "block"), [(1000, 64), (1000, 1000), (20, 3), (7, 7), (1, 1)])
def test_rank_bands_are_numpy_inverted_cdf_percentiles(draws: int, block: int) -> None:
    rng = np.random.default_rng(draws)
    n = 37
    ranks = rng.integers(1, 500, size=(draws, n), dtype=np.int32)
    bands = _RankBands(n, draws, room=block)
    for start in range(0, draws, block):
        bands.update(ranks[start : start + block])
    low, high = bands.result()
    np.testing.assert_array_equal(low, np.percentile(ranks, 5, axis=0, method="inverted_cdf"))
    np.testing.assert_array_equal(high, np.percentile(ranks, 95, axis=0, method="inverted_cdf"))


# ============================================================================================
# weak_orgs: one test per reason, each alone
# ============================================================================================
def healthy(*extra: tuple[dict, list[dict]], **kw: object) -> FakeAssessment:
    """A healthy reference org plus the ones under test (each an only child, so no peer reason)."""
    return assessment(org("OK"), *extra, **kw)  # type: ignore[arg-type]


def test_healthy_org_is_not_weak() -> None:
    assert weak_orgs(healthy(org("X", (1, 0.9, 0.9)))).height == 0


def test_vetoed_org_is_weak_whatever_its_score() -> None:
    out = weak_orgs(healthy(org("X", vetoed=True, veto_reasons="领导班子成员受处分（2024-03-05）")))
    assert out.get_column("org_id").to_list() == ["X"]
    assert out.get_column("reason_codes").to_list() == [["vetoed"]]
    assert out.get_column("reasons").to_list() == ["一票否决：领导班子成员受处分（2024-03-05）"]


def test_failing_grade_is_weak() -> None:
    out = weak_orgs(healthy(org("X", (0.6, 0.6, 0.5), n_failed=2)))
    assert out.get_column("reason_codes").to_list() == [["failing_grade"]]
    assert out.get_column("reasons").to_list() == ["考核等级不合格（得分57.0）"]


def test_three_failed_rules_are_weak_and_two_are_not() -> None:
    titles = {
        "items": [{"rule_id": "org.a", "title_zh": "按时换届"}, {"rule_id": "edu.b", "title_zh": "月度学习"}]
    }
    out = weak_orgs(healthy(org("X", (0.9, 0.9, 0.9)), org("Y", (1, 0.9, 0.9)), ruleset=titles))
    assert out.get_column("org_id").to_list() == ["X"]
    assert out.get_column("reason_codes").to_list() == [["many_failed_rules"]]
    assert out.get_column("reasons").to_list() == ["3项规则未达标：“按时换届”“月度学习”“duty.c”"]


def test_many_failed_rules_without_their_ids_still_counts() -> None:
    row, rules = org("X", (0.9, 0.9, 0.9))
    row["failed_rules"] = ""
    out = weak_orgs(healthy((row, rules)))
    assert out.get_column("reasons").to_list() == ["3项规则未达标"]


def test_vacant_secretary_is_weak_but_a_wrong_mode_is_not() -> None:
    # as analysis/rules/measures.py writes them: both failures have measured_value 0
    vacant = rule_row(
        "X", "org.secretary", "fail", measured="书记空缺", measured_value=0.0, required_value=1.0
    )
    wrong_mode = rule_row(
        "Y", "org.secretary", "fail", measured="书记：张三（配备方式未填）", measured_value=0.0
    )
    empty_text = rule_row("Z", "org.secretary", "fail", measured="")
    out = weak_orgs(
        healthy(
            org("X", extra_rules=[vacant]),
            org("Y", extra_rules=[wrong_mode]),
            org("Z", extra_rules=[empty_text]),
        )
    )
    assert out.get_column("org_id").to_list() == ["X", "Z"]
    assert out.get_column("reason_codes").to_list() == [["secretary_vacant"]] * 2
    assert out.get_column("reasons").to_list() == ["书记空缺（组织名册未填书记）"] * 2


def meetings(org_id: str, rule_id: str, count: float, required: float) -> dict:
    status = "pass" if count >= required else "fail"
    return rule_row(org_id, rule_id, status, measured_value=count, required_value=required)


def test_three_meetings_one_lesson_at_half_or_less_is_weak() -> None:
    rule = "edu.three_meetings_one_lesson"
    out = weak_orgs(
        healthy(
            org("X5", extra_rules=[meetings("X5", rule, 5, 12)]),
            org("X6", extra_rules=[meetings("X6", rule, 6, 12)]),
            org("X7", extra_rules=[meetings("X7", rule, 7, 12)]),
        )
    )
    assert column(out, "reasons") == {
        "X5": "三会一课仅5次，不足要求12次的一半",
        "X6": "三会一课仅6次，仅为要求12次的一半",
    }
    assert column(out, "reason_codes") == {"X5": ["few_meetings"], "X6": ["few_meetings"]}


def test_committee_meetings_at_half_or_less_is_weak() -> None:
    rule = "org.committee_meetings"
    out = weak_orgs(
        healthy(
            org("X2", extra_rules=[meetings("X2", rule, 2, 5)]),
            org("X3", extra_rules=[meetings("X3", rule, 3, 5)]),
            org("XN", extra_rules=[rule_row("XN", rule, "no_data", measured_value=0.0, required_value=5.0)]),
        )
    )
    assert column(out, "reasons") == {"X2": "委员会议仅2次，不足要求5次的一半"}
    assert column(out, "reason_codes") == {"X2": ["few_meetings"]}


def crafted_parent() -> FakeAssessment:
    """Five branches under P: 95, 93, 91, 89, 62 -> median 91, MAD 2."""
    return assessment(
        *[
            org(k, score=s, parent="P", n_failed=0)
            for k, s in (("P1", 95), ("P2", 93), ("P3", 91), ("P4", 89), ("P5", 62))
        ],
        org("Q1", score=80.0, parent="Q", n_failed=0),
    )


def test_peer_limits_on_a_crafted_parent() -> None:
    peers = peer_comparison(crafted_parent()).filter(pl.col("parent_id") == "P")
    assert peers.get_column("n_siblings").unique().to_list() == [4]
    assert peers.get_column("peer_median").unique().to_list() == [91.0]
    assert peers.get_column("peer_mad").unique().to_list() == [2.0]
    # limit = 91 - max(2 x 1.4826 x 2, 15) = 76: the 15-point floor beats 5.93
    assert peers.get_column("lower_limit").unique().to_list() == [76.0]
    z = column(peers, "robust_z")
    assert z["P5"] == pytest.approx(-29 / (1.4826 * 2))
    assert z["P1"] == pytest.approx(4 / (1.4826 * 2))
    assert column(peers, "far_below") == {"P1": False, "P2": False, "P3": False, "P4": False, "P5": True}
    only_child = peer_comparison(crafted_parent()).filter(pl.col("org_id") == "Q1").row(0, named=True)
    assert (only_child["n_siblings"], only_child["compared"], only_child["lower_limit"]) == (0, False, None)
    assert only_child["far_below"] is False


def test_peer_limit_widens_with_the_spread() -> None:
    # 95, 85, 75, 65, 30 -> median 75, MAD 10, limit = 75 - 2 x 14.826 = 45.348
    a = assessment(
        *[org(f"S{i}", score=float(s), parent="S", n_failed=0) for i, s in enumerate((95, 85, 75, 65, 30))]
    )
    peers = peer_comparison(a)
    assert peers.get_column("lower_limit").unique().to_list() == [45.348]
    assert column(peers, "far_below")["S4"] is True
    assert column(peers, "robust_z")["S3"] == pytest.approx(-10 / 14.826)


def test_top_level_orgs_are_compared_with_each_other() -> None:
    tops = [
        org(k, score=s, n_failed=0)
        for k, s in (("T1", 95.0), ("T2", 93.0), ("T3", 91.0), ("T4", 89.0), ("T5", 62.0))
    ]
    for row, _ in tops:
        row["parent_id"] = None
    peers = peer_comparison(assessment(*tops))
    assert peers.get_column("n_siblings").unique().to_list() == [4]
    assert column(peers, "far_below") == {"T1": False, "T2": False, "T3": False, "T4": False, "T5": True}


def test_far_below_peers_is_weak() -> None:
    out = weak_orgs(crafted_parent())
    assert out.get_column("org_id").to_list() == ["P5"]
    assert out.get_column("reason_codes").to_list() == [["far_below_peers"]]
    assert out.get_column("reasons").to_list() == ["得分62.0，低于同级组织中位数91.0（稳健z=-9.8，下限76.0）"]


def test_too_few_siblings_are_not_compared() -> None:
    a = assessment(
        *[org(k, score=s, parent="G", n_failed=0) for k, s in (("G1", 95.0), ("G2", 90.0), ("G3", 62.0))]
    )
    peers = peer_comparison(a)
    assert column(peers, "peer_median") == {"G1": 90.0, "G2": 90.0, "G3": 90.0}
    assert column(peers, "compared") == {"G1": False, "G2": False, "G3": False}
    assert peers.get_column("lower_limit").null_count() == 3
    assert weak_orgs(a).height == 0


def test_identical_peers_use_the_gap_floor_when_mad_is_zero() -> None:
    a = assessment(
        *[
            org(k, score=s, parent="M", n_failed=0)
            for k, s in (("M1", 92.0), ("M2", 92.0), ("M3", 92.0), ("M4", 78.0), ("M5", 75.0))
        ]
    )
    peers = peer_comparison(a)
    assert peers.get_column("peer_mad").unique().to_list() == [0.0]
    assert peers.get_column("robust_z").null_count() == 5
    assert column(peers, "far_below") == {"M1": False, "M2": False, "M3": False, "M4": False, "M5": True}
    assert weak_orgs(a).get_column("reasons").to_list() == [
        "得分75.0，低于同级组织中位数92.0达17.0分（同级组织得分高度一致，下限77.0）"
    ]


def history_year(year: int, scores: dict[str, float]) -> FakeAssessment:
    return assessment(*[org(k, score=s, n_failed=0) for k, s in scores.items()], year=year)


def test_score_falling_in_each_of_the_last_two_years_is_weak() -> None:
    now = healthy(
        org("X", score=88.0, n_failed=0), org("Y", score=88.0, n_failed=0), org("Z", score=88.0, n_failed=0)
    )
    history = [
        history_year(2023, {"X": 92.0, "Y": 95.0, "Z": 92.0, "OK": 100.0}),
        history_year(2022, {"X": 96.0, "Y": 90.0, "Z": 92.0, "OK": 100.0}),
    ]
    out = weak_orgs(now, history=history)
    assert out.get_column("org_id").to_list() == ["X"]
    assert out.get_column("reason_codes").to_list() == [["declining"]]
    assert out.get_column("reasons").to_list() == ["连续两年得分下降：2022年96.0→2023年92.0→2024年88.0"]


def test_history_without_both_earlier_years_is_refused() -> None:
    with pytest.raises(ValueError, match="缺少2022年"):
        weak_orgs(healthy(), history=[history_year(2023, {"OK": 100.0})])


def test_all_reasons_of_one_org_are_listed_in_order() -> None:
    x = org(
        "X",
        (0.3, 0.3, 0.3),
        vetoed=True,
        veto_reasons="重大失误和损失",
        extra_rules=[meetings("X", "edu.three_meetings_one_lesson", 2, 12)],
    )
    out = weak_orgs(healthy(x))
    assert out.get_column("reason_codes").to_list() == [["vetoed", "many_failed_rules", "few_meetings"]]
    assert out.get_column("reasons").to_list() == [
        "一票否决：重大失误和损失；3项规则未达标：“duty.c”“edu.b”“org.a”；三会一课仅2次，不足要求12次的一半"
    ]


def test_thresholds_can_be_overridden_and_typos_are_refused() -> None:
    a = healthy(org("Y", (1, 0.9, 0.9)))
    assert weak_orgs(a, thresholds={"fail_rules": 2}).get_column("org_id").to_list() == ["Y"]
    with pytest.raises(ValueError, match="max_fail"):
        weak_orgs(a, thresholds={"max_fail": 2})


def test_weak_thresholds_come_from_the_ruleset_weak_table() -> None:
    a = healthy(org("Y", (1, 0.9, 0.9)), ruleset=SimpleNamespace(weak=SimpleNamespace(fail_rules=2, other=1)))
    assert weak_orgs(a).get_column("org_id").to_list() == ["Y"]
    assert weak_orgs(a, thresholds={"fail_rules": 3}).height == 0


def test_decline_over_three_years_needs_three_earlier_years() -> None:
    now = healthy(org("X", score=88.0, n_failed=0))
    history = [history_year(2023, {"X": 92.0}), history_year(2022, {"X": 96.0})]
    with pytest.raises(ValueError, match="缺少2021年"):
        weak_orgs(now, history=history, thresholds={"decline_years": 3})
    out = weak_orgs(now, history=[*history, history_year(2021, {"X": 97.0})], thresholds={"decline_years": 3})
    assert out.get_column("reasons").to_list() == [
        "连续3年得分下降：2021年97.0→2022年96.0→2023年92.0→2024年88.0"
    ]


# ============================================================================================
# Settings from the ruleset
# ============================================================================================
def test_selection_settings_translate_the_ruleset_table() -> None:
    table = SimpleNamespace(
        quota=0.15,
        quota_kind="share",
        quota_scope="overall",
        exclude_weak=True,
        mc_draws=1000,
        mc_weight_sd=0.1,
        seed=7,
    )
    a = assessment(org("A"), ruleset=SimpleNamespace(selection=table))
    assert selection_settings(a) == {
        "quota": "15%",
        "quota_by": "all",
        "draws": 1000,
        "seed": 7,
        "noise": 0.173205,
    }
    counted = SimpleNamespace(selection={"quota": 5, "quota_kind": "count", "quota_scope": "org_type"})
    assert selection_settings(assessment(org("A"), ruleset=counted)) == {"quota": 5, "quota_by": "org_type"}
    assert selection_settings(assessment(org("A"), ruleset={"selection": {"quota": 1}}))["quota"] == "100%"
    assert (
        selection_settings(assessment(org("A"), ruleset={"selection": {"quota": 0.125}}))["quota"] == "12.5%"
    )
    assert selection_settings(assessment(org("A"))) == {}


def test_shipped_ruleset_settings_are_read() -> None:
    rules = pytest.importorskip("analysis.rules")
    ruleset = rules.load_ruleset("changzhou-2009")
    a = healthy(org("Y", (1, 0.9, 0.9)), ruleset=ruleset)
    kwargs = selection_settings(a)
    assert (kwargs["quota"], kwargs["quota_by"]) == ("15%", "all")
    out = select_advanced(a, **{**kwargs, "draws": 20})
    assert out.get_column("selected").to_list() == [True, False]
    assert weak_orgs(a).height == 0  # fail_rules = 3 in the file; Y fails two
