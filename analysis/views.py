"""The frames the notebooks show: an organisation's subtree and the report filter, the grade summary,
the headline numbers of a batch, the rubric table with its evidence references, and the 数据质量
summary of a store — with the values a reader sees in Chinese (table names, the header typed in the
user's own file), the headers left to :func:`analysis.charts.zh_frame`.  The term report's frames are
in :mod:`analysis.term_views`.

They only reshape what the assessment, the decisions and the store already hold, and import neither
the charts nor the reports (both may import them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from analysis.scoring import OUT_OF_SCOPE
from analysis.store import Store, years_with_data
from analysis.terms import TermAssessment, assess_terms
from analysis.vocab import (
    COMPLETENESS_COLUMNS_ZH,
    COMPLETENESS_FLAG,
    COMPLETENESS_STATE_ZH,
    COMPLETENESS_TABLES,
    GRADES,
    INGEST_TOTALS_ZH,
    ORG_TYPE_ALIASES,
    ORG_TYPE_ZH,
    SELFCHECK_COLUMNS_ZH,
    SELFCHECK_OVER,
    TABLES,
    header_lookup,
    normalize_header,
)

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


class FilterError(ValueError):
    """A report filter (``--under``, ``--org-type``) that names no organisation or no type; the message
    is Chinese and says what is accepted."""


def check_filter(store: Store, under: str | None, org_type: str | None) -> tuple[str | None, str | None]:
    """``(under, org_type)`` as :func:`select_orgs` takes them: ``under`` a code of the registry, and
    ``org_type`` given in Chinese (党委, 党总支, 党支部, or any spelling ingest accepts) or as the id.

    Raises
    ------
    FilterError
        ``under`` is not in the registry, or ``org_type`` is no known type.
    """
    kind = None
    if org_type:
        kind = ORG_TYPE_ALIASES.get(normalize_header(org_type)) or ORG_TYPE_ALIASES.get(org_type.strip())
        if kind is None:
            raise FilterError(f"组织类型「{org_type}」无法识别（应为党委、党总支或党支部）")
    code = under.strip() if under else None
    if code:
        known = store.table("orgs").filter(pl.col("org_id") == code).select("org_id").collect()
        if known.height == 0:
            raise FilterError(f"组织名册中没有编码为 {code} 的组织（--under 填组织编码，如 001000）")
    return code, kind


def scope_zh(scores: pl.DataFrame, under: str | None, org_type: str | None) -> str:
    """The filter in words for a page or the index: "市委办公室机关党委及其下属组织，仅党支部"; "" for all."""
    parts = []
    if under:
        name = scores.filter(pl.col("org_id") == under)["name"].first() if "name" in scores.columns else None
        parts.append(f"{name or under}及其下属组织")
    if org_type:
        parts.append(f"仅{ORG_TYPE_ZH.get(org_type, org_type)}")
    return "，".join(parts)


_ASSESSMENTS: dict[tuple[Any, ...], Any] = {}


def cached_assess(store: Store, year: int, ruleset: str = DEFAULT_RULESET) -> Any:
    """``assess(store, year, ruleset)``, remembered for the life of the process.

    A report worker keeps one kernel for many notebooks (60 单位画像 runs assess the same store and
    year); the kernel's ``%reset`` clears the notebook's variables but not imported modules, so this
    cache turns 60 assessments into one.  The key includes the store's ``store.json`` modification
    time: a new ingest (which swaps the whole folder) is never served a stale result.
    """
    from analysis.assess import assess

    key = store_key(store)
    if key is None:
        return assess(store, year, ruleset=ruleset)
    return remember(_ASSESSMENTS, (*key, int(year), str(ruleset)), lambda: assess(store, year, ruleset=ruleset))


def store_key(store: Store) -> tuple[str, int] | None:
    """The store's folder and the modification time of its ``store.json`` (a new ingest swaps the whole
    folder), or None for an in-memory store (never cached)."""
    if store.path is None:
        return None
    meta = Path(store.path) / "store.json"
    return str(Path(store.path).resolve()), meta.stat().st_mtime_ns


def remember(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], make: Any) -> Any:
    """``cache[key]``, made by ``make()`` when absent; at most 8 entries (the oldest goes first)."""
    if key not in cache:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


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


@dataclass(frozen=True)
class Headline:
    """The numbers the index page opens with, for the organisations in the batch's scope."""

    n: int  # organisations assessed
    by_type: dict[str, int]  # 党委/党总支/党支部 -> how many
    grades: dict[str, int]  # 优秀/良好/合格/不合格 -> how many
    vetoed: int
    advanced: int  # recommended as advanced (the ruleset's quota)
    weak: int  # on the 后进 list
    terms_due: int | None  # owe their term report at the year's end; None: no term records at all
    scope: str  # the filter in words, "" for every organisation


def headline(
    store: Store,
    year: int,
    ruleset: str = DEFAULT_RULESET,
    under: str | None = None,
    org_type: str | None = None,
    terms: TermAssessment | None = None,
) -> Headline:
    """What a batch found, counted as the reports count it: the assessment of ``year``, the 后进 list
    (with the two earlier years when the data has them), the advanced recommendation under the
    ruleset's own quota (its robustness draws do not change who is recommended, so none are drawn),
    and the term reports owed — in ``terms`` (the batch's term assessment, at its as-of date), else at
    31 December of ``year``."""
    from analysis.decisions import history_for, select_advanced, selection_settings, weak_orgs

    a = cached_assess(store, year, ruleset=ruleset)
    scope = select_orgs(a.scores, under, org_type)
    ids = scope.select("org_id")
    weak = weak_orgs(a, history_for(store, a))
    settings = {**selection_settings(a), "draws": 0}
    chosen = select_advanced(a, weak=weak, **settings).filter(pl.col("selected"))
    due = None
    if store.has("elections"):
        if terms is None:
            terms = assess_terms(store, date(year, 12, 31), ruleset=ruleset, annual={year: a})
        due = terms.report_due.join(ids, on="org_id", how="semi").height
    summary = grade_summary(scope)
    types = dict(scope.group_by("org_type").len().iter_rows())
    return Headline(
        n=summary["n"],
        by_type={zh: int(types.get(k, 0)) for k, zh in ORG_TYPE_ZH.items()},
        grades=summary["grades"],
        vetoed=summary["vetoed"],
        advanced=chosen.join(ids, on="org_id", how="semi").height,
        weak=weak.join(ids, on="org_id", how="semi").height,
        terms_due=due,
        scope=scope_zh(a.scores, under, org_type),
    )


def sheet_suffix() -> pl.Expr:
    """``[工作表]`` after a file name, nothing outside xlsx (the evidence's ``_sheet``)."""
    return (
        pl.when(pl.col("_sheet").fill_null("") == "")
        .then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit("["), pl.col("_sheet"), pl.lit("]")))
    )


def evidence_refs(evidence: pl.DataFrame, max_rows: int = 12) -> pl.DataFrame:
    """``org_id, rule_id, evidence``: where each result comes from, as a reader can look it up —
    "活动.xlsx[2024] 第3、5、9行" per source, the first ``max_rows`` row numbers of each."""
    sheet = sheet_suffix()
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
    return rule_rows(assessment, assessment.rules.filter(pl.col("org_id").is_in(ids)), ids)


def rule_rows(assessment: Any, rules: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """``rules`` (rows of ``assessment.rules`` of the orgs ``ids``) as :func:`rule_table` shows them:
    titles, names and evidence references, orgs in the order of ``ids``, items in rubric order; an item
    that is not scored (不适用, 无数据) earns null, not 0 — shown as "—" like the CLI and the Excel."""
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
    evidence = assessment.evidence.filter(pl.col("org_id").is_in(ids))
    return (
        rules.join(order, on="rule_id", how="left")
        .join(names, on="org_id", how="left")
        .join(evidence_refs(evidence), on=["org_id", "rule_id"], how="left")
        .with_columns(
            pl.col("rule").fill_null(pl.col("rule_id")),
            pl.when(pl.col("status").is_in(OUT_OF_SCOPE)).then(None).otherwise(pl.col("earned")).alias("earned"),
        )
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

    files: pl.DataFrame  # one row per ingested file, its tables named in Chinese
    totals: dict[str, int]  # files, refused_files, rows_read, rows_kept, rows_refused, rows_duplicate
    by_reason: pl.DataFrame  # reason_zh, rows
    by_file: pl.DataFrame  # _file, rows
    by_org: pl.DataFrame  # org_id, name, rows
    rejects: pl.DataFrame  # the refused rows, with org_id where the source row names one
    #: the refused rows as a reader looks them up: _file, _sheet, _row, table (its Chinese name),
    #: column (the header as typed in the user's file), value, reason_zh
    refused_rows: pl.DataFrame


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


def tables_zh(names: str | None) -> str:
    """``"activities,dues"`` (a manifest's ``tables``) as a reader reads it: ``"活动记录、党费"``."""
    parts = [n for n in (names or "").split(",") if n]
    return "、".join(TABLES[n].zh if n in TABLES else n for n in parts)


_LOOKUPS = {name: header_lookup(table) for name, table in TABLES.items()}


def typed_header(record: str | None, table: str | None, column: str | None) -> str:
    """The header of ``column`` as the user typed it in their own file, found in the refused row's
    ``record`` (the source row as JSON, keyed by the file's headers): "组织 编码", "实交金额", "org_id".

    When the typed header is not plain Chinese for the column (an English CSV header, an alias) the
    canonical Chinese name follows in brackets — "org_id（组织编码）"; when the record does not name
    the column (a profile mapped it, or there is no record) the canonical Chinese name alone.
    A file-level refusal (no column) gives ""."""
    if not column:
        return ""
    known = TABLES.get(table or "")
    if known is None or column not in known.names:
        return column
    zh = known.column(column).zh
    typed = None
    try:
        row = json.loads(record) if record else None
    except ValueError:
        row = None
    if isinstance(row, dict):
        lookup = _LOOKUPS[known.name]
        typed = next((str(k).strip() for k in row if lookup.get(normalize_header(k)) == column), None)
    if not typed:
        return zh
    return typed if normalize_header(typed) == normalize_header(zh) else f"{typed}（{zh}）"


def ingest_totals(totals: dict[str, int]) -> pl.DataFrame:
    """An ingest's totals (``IngestResult.totals``) as a one-row table with Chinese headers."""
    return pl.DataFrame({INGEST_TOTALS_ZH.get(k, k): [v] for k, v in totals.items()})


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
        pl.col("tables").map_elements(tables_zh, return_dtype=pl.String),
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
        refused_rows=_refused_rows(rejects),
    )


def _refused_rows(rejects: pl.DataFrame) -> pl.DataFrame:
    header = pl.struct("record", "table", "column").map_elements(
        lambda r: typed_header(r["record"], r["table"], r["column"]), return_dtype=pl.String
    )
    return rejects.select(
        "_file",
        "_sheet",
        "_row",
        pl.col("table").map_elements(tables_zh, return_dtype=pl.String),
        header.alias("column") if rejects.height else pl.col("column"),
        "value",
        "reason_zh",
    )


__all__: Iterable[str] = (
    "DEFAULT_RULESET",
    "MANIFEST_STATUS_ZH",
    "NOT_IN_REGISTRY",
    "UNKNOWN_ORG",
    "FilterError",
    "Headline",
    "Quality",
    "cached_assess",
    "check_filter",
    "evidence_refs",
    "grade_summary",
    "headline",
    "ingest_totals",
    "quality",
    "scope_zh",
    "tables_zh",
    "typed_header",
    "remember",
    "rule_rows",
    "rule_table",
    "sheet_suffix",
    "store_key",
    "select_orgs",
    "subtree",
    "years_with_data",
)


# --------------------------------------------------------------------------------------------
# 报送完整性: which monthly tables each org sent rows in, month by month.
# --------------------------------------------------------------------------------------------
def _month_of(table: str) -> pl.Expr:
    col = "month" if table == "dues" else "date"
    return pl.col(col).dt.month().cast(pl.Int64).alias("month")


def submission_months(store: Store, year: int) -> tuple[pl.DataFrame, list[str], int]:
    """Per registry org and month of ``year`` (1 … the last month any org sent rows in): which of the
    monthly tables (``vocab.COMPLETENESS_TABLES`` the dataset has) hold rows, and the month's state.

    Returns ``(frame, tables, months)``: ``frame`` has ``org_id, name, month``, a Boolean column per
    table, ``sent`` (how many of them have rows) and ``state`` (全部报送 / 部分报送 / 未报送); ``tables``
    the tables looked at; ``months`` the months counted (0 when the year has no rows at all)."""
    tables = [t for t in COMPLETENESS_TABLES if store.has(t)]
    orgs = store.table("orgs").select("org_id", "name").collect().unique("org_id").sort("org_id")
    seen = []
    for t in tables:
        when = pl.col("month" if t == "dues" else "date")
        seen.append(
            store.table(t)
            .filter(when.dt.year() == year)
            .select("org_id", _month_of(t))
            .unique()
            .with_columns(pl.lit(t).alias("table"))
            .collect()
        )
    rows = pl.concat(seen) if seen else pl.DataFrame(schema={"org_id": pl.String, "month": pl.Int64, "table": pl.String})
    months = int(rows["month"].max() or 0)
    grid = orgs.join(pl.DataFrame({"month": list(range(1, months + 1))}, schema={"month": pl.Int64}), how="cross")
    for t in tables:
        has = rows.filter(pl.col("table") == t).select("org_id", "month", pl.lit(True).alias(t))
        grid = grid.join(has, on=["org_id", "month"], how="left").with_columns(pl.col(t).fill_null(False))
    sent = pl.sum_horizontal([pl.col(t).cast(pl.Int64) for t in tables]) if tables else pl.lit(0)
    state = _state_expr(len(tables))
    return grid.with_columns(sent=sent).with_columns(state=state).sort("org_id", "month"), tables, months


def _state_expr(n_tables: int) -> pl.Expr:
    """全部报送 when all ``n_tables`` have rows, 未报送 when none, else 部分报送."""
    zh = COMPLETENESS_STATE_ZH
    return (
        pl.when(pl.col("sent") == 0)
        .then(pl.lit(zh["none"]))
        .when(pl.col("sent") >= n_tables)
        .then(pl.lit(zh["full"]))
        .otherwise(pl.lit(zh["partial"]))
    )


def submission_completeness(store: Store, year: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The 报送完整性 of ``year``: ``(per_org, months)``.

    ``months`` is :func:`submission_months`' frame.  ``per_org`` has one row per org, least complete
    first: ``completeness`` (share of table-months with rows), the months full / partial / without any
    rows, ``missing`` (``3月：党员学习、党费；4月：全部``) and ``flag`` (未完整报送 under 100%).  Headers are
    the column names; ``vocab.COMPLETENESS_COLUMNS_ZH`` gives the Chinese ones."""
    grid, tables, months = submission_months(store, year)
    zh = COMPLETENESS_STATE_ZH
    names = {t: TABLES[t].zh for t in tables}

    def missing(row: dict[str, Any]) -> str:
        lacking = [names[t] for t in tables if not row[t]]
        if not lacking:
            return ""
        return f"{row['month']}月：" + ("全部" if len(lacking) == len(tables) else "、".join(lacking))

    texts = grid.with_columns(
        _missing=pl.Series([missing(r) for r in grid.iter_rows(named=True)], dtype=pl.String)
    )
    cells = max(len(tables) * months, 1)
    per_org = (
        texts.group_by("org_id", "name", maintain_order=True)
        .agg(
            completeness=(pl.col("sent").sum() / cells).round(4),
            months_full=(pl.col("state") == zh["full"]).sum().cast(pl.Int64),
            months_partial=(pl.col("state") == zh["partial"]).sum().cast(pl.Int64),
            months_none=(pl.col("state") == zh["none"]).sum().cast(pl.Int64),
            missing=pl.col("_missing").filter(pl.col("_missing") != "").str.join("；"),
        )
        .with_columns(
            flag=pl.when(pl.col("completeness") < 1).then(pl.lit(COMPLETENESS_FLAG)).otherwise(pl.lit(""))
        )
        .sort(["completeness", "org_id"])
    )
    return per_org, grid


def completeness_table(per_org: pl.DataFrame, only_incomplete: bool = True) -> pl.DataFrame:
    """:func:`submission_completeness`' per-org frame as people read it: Chinese headers, the share as
    a percentage, the orgs under 100% only unless ``only_incomplete`` is False."""
    rows = per_org.filter(pl.col("completeness") < 1) if only_incomplete else per_org
    return rows.with_columns(
        completeness=pl.format("{}%", (pl.col("completeness") * 100).round(1))
    ).rename(COMPLETENESS_COLUMNS_ZH)


# --------------------------------------------------------------------------------------------
# 自评核查: the self-check's frames as people read them.
# --------------------------------------------------------------------------------------------
def self_check_tables(result: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The 自评核查 report's tables from :func:`analysis.decisions.selfcheck.assess_self_scores`, with
    Chinese headers: ``over`` the overclaimed items with their evidence (largest gap first), ``spot``
    the spot-check list, ``refused`` the claims that could not be checked, ``orgs`` every org's totals."""
    zh = SELFCHECK_COLUMNS_ZH
    names = result["claims"].select("org_id", "name")
    over = (
        result["selfcheck"]
        .filter(pl.col("flag") == SELFCHECK_OVER)
        .join(names, on="org_id", how="left")
        .sort(["gap", "org_id"], descending=[True, False])
        .select("org_id", "name", pl.col("title").alias("item_zh"), "claimed", "computed", "gap", "evidence")
    )
    refused = result["refused"].select(
        "org_id", pl.col("item").alias("item_zh"), "score", pl.col("_file").alias("file"),
        pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), pl.col("reason").alias("message"),
    )  # fmt: skip
    orgs = result["claims"].select(
        "org_id", "name", "claimed_score", "computed_score", "gap", "claimed_grade", "grade", "overclaim"
    ).sort(["gap", "org_id"], descending=[True, False])
    return {k: df.rename(zh, strict=False) for k, df in
            {"over": over, "spot": result["spotcheck"], "refused": refused, "orgs": orgs}.items()}
