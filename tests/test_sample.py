"""The generator and the ingest agree: every injected fault is refused or counted, nothing else is; the
self-scores it writes check out as it drew them (honest, underclaimed, inflated, the returned 自评分表)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from analysis.assess import assess
from analysis.decisions.selfcheck import assess_self_scores
from analysis.ingest import IngestResult, ingest
from analysis.store import Store
from analysis.synth import SynthReport, generate_sample
from analysis.vocab import SELFCHECK_EVEN, SELFCHECK_OVER, SELFCHECK_UNDER

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthReport, IngestResult, Path]:
    """A sample of another seed than the committed one, ingested."""
    tmp = tmp_path_factory.mktemp("sample7")
    report = generate_sample(tmp / "sample", seed=7)
    return report, ingest([tmp / "sample"], store=tmp / "store"), tmp / "store"


def test_ingest_of_a_generated_sample_refuses_exactly_the_injected_faults(
    ingested: tuple[SynthReport, IngestResult, Path],
) -> None:
    report, result, store = ingested
    st = Store.open(store)
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


def test_sample_self_scores_check_out_as_they_were_drawn(
    ingested: tuple[SynthReport, IngestResult, Path],
) -> None:
    report, _, store = ingested
    st = Store.open(store)
    found = assess_self_scores(st, assess(st, 2024))
    assert found is not None
    assert found["refused"].height == 0
    claims = report.self_claims
    check = found["selfcheck"]
    flags = dict(check.group_by("org_id").agg(pl.col("flag").unique().sort()).rows())
    senders = {o for group in claims.values() for o in group}
    assert set(flags) == senders
    assert (
        0.3 < len(senders) / len(report.personas) < 0.5
    )  # about 40 % of the units send, each for all its orgs
    assert all(flags[o] == [SELFCHECK_EVEN] for o in claims["honest"])
    assert all(flags[o] == sorted([SELFCHECK_UNDER, SELFCHECK_EVEN]) for o in claims["underclaimed"])
    assert all(SELFCHECK_OVER in flags[o] and SELFCHECK_UNDER not in flags[o] for o in claims["inflated"])
    returned = check.filter(pl.col("org_id").is_in(claims["returned"]))
    assert returned.filter(pl.col("flag") == SELFCHECK_OVER).height == 1  # one failed item claimed in full
    assert returned.filter(pl.col("flag") != SELFCHECK_EVEN).height == 1
    spot = found["spotcheck"]
    overclaimed = spot.filter(pl.col("reason").str.contains("自评虚高"))
    assert sorted(overclaimed["org_id"]) == sorted(claims["inflated"])
    assert overclaimed["gap"].min() >= 6.0
    assert check.height == report.rows_written["self_scores"]


def test_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    generate_sample(tmp_path / "s", seed=2024)

    def digest(folder: Path) -> dict[str, str]:
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    assert digest(tmp_path / "s") == digest(ROOT / "data" / "sample")
