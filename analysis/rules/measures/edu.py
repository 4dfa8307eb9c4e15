"""二 党员教育管理 [seed 二]: the measures of the member-education clauses — monthly group study, each
member's study days, cadre training in the term, and party dues paid, remitted and published.

Its meetings and talks (三会一课, 民主生活会, 谈心谈话; national-2019: 党小组会, 主题党日 …) are counted
in ``counts.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache

import numpy as np
import polars as pl

from analysis import vocab
from analysis.rules.common import (
    EPS,
    ORG,
    ORG_INDEX,
    _evidence,
    day,
    num,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Lift, Measured, Pace, ParamSpec, measure
from analysis.store import MEMBER_KEY

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


@measure(
    "edu.monthly_study",
    tables=("activities",),
    thresholds=("studies", "political"),
    pace=Pace(
        "months",
        conditions=(
            Lift("few_studies", thresholds={"studies": 1}),
            Lift("no_political", thresholds={"political": 0}),
        ),
        absent="no_study",
    ),
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
    pace=Pace("scaled", scaled="days"),
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


@measure(
    "edu.annual_training",
    tables=("activities", "study", "orgs"),
    columns=(("orgs", "member_count"),),
    params={"kinds": ParamSpec("kinds")},
)
def annual_training(ctx: Context, rule: Rule) -> Measured:
    """集中培训 [national-2019: 机关条例 第十八条, 组织党员和领导班子成员每年参加集中培训]: two parts, each
    half of the points — every member of the registry's ``member_count`` has a study row (党员学习) in
    the year, and the org held at least one training of ``kinds`` (党务干部培训, the leadership's) in it.

    An org with ``member_count`` 0 meets the members' part; an empty ``member_count`` does not.  No pace
    warning (the two parts are not one count to pace).
    """
    kinds = rule.params["kinds"]
    trained = _members_meeting(ctx, ctx.y0, ctx.y1, pl.lit(0.0)).select(ORG, pl.col("ok").alias("m"), "n_rows")
    rows = ctx.rows(kinds, ctx.y0, ctx.y1)
    held = rows.group_by(ORG).agg(n=pl.len())
    lf = ctx.with_orgs(trained, zeros=["m", "n_rows"], cols=["member_count"]).join(held, on=ORG, how="left")
    mc, m, n = pl.col("member_count"), pl.col("m"), pl.col("n").fill_null(0)
    members = pl.when(mc > 0).then(pl.min_horizontal(m / mc, pl.lit(1.0))).when(mc == 0).then(1.0).otherwise(0.0)
    leaders = (n > 0).cast(pl.Float64)
    parts = (members >= 1.0 - EPS).cast(pl.Int64) + (n > 0).cast(pl.Int64)
    kinds_zh = "、".join(vocab.ACTIVITY_KIND_ZH[k] for k in kinds)
    frame = result(
        lf,
        status=passfail(parts == 2),
        measured_value=parts,
        required_value=pl.lit(2.0),
        ratio=(members + leaders) / 2,
        measured=pl.format(
            "参加集中学习的党员 {}/{} 人；{} {} 次", m, pl.when(mc.is_null()).then(pl.lit("未填")).otherwise(mc.cast(pl.String)),
            pl.lit(kinds_zh), n,
        ),  # fmt: skip
        required=pl.lit(f"全体党员每年参加集中学习培训；领导班子成员每年参加集中培训（{kinds_zh} ≥ 1 次）"),
        evidence_rows=pl.col("n_rows") + n,
    )
    study = ctx.store.table("study").filter(pl.col("date").is_between(ctx.y0, ctx.y1))
    return Measured(frame, pl.concat([_evidence(study, "study"), _evidence(rows, "activities")]))


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


@measure("edu.cadre_training", tables=("activities", "elections"), thresholds=("count",), pace=Pace("term"))
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
    "edu.dues",
    tables=("dues", "activities"),
    thresholds=("months",),
    params={"remit_months": ParamSpec("int")},
    windows=("publication",),
    deductions=("unpublished",),
    pace=Pace(
        "months",
        lag_param="remit_months",
        conditions=(  # lifted: paid in full; every remittance made on time; every month remitted
            Lift("dues_short", columns={"dues": {"paid": pl.max_horizontal("paid", "due")}}),
            Lift(
                "dues_late",
                columns={"dues": {"remitted_on": pl.when(pl.col("remitted_on").is_not_null()).then("month")}},
            ),
            Lift("dues_unremitted", columns={"dues": {"remitted_on": pl.coalesce("remitted_on", "month")}}),
        ),
        absent="dues_absent",
    ),
)
def dues(ctx: Context, rule: Rule) -> Measured:
    """党费 [seed 二(7) 及时足额上交，年终张榜公布]: months of the year whose dues were paid in full
    (paid ≥ due) and remitted by the end of the ``remit_months``-th following month, plus a
    ``dues_publication`` row in the publication window.

    A month with several rows is judged on its totals, and on time only when every row with money in it
    was remitted by the deadline; a month with nothing due needs no remittance; a month with no row
    fails.  The ``unpublished`` column lets the rubric deduct for a missing publication.

    How the months are counted: :func:`_dues_months`.
    """
    remit = rule.params["remit_months"]
    d = ctx.store.table("dues").filter(pl.col("month").is_between(ctx.y0, ctx.y1))
    agg = _dues_months(ctx, d, remit)
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


def _dues_months(ctx: Context, d: pl.LazyFrame, remit: int) -> pl.LazyFrame:
    """Per org with dues rows in ``d``: ``n_rows``, and the months met (:func:`dues`) as ``ok_mask``
    (12 bits, January first) and ``ok_months``.

    One pass per org gathers 12-bit month masks (months with a row, short, with money due, remitted
    late), which costs a fifth of summing 48 per-month columns; only the orgs with a month of several
    rows have their months' totals added up (grouped by org and month).  The pass is collected here, so
    that second step is only planned when some org needs it.  Amounts are never negative
    (ingest refuses them), so a month owes a remittance exactly when one of its rows has money due.
    """
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
    return agg.lazy().select(ORG, "n_rows", ok_mask=met, ok_months=met.bitwise_count_ones())
