"""The Chinese notes of the pace warnings: what an org secretary reads beside each colour.

Every note says what the org has done by the as-of date and what it can still do: which period, month or
window is behind and why (no meeting, short dues, no political theory …, in the words of
``vocab.PACE_CAUSE_ZH``), whether the count or the periods are behind, that every remaining period must now
hold one once the allowance is used, and by when.  The cause words are filled in once per rule, org type
and unit (:func:`cause_words`), the per-unit pieces gathered per org and rule (:func:`unit_texts`), and the
sentence assembled by colour and pace kind (:func:`note`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analysis import vocab
from analysis.decisions.pace_runs import Plan
from analysis.rules import lookup
from analysis.rules.common import EPS, num, num_text

ORG = "org_id"
_EMPTY = pl.lit([], pl.List(pl.String))


class _Fields(dict):
    """Template fields; a field the template does not know stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _day_text(d: date, year: int) -> str:
    return f"{d.month}月{d.day}日" if d.year == year else f"{d.year}年{d.month}月{d.day}日"


def day_zh(e: pl.Expr, year: int) -> pl.Expr:
    """A date as the notes write it: 3月31日 in the assessment year, 2025年1月31日 outside it."""
    same = pl.format("{}月{}日", e.dt.month(), e.dt.day())
    return pl.when(e.dt.year() == year).then(same).otherwise(pl.format("{}年{}月{}日", e.dt.year(), e.dt.month(), e.dt.day()))


def cause_words(plan_list: list[Plan], unit_frame: pl.DataFrame, year: int) -> pl.DataFrame:
    """Per rule × org type × unit × cause: the words of the cause once the unit is lost (``lost``) and
    while it is open (``open``), the rule's activity kinds, thresholds, window and end date filled in, the
    ``subject`` written once before them, and their ``order`` (the measure's: conditions, then absent)."""
    rows = []
    ends = {(r, u): (label, end) for r, u, label, end in unit_frame.select("rule_id", "unit", "label", "end").iter_rows()}
    for p in plan_list:
        if p.kind not in ("periods", "months", "windows"):
            continue
        rid = p.rule.rule_id
        spec = lookup(rid)
        causes = [c.cause for c in p.pace.conditions] + [p.pace.absent or "absent"]
        n_units = sum(1 for r, _ in ends if r == rid)
        kinds = "、".join(vocab.ACTIVITY_KIND_ZH.get(k, k) for k in p.rule.params.get("kinds", ())) or p.rule.title_zh
        for org_type in p.rule.applies_to:
            values = {k: num_text(v) for k in (spec.thresholds if spec else ()) if (v := p.rule.threshold_map(k).get(org_type)) is not None}
            for unit in range(n_units):
                label, end = ends[(rid, unit)]
                fields = _Fields(kinds=kinds, window=label, end=_day_text(end, year), **values)
                for order, cause in enumerate(causes):
                    words = vocab.PACE_CAUSE_ZH[cause]
                    lost, open_ = words.lost.format_map(fields), words.open.format_map(fields)
                    rows.append((rid, org_type, unit, cause, order, lost, open_, words.subject))
    schema = {
        "rule_id": pl.String, "org_type": pl.String, "unit": pl.Int64, "cause": pl.String, "order": pl.Int64,
        "lost": pl.String, "open": pl.String, "subject": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def unit_texts(per_unit: pl.DataFrame, unit_frame: pl.DataFrame, plan_list: list[Plan], year: int) -> pl.DataFrame:
    """Per org × rule, from its begun units: periods met, lost (over without meeting the rule) and running
    unmet; the notes' pieces — ``lost_note`` (the lost units grouped by cause: "2月、3月党费短缴，5月党费
    逾期上交"), ``waiting_note`` (months over but still within their deadline: "6月党费尚未上交（7月31日前）"),
    ``gap_note`` (lost and running units behind: "3-4月尚无委员会议（4月30日截止）"), ``running_note``
    (a running window without its document), ``met_labels``, ``upcoming_note`` (windows to come) — and
    ``lost_causes``, ``open_labels`` (units not over and not met, including those to come) and
    ``next_deadline``."""
    kinds = pl.DataFrame({"rule_id": [p.rule.rule_id for p in plan_list], "kind": [p.kind for p in plan_list]})
    met, final, ended = pl.col("met"), pl.col("final"), pl.col("ended")
    lost, waiting, running = final & ~met, ended & ~final & ~met, ~ended & ~met
    label, deadline = pl.col("label"), day_zh(pl.col("deadline"), year)
    lead = pl.when(pl.col("kind") == "windows").then(pl.lit("")).otherwise(label)
    u = per_unit.join(kinds, on="rule_id").sort(ORG, "rule_id", "unit")
    gap = pl.when(lost).then(lead + pl.col("lost_text")).when(running).then(
        pl.format("{}{}（{}截止）", label, pl.col("open_text"), deadline)
    )
    agg = u.group_by(ORG, "rule_id", maintain_order=True).agg(
        met=met.sum(),
        missed=lost.sum(),
        running_unmet=running.sum(),
        waiting_note=pl.format("{}{}（{}前）", label, pl.col("open_text"), deadline).filter(waiting).str.join("、"),
        gap_note=gap.drop_nulls().str.join("，"),
        running_note=pl.format("{}，须在{}前完成", pl.col("open_text"), deadline).filter(running).str.join("；"),
        met_labels=label.filter(met).str.join("、"),
        lost_causes=pl.col("causes").filter(lost).list.explode(keep_nulls=False, empty_as_null=False).unique(maintain_order=True),
        open_begun=label.filter(~final & ~met),
        begun_deadline=pl.col("deadline").filter(~final & ~met).min(),
    )
    groups = (
        u.filter(lost)
        .with_columns(lead=lead)
        .group_by(ORG, "rule_id", "lost_text", maintain_order=True)
        .agg(pl.col("lead").str.join("、"), first=pl.col("unit").min())
        .sort(ORG, "rule_id", "first")
        .group_by(ORG, "rule_id", maintain_order=True)
        .agg(lost_note=(pl.col("lead") + pl.col("lost_text")).str.join("，"))
    )
    to_come = (
        unit_frame.filter(~pl.col("begun"))
        .join(kinds, on="rule_id")
        .group_by("rule_id", maintain_order=True)
        .agg(
            open_later=pl.col("label"),
            later_deadline=pl.col("deadline").min(),
            upcoming_note=pl.format("{}须在{}至{}之间完成", label, day_zh(pl.col("start"), year), day_zh(pl.col("end"), year))
            .filter(pl.col("kind") == "windows")
            .str.join("；"),
        )
    )
    return (
        agg.join(groups, on=[ORG, "rule_id"], how="left")
        .join(to_come, on="rule_id", how="left")
        .with_columns(
            open_labels=pl.concat_list(pl.col("open_begun"), pl.col("open_later").fill_null(_EMPTY)),
            next_deadline=pl.coalesce("begun_deadline", "later_deadline"),
            lost_note=pl.col("lost_note").fill_null(""),
            upcoming_note=pl.col("upcoming_note").fill_null(""),
        )
        .drop("open_begun", "open_later", "begun_deadline", "later_deadline")
    )


def _tail(text: pl.Expr) -> pl.Expr:
    """"；" + text, or nothing when the text is empty."""
    return pl.when(text.fill_null("") != "").then(pl.lit("；") + text).otherwise(pl.lit(""))


def _red(done: pl.Expr, u: pl.Expr) -> pl.Expr:
    """A red note: each condition that can no longer be met, with what the rule asks, then what is left."""
    kind, period, allow, missed = pl.col("kind"), pl.col("period_word"), pl.col("allow"), pl.col("missed")
    over = pl.col("spare") < -EPS
    allowance = (
        pl.when(kind == "periods")
        .then(
            pl.when(allow <= EPS)
            .then(pl.format("（每个{}都不能错过）", period))
            .otherwise(pl.format("（全年只能错过 {} 个{}，已错过 {} 个）", num(allow), period, missed))
        )
        .when(kind == "months")
        .then(
            pl.when(allow <= EPS)
            .then(pl.lit("（要求每个月都达标）"))
            .otherwise(pl.format("（全年只能有 {} 个月不达标，已有 {} 个）", num(allow), missed))
        )
        .otherwise(pl.lit(""))
    )
    clauses = pl.concat_str(
        pl.when(kind.is_in(["periods", "months", "windows"]) & over).then(pl.col("lost_note") + allowance),
        pl.when(pl.col("broken_n") > 0).then(
            pl.format("已开展的 {} {}中有 {} {}无记录（要求每{}都有记录）", done, u, num(pl.col("broken_n")), u, u)
        ),
        pl.when((kind == "term") & (pl.col("status") == "fail")).then(pl.col("measured")),
        separator="；",
        ignore_nulls=True,
    )
    year_over = (
        pl.when(kind == "scaled")
        .then(pl.format("已到年底，{}，未达到要求", pl.col("measured")))
        .otherwise(pl.format("已到年底，完成 {}/{} {}，未达到要求", done, num(pl.col("required_value")), u))
    )
    still = pl.when(kind == "windows").then(_tail(pl.col("running_note"))).otherwise(pl.lit(""))
    return pl.when(clauses.fill_null("") == "").then(year_over).otherwise(
        clauses + pl.lit("；本年度已无法达标") + still + _tail(pl.col("upcoming_note")) + _tail(pl.col("waiting_note"))
    )


def note(when: str, left: float, year: int) -> pl.Expr:
    """The Chinese sentence of each row: what was done, what pace asks, and what it takes from here."""
    u, period, kind, colour = pl.col("unit_word"), pl.col("period_word"), pl.col("kind"), pl.col("colour")
    done, req, n = num(pl.col("value")), num(pl.col("required_value")), pl.col("n_units")
    at = pl.lit(when)
    so_far = pl.format("截至{}已完成 {} {}，全年要求 {} {}", at, done, u, req, u)
    so_far_months = pl.format("截至{}已有 {} 个月达标，全年要求 {} 个月", at, done, req)
    head = pl.when(kind == "months").then(so_far_months).otherwise(so_far)
    used_up = (pl.col("allow") > EPS) & (pl.col("spare") <= EPS) & (pl.col("missed") > 0)
    allowance_used = pl.when(kind.is_in(["periods", "months"]) & used_up).then(
        pl.format("；允许错过的 {} 个{}已用完（{}），此后每个{}都不能错过", num(pl.col("allow")), period, pl.col("lost_note"), period)
    ).otherwise(pl.lit(""))
    waiting = _tail(pl.col("waiting_note"))
    green = head + pl.when("reached").then(pl.lit("，已达到全年要求")).otherwise(pl.lit("，进度正常")) + allowance_used + waiting
    expected = num(pl.col("required_value") * pl.col("share"))
    behind = pl.format(
        "截至{}已完成 {} {}，按进度应完成 {} {}；其余 {} 个月还需 {} {}（平均每月 {} {}）",
        at, done, u, expected, u, num(pl.lit(left)), num(pl.col("remaining")), u, num(pl.col("rate")), u,
    )  # fmt: skip
    last_chance = (
        pl.when(pl.col("spare") <= EPS)
        .then(pl.format("，此后每个{}都不能错过", period))
        .otherwise(pl.format("，此后最多还能错过 {} 个{}", num(pl.col("spare")), period))
    )
    behind_periods = behind + pl.format("；已达标 {}/{} 个{}", pl.col("met"), n, period) + last_chance
    behind_windows = pl.format(
        "截至{}已完成 {} {}，但{}；已覆盖 {}/{} 个{}，按进度应覆盖 {} 个",
        at, done, u, pl.col("gap_note"), pl.col("met"), n, period, num(pl.col("units_req") * pl.col("share")),
    ) + last_chance  # fmt: skip
    behind_months = (
        pl.format("截至{}已有 {} 个月达标，按进度应有 {} 个月", at, done, expected) + last_chance + waiting
    )
    return (
        pl.when(colour == "grey")
        .then(_grey())
        .when(colour == "red")
        .then(_red(done, u))
        .when(kind == "windows")
        .then(_windows(at))
        .when(kind == "term")
        .then(_term(year))
        .when(kind == "scaled")
        .then(_scaled(at))
        .when(colour == "green")
        .then(green)
        .when(kind == "months")
        .then(behind_months)
        .when((kind == "periods") & (pl.col("value") >= pl.col("required_value") * pl.col("share") - EPS))
        .then(behind_windows)
        .when(kind == "periods")
        .then(behind_periods)
        .otherwise(behind)
    )


def _grey() -> pl.Expr:
    """Why nothing can be said: no data, a requirement unknown for the org, or a rule not paced."""
    return (
        pl.when(pl.col("status") == "no_data")
        .then(pl.col("measured") + pl.lit("，无法判断进度"))
        .when(pl.col("kind") == "none")
        .then(pl.format("{}；{}", pl.col("measured"), pl.col("why")))
        .otherwise(pl.col("measured") + pl.lit("，无法判断进度"))
    )


def _windows(at: pl.Expr) -> pl.Expr:
    """A document due in a window (年度计划, 年度总结), not red: done, on pace, or still open."""
    met = pl.col("met_labels")
    done = (
        pl.when(pl.col("reached"))
        .then(pl.format("截至{}{}均已完成，已达到全年要求", at, met))
        .when(met != "")
        .then(pl.format("截至{}{}已完成，进度正常", at, met))
        .otherwise(pl.format("截至{}进度正常", at))
    )
    open_ = pl.format("截至{}{}", at, pl.col("running_note"))
    return pl.when(pl.col("colour") == "green").then(done).otherwise(open_) + _tail(pl.col("upcoming_note"))


def _term(year: int) -> pl.Expr:
    """A term rule, not red: its verdict at the as-of date, and the term's end when it falls this year."""
    due = pl.format("；本届于{}届满，要求：{}", day_zh(pl.col("term_due"), year), pl.col("required_text"))
    return pl.col("measured") + pl.when(pl.col("due_in_year")).then(due).otherwise(pl.lit(""))


def _scaled(at: pl.Expr) -> pl.Expr:
    """A scaled rule (党员学习天数), not red: the members on pace against the threshold × elapsed share."""
    pct = num(pl.col("scaled_share") * 100) + pl.lit("%")
    on = pl.format("截至{}按进度（全年要求的 {}）：{}", at, pct, pl.col("scaled_measured"))
    return (
        pl.when(pl.col("reached"))
        .then(pl.format("截至{}{}，已达到全年要求", at, pl.col("measured")))
        .when(pl.col("colour") == "green")
        .then(on + pl.lit("，进度正常"))
        .otherwise(on + pl.format("，落后于进度；全年要求{}", pl.col("required_text")))
    )
