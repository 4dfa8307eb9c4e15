"""Recognise a sheet's table from its headers, and check and convert every row with polars expressions.

Validation is written by hand as polars expressions rather than with pandera/dataframely because the
contract needs, for every refused cell, the *user's* row number, the column and a Chinese reason — and
the conversions themselves (Chinese dates, Excel serials, aliases of kinds, 是/否) are the bulk of the
work; a schema library would only re-check types we have just produced.  The expressions run on the
whole sheet at once (no Python loop over rows), which also keeps Parquet ingest at scale fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from analysis.ingest.profiles import Profile
from analysis.ingest.readers import FileRefused, Limits, RawSheet, zero_padded_widths
from analysis.store import table_schema
from analysis.vocab import (
    ACTIVITY_KIND_ALIASES,
    INCIDENT_KIND_ALIASES,
    NO_WORDS,
    ORG_TYPE_ALIASES,
    POLITICAL_THEORY_ALIASES,
    PROV_FILE,
    PROV_ROW,
    PROV_SHEET,
    TABLES,
    WORKER_ROLE_ALIASES,
    YES_WORDS,
    Column,
    Table,
    header_lookup,
    normalize_header,
    reason,
)

_LOOKUPS: dict[str, dict[str, str]] = {name: header_lookup(t) for name, t in TABLES.items()}
_ALL_HEADERS: frozenset[str] = frozenset(h for lk in _LOOKUPS.values() for h in lk)

DATE_MIN = pl.date(2000, 1, 1)
DATE_MAX = pl.date(2100, 12, 31)
_EXCEL_EPOCH = pl.date(1899, 12, 30)


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
    for name, lookup in _LOOKUPS.items():
        mapping: dict[str, str] = {}
        for col, h in zip(cols, norm, strict=True):
            canon = lookup.get(h)
            if canon is not None and canon not in mapping:
                mapping[canon] = col
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
    return Recognised(table, header_index, mapping, dict(zip(cols, header, strict=True)))


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
            by_header = {normalize_header(h): c for c, h in zip(cols, header, strict=True)}
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
            return Recognised(table, index, mapping, dict(zip(cols, header, strict=True)), prof, levels)
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
# Column parsers: each returns (value expression, error-code expression or None).
# ---------------------------------------------------------------------------------------------
def _clean(col: str) -> pl.Expr:
    """Text as typed, NFKC-normalised and stripped; blank -> null."""
    s = pl.col(col).cast(pl.String).str.normalize("NFKC").str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _code(col: str) -> tuple[pl.Expr, pl.Expr | None]:
    s = _clean(col)
    # Excel hands whole numbers back as "123.0"; a code is never a decimal
    return s.str.replace(r"^(\d+)\.0+$", "${1}"), None


def _number(col: str, whole: bool) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(col).str.replace_all(",", "")
    v = s.cast(pl.Float64, strict=False)
    err = (
        pl.when(s.is_not_null() & v.is_null())
        .then(pl.lit("not_a_number"))
        .when(v < 0)
        .then(pl.lit("negative"))
        .when(pl.lit(whole) & v.is_not_null() & (v != v.floor()))
        .then(pl.lit("not_integer"))
    )
    return (v.cast(pl.Int64, strict=False) if whole else v), err


def _date_parts(s: pl.Expr) -> pl.Expr:
    """'2024-03-05', '2024/3/5', '2024.3.5', '2024年3月5日', '20240305', with any time after it dropped."""
    ymd = s.str.extract_groups(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
    compact = s.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})$")
    y = pl.coalesce(ymd.struct.field("1"), compact.struct.field("1"))
    m = pl.coalesce(ymd.struct.field("2"), compact.struct.field("2"))
    d = pl.coalesce(ymd.struct.field("3"), compact.struct.field("3"))
    text = pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-")
    return text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def _excel_serial(s: pl.Expr) -> pl.Expr:
    num = s.str.extract(r"^(\d{1,7}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    ok = (num >= 1) & (num < 2958466)
    days = pl.when(ok).then(num.floor().cast(pl.Int64))
    return _EXCEL_EPOCH + pl.duration(days=days)


def _date(col: str, dtype: pl.DataType, formats: tuple[str, ...] = ()) -> tuple[pl.Expr, pl.Expr]:
    if dtype in (pl.Date(), pl.Datetime()) or isinstance(dtype, pl.Datetime):
        v = pl.col(col).cast(pl.Date)
        raw_present = pl.col(col).is_not_null()
    else:
        s = _clean(col)
        extra = [s.str.strptime(pl.Datetime, f, strict=False).dt.date() for f in formats]
        v = pl.coalesce([*extra, _date_parts(s), _excel_serial(s)])
        raw_present = s.is_not_null()
    return v, _date_error(v, raw_present, "bad_date")


def _date_error(v: pl.Expr, raw_present: pl.Expr, unreadable: str) -> pl.Expr:
    """``unreadable`` when a value was given but not read, out of range when outside 2000–2100."""
    return (
        pl.when(raw_present & v.is_null())
        .then(pl.lit(unreadable))
        .when((v < DATE_MIN) | (v > DATE_MAX))
        .then(pl.lit("date_out_of_range"))
    )


def _month(col: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    if dtype in (pl.Date(),) or isinstance(dtype, pl.Datetime):
        v = pl.col(col).cast(pl.Date).dt.truncate("1mo")
        raw_present = pl.col(col).is_not_null()
    else:
        s = _clean(col)
        ym = s.str.extract_groups(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
        text = pl.concat_str([ym.struct.field("1"), ym.struct.field("2").str.zfill(2), pl.lit("01")], separator="-")
        v = pl.coalesce(
            text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
            _date_parts(s).dt.truncate("1mo"),
            _excel_serial(s).dt.truncate("1mo"),
        )
        raw_present = s.is_not_null()
    return v, _date_error(v, raw_present, "bad_month")


def _bool(col: str, dtype: pl.DataType, yes: frozenset[str] = frozenset(), no: frozenset[str] = frozenset()) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Boolean():
        return pl.col(col), pl.lit(None, pl.String)
    s = _clean(col).str.to_lowercase()
    yes_words, no_words = sorted(YES_WORDS | yes), sorted(NO_WORDS | no)
    v = pl.when(s.is_in(yes_words)).then(True).when(s.is_in(no_words)).then(False).otherwise(None)
    err = pl.when(s.is_not_null() & v.is_null()).then(pl.lit("bad_bool"))
    return v.cast(pl.Boolean), err


def _vocab(col: str, aliases: dict[str, str], code: str) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(col)
    keys = pl.Series(list(aliases.keys()), dtype=pl.String)
    vals = pl.Series(list(aliases.values()), dtype=pl.String)
    lower = pl.Series([k.lower() for k in aliases], dtype=pl.String)
    v = pl.coalesce(s.replace_strict(keys, vals, default=None), s.str.to_lowercase().replace_strict(lower, vals, default=None))
    err = pl.when(s.is_not_null() & v.is_null()).then(pl.lit(code))
    return v, err


def _year(col: str) -> tuple[pl.Expr, pl.Expr]:
    s = _clean(col).str.replace(r"年(度)?$", "").str.replace(r"^(\d+)\.0+$", "${1}")
    v = s.cast(pl.Int64, strict=False)
    err = pl.when(s.is_not_null() & (v.is_null() | (v < 2000) | (v > 2100))).then(pl.lit("bad_year"))
    return v, err


def parse_column(
    column: Column, src: str, dtype: pl.DataType, profile: Profile | None = None
) -> tuple[pl.Expr, pl.Expr | None]:
    """Value and error expressions for one canonical column read from source column ``src``."""
    k = column.kind
    if k == "code":
        return _code(src)
    if k == "text":
        return _clean(src), None
    if k in ("int", "float"):
        if dtype.is_numeric():
            v = pl.col(src).cast(pl.Float64)
            err = pl.when(v < 0).then(pl.lit("negative"))
            if k == "int":
                err = err.when(v != v.floor()).then(pl.lit("not_integer"))
                return v.cast(pl.Int64, strict=False), err
            return v, err
        return _number(src, whole=k == "int")
    if k == "date":
        return _date(src, dtype, profile.date_formats if profile else ())
    if k == "month":
        return _month(src, dtype)
    if k == "bool":
        return _bool(src, dtype, *((profile.yes_words, profile.no_words) if profile else ()))
    if k == "org_type":
        return _vocab(src, ORG_TYPE_ALIASES, "unknown_org_type")
    if k == "activity_kind":
        return _vocab(src, ACTIVITY_KIND_ALIASES, "unknown_kind")
    if k == "incident_kind":
        return _vocab(src, INCIDENT_KIND_ALIASES, "unknown_incident_kind")
    if k == "worker_role":
        return _vocab(src, WORKER_ROLE_ALIASES, "unknown_role")
    if k == "year":
        return _year(src)
    raise AssertionError(k)


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


def parse_sheet(sheet: RawSheet, rec: Recognised, file: str) -> Parsed:
    """Check and convert every data row of a recognised sheet."""
    table = rec.table
    data = sheet.data.with_columns(sheet.rows.alias(PROV_ROW))
    if rec.header_index is not None:
        data = data.slice(rec.header_index + 1)
    src_cols = [c for c in data.columns if c != PROV_ROW]
    # fully empty rows are not rows (Excel keeps styled empty rows; CSV readers already drop them)
    if src_cols and data.height:
        strs = [c for c in src_cols if data.schema[c] == pl.String]
        if strs:
            non_empty = pl.any_horizontal(
                [pl.col(c).str.strip_chars().fill_null("") != "" for c in strs]
                + [pl.col(c).is_not_null() for c in src_cols if c not in strs]
            )
            data = data.filter(non_empty)
    if data.height == 0:
        raise FileRefused("header_only")

    data = _restore_zero_padding(data, sheet, rec)
    prof = rec.profile
    if prof is not None:  # the platform's own words -> our ids, before the usual checks
        data = data.with_columns(
            _clean(rec.mapping[canon]).replace(words).alias(rec.mapping[canon])
            for canon, words in prof.values.items()
            if canon in rec.mapping
        )
    derived = derive_orgs(data, rec, file, sheet.sheet) if rec.levels else None

    value_exprs: list[pl.Expr] = []
    err_exprs: list[pl.Expr] = []
    for column in table.columns:
        src = rec.mapping.get(column.name)
        if src is None:
            continue
        v, err = parse_column(column, src, data.schema[src], prof)
        value_exprs.append(v.alias(column.name))
        parts = []
        if column.required:
            parts.append(pl.when(_is_blank(src, data.schema[src])).then(pl.lit("required_empty")))
        if err is not None:
            parts.append(err)
        if parts:
            err_exprs.append(pl.coalesce(parts).alias(f"__err__{column.name}"))
    if table.name == "study" and "days" in rec.mapping:
        days = pl.col("days")
        err_exprs_extra = pl.when((days <= 0) | (days > 31)).then(pl.lit("days_out_of_range"))
    else:
        err_exprs_extra = None

    converted = data.with_columns(value_exprs + err_exprs)
    if err_exprs_extra is not None:
        converted = converted.with_columns(
            pl.coalesce(pl.col("__err__days"), err_exprs_extra).alias("__err__days")
        )
    err_cols = [c for c in converted.columns if c.startswith("__err__")]

    present = [c.name for c in table.columns if c.name in rec.mapping]
    converted = _defaults(converted, table, rec)

    bad = pl.any_horizontal([pl.col(c).is_not_null() for c in err_cols]) if err_cols else pl.lit(False)
    converted = converted.with_columns(bad.alias("__bad__"))
    file_lit = pl.lit(file, pl.String)
    sheet_lit = pl.lit(sheet.sheet, pl.String)

    valid = (
        converted.filter(~pl.col("__bad__"))
        .with_columns(file_lit.alias(PROV_FILE), sheet_lit.alias(PROV_SHEET))
        .pipe(_to_schema, table.name)
    )
    rejects = _rejects(converted.filter(pl.col("__bad__")), rec, table, file, sheet.sheet, err_cols)
    n_bad = converted.height - valid.height
    return Parsed(table.name, valid, rejects, converted.height, n_bad, present, derived)


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
        code = _code(code_col)[0]
        if type_col is not None:
            org_type = _vocab(type_col, ORG_TYPE_ALIASES, "unknown_org_type")[0]
        else:
            org_type = pl.lit(fixed_type, pl.String)
        frames.append(
            data.select(
                code.alias("org_id"),
                (_clean(name_col) if name_col else pl.lit(None, pl.String)).alias("name"),
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


def _is_blank(src: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return pl.col(src).str.strip_chars().fill_null("") == ""
    return pl.col(src).is_null()


def _defaults(df: pl.DataFrame, table: Table, rec: Recognised) -> pl.DataFrame:
    """Fill what the contract says an absent column or an empty cell means."""
    out = []
    if table.name == "activities":
        if "recorded" not in rec.mapping:
            out.append(pl.lit(True).alias("recorded"))  # a missing column means 是
        else:
            out.append(pl.col("recorded").fill_null(False))  # an empty cell means 否
        theory_alias = (
            _clean(rec.mapping["kind"]).is_in(list(POLITICAL_THEORY_ALIASES)).fill_null(False)
        )
        theory = pl.col("political_theory").fill_null(False) if "political_theory" in rec.mapping else pl.lit(False)
        out.append((theory | theory_alias).alias("political_theory"))
    if table.name == "elections":
        out.append((pl.col("approved").fill_null(False) if "approved" in rec.mapping else pl.lit(False)).alias("approved"))
    return df.with_columns(out) if out else df


def _to_schema(df: pl.DataFrame, name: str) -> pl.DataFrame:
    schema = table_schema(name)
    return df.select(
        [pl.col(c).cast(t) if c in df.columns else pl.lit(None, t).alias(c) for c, t in schema.items()]
    )


def _rejects(bad: pl.DataFrame, rec: Recognised, table: Table, file: str, sheet: str, err_cols: list[str]) -> pl.DataFrame:
    """One reject row per faulty cell, with the user's row number, the value and the reason."""
    from analysis.store import REJECTS_SCHEMA

    if bad.height == 0:
        return pl.DataFrame(schema=REJECTS_SCHEMA)
    src_cols = list(rec.source_names)
    record = pl.struct(
        [pl.col(c).cast(pl.String).alias(rec.source_names[c] or c) for c in src_cols if c in bad.columns]
    ).struct.json_encode()
    frames = []
    for ec in err_cols:
        canon = ec.removeprefix("__err__")
        src = rec.mapping[canon]
        part = bad.filter(pl.col(ec).is_not_null()).select(
            pl.lit(table.name).alias("table"),
            pl.lit(file).alias(PROV_FILE),
            pl.lit(sheet).alias(PROV_SHEET),
            pl.col(PROV_ROW),
            pl.lit(canon).alias("column"),
            pl.col(src).cast(pl.String).alias("value"),
            pl.col(ec).alias("reason_code"),
            record.alias("record"),
        )
        frames.append(part)
    out = pl.concat(frames) if frames else pl.DataFrame(schema=REJECTS_SCHEMA)
    return with_reason_text(out, table).select(list(REJECTS_SCHEMA))


def with_reason_text(df: pl.DataFrame, table: Table | None = None) -> pl.DataFrame:
    """Fill reason_zh / reason_en from reason_code, naming the column in Chinese and English."""
    codes = df["reason_code"].unique().to_list()
    zh_map = {c: reason(c)[0] for c in codes}
    en_map = {c: reason(c)[1] for c in codes}
    col_zh: dict[str, str] = {}
    for t in TABLES.values():
        for c in t.columns:
            col_zh.setdefault(c.name, c.zh)
    if table is not None:
        col_zh.update({c.name: c.zh for c in table.columns})
    colname_zh = pl.col("column").replace_strict(col_zh, default=pl.col("column"))
    return df.with_columns(
        pl.concat_str([pl.lit("【"), colname_zh, pl.lit("】"), pl.col("reason_code").replace_strict(zh_map)]).alias("reason_zh"),
        pl.concat_str([pl.col("column"), pl.lit(": "), pl.col("reason_code").replace_strict(en_map)]).alias("reason_en"),
    )
