"""robustness_items.csv and robustness_categories.csv (issue 22): what drives the advanced list.

The tables are machine contracts with the exact columns of
:data:`~analysis.decisions.sensitivity.ITEM_COLUMNS` and
:data:`~analysis.decisions.sensitivity.CATEGORY_COLUMNS`; the 先进基层党组织评选 report says in Chinese
what they mean.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from analysis.decisions.sensitivity import (
    CATEGORY_COLUMNS,
    DEFAULT_SENSITIVITY,
    ITEM_COLUMNS,
    category_sensitivity,
    leave_one_out,
)
from analysis.outputs.tables import write_csv

ITEMS_CSV, CATEGORIES_CSV = "robustness_items.csv", "robustness_categories.csv"


def write_robustness(
    a: object,
    advanced: pl.DataFrame,
    out_dir: str | os.PathLike[str],
    draws: int | None = None,
    seed: int = 0,
) -> list[Path]:
    """Leave-one-out of every item and category, and the Sobol indices of the category weights, as the
    two CSVs in ``out_dir``; ``draws`` is the Sobol base sample (None: the default 512, 0: null
    indices).  Returns the paths."""
    out = Path(out_dir)
    items = leave_one_out(a, advanced).select(ITEM_COLUMNS)  # type: ignore[arg-type]
    n = DEFAULT_SENSITIVITY["draws"] if draws is None else draws
    cats = category_sensitivity(a, advanced, draws=n, seed=seed).select(CATEGORY_COLUMNS)  # type: ignore[arg-type]
    paths = [out / ITEMS_CSV, out / CATEGORIES_CSV]
    write_csv(items, paths[0])
    write_csv(cats, paths[1])
    return paths
