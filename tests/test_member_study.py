"""The 12-days-per-member rule on a stored member index: the per-member totals summed run by run, and
the index's runs matched to registry orgs (split runs from a later ingest, an index out of key order,
codes outside the registry)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.assess import assess
from analysis.ingest import ingest
from analysis.rules.measures.edu import _member_totals
from analysis.store import MEMBERS_FILE, Store


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 9)), st.one_of(st.none(), st.sampled_from([0.5, 1.0, 1.5, 2.0, 0.3]))
        ),
        max_size=60,
    ),
    batch_rows=st.integers(1, 8),
    size=st.integers(0, 8),
    cut=st.integers(0, 60),
)
def test_member_totals_equal_a_group_by_for_rows_in_any_order(rows, batch_rows, size, cut) -> None:
    keys = pl.Series("_member", [k for k, _ in rows], dtype=pl.UInt32)
    frame = pl.DataFrame([keys, pl.Series("days", [d for _, d in rows], dtype=pl.Float64)])
    pieces = pl.concat([frame.head(cut), frame.slice(cut)], rechunk=False)  # batches of several chunks
    days, n = _member_totals(pieces.lazy(), size, batch_rows=batch_rows)
    want = frame.filter(pl.col("_member") < size).group_by("_member").agg(pl.col("days").sum(), pl.len())
    want_days, want_n = np.zeros(size), np.zeros(size, np.int64)
    for k, d, c in want.iter_rows():
        want_days[k], want_n[k] = d, c
    assert n.tolist() == want_n.tolist()
    assert np.allclose(days, want_days, rtol=0, atol=1e-12)


REGISTRY = (
    "组织编码,组织名称,组织类型,上级组织编码,党员人数\n"
    "000100,市财政局机关党委,机关党委,,0\n"
    "000101,第一支部,支部,000100,2\n"
    "000102,第二支部,支部,000100,2\n"
)


def _study(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    """(org, member, whole days) -> that many one-day rows in 2024."""
    out = [
        {"member_id": m, "org_id": o, "date": dt.date(2024, 1 + i % 12, 1 + i // 12), "days": 1.0}
        for o, m, n in rows
        for i in range(n)
    ]
    return pl.DataFrame(out)


def _member_days(store: Path) -> dict[str, tuple]:
    a = assess(Store.open(store), 2024)
    r = a.rules.filter(pl.col("rule_id") == "edu.member_study_days").sort("org_id")
    return {o: (s, m, e) for o, s, m, e in r.select("org_id", "status", "measured", "evidence_rows").rows()}


def test_members_added_by_a_later_ingest_count_with_their_org(tmp_path: Path) -> None:
    data = tmp_path / "in"
    (data / "study").mkdir(parents=True)
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    _study([("000101", "m1", 12), ("000102", "m1", 6)]).write_parquet(data / "study" / "a.parquet")
    store = tmp_path / "store"
    ingest([data], store=store)
    # keys 0 and 1 are taken: 000101's second member gets key 2, so its members are two runs of the index
    _study([("000101", "m2", 13), ("000102", "m2", 12)]).write_parquet(data / "study" / "b.parquet")
    ingest([data], store=store)
    index = pl.read_parquet(store / MEMBERS_FILE)
    assert index.select("org_id", "member_id", "_member").rows() == [
        ("000101", "m1", 0), ("000102", "m1", 1), ("000101", "m2", 2), ("000102", "m2", 3),
    ]
    want = {
        "000100": ("pass", "学习满 12 天的党员 0/0 人（100%）", 1),
        "000101": ("pass", "学习满 12 天的党员 2/2 人（100%）", 26),
        "000102": ("fail", "学习满 12 天的党员 1/2 人（50%）", 19),
    }
    assert _member_days(store) == want

    # an index out of key order, with a pair of a code outside the registry: the same results
    index.sample(fraction=1.0, shuffle=True, seed=3).vstack(
        pl.DataFrame({"org_id": ["999999"], "member_id": ["x"], "_member": [4]}, schema=index.schema)
    ).write_parquet(store / MEMBERS_FILE)
    assert _member_days(store) == want


def test_study_parts_keep_each_members_rows_together_in_date_order(tmp_path: Path) -> None:
    data = tmp_path / "in"
    (data / "study").mkdir(parents=True)
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    # an export in date order: the members' rows interleave; "101" lost its zeros, so the part is
    # rewritten without keys after the code is restored, and keyed (and sorted) again at the end
    rows = [("000102", "m9", "2024-01-05"), ("000101", "m1", "2024-01-05"), ("000102", "m9", "2024-01-03"),
            ("101", "m1", "2024-03-01"), ("000101", "m1", "2024-02-01"), ("000101", "m2", "2024-01-04")]
    pl.DataFrame(
        {"member_id": [m for _, m, _ in rows], "org_id": [o for o, _, _ in rows],
         "date": [dt.date.fromisoformat(d) for _, _, d in rows], "days": [1.0] * len(rows)}
    ).write_parquet(data / "study" / "a.parquet")
    store = tmp_path / "store"
    ingest([data], store=store)
    (part,) = (store / "study").glob("*.parquet")
    stored = pl.read_parquet(part).select("_member", "org_id", "member_id", pl.col("date").cast(pl.String)).rows()
    assert stored == [
        (0, "000101", "m1", "2024-01-05"), (0, "000101", "m1", "2024-02-01"), (0, "000101", "m1", "2024-03-01"),
        (1, "000101", "m2", "2024-01-04"), (2, "000102", "m9", "2024-01-03"), (2, "000102", "m9", "2024-01-05"),
    ]
