"""Running a whole ruleset: one row per org × rule, zeros for orgs without rows, evidence that matches
the counts, no_data vs zero, not_applicable, and results that do not depend on row order."""

from __future__ import annotations

import random

import polars as pl
import pytest

from analysis.rules import REGISTRY, load_ruleset, lookup
from analysis.rules.common import EVIDENCE_COLUMNS, num, num_text
from tests.test_rules_helpers import ORGS, D, acts, make_store, perfect_store, result, run


def test_every_org_gets_a_row_for_every_rubric_item() -> None:
    a = run(make_store())
    rs = load_ruleset()
    assert a.rules.height == len(ORGS) * len(rs.items)
    assert a.rules.columns == [
        "org_id", "rule_id", "category", "status", "measured", "required",
        "measured_value", "required_value", "points", "earned", "evidence_rows",
    ]  # fmt: skip
    assert a.rules.filter(pl.col("org_id") == "B")["rule_id"].to_list() == [r.rule_id for r in rs.items]
    assert a.scores["org_id"].to_list() == ["B", "C", "G", "T"]


def test_org_without_any_rows_gets_zero_counts_not_a_missing_row() -> None:
    a = run(make_store(activities=acts("C", "heart_talk", [D(2024, 1, 1)])))
    r = result(a, "B", "duty.info_submissions")
    assert (r["status"], r["measured_value"], r["earned"], r["evidence_rows"], r["measured"]) == (
        "fail",
        0.0,
        0.0,
        0,
        "0 篇",
    )


def test_registry_with_no_orgs_gives_empty_results() -> None:
    a = run(
        make_store(orgs=pl.DataFrame(schema={"org_id": pl.String, "name": pl.String, "org_type": pl.String}))
    )
    assert (a.scores.height, a.rules.height) == (0, 0)


def test_activities_of_unknown_orgs_are_ignored() -> None:
    a = run(make_store(activities=acts("X", "heart_talk", [D(2024, 1, 1)])))
    assert a.rules.filter(pl.col("org_id") == "X").height == 0
    assert a.evidence.filter(pl.col("org_id") == "X").height == 0


def test_evidence_rows_count_equals_the_evidence_frame() -> None:
    a = run(perfect_store(["C", "G", "B", "T"]))
    counts = a.evidence.group_by("org_id", "rule_id").agg(n=pl.len())
    joined = a.rules.join(counts, on=["org_id", "rule_id"], how="left").with_columns(pl.col("n").fill_null(0))
    assert (joined["evidence_rows"] == joined["n"]).all()
    assert a.evidence.columns == list(EVIDENCE_COLUMNS)
    # the study rule counts 12 study rows and the registry row
    ev = a.evidence.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "edu.member_study_days"))
    assert ev.group_by("table").len().sort("table").rows() == [("orgs", 1), ("study", 12)]


def test_not_applicable_rules_have_no_evidence() -> None:
    a = run(perfect_store(["B"]))
    assert a.evidence.filter((pl.col("org_id") == "B") & (pl.col("rule_id") == "org.budget")).height == 0


def test_no_data_only_when_the_table_is_absent_from_the_whole_dataset() -> None:
    absent = run(make_store())
    present_elsewhere = run(
        make_store(dues=[{"org_id": "C", "month": D(2024, 1, 1), "due": 1.0, "paid": 1.0}])
    )
    assert result(absent, "B", "edu.dues")["status"] == "no_data"
    assert result(present_elsewhere, "B", "edu.dues")["status"] == "fail"
    assert result(present_elsewhere, "B", "edu.dues")["measured_value"] == 0.0


def test_every_rule_of_the_builtin_ruleset_has_a_registered_measure() -> None:
    for r in load_ruleset().items:
        assert lookup(r.rule_id) is not None
    assert lookup("manual.anything") is REGISTRY["manual.*"]
    assert lookup("org.nonexistent") is None


def _shuffled(store_tables: dict[str, list[dict]], seed: int) -> dict[str, pl.DataFrame]:
    """The same rows with fixed provenance, in a random order."""
    out = {}
    for name, rows in store_tables.items():
        rows = [{**r, "_file": f"{name}.csv", "_sheet": "", "_row": i + 2} for i, r in enumerate(rows)]
        random.Random(seed).shuffle(rows)
        out[name] = pl.DataFrame(rows, infer_schema_length=None)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_results_do_not_depend_on_row_order(seed: int) -> None:
    from analysis.store import Store

    tables = {
        "orgs": [
            dict(
                o, member_count=2, mid_cadres=3, secretary="张三", secretary_mode="兼任", budget_included=True
            )
            for o in ORGS
        ],
        "activities": acts(
            "B", "group_study", [D(2024, m, d) for m in range(1, 13) for d in (1, 2)], political_theory=True
        )
        + acts("C", "committee_meeting", [D(2024, m, 1) for m in (1, 2, 5, 7, 9)])
        + acts("G", "info_submission", [D(2024, 1, 1)] * 3)
        + acts("T", "integrity_pledge", [D(2024, 2, 1)], signed_count=2),
        "study": [
            {"member_id": f"m{i % 3}", "org_id": "B", "date": D(2024, 1 + i % 12, 1 + i // 12), "days": 0.5}
            for i in range(60)
        ],
        "elections": [{"org_id": o, "date": D(2022, 3, 1), "approved": False} for o in ("C", "G", "B")],
        "incidents": [{"org_id": "B", "date": D(2024, 5, 1), "kind": "major_loss"}],
    }
    base = run(Store.from_frames(_shuffled(tables, 0)))
    again = run(Store.from_frames(_shuffled(tables, seed)))
    assert base.scores.equals(again.scores)
    assert base.rules.equals(again.rules)
    assert base.evidence.equals(again.evidence)
    assert base.sources().equals(again.sources())


@pytest.mark.parametrize("x", [0.0, 12.0, 2.5, 0.25, 1 / 3, 2 / 3, 1.005, 66.665, 100.0, 12.345, -2.5, 1e6, 0.1 + 0.2])
def test_num_text_writes_a_number_as_num_does(x: float) -> None:
    # thresholds written once per org type (Context.text_by_type) must read as the per-row texts do
    assert num_text(x) == pl.select(num(pl.lit(x, pl.Float64))).item()
