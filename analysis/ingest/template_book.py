"""A filled-in 台账模板 (analysis/outputs/templates.py) coming back: its data sheets are read like any
export, with no profile, and two things are done first.

- Its 填写说明 and hidden 选项 sheets are not read (instructions and drop-down lists, not records), nor are
  data sheets left with their header alone (nothing to report; not a refused sheet).  The workbook is
  recognised by the title on the first cell of 填写说明 (``vocab.TEMPLATE_TITLE``).
- A row whose 组织编码 is not one of the unit's own codes (the 选项 sheet's first column, as the template
  was written) is refused with the reason ``other_unit``, even when the code is in the registry: a unit
  reports its own orgs only.  Codes unknown to the registry are refused later as usual.
"""

from __future__ import annotations

import re

import polars as pl

from analysis.ingest.readers import FAULT_SCHEMA, RawSheet, title_pattern
from analysis.vocab import (
    PROV_ROW,
    TABLES,
    TEMPLATE_GUIDE_SHEET,
    TEMPLATE_LIST_SHEET,
    TEMPLATE_TITLE,
    normalize_header,
)

_TITLE = title_pattern(TEMPLATE_TITLE)
_ORG_HEADER = normalize_header(TABLES["orgs"].column("org_id").zh)


def _first_cell(sheet: RawSheet) -> str:
    if sheet.data.height == 0 or sheet.data.width == 0:
        return ""
    v = sheet.data.row(0)[0]
    return "" if v is None else str(v).strip()


def is_template(sheets: list[RawSheet]) -> bool:
    """Whether the workbook is a 台账模板: a 填写说明 sheet whose first cell is the template's title."""
    return any(s.sheet == TEMPLATE_GUIDE_SHEET and _TITLE.match(_first_cell(s)) for s in sheets)


def _own_codes(sheets: list[RawSheet]) -> set[str] | None:
    for s in sheets:
        if s.sheet == TEMPLATE_LIST_SHEET and s.data.width:
            values = s.data.get_column(s.data.columns[0]).drop_nulls().to_list()[1:]
            return {str(v).strip() for v in values if str(v).strip()}
    return None


def _code(v: object) -> str:
    s = "" if v is None else str(v).strip()
    return re.sub(r"^(\d+)\.0+$", r"\1", s)


def _other_unit_faults(sheet: RawSheet, own: set[str]) -> RawSheet:
    """``sheet`` with an ``other_unit`` fault on the 组织编码 cell of every row holding a code not in ``own``."""
    if sheet.data.height < 2:
        return sheet
    header = [normalize_header(v) for v in sheet.data.row(0)]
    if _ORG_HEADER not in header:
        return sheet
    col = sheet.data.columns[header.index(_ORG_HEADER)]
    codes = sheet.data.get_column(col).to_list()[1:]
    rows = sheet.rows.to_list()[1:]
    bad = [r for r, c in zip(rows, codes, strict=True) if _code(c) and _code(c) not in own]
    if not bad:
        return sheet
    faults = pl.DataFrame({PROV_ROW: bad, "column": [col] * len(bad), "code": ["other_unit"] * len(bad)}, schema=FAULT_SCHEMA)
    sheet.faults = pl.concat([sheet.faults, faults])
    return sheet


def returned_template(sheets: list[RawSheet]) -> list[RawSheet]:
    """``sheets`` of a 台账模板 without its 填写说明 and 选项 sheets, rows of another unit's codes marked;
    any other workbook unchanged."""
    if not is_template(sheets):
        return sheets
    own = _own_codes(sheets)
    # a data sheet left as written (the header alone) is a table the org had nothing to report in
    kept = [s for s in sheets if s.sheet not in (TEMPLATE_GUIDE_SHEET, TEMPLATE_LIST_SHEET) and s.data.height > 1]
    return kept if own is None else [_other_unit_faults(s, own) for s in kept]
