"""Recognise a sheet's table from its headers, and check and convert every row with polars expressions.

Validation is written by hand as polars expressions rather than with pandera/dataframely because the
contract needs, for every refused cell, the *user's* row number, the column and a Chinese reason — and
the conversions themselves (Chinese dates, Excel serials, aliases of kinds, 是/否) are the bulk of the
work; a schema library would only re-check types we have just produced.  The expressions run on the
whole sheet at once (no Python loop over rows), which also keeps Parquet ingest at scale fast.

Besides the cells, a row is refused for what the reader found (:attr:`RawSheet.faults`: an Excel error
value, an uncalculated formula, a CSV line whose quote is never closed), for more CSV fields than the
header has, and for a repeated header whose copies disagree — no value a user gave is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import polars.selectors as cs

from analysis.ingest.columns import clean, is_blank, parse_code, parse_column, parse_vocab
from analysis.ingest.memo import _BY_VALUE, _MEMOS, _NO_ERROR, MEMO_ROWS, _converter, _Memo, _memo_key
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import FileRefused, Limits, RawSheet, zero_padded_widths
from analysis.store import REJECTS_SCHEMA, table_schema
from analysis.vocab import (
    ACTIVITY_KIND_ALIASES,
    INCIDENT_KIND_ALIASES,
    ORG_TYPE_ALIASES,
    POLITICAL_THEORY_ALIASES,
    PROV_FILE,
    PROV_ROW,
    PROV_SHEET,
    REASONS,
    TABLES,
    WORKER_ROLE_ALIASES,
    Column,
    Table,
    header_lookup,
    normalize_header,
)

_ROW = "__err__"  #: error column of faults of the whole row (no one column is at fault)

_LOOKUPS: dict[str, dict[str, str]] = {name: header_lookup(t) for name, t in TABLES.items()}
_ALL_HEADERS: frozenset[str] = frozenset(h for lk in _LOOKUPS.values() for h in lk)


@dataclass
class Recognised:
    """A sheet whose table is known: the canonical table, where its header is, and the column map."""

    table: Table
    header_index: int | None  #: index into ``RawSheet.data`` of the header row (None: header given)
    mapping: dict[str, str]  #: canonical column -> source column (c0..cN)
    source_names: dict[str, str]  #: source column (c0..cN) -> header text as the user wrote it
    profile: Profile | None = None
    #: hierarchy levels (code col, name col, type col, fixed type) when the registry is derived
    levels: list[tuple[str | None, ...]] = field(default_factory=list)
    #: canonical column -> the other source columns whose header also names it (a repeated header)
    repeated: dict[str, list[str]] = field(default_factory=dict)


def recognise(sheet: RawSheet, limits: Limits, file: str = "", profiles: list[Profile] | None = None) -> Recognised:
    """Find the header row and decide which canonical table the sheet holds, or refuse it.

    Profiles that apply to this file/sheet are tried first: the first whose signature columns are in a
    header row decides the mapping.  Otherwise the canonical Chinese/English headers are looked for.
    """
    candidates = [p for p in profiles or [] if p.applies_to(file, sheet.sheet)]
    if candidates:
        found = _recognise_profile(sheet, limits, candidates)
        if found is not None:
            return found
    if sheet.header is not None:
        header_index = None
        header = list(sheet.header)
    else:
        header_index = None
        scan = sheet.data.head(limits.header_scan_rows).rows()
        for i, row in enumerate(scan):
            known = sum(1 for v in row if normalize_header(v) in _ALL_HEADERS)
            if known >= 2:
                header_index = i
                header = ["" if v is None else str(v) for v in row]
                break
        else:
            raise FileRefused("unknown_layout")
    cols = [f"c{i}" for i in range(len(header))]
    norm = [normalize_header(h) for h in header]
    if sum(1 for h in norm if h in _ALL_HEADERS) < 2 and sheet.header is not None:
        raise FileRefused("unknown_layout", "列名：" + "、".join(h for h in header[:8]))

    scored: list[tuple[tuple[int, int], str, dict[str, str]]] = []
    repeats: dict[str, dict[str, list[str]]] = {}
    for name, lookup in _LOOKUPS.items():
        mapping: dict[str, str] = {}
        for col, h in zip(cols, norm, strict=True):
            canon = lookup.get(h)
            if canon is not None and canon not in mapping:
                mapping[canon] = col
            elif canon is not None:
                repeats.setdefault(name, {}).setdefault(canon, []).append(col)
        missing = sum(1 for r in TABLES[name].required if r not in mapping)
        scored.append(((-missing, len(mapping)), name, mapping))
    top = max(k for k, _, _ in scored)
    tied = [(name, mapping) for k, name, mapping in scored if k == top]
    if len(tied) > 1:  # e.g. English "org_id, date, kind": activities or incidents? the values decide
        body = sheet.data.slice(0 if header_index is None else header_index + 1, 200)
        tied.sort(key=lambda nm: -_vocab_fit(body, TABLES[nm[0]], nm[1]))
    name, mapping = tied[0]
    table = TABLES[name]
    missing_cols = [table.column(r) for r in table.required if r not in mapping]
    if missing_cols:
        detail = "、".join(f"{c.zh}（{c.name}）" for c in missing_cols)
        raise FileRefused("missing_required", f"{table.zh}表缺少 {detail}")
    return Recognised(table, header_index, mapping, dict(zip(cols, header, strict=True)), repeated=repeats.get(name, {}))


def _recognise_profile(sheet: RawSheet, limits: Limits, profiles: list[Profile]) -> Recognised | None:
    rows: list[tuple[int | None, list[str]]]
    if sheet.header is not None:
        rows = [(None, list(sheet.header))]
    else:
        rows = [
            (i, ["" if v is None else str(v) for v in row])
            for i, row in enumerate(sheet.data.head(limits.header_scan_rows).rows())
        ]
    for index, header in rows:
        for prof in profiles:
            if not prof.matches_header(header):
                continue
            cols = [f"c{i}" for i in range(len(header))]
            mapping: dict[str, str] = {}
            by_header: dict[str, str] = {}
            repeated: dict[str, list[str]] = {}
            for c, h in zip(cols, header, strict=True):  # a repeated header: the first column is read
                n = normalize_header(h)
                if n in by_header:
                    repeated.setdefault(n, []).append(c)
                by_header.setdefault(n, c)
            for h, col in by_header.items():
                canon = prof.columns.get(h)
                if canon is not None and canon not in mapping:
                    mapping[canon] = col
            levels = []
            for lv in prof.hierarchy:
                levels.append(
                    tuple(by_header.get(normalize_header(c)) if c else None for c in (lv.code, lv.name, lv.type_column))
                    + (lv.org_type,)
                )
            if levels and "org_id" not in mapping and levels[-1][0] is not None:
                mapping["org_id"] = levels[-1][0]  # rows belong to the lowest level of the hierarchy
            table = TABLES[prof.table]
            missing = [table.column(r) for r in table.required if r not in mapping]
            if missing:
                detail = "、".join(f"{c.zh}（{c.name}）" for c in missing)
                raise FileRefused("missing_required", f"按映射配置“{prof.name}”，{table.zh}表缺少 {detail}")
            again = {prof.columns[h]: cs for h, cs in repeated.items() if prof.columns.get(h) in mapping}
            return Recognised(table, index, mapping, dict(zip(cols, header, strict=True)), prof, levels, again)
    return None


_VOCABS = {
    "org_type": ORG_TYPE_ALIASES,
    "activity_kind": ACTIVITY_KIND_ALIASES,
    "incident_kind": INCIDENT_KIND_ALIASES,
    "worker_role": WORKER_ROLE_ALIASES,
}


def _vocab_fit(body: pl.DataFrame, table: Table, mapping: dict[str, str]) -> float:
    """Share of sampled values of the table's vocabulary columns that are in the vocabulary."""
    fits = []
    for c in table.columns:
        vocab = _VOCABS.get(c.kind)
        src = mapping.get(c.name)
        if vocab is None or src is None or src not in body.columns:
            continue
        values = [normalize_header(v) for v in body[src].to_list() if v is not None and str(v).strip()]
        if values:
            known = {normalize_header(k) for k in vocab}
            fits.append(sum(v in known for v in values) / len(values))
    return sum(fits) / len(fits) if fits else 0.0


# ---------------------------------------------------------------------------------------------
# The sheet as a whole.
# ---------------------------------------------------------------------------------------------
@dataclass
class Parsed:
    """Rows of one sheet after checking: ``valid`` in store schema, ``rejects`` one row per fault."""

    table: str
    valid: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    rows_refused: int
    columns_present: list[str]
    derived_orgs: pl.DataFrame | None = None  #: registry rows derived from hierarchy columns


@dataclass
class Prepared:
    """A recognised sheet's data rows ready for the checks (:func:`prepare_sheet`): the rows under the
    header with their row numbers, the reader's faults joined in (``faulty``: their source columns)."""

    sheet: RawSheet
    rec: Recognised
    file: str
    data: pl.DataFrame
    faulty: set[str]
    derived: pl.DataFrame | None

    def layout(self) -> tuple[object, ...]:
        """What the checks' plan depends on besides the rows: sheets of one layout are checked together."""
        rec = self.rec
        return (
            rec.table.name,
            tuple(rec.mapping.items()),
            tuple(rec.source_names.items()),
            tuple((k, tuple(v)) for k, v in rec.repeated.items()),
            id(rec.profile),
            self.sheet.date1904,
            self.sheet.text,
            tuple(sorted(self.faulty)),
            tuple(self.data.schema.items()),
        )


def parse_sheet(sheet: RawSheet, rec: Recognised, file: str, limits: Limits | None = None) -> Parsed:
    """Check and convert every data row of a recognised sheet."""
    limits = limits or Limits()
    return check_sheets([prepare_sheet(sheet, rec, file)], limits)[0]


def prepare_sheet(sheet: RawSheet, rec: Recognised, file: str) -> Prepared:
    """The data rows of a recognised sheet, before the checks (raises FileRefused("header_only"))."""
    data = _data_rows(sheet, rec)
    data = _restore_zero_padding(data, sheet, rec)
    prof = rec.profile
    if prof is not None:  # the platform's own words -> our ids, before the usual checks
        data = data.with_columns(
            clean(rec.mapping[canon]).replace(words).alias(rec.mapping[canon])
            for canon, words in prof.values.items()
            if canon in rec.mapping
        )
    derived = derive_orgs(data, rec, file, sheet.sheet) if rec.levels else None
    data, faulty = _with_faults(data, sheet)
    return Prepared(sheet, rec, file, data, faulty, derived)


_PART = "__part__"  #: which of the sheets checked together a row comes from


def check_sheets(sheets: list[Prepared], limits: Limits) -> list[Parsed]:
    """Check sheets of one layout (:meth:`Prepared.layout`) in one plan over their rows put together, with
    their provenance as columns; the result is split back into one :class:`Parsed` per sheet."""
    first = sheets[0]
    rec, table = first.rec, first.rec.table
    data = pl.concat(
        [
            p.data.with_columns(
                pl.lit(p.file, pl.String).alias(PROV_FILE), pl.lit(p.sheet.sheet, pl.String).alias(PROV_SHEET),
                pl.lit(i, pl.Int32).alias(_PART),
            )
            for i, p in enumerate(sheets)
        ],
        how="vertical",
    )
    converted = _checked(data, first.faulty, first.sheet, rec, rec.profile, limits).collect()
    err_cols = [c for c in converted.columns if c.startswith("__err__")]
    present = [c.name for c in table.columns if c.name in rec.mapping]
    bad = converted.filter(pl.col("__bad__"))
    valid = converted.filter(~pl.col("__bad__")).select(pl.col(_PART), *_schema_exprs(converted, table.name))
    rejects = _rejects(bad, rec, table, err_cols)
    if len(sheets) == 1:
        valid_of, rejects_of, read_of = {0: valid.drop(_PART)}, {0: rejects.drop(_PART)}, {0: converted.height}
    else:
        valid_of = {k[0]: v.drop(_PART) for k, v in valid.partition_by(_PART, as_dict=True, maintain_order=True).items()}
        rejects_of = {
            k[0]: v.drop(_PART) for k, v in rejects.partition_by(_PART, as_dict=True, maintain_order=True).items()
        }
        read_of = dict(converted.group_by(_PART).len().iter_rows())
    no_valid, no_rejects = valid.drop(_PART).clear(), rejects.drop(_PART).clear()  # built once, not per sheet
    out = []
    for i, p in enumerate(sheets):
        v = valid_of.get(i)
        v = v if v is not None else no_valid
        r = rejects_of.get(i)
        r = r if r is not None else no_rejects
        out.append(Parsed(table.name, v, r, read_of[i], read_of[i] - v.height, present, p.derived))
    return out


def convert_new_values(sheets: list[Prepared], limits: Limits) -> None:
    """Convert the values of ``sheets`` that no :class:`_Memo` holds yet, one conversion per kind (and
    profile, date system) for all the sheets — not one per sheet or per layout — so that their checks
    find every value converted already."""
    wanted: dict[tuple[object, ...], tuple[Column, Prepared, list[pl.Series]]] = {}
    for p in sheets:
        if p.data.height > MEMO_ROWS:
            continue
        schema = p.data.schema
        for column in p.rec.table.columns:
            src = p.rec.mapping.get(column.name)
            if src is None or column.kind not in _BY_VALUE or schema[src] != pl.String:
                continue
            key = _memo_key(column.kind, p.rec.profile, p.sheet.date1904, limits.max_number)
            wanted.setdefault(key, (column, p, []))[2].append(p.data[src].rename("__value__"))
    for key, (column, p, values) in wanted.items():
        memo = _MEMOS.setdefault(key, _Memo())
        convert = _converter(column, "__value__", p.rec.profile, p.sheet.date1904, limits.max_number)
        memo.lookup(pl.concat(values, rechunk=False), convert)  # lookup takes the distinct values


def _checked(
    data: pl.DataFrame, faulty: set[str], sheet: RawSheet, rec: Recognised, prof: Profile | None, limits: Limits
) -> pl.LazyFrame:
    """One lazy plan for the sheet's rows: every canonical column converted, an ``__err__<column>`` code
    per checked column (``__err__`` for faults of the whole row), the contract's defaults and ``__bad__``.

    A column's value and error code depend on its cell alone, so a String column of a kind in
    :data:`_BY_VALUE` is converted once per distinct value (a sheet repeats its org code, its kinds, 是/否
    and dates, and the next sheet mostly repeats them again: :class:`_Memo`) and joined back by that
    value; the reader's faults and the checks across columns stay per row.  Sheets past
    :data:`MEMO_ROWS` rows are converted cell by cell, in the same plan."""
    table = rec.table
    base = data.lazy()
    lf = base
    value_exprs: list[pl.Expr] = []
    err_exprs: list[pl.Expr] = []
    by_value = data.height <= MEMO_ROWS
    for column in table.columns:
        src = rec.mapping.get(column.name)
        if src is None:
            continue
        dtype = data.schema[src]
        err: pl.Expr | None
        if by_value and dtype == pl.String and column.kind in _BY_VALUE:
            convert = _converter(column, src, prof, sheet.date1904, limits.max_number)
            memo = _MEMOS.setdefault(_memo_key(column.kind, prof, sheet.date1904, limits.max_number), _Memo())
            lookup = memo.lookup(data[src], convert).lazy().select(
                pl.col("__raw__").alias(src),
                pl.col("__v__").alias(column.name),
                pl.col("__e__").alias(f"__perr__{column.name}"),
                pl.when(pl.col("__b__")).then(pl.lit("required_empty")).alias(f"__blank__{column.name}"),
            )
            lf = lf.join(lookup, on=src, how="left", nulls_equal=True, maintain_order="left")
            blank = pl.col(f"__blank__{column.name}") if column.required else None
            err = pl.col(f"__perr__{column.name}") if column.kind not in _NO_ERROR else None
        else:
            v, err = parse_column(column, src, dtype, prof, date1904=sheet.date1904, max_number=limits.max_number)
            value_exprs.append(v.alias(column.name))
            blank = pl.when(is_blank(src, dtype)).then(pl.lit("required_empty")) if column.required else None
        parts = [pl.col(f"__fault__{src}")] if src in faulty else []
        parts += [p for p in (blank, err) if p is not None]
        if column.name in rec.repeated:
            parts.append(_repeat_differs(src, rec.repeated[column.name]))
        if parts and "" in faulty:  # a line the reader refused whole: its cells are not checked one by one
            err_exprs.append(pl.when(pl.col("__fault__").is_null()).then(pl.coalesce(parts)).alias(f"__err__{column.name}"))
        elif parts:
            err_exprs.append(pl.coalesce(parts).alias(f"__err__{column.name}"))
    row_errors = ([pl.col("__fault__")] if "" in faulty else []) + _too_many_fields(sheet, rec, data)
    if row_errors:
        err_exprs.append(pl.coalesce(row_errors).alias(_ROW))
    lf = lf.with_columns(value_exprs).with_columns(err_exprs)
    if table.name == "study" and "days" in rec.mapping:
        days = pl.col("days")
        lf = lf.with_columns(
            pl.coalesce(pl.col("__err__days"), pl.when((days <= 0) | (days > 31)).then(pl.lit("days_out_of_range")))
        )
    lf = lf.drop(cs.starts_with("__perr__", "__blank__"))
    err_cols = [c for c in lf.collect_schema().names() if c.startswith("__err__")]
    lf = _defaults(lf, table, rec)
    bad = pl.any_horizontal([pl.col(c).is_not_null() for c in err_cols]) if err_cols else pl.lit(False)
    return lf.with_columns(bad.alias("__bad__"))


def _data_rows(sheet: RawSheet, rec: Recognised) -> pl.DataFrame:
    """The rows under the header, with their row numbers; fully empty rows are not rows (Excel keeps
    styled empty rows; CSV readers already drop them)."""
    data = sheet.data.with_columns(sheet.rows.alias(PROV_ROW))
    if rec.header_index is not None:
        data = data.slice(rec.header_index + 1)
    schema = data.schema
    src_cols = [c for c in data.columns if c != PROV_ROW]
    if src_cols and data.height:
        strs = [c for c in src_cols if schema[c] == pl.String]
        if strs:
            # the row's text cells joined: blank only when every one is (one string op, not one per column)
            non_empty = pl.any_horizontal(
                [pl.concat_str(strs, ignore_nulls=True).str.strip_chars() != ""]
                + [pl.col(c).is_not_null() for c in src_cols if c not in strs]
            )
            keep = data.select(non_empty).to_series()
            if not keep.all():  # most sheets have no empty row: nothing to filter
                data = data.filter(keep)
    if data.height == 0:
        raise FileRefused("header_only")
    return data


def _with_faults(data: pl.DataFrame, sheet: RawSheet) -> tuple[pl.DataFrame, set[str]]:
    """``data`` with a ``__fault__<column>`` code column for each source column the reader found faults
    in (``__fault__`` for whole lines), and the set of those columns ("" for whole lines)."""
    if sheet.faults.height == 0:
        return data, set()
    faults = sheet.faults.filter(pl.col(PROV_ROW).is_in(data[PROV_ROW].implode()))
    if faults.height == 0:
        return data, set()
    columns = sorted(set(faults["column"].to_list()))
    wide = faults.unique([PROV_ROW, "column"], keep="first").pivot(on="column", index=PROV_ROW, values="code")
    wide = wide.rename({c: f"__fault__{c}" for c in columns})
    return data.join(wide, on=PROV_ROW, how="left", maintain_order="left"), set(columns)


def _too_many_fields(sheet: RawSheet, rec: Recognised, data: pl.DataFrame) -> list[pl.Expr]:
    """A CSV line with a value past the header's last column: more fields than headers."""
    if not sheet.text:
        return []
    named = [i for i, (c, h) in enumerate(rec.source_names.items()) if h and h.strip() and c in data.columns]
    extra = [c for c in data.columns if c.startswith("c") and c[1:].isdigit() and int(c[1:]) > max(named, default=-1)]
    if not extra:
        return []
    past = pl.any_horizontal([pl.col(c).str.strip_chars().fill_null("") != "" for c in extra])
    return [pl.when(past).then(pl.lit("too_many_fields"))]


def _repeat_differs(src: str, others: list[str]) -> pl.Expr:
    """``duplicate_column`` where another column under the same header holds a different value."""
    mine = clean(src)
    differs = pl.any_horizontal([clean(o).is_not_null() & (clean(o) != mine).fill_null(True) for o in others])
    return pl.when(differs).then(pl.lit("duplicate_column"))


def _restore_zero_padding(data: pl.DataFrame, sheet: RawSheet, rec: Recognised) -> pl.DataFrame:
    """Codes typed as numbers in Excel but *shown* as 000123 through a cell format get their zeros back."""
    if sheet.excel_path is None or rec.header_index is None:
        return data
    for column in rec.table.columns:
        src = rec.mapping.get(column.name)
        if column.kind != "code" or src is None or data.schema[src] != pl.String:
            continue
        digits = data.select(pl.col(src).str.extract(r"^(\d+)(?:\.0+)?$").str.len_chars().drop_nulls().unique())
        if digits.height <= 1:
            continue  # all codes the same width: nothing was stripped, or nothing can tell
        header_row = int(sheet.rows[rec.header_index])
        widths = zero_padded_widths(sheet.excel_path, sheet.sheet, header_row, rec.source_names[src])
        if widths:
            w = pl.col(PROV_ROW).replace_strict(list(widths), list(widths.values()), default=None, return_dtype=pl.Int64)
            plain = pl.col(src).str.replace(r"^(\d+)\.0+$", "${1}")
            data = data.with_columns(
                pl.when(w.is_not_null()).then(plain.str.zfill(w)).otherwise(pl.col(src)).alias(src)
            )
    return data


def derive_orgs(data: pl.DataFrame, rec: Recognised, file: str, sheet: str) -> pl.DataFrame:
    """Registry rows from the hierarchy columns of every row: each level's code, name and type, its
    parent being the level above.  Rows whose code is empty at a level contribute nothing there."""
    frames = []
    parent: pl.Expr = pl.lit(None, pl.String)
    for code_col, name_col, type_col, fixed_type in rec.levels:
        if code_col is None:
            continue
        code = parse_code(code_col)[0]
        if type_col is not None:
            org_type = parse_vocab(type_col, ORG_TYPE_ALIASES, "unknown_org_type")[0]
        else:
            org_type = pl.lit(fixed_type, pl.String)
        frames.append(
            data.select(
                code.alias("org_id"),
                (clean(name_col) if name_col else pl.lit(None, pl.String)).alias("name"),
                org_type.alias("org_type"),
                parent.alias("parent_id"),
                pl.lit(file).alias(PROV_FILE),
                pl.lit(sheet).alias(PROV_SHEET),
                pl.col(PROV_ROW),
            ).filter(pl.col("org_id").is_not_null())
        )
        parent = code
    out = pl.concat(frames) if frames else data.clear().select()
    return _to_schema(out, "orgs")


def _defaults(df: pl.LazyFrame, table: Table, rec: Recognised) -> pl.LazyFrame:
    """Fill what the contract says an absent column or an empty cell means."""
    out = []
    if table.name == "activities":
        if "recorded" not in rec.mapping:
            out.append(pl.lit(True).alias("recorded"))  # a missing column means 是
        else:
            out.append(pl.col("recorded").fill_null(False))  # an empty cell means 否
        theory_alias = (
            clean(rec.mapping["kind"]).is_in(list(POLITICAL_THEORY_ALIASES)).fill_null(False)
        )
        theory = pl.col("political_theory").fill_null(False) if "political_theory" in rec.mapping else pl.lit(False)
        out.append((theory | theory_alias).alias("political_theory"))
    if table.name == "elections":
        out.append((pl.col("approved").fill_null(False) if "approved" in rec.mapping else pl.lit(False)).alias("approved"))
    return df.with_columns(out) if out else df


def _to_schema(df: pl.DataFrame, name: str) -> pl.DataFrame:
    return df.select(_schema_exprs(df, name))


def _schema_exprs(df: pl.DataFrame, name: str) -> list[pl.Expr]:
    schema = table_schema(name)
    return [pl.col(c).cast(t) if c in df.columns else pl.lit(None, t).alias(c) for c, t in schema.items()]


def _rejects(bad: pl.DataFrame, rec: Recognised, table: Table, err_cols: list[str]) -> pl.DataFrame:
    """One reject row per faulty cell (or faulty line), with the user's row number, the value and the
    reason, and the sheet's ``__part__``."""
    if bad.height == 0:
        return pl.DataFrame(schema={**REJECTS_SCHEMA, _PART: pl.Int32})
    src_cols = [c for c in rec.source_names if c in bad.columns]
    names: dict[str, str] = {}
    for i, c in enumerate(src_cols):  # a repeated header gets its column number: a record's keys are unique
        name = rec.source_names[c] or c
        names[c] = name if name not in names.values() else f"{name}（第{i + 1}列）"
    record = pl.struct([pl.col(c).cast(pl.String).alias(names[c]) for c in src_cols]).struct.json_encode()
    line = pl.concat_str([pl.col(c).cast(pl.String) for c in src_cols], separator=",", ignore_nulls=True)
    frames = []
    for ec in err_cols:
        canon = ec.removeprefix("__err__")
        value = pl.col(rec.mapping[canon]).cast(pl.String) if canon else line
        part = bad.filter(pl.col(ec).is_not_null()).select(
            pl.lit(table.name).alias("table"),
            pl.col(PROV_FILE),
            pl.col(PROV_SHEET),
            pl.col(PROV_ROW),
            pl.lit(canon).alias("column"),
            value.alias("value"),
            pl.col(ec).alias("reason_code"),
            record.alias("record"),
            pl.col(_PART),
        )
        frames.append(part)
    if not frames:
        return pl.DataFrame(schema={**REJECTS_SCHEMA, _PART: pl.Int32})
    return with_reason_text(pl.concat(frames), table).select(*REJECTS_SCHEMA, _PART)


def with_reason_text(df: pl.DataFrame, table: Table | None = None) -> pl.DataFrame:
    """Fill reason_zh / reason_en from reason_code, naming the column in Chinese and English (a fault of
    the whole row names none), and the value where the reason shows it (``单元格为错误值 #DIV/0!``)."""
    codes = df["reason_code"].unique().to_list()
    zh_map = {c: REASONS[c][0] for c in codes}
    en_map = {c: REASONS[c][1] for c in codes}
    col_zh: dict[str, str] = {}
    for t in TABLES.values():
        for c in t.columns:
            col_zh.setdefault(c.name, c.zh)
    if table is not None:
        col_zh.update({c.name: c.zh for c in table.columns})
    colname_zh = pl.col("column").replace_strict(col_zh, default=pl.col("column"))
    whole_row = pl.col("column") == ""

    def text(words: dict[str, str]) -> pl.Expr:
        t = pl.col("reason_code").replace_strict(words, return_dtype=pl.String)
        if any("{value}" in w for w in words.values()):
            t = t.str.replace("{value}", pl.col("value").fill_null(""), literal=True)
        return t

    return df.with_columns(
        pl.when(whole_row).then(text(zh_map)).otherwise(pl.concat_str([pl.lit("【"), colname_zh, pl.lit("】"), text(zh_map)])).alias("reason_zh"),
        pl.when(whole_row).then(text(en_map)).otherwise(pl.concat_str([pl.col("column"), pl.lit(": "), text(en_map)])).alias("reason_en"),
    )
