"""Self-assessment check and spot checks (自评核查与抽查, RULES.md): each org's claimed points (the 自评得分
table) against the points the workbench computes from the evidence, and the list of orgs to visit.

- :func:`resolve_claims` turns the claimed items (a rule id, the item's Chinese name, or the 项目 text of
  the workbench's own 自评分表, ``条款 名称``) into rule ids, and sets aside, with a reason, the claims that
  cannot be checked: an item the ruleset does not know, a score above the item's points, an item that does
  not apply to the org (不适用/无数据).  Ingest cannot do this — it knows the tables, not the ruleset —
  so these rows are refused here, at assess time (``selfcheck_refused.csv``); negative scores and unknown
  org codes are refused by ingest like every other bad value.
- :func:`self_check`: per org and claimed item ``claimed, computed, gap, flag`` (多报 when
  gap > tolerance, 少报 when gap < −tolerance, else 一致) with the item's name and its evidence.
- :func:`org_claims`: per org the claimed score, rescaled like the computed one (items not claimed count at
  their computed points), its grade, and the overclaim total.
- :func:`spot_check`: every org claiming ≥ ``overclaim_points`` more than computed (自评虚高) or whose claim
  changes its grade (等次变化), plus a seeded random ``spot_share`` of the other orgs that sent
  self-scores (随机抽取, with the seed), so the draw is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from analysis import vocab
from analysis.decisions.settings import _settings
from analysis.scoring import OUT_OF_SCOPE, grade_expr, round_half_up

#: [default] choices of RULES.md, "Self-assessment check and spot checks"; a ruleset's [selfcheck] or the
#: caller overrides (``seed`` None: the ruleset's selection seed)
DEFAULT_SELFCHECK: dict[str, Any] = {
    "tolerance": 0.5,  # a gap within ±0.5 points is 一致
    "overclaim_points": 5.0,  # a claimed score this far above the computed one puts the org on the list
    "spot_share": 0.10,  # share of the other orgs drawn at random
    "seed": None,
}
SELFCHECK_COLUMNS = ("org_id", "item", "claimed", "computed", "gap", "flag", "title", "evidence")
SPOTCHECK_COLUMNS = ("org_id", "name", "claimed_score", "computed_score", "gap", "reason")
REFUSED_COLUMNS = ("org_id", "item", "score", vocab.PROV_FILE, vocab.PROV_SHEET, vocab.PROV_ROW, "reason")
_EPS = 1e-9


def selfcheck_settings(assessment: object, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The self-check settings: defaults < the ruleset's ``[selfcheck]`` < ``given``; the seed falls back
    to the ruleset's selection seed (the one ``workbench assess --seed`` sets)."""
    out = _settings(assessment, "selfcheck", DEFAULT_SELFCHECK, given)
    if out["seed"] is None:
        selection = getattr(getattr(assessment, "ruleset", None), "selection", None)
        out["seed"] = int(getattr(selection, "seed", 0) or 0)
    return out


def _item_key(text: object) -> str:
    return vocab.normalize_header(text)


def item_names(ruleset: Any) -> dict[str, str]:
    """Every accepted spelling of a rubric item (normalised) -> its rule id: the id, the Chinese name and
    the 自评分表's ``条款 名称``."""
    out: dict[str, str] = {}
    for r in ruleset.items:
        for spelling in (r.rule_id, r.title_zh, f"{r.clause} {r.title_zh}"):
            out.setdefault(_item_key(spelling), r.rule_id)
    return out


def _refused(frame: pl.DataFrame, reason: Any) -> pl.DataFrame:
    """``frame``'s claims with ``reason(row)`` — a Chinese sentence — as their reason."""
    return frame.select(REFUSED_COLUMNS[:-1]).with_columns(
        reason=pl.Series([reason(r) for r in frame.iter_rows(named=True)], dtype=pl.String)
    )


def resolve_claims(claims: pl.DataFrame, assessment: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The year's claims with their rule ids, and the claims set aside (:data:`REFUSED_COLUMNS`).

    ``claims`` is the 自评得分 table (org_id, year, item, score and provenance).  Returns
    ``(kept, refused)``: ``kept`` has ``org_id, rule_id, claimed`` — several claims of one org and item are
    averaged, as inspection scores are — and ``refused`` one row per claim with its reason in Chinese.
    """
    a = assessment
    words = vocab.SELF_SCORE_REFUSED_ZH
    names = item_names(a.ruleset)
    rows = claims.filter(pl.col("year") == a.year)
    rows = rows.with_columns(rule_id=pl.Series([names.get(_item_key(t)) for t in rows["item"]], dtype=pl.String))
    known = rows.filter(pl.col("rule_id").is_not_null()).join(
        a.rules.select("org_id", "rule_id", "status", "points"), on=["org_id", "rule_id"], how="inner"
    )
    out_of_scope = pl.col("status").is_in(OUT_OF_SCOPE)
    over = pl.col("score") > pl.col("points") + _EPS
    refused = pl.concat(
        [
            _refused(
                rows.filter(pl.col("rule_id").is_null()),
                lambda r: words["unknown_item"].format(item=r["item"], ruleset=a.ruleset.name),
            ),
            _refused(
                known.filter(out_of_scope),
                lambda r: words["not_scored"].format(status=vocab.STATUS_ZH.get(r["status"], r["status"])),
            ),
            _refused(
                known.filter(~out_of_scope & over),
                lambda r: words["over_points"].format(score=f"{r['score']:g}", points=f"{r['points']:g}"),
            ),
        ]
    ).sort(vocab.PROV_FILE, vocab.PROV_SHEET, vocab.PROV_ROW, "org_id")
    kept = (
        known.filter(~out_of_scope & ~over)
        .group_by("org_id", "rule_id")
        .agg(claimed=round_half_up(pl.col("score").mean(), 2))
        .sort("org_id", "rule_id")
    )
    return kept, refused


_SELFCHECK_SCHEMA: dict[str, pl.DataType] = {
    "org_id": pl.String(),
    "item": pl.String(),
    "claimed": pl.Float64(),
    "computed": pl.Float64(),
    "gap": pl.Float64(),
    "flag": pl.String(),
    "title": pl.String(),
    "evidence": pl.String(),
}


def self_check(kept: pl.DataFrame, assessment: Any, tolerance: float = 0.5, sources_limit: int = 3) -> pl.DataFrame:
    """One row per org and claimed item (:data:`SELFCHECK_COLUMNS`), in (org_id, rubric order)."""
    a = assessment
    order = {r.rule_id: i for i, r in enumerate(a.ruleset.items)}
    if kept.height == 0:
        return pl.DataFrame(schema=_SELFCHECK_SCHEMA)
    sources = a.sources(sources_limit, org_ids=kept["org_id"].unique().to_list())
    gap = pl.col("gap")
    return (
        kept.join(a.rules.select("org_id", "rule_id", "status", "measured", "earned"), on=["org_id", "rule_id"])
        .join(sources, on=["org_id", "rule_id"], how="left")
        .with_columns(computed=pl.col("earned"))
        .with_columns(gap=round_half_up(pl.col("claimed") - pl.col("computed"), 2))
        .with_columns(
            flag=pl.when(gap > tolerance + _EPS)
            .then(pl.lit(vocab.SELFCHECK_OVER))
            .when(gap < -tolerance - _EPS)
            .then(pl.lit(vocab.SELFCHECK_UNDER))
            .otherwise(pl.lit(vocab.SELFCHECK_EVEN)),
            title=pl.col("rule_id").replace_strict(a.ruleset.titles, default=pl.col("rule_id")),
            evidence=pl.format(
                "{}。{}",
                pl.col("status").replace_strict(vocab.STATUS_ZH, default=pl.col("status")),
                pl.col("measured"),
            )
            + pl.when(pl.col("sources").is_not_null()).then(pl.format("；来源：{}", "sources")).otherwise(pl.lit("")),
            _order=pl.col("rule_id").replace_strict(order, default=len(order), return_dtype=pl.Int64),
        )
        .sort("org_id", "_order")
        .select(pl.col("org_id"), pl.col("rule_id").alias("item"), *SELFCHECK_COLUMNS[2:])
    )


def org_claims(check: pl.DataFrame, assessment: Any) -> pl.DataFrame:
    """Per org that claimed anything: ``org_id, name, claimed_score, computed_score, gap, grade,
    claimed_grade, overclaim, items``.

    The claimed score is rescaled like the computed one: the org's earned points with each claimed item
    at its claimed points, ÷ applicable points × 100.  Its grade uses the ruleset's thresholds with the
    org's veto, an item claimed at its full points counting as met."""
    a = assessment
    failed = a.rules.filter(pl.col("status") == "fail").select("org_id", "rule_id", "points")
    per_org = (
        check.join(failed, left_on=["org_id", "item"], right_on=["org_id", "rule_id"], how="left")
        .group_by("org_id")
        .agg(
            delta=pl.col("gap").sum(),
            overclaim=pl.col("gap").filter(pl.col("flag") == vocab.SELFCHECK_OVER).sum(),
            items=pl.len(),
            now_met=(pl.col("points").is_not_null() & (pl.col("claimed") >= pl.col("points") - _EPS)).sum(),
        )
    )
    applicable = pl.col("applicable_points")
    claimed = (
        a.scores.join(per_org, on="org_id", how="inner")
        .with_columns(
            claimed_score=pl.when(applicable > 0)
            .then(round_half_up((pl.col("earned_points") + pl.col("delta")) / applicable * 100, 1))
            .otherwise(pl.lit(0.0)),
            computed_score=pl.col("score"),
            computed_grade=pl.col("grade"),
        )
        .with_columns(score=pl.col("claimed_score"), n_failed=pl.col("n_failed") - pl.col("now_met").cast(pl.Int64))
        .with_columns(claimed_grade=grade_expr(a.ruleset))
    )
    return claimed.select(
        "org_id",
        "name",
        "claimed_score",
        "computed_score",
        gap=round_half_up(pl.col("claimed_score") - pl.col("computed_score"), 1),
        grade=pl.col("computed_grade"),
        claimed_grade=pl.col("claimed_grade"),
        overclaim=round_half_up(pl.col("overclaim"), 2),
        items=pl.col("items").cast(pl.Int64),
    ).sort("org_id")


def spot_check(
    claims: pl.DataFrame, overclaim_points: float = 5.0, spot_share: float = 0.10, seed: int = 0
) -> pl.DataFrame:
    """The spot-check list (:data:`SPOTCHECK_COLUMNS`) from :func:`org_claims`: the orgs RULES.md puts on
    it (自评虚高, 等次变化; both reasons joined by "；"), largest gap first, then a random draw of
    ``spot_share`` of the others (rounded up, so a share above 0 always draws one when any remain), in
    code order.  The draw depends only on the seed and the set of codes, not on the order of rows."""
    words = vocab.SPOT_REASON_ZH
    inflated = pl.col("gap") >= overclaim_points - _EPS
    changed = pl.col("claimed_grade") != pl.col("grade")
    flagged = (
        claims.filter(inflated | changed)
        .with_columns(
            reason=pl.concat_str(
                [
                    pl.when(inflated).then(pl.lit(words["inflated"])),
                    pl.when(changed).then(pl.lit(words["grade"])),
                ],
                separator="；",
                ignore_nulls=True,
            )
        )
        .sort(["gap", "org_id"], descending=[True, False])
    )
    rest = claims.filter(~(inflated | changed)).sort("org_id")
    n = min(rest.height, math.ceil(rest.height * spot_share - _EPS)) if spot_share > 0 else 0
    picked = np.random.default_rng(seed).choice(rest.height, size=n, replace=False) if n else []
    drawn = rest[sorted(int(i) for i in picked)].with_columns(reason=pl.lit(words["random"].format(seed=seed)))
    return pl.concat([flagged, drawn]).select(SPOTCHECK_COLUMNS)


def assess_self_scores(store: Any, assessment: Any, settings: Mapping[str, Any] | None = None) -> dict[str, pl.DataFrame] | None:
    """Everything the self-check writes, from a store and its assessment: ``selfcheck``, ``claims`` (per
    org), ``spotcheck``, ``refused`` and the ``settings`` used (one row); None when the store holds no
    self-scores for the year."""
    if not store.has(vocab.SELF_SCORES.name):
        return None
    rows = store.table(vocab.SELF_SCORES.name).collect()
    if rows.filter(pl.col("year") == assessment.year).height == 0:
        return None
    s = selfcheck_settings(assessment, settings)
    kept, refused = resolve_claims(rows, assessment)
    check = self_check(kept, assessment, s["tolerance"])
    claims = org_claims(check, assessment)
    spot = spot_check(claims, s["overclaim_points"], s["spot_share"], s["seed"])
    return {"selfcheck": check, "claims": claims, "spotcheck": spot, "refused": refused, "settings": pl.DataFrame([s])}
