"""What the term files of one org show — the 任期自评分表 (xlsx) and the 任期考核自查报告 draft (docx) —
computed once, with polars, for every org that owes its report, so both files print the same numbers.

Per rubric item: the earned points of each scored (completed) term year, the **term-weighted points**
Σ w·earned ÷ Σ w over the years the item applied (not 不适用 / 无数据 that year), and the current year's
status.  The current year's status is its own function, :func:`current_year_status`, which takes the
year-to-date pace frame as an argument (``analysis.decisions.pace`` when the as-of date falls before 31 Dec),
so the pace stage is called by whoever has the store, and this module only reads frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from analysis import scoring, vocab
from analysis.rules import Rule
from analysis.terms import CADRE_RULE, ORG, TermAssessment

#: columns of :func:`current_year_status`
CURRENT_COLUMNS = (ORG, "rule_id", "current", "colour", "note")


@dataclass
class TermSheet:
    """Everything the term files of one org show.

    ``org`` is the org's ``TermAssessment.terms`` row.  ``years``: the scored term years, oldest first
    (``year, weight, score, grade, applicable_points, earned_points, n_failed``).  ``items``: the rubric in
    its order (``rule_id, category, clause, title, points, by_year`` {year: (status, earned)}, ``weighted``
    (None when the item never applied), ``applied_years``, ``current``, ``colour``, ``note``).
    ``failed``: the failed items per year (``year`` — None for the term-wide rule — ``title, measured,
    required, earned, points``).  ``cadre``: the term-wide 届内党务干部培训 row (``status, measured,
    required``), None when the ruleset has no such rule.
    """

    org: dict[str, Any]
    parent_name: str
    years: list[dict[str, Any]]
    items: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    cadre: dict[str, Any] | None
    as_of: date
    year_done: bool
    ruleset_title: str
    categories: dict[str, float]
    #: whether an incident at a descendant vetoes this org's term too (the ruleset's veto propagates)
    veto_reaches_up: bool = True

    @property
    def org_id(self) -> str:
        return self.org[ORG]

    @property
    def current_year(self) -> int:
        return self.as_of.year

    @property
    def years_without_data(self) -> list[int]:
        """The completed term years left unscored because the data holds no work of theirs (the
        current, unfinished year is unscored for another reason and not listed)."""
        return [y for y in self.org["years_unscored"] or [] if date(y, 12, 31) <= self.as_of]

    @property
    def current_label(self) -> str:
        """The heading of the current-year column: its own status at year end, else year to date."""
        if self.year_done:
            return f"{self.current_year}年状态"
        return f"{self.current_year}年截至{self.as_of.month}月{self.as_of.day}日进度"


def current_year_status(rules: pl.DataFrame, pace_frame: pl.DataFrame | None) -> pl.DataFrame:
    """The current year's status of every org × rubric item.

    Parameters
    ----------
    rules
        ``Assessment.rules`` of the current year's assessment (``TermAssessment.current.rules``).
    pace_frame
        The frame ``analysis.decisions.pace`` returns (``org_id, rule_id, colour, colour_zh, note`` …) when the
        as-of date is inside the year, None when the year is over.

    Returns
    -------
    pl.DataFrame
        ``org_id, rule_id, current, colour, note``.  With a pace frame, a paced item shows its pace
        colour (绿/黄/红/灰) with the pace note, the others their status so far with the measured text;
        without one, every item shows the year's own status (达标/未达标 …) with measured vs required.
        ``colour`` is green/amber/red/grey for paced items, else pass/fail/… (the status id).
    """
    status_zh = pl.col("status").replace_strict(vocab.STATUS_ZH, default=pl.col("status"))
    required = (
        pl.when(pl.col("required") != "").then(pl.format("；要求：{}", "required")).otherwise(pl.lit(""))
    )
    own = rules.select(
        ORG,
        "rule_id",
        current=status_zh,
        colour=pl.col("status"),
        note=pl.concat_str(pl.col("measured"), required),
    )
    if pace_frame is None:
        return own.select(CURRENT_COLUMNS)
    paced = pace_frame.select(ORG, "rule_id", p_current="colour_zh", p_colour="colour", p_note="note")
    return (
        own.join(paced, on=[ORG, "rule_id"], how="left", maintain_order="left")
        .with_columns(
            current=pl.coalesce("p_current", "current"),
            colour=pl.coalesce("p_colour", "colour"),
            note=pl.coalesce("p_note", pl.col("note")),
        )
        .select(CURRENT_COLUMNS)
    )


_ITEM_YEAR_SCHEMA = {
    ORG: pl.String, "rule_id": pl.String, "year": pl.Int32, "status": pl.String, "earned": pl.Float64,
    "points": pl.Float64, "measured": pl.String, "required": pl.String, "weight": pl.Float64,
}  # fmt: skip


def _item_years(ta: TermAssessment, org_ids: list[str]) -> pl.DataFrame:
    """org × rule × scored year: status, earned points and texts, with the year's weight."""
    frames = [
        a.rules.filter(pl.col(ORG).is_in(org_ids)).select(
            ORG,
            "rule_id",
            pl.lit(y, pl.Int32).alias("year"),
            "status",
            "earned",
            "points",
            "measured",
            "required",
        )
        for y, a in sorted(ta.annual.items())
    ]
    scored = ta.years.filter(pl.col("scored") & pl.col(ORG).is_in(org_ids)).select(ORG, "year", "weight")
    if not frames:
        return pl.DataFrame(schema=_ITEM_YEAR_SCHEMA)
    return pl.concat(frames).join(scored, on=[ORG, "year"], how="inner").sort(ORG, "rule_id", "year")


def _weighted(item_years: pl.DataFrame) -> pl.DataFrame:
    """Per org × rule: Σ w·earned ÷ Σ w over the years the item applied (2 decimals, like earned points)."""
    w, e = pl.col("weight"), pl.col("earned")
    applied = item_years.filter(~pl.col("status").is_in(scoring.OUT_OF_SCOPE))
    return applied.group_by(ORG, "rule_id").agg(
        weighted=scoring.round_half_up((w * e).sum() / w.sum(), 2), applied_years=pl.col("year").sort()
    )


def _year_rows(ta: TermAssessment, org_ids: list[str]) -> pl.DataFrame:
    """The scored term years of each org with the annual totals behind their score."""
    totals = [
        a.scores.filter(pl.col(ORG).is_in(org_ids)).select(
            ORG, pl.lit(y, pl.Int32).alias("year"), "applicable_points", "earned_points"
        )
        for y, a in sorted(ta.annual.items())
    ]
    years = ta.years.filter(pl.col("scored") & pl.col(ORG).is_in(org_ids)).select(
        ORG, "year", "weight", "score", "grade", n_failed=pl.col("failed_rules").list.len()
    )
    if not totals:
        return years.with_columns(
            applicable_points=pl.lit(None, pl.Float64), earned_points=pl.lit(None, pl.Float64)
        )
    return years.join(pl.concat(totals), on=[ORG, "year"], how="left", maintain_order="left").sort(
        ORG, "year"
    )


def _item(
    rule: Rule,
    by_year: dict[tuple[str, str], dict[int, tuple[str, float]]],
    weighted: dict[tuple[str, str], dict[str, Any]],
    current: dict[tuple[str, str], dict[str, Any]],
    org_id: str,
) -> dict[str, Any]:
    """One rubric row of one org's term sheet."""
    key = (org_id, rule.rule_id)
    c, w = current.get(key, {}), weighted.get(key, {})
    return {
        "rule_id": rule.rule_id,
        "category": rule.category,
        "clause": rule.clause,
        "title": rule.title_zh,
        "points": rule.points,
        "by_year": by_year.get(key, {}),
        "weighted": w.get("weighted"),
        "applied_years": w.get("applied_years", []),
        "current": c.get("current", ""),
        "colour": c.get("colour"),
        "note": c.get("note", ""),
    }


def term_sheets(ta: TermAssessment, current: pl.DataFrame) -> list[TermSheet]:
    """One :class:`TermSheet` per org that owes its term report (``ta.report_due`` order).

    ``current`` is :func:`current_year_status` of the as-of year.
    """
    due = ta.report_due
    org_ids = due[ORG].to_list()
    if not org_ids:
        return []
    rs = ta.ruleset
    item_years = _item_years(ta, org_ids)
    weighted = {(r[ORG], r["rule_id"]): r for r in _weighted(item_years).iter_rows(named=True)}
    by_year: dict[tuple[str, str], dict[int, tuple[str, float]]] = {}
    failed: dict[str, list[dict[str, Any]]] = {}
    titles = {r.rule_id: f"{r.clause} {r.title_zh}" for r in rs.items}
    order = {r.rule_id: i for i, r in enumerate(rs.items)}
    for r in item_years.sort("year", pl.col("rule_id").replace_strict(order)).iter_rows(named=True):
        by_year.setdefault((r[ORG], r["rule_id"]), {})[r["year"]] = (r["status"], r["earned"])
        if r["status"] == scoring.FAILED and r["rule_id"] != CADRE_RULE:
            failed.setdefault(r[ORG], []).append({**r, "title": titles[r["rule_id"]]})
    cur = {
        (r[ORG], r["rule_id"]): r for r in current.filter(pl.col(ORG).is_in(org_ids)).iter_rows(named=True)
    }
    cadre_rows = {
        r[ORG]: r
        for r in ta.current.rules.filter(
            (pl.col("rule_id") == CADRE_RULE) & pl.col(ORG).is_in(org_ids)
        ).iter_rows(named=True)
    }
    years: dict[str, list[dict[str, Any]]] = {}
    for r in _year_rows(ta, org_ids).iter_rows(named=True):
        years.setdefault(r[ORG], []).append(r)
    names = dict(ta.terms.select(ORG, "name").iter_rows())
    year_done = ta.as_of == date(ta.as_of.year, 12, 31)
    sheets = []
    for org in due.iter_rows(named=True):
        o = org[ORG]
        items = [_item(rule, by_year, weighted, cur, o) for rule in rs.items]
        org_failed = failed.get(o, [])
        cadre = cadre_rows.get(o)
        if cadre is not None and cadre["status"] == scoring.FAILED:
            org_failed = [*org_failed, {**cadre, "year": None, "title": titles[CADRE_RULE]}]
        parent = org["parent_id"]
        sheets.append(
            TermSheet(
                org=org,
                parent_name=f"{names.get(parent, '')}（{parent}）" if parent else "",
                years=years.get(o, []),
                items=items,
                failed=org_failed,
                cadre=cadre,
                as_of=ta.as_of,
                year_done=year_done,
                ruleset_title=rs.title,
                categories=dict(rs.categories),
                veto_reaches_up=rs.veto.propagate_to_ancestors,
            )
        )
    return sheets
