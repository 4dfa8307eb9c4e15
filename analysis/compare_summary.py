"""The comparison's two summaries (规则集对比): per rule, how many orgs each ruleset passes and fails, how
many change between the baseline and another ruleset and why (:func:`rule_summary`); and the weak list's
counts per ruleset and reason (:func:`weak_counts`) — so a reader sees whether a difference comes from the
rules or from the records.

The *why* is read off the rulesets themselves: a rule only one of them has, a different scope (org
types, 直属 only), a different requirement (the 要求 text most orgs get), different points, orgs with no
data, and for 按时换届 the orgs whose difference is only the term length (``note``, from
:mod:`analysis.compare_terms`).
"""

from __future__ import annotations

import polars as pl

from analysis import vocab
from analysis.assess import Assessment
from analysis.rules import Rule
from analysis.rules.common import EPS
from analysis.scoring import OUT_OF_SCOPE

#: the first row of compare_weak.csv: every weak org, whatever its reasons
WEAK_TOTAL = "后进组织（合计）"
#: statuses counted per ruleset and rule in compare_by_rule.csv
_COUNTED = ("pass", "fail", "pending", "no_data")


def _assessed(name: str) -> pl.Expr:
    status = pl.col(f"{name}_status")
    return status.is_not_null() & ~status.is_in(OUT_OF_SCOPE)


def _scope(rule: Rule) -> str:
    types = "、".join(vocab.ORG_TYPE_ZH[t] for t in rule.applies_to)
    return f"直属{types}" if rule.top_level_only else types


def _status_counts(a: Assessment) -> pl.DataFrame:
    """Per rule: how many orgs have each of :data:`_COUNTED`, and the 要求 text most assessed orgs get."""
    r = a.rules
    return r.group_by("rule_id").agg(
        *((pl.col("status") == s).sum().alias(s) for s in _COUNTED),
        required=pl.col("required").filter(~pl.col("status").is_in(OUT_OF_SCOPE)).mode().sort().first(),
    )


def _why(base: str, name: str, rb: Rule | None, rn: Rule | None, row: dict) -> str:
    """Why the rule's results differ between ruleset ``base`` and ``name``, in Chinese."""
    if rb is None:
        return f"仅 {name} 考核此项（{rn.clause if rn else ''}）"
    if rn is None:
        return f"{name} 不考核此项"
    out = []
    if (rb.applies_to, rb.top_level_only) != (rn.applies_to, rn.top_level_only):
        out.append(f"适用范围不同：{base} 适用于{_scope(rb)}，{name} 适用于{_scope(rn)}")
    if row["b_required"] != row["n_required"] and row["b_required"] and row["n_required"]:
        out.append(f"要求不同：{base} {row['b_required']}；{name} {row['n_required']}")
    if abs(rb.points - rn.points) > EPS:
        out.append(f"分值不同：{base} {rb.points:g} 分，{name} {rn.points:g} 分")
    if row["noted"]:
        out.append(f"其中 {row['noted']} 个组织的差别只来自任期年限（换届记录相同）")
    for n, k in ((base, "b_no_data"), (name, "n_no_data")):
        if row[k]:
            out.append(f"{n} 中 {row[k]} 个组织无数据")
    if not out:
        return "规则相同，结果相同" if not row["orgs_differ"] else "规则相同，结果因数据不同"
    return "；".join(out)


def rule_summary(names: tuple[str, ...], assessments: dict[str, Assessment], rules: pl.DataFrame) -> pl.DataFrame:
    """One row per ruleset compared with the baseline and rule either has, in rubric order (baseline
    first): ``ruleset, rule_id, title``; ``baseline_pass, baseline_fail`` and ``pass, fail`` (orgs with
    that status), ``baseline_no_data, no_data``; ``orgs_differ`` (both assess it for the org and its status
    or points differ, or only one does and the org did not earn it in full there), ``orgs_lower`` / ``orgs_higher`` (the org earns less / more under
    the compared ruleset: fewer points, or a rule only one has and not earned in full there); ``why``."""
    base = names[0]
    counts = {n: _status_counts(a) for n, a in assessments.items()}
    order: dict[str, int] = {}
    for a in assessments.values():
        for item in a.ruleset.items:
            order.setdefault(item.rule_id, len(order))
    titles = {r.rule_id: r.title_zh for a in reversed(list(assessments.values())) for r in a.ruleset.items}
    out = []
    for name in names[1:]:
        both = _assessed(base) & _assessed(name)
        diff = pl.col(f"{name}_earned") - pl.col(f"{base}_earned")
        lost = {n: pl.col(f"{n}_earned") < pl.col(f"{n}_points") - EPS for n in (base, name)}
        only_new, only_base = _assessed(name) & ~_assessed(base), _assessed(base) & ~_assessed(name)
        changed = (pl.col(f"{name}_status") != pl.col(f"{base}_status")) | (diff.abs() > EPS)
        # as for the causes (analysis.compare): a rule only one ruleset assesses, earned in full there, is
        # not a difference for the org
        differ = (both & changed) | (only_new & lost[name]) | (only_base & lost[base])
        pair = rules.group_by("rule_id").agg(
            orgs_differ=differ.sum(),
            orgs_lower=((both & (diff < -EPS)) | (only_new & lost[name])).sum(),
            orgs_higher=((both & (diff > EPS)) | (only_base & lost[base])).sum(),
            noted=(differ & pl.col("note").is_not_null()).sum(),
        )
        side = counts[base].rename(lambda c: c if c == "rule_id" else f"b_{c}").join(
            counts[name].rename(lambda c: c if c == "rule_id" else f"n_{c}"), on="rule_id", how="full", coalesce=True
        )
        table = side.join(pair, on="rule_id", how="left").with_columns(
            pl.col("orgs_differ", "orgs_lower", "orgs_higher", "noted").fill_null(0)
        )
        rs_b, rs_n = assessments[base].ruleset.rules, assessments[name].ruleset.rules
        for row in table.iter_rows(named=True):
            rid = row["rule_id"]
            out.append(
                {
                    "ruleset": name,
                    "rule_id": rid,
                    "title": titles[rid],
                    "baseline_pass": row["b_pass"],
                    "baseline_fail": row["b_fail"],
                    "baseline_no_data": row["b_no_data"],
                    "pass": row["n_pass"],
                    "fail": row["n_fail"],
                    "no_data": row["n_no_data"],
                    "orgs_differ": row["orgs_differ"],
                    "orgs_lower": row["orgs_lower"],
                    "orgs_higher": row["orgs_higher"],
                    "why": _why(base, name, rs_b.get(rid), rs_n.get(rid), row),
                    "_order": order[rid],
                }
            )
    schema = {c: pl.Int64 for c in ("baseline_pass", "baseline_fail", "baseline_no_data", "pass", "fail",
                                    "no_data", "orgs_differ", "orgs_lower", "orgs_higher", "_order")}  # fmt: skip
    frame = pl.DataFrame(out, schema_overrides=schema) if out else pl.DataFrame()
    return frame.sort("ruleset", "_order").drop("_order") if out else frame


def weak_counts(weak: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """``reason`` (Chinese; the total first, then each reason of :data:`vocab.WEAK_REASON_ZH` some
    ruleset gives) and, per ruleset, how many weak orgs it lists (an org counts once per reason it has)."""
    reasons = list(vocab.WEAK_REASON_ZH)
    rows: dict[str, dict[str, int]] = {WEAK_TOTAL: {}}
    for name, w in weak.items():
        rows[WEAK_TOTAL][name] = w.height
        codes = w.select(pl.col("reason_codes").explode()).to_series().value_counts() if w.height else None
        got = dict(codes.iter_rows()) if codes is not None else {}
        for code in reasons:
            rows.setdefault(vocab.WEAK_REASON_ZH[code], {})[name] = int(got.get(code, 0))
    kept = {k: v for k, v in rows.items() if k == WEAK_TOTAL or any(v.values())}
    return pl.DataFrame(
        [{"reason": k, **{n: v.get(n, 0) for n in weak}} for k, v in kept.items()],
        schema_overrides={n: pl.Int64 for n in weak},
    )
