"""The workbench's own 自评分表.xlsx returned by an org with its 自查得分 column filled in, read as the
自评得分 table (DATA.md, "自评得分").

The workbook is recognised by its layout (analysis/outputs/excel.py): a header row holding
``vocab.SELF_ASSESSMENT_HEADERS`` and, above each org's table, the title line
``vocab.SELF_SHEET_TITLE`` naming the org's code and the year.  A sheet per org and a sheet per unit (the
orgs' tables one after another) read alike: each item row under a title becomes one row
``org_id, year, item, score`` — the item as printed in the 项目 column (``条款 名称``, which the
self-check resolves against the ruleset), the score as typed in 自查得分, the Excel row number kept.
Rows whose 自查得分 is empty or reads 不适用/无数据 claim nothing and are left out; the category rows and
the 合计 row are not items.  The 汇总 sheet of such a workbook is the workbench's own summary, not an
org's claim, and is not read.  Any other workbook passes through unchanged.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest.readers import RawSheet, title_pattern
from analysis.vocab import (
    NOT_SCORED,
    SELF_ASSESSMENT_HEADERS,
    SELF_SCORES,
    SELF_SHEET_SUMMARY,
    SELF_SHEET_TITLE,
    SELF_SHEET_TOTAL,
    STATUS_ZH,
    normalize_header,
)

_HEADER = [normalize_header(h) for h in SELF_ASSESSMENT_HEADERS]
_ITEM, _POINTS, _CLAIM = 0, SELF_ASSESSMENT_HEADERS.index("标准分"), SELF_ASSESSMENT_HEADERS.index("自查得分")
#: the title line, its org code and year as groups
_TITLE = title_pattern(SELF_SHEET_TITLE)
#: what a 自查得分 cell holds when the item claims nothing
_NO_CLAIM = frozenset({"", NOT_SCORED, STATUS_ZH["not_applicable"], STATUS_ZH["no_data"]})


def _header_at(sheet: RawSheet, scan: int) -> int | None:
    """Index of the row that is the self-scoring table's header, within the first ``scan`` rows."""
    if sheet.header is not None or sheet.data.width < len(_HEADER):
        return None
    for i, row in enumerate(sheet.data.head(scan).rows()):
        if [normalize_header(v) for v in row[: len(_HEADER)]] == _HEADER:
            return i
    return None


def is_self_sheet(sheet: RawSheet, scan: int = 20) -> bool:
    """Whether ``sheet`` has the layout of the workbench's 自评分表."""
    return _header_at(sheet, scan) is not None


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def read_self_sheet(sheet: RawSheet) -> RawSheet:
    """The claims of a 自评分表 sheet as a 自评得分 table (a :class:`RawSheet` with its header given)."""
    org_id = year = None
    found: dict[str, list[str | None]] = {c.name: [] for c in SELF_SCORES.columns}
    rows: list[int] = []
    for row, number in zip(sheet.data.rows(), sheet.rows.to_list(), strict=True):
        first = _text(row[_ITEM])
        title = _TITLE.match(first)
        if title:
            org_id, year = title["org_id"], title["year"]
            continue
        points, claim = _text(row[_POINTS]), _text(row[_CLAIM])
        if org_id is None or not points or first in ("", SELF_SHEET_TOTAL) or claim in _NO_CLAIM:
            continue  # before the first title, a category row, the total row, or nothing claimed
        if normalize_header(first) == _HEADER[0]:
            continue  # a repeated header row
        for name, value in zip(found, (org_id, year, first, claim), strict=True):
            found[name].append(value)
        rows.append(number)
    data = pl.DataFrame({f"c{i}": v for i, v in enumerate(found.values())}, schema={f"c{i}": pl.String for i in range(4)})
    return RawSheet(
        sheet=sheet.sheet,
        data=data,
        rows=pl.Series("_row", rows, dtype=pl.Int64),
        header=[c.zh for c in SELF_SCORES.columns],
    )


def returned_self_scores(sheets: list[RawSheet], scan: int = 20) -> list[RawSheet]:
    """``sheets`` with every 自评分表 sheet read as the 自评得分 table; when the workbook is a 自评分表,
    its 汇总 sheet is dropped (the workbench's own summary).  Other workbooks come back unchanged."""
    marks = [is_self_sheet(s, scan) for s in sheets]
    if not any(marks):
        return sheets
    return [
        read_self_sheet(s) if mark else s
        for s, mark in zip(sheets, marks, strict=True)
        if mark or s.sheet != SELF_SHEET_SUMMARY
    ]
