"""The two counting measures that serve clauses of every duty area: meetings held through the year's
periods (:func:`periodic_count`) and activity rows counted in the year (:func:`count_in_year`).

They serve the meeting clauses of (一) and (二) and every counted clause of (三) to (五) (党纪教育, 信息报送,
结对共建, 听取工青妇汇报), so (四) 上级党委部署的工作 (``duty.*``) and (五) 党建“带三建” (``mass.*``) need no
module of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from analysis import vocab
from analysis.rules.common import (
    ORG,
    PERIOD_ZH,
    _evidence,
    num_text,
    passfail,
    ratio,
    result,
)
from analysis.rules.context import Context
from analysis.rules.loader import Rule
from analysis.rules.registry import Broken, Measured, Pace, ParamSpec, measure

#: an unrecorded meeting fails a rule that requires every meeting recorded, whatever comes later
_UNRECORDED = Broken("unrecorded", "require_recorded", "unrecorded")


def _kinds_zh(kinds: Iterable[str]) -> str:
    return "、".join(vocab.ACTIVITY_KIND_ZH[k] for k in kinds)


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
        "only_where": ParamSpec("text", ""),
    },
    deductions=("unrecorded",),
    pace=Pace("periods", period_param="period_months", broken=(_UNRECORDED,), absent="absent"),
)
def periodic_count(ctx: Context, rule: Rule) -> Measured:
    """Meetings held through the year [seed 一(5) 每两个月一次、不少于5次; 一(6) 每半年专题研究一次;
    national-2019: 支委会、党小组会、主题党日每月, 党员大会每季度].

    Counts rows of ``kinds`` in the year and the periods of ``period_months`` (Jan–Feb, Mar–Apr … for 2;
    halves for 6) holding at least one.  Passes with ≥ ``count`` rows covering ≥ ``periods`` periods (and,
    when ``require_recorded``, none unrecorded).  The ratio is the smaller of the two shares, i.e. the
    rubric's "n = the smaller of the meeting count and the windows covered".

    ``only_where`` names a yes/no registry column the rule is limited to (national-2019 党小组会:
    ``has_party_groups``): see :meth:`Context.only_where`.
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
    out = Measured(frame, _evidence(rows, "activities"))
    where = rule.params["only_where"]
    return ctx.only_where(out, where, _ONLY_WHERE_NO.get(where, "组织名册登记为否")) if where else out


#: what a ``not_applicable`` org of an ``only_where`` rule reads, by the registry column
_ONLY_WHERE_NO = {"has_party_groups": "组织名册登记本支部未设党小组"}


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
    "org.cadre_congress",
    "org.secretary_report",
    "org.party_building_report",
    tables=("activities",),
    thresholds=("count",),
    params={
        "kinds": ParamSpec("kinds"),
        "require_recorded": ParamSpec("bool", False),
        "unit": ParamSpec("text", "次"),
        "absent_is_no_data": ParamSpec("bool", False),
    },
    deductions=("unrecorded",),
    pace=Pace("count", broken=(_UNRECORDED,)),
)
def count_in_year(ctx: Context, rule: Rule) -> Measured:
    """A count of activity rows of ``kinds`` in the year against a per-org-type threshold.

    Serves every "≥ n times a year" clause (三会一课, 民主生活会, 谈心谈话, 党纪教育, 信息报送, 结对共建,
    听取工青妇汇报; national-2019: 组织生活会, 民主评议党员, 机关党员干部大会, 书记述职, 党建工作通报).  With
    ``require_recorded`` every counted row must also be recorded (民主生活会记录详细).

    With ``absent_is_no_data``, a dataset holding no row of ``kinds`` at all (any org, any date) makes the
    rule ``no_data`` for every org: the kind is not being recorded (a new kind the data does not have
    yet), which says nothing about any one org.
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
    out = Measured(frame, _evidence(rows, "activities"))
    if rule.params["absent_is_no_data"] and ctx.never_recorded(ctx.rows(kinds, None, date.max)):
        return ctx.no_data(out, f"数据中没有任何「{_kinds_zh(kinds)}」记录（各组织、各年度均无），无法考核")
    return out


@measure(
    "edu.secretary_lecture",
    tables=("activities", "orgs"),
    thresholds=("count",),
    params={"kinds": ParamSpec("kinds"), "topic_words": ParamSpec("texts")},
    pace=Pace("count"),
)
def secretary_lecture(ctx: Context, rule: Rule) -> Measured:
    """书记讲党课 [national-2019: 支部条例 第十六条, 机关条例 第十八条]: 党课 rows (``kinds``) in the year given
    by the org's secretary, against a per-org-type count.

    The activity table has no lecturer column: a 党课 is the secretary's when its 主题 contains one of
    ``topic_words`` (书记 — "书记讲党课") or the secretary's name as the registry gives it.  A dataset in
    which no 党课 anywhere is recognised as the secretary's is ``no_data`` for every org (the topics do
    not say who lectured), not a failure of each.
    """
    kinds, words = rule.params["kinds"], list(rule.params["topic_words"])
    names = ctx.orgs.lazy().select(ORG, pl.col("secretary").str.strip_chars().alias("_sec"))
    topic = pl.col("topic").fill_null("")
    by_word = pl.any_horizontal(topic.str.contains(w, literal=True) for w in words) if words else pl.lit(False)
    named = pl.col("_sec").is_not_null() & (pl.col("_sec") != "") & topic.str.contains(pl.col("_sec"), literal=True)

    def own(rows: pl.LazyFrame) -> pl.LazyFrame:
        return rows.join(names, on=ORG, how="left").filter(by_word | named.fill_null(False)).drop("_sec")

    rows = own(ctx.rows(kinds, ctx.y0, ctx.y1))
    agg = rows.group_by(ORG).agg(n=pl.len())
    lf = ctx.with_orgs(agg, zeros=["n"]).with_columns(c=ctx.threshold(rule, "count"))
    n = pl.col("n")
    frame = result(
        lf,
        status=passfail(n >= pl.col("c")),
        measured_value=n,
        required_value=pl.col("c"),
        ratio=ratio(n, pl.col("c")),
        measured=pl.format("书记讲{} {} 次", pl.lit(_kinds_zh(kinds)), n),
        required=ctx.text_by_type(rule, lambda t: f"书记讲{_kinds_zh(kinds)} ≥ {num_text(t['count'])} 次"),
        evidence_rows=n,
    )
    out = Measured(frame, _evidence(rows, "activities"))
    if ctx.never_recorded(own(ctx.rows(kinds, None, date.max))):
        said = "、".join(f"“{w}”" for w in words)
        return ctx.no_data(out, f"数据中没有任何可认定为书记所讲的{_kinds_zh(kinds)}（主题含{said}或书记姓名），无法考核")
    return out
