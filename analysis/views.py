"""The frames the notebooks show: an organisation's subtree and the report filter, the grade summary,
the rubric table with its evidence references, and the 数据质量 summary of a store.

They only reshape what the assessment and the store already hold, and import neither the charts nor
the reports (both may import them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from analysis.store import Store, years_with_data
from analysis.vocab import GRADES, TABLES, normalize_header

DEFAULT_RULESET = "changzhou-2009"


# --------------------------------------------------------------------------------------------
# Helpers the notebooks call (they compute nothing of their own).
# --------------------------------------------------------------------------------------------
def subtree(frame: pl.DataFrame, root_id: str, include_root: bool = True) -> pl.DataFrame:
    """The rows of ``frame`` (which carries ``org_id, parent_id``) for ``root_id`` and every
    organisation below it, at any depth."""
    children: dict[str, list[str]] = {}
    for org, parent in zip(frame["org_id"].to_list(), frame["parent_id"].to_list(), strict=True):
        children.setdefault(parent, []).append(org)
    found, todo = set(), [root_id]
    while todo:
        org = todo.pop()
        if org not in found:
            found.add(org)
            todo.extend(children.get(org, []))
    if not include_root:
        found.discard(root_id)
    return frame.filter(pl.col("org_id").is_in(sorted(found)))


def select_orgs(scores: pl.DataFrame, under: str | None = None, org_type: str | None = None) -> pl.DataFrame:
    """The report filter: organisations at or below ``under`` and of type ``org_type``
    (``committee``/``general_branch``/``branch``); ``None`` keeps all."""
    out = scores if not under else subtree(scores, under)
    if org_type:
        out = out.filter(pl.col("org_type") == org_type)
    return out


_ASSESSMENTS: dict[tuple[Any, ...], Any] = {}


def cached_assess(store: Store, year: int, ruleset: str = DEFAULT_RULESET) -> Any:
    """``assess(store, year, ruleset)``, remembered for the life of the process.

    A report worker keeps one kernel for many notebooks (60 单位画像 runs assess the same store and
    year); the kernel's ``%reset`` clears the notebook's variables but not imported modules, so this
    cache turns 60 assessments into one.  The key includes the store's ``store.json`` modification
    time: a new ingest (which swaps the whole folder) is never served a stale result.
    """
    from analysis.assess import assess

    if store.path is None:
        return assess(store, year, ruleset=ruleset)
    meta = Path(store.path) / "store.json"
    key = (str(Path(store.path).resolve()), meta.stat().st_mtime_ns, int(year), str(ruleset))
    if key not in _ASSESSMENTS:
        if len(_ASSESSMENTS) >= 8:
            _ASSESSMENTS.pop(next(iter(_ASSESSMENTS)))
        _ASSESSMENTS[key] = assess(store, year, ruleset=ruleset)
    return _ASSESSMENTS[key]


def grade_summary(scores: pl.DataFrame) -> dict[str, Any]:
    """The numbers a report's first paragraph quotes: how many organisations, per grade, vetoed,
    and the mean and median score."""
    scored = scores["score"].drop_nulls()
    counts = dict(scores.group_by("grade").len().iter_rows())
    return {
        "n": scores.height,
        "grades": {g: int(counts.get(g, 0)) for g in GRADES},
        "vetoed": int(scores["vetoed"].fill_null(False).sum()),
        "mean": round(float(scored.mean()), 1) if scored.len() else None,
        "median": round(float(scored.median()), 1) if scored.len() else None,
    }


def evidence_refs(evidence: pl.DataFrame, max_rows: int = 12) -> pl.DataFrame:
    """``org_id, rule_id, evidence``: where each result comes from, as a reader can look it up —
    "活动.xlsx[2024] 第3、5、9行" per source, the first ``max_rows`` row numbers of each."""
    sheet = (
        pl.when(pl.col("_sheet").fill_null("") == "")
        .then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit("["), pl.col("_sheet"), pl.lit("]")))
    )
    per_source = (
        evidence.sort("_row")
        .group_by("org_id", "rule_id", "_file", "_sheet", maintain_order=True)
        .agg(rows=pl.col("_row").cast(pl.String), n=pl.len())
        .with_columns(
            text=pl.concat_str(
                pl.col("_file"),
                sheet,
                pl.lit(" 第"),
                pl.col("rows").list.head(max_rows).list.join("、"),
                pl.lit("行"),
                pl.when(pl.col("n") > max_rows)
                .then(pl.concat_str(pl.lit("等"), pl.col("n").cast(pl.String), pl.lit("行")))
                .otherwise(pl.lit("")),
            )
        )
    )
    return per_source.group_by("org_id", "rule_id", maintain_order=True).agg(
        evidence=pl.col("text").str.join("；")
    )


def rule_table(assessment: Any, org_ids: Iterable[str]) -> pl.DataFrame:
    """Rubric results of ``org_ids`` item by item, in rubric order, with the rule title and the
    evidence references: what a 单位画像 or a candidate's file shows."""
    ids = list(org_ids)
    items = list(assessment.ruleset.items)
    order = pl.DataFrame(
        {
            "rule_id": [i.rule_id for i in items],
            "rule": [i.title_zh for i in items],
            "_order": list(range(len(items))),
        },
        schema={"rule_id": pl.String, "rule": pl.String, "_order": pl.Int64},
    )
    names = assessment.scores.select("org_id", "name")
    return (
        assessment.rules.filter(pl.col("org_id").is_in(ids))
        .join(order, on="rule_id", how="left")
        .join(names, on="org_id", how="left")
        .join(evidence_refs(assessment.evidence), on=["org_id", "rule_id"], how="left")
        .with_columns(pl.col("rule").fill_null(pl.col("rule_id")))
        .sort(pl.col("org_id").replace_strict(ids, list(range(len(ids))), return_dtype=pl.Int64), "_order")
        .select(
            "org_id",
            "name",
            "category",
            "rule",
            "status",
            "measured",
            "required",
            "points",
            "earned",
            "evidence",
        )
    )


MANIFEST_STATUS_ZH = {"ok": "已导入", "refused": "整份拒收"}
_ORG_ID_HEADERS = frozenset(
    normalize_header(spelling)
    for table in TABLES.values()
    if "org_id" in table.names
    for spelling in (table.column("org_id").name, table.column("org_id").zh, *table.column("org_id").aliases)
)
UNKNOWN_ORG = "（无法识别组织）"
NOT_IN_REGISTRY = "（不在组织名册中）"


@dataclass(frozen=True)
class Quality:
    """What the 数据质量 report shows, ready to display."""

    files: pl.DataFrame  # one row per ingested file
    totals: dict[str, int]  # files, refused_files, rows_read, rows_kept, rows_refused, rows_duplicate
    by_reason: pl.DataFrame  # reason_zh, rows
    by_file: pl.DataFrame  # _file, rows
    by_org: pl.DataFrame  # org_id, name, rows
    rejects: pl.DataFrame  # the refused rows, with org_id where the source row names one


def _record_org_id(record: str | None) -> str | None:
    if not record:
        return None
    try:
        row = json.loads(record)
    except ValueError:
        return None
    if not isinstance(row, dict):
        return None
    for key, value in row.items():
        if normalize_header(key) in _ORG_ID_HEADERS and value not in (None, ""):
            return str(value)
    return None


def quality(store: Store) -> Quality:
    """Summarise the store's manifest and rejects for the 数据质量 report."""
    manifest = store.manifest()
    rejects = store.rejects().with_columns(
        org_id=pl.col("record").map_elements(_record_org_id, return_dtype=pl.String)
    )
    totals = {
        "files": manifest.height,
        "refused_files": manifest.filter(pl.col("status") == "refused").height,
        **{
            c: int(manifest[c].sum() or 0)
            for c in ("rows_read", "rows_kept", "rows_refused", "rows_duplicate")
        },
    }
    files = manifest.select(
        "path",
        "tables",
        pl.col("status").replace(MANIFEST_STATUS_ZH),
        "rows_read",
        "rows_kept",
        "rows_refused",
        "rows_duplicate",
        "message",
    ).sort("path")
    names = store.table("orgs").select("org_id", "name").collect().unique("org_id")
    count = pl.len().alias("rows")
    by_org = (
        rejects.group_by("org_id")
        .agg(count)
        .join(names, on="org_id", how="left")
        .with_columns(
            name=pl.when(pl.col("name").is_not_null())
            .then(pl.col("name"))
            .when(pl.col("org_id").is_not_null())
            .then(pl.concat_str(pl.col("org_id"), pl.lit(NOT_IN_REGISTRY)))
            .otherwise(pl.lit(UNKNOWN_ORG))
        )
        .select("org_id", "name", "rows")
        .sort(["rows", "org_id"], descending=[True, False], nulls_last=True)
    )
    return Quality(
        files=files,
        totals=totals,
        by_reason=rejects.group_by("reason_zh")
        .agg(count)
        .sort(["rows", "reason_zh"], descending=[True, False]),
        by_file=rejects.group_by("_file").agg(count).sort(["rows", "_file"], descending=[True, False]),
        by_org=by_org,
        rejects=rejects,
    )


__all__: Iterable[str] = (
    "DEFAULT_RULESET",
    "MANIFEST_STATUS_ZH",
    "NOT_IN_REGISTRY",
    "UNKNOWN_ORG",
    "Quality",
    "cached_assess",
    "evidence_refs",
    "grade_summary",
    "quality",
    "rule_table",
    "select_orgs",
    "subtree",
    "years_with_data",
)
