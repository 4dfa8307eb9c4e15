"""The result tables for people: the Assessment's frames with the items' Chinese names beside their ids,
是/否 for yes/no, Chinese org types and statuses, and the headers people read (``vocab.RESULT_HEADERS``).

Used by both workbooks (自评分表.xlsx's 汇总, 考核结果.xlsx), so that a header or an item name is looked up
in one place.
"""

from __future__ import annotations

import polars as pl

from analysis import vocab
from analysis.assess import ORG, Assessment
from analysis.scoring import OUT_OF_SCOPE, SCORES_COLUMNS

#: the 考核得分 sheet and the 汇总 of 自评分表.xlsx: one row per org (Assessment.scores without its count)
SUMMARY_COLUMNS = tuple(c for c in SCORES_COLUMNS if c != "n_failed")
RULE_COLUMNS = (
    ORG,
    "name",
    "rule_id",
    "clause",
    "title",
    "category",
    "status",
    "measured",
    "required",
    "measured_value",
    "required_value",
    "points",
    "earned",
    "evidence_rows",
)
PACE_COLUMNS = (
    ORG,
    "name",
    "org_type",
    "rule_id",
    "title",
    "done",
    "required",
    "remaining",
    "rate_needed",
    "colour",
    "note",
)


def headers(columns: list[str] | tuple[str, ...]) -> list[str]:
    """The Chinese headers of result columns (``vocab.RESULT_HEADERS``, the one place they live); a
    column already named in Chinese (a sheet made by its own room, e.g. 优秀党务工作者) stays as it is."""
    return [vocab.RESULT_HEADERS.get(c, c) for c in columns]


def failed_names(series: pl.Series, ruleset) -> pl.Series:
    """A ``failed_rules`` column (``edu.x;org.y``) as the items' Chinese names, 、-joined in rubric order."""
    mapping = {v: ruleset.item_names(v) for v in series.drop_nulls().unique().to_list()}
    return series.replace_strict(mapping, default=None, return_dtype=pl.String)


def for_people(df: pl.DataFrame) -> pl.DataFrame:
    """Yes/no columns as 是/否 and org types in Chinese; everything else as it is."""
    return df.with_columns(
        *(
            pl.when(pl.col(c)).then(pl.lit(vocab.YES)).when(~pl.col(c)).then(pl.lit(vocab.NO)).alias(c)
            for c, t in df.schema.items()
            if t == pl.Boolean
        ),
        *(
            [pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type"))]
            if "org_type" in df.columns
            else []
        ),
    )


def summary_frame(a: Assessment) -> pl.DataFrame:
    """One row per org (:data:`SUMMARY_COLUMNS`), for people: the 考核得分 sheet and 自评分表's 汇总."""
    df = a.scores.select(SUMMARY_COLUMNS)
    return for_people(df.with_columns(failed_names(df["failed_rules"], a.ruleset)))


def rules_frame(a: Assessment) -> pl.DataFrame:
    """One row per org × item (:data:`RULE_COLUMNS`): the item's clause and Chinese name beside its id,
    statuses in Chinese, no points earned shown for items that are not scored."""
    items = pl.DataFrame(
        {
            "rule_id": [r.rule_id for r in a.ruleset.items],
            "clause": [r.clause for r in a.ruleset.items],
            "title": [r.title_zh for r in a.ruleset.items],
        },
        schema={"rule_id": pl.String, "clause": pl.String, "title": pl.String},
    )
    return (
        a.rules.join(items, on="rule_id", how="left", maintain_order="left")
        .join(a.scores.select(ORG, "name"), on=ORG, how="left", maintain_order="left")
        .with_columns(
            pl.when(~pl.col("status").is_in(OUT_OF_SCOPE)).then(pl.col("earned")).alias("earned"),
            pl.col("status").replace_strict(vocab.STATUS_ZH, default=pl.col("status")),
        )
        .select(RULE_COLUMNS)
    )


def pace_frame(pace: pl.DataFrame) -> pl.DataFrame:
    """The pace rows (:data:`PACE_COLUMNS`) with Chinese colours and org types, numbers as numbers."""
    return for_people(pace.with_columns(pl.col("colour_zh").alias("colour")).select(PACE_COLUMNS))
