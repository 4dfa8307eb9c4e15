"""The self-check files of ``workbench assess`` when the data holds self-scores (RULES.md, "Self-assessment
check and spot checks"): ``selfcheck.csv`` (per org and claimed item), ``spotcheck.csv`` (the spot-check
list) and, when some claims could not be checked, ``selfcheck_refused.csv`` (each with its reason).
The first two keep the exact columns the issue names (tools join on them); the reasons, flags and names
in them are Chinese.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from analysis.outputs.tables import write_csv

SELFCHECK_CSV, SPOTCHECK_CSV, REFUSED_CSV = "selfcheck.csv", "spotcheck.csv", "selfcheck_refused.csv"


def write_selfcheck(result: dict[str, pl.DataFrame], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the frames of :func:`analysis.decisions.selfcheck.assess_self_scores` into ``out_dir``;
    returns the paths written (the refused list only when it has rows)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / SELFCHECK_CSV, out / SPOTCHECK_CSV]
    write_csv(result["selfcheck"], written[0])
    write_csv(result["spotcheck"], written[1])
    refused = out / REFUSED_CSV
    if result["refused"].height:
        write_csv(result["refused"], refused)
        written.append(refused)
    elif refused.exists():
        refused.unlink()  # a stale list from an earlier run would be read as this one's
    return written
