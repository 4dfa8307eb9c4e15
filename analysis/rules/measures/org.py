"""一 组织建设 [seed 一]: the measures of the organization-building clauses — the term and its election,
the annual plan and summary, the party-building budget and the secretary.

Its meetings (委员会议, 党组专题研究党建, 党员大会) are counted by ``counts.periodic_count``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analysis import vocab
from analysis.rules.common import (
    ORG,
    _evidence,
    binary_result,
    day,
    passfail,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule, TermsBefore
from analysis.rules.registry import Measured, Pace, ParamSpec, measure

_LEADER_ZH = vocab.ORGS.column("secretary_is_leader").zh


@measure(
    "org.term_election",
    tables=("elections",),
    params={"on_time_months": ParamSpec("int"), "approved_months": ParamSpec("int")},
    pace=Pace("term"),
)
def term_election(ctx: Context, rule: Rule) -> Measured:
    """按时换届 [seed 一(2)]: elections held in the year against the due date of the term they close,
    and the current term against the as-of date.

    On time = within due ± ``on_time_months``; within ± ``approved_months`` only with approval; the first
    election on record has no due date.  At the as-of date a term more than ``on_time_months`` past its
    due date with no election fails, as does an org with no election on record.  A term not yet due
    passes (never ``pending``).
    """
    k1, k6 = rule.params["on_time_months"], rule.params["approved_months"]
    e = ctx.elections.lazy()
    due = pl.col("due")
    in_period = pl.col("date").is_between(ctx.y0, ctx.y1)
    on_time = pl.col("date").is_between(due.dt.offset_by(f"-{k1}mo"), due.dt.offset_by(f"{k1}mo"))
    allowed = pl.col("approved") & pl.col("date").is_between(
        due.dt.offset_by(f"-{k6}mo"), due.dt.offset_by(f"{k6}mo")
    )
    # the source rows counted: elections in the year, the one each closes the term of, and the last one
    # (ctx.elections is sorted by org and date; n is the election's number of source rows)
    next_same = (pl.col(ORG).shift(-1) == pl.col(ORG)).fill_null(False)
    e = e.with_columns(
        bad=in_period & pl.col("prev").is_not_null() & ~on_time & ~allowed, in_period=in_period
    ).with_columns(kept=pl.col("in_period") | (next_same & pl.col("in_period").shift(-1)) | ~next_same)
    bad_text, current, years = _term_texts(ctx.ruleset.terms.before)
    agg = e.group_by(ORG).agg(n_bad=pl.col("bad").sum(), n_rows=pl.when("kept").then("n").otherwise(0).sum())
    bad = e.filter(pl.col("bad")).group_by(ORG).agg(bad_text=bad_text.sort().str.join("、"))
    terms = ctx.terms.lazy().select(ORG, *ctx.term_columns, "term_length", "last_election", "term_due")
    lf = ctx.with_orgs(agg, zeros=["n_bad", "n_rows"]).join(bad, on=ORG, how="left").join(terms, on=ORG, how="left")
    none = pl.col("last_election").is_null()
    overdue = pl.lit(ctx.as_of) > pl.col("term_due").dt.offset_by(f"{k1}mo")
    ok = ~none & ~overdue & (pl.col("n_bad") == 0)
    measured = pl.when(none).then(pl.lit("无换届记录")).otherwise(
        current + pl.when(overdue).then(pl.lit(f"，至 {ctx.as_of} 逾期超过 {k1} 个月未换届")).otherwise(pl.lit(""))
    ) + pl.when(pl.col("n_bad") > 0).then(
        pl.format("；换届时间超出允许范围：{}", pl.col("bad_text"))
    ).otherwise(pl.lit(""))
    required = pl.format(
        "每届 {}，届满前后 {} 个月内换届；经党工委批准可提前或延后不超过 {} 个月", years, pl.lit(k1), pl.lit(k6)
    )
    # evidence: elections in the year, the election each of them closes the term of, and the last one
    keep = e.filter(pl.col("in_period")).select(ORG, "date")
    keep = pl.concat([keep, e.filter(pl.col("in_period")).select(ORG, pl.col("prev").alias("date"))])
    keep = pl.concat([keep, terms.select(ORG, pl.col("last_election").alias("date"))]).drop_nulls().unique()
    rows = (
        ctx.store.table("elections")
        .filter(pl.col("date") <= ctx.as_of)
        .join(keep, on=[ORG, "date"], how="semi")
    )
    warnings = (
        ctx.orgs.lazy()
        .filter(pl.col("term_years").is_not_null() & (pl.col("term_years") != pl.col("term_years_used")))
        .select(
            ORG,
            pl.lit(rule.rule_id).alias("rule_id"),
            pl.format(
                "登记的任期年限 {} 年不适用于该组织（{}），按 {} 年计",
                pl.col("term_years"),
                pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
                pl.col("term_years_used"),
            ).alias("message"),
        )
    )
    frame = binary_result(
        lf, ok, measured=measured, required=required, evidence_rows=pl.col("n_rows")
    )
    return Measured(frame, _evidence(rows, "elections"), warnings)


def _term_texts(before: TermsBefore | None) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The texts of :func:`term_election`: an election outside its window (on the elections), the current
    term (on the registry with ``ctx.terms``) and the term length required.  With a transition
    (``[terms.before]``) they name the rule that gave the due date and the election that began the term."""
    approval = pl.when(pl.col("approved")).then(pl.lit("已批准")).otherwise(pl.lit("未批准"))
    if before is None:
        return (
            pl.format("{}（应于 {}，{}）", day(pl.col("date")), day(pl.col("due")), approval),
            pl.format("末次换届 {}，本届应于 {} 届满", day(pl.col("last_election")), day(pl.col("term_due"))),
            pl.format("{} 年", pl.col("term_years_used")),
        )
    return (
        pl.format(
            "{}（按 {} 年任期（上次换届 {}）应于 {} 换届，{}）",
            day(pl.col("date")), _term_basis(before.effective, "prev", "term_length"), day(pl.col("prev")),
            day(pl.col("due")), approval,
        ),
        pl.format(
            "末次换届 {}，本届按 {} 年任期应于 {} 届满",
            day(pl.col("last_election")), _term_basis(before.effective, "last_election", "term_length"),
            day(pl.col("term_due")),
        ),
        pl.format(
            "{} 年（{} 前开始的一届 {} 年）",
            pl.col("term_years_used"), pl.lit(str(before.effective)), pl.col("term_years_before"),
        ),
    )  # fmt: skip


def _term_basis(effective: date, start: str, length: str) -> pl.Expr:
    """Which term rule a term begun on column ``start`` falls under, with its length: "2018-07-12 前的 4"
    (a term begun before the lengths changed) or "2018-07-12 起的 3"."""
    side = pl.when(pl.col(start) < pl.lit(effective, pl.Date)).then(pl.lit("前")).otherwise(pl.lit("起"))
    return pl.format("{} {}的 {}", pl.lit(str(effective)), side, pl.col(length))


@measure(
    "org.annual_plan", tables=("activities",), windows=("plan", "summary"), pace=Pace("windows", absent="window")
)
def annual_plan(ctx: Context, rule: Rule) -> Measured:
    """年度计划与总结 [seed 一(3)]: a plan dated in the plan window and a summary in the summary window.

    The summary window reaches into January of the next year, so late summaries still count.  Each
    document present is one of two parts (the rubric gives half the points per part).
    """
    parts = {"plan": "annual_plan", "summary": "annual_summary"}
    frames, evidence = [], []
    for window, kind in parts.items():
        rows = ctx.rows([kind], *rule.windows[window].bounds(ctx.year))
        frames.append(
            rows.group_by(ORG).agg(
                pl.len().alias(f"n_{window}"), pl.col("date").min().alias(f"first_{window}")
            )
        )
        evidence.append(_evidence(rows, "activities"))
    lf = ctx.registry()
    for f in frames:
        lf = lf.join(f, on=ORG, how="left")
    lf = lf.with_columns(pl.col("n_plan", "n_summary").fill_null(0))
    n_parts = (pl.col("n_plan") > 0).cast(pl.Int64) + (pl.col("n_summary") > 0).cast(pl.Int64)

    def shown(window: str) -> pl.Expr:
        return day(pl.col(f"first_{window}")).fill_null("无")

    plan_w, summary_w = rule.windows["plan"].bounds(ctx.year), rule.windows["summary"].bounds(ctx.year)
    frame = result(
        lf,
        status=passfail(n_parts == len(parts)),
        measured_value=n_parts,
        required_value=pl.lit(float(len(parts))),
        ratio=n_parts / len(parts),
        measured=pl.format("年度计划：{}；年度总结：{}", shown("plan"), shown("summary")),
        required=pl.lit(f"年度计划 {plan_w[0]} 至 {plan_w[1]}；年度总结 {summary_w[0]} 至 {summary_w[1]}"),
        evidence_rows=pl.col("n_plan") + pl.col("n_summary"),
    )
    return Measured(frame, pl.concat(evidence))


@measure(
    "org.budget", tables=("orgs",), columns=(("orgs", "budget_included"),), pace=Pace("none", why="registry")
)
def budget(ctx: Context, rule: Rule) -> Measured:
    """党建经费列入预算 [seed 一(6)]: the registry says 是; an empty cell is that org's missing value (fail)."""
    lf = ctx.registry("budget_included")
    ok = pl.col("budget_included").fill_null(False)
    shown = (
        pl.when(pl.col("budget_included").is_null())
        .then(pl.lit("未填"))
        .when(ok)
        .then(pl.lit("是"))
        .otherwise(pl.lit("否"))
    )
    frame = binary_result(
        lf,
        ok,
        measured=pl.format("党建经费列入预算：{}", shown),
        required=pl.lit("党建经费列入部门预算"),
        evidence_rows=pl.lit(1),
    )
    return Measured(frame, ctx.registry_evidence())


@measure(
    "org.secretary",
    tables=("orgs",),
    columns=(("orgs", "secretary"), ("orgs", "secretary_mode")),
    params={"modes": ParamSpec("texts"), "unit_leader": ParamSpec("bool", False)},
    pace=Pace("none", why="registry"),
)
def secretary(ctx: Context, rule: Rule) -> Measured:
    """书记配备 [seed 一(4)]: a secretary is named and serves in one of ``modes`` (兼任/专职); with
    ``unit_leader`` (national-2019, 机关条例 第八条) the registry also says the secretary is a party-member
    leader of the unit (``secretary_is_leader``).

    An empty secretary cell means the post is vacant, which fails.  With ``unit_leader``, a secretary
    who meets the rest but whose 书记为本单位负责人 is unknown (the cell is empty, or no registry source
    carried the column) is ``no_data``, not a silent pass; 否 fails.
    """
    modes = list(rule.params["modes"])
    leader = rule.params["unit_leader"]
    known = leader and "secretary_is_leader" in ctx.store.columns_present("orgs")
    lf = ctx.registry("secretary", "secretary_mode", *(["secretary_is_leader"] if known else []))
    name = pl.col("secretary").str.strip_chars()
    mode = pl.col("secretary_mode").str.strip_chars()
    present = name.is_not_null() & (name != "")
    ok = present & mode.is_in(modes).fill_null(False)
    measured = (
        pl.when(present)
        .then(
            pl.format(
                "书记：{}（{}）",
                name,
                pl.when(mode.is_null() | (mode == "")).then(pl.lit("配备方式未填")).otherwise(mode),
            )
        )
        .otherwise(pl.lit("书记空缺"))
    )
    required = f"配备书记（{'或'.join(modes)}）" + ("，书记为本单位党员负责人" if leader else "")
    if not leader:
        frame = binary_result(lf, ok, measured=measured, required=pl.lit(required), evidence_rows=pl.lit(1))
        return Measured(frame, ctx.registry_evidence())
    is_leader = pl.col("secretary_is_leader") if known else pl.lit(None, pl.Boolean)
    unknown = ok & is_leader.is_null()
    ok = ok & is_leader.fill_null(False)
    measured = measured + pl.when(~present).then(pl.lit("")).when(is_leader.is_null()).then(
        pl.lit("，是否为本单位负责人未登记" if known else f"，数据集中没有「{vocab.ORGS.zh}」表的「{_LEADER_ZH}」列")
    ).when(is_leader).then(pl.lit("，为本单位负责人")).otherwise(pl.lit("，非本单位负责人"))
    frame = result(
        lf,
        status=pl.when(unknown).then(pl.lit("no_data")).otherwise(passfail(ok)),
        measured_value=pl.when(~unknown).then(ok.cast(pl.Float64)),
        required_value=pl.lit(1.0),
        ratio=ok.cast(pl.Float64),
        measured=measured,
        required=pl.lit(required),
        evidence_rows=pl.lit(1),
    )
    return Measured(frame, ctx.registry_evidence())
