"""Sheets of many files checked together (one plan per layout) and files read in worker processes give
each file exactly what it gets when read alone: its rows, its rejects with row numbers, its refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analysis.ingest import Limits, ingest
from analysis.ingest.file import HEAD_START_BYTES, _read_one, _slices, read_files
from analysis.store import Store
from tests.test_ingest import write_registry

HEADER = "组织编码,活动日期,活动类型,主题\n"


def _files(folder: Path) -> list[tuple[Path, str, int, str]]:
    (folder / "a.csv").write_text(HEADER + "000101,2024-01-05,党课,一\n000102,2024-02-01,党员大会,二\n", encoding="utf-8")
    (folder / "b.csv").write_text(
        HEADER + "000101,2024-13-40,党课,坏日期\n000101,2024-03-01,外星活动,坏类型\n000102,2024-03-02,党课,好\n",
        encoding="utf-8",
    )
    (folder / "c.csv").write_text(HEADER, encoding="utf-8")  # the header alone: the file is refused
    (folder / "d.csv").write_text("姓名,电话\n张三,123\n", encoding="utf-8")  # not a table we know
    (folder / "e.csv").write_text("活动日期,组织编码,活动类型\n2024-04-01,000101,党课\n", encoding="utf-8")  # other order
    return [(folder / n, n, (folder / n).stat().st_size, n) for n in ("a.csv", "b.csv", "c.csv", "d.csv", "e.csv")]


def test_files_checked_together_get_what_each_gets_alone(tmp_path: Path) -> None:
    items = _files(tmp_path)
    together = read_files(items, Limits(), [])
    alone = [_read_one(*item, Limits(), []) for item in items]
    assert [o.rel for o in together] == ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv"]
    for t, a in zip(together, alone, strict=True):
        assert (t.rows_read, t.refused_message, t.note) == (a.rows_read, a.refused_message, a.note)
        assert len(t.parsed) == len(a.parsed)
        for pt, pa in zip(t.parsed, a.parsed, strict=True):
            assert pt.valid.equals(pa.valid, null_equal=True)
            assert pt.rejects.equals(pa.rejects, null_equal=True)
        assert pl.concat(t.rejects).equals(pl.concat(a.rejects), null_equal=True)
    b = together[1].parsed[0]
    assert b.valid["topic"].to_list() == ["好"] and b.valid["_row"].to_list() == [4]
    assert b.rejects.select("_file", "_row", "column", "reason_code").rows() == [
        ("b.csv", 2, "date", "bad_date"),
        ("b.csv", 3, "kind", "unknown_kind"),
    ]
    assert [o.refused_message is not None for o in together] == [False, False, True, True, False]


def test_a_folder_read_by_two_processes_gives_the_same_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    for i in range(40):
        day = "2024-02-30" if i == 13 else f"2024-01-{i % 28 + 1:02d}"
        (data / f"活动{i:02d}.csv").write_text(HEADER + f"000101,{day},党课,第{i}次\n000102,2024-02-01,党课,另{i}次\n", encoding="utf-8")
    stores = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("WORKBENCH_WORKERS", workers)
        ingest([data], store=tmp_path / f"s{workers}")
        stores[workers] = Store.open(tmp_path / f"s{workers}")
    one, two = stores["1"], stores["2"]
    assert one.table("activities").collect().equals(two.table("activities").collect())
    assert one.rejects().equals(two.rejects())
    assert one.duplicates().equals(two.duplicates())
    assert one.manifest().drop("ingested_at").equals(two.manifest().drop("ingested_at"))
    assert one.rejects().select("_file", "_row", "reason_code").rows() == [("活动13.csv", 2, "bad_date")]
    assert one.table("activities").collect().height == 79


def test_xlsx_cell_past_the_character_limit_is_refused_but_many_bytes_under_it_are_not(tmp_path: Path) -> None:
    from tests.test_ingest import write_xlsx

    rows = [["组织编码", "活动日期", "活动类型", "主题"], ["000101", "2024-01-05", "党课", "长" * 60]]  # 180 bytes
    write_xlsx(tmp_path / "ok.xlsx", rows)
    write_xlsx(tmp_path / "long.xlsx", [rows[0], ["000101", "2024-01-05", "党课", "x" * 101]])
    items = [(tmp_path / n, n, (tmp_path / n).stat().st_size, n) for n in ("ok.xlsx", "long.xlsx")]
    ok, long = read_files(items, Limits(max_cell_chars=100), [])
    assert ok.refused_message is None and ok.parsed[0].valid["topic"].to_list() == ["长" * 60]
    assert long.parsed == [] and long.rejects[0]["reason_code"].to_list() == ["cell_too_large"]


def _items(sizes: list[int]) -> list[tuple[Path, str, int, str]]:
    return [(Path(f"f{i:03d}"), f"f{i:03d}", size, "") for i, size in enumerate(sizes)]


def test_this_process_reads_a_head_start_more_while_the_other_starts() -> None:
    mb = HEAD_START_BYTES
    assert mb == 1 << 20
    parts = _slices(_items([mb // 10] * 44), 2)  # 4.4 MiB: (4.4 + 1) / 2 = 2.7 MiB here, 1.7 in the other
    assert [len(p) for p in parts] == [27, 17]
    assert [p[0][1] for p in parts] == ["f000", "f027"]  # consecutive runs, in path order
    # three processes: this one (4.4 + 2 × 1) / 3 MiB = 2.13 MiB, 21 files; the other 23 split in two
    assert [len(p) for p in _slices(_items([mb // 10] * 44), 3)] == [21, 12, 11]


def test_a_file_goes_to_the_process_its_middle_falls_in_and_none_is_lost() -> None:
    ten = 10 * HEAD_START_BYTES
    assert [len(p) for p in _slices(_items([ten] * 4), 2)] == [2, 2]  # head 20.5 MiB: two middles before it
    assert [len(p) for p in _slices(_items([ten] * 4), 3)] == [1, 2, 1]
    assert _slices(_items([ten]), 2) == [_items([ten])]  # one file: this process alone
    many = _items([i * 997 % 50_000 for i in range(300)])
    assert [item for part in _slices(many, 2) for item in part] == many
