"""Rubric points, rescaling over applicable points, grades, and the one-vote veto with propagation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis import scoring
from analysis.rules import load_ruleset
from tests.test_rules_helpers import ORGS, D, acts, make_store, orgs_frame, perfect_store, result, run, score
from tests.test_rules_loader import BUILTIN, write


# ---------------------------------------------------------------------------------------------
# Rescaling: score = earned ÷ applicable points × 100.
# ---------------------------------------------------------------------------------------------
def test_applicable_points_per_org_type_and_level() -> None:
    a = run(perfect_store(["C", "G", "B", "T"]))
    got = {
        r["org_id"]: (r["applicable_points"], r["score"], r["grade"]) for r in a.scores.iter_rows(named=True)
    }
    # branch under a general branch: no leadership review 3, budget 2, cadre training 3, pledges 5, reports 6
    assert got == {
        "B": (81.0, 100.0, "优秀"),
        "C": (92.0, 100.0, "优秀"),  # no 三会一课 8
        "G": (76.0, 100.0, "优秀"),  # no 三会一课 8 and none of the top-level items 16
        "T": (97.0, 100.0, "优秀"),  # top-level branch: no cadre training 3
    }


def test_branch_missing_one_item_is_rescaled_and_graded_for_the_failed_rule() -> None:
    store = perfect_store(["B"])
    rows = [r for r in store.table("activities").collect().iter_rows(named=True) if r["kind"] != "heart_talk"]
    store = make_store(
        orgs=store.table("orgs").collect(), activities=rows,
        **{t: store.table(t).collect() for t in ("study", "elections", "dues", "inspections")},
    )  # fmt: skip
    s = score(run(store), "B")
    assert (s["earned_points"], s["applicable_points"], s["score"]) == (79.0, 81.0, 97.5)
    assert (s["grade"], s["failed_rules"], s["n_failed"], s["qualified"]) == (
        "良好",
        "edu.heart_talks",
        1,
        True,
    )


def test_no_data_items_leave_the_denominator() -> None:
    store = perfect_store(["B"])
    tables = {t: store.table(t).collect() for t in ("study", "elections", "dues")}  # no inspections
    store = make_store(
        orgs=store.table("orgs").collect(),
        activities=store.table("activities").collect().to_dicts(),
        **tables,
    )
    s = score(run(store), "B")
    assert (s["applicable_points"], s["earned_points"], s["score"]) == (66.0, 66.0, 100.0)


def test_org_with_nothing_scores_zero_of_its_applicable_points() -> None:
    # 81 for a branch, less the no_data items: elections 5, study 6, dues 4, inspections 15
    s = score(run(make_store(orgs=orgs_frame(B={"secretary": None}))), "B")
    assert (s["score"], s["applicable_points"], s["grade"], s["qualified"]) == (0.0, 51.0, "不合格", False)


# ---------------------------------------------------------------------------------------------
# Earned points per rubric method.
# ---------------------------------------------------------------------------------------------
def earned(rule_id: str, rows: list[dict], method: dict | None = None) -> list[float]:
    rule = load_ruleset().rule(rule_id)
    if method:
        rule = rule.model_copy(update={"rubric": rule.rubric.model_copy(update=method)})
    df = pl.DataFrame(
        rows,
        schema_overrides={"measured_value": pl.Float64, "required_value": pl.Float64, "ratio": pl.Float64},
    )
    return df.select(scoring.earned_expr(rule).alias("earned"))["earned"].to_list()


def test_earned_by_method() -> None:
    base = {"measured_value": 2.0, "required_value": 3.0, "ratio": 2 / 3, "unrecorded": 0.0}
    rows = [{**base, "status": s} for s in ("pass", "fail", "pending", "not_applicable", "no_data")]
    assert earned("duty.info_submissions", rows) == [4.0, 4.0, 6.0, 0.0, 0.0]  # ratio
    assert earned("duty.info_submissions", rows, {"method": "binary"}) == [6.0, 0.0, 6.0, 0.0, 0.0]
    assert earned("duty.info_submissions", rows, {"method": "deduct", "per_unit": 2.5}) == [
        3.5,
        3.5,
        6.0,
        0.0,
        0.0,
    ]
    assert earned("manual.style", [{**base, "status": "fail", "measured_value": 7.5}]) == [6.0]  # clipped


def test_ratio_is_capped_at_full_points_and_deductions_floor_at_zero() -> None:
    rows = [
        {"status": "pass", "measured_value": 9.0, "required_value": 5.0, "ratio": 1.8, "unrecorded": 0.0},
        {"status": "fail", "measured_value": 1.0, "required_value": 5.0, "ratio": 0.2, "unrecorded": 4.0},
    ]
    assert earned("org.committee_meetings", rows) == [6.0, 0.0]


# ---------------------------------------------------------------------------------------------
# Grades.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("points_earned", "n_failed", "vetoed", "grade"),
    [
        (90.0, 0, False, "优秀"),
        (89.95, 0, False, "优秀"),  # rounds half up to 90.0 before grading
        (89.94, 0, False, "良好"),
        (95.0, 1, False, "良好"),  # ≥ 90 with a failed rule
        (80.0, 2, False, "良好"),
        (79.95, 0, False, "良好"),
        (79.9, 0, False, "合格"),
        (60.0, 5, False, "合格"),
        (59.9, 0, False, "不合格"),
        (100.0, 0, True, "不合格"),
    ],
)
def test_grade_thresholds(points_earned: float, n_failed: int, vetoed: bool, grade: str) -> None:
    orgs = pl.DataFrame(
        {"org_id": ["X"], "name": ["x"], "org_type": ["branch"], "parent_id": [None]},
        schema_overrides={"parent_id": pl.String},
    )
    statuses = ["fail"] * n_failed + ["pass"]
    rules = pl.DataFrame(
        {
            "org_id": ["X"] * len(statuses),
            "rule_id": [f"r{i}" for i in range(len(statuses))],
            "status": statuses,
            "points": [0.0] * n_failed + [100.0],
            "earned": [0.0] * n_failed + [points_earned],
        }
    )
    vetoes = pl.DataFrame(
        {"org_id": ["X"] if vetoed else [], "veto_reasons": ["r"] if vetoed else []},
        schema={"org_id": pl.String, "veto_reasons": pl.String},
    )
    s = scoring.summarise(rules, orgs, scoring.ancestors(orgs), vetoes, load_ruleset()).row(0, named=True)
    assert s["grade"] == grade
    assert s["qualified"] is (grade != "不合格")
    assert s["n_failed"] == n_failed


def _rules_block(orgs: int, items: list[str], statuses: list[list[str]], earned: list[list[float]]) -> pl.DataFrame:
    """Scored rules in the layout assess leaves them: one block of the items per org, in org order."""
    n = len(items)
    return pl.DataFrame(
        {
            "rule_id": items * orgs,
            "status": [s for row in statuses for s in row],
            "points": [10.0] * (orgs * n),
            "earned": [e for row in earned for e in row],
            "_oi": [o for o in range(orgs) for _ in items],
            "_order": list(range(n)) * orgs,
        },
        schema_overrides={"_oi": pl.UInt32, "_order": pl.Int32},
    )


def test_per_org_sums_by_block_agree_with_grouping() -> None:
    # items deliberately not in id order: failed ids are listed sorted, whatever the rubric order
    items = ["z.last", "a.first", "m.mid"]
    rules = _rules_block(
        3,
        items,
        [["fail", "fail", "pass"], ["not_applicable", "pass", "no_data"], ["pass", "pending", "fail"]],
        [[0.0, 2.5, 10.0], [0.0, 10.0, 0.0], [10.0, 10.0, 3.25]],
    )
    block = scoring._per_org_block(rules, 3)
    assert block is not None
    assert block.rows() == [
        (0, 30.0, 12.5, 2, "a.first;z.last"),
        (1, 10.0, 10.0, 0, ""),
        (2, 30.0, 23.25, 1, "m.mid"),
    ]
    grouped = scoring._per_org_grouped(rules).sort("_oi").with_columns(pl.col("failed_rules").fill_null(""))
    assert grouped.select(block.columns).rows() == block.rows()


def test_per_org_block_refuses_other_layouts() -> None:
    rules = _rules_block(2, ["a", "b"], [["pass", "fail"], ["fail", "pass"]], [[10.0, 0.0], [0.0, 10.0]])
    assert scoring._per_org_block(rules, 2) is not None
    assert scoring._per_org_block(rules.reverse(), 2) is None  # orgs out of order
    assert scoring._per_org_block(rules.head(3), 2) is None  # an org short of an item
    swapped = rules.with_columns(pl.Series("_order", [0, 1, 1, 0], dtype=pl.Int32))
    assert scoring._per_org_block(swapped, 2) is None  # the items in another order for one org


# ---------------------------------------------------------------------------------------------
# Hierarchy and veto.
# ---------------------------------------------------------------------------------------------
def test_ancestors_and_top_ids() -> None:
    orgs = orgs_frame()
    closure = scoring.ancestors(orgs)
    assert sorted(closure.filter(pl.col("org_id") == "B")["ancestor_id"].to_list()) == ["B", "C", "G"]
    tops = dict(scoring.top_ids(orgs, closure).iter_rows())
    assert tops == {"C": "C", "G": "C", "B": "C", "T": "T"}


def test_ancestors_survive_a_cycle() -> None:
    orgs = pl.DataFrame({"org_id": ["A", "B", "K"], "parent_id": ["B", "A", "A"]})
    closure = scoring.ancestors(orgs)
    assert sorted(closure.filter(pl.col("org_id") == "K")["ancestor_id"].to_list()) == ["A", "B", "K"]
    assert closure.height == 7
    assert scoring.top_ids(orgs, closure)["top_id"].to_list() == [None, None, None]


def incident(org: str, on: date, kind: str = "major_loss") -> dict:
    return {"org_id": org, "date": on, "kind": kind}


def test_veto_climbs_to_every_ancestor_but_not_to_siblings() -> None:
    a = run(perfect_store(["C", "G", "B", "T"], incidents=[incident("B", D(2024, 5, 1))]))
    got = {r["org_id"]: (r["vetoed"], r["grade"], r["veto_reasons"]) for r in a.scores.iter_rows(named=True)}
    assert got == {
        "B": (True, "不合格", "2024-05-01 重大失误和损失"),
        "G": (True, "不合格", "2024-05-01 重大失误和损失（下级组织 B）"),
        "C": (True, "不合格", "2024-05-01 重大失误和损失（下级组织 B）"),
        "T": (False, "优秀", ""),
    }
    assert score(a, "C")["score"] == 100.0  # the veto does not touch the score


def test_incident_outside_the_year_does_not_veto() -> None:
    a = run(perfect_store(["B"], incidents=[incident("B", D(2023, 12, 31)), incident("B", D(2025, 1, 1))]))
    assert score(a, "B")["vetoed"] is False


def test_several_incidents_are_listed_once_each_in_order() -> None:
    rows = [
        incident("B", D(2024, 9, 1), "public_safety"),
        incident("G", D(2024, 2, 1), "leader_disciplined"),
        incident("B", D(2024, 9, 1), "public_safety"),
    ]
    a = run(make_store(incidents=rows))
    assert (
        score(a, "C")["veto_reasons"]
        == "2024-02-01 领导班子成员受处分（下级组织 G）；2024-09-01 综合治理和平安创建重大问题（下级组织 B）"
    )


def test_veto_without_propagation_stays_with_the_org(tmp_path: Path) -> None:
    rs = load_ruleset(
        write(tmp_path, BUILTIN.replace("propagate_to_ancestors = true", "propagate_to_ancestors = false"))
    )
    a = run(make_store(incidents=[incident("B", D(2024, 5, 1))]), ruleset=rs)
    assert a.scores.filter(pl.col("vetoed"))["org_id"].to_list() == ["B"]


def test_incident_kind_outside_the_ruleset_does_not_veto(tmp_path: Path) -> None:
    rs = load_ruleset(write(tmp_path, BUILTIN.replace('  "family_planning",\n', "")))
    a = run(make_store(incidents=[incident("B", D(2024, 5, 1), "family_planning")]), ruleset=rs)
    assert not a.scores["vetoed"].any()


def test_term_veto_period_is_each_orgs_current_term(tmp_path: Path) -> None:
    rs = load_ruleset(write(tmp_path, BUILTIN.replace('period = "year"', 'period = "term"')))
    store = make_store(
        elections=[
            {"org_id": "B", "date": D(2023, 1, 1), "approved": False},
            {"org_id": "G", "date": D(2023, 9, 1), "approved": False},
            {"org_id": "C", "date": D(2021, 1, 1), "approved": False},
        ],
        incidents=[incident("B", D(2023, 7, 1))],
    )
    a = run(store, ruleset=rs)
    vetoed = dict(a.scores.select("org_id", "vetoed").iter_rows())
    # B's and C's terms include 2023-07-01; G was re-elected after it; T has no election: the year only
    assert vetoed == {"B": True, "C": True, "G": False, "T": False}


def test_scores_frame_matches_the_contract() -> None:
    a = run(make_store(activities=acts("B", "heart_talk", [D(2024, 1, 1)])))
    assert a.scores.columns == list(scoring.SCORES_COLUMNS)
    assert a.scores.schema["score"] == pl.Float64 and a.scores.schema["n_failed"] == pl.Int64
    assert a.scores.schema["qualified"] == pl.Boolean and a.scores.schema["vetoed"] == pl.Boolean
    assert len(ORGS) == a.scores.height
    b = score(a, "B")
    assert b["failed_rules"].split(";") == sorted(b["failed_rules"].split(";"))
    assert result(a, "B", "edu.heart_talks")["category"] == "党员教育管理"
