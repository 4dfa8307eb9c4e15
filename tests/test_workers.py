"""Excellent party-affairs workers (优秀党务工作者): the 党务工作者 table in ingest, eligibility at each
boundary, the ranking and its tie-breaks, the quota, the robustness carried over from the org ranking,
the registry-secretary check, the files (workers.csv, 优秀党务工作者.xlsx), ``workbench assess`` and the
report section (RULES.md, "Excellent party-affairs workers"; DATA.md, table 党务工作者).

Decision tests drive :func:`select_workers` with a small assessment built here (org scores and rubric
rows as the Assessment contract has them) and an in-memory store holding the workers and study tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from analysis.decisions import select_advanced
from analysis.decisions.workers import (
    WORKER_COLUMNS,
    reason_counts,
    secretary_checks,
    select_workers,
    worker_settings,
)
from analysis.ingest import ingest
from analysis.outputs.workers import WORKERS_CSV_COLUMNS, workers_sheet, write_workers
from analysis.rules import load_ruleset
from analysis.store import Store

D = date
YEAR_END = D(2024, 12, 31)
LONG_AGO = D(2020, 1, 1)  #: a tenure long enough whatever the as-of date
MARCH = D(2024, 3, 1)
SCORE_SCHEMA = {
    "org_id": pl.String,
    "name": pl.String,
    "org_type": pl.String,
    "score": pl.Float64,
    "qualified": pl.Boolean,
    "vetoed": pl.Boolean,
    "n_failed": pl.Int64,
}
RULE_SCHEMA = {
    "org_id": pl.String,
    "rule_id": pl.String,
    "status": pl.String,
    "points": pl.Float64,
    "earned": pl.Float64,
}
WORKER_SCHEMA = {
    "member_id": pl.String,
    "name": pl.String,
    "org_id": pl.String,
    "role": pl.String,
    "since": pl.Date,
    "mode": pl.String,
}


@dataclass
class Assessed:
    """The part of an Assessment the workers stage reads."""

    scores: pl.DataFrame
    rules: pl.DataFrame
    year: int = 2024
    as_of: date = YEAR_END
    ruleset: Any = None
    warnings: pl.DataFrame = field(default_factory=pl.DataFrame)


def assessed(*orgs: dict[str, Any], ruleset: Any = None, as_of: date = YEAR_END) -> Assessed:
    """Orgs given as ``org(...)`` dicts; each has two rubric items (60 + 40 points) earning
    ``shares``, so perturbed points can reorder orgs whose shares differ."""
    scores, rules = [], []
    for o in orgs:
        earned = [60 * o["shares"][0], 40 * o["shares"][1]]
        score = o.get("score", round(sum(earned), 1))
        scores.append(
            {
                "org_id": o["org_id"],
                "name": o.get("name", f"{o['org_id']}支部"),
                "org_type": o.get("org_type", "branch"),
                "score": score,
                "qualified": o.get("qualified", True),
                "vetoed": o.get("vetoed", False),
                "n_failed": o.get("n_failed", 0),
            }
        )
        for rid, pts, e in (("org.a", 60.0, earned[0]), ("edu.b", 40.0, earned[1])):
            rules.append(
                {"org_id": o["org_id"], "rule_id": rid, "status": "pass", "points": pts, "earned": e}
            )
    return Assessed(
        pl.DataFrame(scores, schema=SCORE_SCHEMA),
        pl.DataFrame(rules, schema=RULE_SCHEMA),
        ruleset=ruleset,
        as_of=as_of,
    )


def org(org_id: str, shares: tuple[float, float] = (1.0, 1.0), **kw: Any) -> dict[str, Any]:
    return {"org_id": org_id, "shares": shares, **kw}


def worker(
    member_id: str, org_id: str, role: str = "secretary", since: date | None = LONG_AGO, **kw: Any
) -> dict:
    return {
        "member_id": member_id,
        "name": kw.pop("name", f"党员{member_id}"),
        "org_id": org_id,
        "role": role,
        "since": since,
        **kw,
    }


def studied(member_id: str, org_id: str, days: float, on: date = MARCH) -> dict[str, Any]:
    return {"member_id": member_id, "org_id": org_id, "date": on, "days": days}


def store_of(
    workers: list[dict[str, Any]],
    study: list[dict[str, Any]] | None = None,
    registry: list[dict[str, Any]] | None = None,
) -> Store:
    """Workers, study rows (default: 12 days for every worker) and a registry naming each org."""
    if study is None:
        study = [studied(w["member_id"], w["org_id"], 12.0) for w in workers]
    if registry is None:
        registry = [
            {"org_id": o, "name": f"{o}支部", "org_type": "branch"}
            for o in sorted({w["org_id"] for w in workers})
        ]
    frames = {
        "orgs": pl.DataFrame(registry),
        "party_workers": pl.DataFrame(workers, schema=WORKER_SCHEMA),
        "study": pl.DataFrame(
            study, schema={"member_id": pl.String, "org_id": pl.String, "date": pl.Date, "days": pl.Float64}
        ),
    }
    return Store.from_frames(frames)


def by_member(frame: pl.DataFrame, name: str) -> dict[str, Any]:
    return dict(zip(frame["member_id"].to_list(), frame[name].to_list(), strict=True))


# ============================================================================================
# Ingest: the table in every format
# ============================================================================================
def test_party_workers_are_read_from_csv_xlsx_json_and_parquet_with_their_zeros(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "组织.csv").write_text(
        "组织编码,组织名称,组织类型,上级组织编码,书记\n000100,机关党委,党委,,张三\n000101,第一党支部,党支部,000100,李四\n",
        encoding="utf-8",
    )
    (src / "党务工作者.csv").write_text(
        "党员编号*,姓名*,组织编码*,职务*,任职日期,专兼职\n0001,张三,000100,党委书记,2020-03-01,兼职\n",
        encoding="utf-8",
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "党务工作者"
    ws.append(["member_id", "name", "org_id", "role", "since", "mode"])
    ws.append(["0002", "李四", "000101", "支部书记", D(2023, 12, 31), "兼职"])
    ws.append(["0003", "王五", "000101", "deputy secretary", "2024年8月1日", "兼职"])
    wb.save(src / "工作者.xlsx")
    (src / "工作者.json").write_text(
        json.dumps(
            [
                {
                    "党员编号": "0004",
                    "姓名": "赵六",
                    "组织编码": "000101",
                    "职务": "支委",
                    "任职日期": "",
                    "专兼职": "专职",
                }
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    pl.DataFrame(
        {
            "member_id": ["0005"],
            "name": ["钱七"],
            "org_id": ["000100"],
            "role": ["纪检委员"],
            "since": [D(2019, 5, 6)],
        }
    ).write_parquet(src / "工作者.parquet")
    ingest([src], tmp_path / "store")
    rows = Store.open(tmp_path / "store").table("party_workers").sort("member_id").collect()
    assert rows.select("member_id", "name", "org_id", "role", "since", "mode").rows() == [
        ("0001", "张三", "000100", "secretary", D(2020, 3, 1), "兼职"),
        ("0002", "李四", "000101", "secretary", D(2023, 12, 31), "兼职"),
        ("0003", "王五", "000101", "deputy_secretary", D(2024, 8, 1), "兼职"),
        ("0004", "赵六", "000101", "member", None, "专职"),
        ("0005", "钱七", "000100", "discipline", D(2019, 5, 6), None),
    ]


def test_unknown_role_bad_date_and_unknown_org_are_refused_with_their_reasons(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "组织.csv").write_text("组织编码,组织名称,组织类型\n000101,第一党支部,党支部\n", encoding="utf-8")
    (src / "党务工作者.csv").write_text(
        "党员编号,姓名,组织编码,职务,任职日期\n"
        "0001,张三,000101,宣传员,2020-01-01\n"
        "0002,李四,000101,组织委员,2020-13-01\n"
        "0003,王五,009999,委员,2020-01-01\n"
        "0004,赵六,000101,专职副书记,2020-01-01\n",
        encoding="utf-8",
    )
    ingest([src], tmp_path / "store")
    st = Store.open(tmp_path / "store")
    assert st.table("party_workers").select("member_id", "role").collect().rows() == [
        ("0004", "full_time_deputy")
    ]
    rejects = pl.read_parquet(tmp_path / "store" / "rejects.parquet").sort("_row")
    assert rejects.select("table", "_row", "column", "value", "reason_zh").rows() == [
        (
            "party_workers",
            2,
            "role",
            "宣传员",
            "【职务】职务不在规定范围内（书记、副书记、专职副书记、组织委员、宣传委员、纪检委员、委员、党务干事）",
        ),
        ("party_workers", 3, "since", "2020-13-01", "【任职日期】日期无法识别"),
        ("party_workers", 4, "org_id", "009999", "【组织编码】组织编码不在组织名册中"),
    ]


# ============================================================================================
# Eligibility, each condition at its boundary
# ============================================================================================
def test_exactly_twelve_months_in_the_role_is_eligible_and_one_day_less_is_not() -> None:
    a = assessed(org("B"))
    st = store_of(
        [worker("m1", "B", since=D(2023, 12, 31)), worker("m2", "B", "member", since=D(2024, 1, 1))]
    )
    out = select_workers(a, st, draws=0)
    assert by_member(out, "months_in_role") == {"m1": 12, "m2": 11}
    assert by_member(out, "eligible") == {"m1": True, "m2": False}
    assert by_member(out, "reasons") == {"m1": "", "m2": "任职不满12个月（2024-01-01起）"}
    assert by_member(out, "rank") == {"m1": 1, "m2": None}


def test_months_in_the_role_are_counted_to_the_as_of_date() -> None:
    a = assessed(org("B"), as_of=D(2024, 6, 30))
    st = store_of([worker("m1", "B", since=D(2023, 6, 30)), worker("m2", "B", "member", since=D(2024, 8, 1))])
    out = select_workers(a, st, draws=0)
    assert by_member(out, "months_in_role") == {"m1": 12, "m2": 0}
    assert by_member(out, "reasons") == {"m1": "", "m2": "任职不满12个月（2024-08-01起）"}


def test_exactly_twelve_study_days_is_eligible_and_three_is_not() -> None:
    a = assessed(org("B"))
    study = [studied("m1", "B", 5.0), studied("m1", "B", 7.0, D(2024, 11, 2)), studied("m2", "B", 3.0)]
    st = store_of([worker("m1", "B"), worker("m2", "B", "member")], study)
    out = select_workers(a, st, draws=0)
    assert by_member(out, "study_days") == {"m1": 12.0, "m2": 3.0}
    assert by_member(out, "reasons") == {"m1": "", "m2": "本人学习 3 天，不足 12 天"}


def test_study_days_of_other_years_do_not_count_but_days_in_another_org_do() -> None:
    a = assessed(org("B"), org("C"))
    study = [studied("m1", "B", 20.0, D(2023, 5, 1)), studied("m2", "C", 12.0)]
    st = store_of([worker("m1", "B"), worker("m2", "B", "member")], study)
    out = select_workers(a, st, draws=0)
    assert by_member(out, "study_days") == {"m1": 0.0, "m2": 12.0}
    assert by_member(out, "reasons") == {"m1": "本人学习 0 天，不足 12 天", "m2": ""}


def test_worker_absent_from_the_study_table_is_eligible_with_a_warning() -> None:
    a = assessed(org("B"))
    st = store_of([worker("m1", "B"), worker("m2", "B", "member")], [studied("m2", "B", 12.0)])
    out = select_workers(a, st, draws=0)
    assert by_member(out, "eligible") == {"m1": True, "m2": True}
    assert by_member(out, "study_days") == {"m1": None, "m2": 12.0}
    assert by_member(out, "warning") == {"m1": "党员学习记录中没有该党员编号，未核对本人学习天数", "m2": ""}


def test_empty_since_is_eligible_with_a_warning_and_ranks_after_a_known_tenure() -> None:
    a = assessed(org("B"))
    st = store_of([worker("m1", "B", since=None), worker("m2", "B", "member", since=D(2023, 1, 1))])
    out = select_workers(a, st, draws=0)
    assert by_member(out, "eligible") == {"m1": True, "m2": True}
    assert by_member(out, "months_in_role") == {"m1": None, "m2": 23}
    assert by_member(out, "warning") == {"m1": "任职日期未填，按任职已满12个月处理，请核实", "m2": ""}
    assert by_member(out, "rank") == {"m2": 1, "m1": 2}


def test_workers_of_vetoed_unqualified_and_weak_orgs_get_the_org_reason() -> None:
    a = assessed(
        org("V", vetoed=True, qualified=False),
        org("U", (0.5, 0.5), qualified=False),
        org("W", (0.9, 0.9)),
        org("G", (0.8, 0.8)),
    )
    st = store_of(
        [worker("v", "V"), worker("u", "U"), worker("w", "W", since=D(2024, 3, 1)), worker("g", "G")]
    )
    out = select_workers(a, st, weak=pl.DataFrame({"org_id": ["V", "U", "W"]}), draws=0)
    assert by_member(out, "reasons") == {
        "g": "",
        "u": "所在组织考核不合格",
        "v": "所在组织被一票否决",
        "w": "所在组织列入后进名单；任职不满12个月（2024-03-01起）",
    }
    assert out["member_id"].to_list() == ["g", "u", "v", "w"]  # the ranked first, then by org


def test_reasons_are_counted_by_kind_with_a_worker_counted_under_each_of_theirs() -> None:
    a = assessed(org("V", vetoed=True, qualified=False), org("G"))
    workers = [
        worker("v", "V", since=D(2024, 5, 1)),
        worker("g1", "G", since=D(2024, 6, 1)),
        worker("g2", "G", "member"),
        worker("g2", "G", "officer"),
    ]
    out = select_workers(a, store_of(workers, [studied("g1", "G", 2.0), studied("g2", "G", 12.0)]), draws=0)
    assert by_member(out.filter(~pl.col("eligible")), "reason_codes") == {
        "g1": "short_tenure；short_study",
        "g2": "counted_once",
        "v": "vetoed；short_tenure",
    }
    assert reason_counts(out).rows() == [
        ("任职时间不足", 2),
        ("所在组织被一票否决", 1),
        ("本人学习天数不足", 1),
        ("已在另一组织或职务参评", 1),
    ]


def test_weak_list_is_ignored_when_the_ruleset_does_not_exclude_weak_orgs() -> None:
    ruleset = {"workers": {"exclude_weak": False}}
    a = assessed(org("W"), ruleset=ruleset)
    out = select_workers(a, store_of([worker("w", "W")]), weak=pl.DataFrame({"org_id": ["W"]}), draws=0)
    assert by_member(out, "eligible") == {"w": True}


def test_worker_in_two_orgs_is_ranked_once_under_the_better_org() -> None:
    a = assessed(org("A", (1.0, 0.9)), org("B", (1.0, 1.0)), org("C", (0.9, 0.9)))
    st = store_of(
        [worker("m1", "A", "member"), worker("m1", "B", "organisation"), worker("m2", "C")],
        [studied("m1", "A", 12.0), studied("m2", "C", 12.0)],
    )
    out = select_workers(a, st, quota=5, draws=0)
    ranked = out.filter(pl.col("eligible"))
    assert ranked.select("member_id", "org_id", "rank").rows() == [("m1", "B", 1), ("m2", "C", 2)]
    other = out.filter(~pl.col("eligible")).row(0, named=True)
    assert (other["member_id"], other["org_id"], other["reasons"]) == (
        "m1",
        "A",
        "同一人已按B支部组织委员参评（只排名一次）",
    )


def test_worker_ineligible_in_the_better_org_is_ranked_under_the_other() -> None:
    a = assessed(org("A", (0.9, 0.9)), org("B", (1.0, 1.0)))
    st = store_of([worker("m1", "A"), worker("m1", "B", since=D(2024, 9, 1))], [studied("m1", "A", 12.0)])
    out = select_workers(a, st, draws=0)
    assert out.select("org_id", "eligible", "rank", "reasons").rows() == [
        ("A", True, 1, ""),
        ("B", False, None, "任职不满12个月（2024-09-01起）"),
    ]


# ============================================================================================
# Ranking, ties and quota
# ============================================================================================
def test_ranking_is_org_score_then_study_days_then_months_then_member_id() -> None:
    a = assessed(org("A", (1.0, 1.0)), org("B", (1.0, 0.5)))
    workers = [
        worker("b1", "B"),  # lower org: last whatever their own keys
        worker("a4", "A", since=D(2022, 1, 1)),
        worker("a3", "A", since=D(2022, 1, 1)),
        worker("a2", "A", since=D(2020, 1, 1)),
        worker("a1", "A", since=D(2022, 1, 1)),
    ]
    study = [studied("b1", "B", 30.0), studied("a1", "A", 13.0)] + [
        studied(m, "A", 12.0) for m in ("a2", "a3", "a4")
    ]
    out = select_workers(a, store_of(workers, study), quota=5, draws=0)
    assert out.select("member_id", "rank").rows() == [("a1", 1), ("a2", 2), ("a3", 3), ("a4", 4), ("b1", 5)]


def test_a_tie_decided_only_by_member_id_is_flagged_for_the_committee() -> None:
    a = assessed(org("A"))
    st = store_of(
        [worker("m2", "A"), worker("m1", "A", "member"), worker("m3", "A", "publicity", since=D(2022, 1, 1))]
    )
    out = select_workers(a, st, quota=1, draws=0)
    assert out.select("member_id", "rank", "selected", "tie").rows() == [
        ("m1", 1, True, True),
        ("m2", 2, False, True),
        ("m3", 3, False, False),
    ]
    assert by_member(out, "note") == {
        "m1": "与第1名所在组织得分、本人学习天数和任职月数均相同，仅按党员编号排序而入选，请评选小组裁定",
        "m2": "与第1名所在组织得分、本人学习天数和任职月数均相同，仅按党员编号排序而落选，请评选小组裁定",
        "m3": "与第1名所在组织同分（100.0分），依次比较本人学习天数、任职月数后落选",
    }


def test_quota_by_count() -> None:
    a = assessed(*(org(f"O{i}", (1.0, 1 - i / 100)) for i in range(5)))
    out = select_workers(a, store_of([worker(f"m{i}", f"O{i}") for i in range(5)]), quota=2, draws=0)
    assert by_member(out, "selected") == {"m0": True, "m1": True, "m2": False, "m3": False, "m4": False}


def test_default_quota_is_ten_percent_of_eligible_rounded_half_up() -> None:
    a = assessed(*(org(f"O{i:02d}", (1.0, 1 - i / 100)) for i in range(26)))
    workers = [worker(f"m{i:02d}", f"O{i:02d}") for i in range(25)] + [
        worker("late", "O25", since=D(2024, 6, 1))
    ]
    out = select_workers(a, store_of(workers), draws=0)
    # 25 eligible (the 26th is too new in the role): 10% = 2.5 -> 3 places
    assert out.filter(pl.col("selected"))["member_id"].to_list() == ["m00", "m01", "m02"]
    assert out["places"].drop_nulls().unique().to_list() == [3]


def test_a_share_too_small_for_one_place_still_gives_one() -> None:
    a = assessed(org("A"), org("B", (0.9, 0.9)))
    out = select_workers(a, store_of([worker("a", "A"), worker("b", "B")]), quota="10%", draws=0)
    assert by_member(out, "selected") == {"a": True, "b": False}


def test_quota_per_org_type_ranks_each_type_on_its_own() -> None:
    a = assessed(
        org("C1", org_type="committee"),
        org("C2", (0.5, 0.5), org_type="committee"),
        org("B1", (0.9, 0.9)),
        org("B2", (0.8, 0.8)),
    )
    st = store_of([worker("c1", "C1"), worker("c2", "C2"), worker("b1", "B1"), worker("b2", "B2")])
    out = select_workers(a, st, quota=1, quota_by="org_type", draws=0)
    assert out.select("member_id", "quota_group", "rank", "selected").rows() == [
        ("c1", "committee", 1, True),
        ("c2", "committee", 2, False),
        ("b1", "branch", 1, True),
        ("b2", "branch", 2, False),
    ]


def test_a_mistyped_quota_is_refused_in_chinese() -> None:
    a = assessed(org("A"))
    with pytest.raises(ValueError, match="名额 quota 应为人数"):
        select_workers(a, store_of([worker("a", "A")]), quota="十个")
    with pytest.raises(ValueError, match="quota_by 应为"):
        select_workers(a, store_of([worker("a", "A")]), quota_by="type")


def test_ruleset_workers_section_gives_the_settings() -> None:
    rs = load_ruleset("changzhou-2009")
    assert worker_settings(Assessed(pl.DataFrame(), pl.DataFrame(), ruleset=rs)) == {
        "quota": "10%",
        "quota_by": "all",
        "min_months": 12,
        "exclude_weak": True,
        "study_rule": "edu.member_study_days",
    }
    counted = {"workers": {"quota": 2, "quota_kind": "count", "quota_scope": "org_type"}}
    assert worker_settings(Assessed(pl.DataFrame(), pl.DataFrame(), ruleset=counted)) == {
        "quota": 2,
        "quota_by": "org_type",
    }


def test_study_threshold_comes_from_the_rulesets_study_rule() -> None:
    rs = load_ruleset("changzhou-2009")
    a = assessed(org("B"), ruleset=rs)
    st = store_of([worker("m1", "B")], [studied("m1", "B", 11.5)])
    assert by_member(select_workers(a, st, draws=0), "reasons") == {"m1": "本人学习 11.5 天，不足 12 天"}


# ============================================================================================
# Robustness carried over from the org ranking
# ============================================================================================
def test_worker_probability_is_their_orgs_probability_of_being_within_the_cut() -> None:
    # two close orgs with opposite strengths: perturbed points decide which is first
    a = assessed(org("A", (1.0, 0.80)), org("B", (0.86, 1.0)), org("C", (0.5, 0.5)))
    advanced = select_advanced(a, quota=1, draws=400, seed=7, noise=0.2)
    st = store_of([worker("a", "A"), worker("b", "B"), worker("c", "C")])
    out = select_workers(a, st, quota=1, draws=400, seed=7, noise=0.2)
    p_org = dict(zip(advanced["org_id"].to_list(), advanced["p_selected"].to_list(), strict=True))
    assert by_member(out, "p_selected") == {"a": p_org["A"], "b": p_org["B"], "c": 0.0}
    assert 0.1 < p_org["A"] < 0.9  # the case is a real close call
    assert by_member(out, "rank_p05") == {"a": 1, "b": 1, "c": 3}
    assert by_member(out, "rank_p95") == {"a": 2, "b": 2, "c": 3}


def test_workers_of_one_org_share_its_draws_and_split_by_their_own_keys() -> None:
    a = assessed(org("A", (1.0, 0.80)), org("B", (0.86, 1.0)))
    st = store_of(
        [worker("a1", "A"), worker("a2", "A", "member"), worker("b1", "B")],
        [studied("a1", "A", 14.0), studied("a2", "A", 12.0), studied("b1", "B", 12.0)],
    )
    out = select_workers(a, st, quota=1, draws=300, seed=3, noise=0.2)
    advanced = select_advanced(a, quota=1, draws=300, seed=3, noise=0.2)
    p_org = dict(zip(advanced["org_id"].to_list(), advanced["p_selected"].to_list(), strict=True))
    assert by_member(out, "p_selected") == {"a1": p_org["A"], "b1": p_org["B"], "a2": 0.0}
    assert by_member(out, "label") == {"a1": "边缘", "b1": "边缘", "a2": "落选"}


def test_without_draws_the_probability_is_empty_and_the_list_unchanged() -> None:
    a = assessed(org("A"), org("B", (0.9, 0.9)))
    out = select_workers(a, store_of([worker("a", "A"), worker("b", "B")]), quota=1, draws=0)
    assert by_member(out, "p_selected") == {"a": None, "b": None}
    assert by_member(out, "selected") == {"a": True, "b": False}


def test_advanced_list_marks_the_workers_org() -> None:
    a = assessed(org("A"), org("B", (0.9, 0.9)))
    advanced = select_advanced(a, quota=1, draws=0)
    out = select_workers(a, store_of([worker("a", "A"), worker("b", "B")]), advanced=advanced, draws=0)
    assert by_member(out, "org_advanced") == {"a": True, "b": False}


def test_no_workers_table_gives_an_empty_frame_of_the_columns() -> None:
    a = assessed(org("A"))
    st = Store.from_frames({"orgs": pl.DataFrame([{"org_id": "A", "name": "A支部", "org_type": "branch"}])})
    out = select_workers(a, st)
    assert (out.height, out.columns) == (0, list(WORKER_COLUMNS))


# ============================================================================================
# The registry's secretary against the workers table
# ============================================================================================
def test_registry_secretary_not_listed_as_secretary_is_a_data_warning() -> None:
    registry = [
        {"org_id": "A", "name": "A支部", "org_type": "branch", "secretary": "张三"},
        {"org_id": "B", "name": "B支部", "org_type": "branch", "secretary": "李四"},
        {"org_id": "C", "name": "C支部", "org_type": "branch", "secretary": " 王 五 "},
        {"org_id": "E", "name": "E支部", "org_type": "branch", "secretary": None},
        {"org_id": "F", "name": "F支部", "org_type": "branch", "secretary": "孙八"},
    ]
    workers = [
        worker("1", "A", name="赵六"),
        worker("2", "B", "member", name="李四"),
        worker("3", "C", name="王五"),
        worker("4", "E", name="钱七"),
    ]
    st = store_of(workers, registry=registry)
    assert secretary_checks(st).select("org_id", "message").rows() == [
        ("A", "组织名册中书记为“张三”，党务工作者表中书记为“赵六”"),
        ("B", "组织名册中书记为“李四”，党务工作者表中该组织没有书记"),
        ("E", "组织名册中书记未填，党务工作者表中书记为“钱七”"),
    ]
    out = select_workers(assessed(*(org(o) for o in "ABCE")), st, draws=0)
    assert by_member(out, "warning") == {
        "1": "组织名册中书记为“张三”，党务工作者表中书记为“赵六”",
        "2": "",
        "3": "",
        "4": "组织名册中书记未填，党务工作者表中书记为“钱七”",
    }


# ============================================================================================
# Files
# ============================================================================================
def _two_workers() -> pl.DataFrame:
    a = assessed(org("A"), org("B", (0.5, 0.5), qualified=False))
    st = store_of([worker("0001", "A", name="张三"), worker("0002", "B", "publicity", name="李四")])
    return select_workers(a, st, draws=50, seed=1)


def test_workers_csv_has_the_contract_columns_true_false_and_an_empty_rank(tmp_path: Path) -> None:
    paths = write_workers(_two_workers(), tmp_path)
    lines = paths["csv"].read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",")[:8] == [
        "member_id",
        "name",
        "org_id",
        "role",
        "eligible",
        "reasons",
        "rank",
        "selected",
    ]
    assert lines[0].split(",") == list(WORKERS_CSV_COLUMNS)
    assert lines[1] == "0001,张三,A,书记,true,,1,true,A支部,100.0,12.0,59,1.0,1,1,稳定入选,,"
    assert lines[2] == "0002,李四,B,宣传委员,false,所在组织考核不合格,,false,B支部,50.0,12.0,59,,,,,,"


def test_workers_workbook_has_the_sheet_with_chinese_headers_and_values(tmp_path: Path) -> None:
    paths = write_workers(_two_workers(), tmp_path)
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["优秀党务工作者"]
    rows = list(wb["优秀党务工作者"].iter_rows(values_only=True))
    assert rows[0][:8] == ("排名", "姓名", "党员编号", "职务", "专兼职", "所在组织", "组织编码", "组织类型")
    assert "true" not in {str(v) for r in rows for v in r} and "secretary" not in {v for r in rows for v in r}
    head = rows[0]
    first = dict(zip(head, rows[1], strict=True))
    assert (
        first["排名"],
        first["职务"],
        first["符合条件"],
        first["推荐"],
        first["入选概率"],
        first["组织类型"],
    ) == (
        1,
        "书记",
        "是",
        "是",
        "100%",
        "党支部",
    )
    second = dict(zip(head, rows[2], strict=True))
    assert (second["排名"], second["不符合条件的原因"], second["推荐"]) == (None, "所在组织考核不合格", "否")
    assert (first["组织得分"], first["本人学习天数"], first["任职月数"], second["入选概率"]) == (
        100,
        12,
        59,
        None,
    )


def test_secretary_checks_get_their_own_sheet(tmp_path: Path) -> None:
    registry = [{"org_id": "A", "name": "A支部", "org_type": "branch", "secretary": "张三"}]
    st = store_of([worker("1", "A", name="赵六")], registry=registry)
    out = select_workers(assessed(org("A")), st, draws=0)
    paths = write_workers(out, tmp_path, secretary_checks(st))
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["优秀党务工作者", "名册书记核对"]
    assert list(wb["名册书记核对"].iter_rows(values_only=True)) == [
        ("组织编码", "组织名称", "数据提示"),
        ("A", "A支部", "组织名册中书记为“张三”，党务工作者表中书记为“赵六”"),
    ]


def test_workers_sheet_headers_are_all_chinese() -> None:
    sheet = workers_sheet(_two_workers())
    assert all(not any(ch.isascii() and ch.isalpha() for ch in c) for c in sheet.columns)


# ============================================================================================
# workbench assess and the report, on files ingested like any export
# ============================================================================================
def _write_folder(folder: Path, with_workers: bool = True) -> Path:
    """Exports of two perfect branches and one that fails its year, as Parquet files with the
    canonical headers; the workers table names two workers per org, one too new in the role."""
    from tests.test_rules_helpers import perfect_year

    folder.mkdir(parents=True)
    registry = [
        {
            "org_id": "000101",
            "name": "第一党支部",
            "org_type": "branch",
            "member_count": 1,
            "mid_cadres": 3,
            "secretary": "张三",
        },
        {
            "org_id": "000102",
            "name": "第二党支部",
            "org_type": "branch",
            "member_count": 1,
            "mid_cadres": 3,
            "secretary": "李四",
        },
        {
            "org_id": "000103",
            "name": "第三党支部",
            "org_type": "branch",
            "member_count": 1,
            "mid_cadres": 3,
            "secretary": "王五",
        },
    ]
    pl.DataFrame(registry).write_parquet(folder / "组织名册.parquet")
    tables: dict[str, list[dict[str, Any]]] = {}
    for org_id in ("000101", "000102"):
        for name, rows in perfect_year(org_id).items():
            tables.setdefault(name, []).extend(rows)
    for name, rows in tables.items():
        pl.DataFrame(rows, infer_schema_length=None).write_parquet(folder / f"{name}.parquet")
    if with_workers:
        workers = [
            worker("000101-1", "000101", name="张三"),
            worker("w12", "000101", "organisation", since=D(2024, 8, 1), name="赵六"),
            worker("000102-1", "000102", name="钱七"),
            worker("w22", "000102", "publicity", name="孙八"),
            worker("w31", "000103", name="王五"),
        ]
        pl.DataFrame(workers, schema=WORKER_SCHEMA).write_parquet(folder / "党务工作者.parquet")
    return folder


def _workbench(*args: str) -> Any:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": "/tmp", "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
        env=env,
    )


def test_assess_writes_workers_csv_and_workbook_when_the_data_holds_workers(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "data")
    out = tmp_path / "out"
    done = _workbench("assess", "--data", str(folder), "--year", "2024", "--out", str(out), "--draws", "50")
    assert done.returncode == 0, done.stderr
    assert "优秀党务工作者推荐 1 人（党务工作者 5 人，符合条件 3 人）。" in done.stdout
    assert "000101 第一党支部：组织名册中书记为“张三”" not in done.stdout
    assert "000102 第二党支部：组织名册中书记为“李四”，党务工作者表中书记为“钱七”" in done.stdout
    rows = pl.read_csv(out / "workers.csv", infer_schema_length=0)
    assert rows.select("member_id", "eligible", "rank", "selected", "reasons").rows() == [
        ("000101-1", "true", "1", "true", None),
        ("000102-1", "true", "2", "false", None),
        ("w22", "true", "3", "false", None),
        ("w12", "false", None, "false", "任职不满12个月（2024-08-01起）"),
        ("w31", "false", None, "false", "所在组织考核不合格"),
    ]
    assert openpyxl.load_workbook(out / "优秀党务工作者.xlsx").sheetnames == [
        "优秀党务工作者",
        "名册书记核对",
    ]


def test_assess_without_a_workers_table_says_so_and_writes_no_workers_csv(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "data", with_workers=False)
    out = tmp_path / "out"
    done = _workbench("assess", "--data", str(folder), "--year", "2024", "--out", str(out), "--draws", "0")
    assert done.returncode == 0, done.stderr
    assert "数据中没有党务工作者名单，未评选优秀党务工作者（未写出 workers.csv）。" in done.stdout
    assert not (out / "workers.csv").exists() and not (out / "优秀党务工作者.xlsx").exists()
    assert (out / "advanced.csv").exists()


def test_the_advanced_report_shows_the_recommended_workers_with_their_orgs_evidence(tmp_path: Path) -> None:
    from analysis.reports import REPORTS, run_reports

    ingest([_write_folder(tmp_path / "data")], tmp_path / "store")
    run = run_reports(
        tmp_path / "store",
        2024,
        tmp_path / "out",
        reports=[r for r in REPORTS if r.title == "先进基层党组织评选"],
        parameters={"draws": 50},
        progress=False,
    )
    assert run.ok, [f.describe() for f in run.failures]
    page = (tmp_path / "out" / "先进基层党组织评选.html").read_text(encoding="utf-8")
    assert "优秀党务工作者推荐名单" in page
    assert (
        "党务工作者 <strong>5</strong> 人，符合条件 <strong>3</strong> 人，按名额推荐 <strong>1</strong> 人"
        in page
    )
    assert "<summary>第一党支部（000101）：张三</summary>" in page  # the recommended worker's org evidence
    assert "任职时间不足" in page and "所在组织考核不合格" in page
    assert "组织名册中书记为“李四”，党务工作者表中书记为“钱七”" in page
    charts = tmp_path / "out" / "charts" / "先进基层党组织评选"
    assert (charts / "党务工作者入选概率与排名区间.png").is_file()
