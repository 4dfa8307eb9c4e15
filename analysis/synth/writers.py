"""The file writers: a sheet is canonical records plus the way they are spelled (headers, dates, aliases),
written as a workbook, GB18030 or UTF-8 CSV, a JSON array or Parquet.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal

import polars as pl
import xlsxwriter

from analysis.store import table_schema
from analysis.synth.city import _ORG_TYPE, _PLAIN_KIND, CITY, Record
from analysis.vocab import (
    ACTIVITY_KIND_ALIASES,
    ACTIVITY_KIND_ZH,
    INCIDENT_KIND_ZH,
    NO_WORDS,
    ORG_TYPE_ALIASES,
    ORG_TYPE_ZH,
    POLITICAL_THEORY_ALIASES,
    PROVENANCE,
    TABLES,
    YES_WORDS,
)

FileFormat = Literal["xlsx", "csv-gb18030", "csv-utf8", "csv-utf8-bom", "json", "parquet"]

_CREATED = datetime(2025, 1, 15, 9, 0, 0)  # fixed workbook property: files carry no clock time
_YES_ZH, _NO_ZH = "是", "否"
_YES_EN, _NO_EN = "yes", "no"
assert {_YES_ZH, _YES_EN} <= YES_WORDS and {_NO_ZH, _NO_EN} <= NO_WORDS


# ---------------------------------------------------------------------------------------------
# Files: a sheet is canonical records plus the way they are spelled.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Raw:
    """A value written verbatim, whatever the column (used for faults)."""

    value: str | int | float


@dataclass(frozen=True)
class _Style:
    lang: Literal["zh", "en"] = "zh"
    dates: tuple[str, ...] = ("iso",)  # drawn per cell: iso slash dot zh time midnight cell serial
    month: Literal["dash", "zh"] = "dash"
    headers: Literal["plain", "star", "spaced", "fullwidth", "upper"] = "plain"
    alias_rate: float = 0.0
    blank_no: bool = False  # 否 written as an empty cell where the contract allows it


@dataclass
class _Sheet:
    table: str
    columns: list[str]
    records: list[Record]
    style: _Style = field(default_factory=_Style)
    name: str = ""
    title: tuple[str, ...] = ()


@dataclass
class _File:
    path: str
    fmt: FileFormat
    sheets: list[_Sheet]

    def first_row(self, sheet: _Sheet) -> int:
        """The row number, as the user sees it, of the sheet's first record."""
        if self.fmt == "xlsx":
            return len(sheet.title) + 2
        return 2 if self.fmt.startswith("csv") else 1


def _header(table: str, column: str, style: _Style) -> str:
    col = TABLES[table].column(column)
    if style.lang == "en":
        text = col.name
        if style.headers == "upper":
            return text.upper()
        if style.headers == "fullwidth":
            return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)
        return f" {text} " if style.headers == "spaced" else text
    text = col.zh
    if style.headers == "star" and col.required:
        return text + "*"
    if style.headers == "fullwidth" and col.required:
        return text + "＊"
    if style.headers == "spaced":
        return f"{text[:2]} {text[2:]}" if len(text) > 3 else text + "\u3000"
    return text


def _type_mark(org_type: str) -> str:
    """The shortest Chinese spelling of an org type (党委, 总支, 支部): how a word names that type."""
    return min((a for a, t in ORG_TYPE_ALIASES.items() if t == org_type and not a.isascii()), key=len)


@cache
def _aliases(kind: str, key: str, org_type: str = "") -> tuple[str, ...]:
    """The other Chinese spellings the vocabulary accepts for org type or activity kind ``key``.

    Aliases that also set political_theory are left out: they are used only for political studies.  A
    committee meeting is spelled for the org that held it: 党委会 for a committee, 总支委员会 for a general
    branch, and for a branch any spelling that names no other type.
    """
    accepted, labels = (
        (ORG_TYPE_ALIASES, ORG_TYPE_ZH) if kind == "org_type" else (ACTIVITY_KIND_ALIASES, ACTIVITY_KIND_ZH)
    )
    spellings = [
        a
        for a, k in accepted.items()
        if k == key and not a.isascii() and a != labels[key] and a not in POLITICAL_THEORY_ALIASES
    ]
    if key == "committee_meeting" and org_type == "branch":
        others = [_type_mark(t) for t in ORG_TYPE_ZH if t != org_type]
        spellings = [a for a in spellings if not any(m in a for m in others)]
    elif key == "committee_meeting":
        spellings = [a for a in spellings if _type_mark(org_type) in a]
    return tuple(sorted(spellings))


@cache
def _kind_of(table: str, column: str) -> str:
    return TABLES[table].column(column).kind


def _render_date(d: date, how: str, rng: random.Random) -> object:
    if how == "cell":
        return d
    if how == "serial":
        return (d - date(1899, 12, 30)).days
    text = {
        "iso": f"{d:%Y-%m-%d}",
        "midnight": f"{d:%Y-%m-%d} 00:00:00",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "zh": f"{d.year}年{d.month}月{d.day}日",
    }.get(how)
    return text or f"{d.year}/{d.month}/{d.day}  {rng.randint(8, 17)}:{rng.choice((0, 15, 30, 45)):02d}"


def _render(sheet: _Sheet, rec: Record, column: str, rng: random.Random) -> object:
    """The cell value of one canonical value, as this sheet spells it (``None`` = empty cell)."""
    value, style = rec.get(column), sheet.style
    if isinstance(value, _Raw):
        return value.value
    if value is None:
        return None
    kind = _kind_of(sheet.table, column)
    en = style.lang == "en"
    if kind == "bool":
        if value:
            return _YES_EN if en else _YES_ZH
        return None if style.blank_no else _NO_EN if en else _NO_ZH
    if kind == "date":
        return _render_date(value, rng.choice(style.dates), rng)  # type: ignore[arg-type]
    if kind == "month":
        d: date = value  # type: ignore[assignment]
        return f"{d.year}-{d.month:02d}" if style.month == "dash" else f"{d.year}年{d.month}月"
    if en or kind not in ("org_type", "activity_kind", "incident_kind"):
        return value
    if kind == "incident_kind":
        return INCIDENT_KIND_ZH[value]  # type: ignore[index]
    # A political study is spelled 政治理论学习 when the file has no 政治理论 column to say so.
    if kind == "activity_kind" and rec.get("political_theory"):
        if rng.random() < style.alias_rate or "political_theory" not in sheet.columns:
            return min(POLITICAL_THEORY_ALIASES)
    aliases = _aliases(kind, value, str(rec.get(_ORG_TYPE, "")))  # type: ignore[arg-type]
    if kind == "org_type":  # the registry spells a type with a word of the org's name (机关党委)
        aliases = tuple(a for a in aliases if a in str(rec.get("name")))
    if aliases and not rec.get(_PLAIN_KIND) and rng.random() < style.alias_rate:
        return rng.choice(aliases)
    return (ORG_TYPE_ZH if kind == "org_type" else ACTIVITY_KIND_ZH)[value]  # type: ignore[index]


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else f"{cell:.2f}".rstrip("0")
    return str(cell)


def _write_file(root: Path, f: _File, rng: random.Random) -> None:
    path = root / f.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.fmt == "xlsx":
        _write_xlsx(path, f.sheets, rng)
        return
    (sheet,) = f.sheets
    headers = [_header(sheet.table, c, sheet.style) for c in sheet.columns]
    if f.fmt == "parquet":
        schema = _canonical_schema(sheet.table)
        frame = pl.DataFrame(
            {c: [rec.get(c) for rec in sheet.records] for c in sheet.columns},
            schema={c: schema[c] for c in sheet.columns},
        )
        frame.rename(dict(zip(sheet.columns, headers, strict=True))).write_parquet(path)
        return
    rows = [[_render(sheet, rec, c, rng) for c in sheet.columns] for rec in sheet.records]
    if f.fmt == "json":
        lines = (
            json.dumps(dict(zip(headers, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
            for row in rows
        )
        path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
        return
    encoding = {"csv-gb18030": "gb18030", "csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig"}[f.fmt]
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows([_text(cell) for cell in row] for row in rows)


def _write_xlsx(path: Path, sheets: Sequence[_Sheet], rng: random.Random) -> None:
    # in_memory: zip members get Excel's fixed 1980 timestamp rather than a local-time one.
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False, "in_memory": True})
    wb.set_properties({"created": _CREATED, "author": CITY})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name or None)
        width = max(len(sheet.columns), 2)
        for r, title in enumerate(sheet.title):
            ws.merge_range(r, 0, r, width - 1, title, title_fmt if r == 0 else None)
        top = len(sheet.title)
        for c, column in enumerate(sheet.columns):
            ws.write_string(top, c, _header(sheet.table, column, sheet.style), head_fmt)
        ws.set_column(0, width - 1, 14)
        for r, rec in enumerate(sheet.records, start=top + 1):
            for c, column in enumerate(sheet.columns):
                cell = _render(sheet, rec, column, rng)
                if cell is None:
                    continue
                if isinstance(cell, date):
                    ws.write_datetime(r, c, datetime.combine(cell, time()), date_fmt)
                elif isinstance(cell, bool | str):
                    ws.write_string(r, c, str(cell))
                else:
                    ws.write_number(r, c, cell)  # type: ignore[arg-type]
    wb.close()


def _canonical_schema(table: str) -> dict[str, pl.DataType]:
    """The store schema of ``table`` without provenance columns."""
    return {c: t for c, t in table_schema(table).items() if c not in PROVENANCE}


# ---------------------------------------------------------------------------------------------
# The output folder: both generators write into a new or empty one.
# ---------------------------------------------------------------------------------------------
def _prepare(out_dir: Path) -> Path:
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"输出文件夹不是空的：{out}（请指定一个新的或空的文件夹）")
    out.mkdir(parents=True, exist_ok=True)
    return out
