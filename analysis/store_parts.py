"""Part files of the store: their row order, how one is written, and writes that run beside the ingest.

Writing a part (pyarrow's Parquet writer) takes one core for about as long as reading and checking the
rows that fill it; :class:`PartWrites` hands the write to a thread (pyarrow releases the GIL while it
encodes), so the next file is read and checked meanwhile.  One write is in flight at a time — the rows
of at most one part are held besides the part being read — and anything that reads a part of the store
being written waits for it first (:func:`wait_for_part`).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from analysis.vocab import PROV_ROW

MEMBER_KEY = "_member"  #: dense UInt32 key of an (org_id, member_id) pair in the study table
PART_ROW_GROUP = 131_072  #: rows per Parquet row group of a part (several groups per part: parallel reads)
#: row order of a table's parts: a rule reads the rows of one or two activity kinds, or one inspection
#: item, and the row groups holding others are then skipped on their statistics instead of read; a
#: member's study rows are one run, which the 12-days rule sums without hashing (rules/measures/edu.py)
PART_ORDER: dict[str, tuple[str, ...]] = {
    "activities": ("kind", "org_id", "date"),
    "inspections": ("item", "org_id", "year"),
    "study": (MEMBER_KEY, "date"),
}
#: parts of fewer rows are written at once (a thread costs more than they do)
BACKGROUND_ROWS = 200_000

_PENDING: dict[Path, Future[None]] = {}
_LOCK = threading.Lock()


def write_part_file(df: pl.DataFrame, path: Path, table: str | None = None) -> None:
    """Write one part file: zstd, row groups of :data:`PART_ROW_GROUP` rows, every column
    dictionary-encoded (pyarrow's writer: polars' own leaves numbers plain, and reading the ``days`` of
    a large study table then takes 4× as long) except the row numbers, which count up and are
    delta-encoded (a dictionary of unique numbers would double the size of a study part).

    Rows of ``table`` are stored in its :data:`PART_ORDER`, if it has one (a stable sort, so exact
    duplicates keep their order; rows already in that order are not sorted again).  A study part
    without its member keys (codes corrected after it was keyed) is left as it is: it is sorted when
    :meth:`analysis.store.StoreWriter.finish` keys it again."""
    if (order := PART_ORDER.get(table or "")) and set(order) <= set(df.columns) and not is_sorted(df, order):
        df = df.sort(order, nulls_last=True, maintain_order=True)
    plain = [PROV_ROW] if PROV_ROW in df.columns else []
    pq.write_table(
        df.to_arrow(compat_level=pl.CompatLevel.newest()),  # string views as they are: no conversion
        path,
        compression="zstd",
        row_group_size=PART_ROW_GROUP,
        use_dictionary=[c for c in df.columns if c not in plain],
        column_encoding=dict.fromkeys(plain, "DELTA_BINARY_PACKED"),
    )


def is_sorted(df: pl.DataFrame, order: list[str] | tuple[str, ...]) -> bool:
    """Whether the rows of ``df`` are in ``order`` already (ascending, nulls last), as a stable sort would
    leave them — then it need not run: a machine export is often written in that order.  One comparison
    of each row with the one before."""
    if df.height < 2:
        return True
    ok: pl.Expr | None = None
    for name in reversed(order):
        cur, prev = pl.col(name), pl.col(name).shift(1)
        less = pl.when(prev.is_null()).then(False).when(cur.is_null()).then(True).otherwise(prev < cur)
        same = prev.eq_missing(cur)
        ok = (less | same) if ok is None else (less | (same & ok))
    assert ok is not None
    return bool(df.select(ok.slice(1).all()).item())


def wait_for_part(path: Path) -> None:
    """Return once the part at ``path`` is written (at once when it is not being written); a write
    that failed raises its error here."""
    with _LOCK:
        pending = _PENDING.get(path)
    if pending is not None:
        pending.result()


class PartWrites:
    """Part files written by one thread beside the caller, one at a time (see the module notes)."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._last: Future[None] | None = None
        self._paths: list[Path] = []

    def write(self, df: pl.DataFrame, path: Path, table: str | None = None) -> None:
        """Write ``df`` to ``path`` (:func:`write_part_file`): a large part in the background, after
        the previous one is done."""
        self._settle_last()
        if df.height < BACKGROUND_ROWS:
            write_part_file(df, path, table)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="part-write")
        future = self._pool.submit(write_part_file, df, path, table)
        with _LOCK:
            _PENDING[path] = future
        self._last = future
        self._paths.append(path)

    def _settle_last(self) -> None:
        if self._last is not None:
            last, self._last = self._last, None
            last.result()

    def wait(self) -> None:
        """Return once every write is done; the first that failed raises its error."""
        try:
            self._settle_last()
        finally:
            with _LOCK:
                for path in self._paths:
                    _PENDING.pop(path, None)
            self._paths.clear()
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
