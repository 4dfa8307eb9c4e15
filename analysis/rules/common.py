"""What every measure's result is made of: the result and evidence columns, the tolerance and period
words the measures share, and the small expression helpers that build a result frame.

Each measure returns one row per registry org with :data:`RESULT_COLUMNS` (built with :func:`result` or
:func:`binary_result`) and its source rows as :data:`EVIDENCE_COLUMNS`; scoring, pace and the reports
read these names from here.
"""

from __future__ import annotations

import math

import polars as pl

from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET

ORG = "org_id"
#: the org's row number in ``Context.orgs`` (which is sorted by org_id): an integer key every result
#: frame carries, so assembling and scoring 21 × N results sorts and groups integers, not code strings
ORG_INDEX = "_oi"
#: columns of every measure's result frame, in order (deduction columns follow)
RESULT_COLUMNS = (
    ORG,
    ORG_INDEX,
    "org_type",
    "is_top",
    "status",
    "measured_value",
    "required_value",
    "ratio",
    "measured",
    "required",
    "evidence_rows",
)
EVIDENCE_COLUMNS = (ORG, "rule_id", "table", PROV_FILE, PROV_SHEET, PROV_ROW)
EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    ORG: pl.String(),
    "rule_id": pl.String(),
    "table": pl.String(),
    PROV_FILE: pl.String(),
    PROV_SHEET: pl.String(),
    PROV_ROW: pl.Int64(),
}
WARNING_SCHEMA: dict[str, pl.DataType] = {ORG: pl.String(), "rule_id": pl.String(), "message": pl.String()}
#: numbers compared with a threshold get this tolerance, so 24 half days make 12 days
EPS = 1e-9
#: the Chinese name of a period of n months
PERIOD_ZH = {1: "月", 2: "双月", 3: "季度", 4: "四个月", 6: "半年", 12: "年"}


# ---------------------------------------------------------------------------------------------
# Small expression helpers.
# ---------------------------------------------------------------------------------------------
def _evidence(lf: pl.LazyFrame, table: str) -> pl.LazyFrame:
    return lf.select(ORG, pl.lit(table).alias("table"), PROV_FILE, PROV_SHEET, PROV_ROW)


def num_text(x: float) -> str:
    """:func:`num` of one number, in Python: 12 not 12.0, 2.5, at most two decimals (half away from 0)."""
    r = math.copysign(math.floor(abs(x) * 100 + 0.5), x) / 100
    return str(int(r)) if r == int(r) else repr(r)


def num(e: pl.Expr) -> pl.Expr:
    """A number as text the way people write it: 12 not 12.0, 2.5, at most two decimals."""
    r = e.cast(pl.Float64).round(2, mode="half_away_from_zero")
    return pl.when(r == r.round(0)).then(r.cast(pl.Int64).cast(pl.String)).otherwise(r.cast(pl.String))


def day(e: pl.Expr) -> pl.Expr:
    return e.dt.strftime("%Y-%m-%d")


def ratio(n: pl.Expr, required: pl.Expr) -> pl.Expr:
    """n / required, with a requirement of 0 counting as fully met."""
    return pl.when(required > 0).then(n.cast(pl.Float64) / required).otherwise(1.0)


def passfail(ok: pl.Expr) -> pl.Expr:
    return pl.when(ok).then(pl.lit("pass")).otherwise(pl.lit("fail"))


def result(
    lf: pl.LazyFrame,
    *,
    status: pl.Expr,
    measured_value: pl.Expr,
    required_value: pl.Expr,
    ratio: pl.Expr,
    measured: pl.Expr,
    required: pl.Expr,
    evidence_rows: pl.Expr,
    **extra: pl.Expr,
) -> pl.LazyFrame:
    """Select the standard result columns (and any deduction columns) from a per-org frame."""
    return lf.select(
        ORG,
        ORG_INDEX,
        "org_type",
        "is_top",
        status.alias("status"),
        measured_value.cast(pl.Float64).alias("measured_value"),
        required_value.cast(pl.Float64).alias("required_value"),
        ratio.cast(pl.Float64).fill_null(0.0).alias("ratio"),
        measured.fill_null("").alias("measured"),
        required.fill_null("").alias("required"),
        evidence_rows.cast(pl.Int64).alias("evidence_rows"),
        *(e.cast(pl.Float64).alias(k) for k, e in extra.items()),
    )


def binary_result(
    lf: pl.LazyFrame, ok: pl.Expr, *, measured: pl.Expr, required: pl.Expr, evidence_rows: pl.Expr
) -> pl.LazyFrame:
    """:func:`result` of a yes/no rule: measured 1 or 0 against a required 1, all or nothing."""
    return result(
        lf,
        status=passfail(ok),
        measured_value=ok.cast(pl.Float64),
        required_value=pl.lit(1.0),
        ratio=ok.cast(pl.Float64),
        measured=measured,
        required=required,
        evidence_rows=evidence_rows,
    )
