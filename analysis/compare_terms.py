"""The term rule (按时换届) across rulesets, said plainly: when two rulesets judge the same election
differently, it is because their term lengths differ, not because the records do — so the comparison
says which term each ruleset gives and what that makes of the election ("按 national-2019 的 3 年任期应于
2025-10-07 换届；按 changzhou-2009 的 2 年任期为按时").

Each ruleset's elections are re-read through its own :class:`~analysis.rules.context.Context` (the term
lengths, and the transition of ``[terms.before]``, are the ruleset's), with the on-time and approval
windows of its ``org.term_election`` rule.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analysis.assess import Assessment
from analysis.rules.common import day
from analysis.rules.context import Context
from analysis.store import Store

ORG = "org_id"
TERM_RULE = "org.term_election"


def _verdicts(store: Store, a: Assessment, name: str) -> pl.DataFrame | None:
    """The elections of the year with a previous one: ``org_id, date``, and ``<name>_years``,
    ``<name>_due``, ``<name>_ok`` (on time, or within the approved window with approval)."""
    if TERM_RULE not in a.ruleset.rules:
        return None
    params = a.ruleset.rule(TERM_RULE).params
    k1, k6 = params["on_time_months"], params["approved_months"]
    ctx = Context(store, a.ruleset, a.year, a.as_of)
    due = pl.col("due")
    within = {k: pl.col("date").is_between(due.dt.offset_by(f"-{k}mo"), due.dt.offset_by(f"{k}mo")) for k in (k1, k6)}
    return ctx.elections.filter(
        pl.col("date").is_between(date(a.year, 1, 1), date(a.year, 12, 31)) & pl.col("prev").is_not_null()
    ).select(
        ORG,
        "date",
        pl.col("term_length").alias(f"{name}_years"),
        due.alias(f"{name}_due"),
        (within[k1] | (pl.col("approved") & within[k6])).alias(f"{name}_ok"),
    )


def term_notes(store: Store, assessments: dict[str, Assessment]) -> pl.DataFrame:
    """Per org whose elections of the year one ruleset finds on time and another does not: ``org_id,
    rule_id, note`` — for each such election, each ruleset's term length and its verdict, baseline last.

    Empty (with those columns) when the rulesets agree on every election or lack the term rule."""
    names = list(assessments)
    base = names[0]
    frames = {n: _verdicts(store, a, n) for n, a in assessments.items()}
    out = pl.DataFrame(schema={ORG: pl.String, "rule_id": pl.String, "note": pl.String})
    if frames[base] is None:
        return out
    parts = []
    for name in names[1:]:
        other = frames[name]
        if other is None:
            continue
        both = frames[base].join(other, on=[ORG, "date"], how="inner").filter(
            pl.col(f"{base}_ok") != pl.col(f"{name}_ok")
        )

        def says(n: str) -> pl.Expr:
            return pl.format("按 {} 的 {} 年任期", pl.lit(n), pl.col(f"{n}_years")) + pl.when(
                pl.col(f"{n}_ok")
            ).then(pl.lit("为按时")).otherwise(pl.format("应于 {} 换届", day(pl.col(f"{n}_due"))))

        parts.append(
            both.select(
                ORG,
                "date",
                pl.format("{} 的换届：{}；{}", day(pl.col("date")), says(name), says(base)).alias("note"),
            )
        )
    if not parts:
        return out
    return (
        pl.concat(parts)
        .sort(ORG, "date")
        .group_by(ORG, maintain_order=True)
        .agg(
            pl.lit(TERM_RULE).alias("rule_id"),
            (pl.lit("规则集的任期年限不同，换届记录本身相同：") + pl.col("note").str.join("、")).alias("note"),
        )
        .select(ORG, "rule_id", "note")
    )
