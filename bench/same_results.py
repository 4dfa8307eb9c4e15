"""Are two stores the same?  ``python bench/same_results.py OLD_STORE NEW_STORE`` (exit 0: equal).
Two ``assess --out`` folders (no ``store.json``) are compared by their CSV files, byte for byte.

Every table (its parts read in order and concatenated: the same rows in the same order, every column,
dtypes included), the rejects (every column: reasons, row numbers, records), the duplicates, the
manifest (but its ``ingested_at`` clock), the derived registry, the study member index and
``store.json`` are compared; the first difference of each is printed.  ``--ingest-with OLD_CODE
NEW_CODE TREE`` builds both stores first, each by its checkout's ``python -m analysis ingest`` in a fresh process (e.g. ``/work/main`` and this one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl


def _frame(store: Path, name: str) -> pl.DataFrame | None:
    """A table's parts in order (a folder), or a top-level Parquet file; None when absent."""
    folder = store / name
    if folder.is_dir():
        parts = sorted(folder.glob("part-*.parquet"))
        return pl.concat([pl.read_parquet(p) for p in parts], how="vertical") if parts else None
    file = store / f"{name}.parquet"
    if not file.exists():
        return None
    df = pl.read_parquet(file)
    return df.drop("ingested_at") if name == "manifest" else df  # the clock, not the content


def _names(store: Path) -> set[str]:
    return {p.name for p in store.iterdir() if p.is_dir()} | {p.stem for p in store.glob("*.parquet")}


def _differs(old: pl.DataFrame | None, new: pl.DataFrame | None) -> str:
    if old is None or new is None:
        return "" if old is None and new is None else f"present only in {'old' if new is None else 'new'}"
    if old.schema != new.schema:
        return f"schema differs: {dict(old.schema)} vs {dict(new.schema)}"
    if old.height != new.height:
        return f"{old.height} rows vs {new.height}"
    if old.equals(new, null_equal=True):
        return ""
    for i, (a, b) in enumerate(zip(old.iter_rows(), new.iter_rows(), strict=True)):
        if a != b:
            return f"row {i} differs: {a} vs {b}"
    return "differs"


def _part_counts(store: Path) -> dict[str, int]:
    return {d.name: len(list(d.glob("part-*.parquet"))) for d in store.iterdir() if d.is_dir()}


def csv_differences(old: Path, new: Path) -> list[str]:
    """The CSV files (byte for byte) that differ between two assess output folders."""
    names = sorted({p.name for p in old.glob("*.csv")} | {p.name for p in new.glob("*.csv")})
    return [
        f"{n}: differs"
        for n in names
        if not ((old / n).is_file() and (new / n).is_file()) or (old / n).read_bytes() != (new / n).read_bytes()
    ]


def compare(old: Path, new: Path) -> list[str]:
    """One line per difference between the stores at ``old`` and ``new`` (empty: the same)."""
    if not ((old / "store.json").is_file() and (new / "store.json").is_file()):
        return csv_differences(old, new)
    problems = []
    parts = _part_counts(old), _part_counts(new)
    for name in sorted(set(parts[0]) | set(parts[1])):
        if parts[0].get(name) != parts[1].get(name):
            problems.append(f"{name}: {parts[0].get(name)} parts vs {parts[1].get(name)}")
    for name in sorted(_names(old) | _names(new)):
        why = _differs(_frame(old, name), _frame(new, name))
        if why:
            problems.append(f"{name}: {why}")
    meta = [json.loads((s / "store.json").read_text(encoding="utf-8")) for s in (old, new)]
    if meta[0] != meta[1]:
        problems.append(f"store.json differs:\n{json.dumps(meta[0], sort_keys=True)}\n{json.dumps(meta[1], sort_keys=True)}")
    return problems


def _ingest(code: Path, tree: Path, store: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    # -P: the working folder is not put before PYTHONPATH (else ``-m analysis`` run from a checkout is that checkout's)
    cmd = [sys.executable, "-P", "-m", "analysis", "ingest", str(tree), "--store", str(store)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"ingest with {code} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stores", nargs="*", type=Path, help="OLD_STORE NEW_STORE (or two assess output folders)")
    ap.add_argument("--ingest-with", nargs=3, type=Path, metavar=("OLD_CODE", "NEW_CODE", "TREE"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-results-") as tmp:
        if args.ingest_with:
            old_code, new_code, tree = args.ingest_with
            stores = [Path(tmp) / "old", Path(tmp) / "new"]
            _ingest(old_code, tree, stores[0])
            _ingest(new_code, tree, stores[1])
        elif len(args.stores) == 2:
            stores = args.stores
        else:
            ap.error("give OLD_STORE NEW_STORE, or --ingest-with OLD_CODE NEW_CODE TREE")
        problems = compare(*stores)
    for p in problems:
        print(p)
    print("the same" if not problems else f"{len(problems)} difference(s)")
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
