"""From measured rules to points, scores, grades and the one-vote veto (一票否决).

The rubric (自评分表) turns each rule result into earned points; items that do not apply to an org, or
whose data is absent from the whole dataset, leave the denominator, so every org is scored on the same
0–100 scale: ``score = earned ÷ applicable points × 100`` (``shared/spec/RULES.md``).  The grade
thresholds, the veto kinds and whether a veto climbs to the ancestors are read from the ruleset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from analysis import vocab
from analysis.rules import Rule, Ruleset
from analysis.rules.common import ORG_INDEX

ORG = "org_id"
#: statuses whose points leave the denominator
OUT_OF_SCOPE = ("not_applicable", "no_data")
#: statuses that count as a failed rule (for grades and the weak list)
FAILED = "fail"
RULES_COLUMNS = (
    ORG,
    "rule_id",
    "category",
    "status",
    "measured",
    "required",
    "measured_value",
    "required_value",
    "points",
    "earned",
    "evidence_rows",
)
SCORES_COLUMNS = (
    ORG,
    "name",
    "org_type",
    "parent_id",
    "top_id",
    "score",
    "applicable_points",
    "earned_points",
    "grade",
    "qualified",
    "vetoed",
    "veto_reasons",
    "failed_rules",
    "n_failed",
)
EXCELLENT, GOOD, QUALIFIED, UNQUALIFIED = vocab.GRADES


def round_half_up(e: pl.Expr, decimals: int) -> pl.Expr:
    """Round the way a score sheet does (四舍五入), after removing float noise (89.94999… is 89.95)."""
    return e.round(9).round(decimals, mode="half_away_from_zero")


# ---------------------------------------------------------------------------------------------
# Rubric.
# ---------------------------------------------------------------------------------------------
def earned_expr(rule: Rule) -> pl.Expr:
    """Points earned on one rubric item, from a measure's result columns.

    ``binary``: full points on ``pass``.  ``ratio``: points × the share met (capped at 1).  ``deduct``:
    points minus ``per_unit`` per unit the measured value falls short.  ``inspection``: the inspectors'
    score.  Then the item's deductions (e.g. 1 per unrecorded meeting) come off, floor 0.  ``pending``
    earns full points; ``not_applicable``/``no_data`` earn nothing (and leave the denominator).
    Earned points are kept to 2 decimals so a score sheet adds up as printed.
    """
    pts = float(rule.points)
    rb = rule.rubric
    status = pl.col("status")
    if rb.method == "binary":
        base = pl.when(status == "pass").then(pl.lit(pts)).otherwise(pl.lit(0.0))
    elif rb.method == "ratio":
        base = pts * pl.col("ratio").clip(0.0, 1.0)
    elif rb.method == "deduct":
        short = (pl.col("required_value") - pl.col("measured_value")).fill_null(0.0).clip(lower_bound=0.0)
        base = pts - rb.per_unit * short
    else:  # inspection
        base = pl.col("measured_value").fill_null(0.0)
    for name, per in sorted(rb.deduct.items()):
        base = base - per * pl.col(name).fill_null(0.0)
    return round_half_up(
        pl.when(status == "pending")
        .then(pl.lit(pts))
        .when(status.is_in(OUT_OF_SCOPE))
        .then(pl.lit(0.0))
        .otherwise(base.clip(0.0, pts)),
        2,
    )


def score_rule(frame: pl.LazyFrame, rule: Rule, order: int = 0) -> pl.LazyFrame:
    """One rule's per-org results: status, texts, values and earned points, with the registry row
    number ``_oi`` and the rubric position ``_order``.  The columns that are the same on every row of
    the rule (id, category, points) are added by :func:`order_rules`, after the rows are in order."""
    return frame.select(
        ORG,
        "status",
        "measured",
        "required",
        "measured_value",
        "required_value",
        earned_expr(rule).alias("earned"),
        "evidence_rows",
        ORG_INDEX,
        pl.lit(order, pl.Int32).alias("_order"),
    )


def _position(n_items: int) -> pl.Expr:
    """Where a result belongs in (org_id, rubric order): ``_oi × n_items + _order`` (the registry is
    sorted by org_id, so its row number orders the codes)."""
    return pl.col(ORG_INDEX).cast(pl.UInt64) * n_items + pl.col("_order").cast(pl.UInt64)


def order_rules(rules: pl.DataFrame, items: Sequence[Rule]) -> pl.DataFrame:
    """The results of :func:`score_rule` for all ``items`` in the ``Assessment.rules`` layout (plus
    ``_oi`` and ``_order``), in (org_id, rubric order).

    Sorted by the one integer :func:`_position` — the order of the code and the position at a quarter
    of the cost for millions of rows — and only then given each item's id, category and points, so
    those are not moved by the sort."""
    by_order = {
        "rule_id": pl.Series([r.rule_id for r in items], dtype=pl.String),
        "category": pl.Series([r.category for r in items], dtype=pl.String),
        "points": pl.Series([float(r.points) for r in items], dtype=pl.Float64),
    }
    return (
        rules.sort(_position(len(items)))
        .with_columns(pl.lit(v).gather(pl.col("_order")).alias(k) for k, v in by_order.items())
        .select(*RULES_COLUMNS, ORG_INDEX, "_order")
    )


# ---------------------------------------------------------------------------------------------
# Hierarchy and veto.
# ---------------------------------------------------------------------------------------------
def ancestors(orgs: pl.DataFrame) -> pl.DataFrame:
    """Every (org, ancestor) pair including the org itself (depth 0), by iterative joins.

    One join per level of the hierarchy, not one call per org; pairs already found are dropped each
    round, so a cycle in a broken registry ends instead of looping.  Parents that are not in the
    registry are ignored.
    """
    ids = orgs.select(pl.col(ORG).alias("parent_id"))
    parents = orgs.select(ORG, "parent_id").drop_nulls("parent_id").join(ids, on="parent_id", how="semi")
    closure = orgs.select(ORG, pl.col(ORG).alias("ancestor_id"), pl.lit(0, pl.Int32).alias("depth"))
    frontier = closure
    while frontier.height:
        frontier = (
            frontier.join(parents, left_on="ancestor_id", right_on=ORG)
            .select(ORG, pl.col("parent_id").alias("ancestor_id"), (pl.col("depth") + 1).alias("depth"))
            .join(closure, on=[ORG, "ancestor_id"], how="anti")
        )
        closure = pl.concat([closure, frontier])
    return closure


def top_ids(orgs: pl.DataFrame, closure: pl.DataFrame) -> pl.DataFrame:
    """Each org's top-level org (the ancestor, or itself, with no parent); null in a broken chain."""
    tops = orgs.filter(pl.col("parent_id").is_null()).select(pl.col(ORG).alias("ancestor_id"))
    found = closure.join(tops, on="ancestor_id", how="semi").select(
        ORG, pl.col("ancestor_id").alias("top_id")
    )
    return orgs.select(ORG).join(found, on=ORG, how="left")


def year_periods(orgs: pl.DataFrame, year: int) -> pl.DataFrame:
    """The assessment period of every org for a yearly assessment: 1 Jan – 31 Dec."""
    return orgs.select(ORG, pl.lit(date(year, 1, 1)).alias("start"), pl.lit(date(year, 12, 31)).alias("end"))


def term_periods(terms: pl.DataFrame, year: int, as_of: date) -> pl.DataFrame:
    """The assessment period of every org for a term assessment: its current term (last election on
    record) up to the as-of date; from 1 Jan of the year when no election is on record."""
    return terms.select(
        ORG,
        pl.coalesce(pl.col("last_election"), pl.lit(date(year, 1, 1))).alias("start"),
        pl.lit(as_of).alias("end"),
    )


def veto(
    incidents: pl.LazyFrame, closure: pl.DataFrame, periods: pl.DataFrame, ruleset: Ruleset
) -> pl.LazyFrame:
    """Orgs vetoed by an incident, with the reasons in Chinese.

    An incident of a ruleset veto kind vetoes the org it names and — when the ruleset propagates —
    every ancestor, each judged against *its own* assessment period (``periods``: org_id, start, end).
    """
    pairs = closure if ruleset.veto.propagate_to_ancestors else closure.filter(pl.col("depth") == 0)
    kind_zh = pl.col("kind").replace_strict(vocab.INCIDENT_KIND_ZH, default=pl.col("kind"))
    reason = pl.format("{} {}", pl.col("date").dt.strftime("%Y-%m-%d"), kind_zh) + pl.when(
        pl.col("depth") > 0
    ).then(pl.format("（下级组织 {}）", pl.col("source_id"))).otherwise(pl.lit(""))
    return (
        incidents.filter(pl.col("kind").is_in(list(ruleset.veto.kinds)))
        .select(pl.col(ORG).alias("source_id"), "date", "kind")
        .join(pairs.lazy(), left_on="source_id", right_on=ORG)
        .join(periods.lazy(), left_on="ancestor_id", right_on=ORG)
        .filter(pl.col("date").is_between(pl.col("start"), pl.col("end")))
        .group_by(pl.col("ancestor_id").alias(ORG))
        .agg(veto_reasons=reason.unique().sort().str.join("；"))
    )


# ---------------------------------------------------------------------------------------------
# Scores and grades.
# ---------------------------------------------------------------------------------------------
def grade_expr(ruleset: Ruleset) -> pl.Expr:
    """优秀 ≥ excellent with no failed rule; 良好 ≥ good (or ≥ excellent with a failed rule);
    合格 ≥ qualified; 不合格 below, or vetoed whatever the score."""
    g = ruleset.grades
    score = pl.col("score")
    return (
        pl.when(pl.col("vetoed"))
        .then(pl.lit(UNQUALIFIED))
        .when((score >= g.excellent) & (pl.col("n_failed") == 0))
        .then(pl.lit(EXCELLENT))
        .when(score >= g.good)
        .then(pl.lit(GOOD))
        .when(score >= g.qualified)
        .then(pl.lit(QUALIFIED))
        .otherwise(pl.lit(UNQUALIFIED))
    )


def _per_org_grouped(rules: pl.DataFrame) -> pl.DataFrame:
    """Per org (``_oi``): applicable and earned points, the number of failed rules and their ids joined
    by ";" in id order — for rules in any order and layout."""
    failed = pl.col("status") == FAILED
    per_org = rules.group_by(ORG_INDEX).agg(
        applicable_points=pl.col("points").filter(~pl.col("status").is_in(OUT_OF_SCOPE)).sum(),
        earned_points=pl.col("earned").sum(),
        n_failed=failed.sum().cast(pl.Int64),
    )
    failed_rules = (
        rules.filter(failed)
        .select(ORG_INDEX, "rule_id")
        .sort(ORG_INDEX, "rule_id")
        .group_by(ORG_INDEX, maintain_order=True)
        .agg(failed_rules=pl.col("rule_id").str.join(";"))
    )
    return per_org.join(failed_rules, on=ORG_INDEX, how="left")


def _per_org_block(rules: pl.DataFrame, n_orgs: int) -> pl.DataFrame | None:
    """What :func:`_per_org_grouped` gives, for rules laid out as :func:`order_rules` leaves an
    assessment's: one block of the same n items per registry org, in registry order.  Item i of every
    org is then every n-th row from row i, so the sums are row-wise sums over n columns and no group is
    hashed or string joined per org.  The item ids are read from the first block (``_order`` is the
    item's position, so every block has them in the same order).  None when ``rules`` is not in that
    layout."""
    if n_orgs == 0 or rules.height % n_orgs or "_order" not in rules.columns:
        return None
    n = rules.height // n_orgs
    if not rules.select((_position(n) == pl.int_range(pl.len(), dtype=pl.UInt64)).all()).item():
        return None
    ids = rules["rule_id"].head(n)

    def item(column: str, i: int) -> pl.Expr:
        return pl.col(column).gather_every(n, i)

    # the statuses are read once, as numbers: points in scope, and 1 for a failed rule
    flags = rules.select(
        ORG_INDEX,
        "earned",
        _failed=(pl.col("status") == FAILED).cast(pl.Int64),
        _applicable=pl.when(pl.col("status").is_in(OUT_OF_SCOPE)).then(0.0).otherwise(pl.col("points")),
    )
    failed = [item("_failed", i) == 1 for i in range(n)]
    by_id = sorted(range(n), key=lambda i: ids[i])
    return flags.select(
        item(ORG_INDEX, 0),
        applicable_points=pl.sum_horizontal(item("_applicable", i) for i in range(n)),
        earned_points=pl.sum_horizontal(item("earned", i) for i in range(n)),
        n_failed=pl.sum_horizontal(item("_failed", i) for i in range(n)),
        failed_rules=pl.concat_str(
            [pl.when(failed[i]).then(pl.lit(ids[i])) for i in by_id], separator=";", ignore_nulls=True
        ),
    )


def summarise(
    rules: pl.DataFrame,
    orgs: pl.DataFrame,
    closure: pl.DataFrame,
    vetoes: pl.DataFrame,
    ruleset: Ruleset,
) -> pl.DataFrame:
    """One row per registry org in the ``Assessment.scores`` layout (docs/CONTRACTS.md).

    ``rules`` carries the registry row number ``_oi`` of ``orgs`` (as :func:`score_rule` gives it), so
    the per-org sums group one integer; frames without it (a hand-built registry) get it here.  The
    score is rounded to one decimal before grading, so the grade always agrees with the number people
    see.  An org with no applicable points (everything ``no_data``) scores 0.
    """
    if ORG_INDEX not in orgs.columns:  # a registry not prepared by rules.Context
        orgs = orgs.sort(ORG).with_row_index(ORG_INDEX)
    if ORG_INDEX not in rules.columns:
        rules = rules.join(orgs.select(ORG, ORG_INDEX), on=ORG, how="inner")
    per_org = _per_org_block(rules, orgs.height)
    if per_org is None:
        per_org = _per_org_grouped(rules)
    applicable = pl.col("applicable_points")
    return (
        orgs.select(ORG, ORG_INDEX, "name", "org_type", "parent_id")
        .join(top_ids(orgs, closure), on=ORG, how="left", maintain_order="left")
        .join(per_org, on=ORG_INDEX, how="left", maintain_order="left")
        .join(vetoes, on=ORG, how="left")
        .with_columns(
            pl.col("applicable_points").fill_null(0.0),
            pl.col("n_failed").fill_null(0),
            pl.col("failed_rules").fill_null(""),
            vetoed=pl.col("veto_reasons").is_not_null(),
            veto_reasons=pl.col("veto_reasons").fill_null(""),
            earned_points=round_half_up(pl.col("earned_points").fill_null(0.0), 2),
        )
        .with_columns(
            score=pl.when(applicable > 0)
            .then(round_half_up(pl.col("earned_points") / applicable * 100, 1))
            .otherwise(pl.lit(0.0))
        )
        .with_columns(grade=grade_expr(ruleset))
        .with_columns(qualified=pl.col("grade") != UNQUALIFIED)
        .sort(ORG_INDEX)
        .select(SCORES_COLUMNS)
    )
