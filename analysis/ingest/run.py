"""One ingest run: a folder tree of exports in, a store out — every row kept, refused with a reason, or
counted as an exact duplicate, and the three always add up to the rows read.

The store is a function of the *set* of files ingested so far: each run merges the new files with what
the store holds, re-checks the registry links, and re-derives duplicates in (file, sheet, row) order,
so the evidence copy of a duplicated row never depends on the order files were read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.ingest.existing import _Existing, _load_existing
from analysis.ingest.file import _file_reject, _FileOutcome, file_pool, read_files
from analysis.ingest.links import RECHECK_REASONS, _check_links, _fixable_files, _Source, _take_duplicates
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import Limits
from analysis.ingest.registry import _check_registry, _merge_derived, _registry_codes
from analysis.ingest.result import DUP_SCHEMA, IngestError, IngestResult, _new_manifest, _recount
from analysis.ingest.walk import NotRegular, content_hash, find_inputs
from analysis.store import (
    DEFAULT_STORE,
    MANIFEST_SCHEMA,
    StoreError,
    StoreWriter,
    empty_table,
    store_lock,
    table_schema,
)
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, TABLES, reason

#: rows of new sheets gathered into one part file before it is written (a larger sheet is one part)
PART_ROWS = 1_000_000
#: files read before their sheets are checked together (at most so many, and so many bytes of them)
CHUNK_FILES = 400
CHUNK_BYTES = 64 * 1024 * 1024


#: one entry per input file, in path order: to read (path, size, sha256), refused before reading (its
#: outcome), or skipped (None: the content is in the store already)
_Plan = list[tuple[str, tuple[Path, int, str] | _FileOutcome | None]]


@dataclass
class _Planned:
    """Which files are new (:func:`_plan`)."""

    plan: _Plan = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  #: inputs whose content is in the store already
    replaced: set[str] = field(default_factory=set)  #: recorded names whose earlier rows go
    #: (recorded name, file to read, input name): content in the store with rows refused for an org code
    #: the registry lacked, to be read again under the name it was recorded with
    recheck: list[tuple[str, tuple[Path, int, str], str]] = field(default_factory=list)
    fixable: list[str] = field(default_factory=list)  #: recorded names whose refused rows the registry fixes now
    passed_over: list[str] = field(default_factory=list)  #: paths that are not regular files


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: str | os.PathLike[str] = DEFAULT_STORE,
    limits: Limits | None = None,
    profiles: Iterable[Profile] | None = None,
    on_file: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
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
    wait, on_wait
        When another ingest is writing the store: wait for it (``on_wait`` gets the Chinese message
        once) instead of refusing.

    Returns
    -------
    IngestResult
        The manifest rows of the files read in this run (files already in the store are listed in
        ``skipped``) and the rejects found in this run.

    Raises
    ------
    IngestError
        A path does not exist, or the accounting identity failed (a bug: nothing is written then).
    StoreError
        Another ingest is writing the store (and not ``wait``), or the store cannot be written (a full
        disk, a read-only folder): the previous store stays as it was.

    Notes
    -----
    Memory stays bounded by the largest sheet, not the dataset: the rows of the large tables go to part
    files of the new store as they are read, and only a hash per row is kept to find duplicates.
    """
    limits = limits or Limits()
    profile_list = list(profiles or [])
    store_path = Path(store)
    inputs = find_inputs(paths)
    with store_lock(store_path, wait=wait, on_wait=on_wait):  # one writer: the store read here is the one replaced
        try:
            ex = _load_existing(store_path)
        except StoreError as exc:
            raise IngestError(str(exc)) from exc
        if on_start:
            on_start(len(inputs.files))
        p = _plan(inputs.files, ex)
        p.passed_over = inputs.passed_over + p.passed_over
        nothing_new = all(item is None for _, item in p.plan)
        if nothing_new:  # only the files the registry now fixes are read again
            p.recheck = [r for r in p.recheck if r[0] in p.fixable]
        if nothing_new and not p.recheck:  # and the fixable files, if any, are not among the inputs
            for rel, _ in p.plan:
                if on_file:
                    on_file(rel)
            return IngestResult(
                store_path, pl.DataFrame(schema=MANIFEST_SCHEMA), p.skipped, fixable=p.fixable, passed_over=p.passed_over
            )
        _take_rechecks(p)
        with StoreWriter(store_path).writing() as writer:
            result = _ingest_into(writer, ex, p.plan, p.replaced, p.skipped, limits, profile_list, on_file)
        result.rechecked = sorted({r[0] for r in p.recheck})
        result.passed_over = p.passed_over
        return result


def _take_rechecks(p: _Planned) -> None:
    """Put the files to read again into the plan, under the names they were recorded with: their earlier
    rows, rejects and counts go, the new read stands."""
    for recorded, item, rel in p.recheck:
        p.plan.append((recorded, item))
        p.replaced.add(recorded)
        if rel in p.skipped:
            p.skipped.remove(rel)
    slot = {name for name, _ in p.plan if name in p.replaced}
    p.plan = sorted(
        (entry for entry in p.plan if not (entry[1] is None and entry[0] in slot)), key=lambda e: e[0]
    )


def _plan(files: list[tuple[Path, str]], ex: _Existing) -> _Planned:
    """Which files are new: a recorded name whose content changed is read again (the new version replaces
    the old rows, whatever else holds that content); other content already in the store (under any name)
    is skipped; the rest is read.

    Content in the store with rows refused for an org (or parent) code the registry did not have is read
    again under the name it was recorded with — found by its content, so ingesting the parent folder of
    an earlier run (other names for the same files) re-checks those rows too: when anything else is new
    (the registry may have grown), or at once when the registry already has the code.
    """
    manifest = ex.manifest
    sha_of = dict(zip(manifest["path"].to_list(), manifest["sha256"].to_list(), strict=True))
    known = set(sha_of.values())
    unknown = ex.rejects.filter(pl.col("reason_code").is_in(RECHECK_REASONS))[PROV_FILE].unique().to_list()
    out = _Planned(fixable=_fixable_files(ex.rejects, _registry_codes(ex.orgs, ex.derived)) if unknown else [])
    to_recheck: dict[str, list[str]] = {}  # content -> recorded names with rows to re-check
    for name in sorted(unknown):
        if name in sha_of:
            to_recheck.setdefault(sha_of[name], []).append(name)
    seen: set[str] = set()
    stored: dict[str, tuple[tuple[Path, int, str], str]] = {}  # content in the store -> (file, input name)
    for path, rel in files:
        try:
            size, sha = content_hash(path)
        except NotRegular as exc:
            out.passed_over.append(f"{rel}（{exc}）")
            continue
        except OSError as exc:
            err = _FileOutcome(rel, 0, "", [], [_file_reject(rel, "", "unreadable", exc.strerror or str(exc))], reason("unreadable")[0], 0)
            out.plan.append((rel, err))
            continue
        old = sha_of.get(rel)
        if old is not None and old != sha:  # same name, new content: the new version replaces the old rows
            out.replaced.add(rel)
        elif sha in known or sha in seen:
            if sha in known and (old == sha or sha not in stored):
                stored[sha] = ((path, size, sha), rel)
            out.skipped.append(rel)
            out.plan.append((rel, None))
            continue
        seen.add(sha)
        out.plan.append((rel, (path, size, sha)))
    for sha, (item, rel) in stored.items():
        out.recheck += [(name, item, rel) for name in to_recheck.get(sha, []) if name not in out.replaced]
    return out


def _ingest_into(
    writer: StoreWriter,
    ex: _Existing,
    plan: _Plan,
    replaced: set[str],
    skipped: list[str],
    limits: Limits,
    profiles: list[Profile],
    on_file: Callable[[str], None] | None,
) -> IngestResult:
    """Write the new store from the plan: the previous parts carried over, the new files read, the
    registry links and duplicates re-derived, then the manifest recounted and checked."""
    gone = pl.col(PROV_FILE).is_in(sorted(replaced))
    present = ex.present
    names: set[str] = ex.names
    sources = _carry_over(writer, ex, replaced, gone)
    derived_parts = [ex.derived.filter(~gone)]
    outcomes, new_orgs = _read_new(
        writer, plan, limits, profiles, on_file, sources=sources, names=names, present=present, derived_parts=derived_parts
    )

    old_dups = ex.duplicates.filter(~gone) if ex.duplicates.height else ex.duplicates
    old_rejects = ex.rejects.filter(~gone)
    manifest = ex.manifest.filter(~pl.col("path").is_in(sorted(replaced)))
    fk_rejects, dup_frames, kept_counts, rows_kept, derived, conflicts, registry = _link(
        writer, ex, gone, names, sources, new_orgs, derived_parts, old_dups
    )

    # rows refused at the link stage in an earlier run for other reasons (cycles, conflicting registry
    # rows) are not re-read — new files cannot make them right — so their rejects stay
    rejects = pl.concat(
        [old_rejects, *(r for o in outcomes for r in o.rejects if r.height), *fk_rejects], how="vertical_relaxed"
    ).sort([PROV_FILE, PROV_SHEET, PROV_ROW, "column"], nulls_last=False)
    dups_full = pl.concat(dup_frames, how="diagonal_relaxed") if dup_frames else pl.DataFrame()

    # --- the manifest, and the identity that proves nothing is lost -----------------------------
    new_manifest = _new_manifest(outcomes)
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


def _carry_over(writer: StoreWriter, ex: _Existing, replaced: set[str], gone: pl.Expr) -> dict[str, list[_Source]]:
    """The previous store's parts: carried over (hard links), or rewritten without replaced files.  A part
    with a digest that names none of the replaced files is linked unread (what the link and duplicate
    stages need of it is in the digest); others are read, and get a digest."""
    sources: dict[str, list[_Source]] = {}
    for name, parts in ex.parts.items():
        for part in parts:
            known = _Source.of_digest(name, part)
            if known is not None and not replaced.intersection(known.counts[PROV_FILE].to_list()):
                known.path = writer.link_part(name, part)
                sources.setdefault(name, []).append(known)
                continue
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
    return sources


def _read_new(
    writer: StoreWriter,
    plan: _Plan,
    limits: Limits,
    profiles: list[Profile],
    on_file: Callable[[str], None] | None,
    *,
    sources: dict[str, list[_Source]],
    names: set[str],
    present: dict[str, list[str]],
    derived_parts: list[pl.DataFrame],
) -> tuple[list[_FileOutcome], list[pl.DataFrame]]:
    """Read the new files in path order; large tables go straight to part files (added to ``sources``).

    Returns the outcome of every file in the plan but the skipped ones, and the registry rows read
    (kept in memory for the registry check); ``names``, ``present`` and ``derived_parts`` grow.
    """
    outcomes: list[_FileOutcome] = []
    new_orgs: list[pl.DataFrame] = []
    buffers: dict[str, list[pl.DataFrame]] = {}
    buffered: dict[str, int] = {}  # rows in each table's buffer

    def flush(name: str) -> None:
        buffered.pop(name, None)
        frames = buffers.pop(name, [])
        if frames:
            df = pl.concat(frames)
            sources.setdefault(name, []).append(_Source.of(name, df, writer.write_part(name, df)))

    def take(rel: str, outcome: _FileOutcome | None) -> None:
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
                    buffered[p.table] = buffered.get(p.table, 0) + p.valid.height
                    if buffered[p.table] >= PART_ROWS:
                        flush(p.table)
                p.valid = p.valid.clear()  # its rows are in a buffer or a part now
        if on_file:
            on_file(rel)

    with file_pool(sum(isinstance(item, tuple) for _, item in plan)) as pool:
        for chunk in _chunks(plan):
            todo = [(it[0], rel, it[1], it[2]) for rel, it in chunk if isinstance(it, tuple)]
            read = iter(read_files(todo, limits, profiles, pool))
            for rel, item in chunk:
                take(rel, next(read) if isinstance(item, tuple) else item)
    for name in list(buffers):
        flush(name)
    return outcomes, new_orgs


def _chunks(plan: _Plan) -> Iterator[_Plan]:
    """The plan in runs of at most :data:`CHUNK_FILES` files to read and :data:`CHUNK_BYTES` of them (a
    bigger file alone): the files of a run are read, then checked together."""
    run: _Plan = []
    files = size = 0
    for rel, item in plan:
        if isinstance(item, tuple):
            if run and (files >= CHUNK_FILES or size + item[1] > CHUNK_BYTES):
                yield run
                run, files, size = [], 0, 0
            files, size = files + 1, size + item[1]
        run.append((rel, item))
    if run:
        yield run


def _link(
    writer: StoreWriter,
    ex: _Existing,
    gone: pl.Expr,
    names: set[str],
    sources: dict[str, list[_Source]],
    new_orgs: list[pl.DataFrame],
    derived_parts: list[pl.DataFrame],
    old_dups: pl.DataFrame,
) -> tuple[
    list[pl.DataFrame], list[pl.DataFrame], list[pl.DataFrame], dict[str, int], pl.DataFrame, pl.DataFrame, pl.Series
]:
    """The link stage: registry first, then every table's link to it, then duplicates; every kept row
    is written to a part.

    Returns ``(fk_rejects, dup_frames, kept_counts, rows_kept, derived, conflicts, registry)``: the rows
    refused for their links, the duplicates taken out, ``_file, n`` of every part written, the rows
    kept per table, the derived registry rows, their conflicts, and every registry code.
    """

    def dups_of(name: str) -> pl.DataFrame:
        if not old_dups.height:
            return empty_table(name)
        rows = old_dups.filter(pl.col("table") == name)
        return rows.select(
            pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c) for c, t in table_schema(name).items()
        )

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
                src.save_digest()
            if src.rows:
                kept_counts.append(src.counts)
        rows_kept[name] = sum(s.rows for s in srcs)
        srcs.clear()
    return fk_rejects, dup_frames, kept_counts, rows_kept, derived, conflicts, registry
