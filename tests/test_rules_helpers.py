"""Small builders shared by the rules, scoring and Excel tests (imported as ``test_rules_helpers``).

The default registry is a little department::

    C   党委 (top level)
    ├── G   党总支
    │   └── B   党支部
    T   党支部 (top level, a 直属党支部)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from analysis.assess import Assessment, assess
from analysis.store import Store

D = date

ORGS = [
    {"org_id": "C", "name": "机关党委", "org_type": "committee", "parent_id": None},
    {"org_id": "G", "name": "第一党总支", "org_type": "general_branch", "parent_id": "C"},
    {"org_id": "B", "name": "第一党支部", "org_type": "branch", "parent_id": "G"},
    {"org_id": "T", "name": "直属党支部", "org_type": "branch", "parent_id": None},
]
REGISTRY_DEFAULTS: dict[str, Any] = {
    "member_count": 0,
    "secretary": "张三",
    "secretary_mode": "兼任",
    "mid_cadres": 0,
    "term_years": None,
    "budget_included": True,
}


def orgs_frame(rows: list[dict[str, Any]] | None = None, **overrides: dict[str, Any]) -> pl.DataFrame:
    """The registry: ``rows`` (default :data:`ORGS`) with registry defaults, ``overrides`` by org id."""
    out = []
    for r in rows or ORGS:
        out.append({**REGISTRY_DEFAULTS, **r, **overrides.get(r["org_id"], {})})
    return pl.DataFrame(
        out,
        schema_overrides={"term_years": pl.Int64, "member_count": pl.Int64, "mid_cadres": pl.Int64},
    )


def acts(org_id: str, kind: str, dates: list[date], **extra: Any) -> list[dict[str, Any]]:
    """Activity rows of one kind (recorded unless told otherwise)."""
    return [
        {"org_id": org_id, "kind": kind, "date": d, "recorded": True, "political_theory": False, **extra}
        for d in dates
    ]


def make_store(
    orgs: pl.DataFrame | None = None,
    activities: list[dict[str, Any]] | None = None,
    columns_present: dict[str, list[str]] | None = None,
    **tables: list[dict[str, Any]] | pl.DataFrame,
) -> Store:
    """A store holding the registry, activities (always present, maybe empty) and any other tables.

    ``activities`` carries ``signed_count`` so the pledge rule has its column.
    """
    act_schema = {
        "org_id": pl.String,
        "date": pl.Date,
        "kind": pl.String,
        "recorded": pl.Boolean,
        "political_theory": pl.Boolean,
        "signed_count": pl.Int64,
    }
    frames: dict[str, pl.DataFrame] = {
        "orgs": orgs if orgs is not None else orgs_frame(),
        "activities": pl.DataFrame(activities or [], schema=act_schema),
    }
    for name, rows in tables.items():
        frames[name] = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
    return Store.from_frames(frames, columns_present=columns_present)


def run(store: Store, year: int = 2024, **kw: Any) -> Assessment:
    return assess(store, year, **kw)


def result(a: Assessment, org_id: str, rule_id: str) -> dict[str, Any]:
    """The ``Assessment.rules`` row of one org × rule."""
    rows = a.rules.filter((pl.col("org_id") == org_id) & (pl.col("rule_id") == rule_id))
    assert rows.height == 1, (org_id, rule_id, rows.height)
    return rows.row(0, named=True)


def score(a: Assessment, org_id: str) -> dict[str, Any]:
    rows = a.scores.filter(pl.col("org_id") == org_id)
    assert rows.height == 1
    return rows.row(0, named=True)


def monthly(org_id: str, kind: str, day: int = 10, year: int = 2024, **extra: Any) -> list[dict[str, Any]]:
    """One row of ``kind`` on ``day`` of every month of ``year``."""
    return acts(org_id, kind, [D(year, m, day) for m in range(1, 13)], **extra)


def test_default_registry_has_one_org_of_each_shape() -> None:
    df = orgs_frame()
    assert df["org_id"].to_list() == ["C", "G", "B", "T"]
    assert df.filter(pl.col("parent_id").is_null())["org_id"].to_list() == ["C", "T"]


def perfect_year(org_id: str, year: int = 2024) -> dict[str, list[dict[str, Any]]]:
    """Rows with which ``org_id`` passes every rule of changzhou-2009 in ``year`` (any org type).

    Returns table name -> rows: activities, study (one member with 12 days), elections (a current
    term), dues (12 months on time), inspections (full marks).
    """
    y = year
    a = []
    a += acts(org_id, "annual_plan", [D(y, 1, 15)]) + acts(org_id, "annual_summary", [D(y, 12, 15)])
    a += acts(org_id, "committee_meeting", [D(y, m, 5) for m in (1, 3, 5, 7, 9, 11)])
    a += acts(org_id, "leadership_review", [D(y, 3, 1), D(y, 9, 1)])
    a += monthly(org_id, "group_study", political_theory=True, year=y) + monthly(
        org_id, "group_study", day=20, year=y
    )
    a += acts(org_id, "cadre_training", [D(y, 4, 1)])
    a += acts(org_id, "member_congress", [D(y, m, 12) for m in range(1, 13)])
    a += acts(org_id, "democratic_life_meeting", [D(y, 12, 1)]) + acts(org_id, "heart_talk", [D(y, 6, 1)])
    a += acts(org_id, "dues_publication", [D(y, 12, 28)]) + acts(org_id, "discipline_education", [D(y, 5, 4)])
    a += acts(org_id, "integrity_pledge", [D(y, 2, 1)], signed_count=3)
    a += acts(org_id, "info_submission", [D(y, m, 3) for m in range(1, 13)])
    a += acts(org_id, "joint_building", [D(y, 10, 1)]) + acts(
        org_id, "mass_org_report", [D(y, 4, 1), D(y, 10, 1)]
    )
    study = [
        {"member_id": f"{org_id}-1", "org_id": org_id, "date": D(y, m, 8), "days": 1.0} for m in range(1, 13)
    ]
    dues = [
        {"org_id": org_id, "month": D(y, m, 1), "due": 10.0, "paid": 10.0, "remitted_on": D(y, m, 28)}
        for m in range(1, 13)
    ]
    inspections = [
        {"org_id": org_id, "year": y, "item": i, "score": p}
        for i, p in (("manual.style", 6.0), ("manual.duty", 5.0), ("manual.mass", 4.0))
    ]
    return {
        "activities": a,
        "study": study,
        "elections": [{"org_id": org_id, "date": D(y - 1, 6, 1), "approved": False}],
        "dues": dues,
        "inspections": inspections,
    }


def perfect_store(
    org_ids: list[str], orgs: pl.DataFrame | None = None, **extra: list[dict[str, Any]]
) -> Store:
    """A store in which every org of ``org_ids`` has a perfect year (registry: 1 member, 3 cadres)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for o in org_ids:
        for name, rows in perfect_year(o).items():
            tables.setdefault(name, []).extend(rows)
    for name, rows in extra.items():
        tables.setdefault(name, []).extend(rows)
    if orgs is None:
        orgs = orgs_frame(**{o: {"member_count": 1, "mid_cadres": 3} for o in org_ids})
    activities = tables.pop("activities")
    return make_store(orgs=orgs, activities=activities, **tables)
