"""What drives the advanced list (issue 22): leave-one-out of every rubric item and category, Sobol
sensitivity of the candidates' ranks to the five category weights, and two checks on the items
themselves (pairs that may count the same thing twice, items that separate no one).

These answer the committee member's "why is this unit on the list and that one not?" the way
composite-indicator practice does (OECD/JRC *Handbook on Constructing Composite Indicators*, 2008,
steps 4 and 7; COINr's ``remove_elements`` and ``get_sensitivity``).  Like the Monte Carlo of
:mod:`analysis.decisions.robustness`, everything here re-scores the published candidates from their
items' earned and available points and never changes the published list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import qmc, sobol_indices

from analysis.decisions.robustness import _BATCH_CELLS, _item_matrices
from analysis.decisions.settings import _NOT_SCORED, AssessmentLike, _rule_titles

#: [default] settings of this module (docs/ASSUMPTIONS.md, "Advanced organizations")
DEFAULT_SENSITIVITY: dict[str, Any] = {
    "draws": 512,  # Sobol base sample (a power of 2); func is evaluated draws × (categories + 2) times
    "noise": 0.2,  # each category weight a factor from U(1 − noise, 1 + noise), as the item Monte Carlo
    "corr_threshold": 0.9,  # items whose per-org ratios correlate above this may count one thing twice
    "confidence": 0.95,  # bootstrap confidence level of S1 and ST
    "resamples": 200,  # bootstrap resamples
}
ITEM_COLUMNS = ("item", "category", "n_left", "n_entered", "left", "entered")
CATEGORY_COLUMNS = ("category", "S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high")
_ID_SEP = ";"


# ============================================================================================
# Shared inputs
# ============================================================================================
def rule_categories(assessment: object) -> dict[str, str]:
    """rule_id -> category, in rubric order, from ``assessment.ruleset.items`` (objects or mappings)."""
    ruleset = getattr(assessment, "ruleset", None)
    items = ruleset.get("items") if isinstance(ruleset, Mapping) else getattr(ruleset, "items", None)
    out: dict[str, str] = {}
    for item in items if isinstance(items, Iterable) and not callable(items) else ():
        get = item.get if isinstance(item, Mapping) else lambda k, _i=item: getattr(_i, k, None)
        if get("rule_id"):
            out[str(get("rule_id"))] = str(get("category") or "")
    return out


def _candidates(selection: pl.DataFrame) -> pl.DataFrame:
    """The published candidates (``select_advanced``'s frame, in its order) with their row number ``_i``."""
    return selection.select("org_id", "score", "n_failed", "quota_group", "places", "selected").with_row_index("_i")


def _groups(candidates: pl.DataFrame) -> list[tuple[np.ndarray, int]]:
    """(row numbers in published order, places) of each quota group."""
    col = candidates.get_column("quota_group").to_numpy()
    places = candidates.get_column("places").to_numpy()
    out = []
    for g in candidates.get_column("quota_group").unique(maintain_order=True).to_list():
        idx = np.flatnonzero(col == g)
        out.append((idx, int(places[idx[0]])))
    return out


def _failed_matrix(rules: pl.DataFrame, candidates: pl.DataFrame, item_ids: list[str]) -> np.ndarray:
    """items × candidates: 1 where the item failed for the candidate."""
    failed = np.zeros((len(item_ids), candidates.height))
    cells = (
        rules.lazy()
        .filter(pl.col("status") == "fail")
        .join(candidates.lazy().select("org_id", "_i"), on="org_id", how="inner")
        .join(pl.LazyFrame({"rule_id": item_ids, "_j": np.arange(len(item_ids))}), on="rule_id", how="inner")
        .select("_i", "_j")
        .collect()
    )
    failed[cells["_j"].to_numpy(), cells["_i"].to_numpy()] = 1.0
    return failed


# ============================================================================================
# Leave-one-out
# ============================================================================================
def _round_score(share: np.ndarray) -> np.ndarray:
    """0–100 score rounded half up to 0.1, as scoring.py publishes it (after removing float noise)."""
    return np.floor(np.round(share * 100.0, 9) * 10.0 + 0.5) / 10.0


def _reselect(
    earned: np.ndarray,
    points: np.ndarray,
    n_failed: np.ndarray,
    fixed: np.ndarray,
    order_key: np.ndarray,
    groups: list[tuple[np.ndarray, int]],
) -> np.ndarray:
    """Selected flags of the candidates re-scored from per-candidate ``earned``/``points`` totals.

    Same order as the published list: score (rounded to 0.1) descending, fewer failed rules, org_id
    (``order_key``, the candidate's position in org_id order).  A candidate with no points left keeps
    its published score when it never had any (``fixed``), else has no score and ranks last.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(points > 0, _round_score(earned / points), np.nan)
    score = np.where(np.isnan(fixed), score, fixed)
    score = np.where(np.isnan(score), -np.inf, score)
    chosen = np.zeros(len(score), dtype=bool)
    for idx, places in groups:
        order = np.lexsort((order_key[idx], n_failed[idx], -score[idx]))
        chosen[idx[order[:places]]] = True
    return chosen


def leave_one_out(assessment: AssessmentLike, selection: pl.DataFrame) -> pl.DataFrame:
    """For every rubric item, then every category, the list re-selected without it.

    Parameters
    ----------
    assessment
        ``.rules`` (earned and available points of each org × item) and ``.ruleset`` (items in rubric
        order with their category) are read.
    selection
        :func:`~analysis.decisions.advanced.select_advanced`'s frame: the candidates, quota groups,
        places and the published ``selected``.

    Returns
    -------
    pl.DataFrame
        robustness_items.csv: ``item, category, n_left, n_entered, left, entered`` — one row per rubric
        item (rubric order), then one per category with ``item`` empty.  ``left`` / ``entered`` are the
        org_ids that leave / enter the list, ";"-joined in published order.

    Notes
    -----
    Without an item an org's score is its earned ÷ applicable points over the other items — exactly
    how a not-applicable item is treated — rounded to 0.1 as published, and the item's failure no
    longer counts in the tie-break on failed rules.  The candidates and the places stay as published:
    the question is which items decide the order, not who would be eligible under another rubric.
    """
    cand = _candidates(selection)
    categories = rule_categories(assessment)
    earned, points = _item_matrices(assessment.rules, cand)
    item_ids = sorted(assessment.rules.get_column("rule_id").unique().drop_nulls().to_list())
    failed = _failed_matrix(assessment.rules, cand, item_ids)
    rubric = list(categories) or item_ids
    rows: list[tuple[str, str, list[int]]] = [
        (rid, categories.get(rid, ""), [item_ids.index(rid)] if rid in item_ids else []) for rid in rubric
    ]
    for cat in dict.fromkeys(categories.values()):
        rows.append(("", cat, [item_ids.index(r) for r, c in categories.items() if c == cat and r in item_ids]))
    e_tot, p_tot = earned.sum(axis=0), points.sum(axis=0)
    n_failed = cand.get_column("n_failed").fill_null(0).to_numpy().astype(float)
    fixed = np.where(p_tot > 0, np.nan, cand.get_column("score").fill_null(-np.inf).to_numpy())
    org_ids = cand.get_column("org_id").to_numpy()
    order_key = np.argsort(np.argsort(org_ids, kind="stable"), kind="stable")
    groups = _groups(cand)
    published = cand.get_column("selected").to_numpy()
    out = []
    for item, cat, js in rows:
        chosen = _reselect(
            e_tot - earned[js].sum(axis=0),
            p_tot - points[js].sum(axis=0),
            n_failed - failed[js].sum(axis=0),
            fixed,
            order_key,
            groups,
        )
        left, entered = org_ids[published & ~chosen], org_ids[~published & chosen]
        out.append((item, cat, len(left), len(entered), _ID_SEP.join(left), _ID_SEP.join(entered)))
    schema = dict(zip(ITEM_COLUMNS, (pl.String, pl.String, pl.Int64, pl.Int64, pl.String, pl.String), strict=True))
    return pl.DataFrame(out, schema=schema, orient="row")


# ============================================================================================
# Sobol sensitivity to the category weights
# ============================================================================================
class _Factor:
    """U(1 − h, 1 + h) as scipy's sobol_indices wants a distribution: an object with ``ppf``."""

    def __init__(self, half_width: float):
        self.h = float(half_width)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return 1.0 - self.h + 2.0 * self.h * np.asarray(q)


def _rank_shift_model(
    earned: np.ndarray, points: np.ndarray, fixed: np.ndarray, groups: list[tuple[np.ndarray, int]]
) -> Any:
    """The function Sobol analyses: category factors (C × N) -> mean absolute rank shift (1 × N).

    ``earned``/``points`` are categories × candidates.  Ranks are within each quota group, on the
    unrounded score, exact ties kept in published order (a stable sort of candidates already in that
    order), so the published weights give a shift of exactly 0.
    """
    unscored = points.sum(axis=0) <= 0
    n = earned.shape[1]

    def ranks(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            score = (x.T @ earned) / (x.T @ points)
        score[:, unscored] = fixed[unscored]
        out = np.empty(score.shape, dtype=np.int64)
        for idx, _ in groups:
            order = np.argsort(-score[:, idx], axis=1, kind="stable")
            sub = np.empty_like(order)
            np.put_along_axis(sub, order, np.broadcast_to(np.arange(len(idx)), order.shape), axis=1)
            out[:, idx] = sub
        return out

    base = ranks(np.ones((earned.shape[0], 1)))[0]
    batch = max(1, _BATCH_CELLS // max(n, 1))

    def model(x: np.ndarray) -> np.ndarray:
        y = np.empty(x.shape[1])
        for start in range(0, x.shape[1], batch):
            block = ranks(x[:, start : start + batch])
            y[start : start + batch] = np.abs(block - base[None, :]).mean(axis=1) if n else 0.0
        return y[None, :]

    return model


def _category_matrices(
    assessment: AssessmentLike, cand: pl.DataFrame, names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """categories × candidates earned and available points (the items of each category summed)."""
    categories = rule_categories(assessment)
    earned, points = _item_matrices(assessment.rules, cand)
    item_ids = sorted(assessment.rules.get_column("rule_id").unique().drop_nulls().to_list())
    member = np.array([[categories.get(r) == c for r in item_ids] for c in names], dtype=float).reshape(
        len(names), len(item_ids)
    )
    return member @ earned, member @ points


def category_sensitivity(
    assessment: AssessmentLike,
    selection: pl.DataFrame,
    draws: int = DEFAULT_SENSITIVITY["draws"],
    noise: float | Mapping[str, float] = DEFAULT_SENSITIVITY["noise"],
    seed: int = 0,
) -> pl.DataFrame:
    """Sobol first-order (S1) and total (ST) indices of the candidates' mean absolute rank shift to the
    weight of each category, with bootstrap confidence intervals.

    Parameters
    ----------
    assessment, selection
        As for :func:`leave_one_out`; the categories are the ruleset's, in its order.
    draws
        The Sobol base sample, rounded up to a power of 2 (scipy's requirement); the rank shift is
        computed ``draws × (categories + 2)`` times.  ``0`` returns the categories with null indices.
    noise
        Each category's points are multiplied by a factor from U(1 − noise, 1 + noise); a mapping gives
        each category its own (0 holds a category fixed).
    seed
        Seeds the Sobol sample and the bootstrap: the same seed gives the same table.

    Returns
    -------
    pl.DataFrame
        robustness_categories.csv: ``category, S1, ST, S1_low, S1_high, ST_low, ST_high`` (the
        intervals: percentile bootstrap over the base sample, ``confidence`` level).  When no weighting
        moves any rank the variance is 0 and every index is 0.

    Notes
    -----
    ``scipy.stats.sobol_indices`` (Saltelli 2010 estimators on a scrambled Sobol' sequence) does the
    analysis, given the evaluations of the same Saltelli design it would build (:func:`_evaluations`):
    its own ``bootstrap`` draws from numpy's global state, so the intervals are computed here from the
    kept evaluations with a seeded generator instead.  The rank shift is homogeneous of
    degree 0 in the weights (doubling every weight changes nothing), so only relative weights matter.
    """
    cand = _candidates(selection)
    names = list(dict.fromkeys(rule_categories(assessment).values()))
    schema = {c: (pl.String if c == "category" else pl.Float64) for c in CATEGORY_COLUMNS}
    if draws <= 0 or not names or cand.height == 0:
        return pl.DataFrame({"category": names}, schema={"category": pl.String}).with_columns(
            *(pl.lit(None, pl.Float64).alias(c) for c in CATEGORY_COLUMNS[1:])
        )
    earned, points = _category_matrices(assessment, cand, names)
    fixed = cand.get_column("score").fill_null(-100.0).to_numpy() / 100.0
    model = _rank_shift_model(earned, points, fixed, _groups(cand))
    halves = [float(noise.get(c, 0.0)) if isinstance(noise, Mapping) else float(noise) for c in names]
    n = 2 ** max(1, math.ceil(math.log2(draws)))
    rng = np.random.default_rng(seed)
    f = _evaluations(model, [_Factor(h) for h in halves], n, rng)
    if np.ptp(np.concatenate([v.ravel() for v in f.values()])) == 0:
        zeros = [0.0] * len(names)
        return pl.DataFrame({"category": names, **{c: zeros for c in CATEGORY_COLUMNS[1:]}}, schema=schema)
    res = sobol_indices(func=f, n=n)
    return pl.DataFrame(
        {"category": names, "S1": np.atleast_2d(res.first_order)[0], "ST": np.atleast_2d(res.total_order)[0], **_bootstrap(f, rng)},
        schema=schema,
    ).with_columns(pl.col(c).round(4) for c in CATEGORY_COLUMNS[1:])


def _evaluations(model: Any, dists: list[_Factor], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The Saltelli design scipy's ``sobol_indices`` uses, built here so the evaluations can be kept:
    A and B the two halves of one scrambled Sobol' sample of 2d columns, AB_i = A with column i from B;
    returns scipy's dictionary form ``f_A`` (1 × n), ``f_B`` (1 × n), ``f_AB`` (d × 1 × n)."""
    d = len(dists)
    base = qmc.Sobol(d=2 * d, scramble=True, seed=rng).random(n)
    a, b = base[:, :d].T, base[:, d:].T
    mixed = np.repeat(a[None, :, :], d, axis=0)
    for i in range(d):
        mixed[i, i] = b[i]
    x = np.concatenate([a, b, *mixed], axis=1)
    x = np.stack([dist.ppf(row) for dist, row in zip(dists, x, strict=True)])
    y = model(x)[0]
    return {"f_A": y[None, :n], "f_B": y[None, n : 2 * n], "f_AB": y[2 * n :].reshape(d, 1, n)}


def _bootstrap(f: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Percentile bootstrap intervals of S1 and ST: resample the base points, recompute from scipy's
    dictionary form (evaluations given, nothing re-run)."""
    n = f["f_A"].shape[1]
    reps = DEFAULT_SENSITIVITY["resamples"]
    s1s, sts = [], []
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(reps):
            idx = rng.integers(0, n, n)
            r = sobol_indices(func={"f_A": f["f_A"][:, idx], "f_B": f["f_B"][:, idx], "f_AB": f["f_AB"][..., idx]}, n=n)
            s1s.append(np.atleast_2d(r.first_order)[0])
            sts.append(np.atleast_2d(r.total_order)[0])
    alpha = (1 - DEFAULT_SENSITIVITY["confidence"]) / 2
    s1a, sta = np.nan_to_num(np.array(s1s)), np.nan_to_num(np.array(sts))
    return {
        "S1_low": np.quantile(s1a, alpha, axis=0),
        "S1_high": np.quantile(s1a, 1 - alpha, axis=0),
        "ST_low": np.quantile(sta, alpha, axis=0),
        "ST_high": np.quantile(sta, 1 - alpha, axis=0),
    }


# ============================================================================================
# Item checks
# ============================================================================================
def item_checks(
    assessment: AssessmentLike,
    selection: pl.DataFrame,
    threshold: float = DEFAULT_SENSITIVITY["corr_threshold"],
) -> pl.DataFrame:
    """Pairs of items that may count one thing twice, and items every candidate passes.

    Returns
    -------
    pl.DataFrame
        ``check, items, r, sentence`` — ``check`` is ``correlated`` (the per-org ratios earned ÷ points
        of two items, over the orgs where both apply, have a Pearson r above ``threshold``; r compared
        after rounding to 6 places, so 0.9 is not above 0.9) or ``all_pass`` (every candidate the item
        applies to passes it: it separates no one on the list); ``items`` the rule ids ";"-joined,
        ``sentence`` one Chinese sentence for the report.
    """
    titles = _rule_titles(assessment)
    scored = assessment.rules.filter(~pl.col("status").is_in(_NOT_SCORED) & (pl.col("points").fill_null(0) > 0))
    wide = (
        scored.select("org_id", "rule_id", (pl.col("earned").fill_null(0) / pl.col("points")).alias("ratio"))
        .pivot(on="rule_id", index="org_id", values="ratio", aggregate_function="first")
    )
    items = sorted(c for c in wide.columns if c != "org_id")
    rows: list[tuple[str, str, float | None, str]] = []
    for a_i, a in enumerate(items):
        for b in items[a_i + 1 :]:
            r = _pearson(wide.get_column(a).to_numpy(), wide.get_column(b).to_numpy())
            if r is not None and round(r, 6) > threshold:
                ta, tb = titles.get(a, a), titles.get(b, b)
                rows.append(
                    (
                        "correlated",
                        f"{a}{_ID_SEP}{b}",
                        round(r, 3),
                        f"“{ta}”与“{tb}”在各组织的得分率高度相关（相关系数{r:.2f}），可能重复计分，建议核对两项是否考查同一件事。",
                    )
                )
    cand = scored.join(selection.select("org_id"), on="org_id", how="semi")
    passing = cand.group_by("rule_id").agg(pl.len().alias("n"), (pl.col("status") == "pass").all().alias("all"))
    for rid, n in passing.filter(pl.col("all")).sort("rule_id").select("rule_id", "n").iter_rows():
        rows.append(
            (
                "all_pass",
                rid,
                None,
                f"“{titles.get(rid, rid)}”所有{n}个适用的候选组织都已达标，这一项不能区分候选组织，对名单排序没有作用。",
            )
        )
    return pl.DataFrame(
        rows, schema={"check": pl.String, "items": pl.String, "r": pl.Float64, "sentence": pl.String}, orient="row"
    )


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson r over the orgs where both items apply; None with fewer than 3 or a constant item."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    x, y = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    denom = math.sqrt(float(x @ x) * float(y @ y))
    return None if denom == 0 else float(x @ y) / denom


# ============================================================================================
# What the report says
# ============================================================================================
def item_moves(loo: pl.DataFrame, assessment: object) -> pl.DataFrame:
    """The rubric items that move the list, most first: ``item, title, category, orgs`` (``orgs`` = how
    many selected orgs leave without the item — as many enter, the places being fixed)."""
    titles = _rule_titles(assessment)
    return (
        loo.filter((pl.col("item") != "") & (pl.col("n_left") > 0))
        .with_columns(
            pl.col("item").replace_strict(titles, default=pl.col("item"), return_dtype=pl.String).alias("title"),
            pl.col("n_left").alias("orgs"),
        )
        .sort(["orgs", "item"], descending=[True, False])
        .select("item", "title", "category", "orgs")
    )


def sensitivity_paragraph(categories: pl.DataFrame, noise: float = DEFAULT_SENSITIVITY["noise"]) -> str:
    """The plain-Chinese paragraph on which category's points the list depends on (issue 22)."""
    ranked = categories.drop_nulls("ST").sort("ST", descending=True)
    if ranked.height == 0:
        return "本次未做分类分值的敏感性分析（抽样数为 0，或没有候选组织）。"
    if float(ranked["ST"].max() or 0) == 0:
        return f"把各类分值在 ±{noise:.0%} 内随机浮动，候选组织的名次都不变：名单不取决于各类分值的设定。"
    top, second = ranked.row(0, named=True), ranked.row(1, named=True) if ranked.height > 1 else None
    text = (
        f"名单主要取决于‘{top['category']}’一类的分值设定：把五类分值各自在 ±{noise:.0%} 内随机浮动时，"
        f"候选组织名次变化的差异中约 {max(top['S1'], 0):.0%} 单由这一类分值引起，"
        f"连同它与其他类别的共同作用约占 {top['ST']:.0%}。"
    )
    if second is not None and second["ST"] > 0:
        text += f"其次是‘{second['category']}’（约 {second['ST']:.0%}）。"
    text += "一类分值的影响越大，评审时越值得确认这一类的分值是否合理。"
    return text
