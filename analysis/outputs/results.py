"""The office versions of the results: ``考核结果.xlsx`` beside the CSV contracts.

The CSVs (scores.csv, rules.csv, advanced.csv, weak.csv, pace.csv) keep their exact columns for tools.
People get the same tables in one workbook, a sheet each (考核得分, 逐项结果, 先进推荐, 后进排查, and 进度预警
when the as-of date lies inside the year): Chinese headers (``vocab.RESULT_HEADERS``), the items' Chinese
names from the ruleset (the rule id kept in its own 规则编号 column, where a tool might join on it),
是/否 for yes/no, failed items by name, numbers as numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import xlsxwriter

from analysis import vocab
from analysis.assess import Assessment
from analysis.decisions import advanced_table, pace_table, weak_table
from analysis.outputs.people import for_people, headers, pace_frame, rules_frame, summary_frame
from analysis.outputs.sheets import (
    GENERAL,
    MAX_SHEET_ROWS,
    PERCENT,
    TableFormats,
    print_setup,
    write_table,
)
from analysis.outputs.tables import write_csv
from analysis.outputs.workers import workers_sheet

RESULTS_WORKBOOK = "考核结果.xlsx"
#: number formats that differ from the defaults (whole numbers 0, decimals 0.0)
FORMATS = {
    "p_selected": PERCENT,
    "measured_value": GENERAL,
    "required_value": GENERAL,
    "rate_needed": "0.00",
}


def office_tables(
    a: Assessment,
    advanced: pl.DataFrame,
    weak: pl.DataFrame,
    pace: pl.DataFrame | None = None,
    workers: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """The sheets of 考核结果.xlsx by sheet name, in order; 进度预警 only when ``pace`` is given,
    优秀党务工作者 only when ``workers`` (the frame of ``decisions.workers.select_workers``) is."""
    frames = {
        "scores": summary_frame(a),
        "rules": rules_frame(a),
        "advanced": for_people(advanced_table(advanced)),
        "weak": for_people(weak_table(weak)),
    }
    if pace is not None:
        frames["pace"] = pace_frame(pace)
    if workers is not None:
        frames["workers"] = workers_sheet(workers)
    return {vocab.RESULT_SHEETS[k]: df for k, df in frames.items()}


def write_results_workbook(
    a: Assessment, tables: dict[str, pl.DataFrame], path: str | os.PathLike[str]
) -> Path:
    """Write ``tables`` (sheet name → frame of result columns) into one workbook, each a table sheet
    with a frozen, filterable header, fitted widths and the A4 print set-up; a sheet longer than Excel
    allows is continued in 逐项结果2, ….  Returns ``path``."""
    path = Path(path)
    big = sum(df.height for df in tables.values()) > 200_000
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": big}
    )
    try:
        fmt = TableFormats(wb)
        for name, df in tables.items():
            for part, start in enumerate(range(0, max(df.height, 1), MAX_SHEET_ROWS), start=1):
                sheet = name if part == 1 else f"{name}{part}"
                ws = wb.add_worksheet(sheet)
                write_table(
                    ws, df.slice(start, MAX_SHEET_ROWS), headers(df.columns), fmt, formats=FORMATS, freeze_columns=2
                )
                print_setup(ws, f"{a.year} 年度{sheet}（截止 {a.as_of}）", repeat=(0, 0))
    finally:
        wb.close()
    return path


def write_results(
    a: Assessment,
    out_dir: str | os.PathLike[str],
    advanced: pl.DataFrame,
    weak: pl.DataFrame,
    pace: pl.DataFrame | None = None,
    workers: pl.DataFrame | None = None,
) -> list[Path]:
    """Write the decision contracts (advanced.csv, weak.csv, pace.csv when ``pace`` is given) and
    考核结果.xlsx, the office version of those and of scores.csv and rules.csv (with the 优秀党务工作者
    sheet when ``workers`` is given).  Returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "advanced.csv", out / "weak.csv"]
    write_csv(advanced_table(advanced), written[0])
    write_csv(weak_table(weak), written[1])
    if pace is not None:
        written.append(out / "pace.csv")
        write_csv(pace_table(pace), written[-1])
    tables = office_tables(a, advanced, weak, pace, workers)
    written.append(write_results_workbook(a, tables, out / RESULTS_WORKBOOK))
    return written
