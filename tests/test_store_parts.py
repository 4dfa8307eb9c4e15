"""Part files: rows already in store order are not sorted again, member keys of new orgs are numbered
without a join (the same keys the join gives), and duplicates are found whatever the part's order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.ingest import ingest
from analysis.store import MEMBER_KEY, Store, table_parts
from analysis.store_parts import BACKGROUND_ROWS, PartWrites, is_sorted, wait_for_part

REGISTRY = "组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,机关党委,\n000101,第一支部,支部,000100\n"


def test_rows_in_order_with_nulls_last_are_sorted_and_others_are_not() -> None:
    ordered = pl.DataFrame({"k": ["a", "a", "a", "b", None], "d": [1, 2, None, 0, 5]})
    assert is_sorted(ordered, ["k", "d"])
    assert is_sorted(pl.DataFrame({"k": ["a", "a"], "d": [1, 1]}), ["k", "d"])  # equal rows: a stable sort keeps them
    assert not is_sorted(pl.DataFrame({"k": ["a", "a"], "d": [None, 1]}), ["k", "d"])
    assert not is_sorted(pl.DataFrame({"k": [None, "a"], "d": [1, 1]}), ["k", "d"])
    assert not is_sorted(pl.DataFrame({"k": ["b", "a"], "d": [0, 9]}), ["k", "d"])


def study_file(path: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = ["党员编号,组织编码,学习日期,天数"] + [f"{m},{o},{d},1" for m, o, d in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_member_keys_follow_pair_order_for_new_orgs_and_known_orgs_alike(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    study_file(data / "a.csv", [("m2", "000101", "2024-01-02"), ("m1", "000101", "2024-01-03"), ("m2", "000101", "2024-01-01")])
    store = tmp_path / "store"
    ingest([data], store=store)  # every org new: keys numbered run by run
    study_file(data / "b.csv", [("m3", "000101", "2024-02-01"), ("m1", "000100", "2024-02-02"), ("m1", "000101", "2024-02-03")])
    ingest([data], store=store)  # 000101 known: the join keeps its keys, the new pairs come next

    st = Store.open(store)
    members = pl.read_parquet(store / "study_members.parquet")
    assert members.rows() == [("000101", "m1", 0), ("000101", "m2", 1), ("000100", "m1", 2), ("000101", "m3", 3)]
    first, second = (pl.read_parquet(p).select(MEMBER_KEY, "date", "_row") for p in table_parts(store, "study"))
    assert first.rows() == [(0, date(2024, 1, 3), 3), (1, date(2024, 1, 1), 4), (1, date(2024, 1, 2), 2)]
    assert second.rows() == [(0, date(2024, 2, 3), 4), (2, date(2024, 2, 2), 3), (3, date(2024, 2, 1), 2)]
    assert st.study_keyed()[0].collect().height == 6


def test_a_duplicate_is_found_when_the_store_order_moves_it(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    rows = "组织编码,活动日期,活动类型\n000101,2024-01-06,党课\n000100,2024-02-01,党课\n000101,2024-01-06,党课\n"
    (data / "b.csv").write_text(rows, encoding="utf-8")  # stored by (kind, org, date): 000100 comes first
    ingest([data], store=tmp_path / "store")
    st = Store.open(tmp_path / "store")

    assert st.duplicates().select("table", "_file", "_row").rows() == [("activities", "b.csv", 4)]
    assert sorted(st.table("activities").collect().select("_file", "_row").rows()) == [("b.csv", 2), ("b.csv", 3)]


def test_duplicates_are_found_across_files_of_one_org_and_rows_of_other_orgs_stay(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-06,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    ingest([data], store=store)
    (data / "b.csv").write_text("组织编码,活动日期,活动类型\n000100,2024-01-06,党课\n000101,2024-01-06,党课\n", encoding="utf-8")
    ingest([data], store=store)
    st = Store.open(store)

    assert st.duplicates().select("table", "_file", "_row").rows() == [("activities", "b.csv", 3)]
    assert sorted(st.table("activities").collect().select("org_id", "_file").rows()) == [
        ("000100", "b.csv"), ("000101", "a.csv")
    ]  # fmt: skip


def test_a_large_part_written_in_the_background_is_there_once_waited_for(tmp_path: Path) -> None:
    df = pl.DataFrame({"org_id": ["000101"] * BACKGROUND_ROWS, "_row": range(BACKGROUND_ROWS)})
    writes = PartWrites()
    writes.write(df, tmp_path / "part-00000.parquet")
    wait_for_part(tmp_path / "part-00000.parquet")

    assert_frame_equal(pl.read_parquet(tmp_path / "part-00000.parquet"), df)
    writes.wait()


def test_a_background_write_that_fails_raises_when_waited_for(tmp_path: Path) -> None:
    df = pl.DataFrame({"org_id": ["000101"] * BACKGROUND_ROWS})
    writes = PartWrites()
    writes.write(df, tmp_path / "no-such-folder" / "part-00000.parquet")

    with pytest.raises(OSError):
        writes.wait()


def test_one_row_repeated_in_forty_files_of_one_run_is_kept_once(tmp_path: Path) -> None:
    """Forty files read in one run (by worker processes: 32+ files) each repeat one row beside a row of
    their own; main kept 21 copies of the repeated row (every other file's)."""
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    for i in range(1, 41):
        (data / f"a{i:02d}.csv").write_text(
            f"组织编码,活动日期,活动类型,主题\n000101,2024-02-01,党课,同一次\n000101,2024-03-{i % 28 + 1:02d},党课,第{i}次\n",
            encoding="utf-8",
        )
    ingest([data], store=tmp_path / "store")
    st = Store.open(tmp_path / "store")

    kept = st.table("activities").collect()
    assert kept.height == 41
    assert kept.filter(pl.col("topic") == "同一次").select("_file", "_row").rows() == [("a01.csv", 2)]
    dup = st.duplicates().select("table", "_file", "_row").sort("_file")
    assert dup.rows() == [("activities", f"a{i:02d}.csv", 2) for i in range(2, 41)]
