"""Every table's link to the registry, re-derived from the whole store at each run: rows naming an org
the registry lacks are refused (and their files read again once it has them), exact duplicates are
taken out in (file, sheet, row) order — on part files, keeping only a hash per row in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analysis.ingest.registry import _canonical, _fk_reject, _normalise_codes
from analysis.store import MEMBER_KEY, empty_table, table_schema, write_part_file
from analysis.store_digest import PartDigest, read_digest, remove_digest, write_digest
from analysis.store_parts import wait_for_part
from analysis.vocab import PROV_FILE, PROVENANCE

#: reasons a later registry can undo: a file with rows refused for them is read again at the next ingest
RECHECK_REASONS = ("unknown_org", "unknown_parent")
_HASH_SEED = 20090819


def _hashed(table: str) -> str:
    """What a row hash of ``table`` is made of (a digest made otherwise is not used)."""
    return f"{_HASH_SEED}:" + ",".join(_canonical(table))


@dataclass
class _Source:
    """Kept rows of one canonical table at the link and duplicate stages: a part file in the store
    being written, or (rows that were duplicates before) a frame in memory.  Only the 64-bit hashes of
    its rows (sorted), the org codes and the rows per file stay in memory for a part; they are kept next
    to the part (:class:`analysis.store.PartDigest`), so the next ingest need not read the part to know
    them.  A row's own hash is computed again when the rows are read (:meth:`row_hashes`)."""

    table: str
    path: Path | None = None
    frame: pl.DataFrame | None = None
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))  #: sorted
    org_ids: pl.Series = field(default_factory=lambda: pl.Series("org_id", [], pl.String))
    counts: pl.DataFrame = field(default_factory=pl.DataFrame)  #: _file, n
    #: the part is as the previous store left it, described by its digest, and its rows are distinct
    #: from those of every other such part
    settled: bool = False

    @classmethod
    def of(cls, table: str, df: pl.DataFrame, path: Path | None = None) -> _Source:
        src = cls(table, path, None if path is not None else df)
        src._describe(df)
        return src

    @classmethod
    def of_digest(cls, table: str, path: Path) -> _Source | None:
        """The part at ``path`` described by its digest, unread; None when it has no usable digest."""
        d = read_digest(path, _hashed(table))
        if d is None:
            return None
        counts = pl.DataFrame(
            {PROV_FILE: list(d.counts), "n": list(d.counts.values())}, schema={PROV_FILE: pl.String, "n": pl.UInt32}
        )
        return cls(table, path, None, d.hashes, pl.Series("org_id", d.org_ids, pl.String), counts, True)

    def _describe(self, df: pl.DataFrame) -> None:
        self.hashes = df.select(self._hash().sort()).to_series().to_numpy()
        self.settled = False
        self.org_ids = df["org_id"].unique()
        self.counts = df.group_by(PROV_FILE).agg(pl.len().alias("n"))
        if self.path is not None:
            self.save_digest()

    def _hash(self) -> pl.Expr:
        return pl.struct(_canonical(self.table)).hash(_HASH_SEED)

    def row_hashes(self, df: pl.DataFrame) -> np.ndarray:
        """The hash of each row of ``df`` (this source's rows, as loaded), in row order."""
        return df.select(self._hash()).to_series().to_numpy()

    def save_digest(self) -> None:
        assert self.path is not None
        files = self.counts[PROV_FILE].to_list()
        counts = dict(zip(files, self.counts["n"].to_list(), strict=True))
        write_digest(self.path, PartDigest(self.hashes, self.org_ids.to_list(), counts, _hashed(self.table)))

    @property
    def rows(self) -> int:
        return len(self.hashes)

    def load(self) -> pl.DataFrame:
        if self.frame is not None:
            return self.frame
        assert self.path is not None
        wait_for_part(self.path)  # a part of this ingest may still be being written
        return pl.read_parquet(self.path)

    def replace(self, df: pl.DataFrame) -> None:
        """New content for this source (rows refused or found duplicate were taken out)."""
        if self.path is not None:
            wait_for_part(self.path)
        if self.path is None:
            self.frame = df
        elif df.height == 0:
            self.path.unlink()  # the table keeps at least one part: StoreWriter.finish sees to that
            remove_digest(self.path)
        else:
            tmp = self.path.with_suffix(".rewrite")
            write_part_file(df, tmp, self.table)
            os.replace(tmp, self.path)  # rebinds the name only: a hard-linked previous part is untouched
        self._describe(df)


def _check_links(sources: list[_Source], name: str, registry: pl.Series) -> list[pl.DataFrame]:
    """Restore stripped leading zeros and refuse rows whose org is not in the registry; only sources
    holding an unknown code are read again."""
    rejects = []
    known = registry.implode()
    if not sources:
        return rejects
    codes = pl.concat([s.org_ids for s in sources]).unique()
    unknown = codes.filter(~codes.is_in(known)).implode()  # one lookup in the registry for all sources
    for src in sources:
        if not src.org_ids.is_in(unknown).any():
            continue
        df = _normalise_codes(src.load().drop(MEMBER_KEY, strict=False), "org_id", registry)  # codes change: key again
        df, r = _fk_reject(df, name, ~pl.col("org_id").is_in(known), "org_id", "unknown_org")
        src.replace(df)
        rejects.append(r)
    return rejects


def _contains(sorted_hashes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` occur in ``sorted_hashes`` (binary search: touches few pages of a memory map)."""
    if not len(sorted_hashes) or not len(values):
        return np.zeros(len(values), bool)
    at = np.searchsorted(sorted_hashes, values).clip(max=len(sorted_hashes) - 1)
    return np.asarray(sorted_hashes[at] == values)


def _groups(sources: list[_Source]) -> list[list[_Source]]:
    """The sources in groups that share no org code with one another: rows of two orgs are never the
    same row (every table's rows carry their org), so duplicates are only looked for within a group."""
    parent = list(range(len(sources)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(sources) > 1:
        owners = pl.concat(
            s.org_ids.unique().to_frame("org_id").with_columns(pl.lit(i, pl.Int64).alias("_src"))
            for i, s in enumerate(sources)
        )
        shared = owners.group_by("org_id").agg("_src").filter(pl.col("_src").list.len() > 1)
        for first, *others in shared["_src"].to_list():  # the few codes held by more than one source
            for j in others:
                parent[root(j)] = root(first)
    groups: dict[int, list[_Source]] = {}
    for i, src in enumerate(sources):
        groups.setdefault(root(i), []).append(src)
    return list(groups.values())


def _repeated(sources: list[_Source]) -> np.ndarray:
    """Hashes that occur more than once among the sources (sorted, unique).  The parts the previous store
    left as they were (:attr:`_Source.settled`) hold distinct rows among themselves — that store took
    their duplicates out — so only the other sources' hashes are looked for: among themselves, in groups
    that share org codes (:func:`_groups`), and in the settled parts holding one of the group's orgs — a
    row and its copy carry the same org, so the result is the same as comparing every source with every
    other, and a file of new rows is compared with the few parts holding its orgs, not the whole store."""
    settled = [s for s in sources if s.settled]
    out = [np.empty(0, np.uint64)]
    for group in _groups([s for s in sources if not s.settled]):
        fresh = group[0].hashes
        if len(group) > 1:  # sorted runs: a stable sort merges them
            fresh = np.sort(np.concatenate([s.hashes for s in group]), kind="stable")
        out.append(fresh[1:][fresh[1:] == fresh[:-1]])
        orgs = pl.concat([s.org_ids for s in group]).unique().implode()
        holding = [s for s in settled if s.org_ids.is_in(orgs, nulls_equal=True).any()]
        out += [fresh[_contains(s.hashes, fresh)] for s in holding]
    return np.unique(np.concatenate(out))


def _take_duplicates(sources: list[_Source], name: str) -> pl.DataFrame:
    """Take exact duplicates out of the sources and return them; the first copy in (file, sheet, row)
    order stays.  A row can only be a duplicate when its 64-bit hash occurs more than once, so only
    those candidate rows are read and compared — on their values, the hash only preselects."""
    if not sources:
        return empty_table(name)
    repeated = _repeated(sources)
    if repeated.size == 0:
        return empty_table(name)
    candidates = []
    for i, src in enumerate(sources):
        if not _contains(src.hashes, repeated).any():
            continue
        df = src.load()
        idx = np.flatnonzero(np.isin(src.row_hashes(df), repeated))
        if idx.size:
            wanted = pl.Series(idx.astype(np.int64)).implode()
            rows = df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
            picked = rows.filter(pl.col("_idx").is_in(wanted)).select("_idx", *table_schema(name))
            candidates.append(picked.with_columns(pl.lit(i, pl.Int64).alias("_src")))
    cand = pl.concat(candidates).sort(list(PROVENANCE))
    dups = cand.filter(~pl.struct(_canonical(name)).is_first_distinct())
    for (i,), grp in dups.group_by("_src"):
        src = sources[int(i)]  # type: ignore[call-overload]
        drop = grp["_idx"].implode()
        rows = src.load().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
        src.replace(rows.filter(~pl.col("_idx").is_in(drop)).drop("_idx"))
    return dups.drop("_idx", "_src")


def _fixable_files(rejects: pl.DataFrame, registry: pl.Series) -> list[str]:
    """Files with rows refused for an org or parent code that the registry has now: read again, those
    rows would be kept."""
    hit = rejects.filter(pl.col("reason_code").is_in(RECHECK_REASONS) & pl.col("value").is_in(registry.implode()))
    return sorted(hit[PROV_FILE].unique().to_list())
