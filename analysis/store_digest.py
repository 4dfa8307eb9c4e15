"""Part digests: what an ingest keeps beside each part file of the store so that the next ingest need not
read the part — its rows' hashes (sorted), the org codes it holds and its rows per input file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

#: next to a part file ``part-00000.parquet``: ``part-00000.digest`` (JSON) and ``part-00000.hashes`` (a
#: NumPy array), what the next ingest needs to know of the part without reading it
DIGEST_SUFFIX = ".digest"
HASHES_SUFFIX = ".hashes"


@dataclass
class PartDigest:
    """What an ingest keeps of a part file: the 64-bit hashes of its rows (sorted; 8 bytes a row, read
    by memory map, so a lookup touches only the pages it needs), the org codes it holds, its rows per
    input file, and what the hashes were made with (``hashed``)."""

    hashes: np.ndarray
    org_ids: list[str | None]
    counts: dict[str, int]
    hashed: str


def digest_paths(part: Path) -> tuple[Path, Path]:
    return part.with_suffix(DIGEST_SUFFIX), part.with_suffix(HASHES_SUFFIX)


def write_digest(part: Path, digest: PartDigest) -> None:
    """Write the digest of ``part`` next to it (each file written aside, then renamed into place)."""
    meta_path, hashes_path = digest_paths(part)
    meta = {"hashed": digest.hashed, "rows": len(digest.hashes), "org_ids": digest.org_ids, "counts": digest.counts}
    tmp = hashes_path.with_suffix(".hashes-tmp")
    with tmp.open("wb") as fh:
        hashes = np.asarray(digest.hashes, dtype=np.uint64)
        np.save(fh, hashes if _ascending(hashes) else np.sort(hashes))
    os.replace(tmp, hashes_path)
    tmp = meta_path.with_suffix(".digest-tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, meta_path)


def _ascending(values: np.ndarray) -> bool:
    return bool(np.all(values[1:] >= values[:-1]))


def read_digest(part: Path, hashed: str) -> PartDigest | None:
    """The digest of ``part``, or None when there is none, it was hashed otherwise (``hashed`` names the
    seed and columns), or it does not count the part's rows (a part written without one)."""
    meta_path, hashes_path = digest_paths(part)
    if not (meta_path.is_file() and hashes_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        hashes = np.load(hashes_path, mmap_mode="r")
        if meta["hashed"] != hashed or not meta["rows"] == len(hashes) == pq.read_metadata(part).num_rows:
            return None
        return PartDigest(hashes, meta["org_ids"], meta["counts"], hashed)
    except (OSError, KeyError, TypeError, ValueError):
        return None


def remove_digest(part: Path) -> None:
    for path in digest_paths(part):
        path.unlink(missing_ok=True)
