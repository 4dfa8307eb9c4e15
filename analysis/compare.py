"""Comparing rulesets (规则集对比): the same data assessed under two or more rulesets, side by side.

:func:`compare_rulesets` runs the whole chain — :func:`~analysis.assess.assess`, then
:func:`~analysis.selection.weak_orgs` and :func:`~analysis.selection.select_advanced` — once per ruleset
on one store, and reports which orgs change grade, advanced-selection status or weak-list status, and
which rules make the difference.  The first ruleset is the baseline; every other one is compared with it.

A rule is a **cause** for an org when, between the baseline and the other ruleset:

- both assess it (its status is neither ``not_applicable`` nor ``no_data`` in either) and its status or
  its earned points differ — reported with the rubric points before → after and the difference;
- only one of them assesses it (absent from the other ruleset, or not applicable to the org there) and
  the org did not earn its full points — a rule earned in full is not why a score is lower, so it is
  shown in ``compare_rules.csv`` but not among the causes.

Causes are ordered by the size of the points difference.  The points are the 自评分表 points of each
item; scores are then rescaled over the applicable points (RULES.md), so the causes explain the score
difference in direction and weight rather than adding up to it exactly.  An org whose grade or
selection changes with no differing rule of its own moved because others did (the quota is relative):
its causes say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from analysis import vocab
from analysis.assess import Assessment, assess
from analysis.compare_summary import rule_summary, weak_counts
from analysis.compare_terms import term_notes
from analysis.decisions import history_for, select_advanced, selection_settings, weak_orgs
from analysis.outputs import write_csv
from analysis.rules import Ruleset
from analysis.rules.common import EPS, num
from analysis.scoring import OUT_OF_SCOPE
from analysis.store import Store

ORG = "org_id"
#: the cause of a changed org none of whose own rules differ
MOVED_BY_OTHERS = "本组织各项规则结果未变；名次或名单变化来自其他组织得分的变化"


class CompareError(ValueError):
    """The rulesets cannot be compared as asked; the message is in Chinese."""


@dataclass
class Comparison:
    """The result of :func:`compare_rulesets`.

    ``orgs``: one row per registry org — ``org_id, name, org_type``; per ruleset ``<name>_score``,
    ``<name>_grade``, ``<name>_selected``, ``<name>_weak``; then ``changed`` (grade, selection or weak
    status differs from the baseline in some ruleset), ``change`` (what changed, in Chinese) and
    ``causes`` (the rules behind it, in Chinese).
    ``rules``: one row per org × rule that some ruleset assesses for that org — ``org_id, name,
    rule_id, title, assessed_in`` (the rulesets that assess it, joined by 、); per ruleset
    ``<name>_title, <name>_status, <name>_measured, <name>_required, <name>_points, <name>_earned`` (null
    where the ruleset lacks the rule; ``title`` is the first ruleset's that has it); per non-baseline ruleset ``<name>_diff`` (earned points minus the
    baseline's, when both assess it); ``differs``; ``_order`` (rubric order, baseline rules first); ``note``
    (按时换届 only: the term lengths that make the rulesets judge the same election differently).
    """

    year: int
    as_of: date
    names: tuple[str, ...]
    assessments: dict[str, Assessment]
    selections: dict[str, pl.DataFrame]
    weak: dict[str, pl.DataFrame]
    orgs: pl.DataFrame
    rules: pl.DataFrame
    #: per ruleset compared with the baseline and rule: how many orgs each passes and fails, how many
    #: differ and in which direction, and why (:func:`rule_summary`)
    by_rule: pl.DataFrame
    #: the weak list per ruleset: how many orgs, and how many for each reason (:func:`weak_counts`)
    weak_counts: pl.DataFrame

    @property
    def baseline(self) -> str:
        return self.names[0]


def compare_rulesets(
    store: Store,
    year: int,
    rulesets: list[str | os.PathLike[str] | Ruleset],
    as_of: date | str | None = None,
    quota: int | str | None = None,
    quota_by: str | None = None,
    draws: int = 0,
    history: bool = True,
) -> Comparison:
    """Assess ``store`` under each ruleset and compare grades, selection and the rules behind them.

    Parameters
    ----------
    store
        The data.
    year, as_of
        As for :func:`~analysis.assess.assess`.
    rulesets
        Two or more built-in names, TOML paths or loaded rulesets; the first is the baseline.
    quota, quota_by
        Advanced-selection quota (``5`` or ``"15%"``) and grouping (``"all"``/``"org_type"``) applied
        under every ruleset; ``None`` = each ruleset's own ``[selection]`` setting.
    draws
        Monte Carlo draws of the robustness check [default 0]: the comparison reads only the published
        list, so the draws are skipped unless asked for.
    history
        Test the weak-list "score fell in each of the last two years" criterion, re-assessing the
        earlier years under each ruleset when the store holds them (as the ``assess`` command does).

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        Fewer than two rulesets, or two with the same name.
    RulesetError, AssessError
        A ruleset or the as-of date is invalid.
    """
    if len(rulesets) < 2:
        raise CompareError("规则集对比至少需要两个规则集（例如 changzhou-2009 和 national-2019）")
    assessments: dict[str, Assessment] = {}
    selections: dict[str, pl.DataFrame] = {}
    weak: dict[str, pl.DataFrame] = {}
    for rs in rulesets:
        a = assess(store, year, ruleset=rs, as_of=as_of)
        name = a.ruleset.name
        if name in assessments:
            raise CompareError(f"规则集「{name}」出现了两次；对比的规则集名称（[ruleset] name）须互不相同")
        w = weak_orgs(a, history_for(store, a) if history else None)
        settings = selection_settings(a) | {"draws": draws}
        if quota is not None:
            settings["quota"] = quota
        if quota_by is not None:
            settings["quota_by"] = quota_by
        exclude = w if a.ruleset.selection.exclude_weak else None
        assessments[name], weak[name] = a, w
        selections[name] = select_advanced(a, weak=exclude, **settings)
    names = tuple(assessments)
    notes = term_notes(store, assessments)
    rules = _rules_detail(assessments).join(notes, on=[ORG, "rule_id"], how="left")
    orgs = _orgs(assessments, selections, weak, rules)
    first = assessments[names[0]]
    by_rule = rule_summary(names, assessments, rules)
    return Comparison(
        first.year, first.as_of, names, assessments, selections, weak, orgs, rules, by_rule, weak_counts(weak)
    )


# ---------------------------------------------------------------------------------------------
# Org × rule detail.
# ---------------------------------------------------------------------------------------------
def _col(name: str, column: str) -> pl.Expr:
    """Ruleset ``name``'s ``column`` in the side-by-side frames (``national-2019_status``)."""
    return pl.col(f"{name}_{column}")


def _assessed(name: str) -> pl.Expr:
    """The rule is assessed for the org under ruleset ``name``: present, applicable and with data."""
    status = _col(name, "status")
    return status.is_not_null() & ~status.is_in(OUT_OF_SCOPE)


def _status_zh(name: str) -> pl.Expr:
    return _col(name, "status").replace_strict(vocab.STATUS_ZH, default=_col(name, "status"))


def _rules_detail(assessments: dict[str, Assessment]) -> pl.DataFrame:
    """Every org × rule some ruleset assesses, each ruleset's result side by side (ids, not words)."""
    names = list(assessments)
    order: dict[str, int] = {}
    for a in assessments.values():
        for item in a.ruleset.items:
            order.setdefault(item.rule_id, len(order))
    wide: pl.DataFrame | None = None
    for name, a in assessments.items():
        part = a.rules.select(
            ORG,
            "rule_id",
            pl.col("rule_id")
            .replace_strict({r.rule_id: r.title_zh for r in a.ruleset.items})
            .alias(f"{name}_title"),
            pl.col("status").alias(f"{name}_status"),
            pl.col("measured").alias(f"{name}_measured"),
            pl.col("required").alias(f"{name}_required"),
            pl.col("points").alias(f"{name}_points"),
            pl.col("earned").alias(f"{name}_earned"),
        )
        wide = part if wide is None else wide.join(part, on=[ORG, "rule_id"], how="full", coalesce=True)
    assert wide is not None
    base = names[0]
    diffs, differs = [], []
    for name in names[1:]:
        both = _assessed(base) & _assessed(name)
        diff = _col(name, "earned") - _col(base, "earned")
        diffs.append(pl.when(both).then(diff).alias(f"{name}_diff"))
        changed = (_col(name, "status") != _col(base, "status")) | (diff.abs() > EPS)
        differs.append((both & changed) | (_assessed(base) != _assessed(name)))
    org_names = next(iter(assessments.values())).scores.select(ORG, "name")
    return (
        wide.filter(pl.any_horizontal(_assessed(n) for n in names))
        .with_columns(
            *diffs,
            differs=pl.any_horizontal(differs),
            assessed_in=pl.concat_str(
                [pl.when(_assessed(n)).then(pl.lit(n)) for n in names], separator="、", ignore_nulls=True
            ),
            title=pl.coalesce(_col(n, "title") for n in names),
            _order=pl.col("rule_id").replace_strict(order, return_dtype=pl.Int64),
        )
        .join(org_names, on=ORG, how="left")
        .sort(ORG, "_order")
        .select(
            ORG,
            "name",
            "rule_id",
            "title",
            "assessed_in",
            *(
                f"{n}_{c}"
                for n in names
                for c in ("title", "status", "measured", "required", "points", "earned")
            ),
            *(f"{n}_diff" for n in names[1:]),
            "differs",
            "_order",
        )
    )


def _causes(names: tuple[str, ...], rules: pl.DataFrame) -> pl.DataFrame:
    """Per org, the Chinese text naming the rules that differ from the baseline (largest first)."""
    base = names[0]
    col, st = _col, _status_zh
    parts = []
    for name in names[1:]:
        lost = {n: col(n, "earned") < col(n, "points") - EPS for n in (base, name)}
        both = _assessed(base) & _assessed(name)
        only_new = _assessed(name) & ~_assessed(base) & lost[name]
        only_base = _assessed(base) & ~_assessed(name) & lost[base]
        delta = (
            pl.when(both)
            .then(col(name, "earned") - col(base, "earned"))
            .when(only_new)
            .then(col(name, "earned") - col(name, "points"))
            .otherwise(col(base, "points") - col(base, "earned"))
        )
        shared = pl.format(
            "{}「{}」要求 {}，实际 {}（{}→{}，{}→{} 分，{} 分）",
            pl.lit(name), col(name, "title"), col(name, "required"), col(name, "measured"), st(base), st(name),
            num(col(base, "earned")), num(col(name, "earned")), _signed(pl.col("delta")),
        )  # fmt: skip
        new = pl.format(
            "仅 {} 考核「{}」：要求 {}，实际 {}（{}，得 {}/{} 分）",
            pl.lit(name), col(name, "title"), col(name, "required"), col(name, "measured"), st(name),
            num(col(name, "earned")), num(col(name, "points")),
        )  # fmt: skip
        gone = pl.format(
            "{} 不考核「{}」（{} 中{}，得 {}/{} 分）",
            pl.lit(name), col(base, "title"), pl.lit(base), st(base), num(col(base, "earned")), num(col(base, "points")),
        )  # fmt: skip
        noted = pl.format(
            "{}「{}」{}（{}→{}，{}→{} 分，{} 分）",
            pl.lit(name), col(name, "title"), pl.col("note"), st(base), st(name), num(col(base, "earned")),
            num(col(name, "earned")), _signed(pl.col("delta")),
        )  # fmt: skip
        shared = pl.when(pl.col("note").is_not_null()).then(noted).otherwise(shared)
        parts.append(
            rules.filter(pl.col("differs") & (both | only_new | only_base))
            .with_columns(delta=delta)
            .select(
                ORG,
                "_order",
                "delta",
                pl.when(both).then(shared).when(only_new).then(new).otherwise(gone).alias("text"),
            )
        )
    return (
        pl.concat(parts)
        .sort(ORG, pl.col("delta").abs(), "_order", descending=[False, True, False])
        .group_by(ORG, maintain_order=True)
        .agg(causes=pl.col("text").str.join("。") + pl.lit("。"))
    )


def _signed(e: pl.Expr) -> pl.Expr:
    """+1.5 / -3 / 0: a points difference with its sign."""
    return pl.when(e > 0).then(pl.lit("+") + num(e)).otherwise(num(e))


# ---------------------------------------------------------------------------------------------
# One row per org.
# ---------------------------------------------------------------------------------------------
def _orgs(
    assessments: dict[str, Assessment],
    selections: dict[str, pl.DataFrame],
    weak: dict[str, pl.DataFrame],
    rules: pl.DataFrame,
) -> pl.DataFrame:
    names = tuple(assessments)
    base = names[0]
    out = next(iter(assessments.values())).scores.select(ORG, "name", "org_type")
    for name, a in assessments.items():
        selected = selections[name].filter(pl.col("selected")).get_column(ORG)
        flagged = weak[name].get_column(ORG)
        out = out.join(
            a.scores.select(
                ORG,
                pl.col("score").alias(f"{name}_score"),
                pl.col("grade").alias(f"{name}_grade"),
                pl.col(ORG).is_in(selected.implode()).alias(f"{name}_selected"),
                pl.col(ORG).is_in(flagged.implode()).alias(f"{name}_weak"),
            ),
            on=ORG,
            how="left",
        )
    changes = []
    for name in names[1:]:
        pieces = [
            _change(base, name, "grade", "等次", None),
            _change(base, name, "selected", "先进", ("入选", "未入选")),
            _change(base, name, "weak", "后进", ("列入", "未列入")),
        ]
        text = pl.concat_str(pieces, separator="，", ignore_nulls=True)
        changes.append(pl.when(text != "").then(pl.format("{}：{}", pl.lit(name), text)))
    change = pl.concat_str(changes, separator="；", ignore_nulls=True)
    return (
        out.with_columns(change=change)
        .with_columns(changed=pl.col("change") != "")
        .join(_causes(names, rules), on=ORG, how="left")
        .with_columns(
            causes=pl.when(pl.col("causes").is_not_null())
            .then(pl.col("causes"))
            .when(pl.col("changed"))
            .then(pl.lit(MOVED_BY_OTHERS))
            .otherwise(pl.lit(""))
        )
        .select(
            ORG,
            "name",
            "org_type",
            *(f"{n}_{c}" for n in names for c in ("score", "grade", "selected", "weak")),
            "changed",
            "change",
            "causes",
        )
        .sort(ORG)
    )


def _change(base: str, name: str, column: str, label: str, yes_no: tuple[str, str] | None) -> pl.Expr:
    """ "等次 优秀→良好" when ``column`` differs between the baseline and ``name``, else null."""

    def shown(n: str) -> pl.Expr:
        e = _col(n, column)
        return e if yes_no is None else pl.when(e).then(pl.lit(yes_no[0])).otherwise(pl.lit(yes_no[1]))

    return pl.when(_col(name, column) != _col(base, column)).then(
        pl.format(f"{label} {{}}→{{}}", shown(base), shown(name))
    )


# ---------------------------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------------------------
def compare_table(cmp: Comparison) -> pl.DataFrame:
    """The compare.csv layout: Chinese org types, scores with one decimal."""
    return cmp.orgs.select(
        ORG,
        "name",
        pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
        *(
            e
            for n in cmp.names
            for e in (
                pl.col(f"{n}_score").round(1).cast(pl.String),
                pl.col(f"{n}_grade"),
                pl.col(f"{n}_selected"),
                pl.col(f"{n}_weak"),
            )
        ),
        "changed",
        "change",
        "causes",
    )


def compare_rules_table(cmp: Comparison) -> pl.DataFrame:
    """The compare_rules.csv layout: Chinese statuses, points as written, differences as numbers."""
    status = {n: pl.col(f"{n}_status") for n in cmp.names}
    return cmp.rules.select(
        ORG,
        "name",
        "rule_id",
        "title",
        "assessed_in",
        *(
            e
            for n in cmp.names
            for e in (
                status[n].replace_strict(vocab.STATUS_ZH, default=status[n]).alias(f"{n}_status"),
                pl.col(f"{n}_measured"),
                pl.col(f"{n}_required"),
                num(pl.col(f"{n}_points")).alias(f"{n}_points"),
                num(pl.col(f"{n}_earned")).alias(f"{n}_earned"),
            )
        ),
        # a number, not text: a text cell starting with "-" would be quoted as a would-be formula
        *(pl.col(f"{n}_diff").round(2) for n in cmp.names[1:]),
        "differs",
    )


def write_comparison(cmp: Comparison, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``compare.csv`` (one row per org), ``compare_rules.csv`` (org × rule),
    ``compare_by_rule.csv`` (per rule: how many orgs change and why) and ``compare_weak.csv`` (the weak
    list's counts per ruleset) into ``out_dir``, UTF-8 with BOM and formula-safe
    (:func:`~analysis.assess.write_csv`).  Returns the paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "compare": out / "compare.csv",
        "compare_rules": out / "compare_rules.csv",
        "compare_by_rule": out / "compare_by_rule.csv",
        "compare_weak": out / "compare_weak.csv",
    }
    write_csv(compare_table(cmp), paths["compare"])
    write_csv(compare_rules_table(cmp), paths["compare_rules"])
    write_csv(cmp.by_rule, paths["compare_by_rule"])
    write_csv(cmp.weak_counts, paths["compare_weak"])
    return paths
