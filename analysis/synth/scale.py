"""Canonical Parquet at benchmark scale: :func:`generate_parquet` writes it vectorised and in chunks, so
that memory stays bounded at hundreds of thousands of organizations.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from analysis.synth.city import _GIVEN, _SURNAMES, SAMPLE_YEARS, TERM_YEARS
from analysis.synth.tables import _NO_ATTENDEES, _TOPICS, MANUAL_POINTS
from analysis.synth.writers import _canonical_schema, _prepare
from analysis.vocab import INCIDENT_KIND_ZH, ORG_TYPE_ZH, SECRETARY_MODES, TABLES

_SCALE_BLOCK = 40  # orgs per top-level committee
_SCALE_CHUNK = 5_000  # orgs per part file
_TYPES = ("committee", "general_branch", "branch")
_WHO = ("all", "branch", "nonbranch", "top", "committee")
#: activity slots of one org-year: (kind, first month 0-11, months it may slide over, who holds it, political)
_SCALE_SLOTS: tuple[tuple[str, int, int, str, bool], ...] = (
    *(("committee_meeting", m, 2, "all", False) for m in range(0, 12, 2)),
    *(("group_study", m, 1, "all", True) for m in range(12)),
    *(("group_study", m, 1, "all", False) for m in range(12)),
    *(("member_congress", m, 3, "branch", False) for m in range(0, 12, 3)),
    *(("group_meeting", m, 2, "branch", False) for m in range(0, 12, 2)),
    *(("party_lecture", m, 3, "all", False) for m in range(0, 12, 3)),
    *(("themed_party_day", m, 2, "branch", False) for m in range(0, 12, 2)),
    *(("info_submission", m, 1, "all", False) for m in range(1, 12, 2)),
    *(("info_submission", m, 1, "committee", False) for m in range(0, 12, 2)),
    ("democratic_life_meeting", 0, 2, "all", False),
    ("org_life_meeting", 0, 2, "branch", False),
    ("heart_talk", 2, 3, "all", False),
    ("heart_talk", 8, 3, "all", False),
    ("cadre_training", 3, 6, "nonbranch", False),
    ("leadership_review", 0, 6, "top", False),
    ("leadership_review", 6, 6, "top", False),
    ("mass_org_report", 3, 3, "top", False),
    ("mass_org_report", 9, 3, "top", False),
    ("annual_plan", 0, 3, "all", False),
    ("annual_summary", 11, 1, "all", False),
    ("dues_publication", 11, 1, "all", False),
    ("discipline_education", 4, 6, "all", False),
    ("integrity_pledge", 1, 3, "top", False),
    ("joint_building", 3, 6, "all", False),
    ("member_review", 11, 1, "branch", False),
)
_SLOT_KIND = pl.Series("kind", [s[0] for s in _SCALE_SLOTS], dtype=pl.String)
_SLOT_BASE = np.array([s[1] for s in _SCALE_SLOTS])
_SLOT_SPAN = np.array([s[2] for s in _SCALE_SLOTS])
_SLOT_WHO = np.array([_WHO.index(s[3]) for s in _SCALE_SLOTS])
_SLOT_POLITICAL = np.array([s[4] for s in _SCALE_SLOTS])
_SLOT_NO_ATTENDEES = np.array([s[0] in _NO_ATTENDEES for s in _SCALE_SLOTS])
_SLOT_PLEDGE = np.array([s[0] == "integrity_pledge" for s in _SCALE_SLOTS])
_SCALE_TOPICS = pl.Series("topic", sorted({t for ts in _TOPICS.values() for t in ts}), dtype=pl.String)


def _scale_years(years: list[int] | int) -> list[int]:
    if isinstance(years, int):
        if years < 1:
            raise ValueError("years must be at least 1")
        return list(range(SAMPLE_YEARS[-1] - years + 1, SAMPLE_YEARS[-1] + 1))
    if not years:
        raise ValueError("years must not be empty")
    return sorted(set(years))


def _epoch_days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


@dataclass(frozen=True)
class _ScaleOrgs:
    """Per-org arrays of the benchmark registry."""

    ids: pl.Series
    type_idx: np.ndarray  # index into _TYPES
    is_top: np.ndarray
    members: np.ndarray
    mid_cadres: np.ndarray

    def take(self, sl: slice) -> _ScaleOrgs:
        return _ScaleOrgs(
            self.ids[sl], self.type_idx[sl], self.is_top[sl], self.members[sl], self.mid_cadres[sl]
        )


def _masked(values: np.ndarray | pl.Series, keep: np.ndarray, dtype: pl.DataType) -> pl.Series:
    """``values`` where ``keep``, null elsewhere."""
    frame = pl.DataFrame({"v": values, "k": keep})
    return frame.select(pl.when(pl.col("k")).then(pl.col("v").cast(dtype))).to_series()


def _scale_registry(rng: np.random.Generator, n: int) -> tuple[_ScaleOrgs, pl.DataFrame]:
    """Blocks of 40 orgs: a top-level committee, three general branches under it, and branches held by the
    committee or one of its general branches."""
    idx = np.arange(n)
    block, pos = idx // _SCALE_BLOCK * _SCALE_BLOCK, idx % _SCALE_BLOCK
    type_idx = np.where(pos == 0, 0, np.where(pos <= 3, 1, 2))
    parent = np.where(pos == 0, -1, np.where(pos <= 3, block, block + pos % 4))
    is_top = pos == 0
    ids = pl.Series("org_id", (idx + 1).astype(str)).str.zfill(max(6, len(str(n))))
    members = rng.integers(5, 56, n)
    mid = rng.integers(4, 26, n)
    surnames, given = np.array(list(_SURNAMES)), np.array(list(_GIVEN))
    secretary = np.char.add(
        surnames[rng.integers(0, len(surnames), n)], given[rng.integers(0, len(given), n)]
    )
    mode = np.array(SECRETARY_MODES)[((type_idx == 0) & (rng.random(n) < 0.4)).astype(int)]
    frame = pl.DataFrame(
        {
            "org_id": ids,
            "name": ids + pl.Series(np.array([ORG_TYPE_ZH[t] for t in _TYPES])[type_idx]),
            "org_type": np.array(_TYPES)[type_idx],
            "parent_id": _masked(ids.gather(np.maximum(parent, 0)), parent >= 0, pl.String()),
            "unit": pl.Series((block // _SCALE_BLOCK + 1).astype(str)).str.zfill(5),
            "member_count": members,
            "secretary": _masked(secretary, rng.random(n) >= 0.02, pl.String()),
            "secretary_mode": mode,
            "mid_cadres": _masked(mid, is_top, pl.Int64()),
            "term_years": np.array([TERM_YEARS[t] for t in _TYPES])[type_idx],
            "budget_included": _masked(rng.random(n) < 0.95, is_top, pl.Boolean()),
            "has_party_groups": pl.Series([None] * n, dtype=pl.Boolean),  # optional columns: not exported
            "secretary_is_leader": pl.Series([None] * n, dtype=pl.Boolean),
        }
    )
    return _ScaleOrgs(ids, type_idx, is_top, members, np.where(is_top, mid, 0)), frame


def _month_starts(year: int) -> np.ndarray:
    """Epoch days of the first day of each month of ``year``, and of January ``year + 1``."""
    return np.array([_epoch_days(date(year + m // 12, m % 12 + 1, 1)) for m in range(13)])


def _scale_activities(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    """About 60 rows per org: the slots of :data:`_SCALE_SLOTS` the org holds, each kept with the org's
    diligence.  A slot's kind, month and political flag never repeat within an org, so rows are unique."""
    n = len(orgs.ids)
    holds = np.stack(
        [np.ones(n, bool), orgs.type_idx == 2, orgs.type_idx != 2, orgs.is_top, orgs.type_idx == 0], axis=1
    )
    diligence = rng.beta(9.0, 1.0, n)
    keep = holds[:, _SLOT_WHO] & (rng.random((n, len(_SCALE_SLOTS))) < diligence[:, None])
    org_i, slot_i = np.nonzero(keep)
    m = len(org_i)
    month = _SLOT_BASE[slot_i] + (rng.random(m) * _SLOT_SPAN[slot_i]).astype(int)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "date": _dates(_month_starts(year)[month] + rng.integers(0, 28, m)),
            "kind": _SLOT_KIND.gather(slot_i),
            "topic": _SCALE_TOPICS.gather(rng.integers(0, len(_SCALE_TOPICS), m)),
            "attendees": _masked(
                rng.binomial(orgs.members[org_i], 0.85), ~_SLOT_NO_ATTENDEES[slot_i], pl.Int64()
            ),
            "recorded": rng.random(m) < 0.97,
            "political_theory": _SLOT_POLITICAL[slot_i],
            "signed_count": _masked(orgs.mid_cadres[org_i], _SLOT_PLEDGE[slot_i], pl.Int64()),
        }
    )


def _scale_study(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    """18–30 sessions per member; session k of s falls on a day of the k-th of s whole-day slices of the
    year, so a member never has two sessions on one day."""
    members = orgs.members
    n_members = int(members.sum())
    member_org = np.repeat(np.arange(len(members)), members)
    member_no = np.arange(n_members) - np.repeat(np.cumsum(members) - members, members) + 1
    member_ids = orgs.ids.gather(member_org) + pl.Series(member_no.astype(str)).str.zfill(4)
    sessions = rng.integers(18, 31, n_members)
    row_member = np.repeat(np.arange(n_members), sessions)
    k = np.arange(len(row_member)) - np.repeat(np.cumsum(sessions) - sessions, sessions)
    n_days = 366 if calendar.isleap(year) else 365
    per_member = sessions[row_member]
    start = k * n_days // per_member
    offset = start + (rng.random(len(k)) * ((k + 1) * n_days // per_member - start)).astype(np.int64)
    days = np.array([0.5, 1.0, 1.5, 2.0, 3.0])[rng.choice(5, len(k), p=[0.2, 0.4, 0.15, 0.15, 0.1])]
    return pl.DataFrame(
        {
            "member_id": member_ids.gather(row_member),
            "org_id": orgs.ids.gather(member_org[row_member]),
            "date": _dates(_epoch_days(date(year, 1, 1)) + offset),
            "days": days,
            "topic": pl.Series([None] * len(k), dtype=pl.String),
        }
    )


def _scale_dues(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    n = len(orgs.ids)
    org_i, month = np.repeat(np.arange(n), 12), np.tile(np.arange(12), n)
    due = np.round(orgs.members * rng.integers(25, 61, n), 2)[org_i].astype(float)
    paid = np.where(rng.random(12 * n) < 0.03, np.round(due * 0.8, 2), due)
    late = np.where(rng.random(12 * n) < 0.05, 31, 0)
    starts = _month_starts(year)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "month": _dates(starts[month]),
            "due": due,
            "paid": paid,
            "remitted_on": _dates(starts[month + 1] + rng.integers(0, 25, 12 * n) + late),
        }
    )


def _scale_elections(rng: np.random.Generator, orgs: _ScaleOrgs, last_year: int) -> pl.DataFrame:
    """The last two elections of each org, the later one within its term at the end of ``last_year``."""
    n = len(orgs.ids)
    term_days = np.round(np.array([TERM_YEARS[t] for t in _TYPES])[orgs.type_idx] * 365.25).astype(np.int64)
    last = _epoch_days(date(last_year, 12, 31)) - (rng.random(n) * term_days).astype(np.int64)
    previous = last - term_days + rng.integers(-20, 21, n)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(np.repeat(np.arange(n), 2)),
            "date": _dates(np.column_stack([previous, last]).ravel()),
            "approved": np.zeros(2 * n, bool),
        }
    )


def _scale_incidents(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    org_i = np.flatnonzero(rng.random(len(orgs.ids)) < 0.002)
    kinds = pl.Series(list(INCIDENT_KIND_ZH), dtype=pl.String)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "date": _dates(_epoch_days(date(year, 1, 1)) + rng.integers(0, 365, len(org_i))),
            "kind": kinds.gather(rng.integers(0, len(kinds), len(org_i))),
            "note": pl.Series([None] * len(org_i), dtype=pl.String),
        }
    )


def _scale_inspections(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    n, k = len(orgs.ids), len(MANUAL_POINTS)
    points = np.tile(np.array(list(MANUAL_POINTS.values())), n)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(np.repeat(np.arange(n), k)),
            "year": np.full(n * k, year),
            "item": np.tile(np.array(list(MANUAL_POINTS)), n),
            "score": np.round(points * rng.beta(6.0, 1.5, n * k) * 2) / 2,
        }
    )


_WORKER_ROLES = pl.Series("role", ["书记", "副书记", "组织委员", "宣传委员", "纪检委员"], dtype=pl.String)


def _scale_workers(rng: np.random.Generator, orgs: _ScaleOrgs, secretaries: pl.Series) -> pl.DataFrame:
    """Each org's party-affairs workers: its secretary (member 1, the registry's name; none where the
    registry has none) and two to four committee members (members 2–5, capped by the org's size), with
    the study table's member ids, so a worker's study days are found by id."""
    n = len(orgs.ids)
    size = np.minimum(1 + rng.integers(2, 5, n), orgs.members)
    org_i = np.repeat(np.arange(n), size)
    k = np.arange(len(org_i)) - np.repeat(np.cumsum(size) - size, size)
    keep = (k > 0) | secretaries.is_not_null().to_numpy()[org_i]
    org_i, k = org_i[keep], k[keep]
    m = len(org_i)
    surnames, given = np.array(list(_SURNAMES)), np.array(list(_GIVEN))
    names = pl.Series(np.char.add(surnames[rng.integers(0, len(surnames), m)], given[rng.integers(0, len(given), m)]))
    start, span = _epoch_days(date(2017, 1, 1)), _epoch_days(date(2024, 11, 30)) - _epoch_days(date(2017, 1, 1))
    return pl.DataFrame(
        {
            "member_id": orgs.ids.gather(org_i) + pl.Series((k + 1).astype(str)).str.zfill(4),
            "name": pl.select(
                pl.when(pl.Series(k == 0)).then(secretaries.gather(org_i)).otherwise(names)
            ).to_series(),
            "org_id": orgs.ids.gather(org_i),
            "role": _WORKER_ROLES.gather(np.minimum(k, len(_WORKER_ROLES) - 1)),
            "since": _dates(start + (rng.random(m) * span).astype(np.int64)),
            "mode": np.where(k == 0, "专职", "兼职"),
        }
    )


def generate_parquet(out_dir: Path, orgs: int, years: list[int] | int = 1, seed: int = 1) -> dict[str, int]:
    """Write a benchmark dataset straight to canonical Parquet, one folder of part files per table.

    The layout is ``<table>/part-*.parquet``: the registry in one part, the other tables in parts of at
    most 5,000 orgs (and one year), so memory stays bounded whatever ``orgs`` is.  Columns are the canonical
    English names in the store's dtypes, without provenance.  Per org and year: about 60 activities, about
    30 members with 18–30 study sessions each, 12 dues months, 3 inspection scores; two elections per org;
    incidents for about 0.2 % of orgs a year; three to five party-affairs workers per org.  One top-level committee heads each block of 40 orgs.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created when missing, and it must be empty.
    orgs : int
        Number of organizations (codes are 6-digit zero-padded, wider beyond 999,999).
    years : list of int or int
        The years, or how many years ending in 2024 (``1`` → 2024, ``3`` → 2022–2024).
    seed : int
        Seed of the ``numpy.random.PCG64`` generators; the same seed gives the same data.

    Returns
    -------
    dict
        Rows written per canonical table.

    Raises
    ------
    ValueError
        When ``orgs`` or ``years`` is empty.
    FileExistsError
        When ``out_dir`` exists and is not empty.
    """
    if orgs < 1:
        raise ValueError("orgs must be at least 1")
    year_list = _scale_years(years)
    root = _prepare(out_dir)
    registry, frame = _scale_registry(np.random.Generator(np.random.PCG64(seed)), orgs)
    counts = dict.fromkeys(TABLES, 0)

    def write(table: str, data: pl.DataFrame, part: str) -> None:
        (root / table).mkdir(exist_ok=True)
        schema = _canonical_schema(table)
        data.select(pl.col(c).cast(t) for c, t in schema.items()).write_parquet(
            root / table / f"part-{part}.parquet"
        )
        counts[table] += data.height

    write("orgs", frame, "0000")
    per_year = (
        ("activities", _scale_activities),
        ("study", _scale_study),
        ("dues", _scale_dues),
        ("incidents", _scale_incidents),
        ("inspections", _scale_inspections),
    )
    for chunk, start in enumerate(range(0, orgs, _SCALE_CHUNK)):
        rng = np.random.Generator(np.random.PCG64([seed, chunk]))
        part = registry.take(slice(start, start + _SCALE_CHUNK))
        write("elections", _scale_elections(rng, part, year_list[-1]), f"{chunk:04d}")
        secretaries = frame["secretary"].slice(start, _SCALE_CHUNK)
        worker_rng = np.random.Generator(np.random.PCG64([seed, chunk, 1]))  # the other tables stay as they were
        write("party_workers", _scale_workers(worker_rng, part, secretaries), f"{chunk:04d}")
        for year in year_list:
            for table, make in per_year:
                write(table, make(rng, part, year), f"{year}-{chunk:04d}")
    return counts
