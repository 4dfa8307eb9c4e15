"""Term assessment (任期考核): every org's whole term, built on the annual assessment.

The 2009 opinion makes the *term* the unit of responsibility: before its election an org checks itself over
the whole term and hands in the term 自评分表 with its term report.  ``assess_terms(store, as_of)`` answers
"how did this org do over its term, and does it owe its report now?" for every registry org, as
``shared/spec/RULES.md`` (Term assessment) defines it:

- the term runs from the last election on record E ≤ as-of A to A (an overdue term keeps running), and is
  due at D = E + the org's term (the same length ``org.term_election`` uses);
- each *completed* calendar year of the term is scored by the ordinary annual assessment of that year
  (one assessment per year for all orgs, reused — never recomputed per org), weighted by the share of the
  year inside the term; the current, incomplete year is shown year to date and not scored;
- ``edu.cadre_training`` (届内组织一次) and the veto are judged once over [E, A].

Nothing here is a second rules engine: the annual results come from :func:`analysis.assess.assess`, the
term-wide training rule is the registry measure run as of A, and the veto is :func:`analysis.scoring.veto`
over each org's term period.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from analysis import scoring, vocab
from analysis.assess import AssessError, Assessment, assess
from analysis.rules import Context, Ruleset, load_ruleset
from analysis.store import Store, years_with_data

ORG = "org_id"
CADRE_RULE = "edu.cadre_training"
TERM_RULE = "org.term_election"
#: [default] a term due within this many months of the as-of date is 即将届满 (RULES.md)
DUE_WITHIN_MONTHS = 6
#: the on-time window after the due date when the ruleset has no ``org.term_election`` to say it
ON_TIME_MONTHS = 1

#: columns of ``TermAssessment.terms`` (typed; :func:`terms_table` gives the terms.csv layout)
TERMS_COLUMNS = (
    ORG,
    "name",
    "org_type",
    "parent_id",
    "top_id",
    "term_years",
    "term_start",
    "term_due",
    "days_left",
    "term_status",
    "report_due",
    "years",
    "years_scored",
    "year_weights",
    "year_scores",
    "years_unscored",
    "term_score",
    "term_grade",
    "vetoed",
    "veto_reasons",
    "cadre_status",
    "cadre_training",
    "failed_rules",
    "n_failed",
)
#: terms.csv: the contract other tools rely on (issue 16), then the helpful extras
TERMS_CSV_COLUMNS = (
    ORG,
    "name",
    "org_type",
    "parent_id",
    "term_start",
    "term_due",
    "term_status",
    "report_due",
    "years_scored",
    "year_weights",
    "year_scores",
    "term_score",
    "term_grade",
    "vetoed",
    "veto_reasons",
    "cadre_training",
    "failed_rules",
    "term_years",
    "days_left",
    "years_unscored",
)


def add_months(d: date, months: int) -> date:
    """``d`` + ``months`` calendar months, the day clamped to the month's last (31 Aug + 6 = 28/29 Feb),
    as polars' ``offset_by("Nmo")`` does for the per-org dates."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def parse_as_of(value: date | str) -> date:
    """The as-of date from a date or ``YYYY-MM-DD`` text; :class:`AssessError` (in Chinese) otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise AssessError(f"截止日期「{value}」无法识别，请写作 2024-12-31") from exc


@dataclass
class TermAssessment:
    """The result of :func:`assess_terms`.

    ``terms``: one row per registry org (``TERMS_COLUMNS``; dates as ``Date``, the year lists as lists).
    ``years``: one row per org × calendar year of its term (``org_id, year, weight, completed, scored,
    score, grade, failed_rules``), the completed years with their annual results.
    ``annual``: the annual assessment of each scored year (as of 31 Dec), reused by reports and tables.
    ``current``: the assessment of the as-of year *as of* the as-of date (year to date when the year is
    not over): its ``edu.cadre_training`` row is the term-wide training judgement, and its pace colours
    are the current year's status in the term 自评分表.
    """

    terms: pl.DataFrame
    years: pl.DataFrame
    as_of: date
    due_within: int
    ruleset: Ruleset
    annual: dict[int, Assessment] = field(repr=False)
    current: Assessment = field(repr=False)

    @property
    def report_due(self) -> pl.DataFrame:
        """The orgs that owe their term report now, overdue first, then by due date."""
        order = {s: i for i, s in enumerate(vocab.TERM_STATUSES)}
        return (
            self.terms.filter(pl.col("report_due"))
            .with_columns(_o=pl.col("term_status").replace_strict(order, return_dtype=pl.Int32))
            .sort("_o", "term_due", ORG)
            .drop("_o")
        )


def assess_terms(
    store: Store,
    as_of: date | str,
    due_within: int = DUE_WITHIN_MONTHS,
    ruleset: str | os.PathLike[str] | Ruleset = "changzhou-2009",
    rubric: str | os.PathLike[str] | None = None,
    annual: Mapping[int, Assessment] | None = None,
) -> TermAssessment:
    """Assess every registry org's current term at ``as_of``.

    Parameters
    ----------
    store
        The data.
    as_of
        The date term status is judged at (A).
    due_within
        A term due within this many months after A is 即将届满 [default 6].
    ruleset, rubric
        As for :func:`analysis.assess.assess`; the term length, grade bands and veto kinds come from it.
    annual
        Annual assessments already made (year → Assessment as of 31 Dec, same ruleset), reused instead of
        assessed again.

    Returns
    -------
    TermAssessment

    Raises
    ------
    AssessError
        The as-of date cannot be read or ``due_within`` is negative.
    """
    a = parse_as_of(as_of)
    if due_within < 0:
        raise AssessError(f"--due-within 须为不小于 0 的月数（现为 {due_within}）")
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset, rubric)
    ctx = Context(store, rs, a.year, a)
    spans = _term_spans(ctx, rs, a, due_within)
    years = _term_years(spans, a, set(years_with_data(store)))
    done = dict(annual or {})
    for y in sorted(set(years.filter(pl.col("scored"))["year"].to_list()) - set(done)):
        done[y] = assess(store, y, ruleset=rs)
    current = done.get(a.year) if a == date(a.year, 12, 31) and a.year in done else None
    if current is None:
        current = assess(store, a.year, ruleset=rs, as_of=a)
    years = _with_annual_results(years, done)
    periods = spans.filter(pl.col("term_start").is_not_null()).select(
        ORG, pl.col("term_start").alias("start"), pl.lit(a).alias("end")
    )
    vetoes = scoring.veto(store.table("incidents"), scoring.ancestors(ctx.orgs), periods, rs).collect()
    terms = _summarise(spans, years, vetoes, current, rs)
    return TermAssessment(
        terms=terms, years=years, as_of=a, due_within=due_within, ruleset=rs, annual=done, current=current
    )


def _term_spans(ctx: Context, rs: Ruleset, a: date, due_within: int) -> pl.DataFrame:
    """Per registry org: term start and due date, days left, status and whether the report is owed."""
    rule = rs.rules.get(TERM_RULE)
    on_time = int(rule.params.get("on_time_months", ON_TIME_MONTHS)) if rule else ON_TIME_MONTHS
    start, due = pl.col("last_election"), pl.col("term_due")
    horizon = add_months(a, due_within)
    status = (
        pl.when(start.is_null())
        .then(pl.lit(vocab.TERM_NO_RECORD))
        .when(pl.lit(a) > due.dt.offset_by(f"{on_time}mo"))
        .then(pl.lit(vocab.TERM_OVERDUE))
        .when(due <= pl.lit(a))
        .then(pl.lit(vocab.TERM_DUE))
        .when(due <= pl.lit(horizon))
        .then(pl.lit(vocab.TERM_DUE_SOON))
        .otherwise(pl.lit(vocab.TERM_IN_PROGRESS))
    )
    closure = scoring.ancestors(ctx.orgs)
    return (
        ctx.orgs.select(ORG, "name", "org_type", "parent_id")
        .join(scoring.top_ids(ctx.orgs, closure), on=ORG, how="left", maintain_order="left")
        .join(
            # the length of the current term: the old one for a term begun before the lengths changed
            ctx.terms.select(ORG, pl.col("term_length").alias("term_years"), "last_election", "term_due"),
            on=ORG,
            how="left",
            maintain_order="left",
        )
        .with_columns(term_status=status)
        .with_columns(
            term_start=start,
            days_left=(due - pl.lit(a)).dt.total_days(),
            report_due=pl.col("term_status").is_in(list(vocab.TERM_REPORT_DUE)),
        )
        .drop("last_election")
    )


def _term_years(spans: pl.DataFrame, a: date, data_years: set[int]) -> pl.DataFrame:
    """One row per org × calendar year overlapping [E, A], with its weight (days of the term inside the
    year ÷ days in the year), whether it is completed (31 Dec ≤ A) and whether it is scored (completed and
    the store holds that year's work at all — a year before the data begins is not scored as a zero)."""
    e = spans.filter(pl.col("term_start").is_not_null()).select(ORG, "term_start")
    y = pl.col("year")
    jan1 = pl.date(y, 1, 1)
    dec31 = pl.date(y, 12, 31)
    first = pl.max_horizontal(pl.col("term_start"), jan1)
    last = pl.min_horizontal(dec31, pl.lit(a))
    days_in_year = (dec31 - jan1).dt.total_days() + 1
    return (
        e.with_columns(year=pl.int_ranges(pl.col("term_start").dt.year(), a.year + 1, dtype=pl.Int32))
        .explode("year")
        .with_columns(
            weight=((last - first).dt.total_days() + 1) / days_in_year,
            completed=dec31 <= pl.lit(a),
        )
        .with_columns(scored=pl.col("completed") & y.is_in(sorted(data_years)))
        .select(ORG, "year", "weight", "completed", "scored")
        .sort(ORG, "year")
    )


def _with_annual_results(years: pl.DataFrame, annual: Mapping[int, Assessment]) -> pl.DataFrame:
    """Join each scored year's annual score, grade and failed rules (the term-wide training rule left
    out: it is judged once over the term)."""
    results = [
        a.scores.select(ORG, pl.lit(y, pl.Int32).alias("year"), "score", "grade", "failed_rules")
        for y, a in sorted(annual.items())
    ]
    schema = {ORG: pl.String, "year": pl.Int32, "score": pl.Float64, "grade": pl.String, "failed_rules": pl.String}
    res = pl.concat(results) if results else pl.DataFrame(schema=schema)
    per_year = (
        res.with_columns(
            pl.col("failed_rules")
            .str.split(";")
            .list.eval(pl.element().filter((pl.element() != "") & (pl.element() != CADRE_RULE)))
        )
    )
    scored = pl.col("scored")
    return years.join(per_year, on=[ORG, "year"], how="left", maintain_order="left").with_columns(
        pl.when(scored).then(pl.col(c)).alias(c) for c in ("score", "grade", "failed_rules")
    )


def _summarise(
    spans: pl.DataFrame, years: pl.DataFrame, vetoes: pl.DataFrame, current: Assessment, rs: Ruleset
) -> pl.DataFrame:
    """The per-org term row: years and weights, term score and grade, term-wide training and veto."""
    scored = years.filter(pl.col("scored"))
    w, s = pl.col("weight"), pl.col("score")
    per_org = scored.group_by(ORG).agg(
        years_scored=pl.col("year"),
        year_weights=w,
        year_scores=s,
        term_score=scoring.round_half_up((w * s).sum() / w.sum(), 1),
    )
    failed_years = (
        scored.select(ORG, "year", "failed_rules")
        .explode("failed_rules")
        .drop_nulls("failed_rules")
        .group_by(ORG, maintain_order=True)
        .agg(failed_years=pl.format("{}:{}", "year", "failed_rules"))
    )
    unscored = years.filter(~pl.col("scored")).group_by(ORG).agg(years_unscored=pl.col("year"))
    all_years = years.group_by(ORG).agg(years=pl.col("year"))
    cadre = current.rules.filter(pl.col("rule_id") == CADRE_RULE).select(ORG, cadre_status=pl.col("status"))
    grade = scoring.grade_expr(rs)
    term_wide_fail = pl.col("cadre_status") == "fail"
    failed = pl.concat_list(
        pl.col("failed_years").fill_null([]),
        pl.when(term_wide_fail).then(pl.lit([f"{vocab.TERM_WIDE}:{CADRE_RULE}"])).otherwise(pl.lit([], pl.List(pl.String))),
    )
    has_term = pl.col("term_start").is_not_null()
    return (
        spans.join(all_years, on=ORG, how="left", maintain_order="left")
        .join(per_org, on=ORG, how="left", maintain_order="left")
        .join(failed_years, on=ORG, how="left", maintain_order="left")
        .join(unscored, on=ORG, how="left", maintain_order="left")
        .join(vetoes, on=ORG, how="left", maintain_order="left")
        .join(cadre, on=ORG, how="left", maintain_order="left")
        .with_columns(
            pl.when(has_term).then(pl.col("cadre_status")).alias("cadre_status"),
            vetoed=pl.col("veto_reasons").is_not_null(),
            veto_reasons=pl.col("veto_reasons").fill_null(""),
        )
        .with_columns(
            failed_list=pl.when(has_term).then(failed).otherwise(pl.lit([], pl.List(pl.String))),
            cadre_training=pl.col("cadre_status").replace_strict(vocab.STATUS_ZH, default=None),
        )
        .with_columns(n_failed=pl.col("failed_list").list.len(), score=pl.col("term_score"))
        .with_columns(
            term_grade=pl.when(pl.col("vetoed"))
            .then(pl.lit(scoring.UNQUALIFIED))
            .when(pl.col("term_score").is_not_null())
            .then(grade),
            failed_rules=pl.col("failed_list").list.join(";"),
        )
        .select(TERMS_COLUMNS)
    )


# ---------------------------------------------------------------------------------------------
# terms.csv layout
# ---------------------------------------------------------------------------------------------
def _joined(column: str, fmt: pl.Expr) -> pl.Expr:
    return pl.col(column).list.eval(fmt).list.join(";").fill_null("").alias(column)


def terms_table(ta: TermAssessment) -> pl.DataFrame:
    """The ``terms.csv`` layout (issue 16's contract): ISO dates (empty without an election), the Chinese
    org type and statuses, true/false flags, the year lists joined by ``;`` (weights to four decimals),
    the term score with one decimal."""
    weight = pl.element().round(4).cast(pl.String).str.replace(r"\.0$", "")
    return ta.terms.select(
        ORG,
        "name",
        pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
        "parent_id",
        pl.col("term_start").dt.strftime("%Y-%m-%d").fill_null(""),
        pl.col("term_due").dt.strftime("%Y-%m-%d").fill_null(""),
        "term_status",
        "report_due",
        _joined("years_scored", pl.element().cast(pl.String)),
        _joined("year_weights", weight),
        _joined("year_scores", pl.element().round(1).cast(pl.String)),
        pl.col("term_score").round(1).cast(pl.String).fill_null(""),
        pl.col("term_grade").fill_null(""),
        "vetoed",
        "veto_reasons",
        pl.col("cadre_training").fill_null(""),
        "failed_rules",
        "term_years",
        "days_left",
        _joined("years_unscored", pl.element().cast(pl.String)),
    ).select(TERMS_CSV_COLUMNS)
