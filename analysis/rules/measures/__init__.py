"""The measures: one small polars function per rule, registered under the rule's id.

Each measure reads the store's LazyFrames and returns, for **every registry org at once**, the measured
value, the required value, a status (``pass``/``fail``/``pending``), the share of the requirement met (for
ratio rubric items), human-readable measured/required text, the number of source rows it counted, and
those rows themselves (``_file, _sheet, _row``) as a lazy evidence frame.  No measure loops over orgs or
rows: everything is a filter, a group-by and a left join onto the registry, so an org with no rows gets
zeros rather than a missing row, and nothing depends on the order rows were read.

What the numbers mean is in ``shared/spec/RULES.md``; what the thresholds and windows are comes from the
ruleset TOML (``analysis/rules/*.toml``), never from constants here.  :func:`evaluate` runs a whole
ruleset and applies ``not_applicable`` (org type / top-level) and ``no_data`` (table or registry column
absent from the dataset) uniformly, so the measures themselves never special-case either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np
import polars as pl

from analysis import vocab
from analysis.rules.common import (
    EPS,
    EVIDENCE_COLUMNS,
    EVIDENCE_SCHEMA,
    ORG,
    ORG_INDEX,
    PERIOD_ZH,
    RESULT_COLUMNS,
    WARNING_SCHEMA,
    _evidence,
    binary_result,
    day,
    num,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Measured, Pace, ParamSpec, lookup, measure
from analysis.store import MEMBER_KEY, Store

__all__ = [
    "EPS",
    "EVIDENCE_COLUMNS",
    "ORG",
    "ORG_INDEX",
    "PERIOD_ZH",
    "RESULT_COLUMNS",
    "Context",
    "Evaluation",
    "Pace",
    "evaluate",
    "missing_inputs",
    "num",
    "num_text",
]


_MONTH_BITS = {m: 1 << (m - 1) for m in range(1, 13)}


def _months_met(met: Sequence[pl.Expr]) -> dict[str, pl.Expr]:
    """From one yes/no expression per month (January first): ``ok_months``, how many were met, and
    ``ok_mask``, which ones, as a 12-bit mask (see :func:`_months_met_text`)."""
    return {
        "ok_months": pl.sum_horizontal(met),
        "ok_mask": pl.sum_horizontal(ok.cast(pl.Int32) * _MONTH_BITS[m] for m, ok in enumerate(met, 1)),
    }


#: each month's bit (January = 1, at index 0), for month masks
_BIT_OF_MONTH = pl.Series(list(_MONTH_BITS.values()), dtype=pl.Int32)


#: packed monthly counts (edu.monthly_study): each month's count is a digit in base _PACK_BASE, six
#: months to an Int64 sum; the weight of a row of month m (index m - 1) is _PACK_BASE ** ((m - 1) % 6)
_PACK_BASE = 1024
_PACK_WEIGHT = pl.Series([_PACK_BASE ** (m % 6) for m in range(12)], dtype=pl.Int64)


def _month_end(year: int, month: int) -> date:
    """The last day of month ``month`` of ``year`` (months past 12 run into the following years)."""
    y, m = divmod(year * 12 + month, 12)  # the month after: (y, m) with m in 0..11
    return date(y, m + 1, 1) - timedelta(days=1)


def _months_met_text(ok_mask: pl.Expr, lead: str) -> pl.Expr:
    """``"{lead} 10/12 个月（未达标：3、7 月）"`` for a 12-bit mask of the months met (null = none):
    written once for each of the 4,096 masks and looked up by position, so the 200,000 orgs of a
    province share 4,096 texts instead of each getting its own."""
    return pl.lit(_months_met_texts(lead)).gather(ok_mask.fill_null(0))


@cache
def _months_met_texts(lead: str) -> pl.Series:
    texts = []
    for mask in range(1 << 12):
        missing = "、".join(str(m) for m, bit in _MONTH_BITS.items() if not mask & bit)
        texts.append(f"{lead} {mask.bit_count()}/12 个月" + (f"（未达标：{missing} 月）" if missing else ""))
    return pl.Series(texts, dtype=pl.String)


def _kinds_zh(kinds: Iterable[str]) -> str:
    return "、".join(vocab.ACTIVITY_KIND_ZH[k] for k in kinds)


# ---------------------------------------------------------------------------------------------
# 一 组织建设
# ---------------------------------------------------------------------------------------------
@measure(
    "org.term_election",
    tables=("elections",),
    params={"on_time_months": ParamSpec("int"), "approved_months": ParamSpec("int")},
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
    bad_text = pl.format(
        "{}（应于 {}，{}）",
        day(pl.col("date")),
        day(due),
        pl.when(pl.col("approved")).then(pl.lit("已批准")).otherwise(pl.lit("未批准")),
    )
    agg = e.group_by(ORG).agg(n_bad=pl.col("bad").sum(), n_rows=pl.when("kept").then("n").otherwise(0).sum())
    bad = e.filter(pl.col("bad")).group_by(ORG).agg(bad_text=bad_text.sort().str.join("、"))
    terms = ctx.terms.lazy().select(ORG, "term_years_used", "last_election", "term_due")
    lf = ctx.with_orgs(agg, zeros=["n_bad", "n_rows"]).join(bad, on=ORG, how="left").join(terms, on=ORG, how="left")
    none = pl.col("last_election").is_null()
    overdue = pl.lit(ctx.as_of) > pl.col("term_due").dt.offset_by(f"{k1}mo")
    ok = ~none & ~overdue & (pl.col("n_bad") == 0)
    measured = pl.when(none).then(pl.lit("无换届记录")).otherwise(
        pl.format("末次换届 {}，本届应于 {} 届满", day(pl.col("last_election")), day(pl.col("term_due")))
        + pl.when(overdue).then(pl.lit(f"，至 {ctx.as_of} 逾期超过 {k1} 个月未换届")).otherwise(pl.lit(""))
    ) + pl.when(pl.col("n_bad") > 0).then(
        pl.format("；换届时间超出允许范围：{}", pl.col("bad_text"))
    ).otherwise(pl.lit(""))
    required = pl.format(
        "每届 {} 年，届满前后 {} 个月内换届；经党工委批准可提前或延后不超过 {} 个月",
        pl.col("term_years_used"),
        pl.lit(k1),
        pl.lit(k6),
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


@measure("org.annual_plan", tables=("activities",), windows=("plan", "summary"))
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
    "org.committee_meetings",
    "org.leadership_review",
    "org.member_congress",
    "edu.group_meetings",
    "edu.themed_party_day",
    tables=("activities",),
    thresholds=("count", "periods"),
    params={
        "kinds": ParamSpec("kinds"),
        "period_months": ParamSpec("months"),
        "require_recorded": ParamSpec("bool", False),
    },
    deductions=("unrecorded",),
    pace=Pace("periods", period_param="period_months"),
)
def periodic_count(ctx: Context, rule: Rule) -> Measured:
    """Meetings held through the year [seed 一(5) 每两个月一次、不少于5次; 一(6) 每半年专题研究一次;
    national-2019: 支委会、党小组会、主题党日每月, 党员大会每季度].

    Counts rows of ``kinds`` in the year and the periods of ``period_months`` (Jan–Feb, Mar–Apr … for 2;
    halves for 6) holding at least one.  Passes with ≥ ``count`` rows covering ≥ ``periods`` periods (and,
    when ``require_recorded``, none unrecorded).  The ratio is the smaller of the two shares, i.e. the
    rubric's "n = the smaller of the meeting count and the windows covered".
    """
    kinds, pm, need_rec = rule.params["kinds"], rule.params["period_months"], rule.params["require_recorded"]
    n_periods = 12 // pm
    rows = ctx.rows(kinds, ctx.y0, ctx.y1)
    agg = rows.group_by(ORG).agg(
        n=pl.len(),
        periods=((pl.col("date").dt.month() - 1) // pm).n_unique(),
        unrecorded=(~pl.col("recorded").fill_null(False)).sum(),
    )
    lf = ctx.with_orgs(agg, zeros=["n", "periods", "unrecorded"]).with_columns(
        c=ctx.threshold(rule, "count"), p=ctx.threshold(rule, "periods")
    )
    n, periods, unrec = pl.col("n"), pl.col("periods"), pl.col("unrecorded")
    ok = (n >= pl.col("c")) & (periods >= pl.col("p"))
    if need_rec:
        ok &= unrec == 0
    unit = PERIOD_ZH[pm]
    measured = pl.format("{} 次，覆盖 {}/{} 个{}", n, periods, pl.lit(n_periods), pl.lit(unit))
    required = ctx.text_by_type(
        rule,
        lambda t: f"≥ {num_text(t['count'])} 次，覆盖 ≥ {num_text(t['periods'])}/{n_periods} 个{unit}"
        + ("，每次均有记录" if need_rec else ""),
    )
    if need_rec:
        measured = measured + pl.format("，未记录 {} 次", unrec)
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=n,
        required_value=pl.col("c"),
        ratio=pl.min_horizontal(ratio(n, pl.col("c")), ratio(periods, pl.col("p"))),
        measured=measured,
        required=required,
        evidence_rows=n,
        unrecorded=unrec,
    )
    return Measured(frame, _evidence(rows, "activities"))


@measure("org.budget", tables=("orgs",), columns=(("orgs", "budget_included"),))
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
    params={"modes": ParamSpec("texts")},
)
def secretary(ctx: Context, rule: Rule) -> Measured:
    """书记配备 [seed 一(4)]: a secretary is named and serves in one of ``modes`` (兼任/专职).

    An empty secretary cell means the post is vacant, which fails.
    """
    modes = list(rule.params["modes"])
    lf = ctx.registry("secretary", "secretary_mode")
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
    frame = binary_result(
        lf, ok, measured=measured, required=pl.lit(f"配备书记（{'或'.join(modes)}）"), evidence_rows=pl.lit(1)
    )
    return Measured(frame, ctx.registry_evidence())


# ---------------------------------------------------------------------------------------------
# 二 党员教育管理
# ---------------------------------------------------------------------------------------------
@measure(
    "edu.monthly_study", tables=("activities",), thresholds=("studies", "political"), pace=Pace("months")
)
def monthly_study(ctx: Context, rule: Rule) -> Measured:
    """每月集中学习 [seed 二(1) 每月不少于两次，其中政治理论至少1次]: months of the year in which the org held
    ≥ ``studies`` group studies of which ≥ ``political`` were political theory.  A missed month cannot
    be made up by a busy one, so the measure counts compliant months, not rows.

    The studies and the political ones of each month are counted in one pass per org, packed: a row of
    month m (1-12) adds 1024^((m-1) mod 6) to one of two sums (months 1-6, 7-12), so four plain sums carry the 24
    counts, each in its own 10 bits — half the time of 24 conditional sums.  An org with 1,024 or more
    rows in the year could overflow a field, so such orgs (none in real data) are counted month by
    month instead.  Collected here: that second count is only planned when some org needs it."""
    rows = ctx.rows(["group_study"], ctx.y0, ctx.y1)
    month, political = pl.col("date").dt.month().cast(pl.Int32) - 1, pl.col("political_theory").fill_null(False)
    second_half, w, p = pl.col("m") >= 6, pl.col("w"), pl.col("p")
    packed = (
        rows.select(ORG, m=month, p=political)
        .with_columns(w=pl.lit(_PACK_WEIGHT).gather("m"))
        .select(
            ORG,
            n_a=pl.when(second_half).then(0).otherwise(w),
            n_b=pl.when(second_half).then(w).otherwise(0),
            pt_a=pl.when(second_half | ~p).then(0).otherwise(w),
            pt_b=pl.when(second_half & p).then(w).otherwise(0),
        )
        .group_by(ORG)
        .agg(pl.len().alias("n_rows"), pl.exclude(ORG).sum())
        .collect(engine="streaming")
    )
    fields = [
        ((pl.col(f"{c}_{'b' if m > 6 else 'a'}") // _PACK_BASE ** ((m - 1) % 6)) % _PACK_BASE).alias(f"{c}{m}")
        for c in ("n", "pt")
        for m in range(1, 13)
    ]
    big = packed["n_rows"] >= _PACK_BASE  # a month's count could reach the next digit
    agg = packed.filter(~big).select(ORG, "n_rows", *fields)
    if big.any():
        mon = pl.col("date").dt.month()
        exact = (
            rows.filter(pl.col(ORG).is_in(packed.filter(big)[ORG].implode()))
            .group_by(ORG)
            .agg(
                pl.len().alias("n_rows"),
                *((mon == m).sum().alias(f"n{m}") for m in range(1, 13)),
                *(((mon == m) & political).sum().alias(f"pt{m}") for m in range(1, 13)),
            )
            .collect()
        )
        agg = pl.concat([agg, exact], how="vertical_relaxed")
    agg = agg.lazy()
    zeros = ["n_rows", *(f"{c}{m}" for c in ("n", "pt") for m in range(1, 13))]
    lf = ctx.with_orgs(agg, zeros=zeros).with_columns(
        s=ctx.threshold(rule, "studies"), p=ctx.threshold(rule, "political")
    )
    met = [
        ((pl.col(f"n{m}") > 0) & (pl.col(f"n{m}") >= pl.col("s")) & (pl.col(f"pt{m}") >= pl.col("p"))).fill_null(False)
        for m in range(1, 13)
    ]
    lf = lf.with_columns(**_months_met(met))
    k = pl.col("ok_months")
    measured = _months_met_text(pl.col("ok_mask"), "达标")
    frame = result(
        lf,
        status=passfail(k >= 12),
        measured_value=k,
        required_value=pl.lit(12.0),
        ratio=k / 12,
        measured=measured,
        required=ctx.text_by_type(
            rule,
            lambda t: f"每月集中学习 ≥ {num_text(t['studies'])} 次，其中政治理论学习 ≥ {num_text(t['political'])} 次",
        ),
        evidence_rows=pl.col("n_rows"),
    )
    return Measured(frame, _evidence(rows, "activities"))


@measure(
    "edu.member_study_days",
    tables=("study", "orgs"),
    columns=(("orgs", "member_count"),),
    thresholds=("days", "share"),
)
def member_study_days(ctx: Context, rule: Rule) -> Measured:
    """党员学习天数 [seed 二(1) 每年不少于12天]: the share of the registry's ``member_count`` whose study days
    in the year add up to ≥ ``days``.

    Members are counted per org (a member's rows in another org do not help here).  An org with
    ``member_count`` 0 has nobody to fall short (share 100 %); an empty ``member_count`` is that org's
    missing value (fail).
    """
    in_year = pl.col("date").is_between(ctx.y0, ctx.y1)
    rows = ctx.store.table("study").filter(in_year)
    per_org = _members_meeting(ctx, ctx.y0, ctx.y1, ctx.threshold(rule, "days"))
    lf = ctx.with_orgs(per_org, zeros=["ok", "n_rows"], cols=["member_count"]).with_columns(
        d=ctx.threshold(rule, "days"), s=ctx.threshold(rule, "share")
    )
    mc, ok_n = pl.col("member_count"), pl.col("ok")
    share = pl.when(mc > 0).then(ok_n / mc).when(mc == 0).then(1.0).otherwise(None)
    lf = lf.with_columns(share=share)
    sh = pl.col("share")
    d_text = ctx.text_by_type(rule, lambda t: num_text(t["days"]))
    measured = (
        pl.when(mc.is_null())
        .then(pl.format("党员人数未填；学习满 {} 天的党员 {} 人", d_text, ok_n))
        .otherwise(pl.format("学习满 {} 天的党员 {}/{} 人（{}%）", d_text, ok_n, mc, num(sh * 100)))
    )
    required = ctx.text_by_type(
        rule,
        lambda t: f"全体党员每年集中学习 ≥ {num_text(t['days'])} 天"
        if t["share"] >= 1
        else f"≥ {num_text(t['share'] * 100)}% 的党员每年集中学习 ≥ {num_text(t['days'])} 天",
    )
    frame = result(
        lf,
        status=passfail((sh >= pl.col("s") - EPS).fill_null(False)),
        measured_value=sh,
        required_value=pl.col("s"),
        ratio=pl.when(sh.is_null()).then(0.0).otherwise(ratio(sh, pl.col("s"))),
        measured=measured,
        required=required,
        evidence_rows=pl.col("n_rows") + 1,
    )
    return Measured(frame, pl.concat([_evidence(rows, "study"), ctx.registry_evidence()]))


def _members_meeting(ctx: Context, start: date, end: date, days: pl.Expr) -> pl.LazyFrame:
    """Per registry org: ``ok`` = its members whose study rows dated ``start``–``end`` add up to ≥ ``days``
    (a threshold expression of ``org_type``), ``n_rows`` = those rows.

    The 144 M rows of a province are summed once per member, by the store's integer member key
    (:func:`_member_totals`).  The member index lists each org's members in runs (keys are handed out an
    org at a time), so each run is matched to its registry org once and the members' results are added
    up run by run — no join of 6 M member rows on code strings.  Collected here, eagerly: the measure's
    one expensive step, done once.
    """
    keyed, members = ctx.store.study_keyed(start, end)  # one integer per (org, member): analysis/store.py
    index = members.select(ORG, MEMBER_KEY).collect()
    reg = ctx.orgs.select(ORG, ORG_INDEX, d=days)
    keys = index[MEMBER_KEY]
    if not (keys == pl.int_range(keys.len(), dtype=keys.dtype, eager=True)).all():
        # an index not in key order (not written by this version's ingest): number it 0 … n-1 in order
        index = index.sort(MEMBER_KEY).with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_dense"))
        keyed = keyed.join(index.lazy().select(MEMBER_KEY, "_dense"), on=MEMBER_KEY).select(
            pl.col("_dense").alias(MEMBER_KEY), "days"
        )
    total_days, total_rows = _member_totals(keyed, index.height)
    runs = index.select(pl.col(ORG).rle()).unnest(ORG).rename({"value": ORG})
    runs = runs.join(reg, on=ORG, how="left", maintain_order="left")  # null _oi: codes outside the registry
    lengths = runs["len"].to_numpy().astype(np.int64)
    if not lengths.size:
        return reg.select(ORG, ok=pl.lit(0, pl.Int64), n_rows=pl.lit(0, pl.Int64)).clear().lazy()
    need = np.repeat(runs["d"].fill_null(np.inf).to_numpy(), lengths)  # no threshold: nobody meets it
    ok = (total_rows > 0) & (total_days >= need - EPS)
    first = np.cumsum(lengths) - lengths  # where each run starts
    per_run = runs.select(ORG, ORG_INDEX).with_columns(
        ok=pl.Series(np.add.reduceat(ok.astype(np.int64), first)),
        n_rows=pl.Series(np.add.reduceat(total_rows, first)),
    )
    return (
        per_run.drop_nulls(ORG_INDEX)
        .group_by(ORG)  # an org's members come in several runs when a later ingest added some
        .agg(pl.col("ok").sum(), pl.col("n_rows").sum())
        .lazy()
    )


def _member_totals(keyed: pl.LazyFrame, size: int, batch_rows: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Per member key 0 … ``size`` - 1: the days and the number of the study rows ``keyed`` (``_member``,
    ``days``) — what ``group_by(_member).agg(days.sum(), len())`` gives, as two dense arrays.

    Study parts are stored by member (:data:`analysis.store.PART_ORDER`), so a member's rows come as one
    run: each streamed batch is summed run by run (``np.add.reduceat`` where the key changes) and the
    runs are added into the arrays; each chunk of a batch is read in place (no copy).  At province scale
    (144 M rows, 6 M members) this takes about half the time of polars' hash grouping, which has no
    sorted streaming path.  Rows in another order give the same totals, only more slowly (shorter runs).
    Empty or out-of-range keys (none in a store written by ingest) are left out and empty days add
    nothing, as in the grouping.
    """
    days = np.zeros(size, np.float64)
    rows = np.zeros(size, np.int64)
    for batch in keyed.select(MEMBER_KEY, "days").collect_batches(chunk_size=batch_rows, maintain_order=True):
        keys, values = batch[MEMBER_KEY], batch["days"]
        if [len(c) for c in keys.get_chunks()] != [len(c) for c in values.get_chunks()]:
            keys, values = keys.rechunk(), values.rechunk()
        for k, v in zip(keys.get_chunks(), values.get_chunks(), strict=True):
            if not k.len():
                continue
            key = k.to_numpy()  # a float array, NaN for empty keys, should any be null
            day = np.nan_to_num(v.to_numpy(), nan=0.0) if v.null_count() else v.to_numpy()
            starts = np.concatenate(([0], np.flatnonzero(key[1:] != key[:-1]) + 1))
            run_key, run_days, run_rows = key[starts], np.add.reduceat(day, starts), np.diff(starts, append=key.size)
            inside = run_key < size  # False for NaN too
            if not inside.all():
                run_key, run_days, run_rows = run_key[inside], run_days[inside], run_rows[inside]
            run_key = run_key.astype(np.int64, copy=False)
            np.add.at(days, run_key, run_days)
            np.add.at(rows, run_key, run_rows)
    return days, rows


@measure("edu.cadre_training", tables=("activities", "elections"), thresholds=("count",))
def cadre_training(ctx: Context, rule: Rule) -> Measured:
    """届内党务干部培训 [seed 二(1) 党委和党总支在届内应组织一次]: training rows from the last election on
    record (the current term, even when overdue) to the as-of date.

    ``pending`` while the current term is not yet due and none is held (it earns full points); ``fail``
    once the term is due with none.  With no election on record the term is unknown: rows of the
    assessment year up to the as-of date count, and none is a fail.
    """
    terms = ctx.terms.lazy().select(ORG, "last_election", "term_due")
    start = pl.coalesce(pl.col("last_election"), pl.lit(ctx.y0))
    rows = (
        ctx.rows(["cadre_training"], None, ctx.as_of)
        .join(terms, on=ORG, how="inner")
        .filter(pl.col("date") >= start)
        .drop("last_election", "term_due")
    )
    agg = rows.group_by(ORG).agg(n=pl.len())
    lf = (
        ctx.with_orgs(agg, zeros=["n"])
        .join(terms, on=ORG, how="left")
        .with_columns(c=ctx.threshold(rule, "count"))
    )
    n = pl.col("n")
    running = pl.col("last_election").is_not_null() & (pl.lit(ctx.as_of) < pl.col("term_due"))
    status = (
        pl.when(n >= pl.col("c"))
        .then(pl.lit("pass"))
        .when(running)
        .then(pl.lit("pending"))
        .otherwise(pl.lit("fail"))
    )
    measured = (
        pl.when(pl.col("last_election").is_null())
        .then(pl.format("无换届记录；{} 至 {} 培训 {} 次", pl.lit(str(ctx.y0)), pl.lit(str(ctx.as_of)), n))
        .otherwise(
            pl.format(
                "本届（{} 起，{} 届满）培训 {} 次", day(pl.col("last_election")), day(pl.col("term_due")), n
            )
        )
    )
    frame = result(
        lf,
        status=status,
        measured_value=n,
        required_value=pl.col("c"),
        ratio=pl.when(status == "fail").then(ratio(n, pl.col("c"))).otherwise(1.0),
        measured=measured,
        required=ctx.text_by_type(rule, lambda t: f"每届组织党务干部业务培训 ≥ {num_text(t['count'])} 次"),
        evidence_rows=n,
    )
    return Measured(frame, _evidence(rows, "activities"))


@measure(
    "edu.three_meetings_one_lesson",
    "edu.democratic_life_meeting",
    "edu.heart_talks",
    "style.discipline_education",
    "duty.info_submissions",
    "duty.joint_building",
    "mass.reports_heard",
    "edu.org_life_meeting",
    "edu.member_review",
    tables=("activities",),
    thresholds=("count",),
    params={
        "kinds": ParamSpec("kinds"),
        "require_recorded": ParamSpec("bool", False),
        "unit": ParamSpec("text", "次"),
    },
    deductions=("unrecorded",),
    pace=Pace("count"),
)
def count_in_year(ctx: Context, rule: Rule) -> Measured:
    """A count of activity rows of ``kinds`` in the year against a per-org-type threshold.

    Serves every "≥ n times a year" clause (三会一课, 民主生活会, 谈心谈话, 党纪教育, 信息报送, 结对共建,
    听取工青妇汇报; national-2019: 组织生活会, 民主评议党员).  With ``require_recorded`` every counted row must
    also be recorded (民主生活会记录详细).
    """
    kinds, need_rec, unit = rule.params["kinds"], rule.params["require_recorded"], rule.params["unit"]
    rows = ctx.rows(kinds, ctx.y0, ctx.y1)
    per_kind = (
        [(pl.col("kind") == k).sum().alias(f"k_{i}") for i, k in enumerate(kinds)] if len(kinds) > 1 else []
    )
    agg = rows.group_by(ORG).agg(
        *per_kind, n=pl.len(), unrecorded=(~pl.col("recorded").fill_null(False)).sum()
    )
    zero_cols = ["n", "unrecorded", *(f"k_{i}" for i in range(len(per_kind)))]
    lf = ctx.with_orgs(agg, zeros=zero_cols).with_columns(c=ctx.threshold(rule, "count"))
    n, unrec = pl.col("n"), pl.col("unrecorded")
    ok = n >= pl.col("c")
    if per_kind:
        parts = [
            pl.format(f"{vocab.ACTIVITY_KIND_ZH[k]} {{}} {unit}", pl.col(f"k_{i}"))
            for i, k in enumerate(kinds)
        ]
        measured = pl.concat_str(parts, separator="、") + pl.format("，共 {} {}", n, pl.lit(unit))
    else:
        measured = pl.format("{} {}", n, pl.lit(unit))
    required = ctx.text_by_type(
        rule,
        lambda t: f"{_kinds_zh(kinds)} ≥ {num_text(t['count'])} {unit}" + ("，均有记录" if need_rec else ""),
    )
    if need_rec:
        ok &= unrec == 0
        measured = measured + pl.format("，未记录 {} {}", unrec, pl.lit(unit))
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=n,
        required_value=pl.col("c"),
        ratio=ratio(n, pl.col("c")),
        measured=measured,
        required=required,
        evidence_rows=n,
        unrecorded=unrec,
    )
    return Measured(frame, _evidence(rows, "activities"))


@measure(
    "edu.dues",
    tables=("dues", "activities"),
    thresholds=("months",),
    params={"remit_months": ParamSpec("int")},
    windows=("publication",),
    deductions=("unpublished",),
    pace=Pace("months", lag_param="remit_months"),
)
def dues(ctx: Context, rule: Rule) -> Measured:
    """党费 [seed 二(7) 及时足额上交，年终张榜公布]: months of the year whose dues were paid in full
    (paid ≥ due) and remitted by the end of the ``remit_months``-th following month, plus a
    ``dues_publication`` row in the publication window.

    A month with several rows is judged on its totals, and on time only when every row with money in it
    was remitted by the deadline; a month with nothing due needs no remittance; a month with no row
    fails.  The ``unpublished`` column lets the rubric deduct for a missing publication.

    One pass per org gathers 12-bit month masks (months with a row, short, with money due, remitted
    late), which costs a fifth of summing 48 per-month columns; only the orgs with a month of several
    rows have their months' totals added up (grouped by org and month).  The pass is collected here, so
    that second step is only planned when some org needs it.  Amounts are never negative
    (ingest refuses them), so a month owes a remittance exactly when one of its rows has money due.
    """
    remit = rule.params["remit_months"]
    d = ctx.store.table("dues").filter(pl.col("month").is_between(ctx.y0, ctx.y1))
    # each row's month as a bit, and its remittance deadline (end of the remit-th month after) looked up
    deadlines = pl.Series([_month_end(ctx.year, m + remit) for m in range(1, 13)], dtype=pl.Date)
    due, paid, bit, none = pl.col("due"), pl.col("paid"), pl.col("bit"), pl.lit(0, pl.Int32)
    rows = (
        d.select(
            ORG,
            "remitted_on",
            due.fill_null(0),
            paid.fill_null(0),
            m=pl.col("month").dt.month().cast(pl.Int32) - 1,
        )
        .with_columns(bit=pl.lit(_BIT_OF_MONTH).gather("m"), deadline=pl.lit(deadlines).gather("m"))
        .select(
            ORG,
            "due",
            "paid",
            "bit",
            short=pl.when(paid < due - EPS).then(bit).otherwise(none),
            owed=pl.when(due > 0).then(bit).otherwise(none),
            late=pl.when(
                (pl.col("remitted_on") > pl.col("deadline")).fill_null(True) & ((paid > 0) | (due > 0))
            )
            .then(bit)
            .otherwise(none),
        )
    )
    # the masks are worked out row by row above: the aggregation is then plain column aggregates
    agg = (
        rows.group_by(ORG)
        .agg(n_rows=pl.len(), present=bit.bitwise_or(), **{c: pl.col(c).bitwise_or() for c in ("short", "owed", "late")})
        .collect(engine="streaming")
    )
    # a month of several rows is short on its totals: added up for the orgs that have one (seldom any)
    several = agg.filter(pl.col("n_rows") != pl.col("present").bitwise_count_ones())[ORG]
    if several.len():
        totals = (
            rows.filter(pl.col(ORG).is_in(several.implode()))
            .group_by(ORG, "bit")
            .agg(due.sum(), paid.sum())
            .group_by(ORG)
            .agg(total_short=pl.when(paid < due - EPS).then(bit).otherwise(none).bitwise_or())
            .collect()
        )
        agg = agg.join(totals, on=ORG, how="left").with_columns(short=pl.coalesce("total_short", "short"))
    met = pl.col("present") & ~pl.col("short") & ~(pl.col("owed") & pl.col("late"))
    agg = agg.lazy().select(ORG, "n_rows", ok_mask=met, ok_months=met.bitwise_count_ones())
    pub_rows = ctx.rows(["dues_publication"], *rule.windows["publication"].bounds(ctx.year))
    pub = pub_rows.group_by(ORG).agg(n_pub=pl.len())
    lf = (
        ctx.with_orgs(agg, zeros=["ok_months", "n_rows"])
        .join(pub, on=ORG, how="left")
        .with_columns(pl.col("n_pub").fill_null(0), c=ctx.threshold(rule, "months"))
    )
    k, published = pl.col("ok_months"), pl.col("n_pub") > 0
    measured = _months_met_text(pl.col("ok_mask"), "足额按时上交") + pl.when(published).then(
        pl.lit("；已张榜公布")
    ).otherwise(pl.lit("；未张榜公布"))
    p0, p1 = rule.windows["publication"].bounds(ctx.year)
    deadline_zh = "次月底前" if remit == 1 else f"其后第 {remit} 个月底前"
    frame = result(
        lf,
        status=passfail((k >= pl.col("c")) & published),
        measured_value=k,
        required_value=pl.col("c"),
        ratio=ratio(k, pl.col("c")),
        measured=measured,
        required=ctx.text_by_type(
            rule, lambda t: f"≥ {num_text(t['months'])} 个月足额并于{deadline_zh}上交；{p0} 至 {p1} 张榜公布"
        ),
        evidence_rows=pl.col("n_rows") + pl.col("n_pub"),
        unpublished=(~published).cast(pl.Float64),
    )
    return Measured(frame, pl.concat([_evidence(d, "dues"), _evidence(pub_rows, "activities")]))


# ---------------------------------------------------------------------------------------------
# 三 作风和廉政建设
# ---------------------------------------------------------------------------------------------
@measure(
    "style.integrity_pledges",
    tables=("activities", "orgs"),
    columns=(("activities", "signed_count"), ("orgs", "mid_cadres")),
    thresholds=("share",),
)
def integrity_pledges(ctx: Context, rule: Rule) -> Measured:
    """廉洁自律责任状 [seed 三(3) 与中层以上党员干部签订]: ``signed_count`` summed over the year's pledge rows
    against ``share`` × the registry's ``mid_cadres``.  No mid-level cadres = nothing to sign (pass);
    an empty ``mid_cadres`` is that org's missing value (fail)."""
    rows = ctx.rows(["integrity_pledge"], ctx.y0, ctx.y1)
    agg = rows.group_by(ORG).agg(signed=pl.col("signed_count").fill_null(0).sum(), n=pl.len())
    lf = ctx.with_orgs(agg, zeros=["signed", "n"], cols=["mid_cadres"]).with_columns(
        need=pl.col("mid_cadres") * ctx.threshold(rule, "share")
    )
    signed, mid, need = pl.col("signed"), pl.col("mid_cadres"), pl.col("need")
    ok = (signed >= need - EPS).fill_null(False)
    measured = (
        pl.when(mid.is_null())
        .then(pl.format("中层以上党员干部人数未填；签订 {} 人", signed))
        .otherwise(pl.format("签订 {} 人，中层以上党员干部 {} 人", signed, mid))
    )
    frame = result(
        lf,
        status=passfail(ok),
        measured_value=signed,
        required_value=need,
        ratio=pl.when(mid.is_null()).then(0.0).otherwise(ratio(signed, need)),
        measured=measured,
        required=ctx.text_by_type(
            rule,
            lambda t: "与全部中层以上党员干部签订"
            if t["share"] >= 1
            else f"签订人数 ≥ 中层以上党员干部的 {num_text(t['share'] * 100)}%",
        ),
        evidence_rows=pl.col("n") + 1,
    )
    return Measured(frame, pl.concat([_evidence(rows, "activities"), ctx.registry_evidence()]))


# ---------------------------------------------------------------------------------------------
# Qualitative clauses: inspection scores (督查评分).
# ---------------------------------------------------------------------------------------------
@measure(
    "manual.*",
    tables=("inspections",),
    params={"pass_share": ParamSpec("share")},
    methods=("inspection", "binary"),
)
def inspection(ctx: Context, rule: Rule) -> Measured:
    """A qualitative clause scored by inspectors: the score given for this item and year, clipped to
    the item's points.  Several scores for one org and item are averaged.  The item counts as met when
    the score reaches ``pass_share`` of its points; an org nobody scored has 0."""
    pts = rule.points
    rows = ctx.store.table("inspections").filter(
        (pl.col("year") == ctx.year) & (pl.col("item") == rule.rule_id)
    )
    agg = rows.group_by(ORG).agg(raw=pl.col("score").mean(), n=pl.len())
    lf = ctx.with_orgs(agg, zeros=["n"]).with_columns(score=pl.col("raw").fill_null(0.0).clip(0.0, pts))
    score = pl.col("score")
    frame = result(
        lf,
        status=passfail(score >= rule.params["pass_share"] * pts - EPS),
        measured_value=score,
        required_value=pl.lit(pts),
        ratio=ratio(score, pl.lit(pts)),
        measured=pl.when(pl.col("n") > 0)
        .then(pl.format("督查评分 {}", num(pl.col("raw"))))
        .otherwise(pl.lit("无督查评分")),
        required=pl.lit(f"督查评分（满分 {pts:g}，≥ {rule.params['pass_share'] * pts:g} 为达标）"),
        evidence_rows=pl.col("n"),
    )
    warnings = lf.filter(pl.col("raw") > pts).select(
        ORG,
        pl.lit(rule.rule_id).alias("rule_id"),
        pl.format(
            "督查评分 {} 超过该项分值 {}，按 {} 计",
            num(pl.col("raw")),
            pl.lit(f"{pts:g}"),
            pl.lit(f"{pts:g}"),
        ).alias("message"),
    )
    return Measured(frame, _evidence(rows, "inspections"), warnings)


# ---------------------------------------------------------------------------------------------
# Running a ruleset.
# ---------------------------------------------------------------------------------------------
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
