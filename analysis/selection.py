"""Advanced organizations (先进基层党组织), their robustness, and weak organizations (后进/软弱涣散).

This stage reads an :class:`Assessment` (``docs/CONTRACTS.md``) and never recomputes a rule: it needs
only ``assessment.scores`` (one row per org), ``assessment.rules`` (one row per org × rubric item),
``assessment.year`` and, when present, ``assessment.ruleset`` for settings and rule titles.  Anything
with those attributes works, which is how the tests drive it.

Three entry points:

- :func:`select_advanced` — the published list (deterministic rank, quota, ties shown) and, next to it,
  a Monte Carlo robustness check: how often each candidate stays in the list when the rubric's points
  are perturbed.  RULES.md, "Advanced organizations".
- :func:`weak_orgs` — every org meeting any weak criterion of RULES.md, "Weak branches", each reason
  in Chinese with its numbers.
- :func:`peer_comparison` — the per-parent peer statistics behind the "far below its siblings" reason,
  exposed so a chart can draw the limits.

Settings come, in order, from the function arguments, the ruleset's ``[selection]`` / ``[weak]``
tables (``assessment.ruleset.selection`` / ``.weak`` — the loaded pydantic models of
``analysis/rules/loader.py`` — or mappings of the same keys), and the documented defaults below.
:func:`selection_settings` turns the ruleset's ``[selection]`` table into :func:`select_advanced`
arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

import numpy as np
import polars as pl

from analysis.vocab import ACTIVITY_KIND_ZH, GRADES, ORG_TYPE_ZH, SELECTION_LABEL_ZH, WEAK_REASON_ZH

__all__ = [
    "DEFAULT_SELECTION",
    "DEFAULT_WEAK",
    "LABEL_DROPPED",
    "LABEL_MARGINAL",
    "LABEL_STABLE",
    "WEAK_REASON_ZH",
    "peer_comparison",
    "select_advanced",
    "selection_settings",
    "weak_orgs",
    "history_for",
    "advanced_table",
    "weak_table",
]


class AssessmentLike(Protocol):
    """The part of ``analysis.assess.Assessment`` this stage reads."""

    scores: pl.DataFrame
    rules: pl.DataFrame
    year: int


# --------------------------------------------------------------------------------------------
# Words the user sees.  They belong in analysis/vocab.py; kept here until the lead moves them
# (this module was written without touching vocab.py).
# --------------------------------------------------------------------------------------------
LABEL_STABLE, LABEL_MARGINAL, LABEL_DROPPED = SELECTION_LABEL_ZH["stable"], SELECTION_LABEL_ZH["marginal"], SELECTION_LABEL_ZH["dropped"]
FAILING_GRADE = GRADES[-1]  # 不合格

#: short names of the meeting rules in reasons; other rule ids fall back to the ruleset's title
_MEETING_NAME_ZH = {
    "org.committee_meetings": ACTIVITY_KIND_ZH["committee_meeting"],  # 委员会议
    "edu.three_meetings_one_lesson": "三会一课",
}
REASON_SEP = "；"

# --------------------------------------------------------------------------------------------
# Defaults ([default] in RULES.md unless marked [seed]); a ruleset's [selection] / [weak] override.
# --------------------------------------------------------------------------------------------
DEFAULT_SELECTION: dict[str, Any] = {
    "stable": 0.9,  # p_selected >= stable and on the list -> 稳定入选
    "dropped": 0.1,  # p_selected <= dropped and off the list -> 落选
}
#: keys and values as in the ruleset's [weak] table (changzhou-2009.toml), plus ``peer_z``
DEFAULT_WEAK: dict[str, Any] = {
    "fail_rules": 3,  # fails >= 3 rules
    "half_count_rules": ("org.committee_meetings", "edu.three_meetings_one_lesson"),
    "half_count_share": 0.5,  # meetings at half the required count or less
    "secretary_rule": "org.secretary",
    "peer_min_siblings": 3,  # peer comparison only with at least 3 siblings (a peer group of 4+)
    "peer_gap": 15.0,  # far below = at least this many points below the peer median ...
    "peer_z": -2.0,  # ... and a robust z at or below this
    "decline_years": 2,  # score fell in each of the last 2 years
}

_NOT_SCORED = ("not_applicable", "no_data")
_MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal sample
_JITTER = 1e-12  # random tie-break in a draw; far below any real score difference (0-1 scale)
_BATCH_CELLS = 4_000_000  # draws x candidates held at once in the Monte Carlo (~32 MB per float array)
_RANK_BAND = (0.05, 0.95)


# ============================================================================================
# Settings and small helpers
# ============================================================================================
def _ruleset_section(assessment: object, section: str) -> dict[str, Any]:
    """The ruleset's ``[section]`` table as a dict, else ``{}``.

    The loaded ruleset keeps it as a pydantic model (``ruleset.weak``); tests and notebooks may pass a
    mapping (``{"weak": {...}}``).
    """
    ruleset = getattr(assessment, "ruleset", None)
    place = ruleset.get(section) if isinstance(ruleset, Mapping) else getattr(ruleset, section, None)
    if place is None:
        return {}
    if isinstance(place, Mapping):
        return dict(place)
    if hasattr(place, "model_dump"):
        return dict(place.model_dump())
    return dict(vars(place)) if hasattr(place, "__dict__") else {}


def _settings(
    assessment: object, section: str, defaults: Mapping[str, Any], given: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults < ruleset section < explicit values; refuse unknown keys (a typo would be silent)."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"未知的阈值设置：{', '.join(unknown)}；可用的设置为：{', '.join(sorted(defaults))}")
    out = dict(defaults)
    # a ruleset section may hold keys read elsewhere (quota, mc_draws ...): take only ours
    for values in (_ruleset_section(assessment, section), given):
        out.update({k: v for k, v in values.items() if k in defaults and v is not None})
    return out


def _rule_titles(assessment: object) -> dict[str, str]:
    """rule_id -> Chinese title from ``assessment.ruleset.items`` (objects or mappings), in rubric order."""
    ruleset = getattr(assessment, "ruleset", None)
    items = ruleset.get("items") if isinstance(ruleset, Mapping) else getattr(ruleset, "items", None)
    if items is None or callable(items):
        return {}
    out: dict[str, str] = {}
    for item in items if isinstance(items, Iterable) else ():
        get = item.get if isinstance(item, Mapping) else lambda k, _i=item: getattr(_i, k, None)
        rule_id, title = get("rule_id"), get("title_zh")
        if rule_id and title:
            out[str(rule_id)] = str(title)
    return out


def _parse_quota(quota: int | str) -> tuple[str, Decimal]:
    """``5`` / ``"5"`` -> ("count", 5); ``"15%"`` -> ("share", 0.15)."""
    bad = ValueError(f'名额 quota 应为人数（如 5）或比例（如 "15%"），收到：{quota!r}')
    if isinstance(quota, bool):
        raise bad
    if isinstance(quota, int):
        if quota < 0:
            raise bad
        return "count", Decimal(quota)
    if isinstance(quota, str):
        text = quota.strip().replace("％", "%")
        try:
            if text.endswith("%"):
                share = Decimal(text[:-1].strip()) / 100
                if not 0 <= share <= 1:
                    raise bad
                return "share", share
            count = Decimal(text)
        except InvalidOperation:
            raise bad from None
        if count < 0 or count != count.to_integral_value():
            raise bad
        return "count", count
    raise bad


def _quota_size(kind: str, value: Decimal, n_qualified: int, n_candidates: int) -> int:
    """Places for one quota group.

    A share is taken of the group's *qualified* orgs (RULES.md: "a share of qualified orgs"), rounded
    half up in exact decimal arithmetic (15% of 10 = 1.5 -> 2), and is at least 1 when there is any
    candidate — a share too small to round to one place should not silently empty the list.  A count is
    used as given.  Either way there are never more places than candidates.
    """
    if kind == "share":
        places = int((value * n_qualified).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if n_candidates and value > 0:
            places = max(places, 1)
    else:
        places = int(value)
    return min(places, n_candidates)


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


# ============================================================================================
# Advanced organizations
# ============================================================================================
def _cut_line_notes(ranked: pl.DataFrame) -> pl.DataFrame:
    """Add ``tie`` and ``note`` for orgs sharing the last place's score across the cut line.

    ``ranked`` is one quota group in deterministic order with ``rank``, ``places``.  A score tie on the
    cut line is decided by fewer failed rules (RULES.md) and the note says so; when the failed-rule count
    is equal too only the org_id decides, which is arbitrary — those orgs get ``tie = True`` and a note
    asking the committee to decide.
    """
    n = ranked.height
    tie = [False] * n
    note = [""] * n
    places = int(ranked.get_column("places")[0]) if n else 0
    if 0 < places < n:
        scores = ranked.get_column("score").to_list()
        failed = ranked.get_column("n_failed").to_list()
        last, first_out = places - 1, places
        if scores[last] is not None and scores[last] == scores[first_out]:
            full_tie = failed[last] == failed[first_out]
            for i in range(n):
                if scores[i] != scores[last]:
                    continue
                inside = "入选" if i < places else "落选"
                if full_tie and failed[i] == failed[last]:
                    tie[i] = True
                    note[i] = (
                        f"与第{places}名同分（{scores[i]:.1f}分）且未达标规则数相同（{failed[i]}项），"
                        f"仅按组织编码排序而{inside}，请考核小组裁定"
                    )
                else:
                    note[i] = (
                        f"与第{places}名同分（{scores[i]:.1f}分），按未达标规则较少者优先"
                        f"（本组织{failed[i]}项），{inside}"
                    )
    return ranked.with_columns(pl.Series("tie", tie, pl.Boolean), pl.Series("note", note, pl.String))


def select_advanced(
    assessment: AssessmentLike,
    quota: int | str = "15%",
    quota_by: str = "all",
    draws: int = 1000,
    seed: int = 0,
    weak: pl.DataFrame | None = None,
    noise: float = 0.2,
    stable: float | None = None,
    dropped: float | None = None,
) -> pl.DataFrame:
    """Rank the candidates for 先进基层党组织, apply the quota, and test how robust the list is.

    Parameters
    ----------
    assessment
        An Assessment (``docs/CONTRACTS.md``): ``.scores`` and ``.rules`` are read.
    quota
        Places: a count (``5``) or a share of the qualified orgs (``"15%"``), rounded half up and at
        least 1 when there is a candidate [default 15%].
    quota_by
        ``"all"`` (or ``"overall"``): one list over every candidate; ``"org_type"``: the quota is
        applied within each org type (a share of that type's qualified orgs; a count per type).
    draws, seed, noise
        Monte Carlo: ``draws`` re-rankings, each multiplying every rubric item's points by an independent
        factor drawn from U(1 − noise, 1 + noise); ``seed`` makes it reproducible.  ``draws=0`` skips it.
        :func:`selection_settings` gives the ruleset's values for these (and quota, quota_by).
    weak
        Output of :func:`weak_orgs` (any frame with ``org_id``): those orgs are not candidates
        [default exclusion in RULES.md].
    stable, dropped
        Label thresholds on ``p_selected``; ``None`` reads the ruleset's ``[selection]`` table, else
        0.9 / 0.1.

    Returns
    -------
    pl.DataFrame
        One row per candidate, by quota group (committee, general_branch, branch) then rank: ``org_id, name, org_type, score, n_failed,
        quota_group, places, rank, selected, tie, note, p_selected, rank_p05, rank_p95, label``.
        ``rank`` is the deterministic rank within the quota group (score desc, fewer failed rules,
        org_id); ``selected`` is the published list.  ``tie`` marks orgs whose place on either side of
        the cut was decided by org_id alone; ``note`` explains any score tie on the cut line.
        ``p_selected`` is the share of draws in which the org is selected; ``rank_p05``/``rank_p95`` are
        the 5th/95th percentiles of its rank within the quota group (inverted-CDF, so actual ranks).
        With ``draws=0`` these three and ``label`` are null.  ``label``: 稳定入选 when selected with p ≥ stable,
        落选 when not selected with p ≤ dropped, otherwise 边缘 — including any case where the published
        list and the draws disagree, because that is exactly a close call.

    Raises
    ------
    ValueError
        A quota, quota_by, noise or draws a user could mistype, with the message in Chinese.

    Notes
    -----
    Why perturb item points with independent uniform factors: the rubric's points are a [default] (the
    source's 自评分表 is missing), so the honest question is "would a reasonable alternative weighting
    change the list?".  This is the weight-uncertainty step of the OECD/JRC *Handbook on Constructing
    Composite Indicators* (2008, step 7, uncertainty analysis: re-compute the index under sampled
    weights and report rank intervals), in the form COINr uses (``get_noisy_weights``: each weight
    varies uniformly within ± NoiseFactor of its nominal value; ``get_sensitivity`` with
    ``SA_type = "UA"``).  Item-level factors were chosen over a Dirichlet on the five category weights
    because the item points are what the committee actually set, and the category totals then vary
    too; ±20% keeps every item recognisably itself.  The draws recompute the score from unrounded
    item shares, so ``p_selected`` can disagree with the published (0.1-rounded) list when two orgs are
    within rounding of each other — the label then says 边缘.
    """
    quota_by = {"overall": "all"}.get(quota_by, quota_by)  # the ruleset says quota_scope = "overall"
    if quota_by not in ("all", "org_type"):
        raise ValueError(f'quota_by 应为 "all"（总体）或 "org_type"（按组织类型），收到：{quota_by!r}')
    if not 0 <= noise < 1:
        raise ValueError(f"权重扰动幅度 noise 应在 0 到 1 之间（如 0.2 表示 ±20%），收到：{noise!r}")
    if draws < 0:
        raise ValueError(f"模拟次数 draws 不能为负数，收到：{draws!r}")
    kind, value = _parse_quota(quota)
    cfg = _settings(assessment, "selection", DEFAULT_SELECTION, {"stable": stable, "dropped": dropped})

    scores = assessment.scores
    excluded = weak.get_column("org_id").cast(pl.String).to_list() if weak is not None and weak.height else []
    group_expr = pl.lit("all") if quota_by == "all" else pl.col("org_type")
    type_order = {t: i for i, t in enumerate(ORG_TYPE_ZH)}  # committee, general_branch, branch
    group_order = pl.col("quota_group").replace_strict(
        type_order, default=len(type_order), return_dtype=pl.Int64
    )
    qualified = scores.filter(pl.col("qualified").fill_null(False) & ~pl.col("vetoed").fill_null(False))
    n_qualified = qualified.group_by(group_expr.alias("quota_group")).agg(pl.len().alias("_n_qualified"))
    candidates = (
        qualified.filter(~pl.col("org_id").is_in(excluded))
        .select(
            "org_id",
            "name",
            "org_type",
            pl.col("score").cast(pl.Float64),
            pl.col("n_failed").cast(pl.Int64).fill_null(0),
            group_expr.alias("quota_group"),
        )
        .sort(
            [group_order, "score", "n_failed", "org_id"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
    )
    sizes = (
        candidates.group_by("quota_group")
        .agg(pl.len().alias("_n"))
        .join(n_qualified, on="quota_group", how="left")
    )
    places = {
        g: _quota_size(kind, value, int(nq or 0), int(nc))
        for g, nc, nq in sizes.select("quota_group", "_n", "_n_qualified").iter_rows()
    }
    candidates = candidates.with_columns(
        pl.col("quota_group").replace_strict(places, return_dtype=pl.Int64, default=0).alias("places"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("quota_group").alias("rank"),
    ).with_columns((pl.col("rank") <= pl.col("places")).alias("selected"))
    candidates = pl.concat(
        [_cut_line_notes(part) for part in candidates.partition_by("quota_group", maintain_order=True)]
        or [candidates.with_columns(tie=pl.lit(False), note=pl.lit(""))],
        how="vertical",
    ).with_row_index("_i")

    n = candidates.height
    if draws > 0 and n:
        earned, points = _item_matrices(assessment.rules, candidates)
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
    label = (
        pl.when(pl.col("p_selected").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("selected") & (pl.col("p_selected") >= cfg["stable"]))
        .then(pl.lit(LABEL_STABLE))
        .when(~pl.col("selected") & (pl.col("p_selected") <= cfg["dropped"]))
        .then(pl.lit(LABEL_DROPPED))
        .otherwise(pl.lit(LABEL_MARGINAL))
    )
    return (
        pl.concat([candidates, mc], how="horizontal")
        .with_columns(label.alias("label"))
        .select(
            "org_id",
            "name",
            "org_type",
            "score",
            "n_failed",
            "quota_group",
            "places",
            "rank",
            "selected",
            "tie",
            "note",
            "p_selected",
            "rank_p05",
            "rank_p95",
            "label",
        )
    )


def selection_settings(assessment: object) -> dict[str, Any]:
    """:func:`select_advanced` keyword arguments from the ruleset's ``[selection]`` table.

    The table speaks the ruleset's language (``quota = 0.15``, ``quota_kind = "share"``,
    ``quota_scope = "overall"``, ``mc_draws``, ``mc_weight_sd``, ``seed``); this is the one place it is
    translated, so a CLI or notebook calls ``select_advanced(a, **selection_settings(a), weak=...)``.
    ``mc_weight_sd`` is the relative standard deviation of an item's points; the draws use a uniform
    factor, and U(1 − h, 1 + h) has standard deviation h/√3, so ``noise = √3 × mc_weight_sd`` gives the
    same spread (0.1 → ±17.3%).  ``exclude_weak`` is left to the caller, who decides whether to pass
    ``weak``.  Keys the table lacks are left out, so the function defaults apply.
    """
    table = _ruleset_section(assessment, "selection")
    out: dict[str, Any] = {}
    if table.get("quota") is not None:
        quota = Decimal(str(table["quota"]))
        if table.get("quota_kind", "share") == "share":
            percent = f"{quota * 100:f}"
            out["quota"] = (percent.rstrip("0").rstrip(".") if "." in percent else percent) + "%"
        else:
            out["quota"] = int(quota)
    if table.get("quota_scope") is not None:
        out["quota_by"] = {"overall": "all"}.get(table["quota_scope"], table["quota_scope"])
    if table.get("mc_draws") is not None:
        out["draws"] = int(table["mc_draws"])
    if table.get("seed") is not None:
        out["seed"] = int(table["seed"])
    if table.get("mc_weight_sd") is not None:
        out["noise"] = round(math.sqrt(3) * float(table["mc_weight_sd"]), 6)
    return out


# ============================================================================================
# Peer comparison
# ============================================================================================
def peer_comparison(assessment: AssessmentLike, thresholds: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """Each org's score against its peer group — all orgs under the same parent — with the lower limit.

    Parameters
    ----------
    assessment
        ``.scores`` is read (``org_id, name, org_type, parent_id, score``).
    thresholds
        ``peer_min_siblings`` (3), ``peer_gap`` (15 points), ``peer_z`` (−2.0); else the ruleset's
        ``[weak]`` table, else these defaults.

    Returns
    -------
    pl.DataFrame
        One row per org with a score: ``org_id, name, org_type, parent_id, score, n_siblings,
        peer_median, peer_mad, robust_z (null when MAD = 0), lower_limit, compared, far_below``.  The limit is one number per
        parent, so a chart draws one line per peer group.  Orgs with fewer than ``peer_min_siblings``
        siblings get their median and MAD but no limit (``compared`` false): two or three scores are
        no norm to fall short of.

    Notes
    -----
    The peer group is every child of the parent, the org itself included, so all siblings share one
    median and one limit (a chart can draw it; a reader can check it).  The median and the MAD (median
    absolute deviation) have a 50% breakdown point: the very outliers we look for barely move them,
    whereas a mean and standard deviation would be dragged towards the weak org and hide it.  The robust
    z is ``(score − median) / (1.4826 × MAD)`` (1.4826 × MAD estimates the standard deviation of normal
    data); far below = ``score ≤ median − max(2 × 1.4826 × MAD, peer_gap)``, i.e. z ≤ −2 *and* at least
    ``peer_gap`` points down.  The gap floor matters: when siblings score within a point or two of each
    other (MAD ≈ 0) z explodes for a trivial shortfall, and 3 points is no reason to call an org weak;
    ``peer_gap`` is the ruleset's own "15 points below the peer median".  A funnel plot was not used:
    its limits need a binomial or Poisson proportion with a denominator, and a rescaled 0–100 score is
    neither.  Top-level orgs (no parent) form one peer group: the work committee assesses them side by
    side.
    """
    cfg = _settings(assessment, "weak", DEFAULT_WEAK, thresholds)
    z_crit = float(cfg["peer_z"])
    min_siblings = int(cfg["peer_min_siblings"])
    scored = assessment.scores.filter(pl.col("score").is_not_null()).with_columns(
        pl.col("score").cast(pl.Float64),
        pl.col("parent_id").fill_null("").alias("_peer_group"),
    )
    grp = pl.col("_peer_group")
    stats = scored.with_columns(
        (pl.len().over(grp) - 1).cast(pl.Int64).alias("n_siblings"),
        pl.col("score").median().over(grp).alias("peer_median"),
    ).with_columns(
        (pl.col("score") - pl.col("peer_median")).abs().median().over(grp).alias("peer_mad"),
    )
    compared = pl.col("n_siblings") >= min_siblings
    scale = _MAD_TO_SD * pl.col("peer_mad")
    return (
        stats.with_columns(
            pl.when(pl.col("peer_mad") > 0)
            .then((pl.col("score") - pl.col("peer_median")) / scale)
            .alias("robust_z"),
            pl.when(compared)
            .then(pl.col("peer_median") - pl.max_horizontal(-z_crit * scale, pl.lit(float(cfg["peer_gap"]))))
            .alias("lower_limit"),
            compared.alias("compared"),
        )
        .with_columns(
            pl.col("peer_median").round(4),
            pl.col("peer_mad").round(4),
            pl.col("lower_limit").round(4),
            (pl.col("score") <= pl.col("lower_limit")).fill_null(False).alias("far_below"),
        )
        .select(
            "org_id",
            "name",
            "org_type",
            "parent_id",
            "score",
            "n_siblings",
            "peer_median",
            "peer_mad",
            "robust_z",
            "lower_limit",
            "compared",
            "far_below",
        )
        .sort("org_id")
    )


# ============================================================================================
# Weak organizations
# ============================================================================================
def _one_decimal(expr: pl.Expr) -> pl.Expr:
    """62.0, 85.5, -3.1 — how scores, medians and z are written in reasons."""
    return expr.round(1).cast(pl.String)


def _count_text(expr: pl.Expr) -> pl.Expr:
    """A count as people write it: 5 not 5.0 (a fractional value keeps one decimal)."""
    return (
        pl.when(expr == expr.round(0)).then(expr.cast(pl.Int64).cast(pl.String)).otherwise(_one_decimal(expr))
    )


def _reason(
    frame: pl.DataFrame | pl.LazyFrame, code: str, text: pl.Expr, sub: pl.Expr | None = None
) -> pl.LazyFrame:
    """Rows (org_id, code, sub, text) of one criterion; ``sub`` orders several reasons of one code."""
    return frame.lazy().select(
        pl.col("org_id"),
        pl.lit(code).alias("code"),
        (sub if sub is not None else pl.lit("")).alias("sub"),
        text.alias("text"),
    )


def _declining(
    scores: pl.DataFrame, year: int, history: Sequence[AssessmentLike], years: int
) -> pl.LazyFrame:
    """Orgs whose score fell in each of the last ``years`` years (Y-n > … > Y-1 > Y, strictly).

    Refuses a history that lacks one of those years: comparing across a gap would not be "each year".
    """
    by_year = {int(h.year): h for h in history}
    needed = list(range(year - years, year))
    missing = [y for y in needed if y not in by_year]
    if missing:
        have = "、".join(str(y) for y in sorted(by_year)) or "无"
        raise ValueError(
            f"判断连续{_years_zh(years)}得分下降需要{'、'.join(str(y) for y in needed)}年的考核结果，缺少"
            f"{'、'.join(str(y) for y in missing)}年（已提供：{have}）"
        )
    frame = scores.lazy().select("org_id", pl.col("score").cast(pl.Float64).alias(str(year)))
    for y in needed:
        past = by_year[y].scores.lazy().select("org_id", pl.col("score").cast(pl.Float64).alias(str(y)))
        frame = frame.join(past, on="org_id", how="inner")
    chain = [*needed, year]
    falling = pl.all_horizontal(
        [pl.col(str(a)) > pl.col(str(b)) for a, b in zip(chain, chain[1:], strict=False)]
    )
    text = pl.concat_str(
        pl.lit(f"连续{_years_zh(years)}得分下降："),
        *[
            part
            for k, y in enumerate(chain)
            for part in ((pl.lit("→") if k else pl.lit("")), pl.lit(f"{y}年"), _one_decimal(pl.col(str(y))))
        ],
    )
    return _reason(frame.filter(falling), "declining", text)


def _years_zh(n: int) -> str:
    return "两年" if n == 2 else f"{n}年"


def weak_orgs(
    assessment: AssessmentLike,
    history: Sequence[AssessmentLike] | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Every org — committee, general branch or branch — meeting any weak criterion, with all its reasons.

    Parameters
    ----------
    assessment
        The year's Assessment: ``.scores``, ``.rules``, ``.year`` (and ``.ruleset`` for titles/settings).
    history
        Assessments of earlier years; Y-2 and Y-1 (``decline_years`` back) must be among them to test
        "score fell in each of the last two years".  ``None`` skips that criterion.
    thresholds
        Overrides of :data:`DEFAULT_WEAK` (``fail_rules``, ``half_count_rules``, ``half_count_share``,
        ``secretary_rule``, ``peer_*``, ``decline_years``); else the ruleset's ``[weak]`` table, else the
        defaults.

    Returns
    -------
    pl.DataFrame
        ``org_id, name, org_type, parent_id, score, reasons, reason_codes`` — one row per weak org,
        worst score first.  ``reasons`` joins the Chinese reasons with "；", each with its numbers;
        ``reason_codes`` lists the keys of :data:`WEAK_REASON_ZH` in the same order.

    Raises
    ------
    ValueError
        ``history`` lacks Y-2 or Y-1, or ``thresholds`` has an unknown key.

    Notes
    -----
    Criteria (RULES.md, "Weak branches"): vetoed; grade 不合格 (listed only when not vetoed — a veto
    already makes the grade 不合格 and its own reason says why); fails ≥ ``fail_rules`` rules; secretary
    vacant; a ``half_count_rules`` count at or below ``half_count_share`` of the required count (rules
    ``measured_value`` vs ``required_value``); far below its peers (:func:`peer_comparison`); score
    strictly lower in each of the last ``decline_years`` years (on the published 0.1-rounded scores).

    The secretary criterion must tell "nobody named" from "named, but 配备方式 not 兼任/专职"; both fail
    ``org.secretary`` with ``measured_value`` 0 (``analysis/rules/measures.py``), and the Assessment
    carries no registry column.  The measure's ``measured`` text tells them apart: "书记空缺" when the
    cell is empty, "书记：<name>（<mode>）" otherwise — so vacant = failed and ``measured`` empty or
    containing 空缺.
    """
    cfg = _settings(assessment, "weak", DEFAULT_WEAK, thresholds)
    titles = _rule_titles(assessment)
    scores = assessment.scores
    rules = assessment.rules.filter(~pl.col("status").is_in(_NOT_SCORED))
    parts: list[pl.LazyFrame] = []

    vetoed = pl.col("vetoed").fill_null(False)
    parts.append(
        _reason(
            scores.filter(vetoed),
            "vetoed",
            pl.when(pl.col("veto_reasons").fill_null("") != "")
            .then(pl.concat_str(pl.lit("一票否决："), pl.col("veto_reasons")))
            .otherwise(pl.lit("一票否决")),
        )
    )
    parts.append(
        _reason(
            scores.filter(~vetoed & (pl.col("grade") == FAILING_GRADE)),
            "failing_grade",
            pl.concat_str(
                pl.lit("考核等级不合格（"),
                pl.concat_str(pl.lit("得分"), _one_decimal(pl.col("score"))).fill_null("无得分"),
                pl.lit("）"),
            ),
        )
    )
    # in rubric order, each title quoted: a title may itself hold a 、 (作风建设、案件通报)
    rubric_order = {rule_id: i for i, rule_id in enumerate(titles)}
    element = pl.element()
    failed_names = (
        pl.col("failed_rules")
        .fill_null("")
        .str.split(";")
        .list.eval(element.filter(element != ""))
        .list.eval(
            pl.concat_str(pl.lit("“"), element.replace(titles), pl.lit("”")).sort_by(
                element.replace_strict(rubric_order, default=len(rubric_order), return_dtype=pl.Int64),
                maintain_order=True,
            )
        )
        .list.join("")
    )
    parts.append(
        _reason(
            scores.filter(pl.col("n_failed") >= int(cfg["fail_rules"])),
            "many_failed_rules",
            pl.concat_str(
                pl.col("n_failed").cast(pl.String),
                pl.lit("项规则未达标"),
                pl.when(failed_names != "")
                .then(pl.concat_str(pl.lit("："), failed_names))
                .otherwise(pl.lit("")),
            ),
        )
    )

    value, measured = pl.col("measured_value"), pl.col("measured").fill_null("").str.strip_chars()
    vacant = (pl.col("status") == "fail") & ((measured == "") | measured.str.contains("空缺", literal=True))
    parts.append(
        _reason(
            rules.filter((pl.col("rule_id") == cfg["secretary_rule"]) & vacant),
            "secretary_vacant",
            pl.lit("书记空缺（组织名册未填书记）"),
        )
    )

    meeting_rules = [str(r) for r in cfg["half_count_rules"]]
    share = float(cfg["half_count_share"])
    half = share * pl.col("required_value")
    names = {r: _MEETING_NAME_ZH.get(r) or titles.get(r, r) for r in meeting_rules}
    parts.append(
        _reason(
            rules.filter(
                pl.col("rule_id").is_in(meeting_rules) & (pl.col("required_value") > 0) & (value <= half)
            ),
            "few_meetings",
            pl.concat_str(
                pl.col("rule_id").replace_strict(names, return_dtype=pl.String),
                pl.lit("仅"),
                _count_text(value),
                pl.when(value < half).then(pl.lit("次，不足要求")).otherwise(pl.lit("次，仅为要求")),
                _count_text(pl.col("required_value")),
                pl.lit("次的" + ("一半" if share == 0.5 else f"{share:.0%}")),
            ),
            sub=pl.col("rule_id"),
        )
    )

    gap = _one_decimal(pl.col("peer_median") - pl.col("score"))
    limit = _one_decimal(pl.col("lower_limit"))
    peers = peer_comparison(assessment, thresholds).filter(pl.col("far_below"))
    parts.append(
        _reason(
            peers,
            "far_below_peers",
            pl.concat_str(
                pl.lit("得分"),
                _one_decimal(pl.col("score")),
                pl.lit("，低于同级组织中位数"),
                _one_decimal(pl.col("peer_median")),
                pl.when(pl.col("robust_z").is_not_null())
                .then(
                    pl.concat_str(
                        pl.lit("（稳健z="), _one_decimal(pl.col("robust_z")), pl.lit("，下限"), limit
                    )
                )
                .otherwise(pl.concat_str(pl.lit("达"), gap, pl.lit("分（同级组织得分高度一致，下限"), limit)),
                pl.lit("）"),
            ),
        )
    )

    if history:
        parts.append(_declining(scores, int(assessment.year), history, int(cfg["decline_years"])))

    order = {code: i for i, code in enumerate(WEAK_REASON_ZH)}
    flagged = (
        pl.concat(parts, how="vertical")
        .sort(pl.col("code").replace_strict(order, return_dtype=pl.Int64), "sub")
        .group_by("org_id", maintain_order=True)
        .agg(pl.col("text").str.join(REASON_SEP).alias("reasons"), pl.col("code").alias("reason_codes"))
    )
    return (
        scores.lazy()
        .select("org_id", "name", "org_type", "parent_id", pl.col("score").cast(pl.Float64))
        .join(flagged, on="org_id", how="inner")
        .sort(["score", "org_id"], nulls_last=True)
        .collect()
    )


# --------------------------------------------------------------------------------------------
# The decisions of one run, as the office receives them.
# --------------------------------------------------------------------------------------------
def history_for(store: Any, assessment: Any, years_back: int | None = None) -> list[Any] | None:
    """Assessments of the earlier years the decline criterion needs, when the store holds them.

    Returns ``None`` (the criterion is skipped, not failed) when any of those years has no yearly work
    on record, so a first year of data never reads as a decline.
    """
    from analysis.assess import assess
    from analysis.store import years_with_data

    n = int(years_back if years_back is not None else _settings(assessment, "weak", DEFAULT_WEAK, None)["decline_years"])
    wanted = [assessment.year - k for k in range(n, 0, -1)]
    have = set(years_with_data(store))
    if not all(y in have for y in wanted):
        return None
    return [assess(store, y, ruleset=assessment.ruleset) for y in wanted]


def advanced_table(selection: pl.DataFrame) -> pl.DataFrame:
    """The advanced.csv layout."""
    return selection.select(
        "org_id",
        "name",
        pl.col("org_type").replace_strict(ORG_TYPE_ZH, default=pl.col("org_type")),
        pl.col("score").round(1),
        "rank",
        "selected",
        pl.col("p_selected").round(3),
        "rank_p05",
        "rank_p95",
        "label",
    )


def weak_table(weak: pl.DataFrame) -> pl.DataFrame:
    """The weak.csv layout."""
    return weak.select(
        "org_id",
        "name",
        pl.col("org_type").replace_strict(ORG_TYPE_ZH, default=pl.col("org_type")),
        "parent_id",
        pl.col("score").round(1),
        "reasons",
    )
