"""Excellent party-affairs workers (优秀党务工作者): who may be recommended, the ranked list with its
quota and ties, and the Monte Carlo robustness carried over from the org ranking.  RULES.md,
"Excellent party-affairs workers"; the table 党务工作者 (``party_workers``) of DATA.md.

"向上级党委推荐表彰的党组织和党务干部将在合格党组织中择优产生" (seed 四(4)): a worker is judged by the org they
serve first, then by their own study days and months in the role.  This stage reads an
:class:`Assessment` (``scores``, ``rules``, ``year``, ``as_of``, ``ruleset``) and the store's
``party_workers``, ``study`` and ``orgs`` tables; it never recomputes a rule.
:func:`select_workers` is the one entry point (CLI, notebooks, tests); :func:`secretary_checks` lists
the orgs whose registry ``secretary`` the workers table contradicts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from analysis.decisions.advanced import (
    DEFAULT_SELECTION,
    LABEL_DROPPED,
    LABEL_MARGINAL,
    LABEL_STABLE,
    _parse_quota,
    _quota_size,
    selection_settings,
)
from analysis.decisions.robustness import _worker_robustness
from analysis.decisions.settings import AssessmentLike, _ruleset_section, _settings
from analysis.rules.common import num
from analysis.store import Store
from analysis.vocab import (
    ORG_TYPE_ZH,
    PROV_FILE,
    PROV_ROW,
    PROV_SHEET,
    SECRETARY_ROLE,
    WORKER_REASON_SHORT_ZH,
    WORKER_REASON_ZH,
    WORKER_ROLE_ZH,
    WORKER_TIE_ZH,
    WORKER_WARNING_ZH,
)

# --------------------------------------------------------------------------------------------
# Defaults ([default] in RULES.md unless marked [seed]); a ruleset's [workers] table overrides.
# --------------------------------------------------------------------------------------------
#: keys and values as in the ruleset's [workers] table (changzhou-2009.toml)
DEFAULT_WORKERS: dict[str, Any] = {
    "quota": 0.10,  # 10% of the eligible workers ...
    "quota_kind": "share",
    "quota_scope": "overall",  # ... over all of them
    "exclude_weak": True,  # workers of an org on the weak list are not eligible
    "min_months": 12,  # in the role for at least 12 months at the as-of date
    "study_rule": "edu.member_study_days",  # whose `days` threshold the worker meets personally
}
#: [seed 二(1)] 每年不少于12天 — used when the ruleset has no study rule
DEFAULT_STUDY_DAYS = 12.0
#: Monte Carlo defaults when neither the call nor the ruleset's [selection] says (as select_advanced)
_MC_DEFAULTS = {"draws": 1000, "seed": 0, "noise": 0.2}
_SEP = "；"
_ROLE_ORDER = {r: i for i, r in enumerate(WORKER_ROLE_ZH)}
_REASON_ORDER = {r: i for i, r in enumerate(WORKER_REASON_ZH)}
_TYPE_ORDER = {t: i for i, t in enumerate(ORG_TYPE_ZH)}

#: the columns of :func:`select_workers`, in order
WORKER_COLUMNS = (
    "member_id",
    "name",
    "org_id",
    "role",
    "eligible",
    "reasons",
    "rank",
    "selected",
    "org_name",
    "org_type",
    "org_score",
    "study_days",
    "months_in_role",
    "p_selected",
    "rank_p05",
    "rank_p95",
    "label",
    "tie",
    "note",
    "warning",
    "since",
    "mode",
    "quota_group",
    "places",
    "org_advanced",
    "reason_codes",
    "source",
)


# ============================================================================================
# Settings
# ============================================================================================
def worker_settings(assessment: object) -> dict[str, Any]:
    """:func:`select_workers` keyword arguments from the ruleset's ``[workers]`` table.

    ``quota = 0.10`` with ``quota_kind = "share"`` becomes ``"10%"``, a count stays a count,
    ``quota_scope = "overall"`` becomes ``quota_by = "all"``.  Keys the table lacks are left out.
    """
    table = _ruleset_section(assessment, "workers")
    out: dict[str, Any] = {}
    if table.get("quota") is not None:
        if table.get("quota_kind", "share") == "share":
            out["quota"] = f"{float(table['quota']) * 100:g}%"
        else:
            out["quota"] = int(table["quota"])
    if table.get("quota_scope") is not None:
        out["quota_by"] = {"overall": "all"}.get(table["quota_scope"], table["quota_scope"])
    for key in ("min_months", "exclude_weak", "study_rule"):
        if table.get(key) is not None:
            out[key] = table[key]
    return out


def _mc_settings(assessment: object, given: dict[str, Any]) -> dict[str, Any]:
    """draws, seed, noise: the call's, else the ruleset's [selection] (the draws of the advanced list)."""
    from_ruleset = {k: v for k, v in selection_settings(assessment).items() if k in _MC_DEFAULTS}
    out = {**_MC_DEFAULTS, **from_ruleset, **{k: v for k, v in given.items() if v is not None}}
    if not 0 <= out["noise"] < 1:
        raise ValueError(f"权重扰动幅度 noise 应在 0 到 1 之间（如 0.2 表示 ±20%），收到：{out['noise']!r}")
    if out["draws"] < 0:
        raise ValueError(f"模拟次数 draws 不能为负数，收到：{out['draws']!r}")
    return out


def _required_days(assessment: object, study_rule: str) -> dict[str, float]:
    """The study rule's ``days`` threshold per org type; :data:`DEFAULT_STUDY_DAYS` where it has none."""
    ruleset = getattr(assessment, "ruleset", None)
    rules = getattr(ruleset, "rules", None)
    rule = rules.get(study_rule) if isinstance(rules, dict) else None
    found = rule.threshold_map("days") if rule is not None else {}
    return {t: float(found.get(t, DEFAULT_STUDY_DAYS)) for t in ORG_TYPE_ZH}


# ============================================================================================
# The list
# ============================================================================================
def select_workers(
    assessment: AssessmentLike,
    store: Store,
    weak: pl.DataFrame | None = None,
    advanced: pl.DataFrame | None = None,
    quota: int | str | None = None,
    quota_by: str | None = None,
    min_months: int | None = None,
    draws: int | None = None,
    seed: int | None = None,
    noise: float | None = None,
) -> pl.DataFrame:
    """Judge every row of the workers table, rank the eligible workers, apply the quota, and test how
    robust the list is.

    Parameters
    ----------
    assessment
        An Assessment (``docs/CONTRACTS.md``): ``.scores``, ``.rules``, ``.year``, ``.as_of`` and the
        ruleset's ``[workers]``, ``[selection]`` tables and study rule are read.
    store
        The store the assessment was made from: ``party_workers``, ``study`` and ``orgs`` are read.
    weak
        Output of :func:`weak_orgs` (any frame with ``org_id``): their workers are not eligible while
        the ruleset's ``exclude_weak`` is true [default].
    advanced
        Output of :func:`select_advanced`: adds ``org_advanced`` (the org is on the advanced list).
    quota, quota_by, min_months
        Places — a count (``3``) or a share of the eligible workers (``"10%"``, rounded half up, at
        least 1 when anyone is eligible) — overall (``"all"``) or per org type (``"org_type"``), and
        the months in the role required; ``None`` reads the ruleset's ``[workers]`` table.
    draws, seed, noise
        Monte Carlo, as for the advanced list; ``None`` reads the ruleset's ``[selection]`` table, so
        the draws perturb the rubric exactly as the advanced list's did.  ``draws=0`` skips it.

    Returns
    -------
    pl.DataFrame
        One row per row of the workers table, in :data:`WORKER_COLUMNS`: the eligible first, by quota
        group and rank, then the others by org and member.  ``reasons`` lists every failed condition in
        Chinese (joined by ；); ``rank``/``selected``/``p_selected`` are set for the eligible only.
        ``p_selected`` is the share of draws in which the worker is within the cut when the orgs are
        re-scored under perturbed item points and the workers re-ranked (org score, then the worker's
        own keys); ``rank_p05``/``rank_p95`` the band of the worker's rank.  ``tie`` marks workers on
        the cut line whom only the member_id separated; ``note`` explains a tie on the cut line;
        ``warning`` carries the data warnings (empty 任职日期, no study rows, registry secretary).

    Raises
    ------
    ValueError
        A quota, quota_by, noise or draws a user could mistype, with the message in Chinese.
    """
    given = {"quota": quota, "quota_by": quota_by, "min_months": min_months}
    cfg = {**_defaults(), **worker_settings(assessment), **{k: v for k, v in given.items() if v is not None}}
    cfg["quota_by"] = {"overall": "all"}.get(cfg["quota_by"], cfg["quota_by"])
    if cfg["quota_by"] not in ("all", "org_type"):
        raise ValueError(f'quota_by 应为 "all"（总体）或 "org_type"（按组织类型），收到：{cfg["quota_by"]!r}')
    kind, value = _parse_quota(cfg["quota"])
    mc = _mc_settings(assessment, {"draws": draws, "seed": seed, "noise": noise})
    labels = _settings(assessment, "selection", DEFAULT_SELECTION, None)

    rows = _worker_rows(assessment, store, cfg)
    excluded = _weak_ids(weak) if cfg["exclude_weak"] else []
    rows = _counted_once(_judged(rows, excluded, int(cfg["min_months"])))
    ranked, places = _ranked(rows.filter(pl.col("eligible")), cfg["quota_by"], kind, value)
    robust = _worker_robustness(assessment.rules, ranked, places, **mc)
    return _finished(rows, ranked, robust, labels, advanced)


def _defaults() -> dict[str, Any]:
    """:data:`DEFAULT_WORKERS` in :func:`select_workers` argument form."""
    return {
        "quota": f"{DEFAULT_WORKERS['quota'] * 100:g}%",
        "quota_by": "all",
        **{k: DEFAULT_WORKERS[k] for k in ("min_months", "exclude_weak", "study_rule")},
    }


def _weak_ids(weak: pl.DataFrame | None) -> list[str]:
    return weak.get_column("org_id").cast(pl.String).to_list() if weak is not None and weak.height else []


def _months_between(since: pl.Expr, as_of: date) -> pl.Expr:
    """Whole months from ``since`` to ``as_of`` (2023-12-31 → 2024-12-31 is 12; → 2024-12-30 is 11)."""
    months = (pl.lit(as_of.year) - since.dt.year().cast(pl.Int64)) * 12 + (
        pl.lit(as_of.month) - since.dt.month().cast(pl.Int64)
    )
    return (months - (since.dt.day().cast(pl.Int64) > as_of.day).cast(pl.Int64)).clip(lower_bound=0)


def _study_days(store: Store, year: int) -> pl.LazyFrame:
    """``member_id, study_days``: each worker's study days in ``year``, over every org; 0 for a
    worker whose rows are all in other years.  Workers absent from the study table have no row; the
    study rows of members who are not workers are never grouped."""
    in_year = pl.col("date").is_between(date(year, 1, 1), date(year, 12, 31))
    return (
        store.table("study")
        .join(store.table("party_workers").select("member_id").unique(), on="member_id", how="semi")
        .group_by("member_id")
        .agg(study_days=pl.col("days").filter(in_year).sum().cast(pl.Float64))
    )


def _worker_rows(assessment: AssessmentLike, store: Store, cfg: dict[str, Any]) -> pl.DataFrame:
    """The workers table beside each row's org, study days, months in the role and data warnings."""
    as_of = getattr(assessment, "as_of", None) or date(assessment.year, 12, 31)
    orgs = assessment.scores.lazy().select(
        "org_id",
        pl.col("name").alias("org_name"),
        "org_type",
        pl.col("score").cast(pl.Float64).alias("org_score"),
        pl.col("n_failed").cast(pl.Int64).fill_null(0),
        pl.col("qualified").fill_null(False),
        pl.col("vetoed").fill_null(False),
        pl.lit(True).alias("_in_registry"),
    )
    required = _required_days(assessment, cfg["study_rule"])
    sheet = (
        pl.when(pl.col(PROV_SHEET).fill_null("") == "")
        .then(pl.lit(""))
        .otherwise(pl.format(" [{}]", pl.col(PROV_SHEET)))
    )
    since_empty = WORKER_WARNING_ZH["since_empty"].format(months=cfg["min_months"])
    workers = (
        store.table("party_workers")
        .join(orgs, on="org_id", how="left")
        .join(_study_days(store, assessment.year), on="member_id", how="left")
        .join(secretary_checks(store).lazy().select("org_id", "message"), on="org_id", how="left")
        .with_columns(
            months_in_role=_months_between(pl.col("since"), as_of),
            required_days=pl.col("org_type").replace_strict(required, default=DEFAULT_STUDY_DAYS),
            source=pl.format("{}{} 第{}行", pl.col(PROV_FILE), sheet, pl.col(PROV_ROW)),
            warning=pl.concat_str(
                pl.when(pl.col("since").is_null()).then(pl.lit(since_empty)),
                pl.when(pl.col("study_days").is_null()).then(pl.lit(WORKER_WARNING_ZH["not_in_study"])),
                pl.when(pl.col("role") == SECRETARY_ROLE).then(pl.col("message")),
                separator=_SEP,
                ignore_nulls=True,
            ),
        )
        .drop("message")
        .sort(PROV_FILE, PROV_SHEET, PROV_ROW)
        .collect()
    )
    return workers.with_columns(pl.col("_in_registry").fill_null(False))


def _judged(rows: pl.DataFrame, weak_ids: list[str], min_months: int) -> pl.DataFrame:
    """``eligible``, ``reasons`` (every failed condition of RULES.md, in Chinese) and ``reason_codes``
    (the same as keys of :data:`~analysis.vocab.WORKER_REASON_ZH`, for filtering and counting).

    A vetoed org is 不合格 and on the weak list by definition, so the veto alone is named; 不合格 is
    named when the org was not vetoed, the weak list when the org is qualified — the reason a reader
    acts on, not its consequences.  The worker's own conditions are always named.
    """
    r = WORKER_REASON_ZH
    in_registry, vetoed, qualified = pl.col("_in_registry"), pl.col("vetoed"), pl.col("qualified")
    tenure = pl.format(
        r["short_tenure"].format(months=min_months, since="{}"), pl.col("since").dt.strftime("%Y-%m-%d")
    )
    study = pl.format(
        r["short_study"].format(days="{}", required="{}"),
        num(pl.col("study_days")),
        num(pl.col("required_days")),
    )
    failed = {  # code -> (condition failed, reason text)
        "unknown_org": (~in_registry, pl.lit(r["unknown_org"])),
        "vetoed": (vetoed, pl.lit(r["vetoed"])),
        "unqualified": (in_registry & ~vetoed & ~qualified, pl.lit(r["unqualified"])),
        "weak": (qualified & ~vetoed & pl.col("org_id").is_in(weak_ids), pl.lit(r["weak"])),
        "short_tenure": (
            pl.col("months_in_role").is_not_null() & (pl.col("months_in_role") < min_months),
            tenure,
        ),
        # a worker absent from the study table is not checked [RULES.md: where the study table holds them]
        "short_study": (pl.col("study_days") < pl.col("required_days") - 1e-9, study),
    }

    def joined(parts: list[pl.Expr]) -> pl.Expr:
        return pl.concat_str(parts, separator=_SEP, ignore_nulls=True)

    return rows.with_columns(
        reasons=joined([pl.when(cond.fill_null(False)).then(text) for cond, text in failed.values()]),
        reason_codes=joined(
            [pl.when(cond.fill_null(False)).then(pl.lit(code)) for code, (cond, _) in failed.items()]
        ),
    ).with_columns(eligible=pl.col("reasons") == "")


def reason_counts(selection: pl.DataFrame) -> pl.DataFrame:
    """``reason, workers``: how many workers each kind of reason keeps off the list, most first (a
    worker with two reasons counts under both), in the short Chinese names of the vocabulary."""
    codes = (
        selection.filter(~pl.col("eligible"))
        .select(pl.col("reason_codes").str.split(_SEP))
        .explode("reason_codes")
    )
    return (
        codes.group_by("reason_codes")
        .len("workers")
        .with_columns(
            pl.col("reason_codes").replace_strict(_REASON_ORDER, default=len(_REASON_ORDER)).alias("_order"),
            pl.col("reason_codes")
            .replace_strict(WORKER_REASON_SHORT_ZH, default=pl.col("reason_codes"))
            .alias("reason"),
        )
        .sort([pl.col("workers"), "_order"], descending=[True, False])
        .select("reason", pl.col("workers").cast(pl.Int64))
    )


def _counted_once(rows: pl.DataFrame) -> pl.DataFrame:
    """A worker eligible in two orgs (or in two roles of one) is ranked once, under the better org —
    higher org score, fewer failed rules, then org code — and in the more senior role there; the other
    rows say where the worker is ranked and are no longer eligible."""
    role_order = pl.col("role").replace_strict(_ROLE_ORDER, default=len(_ROLE_ORDER), return_dtype=pl.Int64)
    best = (
        rows.filter(pl.col("eligible"))
        .with_row_index("_r")
        .sort(
            ["member_id", "org_score", "n_failed", "org_id", role_order, "months_in_role"],
            descending=[False, True, False, False, False, True],
            nulls_last=True,
        )
        .group_by("member_id", maintain_order=True)
        .agg(
            pl.col("_r").first(),
            pl.col("org_name").first().alias("_best_org"),
            pl.col("role").first().alias("_best_role"),
        )
    )
    if best.height == rows.filter(pl.col("eligible")).height:
        return rows
    template = WORKER_REASON_ZH["counted_once"].format(org="{}", role="{}")
    eligible = rows.filter(pl.col("eligible")).with_row_index("_r")
    marked = (
        eligible.join(best.select("member_id", "_best_org", "_best_role"), on="member_id", how="left")
        .with_columns(_keep=pl.col("_r").is_in(best.get_column("_r").implode()))
        .with_columns(
            reasons=pl.when(pl.col("_keep"))
            .then(pl.col("reasons"))
            .otherwise(
                pl.format(
                    template,
                    pl.col("_best_org"),
                    pl.col("_best_role").replace_strict(WORKER_ROLE_ZH, default=pl.col("_best_role")),
                )
            ),
            reason_codes=pl.when(pl.col("_keep"))
            .then(pl.col("reason_codes"))
            .otherwise(pl.lit("counted_once")),
            eligible=pl.col("_keep"),
        )
        .drop("_r", "_best_org", "_best_role", "_keep")
    )
    return pl.concat([marked, rows.filter(~pl.col("eligible"))], how="vertical")


def _ranked(
    eligible: pl.DataFrame, quota_by: str, kind: str, value: Any
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The eligible workers in published order — quota group, then rank — and each group's places.

    Rank: org score ↓, own study days ↓, months in the role ↓ (unknown last), member_id ↑ (RULES.md).
    ``_pos`` is the worker's place on the worker's own keys alone (study days, months, member_id): the
    tie-break a Monte Carlo draw applies among orgs of equal perturbed score.  ``_org`` numbers the
    orgs for the draws.
    """
    group = pl.lit("all") if quota_by == "all" else pl.col("org_type")
    group_order = pl.col("quota_group").replace_strict(
        _TYPE_ORDER, default=len(_TYPE_ORDER), return_dtype=pl.Int64
    )
    own = ["study_days", "months_in_role", "member_id"]
    frame = (
        eligible.with_columns(group.alias("quota_group"))
        .sort(own, descending=[True, True, False], nulls_last=True)
        .with_row_index("_pos")
        .sort([group_order, "org_score", *own], descending=[False, True, True, True, False], nulls_last=True)
    )
    sizes = frame.group_by("quota_group").agg(pl.len().alias("n"))
    places = {g: _quota_size(kind, value, int(n), int(n)) for g, n in sizes.iter_rows()}
    frame = frame.with_columns(
        pl.col("quota_group").replace_strict(places, default=0, return_dtype=pl.Int64).alias("places"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("quota_group").alias("rank"),
        pl.col("org_id").rank("dense").cast(pl.Int64).sub(1).alias("_org"),
    ).with_columns(selected=pl.col("rank") <= pl.col("places"))
    parts = [_cut_line(p) for p in frame.partition_by("quota_group", maintain_order=True)]
    if not parts:
        return frame.with_columns(tie=pl.lit(False), note=pl.lit("")), places
    return pl.concat(parts, how="vertical"), places


def _cut_line(ranked: pl.DataFrame) -> pl.DataFrame:
    """``tie`` and ``note`` for the workers sharing the last place's org score across the cut line.

    Equal org scores are decided by the worker's study days and then months in the role, and the note
    says so; when those are equal too only the member_id decides — ``tie`` is true and the note asks
    the committee.
    """
    n = ranked.height
    tie, note = [False] * n, [""] * n
    places = int(ranked.get_column("places")[0]) if n else 0
    if 0 < places < n:
        score = ranked.get_column("org_score").to_list()
        keys = ranked.select("org_score", "study_days", "months_in_role").rows()
        last, first_out = places - 1, places
        if score[last] is not None and score[last] == score[first_out]:
            full = keys[last] == keys[first_out]
            for i in range(n):
                if score[i] != score[last]:
                    continue
                side = WORKER_TIE_ZH["in" if i < places else "out"]
                if full and keys[i] == keys[last]:
                    tie[i] = True
                    note[i] = WORKER_TIE_ZH["full"].format(places=places, side=side)
                else:
                    note[i] = WORKER_TIE_ZH["broken"].format(
                        places=places, score=f"{score[i]:.1f}", side=side
                    )
    return ranked.with_columns(pl.Series("tie", tie, pl.Boolean), pl.Series("note", note, pl.String))


def _finished(
    rows: pl.DataFrame,
    ranked: pl.DataFrame,
    robust: pl.DataFrame,
    cfg: dict[str, Any],
    advanced: pl.DataFrame | None,
) -> pl.DataFrame:
    """Ranked and other rows in :data:`WORKER_COLUMNS`, with the robustness label of the ranked."""
    label = (
        pl.when(pl.col("p_selected").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("selected") & (pl.col("p_selected") >= cfg["stable"]))
        .then(pl.lit(LABEL_STABLE))
        .when(~pl.col("selected") & (pl.col("p_selected") <= cfg["dropped"]))
        .then(pl.lit(LABEL_DROPPED))
        .otherwise(pl.lit(LABEL_MARGINAL))
    )
    top = pl.concat([ranked, robust], how="horizontal").with_columns(label.alias("label"))
    others = (
        rows.filter(~pl.col("eligible"))
        .sort("org_id", "member_id", "role")
        .with_columns(selected=pl.lit(False), tie=pl.lit(False), note=pl.lit(""))
    )
    out = pl.concat([top, others], how="diagonal_relaxed")
    if advanced is not None and "selected" in advanced.columns:
        on_list = advanced.filter(pl.col("selected")).get_column("org_id").implode()
        out = out.with_columns(org_advanced=pl.col("org_id").is_in(on_list))
    else:
        out = out.with_columns(org_advanced=pl.lit(None, pl.Boolean))
    schema = {"rank": pl.Int64, "places": pl.Int64, "quota_group": pl.String, "label": pl.String}
    for name, dtype in schema.items():
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(name))
    for name in ("p_selected", "rank_p05", "rank_p95"):
        if name not in out.columns:
            out = out.with_columns(pl.lit(None, robust.schema[name]).alias(name))
    return out.select(WORKER_COLUMNS)


# ============================================================================================
# Registry secretary against the workers table
# ============================================================================================
def secretary_checks(store: Store) -> pl.DataFrame:
    """``org_id, org_name, registry_secretary, listed, message``: orgs with rows in the workers table
    whose registry ``secretary`` the table contradicts.

    The registry's secretary stays as it is (the org rules read it); this only says where the two
    disagree: the registry names somebody the table does not list as 书记 of that org (listed with
    another 书记, or with none), or the registry leaves it empty while the table lists one.  Names are
    compared after NFKC and with whitespace removed.  Orgs the workers table does not mention are not
    checked, nor is anything when no registry file carried the 书记 column.
    """
    schema = {
        "org_id": pl.String,
        "org_name": pl.String,
        "registry_secretary": pl.String,
        "listed": pl.String,
        "message": pl.String,
    }
    if not store.has("party_workers") or "secretary" not in store.columns_present("orgs"):
        return pl.DataFrame(schema=schema)

    def norm(e: pl.Expr) -> pl.Expr:
        return e.str.normalize("NFKC").str.replace_all(r"\s+", "")

    w = store.table("party_workers").select("org_id", "name", "role")
    listed = (
        w.filter(pl.col("role") == SECRETARY_ROLE)
        .group_by("org_id")
        .agg(pl.col("name").unique(maintain_order=True).alias("_names"))
    )
    reg = (
        pl.when(norm(pl.col("registry_secretary")) == "")
        .then(None)
        .otherwise(norm(pl.col("registry_secretary")))
    )
    names = pl.col("_names").list.join("、")
    t = WORKER_WARNING_ZH
    message = (
        pl.when(reg.is_null() & pl.col("_names").is_not_null())
        .then(pl.format(t["registry_vacant"].format(listed="{}"), names))
        .when(reg.is_not_null() & pl.col("_names").is_null())
        .then(pl.format(t["secretary_unlisted"].format(registry="{}"), pl.col("registry_secretary")))
        .when(reg.is_not_null() & ~pl.col("_names").list.eval(norm(pl.element())).list.contains(reg))
        .then(
            pl.format(
                t["secretary_differs"].format(registry="{}", listed="{}"), pl.col("registry_secretary"), names
            )
        )
    )
    orgs = store.table("orgs").select(
        "org_id", pl.col("name").alias("org_name"), pl.col("secretary").alias("registry_secretary")
    )
    return (
        w.select("org_id")
        .unique()
        .join(orgs, on="org_id", how="inner")
        .join(listed, on="org_id", how="left")
        .with_columns(listed=names, message=message)
        .filter(pl.col("message").is_not_null())
        .select(list(schema))
        .sort("org_id")
        .collect()
    )
