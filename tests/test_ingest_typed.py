"""The typed fast path for large Parquet tables: what it keeps is what the general path keeps, and any
table it would have to convert or refuse a cell of goes the general path, rejects and all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import analysis.ingest.typed as typed
from analysis.ingest import ingest
from analysis.ingest.readers import Limits, read_file
from analysis.ingest.typed import parse_typed
from analysis.ingest.validate import parse_sheet, recognise
from analysis.store import Store, table_parts

STUDY = {
    "member_id": ["0010001", "0010001", "0010002", "0020001"],
    "org_id": ["001", "001", "001", "002"],
    "date": [date(2024, 1, 8), date(2024, 2, 3), date(2024, 1, 9), date(2024, 3, 1)],
    "days": [1.0, 1.5, 2.0, 0.5],
    "topic": [None, "党史学习", None, "二十大精神"],
}
ACTIVITIES = {
    "org_id": ["001", "002", "001"],
    "date": [date(2024, 1, 5), date(2024, 2, 6), date(2024, 3, 7)],
    "kind": ["party_lecture", "group_study", "themed_party_day"],
    "attendees": [12, None, 30],
    "recorded": [True, None, False],
    "political_theory": [None, True, False],
}


def both(tmp_path: Path, columns: dict[str, list[object]], name: str = "t.parquet"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    pl.DataFrame(columns).write_parquet(path)
    limits = Limits()
    (sheet,) = read_file(path, limits)
    rec = recognise(sheet, limits, name)
    return parse_typed(sheet, rec, name, limits, min_rows=0), parse_sheet(sheet, rec, name, limits)


@pytest.mark.parametrize("columns", [STUDY, ACTIVITIES], ids=["study", "activities"])
def test_a_clean_typed_table_is_kept_exactly_as_the_general_path_keeps_it(tmp_path: Path, columns: dict) -> None:
    fast, general = both(tmp_path, columns)

    assert fast is not None
    assert_frame_equal(fast.valid, general.valid)
    assert_frame_equal(fast.rejects, general.rejects)
    assert (fast.table, fast.rows_read, fast.rows_refused, fast.columns_present) == (
        general.table, general.rows_read, general.rows_refused, general.columns_present
    )  # fmt: skip


def test_activity_defaults_on_the_typed_path(tmp_path: Path) -> None:
    fast, _ = both(tmp_path, ACTIVITIES)

    assert fast is not None
    assert fast.valid.select("recorded", "political_theory").rows() == [(True, False), (False, True), (False, False)]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("org_id", "002 ", None),  # the general path strips it: converted, not refused
        ("date", date(1999, 12, 31), "date_out_of_range"),
        ("days", 0.0, "days_out_of_range"),
        ("days", None, "required_empty"),
        ("member_id", "", "required_empty"),
        ("topic", "ＡＢＣ", None),  # full-width letters: NFKC makes them ABC
        ("topic", "tab\t", None),  # stripped
        ("org_id", "002.0", None),  # a whole number as Excel writes it: the code is 002
    ],
)
def test_a_table_with_a_cell_to_convert_or_refuse_goes_the_general_path(
    tmp_path: Path, column: str, value: object, reason: str | None
) -> None:
    columns = {k: list(v) for k, v in STUDY.items()}
    columns[column][3] = value
    fast, general = both(tmp_path, columns)

    assert fast is None
    assert general.rejects["reason_code"].to_list() == ([reason] if reason else [])


def test_a_kind_given_in_chinese_goes_the_general_path(tmp_path: Path) -> None:
    columns = {**ACTIVITIES, "kind": ["党课", "group_study", "themed_party_day"]}
    fast, general = both(tmp_path, columns)

    assert fast is None
    assert general.valid["kind"].to_list() == ["party_lecture", "group_study", "themed_party_day"]


def test_a_column_of_another_type_goes_the_general_path(tmp_path: Path) -> None:
    fast, general = both(tmp_path, {**STUDY, "days": [1, 2, 3, 4]})  # whole numbers where the store has floats

    assert fast is None
    assert general.valid["days"].to_list() == [1.0, 2.0, 3.0, 4.0]


def test_an_ingest_on_the_typed_path_writes_the_store_the_general_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text("组织编码,组织名称,组织类型,上级组织编码\n001,一支部,支部,\n002,二支部,支部,\n", encoding="utf-8")
    pl.DataFrame(STUDY).write_parquet(data / "study.parquet")
    pl.DataFrame(ACTIVITIES).write_parquet(data / "activities.parquet")
    stores = {}
    for label, rows in (("general", 10**9), ("typed", 0)):
        monkeypatch.setattr(typed, "TYPED_ROWS", rows)
        stores[label] = tmp_path / label
        ingest([data], store=stores[label])
    general, fast = Store.open(stores["general"]), Store.open(stores["typed"])

    for name in ("orgs", "study", "activities"):
        assert_frame_equal(fast.table(name).collect(), general.table(name).collect())
        (a,) = table_parts(stores["general"], name)
        (b,) = table_parts(stores["typed"], name)
        assert_frame_equal(pl.read_parquet(a), pl.read_parquet(b))  # the member keys too
    assert_frame_equal(fast.rejects(), general.rejects())
    assert_frame_equal(fast.manifest().drop("ingested_at"), general.manifest().drop("ingested_at"))
