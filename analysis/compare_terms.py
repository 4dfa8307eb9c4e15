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
    """Each election of the year with a previous one (``current`` false) and each org's current term
    (``current`` true, ``date`` = its last election): ``org_id, current, date``, and ``<name>_years``,
    ``<name>_due``, ``<name>_ok`` — the election on time (or within the approved window with approval),
    the current term not overdue at the as-of date."""
    if TERM_RULE not in a.ruleset.rules:
        return None
    params = a.ruleset.rule(TERM_RULE).params
    k1, k6 = params["on_time_months"], params["approved_months"]
    ctx = Context(store, a.ruleset, a.year, a.as_of)
    due = pl.col("due")
    within = {k: pl.col("date").is_between(due.dt.offset_by(f"-{k}mo"), due.dt.offset_by(f"{k}mo")) for k in (k1, k6)}
    elections = ctx.elections.filter(
        pl.col("date").is_between(date(a.year, 1, 1), date(a.year, 12, 31)) & pl.col("prev").is_not_null()
    ).select(ORG, "date", "term_length", "due", ok=within[k1] | (pl.col("approved") & within[k6]))
    current = ctx.terms.filter(pl.col("last_election").is_not_null()).select(
        ORG, date=pl.col("last_election"), term_length=pl.col("term_length"), due=pl.col("term_due"),
        ok=pl.lit(a.as_of) <= pl.col("term_due").dt.offset_by(f"{k1}mo"),
    )  # fmt: skip
    return pl.concat(
        [elections.with_columns(current=pl.lit(False)), current.with_columns(current=pl.lit(True))],
        how="vertical_relaxed",
    ).select(
        ORG,
        "current",
        "date",
        pl.col("term_length").alias(f"{name}_years"),
        due.alias(f"{name}_due"),
        pl.col("ok").alias(f"{name}_ok"),
    )


def term_notes(store: Store, assessments: dict[str, Assessment]) -> pl.DataFrame:
    """Per org with an election of the year one ruleset finds on time and another does not, or a current
    term one finds overdue and the other does not: ``org_id, rule_id, note`` — for each, each ruleset's term
    length and its verdict, baseline last.

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
        both = frames[base].join(other, on=[ORG, "current", "date"], how="inner").filter(
            pl.col(f"{base}_ok") != pl.col(f"{name}_ok")
        )
        as_of = str(assessments[name].as_of)

        def says(n: str, as_of: str = as_of) -> pl.Expr:
            ok, due = pl.col(f"{n}_ok"), day(pl.col(f"{n}_due"))
            verdict = (
                pl.when(pl.col("current"))
                .then(pl.format("应于 {} 届满，", due) + pl.when(ok).then(pl.lit("未逾期")).otherwise(pl.lit(f"至 {as_of} 已逾期")))
                .when(ok)
                .then(pl.lit("为按时"))
                .otherwise(pl.format("应于 {} 换届", due))
            )  # fmt: skip
            return pl.format("按 {} 的 {} 年任期", pl.lit(n), pl.col(f"{n}_years")) + verdict

        what = pl.when(pl.col("current")).then(pl.format("本届（{} 换届）", day(pl.col("date"))))
        parts.append(
            both.select(
                ORG,
                "date",
                pl.format(
                    "{}：{}；{}", what.otherwise(pl.format("{} 的换届", day(pl.col("date")))), says(name), says(base)
                ).alias("note"),
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
