"""The term reports (任期考核, issue 16 "Reports"): the frames the notebook shows, the 换届提醒 order, the
notebook run by papermill on a small store and on the sample, and ``workbench report --as-of``.

The small department is the registry of ``test_rules_helpers`` (C 党委 ⊃ G 党总支 ⊃ B 党支部; T a
直属党支部) with these elections and incidents:

- T (2-year term) elected 2022-07-01: due 2024-07-01, 超期未换届 at 2024-12-31; a perfect record in
  2022–2024 except no heart talk in 2023.
- C (4-year term) elected 2021-03-01: due 2025-03-01, 即将届满 at 2024-12-31, 已届满 at 2025-03-31.
- B (2-year term) elected 2023-08-01: due 2025-08-01, 任期中 at 2024-12-31, 即将届满 at 2025-03-31;
  an incident at B on 2024-05-01 (inside its term and C's) and one on 2021-02-28 (the day before C's
  term starts: ignored).
- G: no election on record.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analysis import charts
from analysis.store import Store
from analysis.terms import assess_terms
from analysis.views import (
    term_facts,
    term_failed_items,
    term_incidents,
    term_reminders,
    term_training,
    term_trend,
    term_years_table,
)
from tests.test_rules_helpers import D, make_store
from tests.test_terms import election, incident, perfect_years


def department() -> Store:
    tables = perfect_years("T")
    activities = [r for r in tables.pop("activities") if not (r["kind"] == "heart_talk" and r["date"].year == 2023)]
    return make_store(
        activities=activities,
        elections=[election("T", D(2022, 7, 1)), election("C", D(2021, 3, 1)), election("B", D(2023, 8, 1))],
        incidents=[incident("B", D(2024, 5, 1)), incident("B", D(2021, 2, 28))],
        **tables,
    )


# ---------------------------------------------------------------------------------------------
# 换届提醒: overdue first, then by the days left (hand-built rows)
# ---------------------------------------------------------------------------------------------
def test_reminders_list_overdue_first_then_by_days_left_then_code() -> None:
    rows = [
        ("a", "即将届满", 30, True),
        ("b", "超期未换届", -400, True),
        ("c", "已届满", -3, True),
        ("d", "任期中", 500, False),
        ("e", "超期未换届", -40, True),
        ("f", "即将届满", 30, True),
        ("g", "无换届记录", None, False),
        ("h", "已届满", 0, True),
    ]
    terms = pl.DataFrame(
        {
            "org_id": [r[0] for r in rows],
            "name": [f"{r[0]}支部" for r in rows],
            "org_type": "branch",
            "parent_id": None,
            "term_due": [None if r[2] is None else date(2025, 1, 1) for r in rows],
            "term_status": [r[1] for r in rows],
            "days_left": [r[2] for r in rows],
            "report_due": [r[3] for r in rows],
        },
        schema_overrides={"parent_id": pl.String, "days_left": pl.Int64},
    )
    out = term_reminders(terms, {"b": "任期考核_b.html", "d": "任期考核_d.html"})
    assert out["org_id"].to_list() == ["b", "e", "c", "h", "a", "f"]
    assert out["when"].to_list() == ["已届满 400 天", "已届满 40 天", "已届满 3 天", "今日届满", "剩余 30 天", "剩余 30 天"]
    assert out["href"].to_list() == ["任期考核_b.html", None, None, None, None, None]


# ---------------------------------------------------------------------------------------------
# The frames of the term report (in-memory department)
# ---------------------------------------------------------------------------------------------
def test_years_table_puts_each_year_of_the_term_in_its_own_column() -> None:
    # at 2024-06-30: 2022 has 184 days in the term (50.4% of 365), 2023 is whole, 2024 is still running
    ta = assess_terms(department(), D(2024, 6, 30))
    table = term_years_table(ta, "T")
    assert table.columns == ["item", "2022年", "2023年", "2024年", "任期"]
    assert table.to_dict(as_series=False) == {
        "item": ["任期内天数", "权重（计入任期的比例）", "得分", "等级", "未达标项数"],
        "2022年": ["184", "50.4%", "100.0", "优秀", "0"],
        "2023年": ["365", "100%", "97.9", "良好", "1"],
        "2024年": ["182", "—", "进行中，不计分", "—", "—"],
        # (0.50411 × 100 + 97.9) ÷ 1.50411 = 98.6; 优秀 lost by the 2023 heart talk
        "任期": ["731", "—", "98.6", "良好", "1"],
    }
    facts = term_facts(ta, "T")
    assert (facts["term_status"], facts["when"], facts["org_type_zh"]) == ("即将届满", "剩余 1 天", "党支部")


def test_trend_chart_says_how_much_of_a_partial_year_counts_and_names_the_term_score() -> None:
    ta = assess_terms(department(), D(2024, 6, 30))
    trend = term_trend(ta, "T")
    assert trend.select("year", "score", "weight").rows() == [(2022, 100.0, pytest.approx(184 / 365)), (2023, 97.9, 1.0)]
    spec = str(charts.to_vega(charts.term_trend(trend, 98.6, "直属党支部")))
    for label in ("2022年（计入 50.4%）", "2023年", "任期得分（98.6）", "同类组织中位数", "任期内各年度得分（2022年–2023年）"):
        assert label in spec


def test_failed_items_name_the_year_the_item_and_the_rows_they_rest_on() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    failed = term_failed_items(ta, "T")
    assert failed.select("year", "rule", "earned", "evidence").rows() == [
        (2023, "谈心谈话", 0.0, "（没有相关记录）"),  # no heart talk at all in 2023
        # overdue since 2024-08-01: the election row is the evidence (in-memory rows are numbered 1..n)
        (2024, "按时换届", 0.0, "<memory> 第1行"),
    ]


def test_incidents_list_a_descendants_veto_inside_the_term_and_not_the_day_before_it() -> None:
    store = department()
    ta = assess_terms(store, D(2024, 12, 31))
    assert term_facts(ta, "C")["vetoed"] is True
    assert term_incidents(store, ta, "C").rows() == [
        (D(2024, 5, 1), "重大失误和损失", "下级组织", "第一党支部（B）", "", "<memory> 第1行")
    ]
    own = term_incidents(store, ta, "B")
    assert own.select("date", "at").rows() == [(D(2024, 5, 1), "本组织")]
    assert term_incidents(store, ta, "T").height == 0


def test_training_is_judged_over_the_term_and_an_org_without_election_shows_nothing() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    training = term_training(ta, "C")
    assert training.select("rule", "status").rows() == [("届内党务干部培训", "pending")]  # due 2025-03-01
    assert term_facts(ta, "G")["has_term"] is False
    assert term_years_table(ta, "G").columns == ["item"]
    assert (term_training(ta, "G").height, term_failed_items(ta, "G").height) == (0, 0)
    assert term_trend(ta, "G").height == 0


def test_unknown_org_is_refused_in_chinese() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    with pytest.raises(ValueError, match="组织名册中没有编码为 999 的组织"):
        term_facts(ta, "999")
