"""待办事项.xlsx: the to-do notices of a mid-year assessment, one sheet per top-level org — its orgs' open
duties of the year (analysis/decisions/todo.py: ``todo_rows``) and, when any of its orgs was weak last
year, the 整改跟踪 table under them (``followup``).  A title and a line on how to read the colours, a
frozen, filterable header, fitted widths, A4 landscape; every text cell written as a string.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import xlsxwriter

from analysis import vocab
from analysis.decisions.todo import day_text
from analysis.outputs.excel import sheet_name
from analysis.outputs.sheets import TableFormats, print_setup, write_table

TODO_SHOWN = ("org_id", "name", "title", "colour_zh", "todo", "deadline", "done", "required", "note")
FOLLOWUP_SHOWN = ("org_id", "name", "reason", "status", "detail")


def _unit_sheet(wb: xlsxwriter.Workbook, fmt: TableFormats, top: dict, todo: pl.DataFrame, follow: pl.DataFrame,
                year: int, as_of: str, used: set[str]) -> None:
    ws = wb.add_worksheet(sheet_name(top["org_id"], top["name"], used))
    title = vocab.TODO_TITLE.format(name=top["name"], org_id=top["org_id"], year=year, as_of=as_of)
    bold = wb.add_format({"bold": True, "font_size": 14})
    ws.write_string(0, 0, title, bold)
    intro = vocab.TODO_INTRO if todo.height else vocab.TODO_NOTHING
    ws.merge_range(1, 0, 1, len(TODO_SHOWN) - 1, intro.format(as_of=as_of), wb.add_format({"text_wrap": True, "valign": "top"}))
    ws.set_row(1, 32)
    shown = todo.with_columns(pl.col("deadline").map_elements(day_text, return_dtype=pl.String)).select(TODO_SHOWN)
    r = write_table(ws, shown, [vocab.TODO_COLUMNS_ZH[c] for c in TODO_SHOWN], fmt, first_row=3,
                    formats={"done": "General", "required": "General"}, freeze_columns=2)
    if follow.height:
        r += 1
        ws.write_string(r, 0, vocab.FOLLOWUP_TITLE.format(year=year - 1), wb.add_format({"bold": True, "font_size": 12}))
        r += 1
        for c, col in enumerate(FOLLOWUP_SHOWN):
            ws.write_string(r, c, vocab.FOLLOWUP_COLUMNS_ZH[col], fmt.head)
        for row in follow.select(FOLLOWUP_SHOWN).iter_rows():
            r += 1
            for c, v in enumerate(row):
                ws.write_string(r, c, v or "", fmt.text)
    print_setup(ws, title, repeat=(3, 3))


def write_todo(todo: pl.DataFrame, follow: pl.DataFrame, scores: pl.DataFrame, year: int, as_of: str,
               path: str | os.PathLike[str]) -> Path:
    """Write 待办事项.xlsx: a sheet per top-level org of ``scores`` (code order), even when nothing is owed
    (the sheet says so).  ``todo`` and ``follow`` as :func:`analysis.decisions.todo.todo_rows` and
    :func:`~analysis.decisions.todo.followup` give them (with ``top_id``)."""
    path = Path(path)
    tops = scores.filter(pl.col("parent_id").is_null()).sort("org_id")
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        fmt, used = TableFormats(wb), set()
        for top in tops.iter_rows(named=True):
            mine = pl.col("top_id") == top["org_id"]
            _unit_sheet(wb, fmt, top, todo.filter(mine), follow.filter(mine), year, as_of, used)
    finally:
        wb.close()
    return path
