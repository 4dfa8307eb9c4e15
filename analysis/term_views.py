"""The frames the term report (任期考核) and the 换届提醒 show: the batch's term assessment handed to the
kernels, an org's term facts, its years side by side, the trend, the failed items of each year with
their evidence, the veto incidents, the term-wide training, and the reminder rows.

Like :mod:`analysis.views` they only reshape what :func:`analysis.terms.assess_terms` and the annual
assessments it reuses already hold, and import neither the charts nor the reports.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from analysis import scoring, vocab
from analysis.store import Store
from analysis.terms import CADRE_RULE, DUE_WITHIN_MONTHS, TermAssessment, assess_terms
from analysis.views import DEFAULT_RULESET, cached_assess, remember, rule_rows, sheet_suffix, store_key

_TERMS: dict[tuple[Any, ...], TermAssessment] = {}


def save_terms(ta: TermAssessment, path: str | os.PathLike[str]) -> Path:
    """Write a batch's term assessment for its notebooks to read (:func:`term_assessment`).

    ``workbench report`` assesses the terms once, in its own process, and the kernels that draw the
    pages load that result instead of assessing again.  A pickle, as multiprocessing would hand it over:
    the file is the batch's own, written and read by the same installation."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        pickle.dump(ta, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def term_assessment(
    store: Store,
    year: int,
    ruleset: str = DEFAULT_RULESET,
    as_of: date | str | None = None,
    due_within: int = DUE_WITHIN_MONTHS,
    terms_path: str | os.PathLike[str] | None = None,
) -> TermAssessment:
    """The term assessment a notebook shows, remembered for the life of the kernel.

    With ``terms_path`` (a batch run): the one ``workbench report`` made and saved with
    :func:`save_terms`.  Without (a notebook run on its own): :func:`analysis.terms.assess_terms` at
    ``as_of`` (default 31 Dec of ``year``), reusing the year's annual assessment.

    Raises
    ------
    ValueError
        ``terms_path`` names no file (message in Chinese).
    """
    if terms_path:
        path = Path(terms_path)
        if not path.is_file():
            raise ValueError(f"找不到任期考核结果文件 {path}：请重新运行 workbench report，或把 terms_path 设为 None 直接计算")

        def load() -> TermAssessment:
            with path.open("rb") as fh:
                return pickle.load(fh)  # noqa: S301 — the batch's own file (see save_terms)

        return remember(_TERMS, ("file", str(path.resolve()), path.stat().st_mtime_ns), load)
    day = as_of if as_of is not None else date(year, 12, 31)

    def make() -> TermAssessment:
        annual = {year: cached_assess(store, year, ruleset=ruleset)}
        return assess_terms(store, day, due_within=due_within, ruleset=ruleset, annual=annual)

    key = store_key(store)
    if key is None:
        return make()
    return remember(_TERMS, (*key, str(day), int(due_within), int(year), str(ruleset)), make)


def _when(days_left: pl.Expr) -> pl.Expr:
    """剩余 N 天 / 今日届满 / 已届满 N 天."""
    left, past = (vocab.TERM_DAYS_LEFT.split("{}"), vocab.TERM_DAYS_PAST.split("{}"))
    return (
        pl.when(days_left > 0)
        .then(pl.concat_str(pl.lit(left[0]), days_left.cast(pl.String), pl.lit(left[1])))
        .when(days_left == 0)
        .then(pl.lit(vocab.TERM_DUE_TODAY))
        .when(days_left < 0)
        .then(pl.concat_str(pl.lit(past[0]), (-days_left).cast(pl.String), pl.lit(past[1])))
    )


def term_facts(ta: TermAssessment, org_id: str) -> dict[str, Any]:
    """One org's row of ``ta.terms`` with what the report's first paragraph says: ``org_type_zh``,
    ``when`` (剩余 N 天 / 已届满 N 天, None without a term) and ``has_term``.

    Raises
    ------
    ValueError
        ``org_id`` is not in the registry (message in Chinese).
    """
    rows = ta.terms.filter(pl.col("org_id") == org_id)
    if rows.height == 0:
        raise ValueError(f"组织名册中没有编码为 {org_id} 的组织")
    row = rows.with_columns(when=_when(pl.col("days_left"))).row(0, named=True)
    row["org_type_zh"] = vocab.ORG_TYPE_ZH.get(row["org_type"], row["org_type"])
    row["has_term"] = row["term_start"] is not None
    return row


def _term_days(start: date, as_of: date, year: int) -> int:
    """Days of the term [start, as_of] inside calendar ``year``."""
    return (min(date(year, 12, 31), as_of) - max(start, date(year, 1, 1))).days + 1


def term_years_table(ta: TermAssessment, org_id: str) -> pl.DataFrame:
    """The term's years side by side: a column per calendar year of the term (``2023年`` …) and one for
    the whole term (任期), a row each for the days inside the term, the weight, the score, the grade
    and the number of failed items.  A year still running, or before the data begins, is not scored."""
    facts = term_facts(ta, org_id)
    rows = vocab.TERM_YEAR_ROWS
    columns: dict[str, list[str]] = {"item": list(rows.values())}
    if not facts["has_term"]:
        return pl.DataFrame(columns)
    start, dash = facts["term_start"], "—"
    for y in ta.years.filter(pl.col("org_id") == org_id).sort("year").iter_rows(named=True):
        days = str(_term_days(start, ta.as_of, y["year"]))
        if y["scored"]:
            failed = str(len(y["failed_rules"] or []))
            share = f"{y['weight'] * 100:.1f}".removesuffix(".0")
            cells = [days, f"{share}%", f"{y['score']:.1f}", y["grade"], failed]
        else:
            note = vocab.TERM_YEAR_NO_DATA if y["completed"] else vocab.TERM_YEAR_RUNNING
            cells = [days, dash, note, dash, dash]
        columns[f"{y['year']}年"] = cells
    score = facts["term_score"]
    columns[vocab.TERM_WIDE] = [
        str((ta.as_of - start).days + 1),
        dash,
        dash if score is None else f"{score:.1f}",
        facts["term_grade"] or dash,
        str(facts["n_failed"]),
    ]
    return pl.DataFrame(columns)


def term_trend(ta: TermAssessment, org_id: str) -> pl.DataFrame:
    """``year, score, weight, peer_median`` for each scored year of the org's term: its annual score
    and the median score of the orgs of its type that year (what the trend chart draws)."""
    org_type = term_facts(ta, org_id)["org_type"]
    years = ta.years.filter((pl.col("org_id") == org_id) & pl.col("scored")).sort("year")
    medians = [
        (y, ta.annual[y].scores.filter(pl.col("org_type") == org_type)["score"].median())
        for y in years["year"].to_list()
    ]
    peers = pl.DataFrame(medians, schema={"year": pl.Int32, "peer_median": pl.Float64}, orient="row")
    return years.select("year", "score", "weight").join(peers, on="year", how="left", maintain_order="left")


def term_failed_items(ta: TermAssessment, org_id: str) -> pl.DataFrame:
    """Every item the org failed in each scored year of its term, with the evidence (file, sheet, rows):
    ``year, category, rule, measured, required, points, earned, evidence``.  The term-wide training
    rule is left out (judged once over the term: :func:`term_training`)."""
    frames = []
    scored = ta.years.filter((pl.col("org_id") == org_id) & pl.col("scored")).sort("year")
    for y in scored["year"].to_list():
        a = ta.annual[y]
        failed = a.rules.filter(
            (pl.col("org_id") == org_id) & (pl.col("status") == "fail") & (pl.col("rule_id") != CADRE_RULE)
        )
        frames.append(rule_rows(a, failed, [org_id]).with_columns(year=pl.lit(y, pl.Int32)))
    columns = ("year", "category", "rule", "measured", "required", "points", "earned", "evidence")
    if not frames:
        schema = {"year": pl.Int32, "points": pl.Float64, "earned": pl.Float64}
        return pl.DataFrame(schema={c: schema.get(c, pl.String) for c in columns})
    return pl.concat(frames).select(columns).with_columns(pl.col("evidence").fill_null(vocab.NO_EVIDENCE))


def term_training(ta: TermAssessment, org_id: str) -> pl.DataFrame:
    """The term-wide training item (届内组织一次), judged over [term start, as-of]: ``category, rule,
    status, measured, required, evidence`` (no row for an org without a term)."""
    if not term_facts(ta, org_id)["has_term"]:
        return pl.DataFrame(
            schema=dict.fromkeys(("category", "rule", "status", "measured", "required", "evidence"), pl.String)
        )
    a = ta.current
    rows = a.rules.filter((pl.col("org_id") == org_id) & (pl.col("rule_id") == CADRE_RULE))
    return rule_rows(a, rows, [org_id]).select(
        "category", "rule", "status", "measured", "required", pl.col("evidence").fill_null(vocab.NO_EVIDENCE)
    )


def term_incidents(store: Store, ta: TermAssessment, org_id: str) -> pl.DataFrame:
    """The incidents that veto the org's term: of a veto kind of the ruleset, dated inside [term start,
    as-of], at the org or (when the ruleset propagates) any org below it — ``date, kind, at, org, note,
    evidence`` (kind in Chinese; ``at`` 本组织 / 下级组织; ``evidence`` file, sheet and row)."""
    facts = term_facts(ta, org_id)
    columns = {"date": pl.Date, **dict.fromkeys(("kind", "at", "org", "note", "evidence"), pl.String)}
    if not facts["has_term"]:
        return pl.DataFrame(schema=columns)
    pairs = scoring.ancestors(ta.terms.select("org_id", "parent_id")).filter(pl.col("ancestor_id") == org_id)
    if not ta.ruleset.veto.propagate_to_ancestors:
        pairs = pairs.filter(pl.col("depth") == 0)
    names = ta.terms.select("org_id", "name")
    return (
        store.table("incidents")
        .filter(
            pl.col("kind").is_in(list(ta.ruleset.veto.kinds))
            & pl.col("date").is_between(pl.lit(facts["term_start"]), pl.lit(ta.as_of))
        )
        .collect()
        .join(pairs.select("org_id", "depth"), on="org_id")
        .join(names, on="org_id", how="left")
        .sort("date", "org_id", "_row")
        .select(
            "date",
            pl.col("kind").replace_strict(vocab.INCIDENT_KIND_ZH, default=pl.col("kind")),
            at=pl.when(pl.col("depth") == 0)
            .then(pl.lit(vocab.INCIDENT_AT_SELF))
            .otherwise(pl.lit(vocab.INCIDENT_AT_DESCENDANT)),
            org=pl.format("{}（{}）", pl.col("name").fill_null(""), "org_id"),
            note=pl.col("note").fill_null(""),
            evidence=pl.format("{}{} 第{}行", "_file", sheet_suffix(), "_row"),
        )
    )


def term_reminders(terms: pl.DataFrame, pages: Mapping[str, str] | None = None) -> pl.DataFrame:
    """换届提醒: the orgs of ``terms`` (rows as in ``TermAssessment.terms``) that owe their term report,
    overdue first, then by the days left, then by code — ``org_id, name, org_type, parent_id,
    term_due, term_status, days_left, when, href`` (``href``: the org's term report page in ``pages``,
    None when this run made none)."""
    order = {s: i for i, s in enumerate(vocab.TERM_STATUSES)}
    links = dict(pages or {})
    return (
        terms.filter(pl.col("report_due"))
        .with_columns(_o=pl.col("term_status").replace_strict(order, return_dtype=pl.Int32))
        .sort("_o", "days_left", "org_id")
        .select(
            "org_id",
            "name",
            "org_type",
            "parent_id",
            "term_due",
            "term_status",
            "days_left",
            when=_when(pl.col("days_left")),
            href=pl.col("org_id").replace_strict(links, default=None, return_dtype=pl.String),
        )
    )


__all__: Iterable[str] = (
    "save_terms",
    "term_assessment",
    "term_facts",
    "term_failed_items",
    "term_incidents",
    "term_reminders",
    "term_training",
    "term_trend",
    "term_years_table",
)
