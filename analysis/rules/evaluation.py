"""Running a ruleset: :func:`evaluate` plans every rule's measure for all orgs and applies
``not_applicable`` and ``no_data`` uniformly, so the measures never special-case either.

The measures are registered by the time anything here runs: ``analysis.rules`` imports
``analysis.rules.measures`` before any of its submodules can be used.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import vocab
from analysis.rules.common import EVIDENCE_COLUMNS, EVIDENCE_SCHEMA, ORG, WARNING_SCHEMA, result
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import lookup
from analysis.store import Store


@dataclass
class Evaluation:
    """The measures of a whole ruleset, still lazy.

    ``frames``: rule id -> one row per registry org (:data:`RESULT_COLUMNS` + deduction columns), with
    ``not_applicable`` and ``no_data`` applied.  ``evidence``: :data:`EVIDENCE_COLUMNS` rows of the
    orgs each rule applies to.  ``warnings``: org_id, rule_id, message (data problems the user should fix).
    """

    frames: dict[str, pl.LazyFrame]
    evidence: pl.LazyFrame
    warnings: pl.LazyFrame


def missing_inputs(store: Store, rule_id: str) -> list[str]:
    """The tables / registry columns the rule needs that the dataset lacks (empty = it can run)."""
    spec = lookup(rule_id)
    assert spec is not None, rule_id
    out = [t for t in spec.tables if not store.has(t)]
    out += [f"{t}.{c}" for t, c in spec.columns if store.has(t) and c not in store.columns_present(t)]
    return out


def _describe_missing(missing: list[str]) -> str:
    words = []
    for m in missing:
        table, _, col = m.partition(".")
        t = vocab.TABLES[table]
        words.append(f"「{t.zh}」表的「{t.column(col).zh}」列" if col else f"「{t.zh}」表")
    return "数据集中没有" + "、".join(words)


def _not_applicable_text(rule: Rule) -> str:
    types = "、".join(vocab.ORG_TYPE_ZH[t] for t in rule.applies_to)
    if not rule.top_level_only:
        return f"仅适用于{types}"
    if set(rule.applies_to) == set(vocab.ORG_TYPE_ZH):
        return "仅适用于直属党组织"
    return f"仅适用于直属党组织中的{types}"


def evaluate(ctx: Context) -> Evaluation:
    """Run every rule of ``ctx.ruleset`` for all orgs, lazily: the frames are plans, except three steps
    the measures collect as they are planned: the 12-days-per-member rule's sums per member, the dues
    rule's month masks and the monthly-study rule's packed counts (whether some org needs a second,
    exact count is only known after those passes).

    A rule that does not apply to an org type / non-top-level org is ``not_applicable`` (no evidence,
    zero rows counted); a rule whose tables or registry columns are absent from the whole dataset is
    ``no_data`` for every org it applies to, and its measure is not run.
    """
    frames: dict[str, pl.LazyFrame] = {}
    evidence: list[pl.LazyFrame] = []
    warnings: list[pl.LazyFrame] = []
    for rule in ctx.ruleset.items:
        spec = lookup(rule.rule_id)
        assert spec is not None, rule.rule_id  # the loader refused unknown ids
        applicable = pl.col("org_type").is_in(list(rule.applies_to))
        if rule.top_level_only:
            applicable &= pl.col("is_top")
        na_text = _not_applicable_text(rule)
        missing = missing_inputs(ctx.store, rule.rule_id)
        if missing:
            frame = result(
                ctx.registry(),
                status=pl.when(applicable).then(pl.lit("no_data")).otherwise(pl.lit("not_applicable")),
                measured_value=pl.lit(None),
                required_value=pl.lit(None),
                ratio=pl.lit(0.0),
                measured=pl.when(applicable)
                .then(pl.lit(_describe_missing(missing)))
                .otherwise(pl.lit(na_text)),
                required=pl.lit(""),
                evidence_rows=pl.lit(0),
                **{d: pl.lit(0.0) for d in spec.deductions},
            )
            frames[rule.rule_id] = frame
            continue
        out = spec.fn(ctx, rule)
        keep = {
            c: pl.when(applicable).then(pl.col(c))
            for c in ("status", "measured", "required", "evidence_rows")
        }
        frames[rule.rule_id] = out.frame.with_columns(
            keep["status"].otherwise(pl.lit("not_applicable")).alias("status"),
            keep["measured"].otherwise(pl.lit(na_text)).alias("measured"),
            keep["required"].otherwise(pl.lit("")).alias("required"),
            keep["evidence_rows"].otherwise(0).alias("evidence_rows"),
            *(pl.when(applicable).then(pl.col(c)).alias(c) for c in ("measured_value", "required_value")),
        )
        applies = ctx.registry().filter(applicable).select(ORG)
        evidence.append(
            out.evidence.join(applies, on=ORG, how="semi").with_columns(pl.lit(rule.rule_id).alias("rule_id"))
        )
        if out.warnings is not None:
            warnings.append(out.warnings.join(applies, on=ORG, how="semi"))
    ev = (
        pl.concat([e.select(EVIDENCE_COLUMNS) for e in evidence])
        if evidence
        else pl.LazyFrame(schema=EVIDENCE_SCHEMA)
    )
    wn = (
        pl.concat([w.select(*WARNING_SCHEMA) for w in warnings])
        if warnings
        else pl.LazyFrame(schema=WARNING_SCHEMA)
    )
    return Evaluation(frames, ev, wn)
