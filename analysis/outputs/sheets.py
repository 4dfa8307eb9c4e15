"""What makes an xlsx sheet ready to hand in, shared by 自评分表.xlsx and 考核结果.xlsx: column widths fitted
to Chinese text, a table written with a frozen, filterable header, and the print set-up (A4, fit to the
page width, header row repeated on every page, a page header and page numbers).

Widths count display cells the way a terminal does (``rich.cells.cell_len``: a CJK character is 2, a
Latin letter 1), which is also how Excel and WPS measure a column of the default font.  Every text cell
is written with ``write_string`` so nothing from the input can become a formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from rich.cells import cell_len
from xlsxwriter.workbook import Workbook

#: Excel's last row is 1,048,576; a sheet is continued in a new one before this many rows
MAX_SHEET_ROWS = 1_000_000
#: A4 in Excel's paper codes
PAPER_A4 = 9
#: the number format of scores and points: one decimal (``0.##`` shows 92 as “92.” in Excel and WPS)
ONE_DECIMAL = "0.0"
WHOLE = "0"
PERCENT = "0.0%"
GENERAL = "General"
#: widths (in character cells) a fitted column stays within; longer text wraps
MIN_WIDTH, MAX_WIDTH = 6, 50
#: page footer: 第 1 页，共 3 页
PAGE_FOOTER = "&C第 &P 页，共 &N 页"
#: points per line of 10-point text, and the cell's padding: the height of a row whose text wraps is set
#: (Excel fits such rows itself when it opens a file, LibreOffice and WPS often do not, and a printed
#: cell would lose its second line)
LINE_HEIGHT, ROW_PADDING = 13.5, 3.0


def text_width(value: object) -> int:
    """Display width of ``value`` in character cells: CJK characters count 2; of several lines, the longest."""
    if value is None:
        return 0
    return max((cell_len(line) for line in str(value).splitlines()), default=0)


def lines_needed(text: object, width: float) -> int:
    """How many lines ``text`` takes in a wrapping cell ``width`` characters wide (CJK counted as 2)."""
    usable = max(1.0, width - 1)
    return sum(max(1, math.ceil(text_width(p) / usable)) for p in str(text).split("\n"))


def row_height(lines: int) -> float:
    """The height in points of a row of ``lines`` lines of 10-point text."""
    return LINE_HEIGHT * lines + ROW_PADDING


def fit_width(values: Iterable[object], header: str = "", lo: int = MIN_WIDTH, hi: int = MAX_WIDTH) -> int:
    """The column width that shows the widest of ``values`` and ``header`` (plus a margin of 2), kept
    within ``lo``–``hi``."""
    widest = max((text_width(v) for v in (header, *values)), default=0)
    return max(lo, min(hi, widest + 2))


def _shown(series: pl.Series, num_format: str) -> list[object]:
    """The distinct values of a column as a person sees them in the cell (numbers formatted)."""
    values = series.drop_nulls().unique()
    if series.dtype.is_numeric():
        decimals = {ONE_DECIMAL: 1, WHOLE: 0, PERCENT: 1, "0.00": 2}.get(num_format)
        if num_format == PERCENT:
            values = values * 100
        if decimals is not None:
            return [f"{v:.{decimals}f}{'%' if num_format == PERCENT else ''}" for v in values.to_list()]
        return [f"{v:g}" for v in values.to_list()]
    return values.cast(pl.String).to_list()


def escape_header(text: str) -> str:
    """``text`` safe inside an Excel page header (``&`` starts a code there)."""
    return text.replace("&", "&&")


def print_setup(ws: Any, header: str, repeat: tuple[int, int] | None, landscape: bool = True) -> None:
    """A4, fitted to one page wide, rows ``repeat`` printed at the top of every page, ``header`` centred
    in the page header and the page number in the footer."""
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.set_header(f"&C{escape_header(header)}"[:255])
    ws.set_footer(PAGE_FOOTER)
    if repeat is not None:
        ws.repeat_rows(*repeat)


class TableFormats:
    """The cell formats of a table sheet: a header row, text, and a format per number format (made
    when first asked for)."""

    CELL = {"border": 1, "valign": "top", "font_size": 10}

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.head = wb.add_format(
            {**self.CELL, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"}
        )
        self.text = wb.add_format({**self.CELL, "text_wrap": True})
        self._numbers: dict[str, Any] = {}

    def number(self, num_format: str) -> Any:
        if num_format not in self._numbers:
            self._numbers[num_format] = self.wb.add_format({**self.CELL, "num_format": num_format})
        return self._numbers[num_format]


def number_format(dtype: pl.DataType, column: str, overrides: dict[str, str]) -> str:
    """The number format of a column: as ``overrides`` says, else whole numbers ``0`` and decimals ``0.0``."""
    if column in overrides:
        return overrides[column]
    return WHOLE if dtype.is_integer() else ONE_DECIMAL


def write_table(
    ws: Any,
    df: pl.DataFrame,
    headers: Sequence[str],
    fmt: TableFormats,
    first_row: int = 0,
    formats: dict[str, str] | None = None,
    freeze_columns: int = 0,
) -> int:
    """Write ``df`` under a header row at ``first_row``: header frozen, autofilter over the table,
    widths fitted, numbers with their formats (``formats`` by column, else :func:`number_format`).
    Returns the next free row."""
    formats = formats or {}
    kinds, wrapping = [], {}
    for c, (name, dtype) in enumerate(df.schema.items()):
        nf = number_format(dtype, name, formats) if dtype.is_numeric() else ""
        kinds.append(fmt.number(nf) if nf else None)
        width = fit_width(_shown(df[name], nf), headers[c])
        ws.set_column(c, c, width)
        if width >= MAX_WIDTH and not nf:
            wrapping[c] = width
    for c, h in enumerate(headers):
        ws.write_string(first_row, c, h, fmt.head)
    r = first_row + 1
    for row in df.iter_rows():
        lines = max((lines_needed(row[c], w) for c, w in wrapping.items() if row[c]), default=1)
        if lines > 1:
            ws.set_row(r, row_height(lines))
        for c, v in enumerate(row):
            if v is None or v == "":
                ws.write_blank(r, c, None, kinds[c] or fmt.text)
            elif kinds[c] is None:
                ws.write_string(r, c, str(v), fmt.text)
            else:
                ws.write_number(r, c, v, kinds[c])
        r += 1
    ws.freeze_panes(first_row + 1, freeze_columns)
    ws.autofilter(first_row, 0, max(first_row, r - 1), len(headers) - 1)
    return r
