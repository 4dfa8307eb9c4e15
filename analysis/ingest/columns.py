"""Column parsers: for each kind of canonical column, the polars expressions that convert the text (or
typed value) a user gave into the store's type, and the error code of a value that cannot be kept.

Each parser returns ``(value expression, error-code expression or None)``; they run on the whole sheet at
once.  Dates also come as Excel serials, counted from 1899-12-30 or (a 1904 workbook) from 1904-01-01.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest.profiles import Profile
from analysis.vocab import (
    ACTIVITY_KIND_ALIASES,
    INCIDENT_KIND_ALIASES,
    NO_WORDS,
    ORG_TYPE_ALIASES,
    WORKER_ROLE_ALIASES,
    YES_WORDS,
    Column,
)

DATE_MIN = pl.date(2000, 1, 1)
DATE_MAX = pl.date(2100, 12, 31)
_EXCEL_EPOCH = pl.date(1899, 12, 30)
_EXCEL_EPOCH_1904 = pl.date(1904, 1, 1)


def clean(col: str) -> pl.Expr:
    """Text as typed, NFKC-normalised and stripped; blank -> null."""
    s = pl.col(col).cast(pl.String).str.normalize("NFKC").str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def is_blank(src: str, dtype: pl.DataType) -> pl.Expr:
    """A cell with nothing in it (text: nothing but spaces)."""
    if dtype == pl.String:
        return pl.col(src).str.strip_chars().fill_null("") == ""
    return pl.col(src).is_null()


def parse_code(col: str) -> tuple[pl.Expr, pl.Expr | None]:
    s = clean(col)
    # Excel hands whole numbers back as "123.0"; a code is never a decimal
    return s.str.replace(r"^(\d+)\.0+$", "${1}"), None


def _number(col: str, dtype: pl.DataType, whole: bool, limit: float) -> tuple[pl.Expr, pl.Expr]:
    """A count or an amount: text as typed (thousands separators allowed, full-width digits read) or a
    typed number.  Infinite, NaN and numbers past ``limit`` are not valid numbers: ``inf``, ``1e400``, a
    JSON ``NaN`` or a 23-digit number would otherwise be kept as inf/NaN or, in a whole-number column,
    become null."""
    if dtype.is_numeric():
        s, v = None, pl.col(col).cast(pl.Float64)
    else:
        s = clean(col).str.replace_all(",", "")
        v = s.cast(pl.Float64, strict=False)
    err = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    if s is not None:
        err = err.when(s.is_not_null() & v.is_null()).then(pl.lit("not_a_number"))
    err = (
        err.when(v.is_nan() | v.is_infinite() | (v.abs() > limit))
        .then(pl.lit("not_finite"))
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


def _excel_serial(s: pl.Expr, date1904: bool = False) -> pl.Expr:
    """An Excel date serial: days since 1899-12-30, or since 1904-01-01 in a 1904 workbook (Mac Excel)."""
    num = s.str.extract(r"^(\d{1,7}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    ok = (num >= 1) & (num < 2958466)
    days = pl.when(ok).then(num.floor().cast(pl.Int64))
    return (_EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH) + pl.duration(days=days)


def _date(col: str, dtype: pl.DataType, formats: tuple[str, ...] = (), date1904: bool = False) -> tuple[pl.Expr, pl.Expr]:
    if dtype in (pl.Date(), pl.Datetime()) or isinstance(dtype, pl.Datetime):
        v = pl.col(col).cast(pl.Date)
        raw_present = pl.col(col).is_not_null()
    else:
        s = clean(col)
        extra = [s.str.strptime(pl.Datetime, f, strict=False).dt.date() for f in formats]
        v = pl.coalesce([*extra, _date_parts(s), _excel_serial(s, date1904)])
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


def _month(col: str, dtype: pl.DataType, date1904: bool = False) -> tuple[pl.Expr, pl.Expr]:
    """A dues month: ``2024-03``, ``2024年3月``, ``2024.3``, ``202403``, a full date or a serial.  Text shaped
    as a year and a month is read as nothing else: ``2024-13`` or ``2024.13`` is a month that cannot be read,
    not a serial far outside the date range."""
    if dtype in (pl.Date(),) or isinstance(dtype, pl.Datetime):
        v = pl.col(col).cast(pl.Date).dt.truncate("1mo")
        raw_present = pl.col(col).is_not_null()
    else:
        s = clean(col)
        ym = s.str.extract_groups(r"^(\d{4})(?:\s*[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")
        month = pl.coalesce(ym.struct.field("2"), ym.struct.field("3"))
        text = pl.concat_str([ym.struct.field("1"), month.str.zfill(2), pl.lit("01")], separator="-")
        year_month = ym.struct.field("1").is_not_null()
        v = pl.coalesce(
            text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
            pl.when(~year_month).then(_date_parts(s).dt.truncate("1mo")),
            pl.when(~year_month).then(_excel_serial(s, date1904).dt.truncate("1mo")),
        )
        raw_present = s.is_not_null()
    return v, _date_error(v, raw_present, "bad_month")


def _bool(col: str, dtype: pl.DataType, yes: frozenset[str] = frozenset(), no: frozenset[str] = frozenset()) -> tuple[pl.Expr, pl.Expr]:
    if dtype == pl.Boolean():
        return pl.col(col), pl.lit(None, pl.String)
    s = clean(col).str.to_lowercase()
    yes_words, no_words = sorted(YES_WORDS | yes), sorted(NO_WORDS | no)
    v = pl.when(s.is_in(yes_words)).then(True).when(s.is_in(no_words)).then(False).otherwise(None)
    err = pl.when(s.is_not_null() & v.is_null()).then(pl.lit("bad_bool"))
    return v.cast(pl.Boolean), err


def parse_vocab(col: str, aliases: dict[str, str], code: str) -> tuple[pl.Expr, pl.Expr]:
    s = clean(col)
    keys = pl.Series(list(aliases.keys()), dtype=pl.String)
    vals = pl.Series(list(aliases.values()), dtype=pl.String)
    lower = pl.Series([k.lower() for k in aliases], dtype=pl.String)
    v = pl.coalesce(s.replace_strict(keys, vals, default=None), s.str.to_lowercase().replace_strict(lower, vals, default=None))
    err = pl.when(s.is_not_null() & v.is_null()).then(pl.lit(code))
    return v, err


def _year(col: str) -> tuple[pl.Expr, pl.Expr]:
    s = clean(col).str.replace(r"年(度)?$", "").str.replace(r"^(\d+)\.0+$", "${1}")
    v = s.cast(pl.Int64, strict=False)
    err = pl.when(s.is_not_null() & (v.is_null() | (v < 2000) | (v > 2100))).then(pl.lit("bad_year"))
    return v, err


def parse_column(
    column: Column,
    src: str,
    dtype: pl.DataType,
    profile: Profile | None = None,
    *,
    date1904: bool = False,
    max_number: float = float(2**53),
) -> tuple[pl.Expr, pl.Expr | None]:
    """Value and error expressions for one canonical column read from source column ``src``."""
    k = column.kind
    if k == "code":
        return parse_code(src)
    if k == "text":
        return clean(src), None
    if k in ("int", "float"):
        return _number(src, dtype, k == "int", max_number)
    if k == "date":
        return _date(src, dtype, profile.date_formats if profile else (), date1904)
    if k == "month":
        return _month(src, dtype, date1904)
    if k == "bool":
        return _bool(src, dtype, *((profile.yes_words, profile.no_words) if profile else ()))
    if k == "org_type":
        return parse_vocab(src, ORG_TYPE_ALIASES, "unknown_org_type")
    if k == "activity_kind":
        return parse_vocab(src, ACTIVITY_KIND_ALIASES, "unknown_kind")
    if k == "incident_kind":
        return parse_vocab(src, INCIDENT_KIND_ALIASES, "unknown_incident_kind")
    if k == "worker_role":
        return parse_vocab(src, WORKER_ROLE_ALIASES, "unknown_role")
    if k == "year":
        return _year(src)
    raise AssertionError(k)


