"""The peers of ``assess``: DuckDB and pandas computing six count rules of the changzhou-2009 ruleset on
the same store's Parquet parts, each checked against assess's ``rules`` frame, value for value.

The six (:data:`PEER_RULES`) are the plain counts of activity rows in the assessment year: 委员会议 (≥ 5,
covering ≥ 5 two-month periods, every meeting recorded; 1 point off per unrecorded one), 党组专题研究党建
(≥ 2 covering both halves, top-level orgs only), 三会一课 (党员大会 + 党小组会 + 党课 ≥ 12, branches only),
民主生活会 (≥ 1, every one recorded), 信息报送 (12 / 6 / 3 by org type) and 听取工青妇汇报 (≥ 2, top-level
orgs only).  Each peer reads the definitions — kinds, thresholds, period length, the record requirement,
who the rule applies to, points and rubric — from the ruleset through :func:`peer_rules` (the loader), so
the peers cannot drift from the TOML; everything else, from reading the Parquet parts to the earned
points, is the peer's own engine: one SQL statement for DuckDB, ``read_parquet`` + ``groupby`` for pandas.

Per registry org and rule a peer gives :data:`COLUMNS` — status (``pass`` / ``fail`` /
``not_applicable``), measured and required value, earned points and the rows counted — and
:func:`check` asserts that frame equals assess's for the same rules exactly (``check_exact``).

    python bench/peers.py STORE [--year 2024]      # run both peers once, check them, print their seconds

``bench/run.py`` times them in fresh processes beside assess (its ``duckdb`` and ``pandas`` stages).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

#: the six rules the peers compute: every one a count of activity rows of some kinds in the year
PEER_RULES = (
    "org.committee_meetings",
    "org.leadership_review",
    "edu.three_meetings_one_lesson",
    "edu.democratic_life_meeting",
    "duty.info_submissions",
    "mass.reports_heard",
)
#: what a peer gives per (org, rule), as in ``Assessment.rules``
COLUMNS = ("org_id", "rule_id", "status", "measured_value", "required_value", "earned", "evidence_rows")
ORG_TYPES = ("committee", "general_branch", "branch")


@dataclass(frozen=True)
class CountRule:
    """One count rule as the ruleset defines it: rows of ``kinds`` in the year, ≥ ``count[org type]``,
    and for a periodic rule (``period_months``) ≥ ``periods[org type]`` periods holding one."""

    rule_id: str
    kinds: tuple[str, ...]
    applies_to: tuple[str, ...]
    top_level_only: bool
    count: dict[str, float]
    periods: dict[str, float] | None  # None: a count in the year, no periods
    period_months: int | None
    require_recorded: bool
    method: str  # "ratio" or "binary"
    points: float
    per_unrecorded: float  # points off per unrecorded row (the rubric's deduct.unrecorded)


def peer_rules(ruleset: str = "changzhou-2009", rule_ids: tuple[str, ...] = PEER_RULES) -> list[CountRule]:
    """The definitions of ``rule_ids`` read from the ruleset; refuses a rule that is not a plain count
    (another measure, a parameter the peers do not implement, another rubric method or deduction)."""
    from analysis.rules import load_ruleset, lookup
    from analysis.rules.measures import count_in_year, periodic_count

    rules = {r.rule_id: r for r in load_ruleset(ruleset).items}
    out = []
    for rid in rule_ids:
        r, spec = rules[rid], lookup(rid)
        periodic = spec.fn is periodic_count
        if not (periodic or spec.fn is count_in_year):
            raise ValueError(f"{rid}: not a count rule")
        if r.params.get("only_where") or r.params.get("absent_is_no_data") or r.method not in ("ratio", "binary"):
            raise ValueError(f"{rid}: a parameter or rubric method the peers do not implement")
        if set(r.rubric.deduct) - {"unrecorded"}:
            raise ValueError(f"{rid}: a deduction the peers do not implement")
        out.append(
            CountRule(
                rule_id=rid,
                kinds=tuple(r.params["kinds"]),
                applies_to=tuple(r.applies_to),
                top_level_only=r.top_level_only,
                count=r.threshold_map("count"),
                periods=r.threshold_map("periods") if periodic else None,
                period_months=int(r.params["period_months"]) if periodic else None,
                require_recorded=bool(r.params.get("require_recorded", False)),
                method=r.method,
                points=float(r.points),
                per_unrecorded=float(r.rubric.deduct.get("unrecorded", 0.0)),
            )
        )
    return out


def parts(store: Path, table: str) -> list[str]:
    """The Parquet part files of a store table (the layout ``analysis.store`` writes)."""
    from analysis.store import table_parts

    store = Path(store)
    if (store / "orgs_derived.parquet").is_file():
        raise ValueError("the peers read the registry parts only; this store also derives orgs from exports")
    found = table_parts(store, table)
    if not found:
        raise ValueError(f"no {table} table in {store}")
    return [str(p) for p in found]


# ---------------------------------------------------------------------------------------------
# DuckDB: one statement — one scan of the activities, one aggregate per org with a FILTER per rule
# ---------------------------------------------------------------------------------------------
def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _sql_by_type(mapping: dict[str, float]) -> str:
    whens = " ".join(f"WHEN '{t}' THEN {float(v)!r}" for t, v in mapping.items())
    return f"(CASE org_type {whens} ELSE NULL END)::DOUBLE"


def _sql_rule(i: int, r: CountRule) -> str:
    """The per-org result of rule ``r`` from the registry joined with its counts ``n_i``, ``p_i``, ``u_i``."""
    applicable = f"org_type IN ({_sql_list(r.applies_to)})" + (" AND is_top" if r.top_level_only else "")
    c, n, u = _sql_by_type(r.count), f"n_{i}", f"u_{i}"
    ok = f"{n} >= {c}"
    share = f"(CASE WHEN {c} > 0 THEN {n} / {c} ELSE 1.0 END)"
    if r.periods is not None:
        p = _sql_by_type(r.periods)
        ok += f" AND p_{i} >= {p}"
        share = f"least({share}, (CASE WHEN {p} > 0 THEN p_{i} / {p} ELSE 1.0 END))"
    if r.require_recorded:
        ok += f" AND {u} = 0"
    status = f"CASE WHEN NOT ({applicable}) THEN 'not_applicable' WHEN {ok} THEN 'pass' ELSE 'fail' END"
    pts = float(r.points)
    if r.method == "binary":
        base = f"(CASE WHEN status = 'pass' THEN {pts!r} ELSE 0.0 END)"
    else:
        base = f"{pts!r} * greatest(least(coalesce(share, 0.0), 1.0), 0.0)"
    if r.per_unrecorded:
        base = f"({base} - {r.per_unrecorded!r} * {u})"
    earned = f"greatest(least({base}, {pts!r}), 0.0)"
    return f"""
    SELECT org_id, '{r.rule_id}' AS rule_id, status,
           CASE WHEN status <> 'not_applicable' THEN {n}::DOUBLE END AS measured_value,
           CASE WHEN status <> 'not_applicable' THEN required END AS required_value,
           CASE WHEN status = 'not_applicable' THEN 0.0 ELSE round(round({earned}, 9), 2) END AS earned,
           CASE WHEN status = 'not_applicable' THEN 0 ELSE {n} END::BIGINT AS evidence_rows
    FROM (SELECT *, {status} AS status, {share} AS share, {c} AS required FROM base)"""


def duckdb_sql(store: Path, year: int, rules: list[CountRule]) -> str:
    """The one statement of the DuckDB peer."""
    aggs = []
    for i, r in enumerate(rules):
        of = f"kind IN ({_sql_list(r.kinds)})"
        aggs.append(f"count(*) FILTER (WHERE {of}) AS n_{i}")
        aggs.append(f"count(*) FILTER (WHERE {of} AND NOT coalesce(recorded, false)) AS u_{i}")
        if r.period_months:
            aggs.append(f"count(DISTINCT (month(date) - 1) // {r.period_months}) FILTER (WHERE {of}) AS p_{i}")
    names = [a.rsplit(" AS ", 1)[1] for a in aggs]
    kinds = sorted({k for r in rules for k in r.kinds})
    return f"""
    WITH reg AS (
        SELECT org_id, org_type, coalesce(trim(parent_id), '') = '' AS is_top
        FROM read_parquet([{_sql_list(parts(store, "orgs"))}])
    ), agg AS (
        SELECT org_id, {", ".join(aggs)}
        FROM read_parquet([{_sql_list(parts(store, "activities"))}])
        WHERE date BETWEEN DATE '{date(year, 1, 1)}' AND DATE '{date(year, 12, 31)}'
          AND kind IN ({_sql_list(kinds)})
        GROUP BY org_id
    ), base AS (
        SELECT reg.org_id, org_type, is_top, {", ".join(f"coalesce({c}, 0) AS {c}" for c in names)}
        FROM reg LEFT JOIN agg USING (org_id)
    )
    {" UNION ALL ".join(_sql_rule(i, r) for i, r in enumerate(rules))}"""


def run_duckdb(store: Path, year: int, rules: list[CountRule]) -> pl.DataFrame:
    import duckdb

    with duckdb.connect() as con:
        return con.sql(duckdb_sql(store, year, rules)).pl()


# ---------------------------------------------------------------------------------------------
# pandas: read the columns, filter the year, one groupby per rule, align on the registry
# ---------------------------------------------------------------------------------------------
def _read_pandas(files: list[str], columns: list[str]):
    import pandas as pd

    frames = [pd.read_parquet(f, columns=columns, to_pandas_kwargs={"date_as_object": False}) for f in files]
    return pd.concat(frames, ignore_index=True)


def _pandas_rule(reg, act, r: CountRule):
    """One rule's per-org frame from the registry ``reg`` (indexed by org_id) and the year's rows ``act``."""
    import numpy as np
    import pandas as pd

    rows = act[act["kind"].isin(r.kinds)]
    by_org = rows.groupby("org_id")
    n = by_org.size().reindex(reg.index, fill_value=0)
    unrec = (~rows["recorded"].fillna(False).astype(bool)).groupby(rows["org_id"]).sum()
    unrec = unrec.reindex(reg.index, fill_value=0)
    applicable = reg["org_type"].isin(r.applies_to) & (reg["is_top"] if r.top_level_only else True)
    c = reg["org_type"].map(r.count).astype(float)
    ok = n >= c
    share = pd.Series(np.where(c > 0, n / c, 1.0), index=reg.index)
    if r.periods is not None:
        period = (rows["date"].dt.month - 1) // r.period_months
        p = period.groupby(rows["org_id"]).nunique().reindex(reg.index, fill_value=0)
        need = reg["org_type"].map(r.periods).astype(float)
        ok &= p >= need
        share = np.minimum(share, pd.Series(np.where(need > 0, p / need, 1.0), index=reg.index))
    if r.require_recorded:
        ok &= unrec == 0
    status = pd.Series(np.where(~applicable, "not_applicable", np.where(ok, "pass", "fail")), index=reg.index)
    if r.method == "binary":
        base = pd.Series(np.where(status == "pass", r.points, 0.0), index=reg.index)
    else:
        base = r.points * share.fillna(0.0).clip(0.0, 1.0)
    base = (base - r.per_unrecorded * unrec).clip(0.0, r.points)
    earned = _round_half_away(_round_half_away(base, 9), 2)
    return pd.DataFrame(
        {
            "org_id": reg.index,
            "rule_id": r.rule_id,
            "status": status.to_numpy(),
            "measured_value": n.astype(float).where(applicable).to_numpy(),
            "required_value": c.where(applicable).to_numpy(),
            "earned": earned.where(applicable, 0.0).to_numpy(),
            "evidence_rows": n.where(applicable, 0).astype("int64").to_numpy(),
        }
    )


def _round_half_away(x, decimals: int):
    """Round half away from zero (四舍五入), as the rubric does: numpy's own rounding is half to even."""
    import numpy as np

    scale = 10.0**decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


def run_pandas(store: Path, year: int, rules: list[CountRule]) -> pl.DataFrame:
    import pandas as pd

    reg = _read_pandas(parts(store, "orgs"), ["org_id", "org_type", "parent_id"]).set_index("org_id")
    reg["is_top"] = reg["parent_id"].fillna("").str.strip() == ""
    act = _read_pandas(parts(store, "activities"), ["org_id", "kind", "date", "recorded"])
    kinds = sorted({k for r in rules for k in r.kinds})
    in_year = act["date"].between(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31))
    act = act[in_year & act["kind"].isin(kinds)]
    out = pd.concat([_pandas_rule(reg, act, r) for r in rules], ignore_index=True)
    return pl.from_pandas(out)


ENGINES = {"duckdb": run_duckdb, "pandas": run_pandas}


# ---------------------------------------------------------------------------------------------
def timed(engine: str, store: Path, year: int) -> tuple[pl.DataFrame, float]:
    """Run one peer: its per-org frame and its seconds (reading the rule definitions excluded)."""
    rules = peer_rules()
    t0 = time.perf_counter()
    frame = ENGINES[engine](Path(store), year, rules)
    return frame, time.perf_counter() - t0


def expected(rules: pl.DataFrame) -> pl.DataFrame:
    """Assess's results for the peers' rules, in the peers' columns and order."""
    return tidy(rules.filter(pl.col("rule_id").is_in(PEER_RULES)))


def tidy(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("org_id").cast(pl.String),
        pl.col("rule_id").cast(pl.String),
        pl.col("status").cast(pl.String),
        pl.col("measured_value").cast(pl.Float64),
        pl.col("required_value").cast(pl.Float64),
        pl.col("earned").cast(pl.Float64),
        pl.col("evidence_rows").cast(pl.Int64),
    ).sort("org_id", "rule_id")


def check(frame: pl.DataFrame, rules: pl.DataFrame) -> None:
    """Assert a peer's frame equals assess's ``rules`` frame for the peers' rules, exactly.

    Raises
    ------
    AssertionError
        With the number of (org, rule) rows that differ and the first of them, side by side.
    """
    from polars.testing import assert_frame_equal

    mine, theirs = tidy(frame), expected(rules)
    if mine.height == theirs.height and mine.select("org_id", "rule_id").equals(theirs.select("org_id", "rule_id")):
        diff = mine.with_row_index("_i").join(
            theirs.with_row_index("_i"), on=["_i", "org_id", "rule_id"], suffix="_assess"
        )
        cols = COLUMNS[2:]
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_assess")) for c in cols)
        bad = diff.filter(differs)
        if bad.height:
            raise AssertionError(f"{bad.height} (org, rule) results differ from assess's, e.g.\n{bad.head(5)}")
    assert_frame_equal(mine, theirs, check_exact=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--engine", choices=sorted(ENGINES), action="append")
    args = ap.parse_args()
    from analysis.assess import assess
    from analysis.store import Store

    t0 = time.perf_counter()
    rules = assess(Store.open(args.store), year=args.year).rules
    print(f"assess {time.perf_counter() - t0:.2f} s")
    for engine in args.engine or sorted(ENGINES):
        frame, seconds = timed(engine, args.store, args.year)
        check(frame, rules)
        print(f"{engine} {seconds:.2f} s, {frame.height:,} (org, rule) results equal to assess's")


if __name__ == "__main__":
    sys.exit(main())
