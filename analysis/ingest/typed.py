"""The typed fast path: a large Parquet table whose columns already have the store's types is checked,
not converted.

:func:`analysis.ingest.validate.parse_sheet` converts every cell of a large sheet from what a user may have
typed (Chinese dates, 是/否, full-width digits, aliases of kinds) — right for a spreadsheet, but a machine
export in Parquet (a province's study records: millions of rows a file) usually holds Date, Float64 and
already-clean String columns.  For such a table :func:`parse_typed` gives exactly what ``parse_sheet``
would, with far less work:

- a String column (codes, text, kinds) is cleaned on its *distinct* values only, and used as it is when
  every distinct value is its own cleaned form (NFKC, stripped, not blank) with no error;
- a typed column (Date, numbers, Boolean) gets only the checks that can fail for it — its range, a
  negative or non-finite number, the days of a study row — as min/max reductions, with no error code
  per cell;
- required columns must hold no null (so no row is empty either).

Anything else — a cell the conversion would change or refuse, a profile, reader faults, a repeated
header, a column of another type — and ``parse_typed`` returns None: the file then takes the general
path, so every reject keeps its row, column and reason as before.  The hook is one line in
:func:`analysis.ingest.file._read_one_unlimited`.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest.columns import DATE_MAX, DATE_MIN, parse_column
from analysis.ingest.readers import Limits, RawSheet
from analysis.ingest.validate import Parsed, Recognised, _to_schema
from analysis.store import REJECTS_SCHEMA
from analysis.vocab import POLITICAL_THEORY_ALIASES, PROV_FILE, PROV_ROW, PROV_SHEET, Column

#: sheets of at least this many rows are tried on the typed path (smaller ones are cheap either way)
TYPED_ROWS = 100_000

#: the source type that needs no conversion, by column kind
_TYPED: dict[str, pl.DataType] = {
    "code": pl.String(),
    "text": pl.String(),
    "org_type": pl.String(),
    "activity_kind": pl.String(),
    "incident_kind": pl.String(),
    "worker_role": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.Date(),
    "month": pl.Date(),
    "bool": pl.Boolean(),
    "year": pl.Int64(),
}


def parse_typed(
    sheet: RawSheet, rec: Recognised, file: str, limits: Limits | None = None, min_rows: int | None = None
) -> Parsed | None:
    """``parse_sheet(sheet, rec, file, limits)`` for a typed table of at least ``min_rows`` rows
    (:data:`TYPED_ROWS`) with nothing to refuse or convert; None when the table is not one (then the
    general path must run)."""
    limits = limits or Limits()
    data = sheet.data
    if not _applies(sheet, rec, TYPED_ROWS if min_rows is None else min_rows):
        return None
    table = rec.table
    mapped = [(c, rec.mapping[c.name]) for c in table.columns if c.name in rec.mapping]
    if any(data.schema[src] != _TYPED[c.kind] for c, src in mapped):
        return None
    if any(c.required and data[src].null_count() for c, src in mapped):
        return None  # required_empty
    if not any(c.required for c, _ in mapped):
        return None  # a row could be empty: the general path decides
    values: list[pl.Expr] = []
    fails: list[pl.Expr] = []  # one boolean each: some cell of the column would be refused
    for c, src in mapped:
        if data.schema[src] == pl.String:
            if not _clean_as_is(data[src], c, limits):
                return None
            values.append(pl.col(src).alias(c.name))
            continue
        if c.kind == "year":  # columns._year on a whole number: the number itself, 2000–2100
            values.append(pl.col(src).alias(c.name))
        else:
            v, _ = parse_column(c, src, data.schema[src], date1904=sheet.date1904, max_number=limits.max_number)
            values.append(v.alias(c.name))
        fails += _fails(c, src, table.name, limits)
    # every row has a required value (no nulls, and a String one is not blank): no row is empty
    if fails and any(data.select(pl.any_horizontal(fails).fill_null(False)).row(0)):
        return None
    out = data.select(values).with_columns(
        sheet.rows.alias(PROV_ROW), pl.lit(file, pl.String).alias(PROV_FILE), pl.lit(sheet.sheet, pl.String).alias(PROV_SHEET)
    )
    valid = _to_schema(out.with_columns(_defaults(table.name, rec)), table.name)
    present = [c.name for c, _ in mapped]
    return Parsed(table.name, valid, pl.DataFrame(schema=REJECTS_SCHEMA), valid.height, 0, present, None)


def _applies(sheet: RawSheet, rec: Recognised, min_rows: int) -> bool:
    """A machine table: large, its header given, no profile or hierarchy, nothing the reader refused."""
    return (
        sheet.data.height >= max(min_rows, 1)
        and sheet.header is not None
        and rec.header_index is None
        and rec.profile is None
        and not rec.levels
        and not rec.repeated
        and not sheet.text
        and sheet.excel_path is None
        and sheet.faults.height == 0
    )


def _clean_as_is(col: pl.Series, column: Column, limits: Limits) -> bool:
    """True when every distinct value of the String column ``col`` converts to itself, with no error
    (nulls stay null): the column can be kept as it is.

    Printable ASCII with no space at either end is its own NFKC form and stripped, so of a code or text
    column only the other values (and, of a code, whole numbers written ``123.0``) are converted to see."""
    uniq = col.unique()
    if column.kind in ("code", "text"):
        if column.kind == "code" and uniq.str.contains(r"^\d+\.0+$").any():
            return False
        uniq = uniq.filter(uniq.is_null() | uniq.str.contains(r"[^ -~]|^ | $|^$"))
        if uniq.len() == 0:
            return True
    v, err = parse_column(column, col.name, pl.String, max_number=limits.max_number)
    same = (v == pl.col(col.name)) | (v.is_null() & pl.col(col.name).is_null())
    check = same.fill_null(False).all()
    if err is not None:
        check = check & err.is_null().all()
    return bool(uniq.to_frame().select(check).item())


def _fails(c: Column, src: str, table: str, limits: Limits) -> list[pl.Expr]:
    """Whether some cell of a typed column would be refused, as min/max/any reductions (no per-cell
    error codes): the checks of :mod:`analysis.ingest.columns` that can fail for a column of its type."""
    col = pl.col(src)
    if c.kind in ("int", "float"):  # not_finite, negative (not_integer cannot happen in an Int64 column)
        out = [col.min() < 0, col.max() > limits.max_number]
        return out + ([col.is_nan().any(), col.is_infinite().any()] if c.kind == "float" else []) + (
            [col.min() <= 0, col.max() > 31] if table == "study" and c.name == "days" else []
        )
    if c.kind == "date":
        return [col.min() < DATE_MIN, col.max() > DATE_MAX]
    if c.kind == "month":
        month = col.dt.truncate("1mo")
        return [month.min() < DATE_MIN, month.max() > DATE_MAX]
    if c.kind == "year":
        return [col.min() < 2000, col.max() > 2100]
    return []  # bool: nothing to refuse


def _defaults(table: str, rec: Recognised) -> list[pl.Expr]:
    """:func:`analysis.ingest.validate._defaults` on values that need no cleaning (the canonical ``kind``
    is the text as typed)."""
    if table == "activities":
        recorded = pl.col("recorded").fill_null(False) if "recorded" in rec.mapping else pl.lit(True)
        alias = pl.col("kind").is_in(sorted(POLITICAL_THEORY_ALIASES)).fill_null(False)  # kind is as typed
        theory = pl.col("political_theory").fill_null(False) if "political_theory" in rec.mapping else pl.lit(False)
        return [recorded.alias("recorded"), (theory | alias).alias("political_theory")]
    if table == "elections":
        approved = pl.col("approved").fill_null(False) if "approved" in rec.mapping else pl.lit(False)
        return [approved.alias("approved")]
    return []
