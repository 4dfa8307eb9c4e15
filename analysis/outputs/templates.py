"""台账模板: one workbook per top-level org to fill in during the year (DATA.md, "Templates sent to the
orgs"; ``workbench template``).

Each workbook ``<组织名称>_<组织编码>.xlsx`` holds a 填写说明 sheet first (what each table is for, the
assessment items that use it, what to write in each column, one example row, the unit's orgs with their
names, the activity kinds and their other spellings), then one data sheet per table of
:data:`vocab.TEMPLATE_TABLES` that the contract has (党务工作者 only when ``vocab.TABLES`` holds it), each
with the DATA.md Chinese headers in row 1 and nothing below, and a hidden 选项 sheet holding the
drop-down lists.  Data sheets: a frozen header; 组织编码 and 党员编号 formatted as text (leading zeros
survive); date cells formatted ``yyyy-mm-dd`` (months ``yyyy-mm``); drop-downs (Excel data validation,
which WPS honours) on 组织编码 (the unit's own codes), 活动类型, 职务, 专兼职 and the 是/否 columns; number
checks on counts, days and amounts; widths fitted to the header and the widest choice.  The examples live
in 填写说明 only, so nothing but the org's own rows is ever ingested; ingest recognises the workbook by the
title on 填写说明 and reads neither that sheet nor 选项 (analysis/ingest/self_sheet.py).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from analysis import vocab
from analysis.filenames import safe_filename
from analysis.outputs.sheets import lines_needed, row_height, text_width
from analysis.rules.registry import lookup
from analysis.scoring import ancestors, top_ids

#: data-validation rows of each data sheet below the header [default]
TEMPLATE_ROWS = 2000
DATE_FORMAT, MONTH_FORMAT, TEXT_FORMAT = "yyyy-mm-dd", "yyyy-mm", "@"
#: the widest a data column grows (Excel character units)
MAX_WIDTH = 40
#: the widths of the 填写说明 sheet's three columns
GUIDE_WIDTHS = (22, 12, 90)
W = vocab.TEMPLATE_WORDS


def template_tables() -> list[vocab.Table]:
    """The contract tables a template holds, in sheet order (only those ``vocab.TABLES`` has)."""
    return [vocab.TABLES[n] for n in vocab.TEMPLATE_TABLES if n in vocab.TABLES]


def units(orgs: pl.DataFrame) -> list[tuple[dict[str, Any], pl.DataFrame]]:
    """Each top-level org (no parent) with its unit's orgs (itself and every org below it), by code."""
    tops = top_ids(orgs, ancestors(orgs))
    with_top = orgs.join(tops, on="org_id", how="left").sort("org_id")
    out = []
    for top in with_top.filter(pl.col("parent_id").is_null()).iter_rows(named=True):
        out.append((top, with_top.filter(pl.col("top_id") == top["org_id"])))
    return out


def template_path(out: Path, top: dict[str, Any]) -> Path:
    name = safe_filename(f"{top['name']}_{top['org_id']}", default=top["org_id"])
    return out / f"{name}.xlsx"


def _rules_using(ruleset: Any, table: str) -> str:
    """The assessment items whose measure reads ``table`` (条款 名称, in rubric order)."""
    names = []
    for r in ruleset.items:
        spec = lookup(r.rule_id)
        if spec is not None and table in spec.tables:
            names.append(f"{r.clause} {r.title_zh}")
    return W["rules"] + "、".join(names) if names else W["rules_none"]


def _note(table: vocab.Table, column: vocab.Column) -> str:
    notes = vocab.TEMPLATE_COLUMN_NOTES
    text = notes.get(f"{table.name}.{column.name}") or notes.get(column.name) or notes.get(column.kind, notes["text"])
    return text.format(roles="、".join(vocab.WORKER_ROLE_ZH.values()))


class _Book:
    """One template workbook: its formats, the hidden list sheet and the ranges the drop-downs use."""

    def __init__(self, wb: xlsxwriter.Workbook, unit: pl.DataFrame) -> None:
        self.wb = wb
        self.f_head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center", "valign": "vcenter"})
        self.f_title = wb.add_format({"bold": True, "font_size": 14})
        self.f_section = wb.add_format({"bold": True, "font_size": 11, "bg_color": "#F2F2F2"})
        self.f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.f_text = wb.add_format({"num_format": TEXT_FORMAT})
        self.f_date = wb.add_format({"num_format": DATE_FORMAT})
        self.f_month = wb.add_format({"num_format": MONTH_FORMAT})
        self.unit = unit
        #: the drop-down lists, in the columns of the 选项 sheet
        self.choices: dict[str, list[str]] = {
            "org_id": unit["org_id"].to_list(),
            "org_name": unit["name"].to_list(),
            "activity_kind": list(vocab.ACTIVITY_KIND_ZH.values()),
            "bool": [vocab.YES, vocab.NO],
            "worker_role": list(vocab.WORKER_ROLE_ZH.values()),
            "mode": list(vocab.WORKER_MODES),
        }
        #: list -> its range on the 选项 sheet (``='选项'!$A$2:$A$9``), as a drop-down's source
        self.lists: dict[str, str] = {}
        for c, (key, values) in enumerate(self.choices.items()):
            first, last = xl_rowcol_to_cell(1, c, True, True), xl_rowcol_to_cell(max(len(values), 1), c, True, True)
            self.lists[key] = f"='{vocab.TEMPLATE_LIST_SHEET}'!{first}:{last}"

    def list_sheet(self) -> None:
        """The hidden 选项 sheet: a column per drop-down list under a title that names no contract column."""
        ws = self.wb.add_worksheet(vocab.TEMPLATE_LIST_SHEET)
        for c, (values, head) in enumerate(zip(self.choices.values(), vocab.TEMPLATE_LISTS, strict=True)):
            ws.write_string(0, c, head, self.f_head)
            for r, v in enumerate(values, start=1):
                ws.write_string(r, c, str(v), self.f_text)
            ws.set_column(c, c, max(text_width(head), *(text_width(v) for v in values)) + 2)
        ws.hide()

    def _pick(self, ws: Any, col: int, key: str, title: str, message: str, error: str) -> None:
        ws.data_validation(1, col, TEMPLATE_ROWS, col, {
            "validate": "list", "source": self.lists[key], "input_title": title[:32], "input_message": message[:255],
            "error_title": title[:32], "error_message": error[:255],
        })  # fmt: skip

    def _validate(self, ws: Any, table: vocab.Table, col: int, column: vocab.Column, year: int) -> None:
        """The drop-down or value check of one data column."""
        if column.name == "org_id":
            self._pick(ws, col, "org_id", column.zh, W["pick_code"], W["bad_code"])
        elif column.kind == "activity_kind":
            self._pick(ws, col, "activity_kind", column.zh, W["pick"], W["bad_pick"])
        elif column.kind == "worker_role":
            self._pick(ws, col, "worker_role", column.zh, W["pick"], W["bad_pick"])
        elif column.kind == "bool":
            self._pick(ws, col, "bool", column.zh, W["pick"], W["bad_pick"])
        elif table.name == "party_workers" and column.name == "mode":
            self._pick(ws, col, "mode", column.zh, W["pick"], W["bad_pick"])
        elif column.kind in ("int", "float"):
            low = 0.0 if not (table.name == "study" and column.name == "days") else 0.01
            rule = {"validate": "integer" if column.kind == "int" else "decimal", "criteria": ">=", "value": low}
            if low:
                rule = {"validate": "decimal", "criteria": "between", "minimum": low, "maximum": 31}
            ws.data_validation(1, col, TEMPLATE_ROWS, col, {
                **rule, "error_title": column.zh, "error_message": W["days" if low else "number"],
            })  # fmt: skip
        elif column.kind == "date" and table.name in ("activities", "study", "dues"):
            ws.data_validation(1, col, TEMPLATE_ROWS, col, {
                "validate": "date", "criteria": "between", "minimum": date(year, 1, 1), "maximum": date(year + 1, 12, 31),
                "error_type": "warning", "error_title": W["date_title"], "error_message": W["date_outside"].format(year=year),
            })  # fmt: skip

    def data_sheet(self, table: vocab.Table, year: int) -> None:
        """One table's sheet: the header, column formats, drop-downs, a frozen header row."""
        ws = self.wb.add_worksheet(table.zh)
        for c, column in enumerate(table.columns):
            ws.write_string(0, c, column.zh, self.f_head)
            fmt = {"code": self.f_text, "date": self.f_date, "month": self.f_month}.get(column.kind)
            if column.kind == "text":
                fmt = self.f_text
            wide = self.choices.get(column.name if column.name == "org_id" else column.kind, [])
            width = max(text_width(column.zh) + 4, *(text_width(v) + 4 for v in wide), 12 if fmt is self.f_date else 8)
            ws.set_column(c, c, min(MAX_WIDTH, width), fmt)
            self._validate(ws, table, c, column, year)
        ws.freeze_panes(1, 0)
        ws.set_row(0, 20)


def _guide(b: _Book, top: dict[str, Any], year: int, ruleset: Any) -> None:
    """The 填写说明 sheet: title, what to do, per table its use, columns and one example; the unit's orgs;
    the activity kinds with their other spellings."""
    ws = b.wb.add_worksheet(vocab.TEMPLATE_GUIDE_SHEET)
    for c, w in enumerate(GUIDE_WIDTHS):
        ws.set_column(c, c, w)
    ws.set_paper(9)  # A4, one page wide
    ws.fit_to_pages(1, 0)
    ws.write_string(0, 0, vocab.TEMPLATE_TITLE.format(name=top["name"], org_id=top["org_id"], year=year), b.f_title)
    ws.set_row(0, 24)

    def line(r: int, text: str, fmt: Any) -> None:  # a merged row as tall as its wrapped text
        ws.merge_range(r, 0, r, 2, text, fmt)
        lines = lines_needed(text, sum(GUIDE_WIDTHS))
        if lines > 1:
            ws.set_row(r, row_height(lines))

    line(1, vocab.TEMPLATE_INTRO, b.f_wrap)
    r = 3
    below = b.unit.filter(pl.col("org_id") != top["org_id"])["org_id"]
    example_org = below[0] if below.len() else top["org_id"]  # an org below the top, as most rows are
    for n, table in enumerate(template_tables(), start=1):
        line(r, W["section"].format(n=_chinese_number(n), table=table.zh), b.f_section)
        line(r + 1, vocab.TEMPLATE_PURPOSE_ZH.get(table.name, ""), b.f_wrap)
        line(r + 2, _rules_using(ruleset, table.name), b.f_wrap)
        r += 3
        for c, h in enumerate((W["column"], W["need"], W["how"])):
            ws.write_string(r, c, h, b.f_head)
        r += 1
        for column in table.columns:
            ws.write_string(r, 0, column.zh)
            ws.write_string(r, 1, W["required"] if column.required else W["optional"])
            note = _note(table, column)
            ws.write_string(r, 2, note, b.f_wrap)
            if lines_needed(note, GUIDE_WIDTHS[2]) > 1:
                ws.set_row(r, row_height(lines_needed(note, GUIDE_WIDTHS[2])))
            r += 1
        example = vocab.TEMPLATE_EXAMPLES.get(table.name)
        if example:
            cells = [v.format(org_id=example_org, year=year, year_before=year - 1) for v in example]
            shown = "｜".join(f"{c.zh} {v}" for c, v in zip(table.columns, cells, strict=True) if v)
            line(r, W["example"] + shown, b.f_wrap)
            r += 1
        r += 1
    line(r, W["orgs"], b.f_section)
    r += 1
    for c, h in enumerate((W["org_code"], W["org_type"], W["org_name"])):
        ws.write_string(r, c, h, b.f_head)
    for org in b.unit.iter_rows(named=True):
        r += 1
        ws.write_string(r, 0, org["org_id"], b.f_text)
        ws.write_string(r, 1, vocab.ORG_TYPE_ZH.get(org["org_type"], org["org_type"] or ""))
        ws.write_string(r, 2, org["name"])
    r += 2
    line(r, W["kinds"], b.f_section)
    r += 1
    for c, h in enumerate((W["kind"], "", W["aliases"])):
        ws.write_string(r, c, h, b.f_head)
    for kind, zh in vocab.ACTIVITY_KIND_ZH.items():
        r += 1
        others = [a for a, k in vocab.ACTIVITY_KIND_ALIASES.items() if k == kind and a not in (zh, kind)]
        ws.write_string(r, 0, zh)
        ws.write_string(r, 2, "、".join(others))
    ws.activate()


def _chinese_number(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def write_template(top: dict[str, Any], unit: pl.DataFrame, year: int, ruleset: Any, path: str | os.PathLike[str]) -> Path:
    """Write one unit's 台账模板 to ``path``."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    try:
        b = _Book(wb, unit)
        _guide(b, top, year, ruleset)
        for table in template_tables():
            b.data_sheet(table, year)
        b.list_sheet()
    finally:
        wb.close()
    return path


def write_templates(orgs: pl.DataFrame, year: int, out: str | os.PathLike[str], ruleset: Any) -> list[Path]:
    """One 台账模板 per top-level org of the registry ``orgs`` into ``out``; returns the paths (code order)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_template(top, unit, year, ruleset, template_path(out, top)) for top, unit in units(orgs)]
