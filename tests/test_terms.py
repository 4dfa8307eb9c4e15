"""Term assessment (任期考核, RULES.md "Term assessment"): status, weights, score, term-wide rules.

The registry is the little department of ``test_rules_helpers``: C 党委 (4-year term) ⊃ G 党总支 (3 years)
⊃ B 党支部 (2 years), and T, a top-level 党支部 (2 years).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from analysis.terms import TERMS_CSV_COLUMNS, add_months, assess_terms, terms_table
from tests.test_rules_helpers import D, acts, make_store, perfect_year

YEARS = (2022, 2023, 2024)


def election(org: str, d: date, approved: bool = False) -> dict[str, Any]:
    return {"org_id": org, "date": d, "approved": approved}


def term_row(store, as_of: date, org: str = "T", **kw: Any) -> dict[str, Any]:
    ta = assess_terms(store, as_of, **kw)
    rows = ta.terms.filter(pl.col("org_id") == org)
    assert rows.height == 1
    return rows.row(0, named=True)


def store_with(elections: list[dict], **extra: list[dict]):
    return make_store(elections=elections, **extra)


def perfect_years(org: str, years=YEARS) -> dict[str, list[dict]]:
    """``org`` passes every rule in each of ``years`` (the elections of perfect_year left out)."""
    tables: dict[str, list[dict]] = {}
    for y in years:
        for name, rows in perfect_year(org, y).items():
            if name != "elections":
                tables.setdefault(name, []).extend(rows)
    return tables


# ---------------------------------------------------------------------------------------------
# Status at the boundaries: T is a branch with a 2-year term elected 2023-03-30, due 2025-03-30.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("as_of", "status", "report_due"),
    [
        (D(2024, 9, 29), "任期中", False),  # due is 6 months + 1 day ahead
        (D(2024, 9, 30), "即将届满", True),  # 30 Sep + 6 months = 30 Mar: due exactly due_within ahead
        (D(2025, 3, 29), "即将届满", True),  # the day before the due date
        (D(2025, 3, 30), "已届满", True),  # the due date itself
        (D(2025, 4, 30), "已届满", True),  # due + 1 month: still the on-time window
        (D(2025, 5, 1), "超期未换届", True),  # one day later
    ],
)
def test_term_status_at_its_boundaries(as_of: date, status: str, report_due: bool) -> None:
    store = store_with([election("T", D(2023, 3, 30))])
    row = term_row(store, as_of)
    assert (row["term_status"], row["report_due"]) == (status, report_due)
    assert row["term_start"] == D(2023, 3, 30) and row["term_due"] == D(2025, 3, 30)
    assert row["days_left"] == (D(2025, 3, 30) - as_of).days


def test_due_within_is_a_parameter() -> None:
    # due 2025-03-31; 31 Dec + 3 months = 31 Mar
    store = store_with([election("T", D(2023, 3, 31))])
    assert term_row(store, D(2024, 12, 31), due_within=2)["term_status"] == "任期中"
    assert term_row(store, D(2024, 12, 31), due_within=2)["report_due"] is False
    assert term_row(store, D(2024, 12, 31), due_within=3)["term_status"] == "即将届满"


def test_org_without_election_has_no_term() -> None:
    store = store_with([election("C", D(2022, 1, 1))], **perfect_years("T"))
    row = term_row(store, D(2024, 12, 31))
    assert row["term_status"] == "无换届记录"
    assert row["report_due"] is False
    assert row["term_start"] is None and row["term_score"] is None and row["term_grade"] is None
    assert row["years_scored"] is None and row["failed_rules"] == ""


def test_the_last_election_on_or_before_as_of_starts_the_term() -> None:
    store = store_with([election("T", D(2020, 5, 1)), election("T", D(2022, 5, 1)), election("T", D(2024, 5, 1))])
    assert term_row(store, D(2024, 4, 30))["term_start"] == D(2022, 5, 1)
    assert term_row(store, D(2024, 5, 1))["term_start"] == D(2024, 5, 1)


def test_general_branch_under_committee_on_a_four_year_term() -> None:
    orgs = make_store().table("orgs").collect().with_columns(
        term_years=pl.when(pl.col("org_id") == "G").then(4).otherwise(None).cast(pl.Int64)
    )
    store = make_store(orgs=orgs, elections=[election("G", D(2021, 6, 1))])
    row = term_row(store, D(2024, 12, 31), org="G")
    assert (row["term_years"], row["term_due"], row["term_status"]) == (4, D(2025, 6, 1), "即将届满")


# ---------------------------------------------------------------------------------------------
# Years, weights, score
# ---------------------------------------------------------------------------------------------
def test_first_year_weight_counts_days_of_the_term_in_a_leap_year() -> None:
    # elected 2024-03-01: 306 days of 2024 (a leap year of 366) are in the term
    store = store_with([election("T", D(2024, 3, 1))], **perfect_years("T"))
    row = term_row(store, D(2024, 12, 31))
    assert row["years_scored"] == [2024]
    assert row["year_weights"] == [pytest.approx(306 / 366)]
    assert row["year_scores"] == [100.0] and row["term_score"] == 100.0


def test_term_score_is_the_day_weighted_mean_of_the_annual_scores() -> None:
    # elected 2022-07-01 (184 of 365 days of 2022 in the term); 2023 full; the 2023 heart talk missed
    tables = perfect_years("T")
    tables["activities"] = [
        r for r in tables["activities"] if not (r["kind"] == "heart_talk" and r["date"].year == 2023)
    ]
    store = store_with([election("T", D(2022, 7, 1))], **tables)
    ta = assess_terms(store, D(2023, 12, 31))
    row = ta.terms.filter(pl.col("org_id") == "T").row(0, named=True)
    s2023 = ta.annual[2023].scores.filter(pl.col("org_id") == "T")["score"][0]
    assert s2023 == 97.9  # 95 of the 97 points that apply to a top-level branch (no cadre training)
    assert row["years_scored"] == [2022, 2023]
    assert row["year_weights"] == [pytest.approx(184 / 365), 1.0]
    assert row["year_scores"] == [100.0, 97.9]
    # (0.50411 × 100 + 1 × 97.9) ÷ 1.50411 = 98.604 → 98.6
    assert row["term_score"] == 98.6
    # 优秀 lost by one failed rule in one year, although the score is above 90
    assert row["failed_rules"] == "2023:edu.heart_talks"
    assert row["term_grade"] == "良好"


def test_perfect_term_is_excellent() -> None:
    store = store_with([election("T", D(2023, 1, 1))], **perfect_years("T"))
    row = term_row(store, D(2024, 12, 31))
    assert row["years_scored"] == [2023, 2024]
    assert (row["term_score"], row["term_grade"], row["failed_rules"]) == (100.0, "优秀", "")


def test_term_with_no_completed_year_has_no_score() -> None:
    store = store_with([election("T", D(2024, 2, 1))], **perfect_years("T"))
    row = term_row(store, D(2024, 10, 31))
    assert row["years"] == [2024]
    assert row["years_scored"] is None and row["term_score"] is None and row["term_grade"] is None


def test_overdue_term_runs_to_the_as_of_date() -> None:
    # elected 2020-01-10, due 2022-01-10; still no election at 2024-12-31 → every year since is in the term
    store = store_with([election("T", D(2020, 1, 10))], **perfect_years("T"))
    ta = assess_terms(store, D(2024, 12, 31))
    row = ta.terms.filter(pl.col("org_id") == "T").row(0, named=True)
    assert row["term_status"] == "超期未换届"
    assert row["years"] == [2020, 2021, 2022, 2023, 2024]
    # the store holds no work before 2022: those years are not scored as zeros
    assert row["years_unscored"] == [2020, 2021]
    assert row["years_scored"] == [2022, 2023, 2024]
    assert sorted(ta.annual) == [2022, 2023, 2024]
    # the annual term-election rule fails in the overdue years
    assert "2024:org.term_election" in row["failed_rules"].split(";")


def test_current_year_is_not_scored_before_it_ends() -> None:
    store = store_with([election("T", D(2022, 7, 1))], **perfect_years("T"))
    ta = assess_terms(store, D(2024, 6, 30))
    row = ta.terms.filter(pl.col("org_id") == "T").row(0, named=True)
    assert row["years"] == [2022, 2023, 2024] and row["years_scored"] == [2022, 2023]
    assert ta.current.as_of == D(2024, 6, 30) and ta.current.year == 2024


# ---------------------------------------------------------------------------------------------
# Term-wide rules: veto and cadre training
# ---------------------------------------------------------------------------------------------
def incident(org: str, d: date, kind: str = "major_loss") -> dict[str, Any]:
    return {"org_id": org, "date": d, "kind": kind, "note": ""}


@pytest.mark.parametrize(("day", "vetoed"), [(D(2023, 5, 31), False), (D(2023, 6, 1), True)])
def test_veto_counts_from_the_first_day_of_the_term(day: date, vetoed: bool) -> None:
    store = store_with([election("T", D(2021, 6, 1)), election("T", D(2023, 6, 1))], incidents=[incident("T", day)])
    row = term_row(store, D(2024, 12, 31))
    assert row["vetoed"] is vetoed
    if vetoed:
        assert row["veto_reasons"] == f"{day} 重大失误和损失"
        assert row["term_grade"] == "不合格"


def test_veto_at_a_descendant_reaches_the_committee_term() -> None:
    store = store_with(
        [election("C", D(2022, 1, 5)), election("B", D(2023, 1, 5))],
        incidents=[incident("B", D(2024, 3, 2), "leader_disciplined")],
    )
    ta = assess_terms(store, D(2024, 12, 31))
    rows = {r["org_id"]: r for r in ta.terms.iter_rows(named=True)}
    assert rows["C"]["vetoed"] and rows["C"]["veto_reasons"] == "2024-03-02 领导班子成员受处分（下级组织 B）"
    assert rows["B"]["vetoed"] and rows["B"]["veto_reasons"] == "2024-03-02 领导班子成员受处分"
    assert rows["G"]["vetoed"] is False  # G has no election on record: no term to veto
    assert rows["T"]["vetoed"] is False


def test_veto_in_the_previous_term_only_is_ignored() -> None:
    store = store_with(
        [election("T", D(2021, 3, 1)), election("T", D(2023, 3, 1))], incidents=[incident("T", D(2022, 8, 8))]
    )
    assert term_row(store, D(2024, 12, 31))["vetoed"] is False


@pytest.mark.parametrize(
    ("as_of", "status", "label"),
    [(D(2025, 12, 31), "pending", "届内待办"), (D(2026, 1, 5), "fail", "未达标")],
)
def test_cadre_training_pending_before_the_due_date_and_failed_after(as_of: date, status: str, label: str) -> None:
    # C (4-year term) elected 2022-01-05, due 2026-01-05; no training in the term
    store = store_with([election("C", D(2022, 1, 5))])
    row = term_row(store, as_of, org="C")
    assert (row["cadre_status"], row["cadre_training"]) == (status, label)
    failed = row["failed_rules"].split(";")
    assert ("任期:edu.cadre_training" in failed) is (status == "fail")


def test_cadre_training_held_in_an_earlier_year_of_the_term_passes() -> None:
    store = store_with(
        [election("C", D(2022, 1, 5))], activities=acts("C", "cadre_training", [D(2022, 9, 1)])
    )
    row = term_row(store, D(2024, 12, 31), org="C")
    assert row["cadre_training"] == "达标"
    assert row["term_status"] == "任期中"


def test_cadre_training_before_the_term_does_not_count_and_branches_are_not_applicable() -> None:
    store = store_with(
        [election("C", D(2022, 1, 5)), election("T", D(2023, 1, 5))],
        activities=acts("C", "cadre_training", [D(2022, 1, 4)]),
    )
    ta = assess_terms(store, D(2026, 2, 1))
    rows = {r["org_id"]: r for r in ta.terms.iter_rows(named=True)}
    assert rows["C"]["cadre_training"] == "未达标"
    assert rows["T"]["cadre_training"] == "不适用"


def test_annual_assessments_are_reused_when_given() -> None:
    store = store_with([election("T", D(2022, 7, 1))], **perfect_years("T"))
    first = assess_terms(store, D(2024, 12, 31))
    again = assess_terms(store, D(2024, 12, 31), annual=first.annual)
    assert all(again.annual[y] is first.annual[y] for y in YEARS)
    assert again.current is first.annual[2024]
    assert again.terms.equals(first.terms)


# ---------------------------------------------------------------------------------------------
# terms.csv
# ---------------------------------------------------------------------------------------------
def test_terms_table_has_the_contract_columns_and_text_forms() -> None:
    store = store_with([election("T", D(2022, 7, 1))], **perfect_years("T"))
    table = terms_table(assess_terms(store, D(2024, 12, 31)))
    assert table.columns[:17] == [
        "org_id", "name", "org_type", "parent_id", "term_start", "term_due", "term_status", "report_due",
        "years_scored", "year_weights", "year_scores", "term_score", "term_grade", "vetoed", "veto_reasons",
        "cadre_training", "failed_rules",
    ]
    assert tuple(table.columns) == TERMS_CSV_COLUMNS
    t = table.filter(pl.col("org_id") == "T").row(0, named=True)
    assert t["org_type"] == "党支部"
    assert (t["term_start"], t["term_due"], t["term_status"]) == ("2022-07-01", "2024-07-01", "超期未换届")
    # overdue since 2024-08-01: the 2024 term-election rule fails (92 of 97 points = 94.8) and the
    # term is 良好 with that failure named
    assert (t["term_grade"], t["failed_rules"], t["vetoed"]) == ("良好", "2024:org.term_election", False)
    assert (t["years_scored"], t["year_weights"], t["year_scores"]) == ("2022;2023;2024", "0.5041;1;1", "100.0;100.0;94.8")
    c = table.filter(pl.col("org_id") == "C").row(0, named=True)
    assert (c["term_start"], c["term_due"], c["term_status"], c["term_score"]) == ("", "", "无换届记录", "")


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(D(2024, 8, 31), 6) == D(2025, 2, 28)
    assert add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert add_months(D(2024, 12, 31), 6) == D(2025, 6, 30)
