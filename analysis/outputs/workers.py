"""The excellent party-affairs workers' files: ``workers.csv`` (the machine contract of issue 17) and the
优秀党务工作者 sheet, written as its own workbook ``优秀党务工作者.xlsx`` beside it (and, by
:mod:`analysis.outputs.results`, as one more sheet of 考核结果.xlsx).

:func:`workers_sheet` gives the sheet as a frame with Chinese headers and Chinese values, so whoever
assembles a results workbook can place it as one more sheet; :func:`write_workers` writes both files
from the frame of :func:`analysis.decisions.workers.select_workers`.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import xlsxwriter

from analysis.outputs.tables import write_csv
from analysis.vocab import (
    ORG_TYPE_ZH,
    SECRETARY_CHECK_COLUMNS_ZH,
    SECRETARY_CHECK_SHEET,
    WORKER_COLUMNS_ZH,
    WORKER_ROLE_ZH,
    WORKERS_SHEET,
)

#: workers.csv: the columns issue 17 names exactly, then the org's and the worker's numbers
WORKERS_CSV_COLUMNS = (
    "member_id",
    "name",
    "org_id",
    "role",
    "eligible",
    "reasons",
    "rank",
    "selected",
    "org_name",
    "org_score",
    "study_days",
    "months_in_role",
    "p_selected",
    "rank_p05",
    "rank_p95",
    "label",
    "note",
    "warning",
)
#: the sheet's columns, in order (``org_advanced`` only when the advanced list was given)
SHEET_COLUMNS = (
    "rank",
    "name",
    "member_id",
    "role",
    "mode",
    "org_name",
    "org_id",
    "org_type",
    "org_score",
    "org_advanced",
    "study_days",
    "months_in_role",
    "since",
    "eligible",
    "reasons",
    "selected",
    "p_selected",
    "rank_p05",
    "rank_p95",
    "label",
    "note",
    "warning",
    "source",
)
_WIDE = {"reasons": 40, "note": 44, "warning": 44, "source": 30, "org_name": 22}
_YES_NO = {True: "是", False: "否"}


def _role_zh() -> pl.Expr:
    return pl.col("role").replace_strict(WORKER_ROLE_ZH, default=pl.col("role"))


def workers_table(selection: pl.DataFrame) -> pl.DataFrame:
    """The workers.csv layout: roles in Chinese, eligible/selected true/false, rank empty when not
    eligible, the org score with one decimal and the probability with three."""
    return selection.select(
        "member_id",
        "name",
        "org_id",
        _role_zh().alias("role"),
        "eligible",
        "reasons",
        "rank",
        "selected",
        "org_name",
        pl.col("org_score").round(1),
        "study_days",
        "months_in_role",
        pl.col("p_selected").round(3),
        "rank_p05",
        "rank_p95",
        "label",
        "note",
        "warning",
    )


def workers_sheet(selection: pl.DataFrame, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The 优秀党务工作者 sheet: every worker with Chinese headers and values (职务, 组织类型, 是/否, 入选概率
    as a percentage); ranks, scores, days and months stay numbers (null = empty cell), so a sheet sorts
    them as numbers.  ``columns`` (names of :func:`select_workers`' frame) picks and orders a subset,
    e.g. for a report table; by default every column of the sheet."""
    if columns is None:
        columns = tuple(
            c for c in SHEET_COLUMNS if c != "org_advanced" or selection["org_advanced"].is_not_null().any()
        )
    text = {
        "role": _role_zh(),
        "org_type": pl.col("org_type").replace_strict(ORG_TYPE_ZH, default=pl.col("org_type")),
        "org_score": pl.col("org_score").round(1),
        "since": pl.col("since").dt.strftime("%Y-%m-%d"),
        "p_selected": ((pl.col("p_selected") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%"),
        **{
            c: pl.col(c).replace_strict(_YES_NO, return_dtype=pl.String)
            for c in ("eligible", "selected", "org_advanced")
        },
    }
    return selection.select(text.get(c, pl.col(c)).alias(WORKER_COLUMNS_ZH[c]) for c in columns)


def secretary_sheet(checks: pl.DataFrame) -> pl.DataFrame:
    """The 名册书记核对 sheet: each org whose registry secretary the workers table contradicts."""
    return checks.select(pl.col(c).fill_null("").alias(zh) for c, zh in SECRETARY_CHECK_COLUMNS_ZH.items())


def _write_sheet(wb: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, widths: dict[str, int]) -> None:
    """A sheet of ``frame``: a bold header row, frozen, filtered; numbers as numbers, empty values as
    empty cells, and all text written as strings so that nothing from the input can become a formula."""
    ws = wb.add_worksheet(name)
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "valign": "top"})
    cell = wb.add_format({"text_wrap": True, "valign": "top"})
    number = wb.add_format({"valign": "top", "num_format": "0.##"})
    for c, h in enumerate(frame.columns):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, widths.get(h, max(8, len(h) * 2 + 2)))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value, number)
            else:
                ws.write_string(r, c, str(value), cell)
    ws.freeze_panes(1, 0)
    if frame.width:
        ws.autofilter(0, 0, max(frame.height, 1), frame.width - 1)


def write_workers(
    selection: pl.DataFrame, out_dir: str | os.PathLike[str], checks: pl.DataFrame | None = None
) -> dict[str, Path]:
    """Write ``workers.csv`` and ``优秀党务工作者.xlsx`` (the sheet, and 名册书记核对 when ``checks`` — the
    frame of :func:`~analysis.decisions.workers.secretary_checks` — has rows) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "workers.csv", "xlsx": out / f"{WORKERS_SHEET}.xlsx"}
    write_csv(workers_table(selection), paths["csv"])
    widths = {WORKER_COLUMNS_ZH[c]: w for c, w in _WIDE.items()}
    wb = xlsxwriter.Workbook(str(paths["xlsx"]))
    try:
        _write_sheet(wb, WORKERS_SHEET, workers_sheet(selection), widths)
        if checks is not None and checks.height:
            _write_sheet(wb, SECRETARY_CHECK_SHEET, secretary_sheet(checks), {"组织名称": 22, "数据提示": 56})
    finally:
        wb.close()
    return paths
