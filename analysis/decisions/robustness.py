"""The Monte Carlo robustness of the advanced list: how often each candidate stays in it when the
rubric's points are perturbed, and its rank band.  RULES.md, "Advanced organizations".  The same
draws carried over to the excellent party-affairs workers (:func:`_worker_robustness`).

:func:`~analysis.decisions.advanced.select_advanced` calls :func:`_robustness` next to the published
list; the draws never change the list itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from analysis.decisions.settings import _NOT_SCORED

_JITTER = 1e-12  # random tie-break in a draw; far below any real score difference (0-1 scale)
_BATCH_CELLS = 4_000_000  # draws x candidates held at once in the Monte Carlo (~32 MB per float array)
_RANK_BAND = (0.05, 0.95)


# ============================================================================================
# Monte Carlo
# ============================================================================================
class _RankBands:
    """Streaming 5th/95th percentiles of each candidate's rank over the draws, in bounded memory.

    Percentiles use the inverted-CDF definition (numpy ``method="inverted_cdf"``): the band ends are
    ranks that actually occurred, never an interpolated 12.35.  For ``d`` draws the lower end is the
    ``ceil(0.05 d)``-th smallest rank and the upper end the ``ceil(0.95 d)``-th smallest, so only the
    ``k_low = ceil(0.05 d)`` smallest and ``k_high = d - ceil(0.95 d) + 1`` largest ranks of each
    candidate matter (50 and 51 for 1,000 draws).  New blocks of ranks are appended to a buffer of
    ``keep = k_low + k_high`` plus ``max(room, keep)`` columns; when it is full, each row is sorted and
    only its extremes are kept.  Memory is candidates × ~2·keep int32 (160 MB for 200,000 candidates and
    1,000 draws) instead of candidates × draws (800 MB).  Small rows sort faster than they partition
    (SIMD sorting networks), hence ``sort``.
    """

    def __init__(
        self, n: int, draws: int, room: int, low: float = _RANK_BAND[0], high: float = _RANK_BAND[1]
    ):
        self.i_low = max(1, math.ceil(low * draws - 1e-9)) - 1  # 0-based, among all draws sorted
        self.k_low = self.i_low + 1
        self.k_high = draws - max(1, math.ceil(high * draws - 1e-9)) + 1
        self.keep = self.k_low + self.k_high
        # room for at least one block, and at least `keep` so a collapse sorts no more than twice per draw
        self.buf = np.empty((n, self.keep + max(room, self.keep)), dtype=np.int32)
        self.fill = 0

    def _collapse(self) -> None:
        view = self.buf[:, : self.fill]
        view.sort(axis=1)
        if self.fill > self.keep:  # the k_low smallest are in place; move the k_high largest after them
            self.buf[:, self.k_low : self.keep] = self.buf[:, self.fill - self.k_high : self.fill]
            self.fill = self.keep

    def update(self, ranks: np.ndarray) -> None:
        """Append a (draws_in_block × candidates) block of ranks; the block fits in the free room."""
        if self.fill + ranks.shape[0] > self.buf.shape[1]:
            self._collapse()
        self.buf[:, self.fill : self.fill + ranks.shape[0]] = ranks.T
        self.fill += ranks.shape[0]

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(rank_p05, rank_p95) once every draw has been added."""
        self._collapse()
        return self.buf[:, self.i_low].copy(), self.buf[:, self.fill - self.k_high].copy()


def _perturbed_selection(
    earned: np.ndarray,
    points: np.ndarray,
    fixed: np.ndarray,
    groups: Sequence[tuple[np.ndarray, int]],
    draws: int,
    noise: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of draws each candidate is selected in, and its rank band, under perturbed rubric points.

    Parameters
    ----------
    earned, points
        items × candidates; earned and available points of each applicable item, 0 where the item is
        not scored for that org.  The score under weights ``w`` is ``Σ w·earned / Σ w·points`` — with
        ``w = 1`` exactly the published ``earned ÷ applicable points``; perturbing ``w`` per item is the
        same as multiplying each item's points by a factor.
    fixed
        score (0–1) used for a candidate with no applicable points at all (no rules rows): it cannot be
        re-weighted, so it keeps its published score in every draw.
    groups
        (candidate indices, places) per quota group; each group is ranked on its own.
    draws, noise, rng
        ``draws`` weight vectors, each item's factor iid U(1 − noise, 1 + noise), shared by all groups.

    Returns
    -------
    p_selected, rank_p05, rank_p95 : arrays over the candidates (rank within the quota group, 1 = best).

    Notes
    -----
    Per batch of draws two matrix products give all numerators and denominators; then each draw's
    scores (one row, which fits in cache) get a 1e-12 random jitter — exact ties are broken at random, as
    RULES.md asks, while any real difference (the published score has 0.1 resolution) is untouched — and
    one argsort gives every rank.  A full sort is needed because the rank band is reported for every
    candidate; selection alone would need only a partition.  Memory is bounded by ``_BATCH_CELLS``
    (draws × candidates per batch) plus the rank-band buffer, whatever ``draws`` is.
    """
    m, n = earned.shape
    factors = rng.uniform(1.0 - noise, 1.0 + noise, size=(draws, m))
    p_selected = np.zeros(n)
    rank_low = np.zeros(n, dtype=np.int64)
    rank_high = np.zeros(n, dtype=np.int64)
    for idx, places in groups:
        size = len(idx)
        if size == 0:
            continue
        whole = size == n  # one group of every candidate: no copy
        earned_g = earned if whole else np.ascontiguousarray(earned[:, idx])
        points_g = points if whole else np.ascontiguousarray(points[:, idx])
        unscored = points_g.sum(axis=0) <= 0
        fixed_g = fixed[idx][unscored]
        rank_values = np.arange(size, 0, -1, dtype=np.int32)  # ascending argsort -> ranks n..1
        batch = max(1, min(draws, _BATCH_CELLS // size))
        bands = _RankBands(size, draws, room=batch)
        selected = np.zeros(size, dtype=np.int64)
        ranks = np.empty((batch, size), dtype=np.int32)
        for start in range(0, draws, batch):
            f = factors[start : start + batch]
            numer = f @ earned_g
            denom = f @ points_g
            block = ranks[: len(f)]
            for j in range(len(f)):
                with np.errstate(invalid="ignore", divide="ignore"):
                    score = np.divide(numer[j], denom[j], out=numer[j])
                if fixed_g.size:
                    score[unscored] = fixed_g
                score += rng.random(size) * _JITTER
                block[j, np.argsort(score)] = rank_values
            selected += (block <= places).sum(axis=0)
            bands.update(block)
        low, high = bands.result()
        p_selected[idx] = selected / draws
        rank_low[idx] = low
        rank_high[idx] = high
    return p_selected, rank_low, rank_high


def _item_matrices(rules: pl.DataFrame, candidates: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """items × candidates matrices of earned and available points over the applicable items.

    Items are every rule_id in the assessment, sorted, so the random factors land on the same items
    whatever the row order.  Not scored = status not_applicable/no_data, or no points.  Items are the
    rows so that one draw's matrix product writes one contiguous row of candidates.
    """
    item_ids = sorted(rules.get_column("rule_id").unique().drop_nulls().to_list())
    n, m = candidates.height, len(item_ids)
    earned = np.zeros((m, n))
    points = np.zeros((m, n))
    if n == 0 or m == 0:
        return earned, points
    cells = (
        rules.lazy()
        .filter(~pl.col("status").is_in(_NOT_SCORED) & (pl.col("points").fill_null(0) > 0))
        .join(candidates.lazy().select("org_id", "_i"), on="org_id", how="inner")
        .join(pl.LazyFrame({"rule_id": item_ids, "_j": np.arange(m)}), on="rule_id", how="inner")
        .select(
            "_i",
            "_j",
            pl.col("points").cast(pl.Float64),
            pl.col("earned").cast(pl.Float64).fill_null(0.0).clip(0.0, pl.col("points")),
        )
        .collect()
    )
    i = cells.get_column("_i").to_numpy()
    j = cells.get_column("_j").to_numpy()
    earned[j, i] = cells.get_column("earned").to_numpy()
    points[j, i] = cells.get_column("points").to_numpy()
    return earned, points


def _robustness(
    rules: pl.DataFrame,
    candidates: pl.DataFrame,
    places: dict[str, int],
    draws: int,
    noise: float,
    seed: int,
) -> pl.DataFrame:
    """``p_selected, rank_p05, rank_p95`` of each ``candidates`` row, in its order; null if ``draws = 0``.

    ``candidates`` is the ranked list of :func:`~analysis.decisions.advanced.select_advanced` with its
    row number ``_i`` and ``quota_group``; ``places`` the places of each group.  One generator seeded
    with ``seed`` gives every draw (see :func:`_perturbed_selection`).
    """
    n = candidates.height
    if draws > 0 and n:
        earned, points = _item_matrices(rules, candidates)
        fixed = candidates.get_column("score").fill_null(-100.0).to_numpy() / 100.0
        group_col = candidates.get_column("quota_group").to_numpy()
        groups = [
            (np.flatnonzero(group_col == g), places[g])
            for g in candidates.get_column("quota_group").unique(maintain_order=True).to_list()
        ]
        p, low, high = _perturbed_selection(
            earned, points, fixed, groups, draws, noise, np.random.default_rng(seed)
        )
        mc = pl.DataFrame(
            {"p_selected": p, "rank_p05": low, "rank_p95": high},
            schema={"p_selected": pl.Float64, "rank_p05": pl.Int64, "rank_p95": pl.Int64},
        )
    else:
        mc = pl.DataFrame(
            {"p_selected": [None] * n, "rank_p05": [None] * n, "rank_p95": [None] * n},
            schema={"p_selected": pl.Float64, "rank_p05": pl.Int64, "rank_p95": pl.Int64},
        )
    return mc


def _worker_robustness(
    rules: pl.DataFrame, ranked: pl.DataFrame, places: dict[str, int], draws: int, seed: int, noise: float
) -> pl.DataFrame:
    """``p_selected, rank_p05, rank_p95`` of each ``ranked`` worker of
    :func:`~analysis.decisions.workers.select_workers`, in its order; null when ``draws = 0``.

    ``ranked`` carries ``org_id, org_score, quota_group``, ``_org`` (the org's number, 0…k−1) and
    ``_pos`` (the worker's place on their own keys: study days, months in the role, member_id).

    Each draw multiplies every rubric item's points by a factor from U(1 − noise, 1 + noise) — the
    same generator, seed and item order as :func:`_robustness`, so the advanced list's very draws —
    re-scores the workers' orgs, and re-ranks the workers of each quota group on (perturbed org score,
    the worker's own keys).  Exact ties of perturbed org scores (perfect orgs score 1 in every draw)
    are decided by those keys, as in the published list, not at random.  A worker is selected in a
    draw when their org ranks high enough for them to be within the cut: RULES.md's "their org's rank
    being within the cut".
    """
    n = ranked.height
    schema = {"p_selected": pl.Float64, "rank_p05": pl.Int64, "rank_p95": pl.Int64}
    if draws <= 0 or n == 0:
        return pl.DataFrame({k: [None] * n for k in schema}, schema=schema)
    orgs = ranked.group_by("_org").agg(pl.col("org_id").first(), pl.col("org_score").first()).sort("_org")
    earned, points = _item_matrices(rules, orgs.rename({"_org": "_i"}))
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1.0 - noise, 1.0 + noise, size=(draws, earned.shape[0]))
    unscored = points.sum(axis=0) <= 0
    fixed = orgs.get_column("org_score").fill_null(-100.0).to_numpy() / 100.0
    org_of = ranked.get_column("_org").to_numpy()
    pos = ranked.get_column("_pos").to_numpy()
    group_col = ranked.get_column("quota_group").to_numpy()
    groups = [(np.flatnonzero(group_col == g), places[g]) for g in places]
    batch = max(1, min(draws, _BATCH_CELLS // max(orgs.height, n)))
    bands = [_RankBands(len(idx), draws, room=batch) for idx, _ in groups]
    chosen = np.zeros(n)
    for start in range(0, draws, batch):
        f = factors[start : start + batch]
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = (f @ earned) / (f @ points)
        scores[:, unscored] = fixed[unscored]
        for (idx, cut), band in zip(groups, bands, strict=True):
            block = np.empty((len(f), len(idx)), dtype=np.int32)
            ranks = np.arange(1, len(idx) + 1, dtype=np.int32)
            for j in range(len(f)):
                block[j, np.lexsort((pos[idx], -scores[j, org_of[idx]]))] = ranks
            chosen[idx] += (block <= cut).sum(axis=0)
            band.update(block)
    low, high = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for (idx, _), band in zip(groups, bands, strict=True):
        low[idx], high[idx] = band.result()
    return pl.DataFrame({"p_selected": chosen / draws, "rank_p05": low, "rank_p95": high}, schema=schema)
