"""Advanced organizations (先进基层党组织): the published list — deterministic rank, quota, ties
shown — with its Monte Carlo robustness next to it.  RULES.md, "Advanced organizations".

This stage reads an :class:`Assessment` (``docs/CONTRACTS.md``) and never recomputes a rule: it needs
only ``assessment.scores`` (one row per org), ``assessment.rules`` (one row per org × rubric item),
``assessment.year`` and, when present, ``assessment.ruleset`` for settings.  Anything with those
attributes works, which is how the tests drive it.  :func:`selection_settings` turns the ruleset's
``[selection]`` table into :func:`select_advanced` arguments.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import polars as pl

from analysis.decisions.robustness import _robustness
from analysis.decisions.settings import AssessmentLike, _ruleset_section, _settings
from analysis.vocab import ORG_TYPE_ZH, SELECTION_LABEL_ZH

# --------------------------------------------------------------------------------------------
# Words the user sees.  They belong in analysis/vocab.py; kept here until the lead moves them
# (this module was written without touching vocab.py).
# --------------------------------------------------------------------------------------------
LABEL_STABLE, LABEL_MARGINAL, LABEL_DROPPED = SELECTION_LABEL_ZH["stable"], SELECTION_LABEL_ZH["marginal"], SELECTION_LABEL_ZH["dropped"]

# --------------------------------------------------------------------------------------------
# Defaults ([default] in RULES.md unless marked [seed]); a ruleset's [selection] overrides.
# --------------------------------------------------------------------------------------------
DEFAULT_SELECTION: dict[str, Any] = {
    "stable": 0.9,  # p_selected >= stable and on the list -> 稳定入选
    "dropped": 0.1,  # p_selected <= dropped and off the list -> 落选
}


# ============================================================================================
# Quota
# ============================================================================================
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
    quota_by = _checked_quota_by(quota_by, noise, draws)
    kind, value = _parse_quota(quota)
    cfg = _settings(assessment, "selection", DEFAULT_SELECTION, {"stable": stable, "dropped": dropped})
    candidates, places = _ranked_candidates(assessment.scores, weak, quota_by, kind, value)
    mc = _robustness(assessment.rules, candidates, places, draws, noise, seed)
    return _labelled(candidates, mc, cfg)


def _checked_quota_by(quota_by: str, noise: float, draws: int) -> str:
    """``quota_by`` as :func:`select_advanced` uses it; a Chinese ValueError for a value a user mistyped."""
    quota_by = {"overall": "all"}.get(quota_by, quota_by)  # the ruleset says quota_scope = "overall"
    if quota_by not in ("all", "org_type"):
        raise ValueError(f'quota_by 应为 "all"（总体）或 "org_type"（按组织类型），收到：{quota_by!r}')
    if not 0 <= noise < 1:
        raise ValueError(f"权重扰动幅度 noise 应在 0 到 1 之间（如 0.2 表示 ±20%），收到：{noise!r}")
    if draws < 0:
        raise ValueError(f"模拟次数 draws 不能为负数，收到：{draws!r}")
    return quota_by


def _ranked_candidates(
    scores: pl.DataFrame, weak: pl.DataFrame | None, quota_by: str, kind: str, value: Decimal
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The candidates in published order — quota group, then rank — and the places of each group.

    Candidates are the qualified, not vetoed orgs that are not in ``weak``; each row gets its
    ``quota_group``, ``places``, deterministic ``rank``, ``selected``, the cut-line ``tie`` and ``note``,
    and ``_i``, its row number (the column the Monte Carlo matrices are indexed by).
    """
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
    return candidates, places


def _labelled(candidates: pl.DataFrame, mc: pl.DataFrame, cfg: dict[str, Any]) -> pl.DataFrame:
    """The candidates beside their Monte Carlo columns, with the label, in the columns of the result."""
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
