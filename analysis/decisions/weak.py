"""Weak organizations (后进/软弱涣散): every org meeting any weak criterion of RULES.md, "Weak
branches", each reason in Chinese with its numbers; and the per-parent peer statistics behind the
"far below its siblings" reason (:func:`peer_comparison`), exposed so a chart can draw the limits.

This stage reads an :class:`Assessment` (``docs/CONTRACTS.md``) and never recomputes a rule: it needs
only ``assessment.scores``, ``assessment.rules``, ``assessment.year`` and, when present,
``assessment.ruleset`` for settings and rule titles.  Earlier years for the decline criterion come as
Assessments too (:func:`analysis.decisions.history.history_for` finds them in a store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from analysis.decisions.settings import _NOT_SCORED, AssessmentLike, _rule_titles, _settings
from analysis.decisions.weak_tiers import DEFAULT_RECTIFY_REASONS, add_tiers
from analysis.vocab import ACTIVITY_KIND_ZH, GRADES, ORG_TYPE_ZH, WEAK_REASON_ZH

# --------------------------------------------------------------------------------------------
# Words the user sees.  They belong in analysis/vocab.py; kept here until the lead moves them
# (this module was written without touching vocab.py).
# --------------------------------------------------------------------------------------------
FAILING_GRADE = GRADES[-1]  # 不合格

#: short names of the meeting rules in reasons; other rule ids fall back to the ruleset's title
_MEETING_NAME_ZH = {
    "org.committee_meetings": ACTIVITY_KIND_ZH["committee_meeting"],  # 委员会议
    "edu.three_meetings_one_lesson": "三会一课",
}
REASON_SEP = "；"

# --------------------------------------------------------------------------------------------
# Defaults ([default] in RULES.md unless marked [seed]); a ruleset's [weak] overrides.
# --------------------------------------------------------------------------------------------
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
    "rectify_reasons": DEFAULT_RECTIFY_REASONS,  # any of these puts an org in 整顿, the others in 关注
    "rectify_share": None,  # None: no cap; 0.1: at most 10 % of all orgs in 整顿
}

_MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal sample


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
    stats = _peer_statistics(assessment.scores)
    return _peer_limits(stats, z_crit, min_siblings, cfg["peer_gap"])


def _peer_statistics(scores: pl.DataFrame) -> pl.DataFrame:
    """The scored orgs with their peer group's size (``n_siblings``), ``peer_median`` and ``peer_mad``."""
    scored = scores.filter(pl.col("score").is_not_null()).with_columns(
        pl.col("score").cast(pl.Float64),
        pl.col("parent_id").fill_null("").alias("_peer_group"),
    )
    grp = pl.col("_peer_group")
    return scored.with_columns(
        (pl.len().over(grp) - 1).cast(pl.Int64).alias("n_siblings"),
        pl.col("score").median().over(grp).alias("peer_median"),
    ).with_columns(
        (pl.col("score") - pl.col("peer_median")).abs().median().over(grp).alias("peer_mad"),
    )


def _peer_limits(stats: pl.DataFrame, z_crit: float, min_siblings: int, peer_gap: Any) -> pl.DataFrame:
    """Robust z, lower limit, compared and far_below of each org: the frame of :func:`peer_comparison`."""
    compared = pl.col("n_siblings") >= min_siblings
    scale = _MAD_TO_SD * pl.col("peer_mad")
    return (
        stats.with_columns(
            pl.when(pl.col("peer_mad") > 0)
            .then((pl.col("score") - pl.col("peer_median")) / scale)
            .alias("robust_z"),
            pl.when(compared)
            .then(pl.col("peer_median") - pl.max_horizontal(-z_crit * scale, pl.lit(float(peer_gap))))
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
        ``reason_codes`` lists the keys of :data:`WEAK_REASON_ZH` in the same order, ``reason_list``
        the reasons one by one.  Then the tiers (:func:`~analysis.decisions.weak_tiers.add_tiers`):
        ``n_hard`` (reasons among ``rectify_reasons``), ``tier`` (整顿 / 关注) and ``tier_note`` (why an
        org with a hard reason is 关注 under the ``rectify_share`` cap, or a tie on the cut line).

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
    ``org.secretary`` with ``measured_value`` 0 (``analysis/rules/measures/org.py``), and the Assessment
    carries no registry column.  The measure's ``measured`` text tells them apart: "书记空缺" when the
    cell is empty, "书记：<name>（<mode>）" otherwise — so vacant = failed and ``measured`` empty or
    containing 空缺.
    """
    cfg = _settings(assessment, "weak", DEFAULT_WEAK, thresholds)
    titles = _rule_titles(assessment)
    scores = assessment.scores
    rules = assessment.rules.filter(~pl.col("status").is_in(_NOT_SCORED))
    parts: list[pl.LazyFrame] = [
        _vetoed(scores),
        _failing_grade(scores),
        _many_failed_rules(scores, titles, cfg),
        _secretary_vacant(rules, cfg),
        _few_meetings(rules, titles, cfg),
        _far_below_peers(assessment, thresholds),
    ]
    if history:
        parts.append(_declining(scores, int(assessment.year), history, int(cfg["decline_years"])))
    share = cfg["rectify_share"]
    return add_tiers(
        _one_row_per_org(scores, parts),
        [str(r) for r in cfg["rectify_reasons"]],
        None if share is None else float(share),
        scores.height,
    )


def _vetoed(scores: pl.DataFrame) -> pl.LazyFrame:
    """Vetoed orgs, with the veto's reasons when the assessment gives them."""
    vetoed = pl.col("vetoed").fill_null(False)
    return _reason(
        scores.filter(vetoed),
        "vetoed",
        pl.when(pl.col("veto_reasons").fill_null("") != "")
        .then(pl.concat_str(pl.lit("一票否决："), pl.col("veto_reasons")))
        .otherwise(pl.lit("一票否决")),
    )


def _failing_grade(scores: pl.DataFrame) -> pl.LazyFrame:
    """Orgs graded 不合格 that were not vetoed (a veto's own reason already says why)."""
    vetoed = pl.col("vetoed").fill_null(False)
    return _reason(
        scores.filter(~vetoed & (pl.col("grade") == FAILING_GRADE)),
        "failing_grade",
        pl.concat_str(
            pl.lit("考核等级不合格（"),
            pl.concat_str(pl.lit("得分"), _one_decimal(pl.col("score"))).fill_null("无得分"),
            pl.lit("）"),
        ),
    )


def _many_failed_rules(scores: pl.DataFrame, titles: dict[str, str], cfg: Mapping[str, Any]) -> pl.LazyFrame:
    """Orgs failing at least ``fail_rules`` rules, naming them in rubric order."""
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
    return _reason(
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


def _secretary_vacant(rules: pl.DataFrame, cfg: Mapping[str, Any]) -> pl.LazyFrame:
    """Orgs whose ``secretary_rule`` fails with nobody named (see :func:`weak_orgs`, Notes)."""
    measured = pl.col("measured").fill_null("").str.strip_chars()
    vacant = (pl.col("status") == "fail") & ((measured == "") | measured.str.contains("空缺", literal=True))
    return _reason(
        rules.filter((pl.col("rule_id") == cfg["secretary_rule"]) & vacant),
        "secretary_vacant",
        pl.lit("书记空缺（组织名册未填书记）"),
    )


def _few_meetings(rules: pl.DataFrame, titles: dict[str, str], cfg: Mapping[str, Any]) -> pl.LazyFrame:
    """Each ``half_count_rules`` count at or below ``half_count_share`` of the required count."""
    value = pl.col("measured_value")
    meeting_rules = [str(r) for r in cfg["half_count_rules"]]
    share = float(cfg["half_count_share"])
    half = share * pl.col("required_value")
    names = {r: _MEETING_NAME_ZH.get(r) or titles.get(r, r) for r in meeting_rules}
    return _reason(
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


def _far_below_peers(assessment: AssessmentLike, thresholds: Mapping[str, Any] | None) -> pl.LazyFrame:
    """Orgs far below their peer group (:func:`peer_comparison`), with the median and the limit."""
    gap = _one_decimal(pl.col("peer_median") - pl.col("score"))
    limit = _one_decimal(pl.col("lower_limit"))
    peers = peer_comparison(assessment, thresholds).filter(pl.col("far_below"))
    return _reason(
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


def _one_row_per_org(scores: pl.DataFrame, parts: list[pl.LazyFrame]) -> pl.DataFrame:
    """The reasons of each flagged org joined in the order of :data:`WEAK_REASON_ZH`, worst score first."""
    order = {code: i for i, code in enumerate(WEAK_REASON_ZH)}
    flagged = (
        pl.concat(parts, how="vertical")
        .sort(pl.col("code").replace_strict(order, return_dtype=pl.Int64), "sub")
        .group_by("org_id", maintain_order=True)
        .agg(
            pl.col("text").str.join(REASON_SEP).alias("reasons"),
            pl.col("code").alias("reason_codes"),
            pl.col("text").alias("reason_list"),
        )
    )
    return (
        scores.lazy()
        .select("org_id", "name", "org_type", "parent_id", pl.col("score").cast(pl.Float64))
        .join(flagged, on="org_id", how="inner")
        .sort(["score", "org_id"], nulls_last=True)
        .collect()
    )


#: weak.csv's columns after ``reasons`` (issue 22), written when the frame has them
WEAK_TIER_COLUMNS = ("tier", "tier_note", "last_tier", "turnaround", "still_holding")


def weak_table(weak: pl.DataFrame) -> pl.DataFrame:
    """The weak.csv layout: the original six columns, then the tier and turnaround columns."""
    return weak.select(
        "org_id",
        "name",
        pl.col("org_type").replace_strict(ORG_TYPE_ZH, default=pl.col("org_type")),
        "parent_id",
        pl.col("score").round(1),
        "reasons",
        *(c for c in WEAK_TIER_COLUMNS if c in weak.columns),
    )
