"""Cell values converted once: a per-process memo of the distinct values each conversion (a column kind
with its profile's words and formats, the date system, the number limit) has converted already, so that a
sheet — or a run of sheets — converts only the values not seen before (see ``docs/ASSUMPTIONS.md``,
"Converting each distinct value once")."""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl

from analysis.ingest.columns import is_blank, parse_column
from analysis.ingest.profiles import Profile
from analysis.vocab import Column

#: kinds whose conversion costs more than a lookup: a String column of these is converted once per
#: distinct value (free text is only cleaned, and nearly every value is distinct)
_BY_VALUE = frozenset(
    {"code", "int", "float", "date", "month", "bool", "year", "org_type", "activity_kind", "incident_kind", "worker_role"}
)
_NO_ERROR = frozenset({"code"})  #: kinds whose parser gives no error code (columns.parse_code)
#: distinct values remembered per kind of conversion, across the sheets of a process; past it they are forgotten
MEMO_VALUES = 200_000
#: a sheet of more rows (a machine export) is converted cell by cell in its plan: its distinct values would
#: be too many to look up in Python
MEMO_ROWS = 100_000


class _Memo:
    """Distinct cell values already converted by one conversion (a column kind with its profile's words
    and formats): ``frame`` holds ``__raw__``, ``__v__`` (the value), ``__e__`` (its error code) and
    ``__b__`` (blank), ``index`` the row of each raw value (None for an empty cell)."""

    def __init__(self) -> None:
        self.index: dict[str | None, int] = {}
        self.frame: pl.DataFrame | None = None
        self.lock = threading.Lock()  # ingests in two threads of one process share the memo

    def lookup(self, raw: pl.Series, convert: Callable[[], list[pl.Expr]]) -> pl.DataFrame:
        """The converted rows of the distinct values of ``raw`` (a String column; ``convert`` reads it by
        its name); values not seen before are converted now, in one go."""
        with self.lock:
            return self._lookup(raw.unique().to_list(), raw.name, convert)

    def _lookup(self, values: list[str | None], name: str, convert: Callable[[], list[pl.Expr]]) -> pl.DataFrame:
        new = [v for v in values if v not in self.index]
        if new:
            if self.frame is not None and self.frame.height + len(new) > MEMO_VALUES:
                self.index, self.frame, new = {}, None, values
            fresh = pl.DataFrame({name: new}, schema={name: pl.String})
            # lazy: a date's error code reuses its parsed value (common subexpressions), eager would parse it thrice
            fresh = fresh.lazy().select(pl.col(name).alias("__raw__"), *convert()).collect()
            start = 0 if self.frame is None else self.frame.height
            self.index.update((v, start + i) for i, v in enumerate(new))
            self.frame = fresh if self.frame is None else pl.concat([self.frame, fresh], rechunk=False)
        assert self.frame is not None
        return self.frame[[self.index[v] for v in values]]


_MEMOS: dict[tuple[object, ...], _Memo] = {}


def _memo_key(kind: str, prof: Profile | None, date1904: bool, max_number: float) -> tuple[object, ...]:
    """What a conversion's result depends on besides the cell: its kind, and the profile's words and
    formats, the workbook's date system and the number limit where the kind reads them."""
    if kind in ("date", "month"):
        return (kind, prof.date_formats if prof and kind == "date" else (), date1904)
    if kind == "bool":
        return (kind, prof.yes_words if prof else frozenset(), prof.no_words if prof else frozenset())
    if kind in ("int", "float"):
        return (kind, max_number)
    return (kind,)


def _converter(
    column: Column, src: str, prof: Profile | None, date1904: bool, max_number: float
) -> Callable[[], list[pl.Expr]]:
    """The conversion a :class:`_Memo` runs on new values of String column ``src``: value, error, blank."""

    def convert() -> list[pl.Expr]:
        v, e = parse_column(column, src, pl.String, prof, date1904=date1904, max_number=max_number)
        e = e if e is not None else pl.lit(None, pl.String)
        return [v.alias("__v__"), e.alias("__e__"), is_blank(src, pl.String).alias("__b__")]

    return convert
