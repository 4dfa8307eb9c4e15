"""The registry at the link stage: exact duplicates, conflicting codes, unknown parents and cycles
refused; stripped leading zeros given back; orgs derived from hierarchy columns merged against it.
"""

from __future__ import annotations

import polars as pl

from analysis.ingest.result import CONFLICT_SCHEMA
from analysis.ingest.validate import with_reason_text
from analysis.store import REJECTS_SCHEMA
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, PROVENANCE, TABLES


def _canonical(name: str) -> list[str]:
    return list(TABLES[name].names)


def _fk_reject(df: pl.DataFrame, name: str, mask: pl.Expr, column: str, code: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``df`` into (rows kept, reject rows) by ``mask`` = refuse."""
    bad = df.filter(mask)
    if bad.height == 0:
        return df, pl.DataFrame(schema=REJECTS_SCHEMA)
    record = pl.struct([pl.col(c).cast(pl.String) for c in _canonical(name)]).struct.json_encode()
    rej = bad.select(
        pl.lit(name).alias("table"),
        pl.col(PROV_FILE),
        pl.col(PROV_SHEET),
        pl.col(PROV_ROW),
        pl.lit(column).alias("column"),
        pl.col(column).cast(pl.String).alias("value"),
        pl.lit(code).alias("reason_code"),
        record.alias("record"),
    )
    rej = with_reason_text(rej, TABLES[name]).select(list(REJECTS_SCHEMA))
    return df.filter(~mask), rej


def _split_duplicates(df: pl.DataFrame, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first copy of each exact duplicate in (file, sheet, row) order."""
    df = df.sort(list(PROVENANCE))
    first = pl.struct(_canonical(name)).is_first_distinct()
    return df.filter(first), df.filter(~first)


def _normalise_codes(df: pl.DataFrame, column: str, registry: pl.Series) -> pl.DataFrame:
    """Give back leading zeros that Excel or a platform stripped: 123 -> 000123 when that is the
    one registry code it can mean."""
    reg = pl.DataFrame({"code": registry.unique()}).with_columns(pl.col("code").str.strip_chars_start("0").alias("key"))
    unique_keys = reg.group_by("key").agg(pl.col("code").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    known = pl.col(column).is_in(registry.implode())
    mapped = pl.col(column).str.strip_chars_start("0").replace_strict(
        unique_keys["key"], unique_keys["code"], default=None
    )
    return df.with_columns(pl.when(known | pl.col(column).is_null()).then(pl.col(column)).otherwise(pl.coalesce(mapped, pl.col(column))).alias(column))


def _check_registry(orgs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(kept, duplicates, rejects) of the registry: exact duplicates, conflicting codes, unknown parents
    and cycles."""
    kept, dups = _split_duplicates(orgs, "orgs")
    rejects = []
    repeated = pl.col("org_id").is_first_distinct().not_()
    kept, r = _fk_reject(kept, "orgs", repeated, "org_id", "conflicting_org")
    rejects.append(r)
    kept = _normalise_codes(kept, "parent_id", kept["org_id"])
    while True:  # removing an org can orphan its children: repeat until stable
        unknown = pl.col("parent_id").is_not_null() & ~pl.col("parent_id").is_in(kept["org_id"].implode())
        kept, r = _fk_reject(kept, "orgs", unknown, "parent_id", "unknown_parent")
        if r.height == 0:
            break
        rejects.append(r)
    in_cycle = _unreached(kept)
    if in_cycle.len():
        kept, r = _fk_reject(kept, "orgs", pl.col("org_id").is_in(in_cycle.implode()), "parent_id", "parent_cycle")
        rejects.append(r)
    return kept, dups, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECTS_SCHEMA)


def _unreached(orgs: pl.DataFrame) -> pl.Series:
    """The codes no top-level org reaches going down the tree: the orgs of a parent cycle and those
    under one (every parent is known by now).  Level by level, a join per level of the tree, rather
    than a walk up from each of 200,000 orgs in Python."""
    rest = orgs.select("org_id", "parent_id").filter(pl.col("parent_id").is_not_null())
    frontier = orgs.filter(pl.col("parent_id").is_null())["org_id"]
    while frontier.len() and rest.height:
        below = pl.col("parent_id").is_in(frontier.implode())
        frontier = rest.filter(below)["org_id"]
        rest = rest.filter(~below)
    return rest["org_id"]


def _registry_codes(orgs: pl.DataFrame | None, derived: pl.DataFrame) -> pl.Series:
    """Every org code of the registry: the kept registry rows and the orgs derived from hierarchy columns."""
    codes = ([orgs["org_id"]] if orgs is not None else []) + [derived["org_id"]]
    return pl.concat(codes).unique(maintain_order=True)


def _merge_derived(derived: pl.DataFrame, registry: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Derived registry rows, one per code (first in provenance order), and the conflicts found.

    A conflict is the same code with a different name or type — between two derived rows, or between a
    derived row and the registry.  It is reported, never silently resolved: the registry's values (or
    the first derived row's) stand, and every conflicting row is listed with its source."""
    derived = derived.sort(list(PROVENANCE))
    first = derived.unique(subset=["org_id"], keep="first", maintain_order=True)
    reference = first
    if registry is not None and registry.height:
        reference = pl.concat([registry.select(first.columns), first.filter(~pl.col("org_id").is_in(registry["org_id"].implode()))])
    ref = reference.select("org_id", pl.col("name").alias("_ref_name"), pl.col("org_type").alias("_ref_type"))
    joined = derived.join(ref, on="org_id", how="left")
    conflicts = []
    for fld, refcol in (("name", "_ref_name"), ("org_type", "_ref_type")):
        bad = joined.filter(pl.col(fld).is_not_null() & pl.col(refcol).is_not_null() & (pl.col(fld) != pl.col(refcol)))
        conflicts.append(
            bad.select(
                "org_id",
                pl.lit(fld).alias("field"),
                pl.col(refcol).alias("registry_value"),
                pl.col(fld).alias("derived_value"),
                *PROVENANCE,
            )
        )
    kept = first
    if registry is not None and registry.height:
        kept = first.filter(~pl.col("org_id").is_in(registry["org_id"].implode()))
    return kept, pl.concat(conflicts).select(list(CONFLICT_SCHEMA)).cast(CONFLICT_SCHEMA)
