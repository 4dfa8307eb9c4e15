"""Finding the files: every candidate under the given paths, in name order, and its content hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from analysis.ingest.result import IngestError


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
