"""What an ingest returns and raises: :class:`IngestResult` (the manifest rows of the run, with totals)
and :class:`IngestError`; and the manifest rows — one per file read, counts re-derived from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from analysis.ingest.file import _FileOutcome
from analysis.store import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REJECTS_SCHEMA
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET

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
    #: paths passed over unread because they are not regular files (pipes, sockets, devices), with why
    passed_over: list[str] = field(default_factory=list)

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


def _new_manifest(outcomes: list[_FileOutcome]) -> pl.DataFrame:
    """The manifest rows of the files read in this run, in plan order; rows kept, refused and duplicate
    are zero here and filled in by :func:`_recount` from the store written."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return pl.DataFrame(
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
