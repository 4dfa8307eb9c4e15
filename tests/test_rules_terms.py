"""Term rules: 按时换届 (org.term_election) and 届内党务干部培训 (edu.cadre_training).

Months are calendar months with clamping, and window bounds are inclusive (RULES.md): a branch elected
on 2020-08-31 with a 2-year term is due on 2022-08-31, and ± 6 months reaches 2022-02-28 … 2023-02-28.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_rules_helpers import D, acts, make_store, orgs_frame, result, run

RULE = "org.term_election"


def elections(*rows: tuple[str, date, bool]) -> list[dict]:
    return [{"org_id": o, "date": d, "approved": ok} for o, d, ok in rows]


def term_status(rows: list[dict], year: int, org: str = "B", as_of: date | None = None, **orgs) -> str:
    store = make_store(orgs=orgs_frame(**orgs) if orgs else None, elections=rows)
    return result(run(store, year, as_of=as_of), org, RULE)["status"]


@pytest.mark.parametrize(
    ("held", "approved", "expected"),
    [
        (D(2022, 8, 31), False, "pass"),  # exactly due
        (D(2022, 9, 30), False, "pass"),  # due + 1 month: on time, bound included
        (D(2022, 10, 1), False, "fail"),  # one day past the on-time window, not approved
        (D(2022, 10, 1), True, "pass"),
        (D(2022, 7, 31), False, "pass"),  # due - 1 month
        (D(2022, 7, 30), False, "fail"),
    ],
)
def test_branch_election_against_due_date_plus_minus_one_month(
    held: date, approved: bool, expected: str
) -> None:
    rows = elections(("B", D(2020, 8, 31), False), ("B", held, approved))
    assert term_status(rows, 2022) == expected


@pytest.mark.parametrize(
    ("held", "approved", "expected"),
    [
        # 1 month late: on time either way
        (D(2022, 9, 30), True, "pass"),
        (D(2022, 9, 30), False, "pass"),
        # 6 months late: due 2022-08-31 + 6 months clamps to 2023-02-28 — only with approval
        (D(2023, 2, 28), True, "pass"),
        (D(2023, 2, 28), False, "fail"),
        # one day beyond 6 months, and 7 months: fails even when approved
        (D(2023, 3, 1), True, "fail"),
        (D(2023, 3, 31), True, "fail"),
        (D(2023, 3, 31), False, "fail"),
    ],
)
def test_late_election_needs_approval_within_six_months(held: date, approved: bool, expected: str) -> None:
    rows = elections(("B", D(2020, 8, 31), False), ("B", held, approved))
    assert term_status(rows, held.year) == expected


@pytest.mark.parametrize(
    ("held", "approved", "expected"),
    [(D(2022, 2, 28), True, "pass"), (D(2022, 2, 27), True, "fail"), (D(2022, 2, 28), False, "fail")],
)
def test_early_election_window_clamps_to_end_of_february(held: date, approved: bool, expected: str) -> None:
    rows = elections(("B", D(2020, 8, 31), False), ("B", held, approved))
    assert term_status(rows, 2022) == expected


def test_leap_day_election_is_due_on_28_february() -> None:
    rows = elections(("B", D(2020, 2, 29), False), ("B", D(2022, 3, 28), False))
    # due 2022-02-28, + 1 month = 2022-03-28 (inclusive)
    assert term_status(rows, 2022) == "pass"
    rows = elections(("B", D(2020, 2, 29), False), ("B", D(2022, 3, 29), False))
    assert term_status(rows, 2022) == "fail"


def test_first_election_on_record_has_no_deviation() -> None:
    assert term_status(elections(("B", D(2024, 5, 1), False)), 2024) == "pass"


def test_no_election_on_record_fails_and_says_so() -> None:
    store = make_store(elections=elections(("C", D(2022, 1, 1), False)))
    r = result(run(store), "B", RULE)
    assert (r["status"], r["measured"], r["earned"]) == ("fail", "无换届记录", 0.0)


@pytest.mark.parametrize(("as_of", "expected"), [(D(2024, 9, 30), "pass"), (D(2024, 10, 1), "fail")])
def test_current_term_overdue_by_more_than_a_month_at_as_of_date_fails(as_of: date, expected: str) -> None:
    rows = elections(("B", D(2022, 8, 31), False))
    assert term_status(rows, 2024, as_of=as_of) == expected


def test_term_not_yet_due_passes_rather_than_pending() -> None:
    rows = elections(("C", D(2023, 6, 1), False))
    assert term_status(rows, 2024, org="C") == "pass"


def test_election_after_as_of_date_is_not_yet_held() -> None:
    rows = elections(("B", D(2022, 8, 31), False), ("B", D(2024, 11, 1), False))
    # at 2024-10-15 the term due 2024-08-31 is overdue and the November election has not happened
    assert term_status(rows, 2024, as_of=D(2024, 10, 15)) == "fail"
    # at year end it has, two months late without approval
    assert term_status(rows, 2024) == "fail"
    rows[1]["approved"] = True
    assert term_status(rows, 2024) == "pass"


def test_only_elections_in_the_year_are_judged() -> None:
    # a late unapproved election in 2021 does not fail 2024, where the current term is fine
    rows = elections(("B", D(2018, 1, 1), False), ("B", D(2021, 1, 1), False), ("B", D(2023, 1, 2), False))
    assert term_status(rows, 2024) == "pass"
    assert term_status(rows, 2021) == "fail"


def test_committee_serves_four_years() -> None:
    rows = elections(("C", D(2020, 5, 1), False), ("C", D(2024, 5, 1), False))
    assert term_status(rows, 2024, org="C") == "pass"


def test_general_branch_under_committee_may_serve_four_years_when_registry_says_so() -> None:
    rows = elections(("G", D(2020, 1, 15), False), ("G", D(2024, 1, 15), False))
    assert term_status(rows, 2024, org="G") == "fail"  # 3 years: due 2023-01-15
    assert term_status(rows, 2024, org="G", G={"term_years": 4}) == "pass"


def test_term_years_elsewhere_is_a_warning_and_type_term_is_used() -> None:
    rows = elections(("T", D(2020, 1, 15), False), ("T", D(2024, 1, 15), False))
    store = make_store(orgs=orgs_frame(T={"term_years": 4}), elections=rows)
    a = run(store)
    assert result(a, "T", RULE)["status"] == "fail"  # a top-level branch serves 2 years
    assert a.warnings.filter(a.warnings["org_id"] == "T")["message"].to_list() == [
        "登记的任期年限 4 年不适用于该组织（党支部），按 2 年计"
    ]


def test_term_years_equal_to_type_term_is_not_a_warning() -> None:
    store = make_store(orgs=orgs_frame(B={"term_years": 2}), elections=elections(("B", D(2024, 1, 1), False)))
    assert run(store).warnings.height == 0


def test_term_election_evidence_is_the_elections_it_compared() -> None:
    rows = elections(("B", D(2018, 1, 1), False), ("B", D(2020, 8, 31), False), ("B", D(2022, 8, 31), False))
    store = make_store(elections=rows)
    a = run(store, 2022)
    ev = a.evidence.filter((a.evidence["org_id"] == "B") & (a.evidence["rule_id"] == RULE))
    assert ev["_row"].to_list() == [2, 3]  # the 2022 election and the one whose term it closed
    assert result(a, "B", RULE)["evidence_rows"] == 2


def test_same_day_election_rows_count_once() -> None:
    rows = elections(("B", D(2020, 8, 31), False), ("B", D(2022, 11, 1), False), ("B", D(2022, 11, 1), True))
    assert term_status(rows, 2022) == "pass"


# ---------------------------------------------------------------------------------------------
# edu.cadre_training
# ---------------------------------------------------------------------------------------------
TRAINING = "edu.cadre_training"


def training(org: str, elected: list[date], trained: list[date], year: int = 2024) -> dict:
    store = make_store(
        activities=acts(org, "cadre_training", trained),
        elections=elections(*((org, d, False) for d in elected)),
    )
    return result(run(store, year), org, TRAINING)


def test_training_in_current_term_passes() -> None:
    r = training("C", [D(2022, 3, 1)], [D(2022, 3, 1)])
    assert (r["status"], r["earned"], r["measured_value"]) == ("pass", 3.0, 1.0)


def test_no_training_while_term_runs_is_pending_and_earns_full_points() -> None:
    r = training("C", [D(2022, 3, 1)], [])
    assert (r["status"], r["earned"]) == ("pending", 3.0)
    assert r["measured"] == "本届（2022-03-01 起，2026-03-01 届满）培训 0 次"


def test_no_training_once_term_is_due_fails() -> None:
    r = training("C", [D(2020, 12, 31)], [])  # due 2024-12-31 = as-of date
    assert (r["status"], r["earned"]) == ("fail", 0.0)


def test_training_before_last_election_does_not_count() -> None:
    r = training("G", [D(2021, 6, 1)], [D(2021, 5, 31)])  # general branch: due 2024-06-01
    assert r["status"] == "fail"


def test_training_with_no_election_counts_the_year_and_never_pends() -> None:
    assert training("C", [], [D(2024, 1, 1)])["status"] == "pass"
    assert training("C", [], [D(2023, 12, 31)])["status"] == "fail"


def test_cadre_training_does_not_apply_to_branches() -> None:
    r = training("B", [D(2022, 3, 1)], [D(2022, 3, 1)])
    assert (r["status"], r["earned"], r["evidence_rows"]) == ("not_applicable", 0.0, 0)


def test_cadre_training_without_elections_table_is_no_data() -> None:
    store = make_store(activities=acts("C", "cadre_training", [D(2024, 1, 1)]))
    r = result(run(store), "C", TRAINING)
    assert r["status"] == "no_data"
    assert result(run(store), "C", RULE)["status"] == "no_data"
