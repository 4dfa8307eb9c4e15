"""The Parquet store: one folder of part files per canonical table, the rejects, the duplicates and a manifest.

Layout of a store folder::

    orgs/part-00000.parquet ...           kept rows, canonical columns + _file/_sheet/_row, in part files
    study/part-00000.parquet ...          (a large table is written part by part, never held whole in memory;
                                          study parts also carry ``_member``, see below)
    study_members.parquet                 the member index: (org_id, member_id) -> ``_member`` (UInt32)
    duplicates.parquet                    exact duplicates that were counted, not kept (with table name)
    rejects.parquet                       refused rows and refused files, with reasons in Chinese and English
    manifest.parquet                      one row per ingested file: size, sha256, rows read/kept/refused/dup
    store.json                            which canonical columns each table's sources carried

A table folder is absent when no source ever held that table: rules that need it are then ``no_data``;
a table that exists always has at least one part (maybe with zero rows).  Stores written before the
part layout (one ``<table>.parquet`` file per table) are still read, and migrated by the next ingest.
Writes go to a temporary sibling folder that is swapped in at the end, so an interrupted ingest
leaves the previous store intact.  One ingest writes a store at a time (:func:`store_lock`), and a reader
reads a snapshot of the last complete store, so an ingest finishing meanwhile changes nothing it reads
(:mod:`analysis.store_guard`).

Part files are written with dictionary encoding for every column (pyarrow's writer, 128 Ki-row groups):
the numbers of an activity table repeat a few values, and reading them back is then several times faster.
Activity parts are stored by kind and inspection parts by item (:data:`PART_ORDER`), so a rule that reads
one kind skips the row groups of the others on their statistics; study parts are stored by member key.

**The member index.**  The 12-days-per-member rule groups every study row by (org, member) — at province
scale 140 million rows into 6 million groups, the largest single cost of an assessment when the key is two
strings.  So the store gives each (org_id, member_id) pair a dense integer ``_member`` once, at ingest: each
study part carries the column and ``study_members.parquet`` maps it back.  Keys are only ever appended
(a later ingest keeps the earlier keys), so parts carried over from the previous store stay valid; a
part whose codes were changed after it was keyed is keyed again in :meth:`StoreWriter.finish`.
:meth:`Store.table` never shows ``_member``; :meth:`Store.study_keyed` is the way to use it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from analysis.store_digest import digest_paths
from analysis.store_guard import (
    StoreError,
    os_error_message,
    owned_folder,
    snapshot_folder,
    store_lock,
    store_write_error,
    sweep,
    wait_for_swap,
)
from analysis.store_parts import MEMBER_KEY, PartWrites, is_sorted, write_part_file
from analysis.store_parts import PART_ORDER as PART_ORDER  # re-exported: the store's row order
from analysis.store_parts import PART_ROW_GROUP as PART_ROW_GROUP
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, TABLES, ColumnKind, Table

STORE_VERSION = 2  #: 2 = a folder of part files per table; 1 = one file per table
DEFAULT_STORE = Path("data/store")
MEMBERS_FILE = "study_members.parquet"
MEMBERS_SCHEMA: dict[str, pl.DataType] = {"org_id": pl.String(), "member_id": pl.String(), MEMBER_KEY: pl.UInt32()}
_DTYPES: dict[ColumnKind, pl.DataType] = {
    "code": pl.String(),
    "text": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.Date(),
    "month": pl.Date(),
    "bool": pl.Boolean(),
    "org_type": pl.String(),
    "activity_kind": pl.String(),
    "incident_kind": pl.String(),
    "worker_role": pl.String(),
    "year": pl.Int64(),
}

PROVENANCE_SCHEMA: dict[str, pl.DataType] = {
    PROV_FILE: pl.String(),
    PROV_SHEET: pl.String(),
    PROV_ROW: pl.Int64(),
}

REJECTS_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),  # canonical table, "" when the file was refused before it was recognised
    PROV_FILE: pl.String(),
    PROV_SHEET: pl.String(),
    PROV_ROW: pl.Int64(),  # null for a refused file
    "column": pl.String(),  # canonical column at fault, "" for file-level faults
    "value": pl.String(),  # the offending value as read
    "reason_code": pl.String(),
    "reason_zh": pl.String(),
    "reason_en": pl.String(),
    "record": pl.String(),  # the whole source row as JSON, so nothing is lost
}

MANIFEST_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.String(),  # as stored in _file
    "size": pl.Int64(),
    "sha256": pl.String(),
    "tables": pl.String(),  # canonical tables found, joined by ","
    "status": pl.String(),  # "ok" or "refused"
    "message": pl.String(),  # Chinese message: why the file, or some of its sheets, were refused
    "rows_read": pl.Int64(),
    "rows_kept": pl.Int64(),
    "rows_refused": pl.Int64(),
    "rows_duplicate": pl.Int64(),
    "ingested_at": pl.String(),
}


def table_schema(table: Table | str) -> dict[str, pl.DataType]:
    """Polars schema of a canonical table as kept in the store (canonical columns + provenance)."""
    t = TABLES[table] if isinstance(table, str) else table
    schema: dict[str, pl.DataType] = {c.name: _DTYPES[c.kind] for c in t.columns}
    schema.update(PROVENANCE_SCHEMA)
    return schema


def empty_table(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=table_schema(name))


@dataclass
class Store:
    """A read-only view of a store: canonical tables as polars LazyFrames.

    Build it with :meth:`open` for a folder on disk, or :meth:`from_frames` in tests and notebooks.
    """

    path: Path | None
    _frames: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)
    _columns_present: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _root: Path | None = field(default=None, repr=False)  #: where the files are read: a snapshot, or ``path``

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str] = DEFAULT_STORE, snapshot: bool = True) -> Store:
        """Open the store folder at ``path``: the last complete store, as it is now.

        With ``snapshot`` (the default) the files are read from a snapshot (hard links), so an ingest that
        completes while this store is read changes nothing it reads; ingest itself, which holds the
        writers' lock, reads in place."""
        p = Path(path)
        _recover_interrupted(p)
        meta_file = p / "store.json"
        if not meta_file.is_file():
            raise StoreError(f"找不到数据仓库：{p}（请先运行 workbench ingest 导入数据）")
        root = (snapshot_folder(p) if snapshot else None) or p
        meta_file = root / "store.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"数据仓库元数据已损坏：{p / 'store.json'}（{exc}）") from exc
        cols = {name: list(info.get("columns_present", [])) for name, info in meta.get("tables", {}).items()}
        return cls(path=p, _columns_present=cols, _root=root)

    @property
    def root(self) -> Path | None:
        """The folder the store's files are read from (a snapshot of ``path``); None in memory."""
        return self._root or self.path

    @classmethod
    def from_frames(
        cls,
        tables: dict[str, pl.DataFrame],
        columns_present: dict[str, list[str]] | None = None,
    ) -> Store:
        """An in-memory store. Missing canonical columns are added as nulls; missing provenance is
        filled with ``_file="<memory>"`` and row numbers 1..n.  ``columns_present`` defaults to
        the columns each given frame actually had."""
        frames: dict[str, pl.DataFrame] = {}
        present: dict[str, list[str]] = {}
        for name, df in tables.items():
            if name not in TABLES:
                raise StoreError(f"未知的数据表：{name}")
            present[name] = [c for c in TABLES[name].names if c in df.columns]
            frames[name] = conform(df, name)
        if columns_present:
            present.update(columns_present)
        return cls(path=None, _frames=frames, _columns_present=present)

    # -- reading --------------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True when the table exists in the dataset (even with zero rows)."""
        if self.root is None:
            return name in self._frames
        if name == "orgs" and (self.root / "orgs_derived.parquet").is_file():
            return True
        return bool(table_parts(self.root, name))

    def table(self, name: str) -> pl.LazyFrame:
        """The kept rows of a canonical table; an empty frame of the right schema when absent."""
        if name not in TABLES:
            raise StoreError(f"未知的数据表：{name}")
        if self.root is None:
            return self._frames.get(name, empty_table(name)).lazy()
        parts = table_parts(self.root, name)
        schema = table_schema(name)
        # a store written before a canonical column was added reads it as nulls (missing_columns)
        lf = (
            pl.scan_parquet(parts, schema=schema, extra_columns="ignore", missing_columns="insert")
            if parts
            else empty_table(name).lazy()
        )
        derived = self.root / "orgs_derived.parquet"
        if name == "orgs" and derived.is_file():
            # orgs derived from hierarchy columns complete the registry; the registry wins on a code
            extra = pl.scan_parquet(derived, schema=schema, extra_columns="ignore", missing_columns="insert")
            extra = extra.join(lf.select("org_id"), on="org_id", how="anti")
            lf = pl.concat([lf, extra], how="vertical_relaxed")
        return lf

    def study_keyed(
        self, start: date | None = None, end: date | None = None
    ) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        """The study rows dated ``start``–``end`` (both inclusive; all rows when not given) as
        ``(_member, date, days)``, and the member index ``(org_id, member_id, _member)``.

        Grouping by the one integer ``_member`` is several times cheaper than by the two code strings.  A
        store written by ingest carries the keys (see the module notes); an in-memory store, or one written
        before the index existed, gets them here, with one pass over the rows.  A part whose dates all lie
        in the window (its Parquet statistics say so) is read without testing each row's date.
        """
        cols = (MEMBER_KEY, "date", "days")
        windowed = start is not None or end is not None
        start, end = start or date.min, end or date.max
        dated = pl.col("date").is_between(start, end) if windowed else pl.lit(True)
        if self.root is not None and (self.root / MEMBERS_FILE).is_file():
            meta = {p: pq.read_metadata(p) for p in table_parts(self.root, "study")}  # one footer read a part
            if meta and all(MEMBER_KEY in m.schema.names for m in meta.values()):
                inside = [p for p, m in meta.items() if not windowed or _dates_within(m, "date", start, end)]
                rest = [p for p in meta if p not in inside]
                scans = [pl.scan_parquet(inside).select(cols)] if inside else []
                scans += [pl.scan_parquet(rest).select(cols).filter(dated)] if rest else []
                return pl.concat(scans), pl.scan_parquet(self.root / MEMBERS_FILE)
        rows = self.table("study")
        members = rows.select("org_id", "member_id").unique().sort("org_id", "member_id").with_row_index(MEMBER_KEY)
        keyed = rows.filter(dated).join(members, on=["org_id", "member_id"], how="left", nulls_equal=True)
        return keyed.select(cols), members.select(*MEMBERS_SCHEMA)

    def columns_present(self, name: str) -> set[str]:
        """Canonical columns that at least one source of this table carried."""
        return set(self._columns_present.get(name, []))

    def _aux(self, name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        if self.root is None:
            return self._frames.get(name, pl.DataFrame(schema=schema))
        f = self.root / f"{name}.parquet"
        return pl.read_parquet(f) if f.is_file() else pl.DataFrame(schema=schema)

    def derived_orgs(self) -> pl.DataFrame:
        """Registry rows derived from the hierarchy columns of activity exports (mapping profiles)."""
        return self._aux("orgs_derived", table_schema("orgs"))

    def conflicts(self) -> pl.DataFrame:
        """Codes whose name or type differs between the registry and the derived hierarchy."""
        return self._aux(
            "conflicts",
            {"org_id": pl.String(), "field": pl.String(), "registry_value": pl.String(), "derived_value": pl.String(), **PROVENANCE_SCHEMA},
        )

    def rejects(self) -> pl.DataFrame:
        return self._aux("rejects", REJECTS_SCHEMA)

    def manifest(self) -> pl.DataFrame:
        return self._aux("manifest", MANIFEST_SCHEMA)

    def duplicates(self) -> pl.DataFrame:
        return self._aux("duplicates", {"table": pl.String(), **PROVENANCE_SCHEMA})

    def tables(self) -> dict[str, pl.LazyFrame]:
        """Every canonical table that exists in the dataset."""
        return {n: self.table(n) for n in TABLES if self.has(n)}


def _dates_within(meta: pq.FileMetaData, column: str, start: date, end: date) -> bool:
    """True when a part's Parquet statistics (``meta``) show every value of ``column`` non-null and
    within ``start``–``end``; False when they do not, or say nothing (then the rows must be tested)."""
    names = meta.schema.names
    if column not in names:
        return False
    j = names.index(column)
    for i in range(meta.num_row_groups):
        st = meta.row_group(i).column(j).statistics
        if st is None or not st.has_min_max or st.null_count != 0:
            return False
        if not (isinstance(st.min, date) and isinstance(st.max, date) and start <= st.min and st.max <= end):
            return False
    return True


def activity_years(store: Store) -> list[int]:
    """Calendar years with at least one activity row: a year outside them has no party life on record."""
    if not store.has("activities"):
        return []
    years = store.table("activities").select(pl.col("date").dt.year().cast(pl.Int64)).drop_nulls().unique().collect()
    return sorted(int(y) for y in years["date"])


def years_with_data(store: Store) -> list[int]:
    """Calendar years with yearly work on record (activities, study, dues or inspection scores):
    the years a comparison or a trend can honestly include.  Elections and incidents are left
    out — a registry of past elections reaches back decades without the year's work."""
    dated = {"activities": "date", "study": "date", "dues": "month"}
    frames = [
        store.table(t).select(pl.col(c).dt.year().cast(pl.Int64).alias("year"))
        for t, c in dated.items()
        if store.has(t)
    ]
    if store.has("inspections"):
        frames.append(store.table("inspections").select(pl.col("year").cast(pl.Int64)))
    if not frames:
        return []
    years = pl.concat(frames).drop_nulls().unique().collect()["year"]
    return sorted(int(y) for y in years)


def conform(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """Give ``df`` exactly the store schema of table ``name`` (adds missing columns as nulls)."""
    schema = table_schema(name)
    n = df.height
    exprs: list[pl.Expr] = []
    for col, dtype in schema.items():
        if col in df.columns:
            exprs.append(pl.col(col).cast(dtype))
        elif col == PROV_FILE:
            exprs.append(pl.lit("<memory>", dtype).alias(col))
        elif col == PROV_SHEET:
            exprs.append(pl.lit("", dtype).alias(col))
        elif col == PROV_ROW:
            exprs.append(pl.int_range(1, n + 1, dtype=pl.Int64).alias(col))
        else:
            exprs.append(pl.lit(None, dtype).alias(col))
    return df.select(exprs)


def table_parts(path: Path, name: str) -> list[Path]:
    """The Parquet files holding the kept rows of table ``name`` in the store folder ``path``: the
    part files of its folder, or the single file of a store written before the part layout."""
    folder = path / name
    if folder.is_dir():
        return sorted(folder.glob("*.parquet"))
    legacy = path / f"{name}.parquet"
    return [legacy] if legacy.is_file() else []


# ---------------------------------------------------------------------------------------------
# Writing (used by ingest): everything goes to a temporary folder, then swapped in.
# ---------------------------------------------------------------------------------------------
class StoreWriter:
    """A store being written: part files go to a temporary sibling folder as they come, and
    :meth:`finish` adds the small tables and the metadata and swaps the folder in.  Any failure before
    that (call :meth:`abort`) leaves the previous store as it was.  Make one under :func:`store_lock`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for kind in ("tmp", "read"):  # left by ingests and readers that were killed
                sweep(self.path, kind)
            self.tmp = owned_folder(self.path, "tmp")
        except OSError as exc:
            raise store_write_error(exc, self.path) from exc
        self._next: dict[str, int] = {}
        self._members: pl.DataFrame | None = None  # the member index, loaded when a study part is first keyed
        self._inherited = False  # the index was carried over from the previous store
        self._keyed: set[str] = set()  # study parts keyed by this writer
        self._grown = False  # pairs were added to the inherited index
        self._member_orgs: pl.Series | None = None  # the index's org codes (None: not known yet)
        self._writes = PartWrites()  # large parts are written beside the caller (analysis.store_parts)

    def _new_part(self, name: str) -> Path:
        folder = self.tmp / name
        folder.mkdir(exist_ok=True)
        k = self._next.get(name, 0)
        while (folder / f"part-{k:05d}.parquet").exists():
            k += 1
        self._next[name] = k + 1
        return folder / f"part-{k:05d}.parquet"

    def write_part(self, name: str, df: pl.DataFrame) -> Path:
        """Write rows of table ``name`` (in store schema) as a new part; returns its path.  Study rows
        get their ``_member`` keys here unless they already carry them (rows of a keyed part)."""
        target = self._new_part(name)
        if name == "study" and MEMBER_KEY not in df.columns:
            df = self.key_members(df)
            self._keyed.add(target.name)
        self._writes.write(df, target, name)
        return target

    def _index_orgs(self) -> pl.Series:
        """The org codes of the member index (kept beside it, so a part of new orgs is told at once)."""
        if self._member_orgs is None:
            self._member_orgs = self.members()["org_id"].unique()
        return self._member_orgs

    def members(self) -> pl.DataFrame:
        """The member index being built: the previous store's (keys are only appended), then new pairs."""
        if self._members is None:
            if self._previous_index():
                self._members = pl.read_parquet(self.path / MEMBERS_FILE).select(*MEMBERS_SCHEMA)
                self._inherited = True
            else:
                self._members = pl.DataFrame(schema=MEMBERS_SCHEMA)
        return self._members

    def _previous_index(self) -> bool:
        """Whether the previous store has a member index (the one this writer's index grows from)."""
        return (self.path / MEMBERS_FILE).is_file() and (self.path / "store.json").is_file()

    def key_members(self, df: pl.DataFrame) -> pl.DataFrame:
        """``df`` (study rows) with ``_member``: known pairs keep their key, new pairs get the next keys
        in (org_id, member_id) order, so the same ingests give the same keys."""
        pair = ["org_id", "member_id"]
        members = self.members()
        orgs = df["org_id"].unique()
        if not orgs.is_in(self._index_orgs().implode(), nulls_equal=True).any():
            return self._key_new_orgs(df, orgs)
        pairs = df.select(pair).unique()
        known = members.filter(pl.col("org_id").is_in(pairs["org_id"].unique().implode(), nulls_equal=True))
        new = pairs.join(known, on=pair, how="anti", nulls_equal=True).sort(pair, nulls_last=True)
        if new.height:
            start = members.height
            new = new.with_columns(pl.int_range(start, start + new.height, dtype=pl.UInt32).alias(MEMBER_KEY))
            self._members = members = pl.concat([members, new])
            self._member_orgs = None
            self._grown = True
            known = pl.concat([known, new])
        return df.join(known, on=pair, how="left", nulls_equal=True, maintain_order="left")

    def _key_new_orgs(self, df: pl.DataFrame, orgs: pl.Series) -> pl.DataFrame:
        """:meth:`key_members` of rows whose orgs the index does not hold yet: every pair is new, so the
        rows sorted by (org_id, member_id, date) — the store order they get anyway — are numbered run by
        run from the next key, with no join."""
        order = ["org_id", "member_id", "date"]
        if not is_sorted(df, order):
            df = df.sort(order, nulls_last=True, maintain_order=True)
        start = self.members().height
        changed = pl.col("org_id").ne_missing(pl.col("org_id").shift(1)) | pl.col("member_id").ne_missing(
            pl.col("member_id").shift(1)
        )
        key = (changed.cum_sum().cast(pl.Int64) + (start - 1)).cast(pl.UInt32).alias(MEMBER_KEY)
        df = df.with_columns(key)
        new = df.filter(changed).select(*MEMBERS_SCHEMA)
        if new.height:
            self._members = pl.concat([self.members(), new])
            self._member_orgs = pl.concat([self._index_orgs(), orgs])
            self._grown = True
        return df

    def link_part(self, name: str, source: Path) -> Path:
        """Carry a part of the previous store over unchanged: a hard link when the file system allows
        (no copy, and the previous store stays intact), else a copy.  Parts of the part layout keep their
        name; the single file of an older store becomes a part.  The part's digest comes along."""
        folder = self.tmp / name
        folder.mkdir(exist_ok=True)
        target = folder / source.name if source.parent.name == name else self._new_part(name)
        pairs = [(source, target)]
        pairs += [(a, b) for a, b in zip(digest_paths(source), digest_paths(target), strict=True) if a.is_file()]
        for src, dst in pairs:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        return target

    def finish(
        self,
        tables: dict[str, int],
        duplicates: pl.DataFrame,
        rejects: pl.DataFrame,
        manifest: pl.DataFrame,
        columns_present: dict[str, list[str]],
        derived_orgs: pl.DataFrame | None = None,
        conflicts: pl.DataFrame | None = None,
    ) -> None:
        """Complete the store (``tables``: name -> rows kept, for every table that exists) and swap it in."""
        self._writes.wait()
        for name in tables:
            folder = self.tmp / name
            if not folder.is_dir() or not any(folder.glob("*.parquet")):
                self.write_part(name, empty_table(name))  # an existing table with no rows
        if "study" in tables:
            self._key_study_parts()
        duplicates.write_parquet(self.tmp / "duplicates.parquet")
        rejects.write_parquet(self.tmp / "rejects.parquet")
        manifest.write_parquet(self.tmp / "manifest.parquet")
        if derived_orgs is not None and derived_orgs.height:
            derived_orgs.write_parquet(self.tmp / "orgs_derived.parquet")
        if conflicts is not None and conflicts.height:
            conflicts.write_parquet(self.tmp / "conflicts.parquet")
        meta = {
            "version": STORE_VERSION,
            "tables": {
                name: {"columns_present": sorted(columns_present.get(name, [])), "rows": rows}
                for name, rows in tables.items()
            },
            "derived_orgs": 0 if derived_orgs is None else derived_orgs.height,
        }
        (self.tmp / "store.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(self.tmp, self.path)

    @contextlib.contextmanager
    def writing(self) -> Iterator[StoreWriter]:
        """The writer for the block: aborted when the block fails, and a write refused by a full disk or a
        read-only folder raised as StoreError."""
        try:
            yield self
        except Exception as exc:
            self.abort()
            if isinstance(exc, OSError) or os_error_message(exc) is not None:
                raise store_write_error(exc, self.path) from exc
            raise
        except BaseException:
            self.abort()
            raise

    def _key_study_parts(self) -> None:
        """Key the study parts that lost ``_member`` after they were written (rows whose codes were
        corrected), or whose keys came from an index that is not this one; write the index next to them.
        The index itself is read only when a part is keyed or it grew (an increment of other tables
        links it unread)."""
        inherited = self._inherited if self._members is not None else self._previous_index()
        for part in table_parts(self.tmp, "study"):
            keyed = MEMBER_KEY in pq.read_schema(part).names
            if not keyed or not (inherited or part.name in self._keyed):
                df = self.key_members(pl.read_parquet(part).drop(MEMBER_KEY, strict=False))
                tmp = part.with_suffix(".rekey")
                write_part_file(df, tmp, "study")
                os.replace(tmp, part)  # a new file: a hard-linked previous part is untouched
        if inherited and not self._grown:  # the previous index as it was: linked, not written again
            with contextlib.suppress(OSError):
                os.link(self.path / MEMBERS_FILE, self.tmp / MEMBERS_FILE)
                return
        write_part_file(self.members(), self.tmp / MEMBERS_FILE)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the error that made us abort is the one raised
            self._writes.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def write_store(
    path: Path,
    tables: dict[str, pl.DataFrame],
    duplicates: pl.DataFrame,
    rejects: pl.DataFrame,
    manifest: pl.DataFrame,
    columns_present: dict[str, list[str]],
    derived_orgs: pl.DataFrame | None = None,
    conflicts: pl.DataFrame | None = None,
) -> None:
    """Write a complete store held in memory to ``path`` atomically (temporary sibling folder, then rename)."""
    with store_lock(path), StoreWriter(path).writing() as writer:
        for name, df in tables.items():
            writer.write_part(name, df)
        writer.finish(
            {name: df.height for name, df in tables.items()},
            duplicates, rejects, manifest, columns_present, derived_orgs, conflicts,
        )


def _old_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.old")


def _swap_in(tmp: Path, path: Path) -> None:
    old = _old_path(path)
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _recover_interrupted(path: Path) -> None:
    """If a previous swap was cut between its two renames, put the old store back — unless a live writer
    is between them right now: then wait for its new store."""
    old = _old_path(path)
    if not path.exists() and old.exists() and not wait_for_swap(path, old):
        with contextlib.suppress(OSError):  # a read-only folder, or another reader put it back first
            os.replace(old, path)
