"""The generator and the ingest agree: every injected fault is refused or counted, nothing else is."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from analysis.ingest import ingest
from analysis.store import Store
from analysis.synth import generate_sample

ROOT = Path(__file__).resolve().parents[1]


def test_ingest_of_a_generated_sample_refuses_exactly_the_injected_faults(tmp_path: Path) -> None:
    report = generate_sample(tmp_path / "sample", seed=7)
    result = ingest([tmp_path / "sample"], store=tmp_path / "store")
    st = Store.open(tmp_path / "store")
    rejects = st.rejects().filter(pl.col("_row").is_not_null())
    got = sorted(rejects.select("_file", "_sheet", "_row", "column").rows())
    want = sorted((f.file, f.sheet, f.row, f.column) for f in report.faults if f.duplicate_of is None)
    assert got == want
    dups = sorted(st.duplicates().select("_file", "_sheet", "_row").rows())
    assert dups == sorted((f.file, f.sheet, f.row) for f in report.faults if f.duplicate_of is not None)
    refused_files = st.rejects().filter(pl.col("_row").is_null())["_file"].to_list()
    assert refused_files == sorted(report.refused_files)
    assert result.totals["rows_kept"] == sum(report.rows_valid.values())
    every_reason = rejects["reason_zh"].to_list()
    assert all(r.startswith("【") and len(r) > 6 for r in every_reason)


def test_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    generate_sample(tmp_path / "s", seed=2024)

    def digest(folder: Path) -> dict[str, str]:
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    assert digest(tmp_path / "s") == digest(ROOT / "data" / "sample")
