"""Benchmark of the advanced list's sensitivity steps (issue 22): leave-one-out and the Sobol indices.

Usage::

    python bench/sensitivity.py                          # 2,000 / 20,000 orgs, 512 Sobol base points
    python bench/sensitivity.py --sizes 200000 --draws 512
    python bench/sensitivity.py --sizes 20000 --draws 64 128 256

The steps read only an Assessment's ``scores`` and ``rules`` and the selection's candidates, so the orgs
are built here directly (random item ratios over the ruleset's real items, every org a candidate) instead
of through the synthetic city, ingest and the rules engine — the time measured is the sensitivity step's
alone.  Sobol evaluates ``draws × (categories + 2)`` re-rankings of every candidate, so its time grows
as draws × n log n.  Nothing is asserted; the table is printed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.decisions import select_advanced
from analysis.decisions.sensitivity import category_sensitivity, leave_one_out
from analysis.rules import load_ruleset


@dataclass
class BenchAssessment:
    scores: pl.DataFrame
    rules: pl.DataFrame
    ruleset: object
    year: int = 2024


def build(n: int, seed: int = 1) -> BenchAssessment:
    """``n`` orgs over the changzhou-2009 rubric: each item's earned share ~ Beta(6, 1) (most orgs near
    full marks, as in the sample), 5 % of cells not applicable."""
    rs = load_ruleset("changzhou-2009")
    items = [(r.rule_id, float(r.points)) for r in rs.items]
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:07d}" for i in range(n)])
    share = rng.beta(6, 1, size=(n, len(items)))
    share[share > 0.93] = 1.0
    applicable = rng.random((n, len(items))) > 0.05
    points = np.array([p for _, p in items])[None, :] * applicable
    earned = np.round(points * share, 2)
    rules = pl.DataFrame(
        {
            "org_id": np.repeat(ids, len(items)),
            "rule_id": np.tile([r for r, _ in items], n),
            "status": np.where(applicable, np.where(share >= 1.0, "pass", "fail"), "not_applicable").ravel(),
            "points": points.ravel(),
            "earned": earned.ravel(),
        }
    )
    total = points.sum(axis=1)
    score = np.floor(earned.sum(axis=1) / total * 1000 + 0.5) / 10
    scores = pl.DataFrame(
        {
            "org_id": ids,
            "name": ids,
            "org_type": "branch",
            "score": score,
            "n_failed": ((share < 1.0) & applicable).sum(axis=1),
            "qualified": True,
            "vetoed": False,
        }
    )
    return BenchAssessment(scores=scores, rules=rules, ruleset=rs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--draws", type=int, nargs="+", default=[512])
    args = ap.parse_args()
    print("| orgs | step | draws | seconds |")
    print("|---:|---|---:|---:|")
    for n in args.sizes:
        a = build(n)
        selection = select_advanced(a, quota="15%", draws=0)
        t = time.perf_counter()
        leave_one_out(a, selection)
        print(f"| {n:,} | leave-one-out ({len(a.ruleset.items)} items + 5 categories) | – | {time.perf_counter() - t:.1f} |")
        for draws in args.draws:
            t = time.perf_counter()
            category_sensitivity(a, selection, draws=draws, seed=0)
            print(f"| {n:,} | Sobol (5 categories, {draws * 7:,} re-rankings) | {draws} | {time.perf_counter() - t:.1f} |")


if __name__ == "__main__":
    main()
