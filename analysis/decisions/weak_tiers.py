"""The weak list in tiers (整顿 / 关注) with the optional cap on 整顿, and the turnaround (后进转化) of
last year's 整顿 orgs.  Issue 22; the criteria themselves are in :mod:`analysis.decisions.weak`.

Why tiers: the weak criteria of RULES.md flag far more orgs (37 % of the sample) than national practice
treats as 软弱涣散 for rectification (5–10 %).  The hard criteria — vetoed, 不合格, secretary vacant,
meetings at half the required count or less — say an org cannot run its own life and must be rectified
(整顿); the others (many failed rules, far below peers, two years of decline) say "watch it" (关注).  The
functions here read the frame :func:`~analysis.decisions.weak.weak_orgs` builds and add columns; they
never re-test a criterion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from analysis.vocab import TURNAROUND_ZH, WEAK_TIER_ZH

RECTIFY, WATCH = WEAK_TIER_ZH["rectify"], WEAK_TIER_ZH["watch"]
TURNED, IMPROVED, NOT_TURNED = TURNAROUND_ZH["turned"], TURNAROUND_ZH["improved"], TURNAROUND_ZH["not_turned"]
#: the hard reasons [default]: any one puts an org in 整顿 (a ruleset's [weak] rectify_reasons overrides)
DEFAULT_RECTIFY_REASONS = ("vetoed", "failing_grade", "secretary_vacant", "few_meetings")
_SEP = "；"


def rectify_places(share: float, n_orgs: int) -> int:
    """At most ``share`` of ``n_orgs`` in 整顿: the share rounded down ("at most" is a ceiling)."""
    return math.floor(share * n_orgs + 1e-9)


def add_tiers(
    weak: pl.DataFrame, rectify_reasons: Sequence[str], rectify_share: float | None, n_orgs: int
) -> pl.DataFrame:
    """``weak`` with ``n_hard``, ``tier`` (整顿/关注) and ``tier_note``, rows in their order.

    Parameters
    ----------
    weak
        One row per weak org with ``org_id, score, reason_codes`` (a list, one code per reason).
    rectify_reasons
        The hard reason codes: an org with any of them is 整顿, every other weak org 关注.  Each org has
        one row, so it appears once, under its highest tier, with all its reasons.
    rectify_share
        ``None``: no cap.  Otherwise at most ``floor(share × n_orgs)`` orgs stay 整顿, ranked by severity —
        more hard reasons first, then the lower score (no score counts as lowest), then org_id — and the
        rest move to 关注 with ``tier_note`` naming the cut line.  Orgs equally severe across the cut are
        separated by org_id alone, which is arbitrary; their notes say so and ask the committee to decide
        (as the advanced list does for a tie on its cut line).
    n_orgs
        The number of orgs assessed: the share is of all orgs, as national practice states it.
    """
    hard = set(rectify_reasons)
    n_hard = pl.col("reason_codes").list.eval(pl.element().is_in(list(hard)).cast(pl.Int64)).list.sum()
    framed = weak.with_row_index("_row").with_columns(n_hard.fill_null(0).cast(pl.Int64).alias("n_hard"))
    ranked = (
        framed.filter(pl.col("n_hard") > 0)
        .sort(["n_hard", "score", "org_id"], descending=[True, False, False], nulls_last=False)
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_severity"))
    )
    notes = _cut_notes(ranked, rectify_share, n_orgs)
    return (
        framed.join(notes, on="org_id", how="left")
        .with_columns(
            pl.when(pl.col("_inside").fill_null(False)).then(pl.lit(RECTIFY)).otherwise(pl.lit(WATCH)).alias("tier"),
            pl.col("tier_note").fill_null(""),
        )
        .sort("_row")
        .drop("_row", "_inside")
    )


def _cut_notes(ranked: pl.DataFrame, share: float | None, n_orgs: int) -> pl.DataFrame:
    """``org_id, _inside, tier_note`` of the orgs with a hard reason, in severity order (``_severity``)."""
    n = ranked.height
    places = n if share is None else min(n, rectify_places(share, n_orgs))
    keys = list(zip(ranked["n_hard"].to_list(), ranked["score"].to_list(), strict=True))
    notes = [""] * n
    if places < n:
        last = keys[places - 1] if places else None
        line = (
            f"截止线为第{places}名（硬性原因{last[0]}项，得分{_score_text(last[1])}）"
            if last
            else "截止线为第0名"
        )
        for i in range(places, n):
            notes[i] = (
                f"整顿名额上限为全部{n_orgs}个组织的{share:.0%}（至多{places}个），按严重程度排第{i + 1}名，"
                f"{line}之外，列入关注"
            )
        if last is not None and keys[places] == last:
            for i in (i for i in range(n) if keys[i] == last):
                side = "列入整顿" if i < places else "移入关注"
                notes[i] = (
                    f"与第{places}名同等严重（硬性原因{last[0]}项，得分{_score_text(last[1])}），"
                    f"仅按组织编码排序而{side}，请考核小组裁定"
                )
    inside = [i < places for i in range(n)]
    return pl.DataFrame(
        {"org_id": ranked["org_id"], "_inside": inside, "tier_note": notes},
        schema={"org_id": ranked.schema["org_id"], "_inside": pl.Boolean, "tier_note": pl.String},
    )


def _score_text(score: float | None) -> str:
    return "无" if score is None else f"{score:.1f}"


def cut_line(tiered: pl.DataFrame) -> str:
    """One Chinese sentence on the 整顿 cut line of a capped list (empty when nobody was moved)."""
    moved = tiered.filter((pl.col("tier") == WATCH) & (pl.col("n_hard") > 0))
    if moved.height == 0:
        return ""
    kept = tiered.filter(pl.col("tier") == RECTIFY).height
    return f"按整顿名额上限，{kept}个组织列入整顿；另有{moved.height}个有硬性原因的组织在截止线之外，列入关注。"


def tier_summary(tiered: pl.DataFrame, n_orgs: int) -> str:
    """The tiers in one Chinese sentence, the 整顿 share beside national practice's 5–10 %, and the cut
    line when a cap moved orgs to 关注."""
    n_rectify = int((tiered["tier"] == RECTIFY).sum()) if tiered.height else 0
    share = n_rectify / n_orgs if n_orgs else 0.0
    text = (
        f"其中{RECTIFY} {n_rectify} 个（占全部 {n_orgs} 个组织的 {share:.1%}，全国通行做法是把 5%–10% 的党组织"
        f"列为软弱涣散、限期整顿），{WATCH} {tiered.height - n_rectify} 个。"
    )
    return text + (cut_line(tiered) if tiered.height else "")


def turnaround_summary(table: pl.DataFrame | None) -> str:
    """上年整顿的 n 个组织：转化 a 个，好转 b 个，未转化 c 个 — or why it is not known."""
    if table is None:
        return f"数据中没有上一年度的考核结果，无法判断上年{RECTIFY}组织的转化情况。"
    if table.height == 0:
        return f"上一年度没有列入{RECTIFY}的组织。"
    counts = dict(table.group_by("turnaround").len().iter_rows())
    return f"上年{RECTIFY}的 {table.height} 个组织：" + "，".join(
        f"{w} {counts.get(w, 0)} 个" for w in TURNAROUND_ZH.values()
    ) + "。"


# ============================================================================================
# Turnaround (后进转化)
# ============================================================================================
def turnaround(weak: pl.DataFrame, last_weak: pl.DataFrame) -> pl.DataFrame:
    """Every org that was 整顿 last year, and what became of it this year.

    Returns
    -------
    pl.DataFrame
        ``org_id, name, last_reasons, tier, turnaround, still_holding`` — ``tier`` this year's (empty when
        no longer on the list), ``turnaround`` 转化 (on neither list), 好转 (now 关注) or 未转化 (still 整顿),
        ``still_holding`` this year's reasons of the kinds that put it on last year's list, "；"-joined.
        Ordered 未转化, 好转, 转化, then org_id.
    """
    last = last_weak.filter(pl.col("tier") == RECTIFY).select(
        "org_id", "name", pl.col("reasons").alias("last_reasons"), pl.col("reason_codes").alias("_last_codes")
    )
    now = weak.select("org_id", "tier", "reason_codes", "reason_list")
    order = {NOT_TURNED: 0, IMPROVED: 1, TURNED: 2}
    joined = last.join(now, on="org_id", how="left")
    still = (
        pl.struct("reason_codes", "reason_list", "_last_codes")
        .map_elements(_still_holding, return_dtype=pl.String)
    )
    return (
        joined.with_columns(
            pl.when(pl.col("tier").is_null())
            .then(pl.lit(TURNED))
            .when(pl.col("tier") == WATCH)
            .then(pl.lit(IMPROVED))
            .otherwise(pl.lit(NOT_TURNED))
            .alias("turnaround"),
            pl.when(pl.col("tier").is_null()).then(pl.lit("")).otherwise(still).alias("still_holding"),
            pl.col("tier").fill_null(""),
        )
        .sort(pl.col("turnaround").replace_strict(order, return_dtype=pl.Int64), "org_id")
        .select("org_id", "name", "last_reasons", "tier", "turnaround", "still_holding")
    )


def _still_holding(row: dict) -> str:
    """This year's reasons whose kind was among last year's (a row of the struct in :func:`turnaround`)."""
    codes, texts, last = row["reason_codes"] or [], row["reason_list"] or [], set(row["_last_codes"] or [])
    return _SEP.join(t for c, t in zip(codes, texts, strict=True) if c in last)


def with_turnaround(weak: pl.DataFrame, last_weak: pl.DataFrame | None) -> pl.DataFrame:
    """``weak`` with ``last_tier``, ``turnaround`` and ``still_holding`` (null without last year's list).

    Only orgs on this year's list have a row here; 转化 orgs are in :func:`turnaround`'s table."""
    if last_weak is None:
        return weak.with_columns(
            pl.lit(None, pl.String).alias("last_tier"),
            pl.lit(None, pl.String).alias("turnaround"),
            pl.lit(None, pl.String).alias("still_holding"),
        )
    table = turnaround(weak, last_weak).select("org_id", "turnaround", "still_holding")
    last_tier = last_weak.select("org_id", pl.col("tier").alias("last_tier"))
    return weak.join(last_tier, on="org_id", how="left").join(table, on="org_id", how="left")
