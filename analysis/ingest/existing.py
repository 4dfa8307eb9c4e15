"""What the store holds before a run: the registry rows, the other tables' part files, the rejects,
duplicates, manifest and derived orgs of the ingests so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis.store import MANIFEST_SCHEMA, REJECTS_SCHEMA, Store, empty_table, table_parts
from analysis.vocab import TABLES


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
    st = Store.open(store_path, snapshot=False)  # under the writers' lock: nobody swaps it meanwhile
    parts = {n: table_parts(store_path, n) for n in TABLES}
    orgs = pl.concat([pl.read_parquet(p) for p in parts.pop("orgs")]) if parts["orgs"] else None
    parts = {n: ps for n, ps in parts.items() if ps}
    present = {n: sorted(st.columns_present(n)) for n in TABLES}
    return _Existing(orgs, parts, st.rejects(), st.manifest(), st.duplicates(), st.derived_orgs(), present)
