"""Readers: one file in, a list of raw sheets out — strings as the user typed them, with row numbers.

Every reader returns :class:`RawSheet` objects whose ``data`` holds the cells *as text* (so `000123`
stays `000123`) in columns named by position, and whose ``rows`` are the row numbers a person sees:
the Excel row, the text-editor line of a CSV record, or the record number of a JSON/Parquet file.
Parquet keeps its own typed columns (the fast path for large machine exports).

A file that cannot be read raises :class:`FileRefused` with a reason code from ``vocab.REASONS``.  What a
reader finds wrong with single cells or lines (an Excel error value, a formula never calculated, a CSV line
whose quote is never closed) goes into ``RawSheet.faults``: those rows are refused at validation.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.ingest.xlsx_cells import (
    date1904,
    error_text,
    first_value_column,
    sheet_members,
    uncached_formulas,
)
from analysis.vocab import PROV_ROW, normalize_header

SUPPORTED = (".xlsx", ".xlsm", ".xls", ".csv", ".json", ".parquet")


@dataclass(frozen=True)
class Limits:
    """Size limits that protect the ingest from hostile or broken files (all configurable)."""

    max_file_bytes: int = 512 * 1024 * 1024  #: a larger file is refused unread
    max_cell_chars: int = 32_767  #: Excel's own cell limit; a longer cell refuses the file
    max_xlsx_uncompressed: int = 1024 * 1024 * 1024  #: zip-bomb guard: total inflated size of a workbook
    max_xlsx_ratio: int = 200  #: zip-bomb guard: inflated/compressed ratio of any one member
    max_rows: int = 5_000_000  #: rows per text/Excel sheet (Parquet is not limited)
    max_columns: int = 1_000  #: columns per sheet; a wider one is not a register
    max_seconds_per_file: float = 120.0  #: wall-clock budget to read and prepare one file (checks run per run of files)
    header_scan_rows: int = 20  #: the header must appear within the first rows
    #: a number of larger magnitude is refused as 不是有效数字: 2**53, the largest whole number a float holds
    #: exactly (far past any count, score or amount of money the tables hold)
    max_number: float = float(2**53)


class FileRefused(Exception):
    """The whole file (or sheet) is refused; ``code`` is a key of ``vocab.REASONS``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass
class RawSheet:
    """One table-shaped block of cells as read from a file.

    ``data`` has String columns ``c0..cN`` holding every row of the sheet *including* title and header
    rows (for text formats), or the typed columns of a Parquet/JSON file with ``header`` given.
    ``rows`` is the user-visible row number of each row of ``data``.
    """

    sheet: str
    data: pl.DataFrame
    rows: pl.Series
    header: list[str] | None = None  #: known header (JSON/Parquet); None = find it in the rows
    excel_path: Path | None = None  #: the workbook, for cell formats the values alone do not carry
    #: cells and lines refused by the reader: ``_row``, ``column`` (c0..cN, "" for the whole line), ``code``
    faults: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FAULT_SCHEMA))
    date1904: bool = False  #: the workbook counts date serials from 1904-01-01 (Mac Excel)
    text: bool = False  #: a CSV: every line is a record, and a line longer than its header is an error


FAULT_SCHEMA: dict[str, pl.DataType] = {PROV_ROW: pl.Int64(), "column": pl.String(), "code": pl.String()}
_NO_FAULTS = pl.DataFrame(schema=FAULT_SCHEMA)


def title_pattern(template: str) -> re.Pattern[str]:
    """A whole-line pattern of the titles the workbench writes from ``template`` (a ``vocab`` title with
    ``{name}``, ``{org_id}`` and ``{year}``): the name matches anything (it may itself hold brackets), the
    org code and the year are the groups ``org_id`` and ``year`` — how a returned workbook of ours is known."""
    return re.compile(
        "^"
        + re.escape(template)
        .replace(re.escape("{name}"), ".*")
        .replace(re.escape("{org_id}"), "(?P<org_id>[^（）]+)")
        .replace(re.escape("{year}"), r"(?P<year>\d{4})")
        + "$"
    )


def _faults(rows: list[int], columns: list[str], codes: list[str]) -> pl.DataFrame:
    if not rows:  # most sheets: one empty frame for all (frames are not changed in place)
        return _NO_FAULTS
    return pl.DataFrame({PROV_ROW: rows, "column": columns, "code": codes}, schema=FAULT_SCHEMA)


def read_file(path: Path, limits: Limits) -> list[RawSheet]:
    """Read ``path`` into raw sheets, or raise :class:`FileRefused`."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise FileRefused("unsupported_format", suffix or path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused("unreadable", exc.strerror or str(exc)) from exc
    if size == 0:
        raise FileRefused("empty_file")
    if size > limits.max_file_bytes:
        raise FileRefused("file_too_large", f"{size} 字节，上限 {limits.max_file_bytes} 字节")
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return _read_excel(path, limits)
        if suffix == ".csv":
            return [_read_csv(path, limits)]
        if suffix == ".json":
            return [_read_json(path, limits)]
        return [_read_parquet(path)]
    except FileRefused:
        raise
    except OSError as exc:  # vanished, permission denied, I/O error mid-read
        raise FileRefused("unreadable", exc.strerror or str(exc)) from exc
    except RecursionError as exc:  # nesting deeper than any parser's stack: the file cannot be parsed
        raise FileRefused("too_deep") from exc


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------
def _check_zip(path: Path, limits: Limits) -> None:
    """Refuse zip bombs before the Excel reader inflates anything."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 1024 * 1024 and ratio > limits.max_xlsx_ratio:
                    raise FileRefused("file_too_large", f"压缩比异常（{info.filename} 解压后 {info.file_size} 字节）")
            if total > limits.max_xlsx_uncompressed:
                raise FileRefused("file_too_large", f"解压后 {total} 字节，上限 {limits.max_xlsx_uncompressed} 字节")
    except zipfile.BadZipFile as exc:
        raise FileRefused("bad_excel", _excel_hint(path)) from exc


def _excel_hint(path: Path) -> str:
    """Say what an unreadable workbook really is, when its first bytes tell."""
    try:
        head = path.read_bytes()[:8]
    except OSError:
        return ""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "文件为旧版或加密的Office格式，请用Excel另存为 .xlsx"
    if head.startswith(b"PK"):
        return "文件不完整或已损坏"
    return "文件内容不是Excel格式（可能是改了扩展名的文本文件），请另存为 .xlsx 或 .csv"


def _read_excel(path: Path, limits: Limits) -> list[RawSheet]:
    import fastexcel

    xml = path.suffix.lower() != ".xls"  # .xlsx/.xlsm: a zip of XML parts, looked into for formulas
    if xml:
        _check_zip(path, limits)
    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own error classes for every corrupt input
        raise FileRefused("bad_excel", _excel_hint(path)) from exc
    with zipfile.ZipFile(path) if xml else contextlib.nullcontext() as zf:
        members = sheet_members(zf) if zf else {}
        epoch1904 = date1904(zf) if zf else False
        sheets = [_excel_sheet(reader, name, limits, zf, members.get(name)) for name in names]
    for sheet in sheets:
        sheet.excel_path = path if xml else None
        sheet.date1904 = epoch1904
    return sheets


def _excel_sheet(reader, name: str, limits: Limits, zf: zipfile.ZipFile | None, member: str | None) -> RawSheet:  # type: ignore[no-untyped-def]
    """One sheet as text; error cells and uncalculated formulas keep what Excel shows (``#DIV/0!``,
    ``=SUM(B2:B9)``) and are listed in ``faults``."""
    try:
        loaded = reader.load_sheet(name, header_row=None, skip_rows=[], dtypes="string", n_rows=limits.max_rows + 50)
        batch, errors = loaded.to_arrow_with_errors()
        df = pl.from_arrow(batch)
    except Exception as exc:
        raise FileRefused("bad_excel", f"工作表“{name}”无法读取") from exc
    assert isinstance(df, pl.DataFrame)
    if df.width > limits.max_columns:
        raise FileRefused("file_too_large", f"工作表“{name}”有 {df.width} 列，上限 {limits.max_columns} 列")
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    found: list[tuple[int, int, str, str]] = []  # (row index, column index, reason code, what Excel shows)
    for err in errors.errors if errors is not None else []:
        text = error_text(err.detail)
        if text is not None:
            found.append((err.position[0], err.position[1], "error_cell", text))
    formulas = uncached_formulas(zf, member) if zf is not None and member else []
    if formulas:
        first = df.with_row_index("i").filter(pl.col("c0").is_not_null())["i"].first() if df.width else None
        col0 = (first_value_column(zf, member, int(first) + 1) if first is not None else None) or 0
        found += [(r - 1, c - col0, "uncached_formula", f) for r, c, f in formulas if 0 <= c - col0 < df.width]
    df = _overlay(df, found)
    if _most_bytes(batch) > limits.max_cell_chars or any(len(text) > limits.max_cell_chars for *_, text in found):
        _check_cells(df, limits)  # else no cell can be too long: it has no more characters than bytes
    return RawSheet(
        sheet=name,
        data=df,
        rows=pl.Series("_row", range(1, df.height + 1), dtype=pl.Int64),
        faults=_faults([r + 1 for r, _, _, _ in found], [f"c{c}" for _, c, _, _ in found], [k for _, _, k, _ in found]),
    )


def _overlay(df: pl.DataFrame, cells: list[tuple[int, int, str, str]]) -> pl.DataFrame:
    """``df`` with the text of each (row, column, _, text) cell put in (rows past the end are added)."""
    if not cells:
        return df
    last = max(r for r, _, _, _ in cells)
    if last >= df.height:  # a row of uncalculated formulas only: the reader saw nothing there
        df = pl.concat([df, pl.DataFrame({c: [None] * (last + 1 - df.height) for c in df.columns}, schema=df.schema)])
    by_col: dict[int, list[tuple[int, str]]] = {}
    for r, c, _, text in cells:
        by_col.setdefault(c, []).append((r, text))
    return df.with_columns(
        df[f"c{c}"].scatter([r for r, _ in cells_], [t for _, t in cells_]) for c, cells_ in by_col.items()
    )


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------
def decode_text(raw: bytes, kind: str = "CSV") -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312).

    A file whose lines are partly UTF-8 and partly GBK (two exports pasted together) is refused:
    decoding it as either would garble half of it silently.  UTF-16 and UTF-32 (what Excel's "Unicode
    text" gives) are named as such, with what to do (``kind`` is the format the user should save as).
    """
    wide = _wide_encoding(raw)
    if wide:
        raise FileRefused("bad_encoding", f"文件为 {wide} 编码，请另存为 UTF-8 或 GBK 编码的 {kind}")
    if b"\x00" in raw:
        raise FileRefused("bad_encoding", "文件含有空字节（NUL），可能是二进制文件")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8_lines = 0
    for line in raw.splitlines():
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            continue
    if utf8_lines:
        raise FileRefused("bad_encoding", "同一文件中混用了UTF-8和GBK两种编码，请统一另存为UTF-8")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRefused("bad_encoding") from exc


def _wide_encoding(raw: bytes) -> str | None:
    """"UTF-32" or "UTF-16" when ``raw`` is text in that encoding (a byte-order mark, or without one the
    start decodes to text with line breaks or commas and no NUL); else None."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    head = raw[:4096]
    if b"\x00" not in head:
        return None
    for enc, name, unit in (("utf-32-le", "UTF-32", 4), ("utf-32-be", "UTF-32", 4), ("utf-16-le", "UTF-16", 2), ("utf-16-be", "UTF-16", 2)):
        try:
            text = head[: len(head) // unit * unit].decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and ("\n" in text or "," in text):
            return name
    return None


def _read_csv(path: Path, limits: Limits) -> RawSheet:
    text = decode_text(path.read_bytes())
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(limits.max_cell_chars + 1)
    lines = io.StringIO(text, newline="").readlines()
    records, rows, stray = _csv_records(lines, delimiter, limits)
    width = max((len(r) for r in records), default=0)
    if width > limits.max_columns:
        raise FileRefused("file_too_large", f"{width} 列，上限 {limits.max_columns} 列")
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in records] for i in range(width)}
    df = pl.DataFrame(cols, schema={c: pl.String for c in cols})
    faults = _faults(stray, [""] * len(stray), ["unclosed_quote"] * len(stray))
    return RawSheet(sheet="", data=df, rows=pl.Series("_row", rows, dtype=pl.Int64), faults=faults, text=True)


def _csv_records(lines: list[str], delimiter: str, limits: Limits) -> tuple[list[list[str]], list[int], list[int]]:
    """The non-empty records of a CSV file, the line each starts on, and the lines whose quote is never
    closed.

    A quoted cell may span lines (an address, a note).  But a record spanning lines whose field count
    differs from the usual one of the lines before it, or that is not well formed (it runs to the end of
    the file inside its quote, or its closing quote is followed by more text), is a stray quote that
    swallowed the lines after it: its first line is refused on its own
    (split at the delimiter, so the reject shows its cells) and reading starts again on the next line,
    so every following line is read as itself.
    """
    records: list[list[str]] = []
    rows: list[int] = []
    stray: list[int] = []
    widths: Counter[int] = Counter()  # field counts of the one-line records so far
    pos = 0
    while True:
        bad = None
        for first, last, rec in _parse_lines(lines, pos, delimiter, limits):
            if rec is None or (last > first and _swallowed(lines, first, last, rec, widths, delimiter)):
                bad = first
                break
            if last == first:
                widths[len(rec)] += 1
            if len(records) > limits.max_rows + 50:
                raise FileRefused("file_too_large", f"超过 {limits.max_rows} 行")
            if any(cell.strip() for cell in rec):
                records.append(rec)
                rows.append(first)
        if bad is None:
            return records, rows, stray
        stray.append(bad)
        records.append(lines[bad - 1].rstrip("\r\n").split(delimiter))
        rows.append(bad)
        pos = bad  # go on with the line after the stray quote's


def _swallowed(lines: list[str], first: int, last: int, rec: list[str], widths: Counter[int], delimiter: str) -> bool:
    """True when the record on lines ``first``..``last`` is a stray quote that swallowed lines."""
    if widths and len(rec) != widths.most_common(1)[0][0]:
        return True
    return _malformed(lines[first - 1 : last], delimiter)


def _parse_lines(lines: list[str], pos: int, delimiter: str, limits: Limits) -> Iterator[tuple[int, int, list[str] | None]]:
    """(first line, last line, fields) of each record from line ``pos + 1`` on; fields None for a record
    that overflowed the cell limit across lines after a quote opened on its first line."""
    reader = csv.reader(itertools.islice(lines, pos, None), delimiter=delimiter)
    start = pos + 1
    try:
        for rec in reader:
            yield start, pos + reader.line_num, rec
            start = pos + reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            if pos + reader.line_num > start and lines[start - 1].count('"') % 2:
                yield start, pos + reader.line_num, None  # the quote swallowed the lines after it
                return
            raise FileRefused("cell_too_large", f"第 {start} 行附近，超过 {limits.max_cell_chars} 个字符") from exc
        raise FileRefused("unreadable", f"第 {start} 行：{exc}") from exc


def _malformed(lines: list[str], delimiter: str) -> bool:
    """True when the record made of ``lines`` is not well-formed CSV: it ends inside a quoted cell, or
    text follows a closing quote."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# JSON and Parquet: headers are the keys / column names.
# ---------------------------------------------------------------------------------------------
def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _read_json(path: Path, limits: Limits) -> RawSheet:
    text = decode_text(path.read_bytes(), "JSON")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FileRefused("bad_json", str(exc)) from exc
    if isinstance(data, dict):  # {"records": [...]} or {"data": [...]}: take the one list of records
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise FileRefused("bad_json", "顶层应为记录数组 [ {…}, {…} ]")
    if not data:
        raise FileRefused("header_only")
    keys: list[str] = []
    for rec in data:
        for k in rec:
            if k not in keys:
                keys.append(k)
    cols = {f"c{i}": [_cell_text(rec.get(k)) for rec in data] for i, k in enumerate(keys)}
    df = pl.DataFrame(cols, schema={c: pl.String for c in cols})
    _check_cells(df, limits)
    return RawSheet(sheet="", data=df, rows=pl.Series("_row", range(1, len(data) + 1), dtype=pl.Int64), header=keys)


def _read_parquet(path: Path) -> RawSheet:
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # polars raises ComputeError/OSError variants for corrupt files
        raise FileRefused("bad_parquet", str(exc).splitlines()[0] if str(exc) else "") from exc
    header = list(df.columns)
    df = df.rename({c: f"c{i}" for i, c in enumerate(header)})
    return RawSheet(sheet="", data=df, rows=pl.Series("_row", range(1, df.height + 1), dtype=pl.Int64), header=header)


def _most_bytes(batch) -> int:  # type: ignore[no-untyped-def]
    """The most bytes of any text cell of an Arrow record batch (as the Excel reader hands it over)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    most = 0
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            most = max(most, pc.max(pc.binary_length(col)).as_py() or 0)
    return most


def _check_cells(df: pl.DataFrame, limits: Limits) -> None:
    string_cols = [c for c, t in df.schema.items() if t == pl.String]
    if not string_cols or df.height == 0:
        return
    # a cell has no more characters than bytes: the bytes (known without reading the text) mostly settle it
    most_bytes = df.select(pl.max_horizontal(pl.col(string_cols).str.len_bytes().max())).item()
    if most_bytes is None or most_bytes <= limits.max_cell_chars:
        return
    longest = df.select(pl.max_horizontal(pl.col(string_cols).str.len_chars()).max()).item()
    if longest is not None and longest > limits.max_cell_chars:
        raise FileRefused("cell_too_large", f"超过 {limits.max_cell_chars} 个字符")


def header_cells(values: list[object]) -> list[str]:
    """Normalised header texts of a row (see ``vocab.normalize_header``)."""
    return [normalize_header(v) for v in values]


def zero_padded_widths(path: Path, sheet: str, header_row: int, header_text: str) -> dict[int, int]:
    """Excel rows (1-based) -> width, for cells under ``header_text`` that hold a *number* shown with a
    zero-padded format such as ``000000``: the value 123 is then the code ``000123`` on screen.

    Only called when a code column holds digits of uneven width, so the slower cell-format read is rare.
    """
    import re

    from openpyxl import load_workbook

    out: dict[int, int] = {}
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        col_idx = None
        for row in ws.iter_rows(min_row=header_row, max_row=header_row):
            for cell in row:
                if cell.value is not None and normalize_header(cell.value) == normalize_header(header_text):
                    col_idx = cell.column
                    break
        if col_idx is None:
            return out
        for row in ws.iter_rows(min_row=header_row + 1, min_col=col_idx, max_col=col_idx):
            cell = row[0]
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                fmt = cell.number_format or ""
                if re.fullmatch(r"0{2,}", fmt):
                    out[cell.row] = len(fmt)
    finally:
        wb.close()
    return out
