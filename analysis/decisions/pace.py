"""Year-to-date pace warnings (进度预警): can each org still meet each rule this year, and is it on course?

With an as-of date inside the assessment year, every org gets one row per rule of the ruleset that
applies to it.  Nothing here re-implements a rule: the rule's own measure is re-run on the rows dated
up to the as-of date, on the rows of every period, month or window that has begun, and with its
conditions lifted one by one to name why a period failed (:mod:`analysis.decisions.pace_runs`) —
nothing dated after the as-of date counts, not even a dues remittance made later for a month before
it.  How a rule is read comes from the measure registry (``@measure(..., pace=Pace(...))``), never from
a list of rule ids; the notes are written by :mod:`analysis.decisions.pace_notes`.

Time is counted in months: elapsed months = (month − 1) + day ÷ days in that month, so 30 June is 6 and
15 June is 5.5; the elapsed share of the year is elapsed months ÷ 12 and the remaining months are
12 − elapsed months.  A period, month or window is over at the end of its last day (its deadline, for
dues): the as-of date counts the rows dated that day.

Colours (RULES.md, "Pace warnings"), from the rule's own verdict on the rows so far:

- **灰 grey** — nothing can be said: the rule is ``no_data`` (its table or column is absent from the
  dataset), its requirement is unknown for the org (an empty registry value it is computed from), or
  the rule is not paced at all (registry values, inspection scores given at year end: ``Pace("none")``).
- **红 red** — a condition that can no longer be met, with its cause in the note:

  * periods, months and windows that are over without meeting the rule outnumber the allowance
    (periods in the year − periods required): a duty required every month (支委会每月, 每月集中学习,
    党费每月) is red as soon as one past month is missed, the bimonthly committee meetings of
    changzhou-2009 (5 of 6 windows) at the second missed window, the annual plan once its window closed
    without one.  A dues month ends at its remittance deadline.
  * a row that fails the rule for good (``Pace.broken``): an unrecorded meeting where every meeting
    must be recorded.
  * a term rule (``term``) that fails at the as-of date.
  * a count short when no time is left (its last deadline is past: 31 December, for dues 31 January).

- **绿 green** — not red, and the rule already passes on the rows so far, or it is on pace: done ≥
  required × elapsed share, and for periods/months also the periods met ≥ periods required × elapsed
  share (six meetings in January are not "on pace" for monthly meetings); every window begun holds its
  document; a scaled rule passes with its threshold × the elapsed share; a term rule's open duty falls
  due after the year.  A duty with grace (dues) is paced on the months already due: its elapsed share is
  (elapsed months − grace) ÷ 12.
- **黄 amber** — everything else: behind, but still reachable.

``rate_needed`` is the remaining count ÷ remaining months (per month still to come), rounded to two
decimals, for counts, periods and months; 0 when nothing remains, empty when no time remains but
something does, empty for other rows.  ``units_needed``, ``open_units`` and ``deadline`` say what is
still to do: the periods, months or windows still needed and still open (the running one and those
to come, not yet met), and the earliest deadline among them (a count's: 31 December; a term rule's:
the term's due date when it falls in the year while the duty is open); all empty once the requirement is
met.  ``causes`` lists the codes of what was lost for good (``vocab.PACE_CAUSE_ZH``).
"""

from __future__ import annotations

import calendar
from datetime import date

import polars as pl

from analysis import vocab
from analysis.assess import AssessError, Assessment
from analysis.decisions.pace_notes import cause_words, note, unit_texts
from analysis.decisions.pace_runs import (
    LIFTED,
    REAL,
    SCALED,
    Plan,
    measured_so_far,
    period_word,
    plans,
    term_due,
    units,
)
from analysis.rules.common import EPS, num
from analysis.store import Store

ORG = "org_id"
COLOUR_ZH = vocab.PACE_COLOUR_ZH
PACE_SCHEMA: dict[str, pl.DataType] = {
    ORG: pl.String(),
    "name": pl.String(),
    "org_type": pl.String(),
    "rule_id": pl.String(),
    "title": pl.String(),
    "done": pl.Float64(),
    "required": pl.Float64(),
    "remaining": pl.Float64(),
    "rate_needed": pl.Float64(),
    "colour": pl.String(),
    "colour_zh": pl.String(),
    "note": pl.String(),
    "units_needed": pl.Int64(),
    "open_units": pl.List(pl.String()),
    "deadline": pl.Date(),
    "causes": pl.List(pl.String()),
}
#: columns of :func:`pace`, in order
PACE_COLUMNS = tuple(PACE_SCHEMA)
_UNIT_KINDS = ("periods", "months", "windows")


def _elapsed_months(as_of: date) -> float:
    return as_of.month - 1 + as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]


def pace(store: Store, assessment: Assessment) -> pl.DataFrame:
    """Year-to-date pace of every org on every rule that applies to it (colours: module docstring).

    Parameters
    ----------
    store
        The store the assessment was made from (the measures are re-run on it up to each cut-off).
    assessment
        An :class:`Assessment` whose ``as_of`` lies inside its year; its ruleset gives the rules and
        its ``scores`` the orgs.

    Returns
    -------
    pl.DataFrame
        :data:`PACE_SCHEMA`, sorted by org and rubric order.  ``done`` counts rows (months met,
        documents) dated 1 January to the as-of date; ``required`` is the year's requirement; ``colour``
        is green/amber/red/grey and ``note`` a Chinese sentence saying why and what to do;
        ``units_needed``, ``open_units``, ``deadline`` what is still to do; ``causes`` the codes of what
        failed (``vocab.PACE_CAUSE_ZH``).

    Raises
    ------
    AssessError
        The as-of date is outside the assessment year.
    """
    year, as_of = assessment.year, assessment.as_of
    if not date(year, 1, 1) <= as_of <= date(year, 12, 31):
        raise AssessError(f"进度预警需要 {year} 年内的截止日期，收到 {as_of}")
    plan_list = plans(assessment.ruleset)
    if not plan_list:
        return pl.DataFrame(schema=PACE_SCHEMA)
    elapsed = _elapsed_months(as_of)
    unit_frame = units(plan_list, year, as_of)
    long = measured_so_far(store, assessment, plan_list, unit_frame, elapsed / 12)
    words = cause_words(plan_list, unit_frame, year)
    per_unit = _per_unit(long, unit_frame, plan_list, assessment.scores, words)
    progress = unit_texts(per_unit, unit_frame, plan_list, year)
    now = _now(long, store, assessment, plan_list)
    last = unit_frame.group_by("rule_id").agg(no_time_left=pl.col("deadline").max() <= as_of)
    frame = _rows(assessment.scores, now.join(last, on="rule_id"), progress, plan_list, elapsed, year)
    return _coloured(frame, f"{as_of.month}月{as_of.day}日", 12.0 - elapsed, year)


def _per_unit(
    long: pl.DataFrame,
    unit_frame: pl.DataFrame,
    plan_list: list[Plan],
    scores: pl.DataFrame,
    words: pl.DataFrame,
) -> pl.DataFrame:
    """Per org × rule × begun unit: met (its run counted something), and for a unit not met the codes of
    the conditions it failed (``causes``) with their words lost and open (``lost_text``, ``open_text``).

    A unit not met even with every condition lifted held nothing (the rule's ``absent`` cause); otherwise
    it failed each condition whose all-but-this run still does not meet it.
    """
    absent = pl.DataFrame(
        {"rule_id": [p.rule.rule_id for p in plan_list], "absent": [p.pace.absent or "absent" for p in plan_list]}
    )
    variant, ok = pl.col("variant"), pl.col("value").fill_null(0) > 0
    runs = long.filter(pl.col("unit").is_not_null() & (variant != SCALED))
    failed = variant.filter(variant.str.starts_with("but:") & ~ok).str.slice(4)
    per = (
        runs.group_by(ORG, "rule_id", "unit")
        .agg(
            met=(ok & (variant == REAL)).any(),
            lifted=(variant == LIFTED).any(),
            lifted_ok=(ok & (variant == LIFTED)).any(),
            failed=failed,
        )
        .join(absent, on="rule_id")
        .with_columns(
            causes=pl.when("met")
            .then(pl.lit([], pl.List(pl.String)))
            .when(pl.col("lifted") & pl.col("lifted_ok") & (pl.col("failed").list.len() > 0))
            .then("failed")
            .otherwise(pl.concat_list("absent"))
        )
    )
    texts = (
        per.select(ORG, "rule_id", "unit", cause="causes")
        .explode("cause")
        .drop_nulls("cause")
        .join(scores.select(ORG, "org_type"), on=ORG)
        .join(words, on=["rule_id", "org_type", "unit", "cause"])
        .sort(ORG, "rule_id", "unit", "order")
        .group_by(ORG, "rule_id", "unit", maintain_order=True)
        .agg(
            "cause",
            lost_text=pl.col("subject").first() + pl.col("lost").str.join("、"),
            open_text=pl.col("subject").first() + pl.col("open").str.join("、"),
        )
    )
    return (
        per.drop("causes")
        .join(texts.rename({"cause": "causes"}), on=[ORG, "rule_id", "unit"], how="left")
        .with_columns(pl.col("causes").fill_null(pl.lit([], pl.List(pl.String))))
        .join(unit_frame, on=["rule_id", "unit"])
        .select(ORG, "rule_id", "unit", "label", "start", "end", "deadline", "ended", "final", "met", "causes",
                "lost_text", "open_text")
    )  # fmt: skip


def _now(long: pl.DataFrame, store: Store, assessment: Assessment, plan_list: list[Plan]) -> pl.DataFrame:
    """Per org × rule: the rule's verdict on the rows up to the as-of date, the verdict of its scaled
    run (``scaled_status``, ``scaled_measured``) and, for a term rule, the term's due date."""
    whole = pl.col("unit").is_null()
    now = long.filter(whole & (pl.col("variant") == REAL)).drop("unit", "variant")
    scaled = long.filter(whole & (pl.col("variant") == SCALED)).select(
        ORG, "rule_id", scaled_status="status", scaled_measured="measured"
    )
    now = now.join(scaled, on=[ORG, "rule_id"], how="left")
    if any(p.kind == "term" for p in plan_list):
        return now.join(term_due(store, assessment), on=ORG, how="left")
    return now.with_columns(term_due=pl.lit(None, pl.Date))


def _meta(plan_list: list[Plan], share: float) -> pl.DataFrame:
    """Per rule × org type: rubric order, title, pace kind, units in the year and required (``periods``
    threshold; windows: all of them), words, grace, why a rule is not paced, the scaled share."""
    rows = []
    for p in plan_list:
        periods = p.rule.threshold_map("periods") if p.kind == "periods" else {}
        n_units = {"periods": 12 // p.unit_months, "months": 12, "windows": len(p.rule.windows)}.get(p.kind, 1)
        why = vocab.PACE_UNPACED_ZH.get(p.pace.why or "", "")
        for org_type in p.rule.applies_to:
            req = float(n_units) if p.kind == "windows" else periods.get(org_type)
            rows.append(
                (
                    p.rule.rule_id, org_type, p.order, p.rule.title_zh, p.kind, n_units, req, p.unit_word,
                    period_word(p), p.lag, why,
                )
            )  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.String, "org_type": pl.String, "_order": pl.Int64, "title": pl.String,
            "kind": pl.String, "n_units": pl.Int64, "units_required": pl.Float64, "unit_word": pl.String,
            "period_word": pl.String, "lag": pl.Int64, "why": pl.String,
        },
        orient="row",
    ).with_columns(scaled_share=pl.lit(share))  # fmt: skip


def _rows(
    scores: pl.DataFrame,
    now: pl.DataFrame,
    progress: pl.DataFrame,
    plan_list: list[Plan],
    elapsed: float,
    year: int,
) -> pl.DataFrame:
    """One row per org × rule that applies to it: what remains, the share of the year that should be
    done (after any grace), the periods that can still be missed (``spare``) and the monthly rate."""
    kind, done, req = pl.col("kind"), pl.col("value"), pl.col("required_value")
    left = 12.0 - elapsed
    zero = {"met": 0, "missed": 0, "running_unmet": 0}
    frame = (
        scores.select(ORG, "name", "org_type")
        .join(now, on=ORG)
        .join(_meta(plan_list, elapsed / 12), on=["rule_id", "org_type"])
        .filter(pl.col("status") != "not_applicable")
        .join(progress, on=[ORG, "rule_id"], how="left")
        .with_columns(pl.col(c).fill_null(v) for c, v in zero.items())
    )
    paced_rate = kind.is_in(["count", "periods", "months"])
    rate = pl.col("remaining") / left if left > 0 else pl.when(pl.col("remaining") <= 0).then(0.0)
    return frame.with_columns(
        units_req=pl.when(kind == "months").then(req).otherwise(pl.col("units_required")),
        remaining=(req - done).clip(lower_bound=0.0),
        share=(pl.lit(elapsed) - pl.col("lag")).clip(lower_bound=0.0) / 12.0,
        year_end=pl.lit(date(year, 12, 31)),
    ).with_columns(
        allow=(pl.col("n_units") - pl.col("units_req")).clip(lower_bound=0.0),
        spare=pl.col("n_units") - pl.col("units_req") - pl.col("missed"),
        rate=pl.when(paced_rate).then(rate),
        due_in_year=((kind == "term") & pl.col("term_due").is_between(date(year, 1, 1), date(year, 12, 31))).fill_null(False),
    )  # fmt: skip


def _colour() -> pl.Expr:
    """green/amber/red/grey of each row (module docstring)."""
    kind, done, req, status = pl.col("kind"), pl.col("value"), pl.col("required_value"), pl.col("status")
    units_kind, share = kind.is_in(_UNIT_KINDS), pl.col("share")
    unknown = kind.is_in(["count", "scaled"]) & (req.is_null() | done.is_null())
    lost = units_kind & (pl.col("spare") < -EPS)
    broken = pl.col("broken_n") > 0
    term_failed = (kind == "term") & (status == "fail")
    year_over = (pl.col("remaining") > 0) & pl.col("no_time_left") & kind.is_in(["count", "periods", "months", "scaled"])
    on_pace = (
        pl.when(kind == "count")
        .then(done >= req * share - EPS)
        .when(kind.is_in(["periods", "months"]))
        .then((done >= req * share - EPS) & (pl.col("met") >= pl.col("units_req") * share - EPS))
        .when(kind == "windows")
        .then(pl.col("running_unmet") == 0)
        .when(kind == "scaled")
        .then(pl.col("scaled_status") == "pass")
        .when(kind == "term")
        .then((status == "pass") | ((status == "pending") & ~pl.col("due_in_year")))
        .otherwise(False)
    )
    return (
        pl.when((status == "no_data") | (kind == "none") | unknown)
        .then(pl.lit("grey"))
        .when(lost | broken | term_failed | year_over)
        .then(pl.lit("red"))
        .when((status == "pass") | on_pace.fill_null(False))
        .then(pl.lit("green"))
        .otherwise(pl.lit("amber"))
    )


def _coloured(frame: pl.DataFrame, when: str, left: float, year: int) -> pl.DataFrame:
    """Each row's colour and note, what is still to do, the numbers of grey rows left empty: the frame of
    :func:`pace`, by org and rubric order."""
    kind, colour = pl.col("kind"), pl.col("colour")
    known = colour != "grey"
    units_kind = kind.is_in(_UNIT_KINDS)
    reached = (pl.col("remaining") <= 0) & (~units_kind | (pl.col("met") >= pl.col("units_req") - EPS))
    done_all = (pl.col("status") == "pass") | (kind.is_in(["count", "periods", "months", "windows"]) & reached)
    deadline = (
        pl.when(~known | done_all)
        .then(pl.lit(None, pl.Date))
        .when(units_kind)
        .then(pl.col("next_deadline"))
        .when(kind == "term")
        .then(pl.when(pl.col("due_in_year") & (colour != "red")).then("term_due"))
        .otherwise("year_end")
    )
    causes = pl.concat_list(
        pl.col("lost_causes").fill_null(pl.lit([], pl.List(pl.String))),
        pl.when(pl.col("broken_n") > 0).then(pl.concat_list("broken_cause")).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when((kind == "term") & (pl.col("status") == "fail")).then(pl.lit(["term"])).otherwise(pl.lit([], pl.List(pl.String))),
    )
    year_short = (colour == "red") & (causes.list.len() == 0)
    return (
        frame.with_columns(colour=_colour(), reached=done_all)
        .with_columns(note=note(when, left, year))
        .with_columns(
            pl.when(known).then(pl.col(c)).cast(pl.Float64).alias(c)
            for c in ("value", "required_value", "remaining", "rate")
        )
        .sort(ORG, "_order")
        .select(
            ORG,
            "name",
            "org_type",
            "rule_id",
            "title",
            pl.col("value").alias("done"),
            pl.col("required_value").alias("required"),
            "remaining",
            pl.col("rate").round(2, mode="half_away_from_zero").alias("rate_needed"),
            "colour",
            colour.replace_strict(COLOUR_ZH).alias("colour_zh"),
            "note",
            pl.when(known & units_kind)
            .then((pl.col("units_req") - pl.col("met")).clip(lower_bound=0.0).round(0).cast(pl.Int64))
            .alias("units_needed"),
            pl.when(known & units_kind).then("open_labels").alias("open_units"),
            deadline.alias("deadline"),
            pl.when(year_short).then(pl.lit(["year_short"])).otherwise(causes).list.unique(maintain_order=True)
            .alias("causes"),
        )
    )  # fmt: skip


def pace_table(df: pl.DataFrame) -> pl.DataFrame:
    """The pace.csv layout: Chinese org types and colours, numbers as written, the note; then what is
    still to do (the periods still open, how many are needed, the deadline) and the causes in words."""
    names = {k: v.name for k, v in vocab.PACE_CAUSE_ZH.items()}
    return df.select(
        ORG,
        "name",
        pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
        "rule_id",
        "title",
        *(num(pl.col(c)).alias(c) for c in ("done", "required", "remaining", "rate_needed")),
        pl.col("colour_zh").alias("colour"),
        "note",
        pl.col("open_units").list.join("、").alias("still_open"),
        "units_needed",
        pl.col("deadline").dt.strftime("%Y-%m-%d").alias("deadline"),
        pl.col("causes").list.eval(pl.element().replace_strict(names, default=pl.element())).list.join("、").alias("cause"),
    )

