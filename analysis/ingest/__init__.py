"""Ingest: a folder tree of exports in, a store out — every row kept, refused with a reason, or counted
as an exact duplicate, and the three always add up to the rows read.

The store is a function of the *set* of files ingested so far: each run merges the new files with what
the store holds, re-checks the registry links, and re-derives duplicates in (file, sheet, row) order,
so the evidence copy of a duplicated row never depends on the order files were read.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis.ingest.profiles import Profile, ProfileError, load_profiles
from analysis.ingest.readers import FileRefused, Limits, read_file
from analysis.ingest.validate import Parsed, parse_sheet, recognise, with_reason_text
from analysis.store import (
    DEFAULT_STORE,
    MANIFEST_SCHEMA,
    MEMBER_KEY,
    PROVENANCE_SCHEMA,
    REJECTS_SCHEMA,
    Store,
    StoreError,
    StoreWriter,
    empty_table,
    table_parts,
    table_schema,
    write_part_file,
)
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, PROVENANCE, TABLES, reason

__all__ = ["IngestError", "IngestResult", "Limits", "Profile", "ProfileError", "discover", "ingest", "load_profiles"]

DUP_SCHEMA = {"table": pl.String(), **PROVENANCE_SCHEMA}
CONFLICT_SCHEMA: dict[str, pl.DataType] = {
    "org_id": pl.String(),
    "field": pl.String(),
    "registry_value": pl.String(),
    "derived_value": pl.String(),
    **PROVENANCE_SCHEMA,
}


class IngestError(Exception):
    """The ingest cannot go on at all (not a bad file: those are refused and reported)."""


@dataclass
class IngestResult:
    """What one ingest did. ``files`` holds the manifest rows of the files read in this run."""

    store: Path
    files: pl.DataFrame
    skipped: list[str] = field(default_factory=list)  #: already in the store (same content)
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTS_SCHEMA))
    conflicts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONFLICT_SCHEMA))
    #: files already in the store read again because rows of theirs had been refused for an org code the
    #: registry did not have (it may have it now); they are also in ``files``
    rechecked: list[str] = field(default_factory=list)
    #: files (not among this run's inputs) whose refused rows name an org the registry now has: ingesting
    #: their folder again keeps those rows
    fixable: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        f = self.files
        return {
            "files": f.height,
            "files_refused": f.filter(pl.col("status") == "refused").height,
            "rows_read": int(f["rows_read"].sum()),
            "rows_kept": int(f["rows_kept"].sum()),
            "rows_refused": int(f["rows_refused"].sum()),
            "rows_duplicate": int(f["rows_duplicate"].sum()),
        }


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------
def discover(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, str]]:
    """Every candidate file under ``paths`` as (path on disk, name to record), sorted by name.

    Folders are walked without following symbolic links to folders, so link loops cannot trap the
    walk; hidden files and Office lock files (``~$…``) are passed over.
    """
    found: dict[str, Path] = {}
    for p in paths:
        root = Path(p)
        if root.is_file():
            found.setdefault(root.name, root)
            continue
        if not root.is_dir():
            raise IngestError(f"找不到路径：{root}")
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith((".", "~$")):
                    continue
                full = Path(dirpath) / name
                rel = full.relative_to(root).as_posix()
                found.setdefault(rel, full)
    return sorted(((path, rel) for rel, path in found.items()), key=lambda x: x[1])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------------------------
@dataclass
class _FileOutcome:
    rel: str
    size: int
    sha: str
    parsed: list[Parsed]
    rejects: list[pl.DataFrame]
    refused_message: str | None
    rows_read: int
    note: str = ""  #: sheets refused in a file whose other sheets were read


def _file_reject(rel: str, sheet: str, code: str, detail: str) -> pl.DataFrame:
    zh, en = reason(code, detail)
    return pl.DataFrame(
        {
            "table": [""],
            PROV_FILE: [rel],
            PROV_SHEET: [sheet],
            PROV_ROW: [None],
            "column": [""],
            "value": [""],
            "reason_code": [code],
            "reason_zh": [zh],
            "reason_en": [en],
            "record": [""],
        },
        schema=REJECTS_SCHEMA,
    )


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise FileRefused("too_slow") after ``seconds`` (POSIX main thread; elsewhere no limit).

    Native readers are interrupted when they hand control back to Python; the size limits bound
    how long that can be."""
    use = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not use:
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        raise FileRefused("too_slow", f"超过 {seconds:g} 秒")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _read_one(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome:
    try:
        with _time_limit(limits.max_seconds_per_file):
            return _read_one_unlimited(path, rel, size, sha, limits, profiles)
    except FileRefused as exc:
        return _FileOutcome(rel, size, sha, [], [_file_reject(rel, "", exc.code, exc.detail)], reason(exc.code, exc.detail)[0], 0)


def _read_one_unlimited(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome:
    out = _FileOutcome(rel, size, sha, [], [], None, 0)
    try:
        sheets = read_file(path, limits)
    except FileRefused as exc:
        out.rejects.append(_file_reject(rel, "", exc.code, exc.detail))
        out.refused_message = reason(exc.code, exc.detail)[0]
        return out
    messages = []
    for sheet in sheets:
        if sheet.data.height == 0:
            continue  # an empty sheet (Sheet2, Sheet3) is not a table
        try:
            rec = recognise(sheet, limits, rel, profiles)
            parsed = parse_sheet(sheet, rec, rel)
        except FileRefused as exc:
            where = f"工作表“{sheet.sheet}”：" if sheet.sheet else ""
            out.rejects.append(_file_reject(rel, sheet.sheet, exc.code, exc.detail))
            messages.append(where + reason(exc.code, exc.detail)[0])
            continue
        out.parsed.append(parsed)
        out.rejects.append(parsed.rejects)
        out.rows_read += parsed.rows_read
    if not out.parsed:
        out.refused_message = "；".join(messages) or reason("header_only")[0]
        if not messages:
            out.rejects.append(_file_reject(rel, "", "header_only", ""))
    else:
        out.note = "；".join(messages)
    return out


# ---------------------------------------------------------------------------------------------
# Merging with the store
# ---------------------------------------------------------------------------------------------
def _canonical(name: str) -> list[str]:
    return list(TABLES[name].names)


def _fk_reject(df: pl.DataFrame, name: str, mask: pl.Expr, column: str, code: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``df`` into (rows kept, reject rows) by ``mask`` = refuse."""
    bad = df.filter(mask)
    if bad.height == 0:
        return df, pl.DataFrame(schema=REJECTS_SCHEMA)
    record = pl.struct([pl.col(c).cast(pl.String) for c in _canonical(name)]).struct.json_encode()
    rej = bad.select(
        pl.lit(name).alias("table"),
        pl.col(PROV_FILE),
        pl.col(PROV_SHEET),
        pl.col(PROV_ROW),
        pl.lit(column).alias("column"),
        pl.col(column).cast(pl.String).alias("value"),
        pl.lit(code).alias("reason_code"),
        record.alias("record"),
    )
    rej = with_reason_text(rej, TABLES[name]).select(list(REJECTS_SCHEMA))
    return df.filter(~mask), rej


def _split_duplicates(df: pl.DataFrame, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first copy of each exact duplicate in (file, sheet, row) order."""
    df = df.sort(list(PROVENANCE))
    first = pl.struct(_canonical(name)).is_first_distinct()
    return df.filter(first), df.filter(~first)


def _normalise_codes(df: pl.DataFrame, column: str, registry: pl.Series) -> pl.DataFrame:
    """Give back leading zeros that Excel or a platform stripped: 123 -> 000123 when that is the
    one registry code it can mean."""
    reg = pl.DataFrame({"code": registry.unique()}).with_columns(pl.col("code").str.strip_chars_start("0").alias("key"))
    unique_keys = reg.group_by("key").agg(pl.col("code").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    known = pl.col(column).is_in(registry.implode())
    mapped = pl.col(column).str.strip_chars_start("0").replace_strict(
        unique_keys["key"], unique_keys["code"], default=None
    )
    return df.with_columns(pl.when(known | pl.col(column).is_null()).then(pl.col(column)).otherwise(pl.coalesce(mapped, pl.col(column))).alias(column))


def _check_registry(orgs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(kept, duplicates, rejects) of the registry: exact duplicates, conflicting codes, unknown parents
    and cycles."""
    kept, dups = _split_duplicates(orgs, "orgs")
    rejects = []
    repeated = pl.col("org_id").is_first_distinct().not_()
    kept, r = _fk_reject(kept, "orgs", repeated, "org_id", "conflicting_org")
    rejects.append(r)
    kept = _normalise_codes(kept, "parent_id", kept["org_id"])
    while True:  # removing an org can orphan its children: repeat until stable
        unknown = pl.col("parent_id").is_not_null() & ~pl.col("parent_id").is_in(kept["org_id"].implode())
        kept, r = _fk_reject(kept, "orgs", unknown, "parent_id", "unknown_parent")
        if r.height == 0:
            break
        rejects.append(r)
    parent = dict(zip(kept["org_id"].to_list(), kept["parent_id"].to_list(), strict=True))
    in_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = resolved (reaches a top-level org)
    for start in parent:
        path = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent.get(node)
        if node is not None and state.get(node) == 1:  # walked back into the current path: a cycle
            in_cycle.update(path[path.index(node):])
        bad = node is not None and (node in in_cycle)
        for n in path:
            state[n] = 2
            if bad:
                in_cycle.add(n)
    if in_cycle:
        kept, r = _fk_reject(kept, "orgs", pl.col("org_id").is_in(sorted(in_cycle)), "parent_id", "parent_cycle")
        rejects.append(r)
    return kept, dups, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECTS_SCHEMA)


@dataclass
class _Existing:
    """What the store holds before this run; the big tables stay on disk (``parts``)."""

    orgs: pl.DataFrame | None = None  #: kept registry rows (small, read whole)
    parts: dict[str, list[Path]] = field(default_factory=dict)  #: other tables: their part files
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTS_SCHEMA))
    manifest: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MANIFEST_SCHEMA))
    duplicates: pl.DataFrame = field(default_factory=pl.DataFrame)
    derived: pl.DataFrame = field(default_factory=lambda: empty_table("orgs"))
    present: dict[str, list[str]] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        return set(self.parts) | ({"orgs"} if self.orgs is not None else set())


def _load_existing(store_path: Path) -> _Existing:
    if not (store_path / "store.json").is_file():
        return _Existing()
    st = Store.open(store_path)
    parts = {n: table_parts(store_path, n) for n in TABLES}
    orgs = pl.concat([pl.read_parquet(p) for p in parts.pop("orgs")]) if parts["orgs"] else None
    parts = {n: ps for n, ps in parts.items() if ps}
    present = {n: sorted(st.columns_present(n)) for n in TABLES}
    return _Existing(orgs, parts, st.rejects(), st.manifest(), st.duplicates(), st.derived_orgs(), present)


#: rows of new sheets gathered into one part file before it is written (a larger sheet is one part)
PART_ROWS = 1_000_000
#: reasons a later registry can undo: a file with rows refused for them is read again at the next ingest
RECHECK_REASONS = ("unknown_org", "unknown_parent")
_HASH_SEED = 20090819


@dataclass
class _Source:
    """Kept rows of one canonical table at the link and duplicate stages: a part file in the store
    being written, or (rows that were duplicates before) a frame in memory.  Only a 64-bit hash per
    row, the org codes and the rows per file stay in memory for a part."""

    table: str
    path: Path | None = None
    frame: pl.DataFrame | None = None
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    org_ids: pl.Series = field(default_factory=lambda: pl.Series("org_id", [], pl.String))
    counts: pl.DataFrame = field(default_factory=pl.DataFrame)  #: _file, n

    @classmethod
    def of(cls, table: str, df: pl.DataFrame, path: Path | None = None) -> _Source:
        src = cls(table, path, None if path is not None else df)
        src._describe(df)
        return src

    def _describe(self, df: pl.DataFrame) -> None:
        self.hashes = df.select(pl.struct(_canonical(self.table)).hash(_HASH_SEED)).to_series().to_numpy()
        self.org_ids = df["org_id"].unique()
        self.counts = df.group_by(PROV_FILE).agg(pl.len().alias("n"))

    @property
    def rows(self) -> int:
        return len(self.hashes)

    def load(self) -> pl.DataFrame:
        if self.frame is not None:
            return self.frame
        assert self.path is not None
        return pl.read_parquet(self.path)

    def replace(self, df: pl.DataFrame) -> None:
        """New content for this source (rows refused or found duplicate were taken out)."""
        if self.path is None:
            self.frame = df
        elif df.height == 0:
            self.path.unlink()  # the table keeps at least one part: StoreWriter.finish sees to that
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
    for src in sources:
        if src.org_ids.is_in(known).all():
            continue
        df = _normalise_codes(src.load().drop(MEMBER_KEY, strict=False), "org_id", registry)  # codes change: key again
        df, r = _fk_reject(df, name, ~pl.col("org_id").is_in(known), "org_id", "unknown_org")
        src.replace(df)
        rejects.append(r)
    return rejects


def _take_duplicates(sources: list[_Source], name: str) -> pl.DataFrame:
    """Take exact duplicates out of the sources and return them; the first copy in (file, sheet, row)
    order stays.  A row can only be a duplicate when its 64-bit hash occurs more than once, so only
    those candidate rows are read and compared — on their values, the hash only preselects."""
    if not sources:
        return empty_table(name)
    every = np.concatenate([s.hashes for s in sources])
    every.sort()
    repeated = np.unique(every[1:][every[1:] == every[:-1]])
    del every
    if repeated.size == 0:
        return empty_table(name)
    candidates = []
    for i, src in enumerate(sources):
        idx = np.flatnonzero(np.isin(src.hashes, repeated))
        if idx.size:
            wanted = pl.Series(idx.astype(np.int64)).implode()
            rows = src.load().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
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


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: str | os.PathLike[str] = DEFAULT_STORE,
    limits: Limits | None = None,
    profiles: Iterable[Profile] | None = None,
    on_file: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestResult:
    """Read every file under ``paths`` into the store at ``store``.

    Parameters
    ----------
    paths
        Files or folders (walked to any depth).
    store
        The store folder; created when missing, merged with when present.
    limits
        Size limits for hostile files (:class:`Limits`).
    profiles
        Mapping profiles for other systems' export layouts (:mod:`analysis.ingest.profiles`).
    on_start, on_file
        Progress callbacks: the number of files to read, then each file's name once read.

    Returns
    -------
    IngestResult
        The manifest rows of the files read in this run (files already in the store are listed in
        ``skipped``) and the rejects found in this run.

    Raises
    ------
    IngestError
        A path does not exist, or the accounting identity failed (a bug: nothing is written then).

    Notes
    -----
    Memory stays bounded by the largest sheet, not the dataset: the rows of the large tables go to part
    files of the new store as they are read, and only a hash per row is kept to find duplicates.
    """
    limits = limits or Limits()
    profile_list = list(profiles or [])
    store_path = Path(store)
    files = discover(paths)
    try:
        ex = _load_existing(store_path)
    except StoreError as exc:
        raise IngestError(str(exc)) from exc
    manifest = ex.manifest
    known_hashes = set(manifest["sha256"].to_list()) if manifest.height else set()
    known_paths = set(manifest["path"].to_list()) if manifest.height else set()
    if on_start:
        on_start(len(files))

    # --- which files are new: same content (any path) is skipped, same path with new content replaces
    plan: list[tuple[str, tuple[Path, int, str] | _FileOutcome | None]] = []
    skipped: list[str] = []
    replaced: set[str] = set()
    seen: set[str] = set()
    # files with rows refused for an org (or parent) code the registry did not have: read again when
    # anything else is new (the registry may have grown), or at once when the registry already has the
    # code now, so no row stays refused once its org is there
    unknown = ex.rejects.filter(pl.col("reason_code").is_in(RECHECK_REASONS))[PROV_FILE].unique().to_list()
    fixable = _fixable_files(ex.rejects, _registry_codes(ex.orgs, ex.derived)) if unknown else []
    sha_of = dict(zip(manifest["path"].to_list(), manifest["sha256"].to_list(), strict=True)) if unknown else {}
    recheck: dict[int, tuple[Path, int, str]] = {}
    for path, rel in files:
        try:
            size = path.stat().st_size
            sha = _sha256(path)
        except OSError as exc:
            err = _FileOutcome(rel, 0, "", [], [_file_reject(rel, "", "unreadable", exc.strerror or str(exc))], reason("unreadable")[0], 0)
            plan.append((rel, err))
            continue
        if sha in known_hashes or sha in seen:
            if rel in unknown and sha_of.get(rel) == sha and sha not in seen:
                recheck[len(plan)] = (path, size, sha)
            skipped.append(rel)
            plan.append((rel, None))
            continue
        seen.add(sha)
        if rel in known_paths:
            replaced.add(rel)  # same name, new content: the new version replaces the old rows
        plan.append((rel, (path, size, sha)))

    nothing_new = all(item is None for _, item in plan)
    if nothing_new:  # only the files the registry now fixes are read again
        recheck = {i: item for i, item in recheck.items() if plan[i][0] in fixable}
    if nothing_new and not recheck:  # and the fixable files, if any, are not among the inputs
        for rel, _ in plan:
            if on_file:
                on_file(rel)
        return IngestResult(store_path, pl.DataFrame(schema=MANIFEST_SCHEMA), skipped, fixable=fixable)
    rechecked = [plan[i][0] for i in sorted(recheck)]
    for i, item in recheck.items():
        rel = plan[i][0]
        plan[i] = (rel, item)
        replaced.add(rel)  # its earlier rows, rejects and counts go; the new read stands
        skipped.remove(rel)

    writer = StoreWriter(store_path)
    try:
        result = _ingest_into(writer, ex, plan, replaced, skipped, limits, profile_list, on_file)
        result.rechecked = rechecked
        return result
    except BaseException:
        writer.abort()
        raise


def _ingest_into(
    writer: StoreWriter,
    ex: _Existing,
    plan: list[tuple[str, tuple[Path, int, str] | _FileOutcome | None]],
    replaced: set[str],
    skipped: list[str],
    limits: Limits,
    profiles: list[Profile],
    on_file: Callable[[str], None] | None,
) -> IngestResult:
    gone = pl.col(PROV_FILE).is_in(sorted(replaced))
    present = ex.present
    names: set[str] = ex.names
    sources: dict[str, list[_Source]] = {}

    # --- the previous store's parts: carried over (hard links), or rewritten without replaced files
    for name, parts in ex.parts.items():
        for part in parts:
            df = pl.read_parquet(part)
            if replaced and df.select(gone.any()).item():
                df = df.filter(~gone)
                if df.height == 0:
                    continue
                target = writer.write_part(name, df)
            else:
                target = writer.link_part(name, part)
            sources.setdefault(name, []).append(_Source.of(name, df, target))
            del df

    # --- read the new files in path order; large tables go straight to part files ---------------
    outcomes: list[_FileOutcome] = []
    new_orgs: list[pl.DataFrame] = []
    derived_parts = [ex.derived.filter(~gone)]
    buffers: dict[str, list[pl.DataFrame]] = {}

    def flush(name: str) -> None:
        frames = buffers.pop(name, [])
        if frames:
            df = pl.concat(frames)
            sources.setdefault(name, []).append(_Source.of(name, df, writer.write_part(name, df)))

    for rel, item in plan:
        if isinstance(item, tuple):
            outcome = _read_one(item[0], rel, item[1], item[2], limits, profiles)
        else:
            outcome = item
        if outcome is not None:
            outcomes.append(outcome)
            for p in sorted(outcome.parsed, key=lambda p: p.valid[PROV_SHEET][0] if p.valid.height else ""):
                names.add(p.table)
                if p.derived_orgs is not None:
                    derived_parts.append(p.derived_orgs)
                    present["orgs"] = sorted(set(present.get("orgs", [])) | {"org_id", "name", "org_type", "parent_id"})
                present[p.table] = sorted(set(present.get(p.table, [])) | set(p.columns_present))
                if p.table == "orgs":
                    new_orgs.append(p.valid)
                elif p.valid.height:
                    buffers.setdefault(p.table, []).append(p.valid)
                    if sum(f.height for f in buffers[p.table]) >= PART_ROWS:
                        flush(p.table)
                p.valid = p.valid.clear()  # its rows are in a buffer or a part now
        if on_file:
            on_file(rel)
    for name in list(buffers):
        flush(name)

    old_dups = ex.duplicates.filter(~gone) if ex.duplicates.height else ex.duplicates
    old_rejects = ex.rejects.filter(~gone)
    manifest = ex.manifest.filter(~pl.col("path").is_in(sorted(replaced)))

    def dups_of(name: str) -> pl.DataFrame:
        if not old_dups.height:
            return empty_table(name)
        rows = old_dups.filter(pl.col("table") == name)
        return rows.select(
            pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c) for c, t in table_schema(name).items()
        )

    # --- registry first, then every table's link to it, then duplicates ---------------------------
    fk_rejects: list[pl.DataFrame] = []
    dup_frames: list[pl.DataFrame] = []
    kept_counts: list[pl.DataFrame] = []
    rows_kept: dict[str, int] = {}
    kept_orgs = None
    if "orgs" in names:
        old_orgs = ex.orgs.filter(~gone) if ex.orgs is not None else empty_table("orgs")
        combined = pl.concat([old_orgs, dups_of("orgs"), *new_orgs], how="vertical_relaxed")
        kept_orgs, d, r = _check_registry(combined)
        dup_frames.append(d.with_columns(pl.lit("orgs").alias("table")))
        fk_rejects.append(r)
        if kept_orgs.height:
            writer.write_part("orgs", kept_orgs)
            kept_counts.append(kept_orgs.group_by(PROV_FILE).agg(pl.len().alias("n")))
        rows_kept["orgs"] = kept_orgs.height
    derived, conflicts = _merge_derived(pl.concat(derived_parts, how="vertical_relaxed"), kept_orgs)
    registry = _registry_codes(kept_orgs, derived)
    for name in TABLES:
        if name == "orgs" or name not in names:
            continue
        srcs = sources.get(name, [])
        earlier = dups_of(name)
        if earlier.height:  # rows counted as duplicates before: one may be the first copy now
            srcs.append(_Source.of(name, earlier))
        fk_rejects.extend(_check_links(srcs, name, registry))
        dups = _take_duplicates(srcs, name)
        if dups.height:
            dup_frames.append(dups.with_columns(pl.lit(name).alias("table")))
        for src in srcs:
            if src.frame is not None and src.frame.height:
                src.path, src.frame = writer.write_part(name, src.frame), None
            if src.rows:
                kept_counts.append(src.counts)
        rows_kept[name] = sum(s.rows for s in srcs)
        srcs.clear()

    # rows refused at the link stage in an earlier run for other reasons (cycles, conflicting registry
    # rows) are not re-read — new files cannot make them right — so their rejects stay
    rejects = pl.concat(
        [old_rejects, *(r for o in outcomes for r in o.rejects if r.height), *fk_rejects], how="vertical_relaxed"
    ).sort([PROV_FILE, PROV_SHEET, PROV_ROW, "column"], nulls_last=False)
    dups_full = pl.concat(dup_frames, how="diagonal_relaxed") if dup_frames else pl.DataFrame()

    # --- the manifest, and the identity that proves nothing is lost -----------------------------
    now = datetime.now(UTC).isoformat(timespec="seconds")
    new_manifest = pl.DataFrame(
        {
            "path": [o.rel for o in outcomes],
            "size": [o.size for o in outcomes],
            "sha256": [o.sha for o in outcomes],
            "tables": [",".join(sorted({p.table for p in o.parsed})) for o in outcomes],
            "status": ["refused" if o.refused_message else "ok" for o in outcomes],
            "message": [o.refused_message or o.note for o in outcomes],
            "rows_read": [o.rows_read for o in outcomes],
            "rows_kept": [0] * len(outcomes),
            "rows_refused": [0] * len(outcomes),
            "rows_duplicate": [0] * len(outcomes),
            "ingested_at": [now] * len(outcomes),
        },
        schema=MANIFEST_SCHEMA,
    )
    manifest = pl.concat([manifest, new_manifest], how="vertical_relaxed")
    manifest = _recount(manifest, kept_counts, dups_full, rejects)
    bad = manifest.filter(pl.col("rows_read") != pl.col("rows_kept") + pl.col("rows_refused") + pl.col("rows_duplicate"))
    if bad.height:
        raise IngestError(
            "内部错误：行数核对不一致（读入≠保留+拒收+重复），未写入数据仓库：" + "、".join(bad["path"].to_list())
        )

    if not dups_full.height:
        dups_full = pl.DataFrame(schema=DUP_SCHEMA)
    tables = {n: rows_kept.get(n, 0) for n in TABLES if n in names}
    writer.finish(tables, dups_full, rejects, manifest.sort("path"), present, derived, conflicts)
    new_paths = new_manifest["path"].to_list()
    run_files = manifest.filter(pl.col("path").is_in(new_paths)).sort("path")
    run_rejects = rejects.filter(pl.col(PROV_FILE).is_in(new_paths))
    fixable = _fixable_files(rejects, registry)
    return IngestResult(writer.path, run_files, skipped, run_rejects, conflicts, fixable=fixable)


def _registry_codes(orgs: pl.DataFrame | None, derived: pl.DataFrame) -> pl.Series:
    """Every org code of the registry: the kept registry rows and the orgs derived from hierarchy columns."""
    codes = ([orgs["org_id"]] if orgs is not None else []) + [derived["org_id"]]
    return pl.concat(codes).unique(maintain_order=True)


def _fixable_files(rejects: pl.DataFrame, registry: pl.Series) -> list[str]:
    """Files with rows refused for an org or parent code that the registry has now: read again, those
    rows would be kept."""
    hit = rejects.filter(pl.col("reason_code").is_in(RECHECK_REASONS) & pl.col("value").is_in(registry.implode()))
    return sorted(hit[PROV_FILE].unique().to_list())


def _merge_derived(derived: pl.DataFrame, registry: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Derived registry rows, one per code (first in provenance order), and the conflicts found.

    A conflict is the same code with a different name or type — between two derived rows, or between a
    derived row and the registry.  It is reported, never silently resolved: the registry's values (or
    the first derived row's) stand, and every conflicting row is listed with its source."""
    derived = derived.sort(list(PROVENANCE))
    first = derived.unique(subset=["org_id"], keep="first", maintain_order=True)
    reference = first
    if registry is not None and registry.height:
        reference = pl.concat([registry.select(first.columns), first.filter(~pl.col("org_id").is_in(registry["org_id"].implode()))])
    ref = reference.select("org_id", pl.col("name").alias("_ref_name"), pl.col("org_type").alias("_ref_type"))
    joined = derived.join(ref, on="org_id", how="left")
    conflicts = []
    for fld, refcol in (("name", "_ref_name"), ("org_type", "_ref_type")):
        bad = joined.filter(pl.col(fld).is_not_null() & pl.col(refcol).is_not_null() & (pl.col(fld) != pl.col(refcol)))
        conflicts.append(
            bad.select(
                "org_id",
                pl.lit(fld).alias("field"),
                pl.col(refcol).alias("registry_value"),
                pl.col(fld).alias("derived_value"),
                *PROVENANCE,
            )
        )
    kept = first
    if registry is not None and registry.height:
        kept = first.filter(~pl.col("org_id").is_in(registry["org_id"].implode()))
    return kept, pl.concat(conflicts).select(list(CONFLICT_SCHEMA)).cast(CONFLICT_SCHEMA)


def _recount(manifest: pl.DataFrame, counts: list[pl.DataFrame], dups: pl.DataFrame, rejects: pl.DataFrame) -> pl.DataFrame:
    """rows kept / refused / duplicate per file, derived from the store itself (``counts``: _file, n
    of every part of every table)."""
    k = pl.concat(counts).group_by(PROV_FILE).agg(pl.col("n").sum().alias("k")) if counts else pl.DataFrame(schema={PROV_FILE: pl.String, "k": pl.UInt32})
    if dups.height:
        d = dups.group_by(PROV_FILE).agg(pl.len().alias("d"))
    else:
        d = pl.DataFrame(schema={PROV_FILE: pl.String, "d": pl.UInt32})
    r = (
        rejects.filter(pl.col(PROV_ROW).is_not_null())
        .select(PROV_FILE, PROV_SHEET, PROV_ROW, "table")
        .unique()
        .group_by(PROV_FILE)
        .agg(pl.len().alias("r"))
    )
    return (
        manifest.drop("rows_kept", "rows_refused", "rows_duplicate")
        .join(k, left_on="path", right_on=PROV_FILE, how="left")
        .join(d, left_on="path", right_on=PROV_FILE, how="left")
        .join(r, left_on="path", right_on=PROV_FILE, how="left")
        .with_columns(
            pl.col("k").fill_null(0).cast(pl.Int64).alias("rows_kept"),
            pl.col("r").fill_null(0).cast(pl.Int64).alias("rows_refused"),
            pl.col("d").fill_null(0).cast(pl.Int64).alias("rows_duplicate"),
        )
        .select(list(MANIFEST_SCHEMA))
    )
