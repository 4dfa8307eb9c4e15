"""Are two stores the same, frame for frame?  ``python bench/same_results.py OLD_STORE NEW_STORE``
(or two ``assess --out`` folders: their CSV files byte for byte).

Compares every canonical table part by part (rows in order, the study parts with their ``_member`` keys),
the member index, rejects (reasons and row numbers), duplicates, manifest (all but ``ingested_at``),
derived orgs, conflicts and ``store.json``.  Prints what differs and exits 1, or prints ``same`` and
exits 0.  Used to show that a faster ingest writes the store main's ingest writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from analysis.store import MEMBERS_FILE, table_parts
from analysis.vocab import TABLES

_AUX = ("rejects", "duplicates", "manifest", "orgs_derived", "conflicts")


def _frame(path: Path) -> pl.DataFrame | None:
    return pl.read_parquet(path) if path.is_file() else None


def differences(old: Path, new: Path) -> list[str]:
    """What differs between the stores at ``old`` and ``new`` (empty: the same)."""
    out: list[str] = []

    def compare(label: str, a: pl.DataFrame | None, b: pl.DataFrame | None) -> None:
        if (a is None) != (b is None):
            out.append(f"{label}: present in only one store")
            return
        if a is None or b is None:
            return
        try:
            assert_frame_equal(a, b)
        except AssertionError as exc:
            out.append(f"{label}: {str(exc).splitlines()[0]}")

    for name in TABLES:
        pa, pb = table_parts(old, name), table_parts(new, name)
        if len(pa) != len(pb):
            out.append(f"{name}: {len(pa)} parts against {len(pb)}")
            continue
        for a, b in zip(pa, pb, strict=True):
            compare(f"{name}/{a.name}", pl.read_parquet(a), pl.read_parquet(b))
    compare(MEMBERS_FILE, _frame(old / MEMBERS_FILE), _frame(new / MEMBERS_FILE))
    for name in _AUX:
        a, b = _frame(old / f"{name}.parquet"), _frame(new / f"{name}.parquet")
        if name == "manifest" and a is not None and b is not None:
            a, b = a.drop("ingested_at"), b.drop("ingested_at")
        compare(name, a, b)
    ja, jb = (json.loads((p / "store.json").read_text(encoding="utf-8")) for p in (old, new))
    if ja != jb:
        out.append("store.json differs")
    return out


def csv_differences(old: Path, new: Path) -> list[str]:
    """The CSV files (byte for byte) that differ between two assess output folders."""
    names = sorted({p.name for p in old.glob("*.csv")} | {p.name for p in new.glob("*.csv")})
    return [n for n in names if not ((old / n).is_file() and (new / n).is_file()) or (old / n).read_bytes() != (new / n).read_bytes()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    args = ap.parse_args()
    stores = (args.old / "store.json").is_file() and (args.new / "store.json").is_file()
    diffs = differences(args.old, args.new) if stores else csv_differences(args.old, args.new)
    for d in diffs:
        print(d)
    if diffs:
        sys.exit(1)
    print("same")


if __name__ == "__main__":
    main()
