"""The CSV contracts people read: ``scores.csv`` and ``rules.csv``, and :func:`write_outputs`, which writes
them with ``自评分表.xlsx`` for one assessment.

Files are UTF-8 with BOM so Excel opens them in Chinese.  Org types, statuses and grades are written as
the Chinese words users know; cells that came from input data and could be read as a formula are written
as text (:func:`as_text_cell`).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from analysis import vocab
from analysis.assess import ORG, Assessment
from analysis.outputs.excel import write_self_assessment
from analysis.rules.measures import num

SCORES_CSV_COLUMNS = (
    ORG,
    "name",
    "org_type",
    "parent_id",
    "score",
    "applicable_points",
    "grade",
    "qualified",
    "vetoed",
    "failed_rules",
)
RULES_CSV_COLUMNS = (
    ORG,
    "rule_id",
    "status",
    "measured",
    "required",
    "points",
    "earned",
    "evidence_rows",
    "measured_value",
    "required_value",
)
#: a text cell starting with one of these would be read as a formula by a spreadsheet
FORMULA_START = r"^[=+\-@\t\r]"


def as_text_cell(column: str) -> pl.Expr:
    """Column ``column`` with a single quote prefixed to any text a spreadsheet would read as a
    formula (starting with = + - @ tab or CR)."""
    e = pl.col(column)
    return pl.when(e.str.contains(FORMULA_START)).then(pl.lit("'") + e).otherwise(e).alias(column)


def scores_table(a: Assessment) -> pl.DataFrame:
    """The scores.csv layout: Chinese org types and grades, score with one decimal."""
    return a.scores.select(
        ORG,
        "name",
        pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type")),
        "parent_id",
        pl.col("score").round(1).cast(pl.String),
        num(pl.col("applicable_points")).alias("applicable_points"),
        "grade",
        "qualified",
        "vetoed",
        "failed_rules",
    )


def rules_table(a: Assessment) -> pl.DataFrame:
    """The rules.csv layout: Chinese statuses, points as written; then the measured and required
    numbers behind the texts, unrounded, for analysts (empty where a rule has none)."""
    return a.rules.select(
        ORG,
        "rule_id",
        pl.col("status").replace_strict(vocab.STATUS_ZH, default=pl.col("status")),
        "measured",
        "required",
        num(pl.col("points")).alias("points"),
        num(pl.col("earned")).alias("earned"),
        "evidence_rows",
        "measured_value",
        "required_value",
    )


def write_csv(df: pl.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a table for people: UTF-8 with BOM (Excel then reads the Chinese correctly), empty text
    as an empty field, and every text cell that a spreadsheet would take for a formula quoted."""
    text = [c for c, t in df.schema.items() if t == pl.String]
    df.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(as_text_cell(c)).alias(c) for c in text
    ).write_csv(path, include_bom=True)


def write_outputs(
    assessment: Assessment, out_dir: str | os.PathLike[str], xlsx: bool = True
) -> dict[str, Path]:
    """Write ``scores.csv``, ``rules.csv`` (UTF-8 with BOM) and ``自评分表.xlsx`` into ``out_dir``.

    Returns the paths written, by short name (``scores``, ``rules``, ``xlsx``).  ``xlsx=False`` skips
    the workbook, which for very many orgs is the slow part.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"scores": out / "scores.csv", "rules": out / "rules.csv"}
    write_csv(scores_table(assessment), paths["scores"])
    write_csv(rules_table(assessment), paths["rules"])
    if xlsx:
        paths["xlsx"] = out / "自评分表.xlsx"
        write_self_assessment(assessment, paths["xlsx"])
    return paths
