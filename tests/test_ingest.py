"""Ingest: every format, encoding and bad-input class, with exact row numbers and reasons."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from analysis.ingest import ingest
from analysis.store import Store

REGISTRY_CSV = (
    "组织编码,组织名称,组织类型,上级组织编码,书记\n"
    "000100,市财政局机关党委,机关党委,,张三\n"
    "000101,第一支部,支部,000100,李四\n"
    "000102,第二支部,党支部,000100,\n"
)


def write_registry(folder: Path) -> None:
    (folder / "组织.csv").write_text(REGISTRY_CSV, encoding="utf-8")


def registry_folder(tmp_path: Path) -> Path:
    """The input folder ``tmp_path/in``, holding the registry."""
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    return data


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Sheet1", title: str | None = None) -> None:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(sheet)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r0 = 0
    if title:
        ws.merge_range(0, 0, 0, max(len(rows[0]) - 1, 1), title)
        r0 = 1
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r0 + i, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, str):
                ws.write_string(r0 + i, j, v)
            elif v is None:
                continue
            else:
                ws.write_number(r0 + i, j, v)
    wb.close()


def run(folder: Path, store: Path):
    result = ingest([folder], store=store)
    return result, Store.open(store)


def rejects_of(st: Store) -> list[tuple]:
    return st.rejects().select("_file", "_sheet", "_row", "column", "value", "reason_code").rows()


# ---------------------------------------------------------------------------------------------
def test_xlsx_with_title_row_keeps_codes_and_excel_row_numbers(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    write_xlsx(
        data / "活动.xlsx",
        [
            ["组织编码", "活动日期", "活动类型", "有记录"],
            ["000101", dt.date(2024, 3, 5), "支委会", "是"],
            ["000101", 45356, "党员大会", ""],  # an Excel serial: 2024-03-05
            ["000101", "2024-12-20 00:00:00", "党课", "否"],
        ],
        sheet="三会一课",
        title="2024年三会一课登记表",
    )
    result, st = run(data, tmp_path / "store")
    acts = st.table("activities").collect().sort("_row")
    assert acts.select("org_id", "date", "kind", "recorded", "_file", "_sheet", "_row").rows() == [
        ("000101", dt.date(2024, 3, 5), "committee_meeting", True, "活动.xlsx", "三会一课", 3),
        ("000101", dt.date(2024, 3, 5), "member_congress", False, "活动.xlsx", "三会一课", 4),
        ("000101", dt.date(2024, 12, 20), "party_lecture", False, "活动.xlsx", "三会一课", 5),
    ]
    assert result.totals == {
        "files": 2,
        "files_refused": 0,
        "rows_read": 6,
        "rows_kept": 6,
        "rows_refused": 0,
        "rows_duplicate": 0,
    }


def test_gb18030_csv_with_title_row_and_english_fullwidth_headers(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    text = "２０２４年活动登记\nＯＲＧ_ID , Date ,KIND\n000102,2024年3月5日,政治理论学习\n000102,2019/2/3  14:30,党课\n"
    (data / "acts.csv").write_bytes(text.encode("gb18030"))
    _, st = run(data, tmp_path / "store")
    acts = st.table("activities").collect().sort("_row")
    assert acts.select("org_id", "date", "kind", "political_theory", "recorded", "_row").rows() == [
        ("000102", dt.date(2024, 3, 5), "group_study", True, True, 3),
        ("000102", dt.date(2019, 2, 3), "party_lecture", False, True, 4),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024/3/5", dt.date(2024, 3, 5)),
        ("2024.3.5", dt.date(2024, 3, 5)),
        ("2024年3月5日", dt.date(2024, 3, 5)),
        ("2019/2/3  14:30", dt.date(2019, 2, 3)),
        ("2024-12-20 00:00:00", dt.date(2024, 12, 20)),
        ("45356", dt.date(2024, 3, 5)),
    ],
)
def test_every_listed_date_form(tmp_path: Path, text: str, expected: dt.date) -> None:
    data = registry_folder(tmp_path)
    (data / "e.csv").write_text(f"组织编码,换届日期\n000101,{text}\n", encoding="utf-8-sig")
    _, st = run(data, tmp_path / "store")
    assert st.table("elections").collect()["date"].to_list() == [expected]


def test_leading_zeros_survive_csv_json_and_xlsx(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.json").write_text(
        json.dumps([{"org_id": "000101", "date": "2024-01-05", "kind": "党课"}], ensure_ascii=False), encoding="utf-8"
    )
    write_xlsx(data / "b.xlsx", [["组织编码", "活动日期", "活动类型"], ["000102", "2024-01-06", "党课"]])
    # a code that lost its zeros on the way (number cell / re-saved CSV) finds its registry code
    write_xlsx(data / "c.xlsx", [["组织编码", "活动日期", "活动类型"], [101, "2024-01-07", "党课"]])
    _, st = run(data, tmp_path / "store")
    acts = st.table("activities").collect().sort("date")
    assert acts["org_id"].to_list() == ["000101", "000102", "000101"]
    assert st.table("orgs").collect().sort("org_id")["org_id"].to_list() == ["000100", "000101", "000102"]


def test_bad_rows_go_to_rejects_with_row_column_and_reason(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "acts.csv").write_text(
        "组织编码,活动日期,活动类型,参加人数\n"
        "000101,2024-13-45,党课,5\n"  # line 2: unreadable date
        "000101,2024-03-01,跳舞,5\n"  # line 3: unknown kind
        "999999,2024-03-01,党课,5\n"  # line 4: unknown org
        "000101,2024-03-01,党课,-3\n"  # line 5: negative
        "000101,,党课,5\n"  # line 6: required empty
        "000101,1999-12-31,党课,5\n"  # line 7: out of range
        "000101,2024-03-02,党课,abc\n"  # line 8: not a number
        "000101,2024-03-03,党课,5\n",  # line 9: fine
        encoding="utf-8",
    )
    result, st = run(data, tmp_path / "store")
    assert rejects_of(st) == [
        ("acts.csv", "", 2, "date", "2024-13-45", "bad_date"),
        ("acts.csv", "", 3, "kind", "跳舞", "unknown_kind"),
        ("acts.csv", "", 4, "org_id", "999999", "unknown_org"),
        ("acts.csv", "", 5, "attendees", "-3", "negative"),
        ("acts.csv", "", 6, "date", "", "required_empty"),
        ("acts.csv", "", 7, "date", "1999-12-31", "date_out_of_range"),
        ("acts.csv", "", 8, "attendees", "abc", "not_a_number"),
    ]
    rej = st.rejects().filter(pl.col("_row") == 3).row(0, named=True)
    assert rej["reason_zh"] == "【活动类型】活动类型不在规定范围内"
    assert rej["reason_en"] == "kind: activity kind is not in the vocabulary"
    assert json.loads(rej["record"]) == {"组织编码": "000101", "活动日期": "2024-03-01", "活动类型": "跳舞", "参加人数": "5"}
    acts = result.files.filter(pl.col("path") == "acts.csv").row(0, named=True)
    assert (acts["rows_read"], acts["rows_kept"], acts["rows_refused"], acts["rows_duplicate"]) == (8, 1, 7, 0)


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<x/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.csv", b"", "empty_file"),
        ("header.csv", "组织编码,活动日期,活动类型\n".encode(), "header_only"),
        ("phones.csv", "姓名,电话\n张三,123\n".encode(), "unknown_layout"),
        ("missing.csv", "组织编码,活动类型\n000101,党课\n".encode(), "missing_required"),
        ("latin.csv", b"\xff\xfe\xfa\xfb\xff\xff\xfe\n", "bad_encoding"),
        ("truncated.xlsx", b"PK\x03\x04\x14\x00\x00\x00broken", "bad_excel"),
        ("notexcel.xlsx", "组织编码,活动日期\n".encode(), "bad_excel"),
        ("big.csv", ("组织编码,活动日期,活动类型,主题\n000101,2024-01-01,党课," + "长" * 40000 + "\n").encode(), "cell_too_large"),
        ("obj.json", b'{"a": 1}', "bad_json"),
        ("notes.docx", b"hello", "unsupported_format"),
    ],
)
def test_file_level_faults_refuse_the_file_and_the_rest_goes_on(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    data = registry_folder(tmp_path)
    (data / name).write_bytes(content)
    result, st = run(data, tmp_path / "store")
    refused = result.files.filter(pl.col("status") == "refused")
    assert refused["path"].to_list() == [name]
    assert refused["message"][0] != ""
    assert st.rejects().filter(pl.col("_file") == name)["reason_code"].to_list() == [code]
    assert st.table("orgs").collect().height == 3  # the registry next to it was still ingested


def test_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    _bomb(data / "bomb.xlsx")
    result, st = run(data, tmp_path / "store")
    assert st.rejects()["reason_code"].to_list() == ["file_too_large"]


def test_reingest_is_idempotent_and_new_files_add_rows(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    run(data, store)
    before = {p.name: p.read_bytes() for p in store.glob("*.parquet") if p.name != "manifest.parquet"}
    again, st = run(data, store)
    assert again.files.height == 0 and again.skipped == ["a.csv", "组织.csv"]
    after = {p.name: p.read_bytes() for p in store.glob("*.parquet") if p.name != "manifest.parquet"}
    assert before == after
    (data / "b.csv").write_text("组织编码,活动日期,活动类型\n000102,2024-01-06,党课\n", encoding="utf-8")
    third, st = run(data, store)
    assert third.files["path"].to_list() == ["b.csv"]
    assert st.table("activities").collect().height == 2


def test_duplicate_across_files_counted_once_evidence_is_first_path(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    row = "组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n"
    (data / "b.csv").write_text(row, encoding="utf-8")
    store = tmp_path / "store"
    run(data, store)
    # a later file that sorts first: the evidence copy moves to it, the earlier one becomes the duplicate
    (data / "a.csv").write_text(row + "000101,2024-01-06,党课\n", encoding="utf-8-sig")
    result, st = run(data, store)
    acts = st.table("activities").collect().sort("date")
    assert acts.select("_file", "_row").rows() == [("a.csv", 2), ("a.csv", 3)]
    assert st.duplicates().select("table", "_file", "_row").rows() == [("activities", "b.csv", 2)]
    m = st.manifest().sort("path").select("path", "rows_read", "rows_kept", "rows_duplicate").rows()
    assert m == [("a.csv", 2, 2, 0), ("b.csv", 1, 0, 1), ("组织.csv", 3, 3, 0)]


def test_registry_faults_unknown_parent_cycle_and_conflict(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "orgs.csv").write_text(
        "org_id,name,org_type,parent_id\n"
        "000001,A,committee,\n"
        "000002,B,branch,000001\n"
        "000003,C,branch,000077\n"  # unknown parent
        "000004,D,general_branch,000005\n"  # cycle 4 <-> 5
        "000005,E,general_branch,000004\n"
        "000002,B2,branch,000001\n",  # same code, different name
        encoding="utf-8",
    )
    _, st = run(data, tmp_path / "store")
    assert st.table("orgs").collect().sort("org_id")["org_id"].to_list() == ["000001", "000002"]
    assert sorted((r[2], r[5]) for r in rejects_of(st)) == [
        (4, "unknown_parent"),
        (5, "parent_cycle"),
        (6, "parent_cycle"),
        (7, "conflicting_org"),
    ]


def test_orgs_under_a_cycle_and_a_self_parent_are_refused_and_a_deep_chain_is_kept(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "orgs.csv").write_text(
        "org_id,name,org_type,parent_id\n"
        "000010,L4,branch,000011\n"  # listed before its parents: four levels down to 000013
        "000011,L3,general_branch,000012\n"
        "000012,L2,committee,000013\n"
        "000013,L1,committee,\n"
        "000020,S,branch,000020\n"  # its own parent
        "000030,X,general_branch,000031\n"  # cycle 30 <-> 31 ...
        "000031,Y,general_branch,000030\n"
        "000032,Z,branch,000031\n",  # ... and a branch under it
        encoding="utf-8",
    )
    _, st = run(data, tmp_path / "store")
    assert sorted(st.table("orgs").collect()["org_id"].to_list()) == ["000010", "000011", "000012", "000013"]
    assert sorted((r[2], r[5]) for r in rejects_of(st)) == [
        (6, "parent_cycle"),
        (7, "parent_cycle"),
        (8, "parent_cycle"),
        (9, "parent_cycle"),
    ]


def test_parquet_typed_columns_are_read(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    pl.DataFrame(
        {"member_id": ["m1", "m2"], "org_id": ["000101", "000101"], "date": [dt.date(2024, 1, 1)] * 2, "days": [1.5, 40.0]}
    ).write_parquet(data / "study.parquet")
    _, st = run(data, tmp_path / "store")
    assert st.table("study").collect().select("member_id", "days", "_row").rows() == [("m1", 1.5, 1)]
    assert rejects_of(st) == [("study.parquet", "", 2, "days", "40.0", "days_out_of_range")]


def test_absent_table_is_absent_and_missing_recorded_column_means_yes(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n", encoding="utf-8")
    _, st = run(data, tmp_path / "store")
    assert st.has("activities") and not st.has("dues")
    assert st.table("dues").collect().height == 0
    assert st.table("activities").collect()["recorded"].to_list() == [True]
    assert st.columns_present("orgs") == {"org_id", "name", "org_type", "parent_id", "secretary"}


def test_code_typed_as_number_with_zero_padded_format_keeps_its_zeros(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    wb = xlsxwriter.Workbook(data / "名册.xlsx")
    ws = wb.add_worksheet("名册")
    padded = wb.add_format({"num_format": "000000"})
    ws.write_row(0, 0, ["组织编码", "组织名称", "组织类型", "上级组织编码"])
    ws.write_row(1, 0, ["000100", "机关党委", "党委", ""])
    ws.write_number(2, 0, 101, padded)  # shows as 000101 in Excel
    ws.write_row(2, 1, ["一支部", "党支部"])
    ws.write_number(2, 3, 100, padded)
    wb.close()
    _, st = run(data, tmp_path / "store")
    orgs = st.table("orgs").collect().sort("org_id")
    assert orgs.select("org_id", "parent_id", "_row").rows() == [("000100", None, 2), ("000101", "000100", 3)]


# ---------------------------------------------------------------------------------------------
# Large tables go to part files: duplicates across parts, incremental ingest, older stores.
# ---------------------------------------------------------------------------------------------
def _study(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "member_id": [r[0] for r in rows],
            "org_id": ["000101"] * len(rows),
            "date": [dt.date.fromisoformat(r[1]) for r in rows],
            "days": [r[2] for r in rows],
        }
    )


def test_parquet_parts_duplicates_across_parts_and_incremental_reingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analysis.ingest.run as ingest_module

    monkeypatch.setattr(ingest_module, "PART_ROWS", 2)  # every sheet becomes its own part
    data = tmp_path / "in"
    (data / "study").mkdir(parents=True)
    write_registry(data)
    _study([("m1", "2024-01-01", 1.0), ("m2", "2024-01-01", 1.0), ("m3", "2024-01-02", 0.5)]).write_parquet(data / "study" / "part-1.parquet")
    # row 2 repeats part-1 row 1 (a duplicate across parts); row 3 repeats its own row 1
    _study([("m4", "2024-02-01", 1.0), ("m1", "2024-01-01", 1.0), ("m4", "2024-02-01", 1.0)]).write_parquet(data / "study" / "part-2.parquet")
    store = tmp_path / "store"
    result, st = run(data, store)
    assert sorted(st.table("study").collect().select("member_id", "_file", "_row").rows()) == [
        ("m1", "study/part-1.parquet", 1), ("m2", "study/part-1.parquet", 2), ("m3", "study/part-1.parquet", 3),
        ("m4", "study/part-2.parquet", 1),
    ]
    assert st.duplicates().select("table", "_file", "_row").rows() == [("study", "study/part-2.parquet", 2), ("study", "study/part-2.parquet", 3)]
    assert st.table("study").collect_schema()["_file"] == pl.String
    assert len(list((store / "study").glob("*.parquet"))) == 2
    assert result.totals["rows_duplicate"] == 2

    # a new part that sorts first takes over the evidence copy; the parts that did not change are kept as they were
    unchanged = (store / "orgs").glob("*.parquet")
    before = {p.name: p.read_bytes() for p in unchanged}
    _study([("m2", "2024-01-01", 1.0), ("m5", "2024-03-01", 2.0)]).write_parquet(data / "study" / "part-0.parquet")
    result, st = run(data, store)
    assert result.files["path"].to_list() == ["study/part-0.parquet"]
    assert result.skipped == ["study/part-1.parquet", "study/part-2.parquet", "组织.csv"]
    assert sorted(st.table("study").collect().select("member_id", "_file", "_row").rows()) == [
        ("m1", "study/part-1.parquet", 1), ("m2", "study/part-0.parquet", 1), ("m3", "study/part-1.parquet", 3),
        ("m4", "study/part-2.parquet", 1), ("m5", "study/part-0.parquet", 2),
    ]
    assert st.duplicates().select("_file", "_row").rows() == [
        ("study/part-1.parquet", 2), ("study/part-2.parquet", 2), ("study/part-2.parquet", 3)
    ]
    assert {p.name: p.read_bytes() for p in (store / "orgs").glob("*.parquet")} == before
    m = st.manifest().select("path", "rows_read", "rows_kept", "rows_duplicate").rows()
    assert m == [
        ("study/part-0.parquet", 2, 2, 0), ("study/part-1.parquet", 3, 2, 1), ("study/part-2.parquet", 3, 1, 2), ("组织.csv", 3, 3, 0)
    ]

    # same path, new content: the old rows of that file go, and the duplicate they caused is kept again
    _study([("m9", "2024-05-01", 1.0)]).write_parquet(data / "study" / "part-0.parquet")
    result, st = run(data, store)
    assert sorted(st.table("study").collect().select("member_id", "_file", "_row").rows()) == [
        ("m1", "study/part-1.parquet", 1), ("m2", "study/part-1.parquet", 2), ("m3", "study/part-1.parquet", 3),
        ("m4", "study/part-2.parquet", 1), ("m9", "study/part-0.parquet", 1),
    ]
    assert st.duplicates().select("_file", "_row").rows() == [("study/part-2.parquet", 2), ("study/part-2.parquet", 3)]
    m = st.manifest()
    assert (m["rows_read"] == m["rows_kept"] + m["rows_refused"] + m["rows_duplicate"]).all()


def test_rows_refused_as_unknown_orgs_stay_refused_when_files_are_added(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n999999,2024-01-05,党课\n000101,2024-01-05,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    run(data, store)
    (data / "b.csv").write_text("组织编码,活动日期,活动类型\n000102,2024-01-06,党课\n", encoding="utf-8")
    result, st = run(data, store)  # a.csv is read again (999999 is still unknown); its accounting holds
    assert result.rechecked == ["a.csv"] and "a.csv" not in result.skipped
    assert rejects_of(st) == [("a.csv", "", 2, "org_id", "999999", "unknown_org")]
    assert st.manifest().select("path", "rows_read", "rows_kept", "rows_refused").rows() == [
        ("a.csv", 2, 1, 1), ("b.csv", 1, 1, 0), ("组织.csv", 3, 3, 0)
    ]
    assert sorted(st.table("activities").collect().select("org_id", "_file", "_row").rows()) == [
        ("000101", "a.csv", 3), ("000102", "b.csv", 2)
    ]
    result, _ = run(data, store)  # nothing new: nothing is read again
    assert result.rechecked == [] and result.files.height == 0


#: a registry file of one more branch under 000100, which the first registry does not have
THIRD_BRANCH_CSV = "组织编码,组织名称,组织类型,上级组织编码\n000103,第三支部,党支部,000100\n"


def test_rows_refused_for_an_unregistered_org_are_kept_once_the_registry_has_it(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000103,2024-01-05,党课\n000101,2024-01-05,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    _, st = run(data, store)
    assert rejects_of(st) == [("a.csv", "", 2, "org_id", "000103", "unknown_org")]
    # the registry of the third branch arrives later, in a file of its own
    (data / "组织2.csv").write_text(THIRD_BRANCH_CSV, encoding="utf-8")
    result, st = run(data, store)
    assert result.rechecked == ["a.csv"]
    assert rejects_of(st) == []
    assert sorted(st.table("activities").collect().select("org_id", "_row").rows()) == [("000101", 3), ("000103", 2)]
    assert st.manifest().select("path", "rows_read", "rows_kept", "rows_refused").rows() == [
        ("a.csv", 2, 2, 0), ("组织.csv", 3, 3, 0), ("组织2.csv", 1, 1, 0)
    ]


def test_a_registry_ingested_from_another_folder_names_the_files_to_ingest_again(tmp_path: Path) -> None:
    acts, regs = tmp_path / "活动", tmp_path / "名册"
    acts.mkdir()
    regs.mkdir()
    write_registry(acts)
    (acts / "a.csv").write_text("组织编码,活动日期,活动类型\n000103,2024-01-05,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    first, _ = run(acts, store)
    assert first.fixable == []
    (regs / "组织2.csv").write_text(THIRD_BRANCH_CSV, encoding="utf-8")
    second, st = run(regs, store)  # a.csv is not among this run's files: it is named, not read
    assert (second.rechecked, second.fixable) == ([], ["a.csv"])
    assert rejects_of(st) == [("a.csv", "", 2, "org_id", "000103", "unknown_org")]
    third, st = run(acts, store)  # nothing new in that folder, but the registry has 000103 now
    assert (third.rechecked, third.fixable) == (["a.csv"], [])
    assert rejects_of(st) == []
    assert st.table("activities").collect().select("org_id", "_file", "_row").rows() == [("000103", "a.csv", 2)]
    fourth, _ = run(acts, store)  # and then nothing is read again
    assert (fourth.rechecked, fourth.fixable, fourth.files.height) == ([], [], 0)


def test_a_registry_row_refused_for_an_unknown_parent_is_kept_once_the_parent_is_registered(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "组织.csv").write_text("组织编码,组织名称,组织类型,上级组织编码\n000101,第一支部,党支部,000100\n", encoding="utf-8")
    store = tmp_path / "store"
    _, st = run(data, store)
    assert rejects_of(st) == [("组织.csv", "", 2, "parent_id", "000100", "unknown_parent")]
    (data / "上级.csv").write_text("组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,党委,\n", encoding="utf-8")
    result, st = run(data, store)
    assert result.rechecked == ["组织.csv"]
    assert rejects_of(st) == []
    assert sorted(st.table("orgs").collect().select("org_id", "parent_id").rows(), key=str) == [
        ("000100", None), ("000101", "000100")
    ]


def test_a_store_of_the_one_file_per_table_layout_is_read_and_migrated(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    (data / "a.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n", encoding="utf-8")
    store = tmp_path / "store"
    run(data, store)
    for name in ("orgs", "activities"):  # rewrite it as a store of the first layout
        pl.read_parquet(store / name / "*.parquet").write_parquet(store / f"{name}.parquet")
        for p in (store / name).iterdir():
            p.unlink()
        (store / name).rmdir()
    st = Store.open(store)
    assert st.has("activities") and not st.has("study")
    assert st.table("activities").collect().height == 1
    (data / "b.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n000102,2024-01-06,党课\n", encoding="utf-8")
    result, st = run(data, store)
    assert not (store / "activities.parquet").exists() and (store / "activities").is_dir()
    assert sorted(st.table("activities").collect().select("_file", "_row").rows()) == [("a.csv", 2), ("b.csv", 3)]
    assert st.duplicates().select("_file", "_row").rows() == [("b.csv", 2)]
    assert st.table("orgs").collect().height == 3


# ---------------------------------------------------------------------------------------------
# The member index: one integer per (org, member) pair of the study table.
# ---------------------------------------------------------------------------------------------
def _keyed_rows(st: Store) -> list[tuple]:
    rows, members = st.study_keyed()
    return sorted(rows.join(members, on="_member").select("org_id", "member_id", "date", "days", "_member").collect().rows())


def _study_of(org_member: list[tuple[str, str]], day: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "member_id": [m for _, m in org_member],
            "org_id": [o for o, _ in org_member],
            "date": [dt.date.fromisoformat(day)] * len(org_member),
            "days": [1.0] * len(org_member),
        }
    )


def test_member_index_keys_every_pair_once_and_keeps_keys_across_ingests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analysis.ingest.run as ingest_module

    monkeypatch.setattr(ingest_module, "PART_ROWS", 2)  # every sheet its own part
    data = tmp_path / "in"
    (data / "study").mkdir(parents=True)
    write_registry(data)
    # m1 is in two orgs (two pairs); "101" lost its zeros and is corrected to 000101 after its part was
    # keyed, so that part is keyed again (key 2 went to the pair ("101", "m1"), which no row has now)
    _study_of([("000101", "m2"), ("000102", "m1")], "2024-01-01").write_parquet(data / "study" / "a.parquet")
    _study_of([("101", "m1"), ("000101", "m2")], "2024-02-01").write_parquet(data / "study" / "b.parquet")
    store = tmp_path / "store"
    _, st = run(data, store)
    assert "_member" not in st.table("study").collect_schema().names()
    keys = {(o, m): k for o, m, _, _, k in _keyed_rows(st)}
    assert keys == {("000101", "m1"): 3, ("000101", "m2"): 0, ("000102", "m1"): 1}
    assert [(o, m, str(d), x) for o, m, d, x, _ in _keyed_rows(st)] == [
        ("000101", "m1", "2024-02-01", 1.0), ("000101", "m2", "2024-01-01", 1.0),
        ("000101", "m2", "2024-02-01", 1.0), ("000102", "m1", "2024-01-01", 1.0),
    ]

    # a later ingest keeps every earlier key; a new pair gets the next one
    _study_of([("000102", "m1"), ("000102", "m3")], "2024-03-01").write_parquet(data / "study" / "c.parquet")
    _, st = run(data, store)
    keys2 = {(o, m): k for o, m, _, _, k in _keyed_rows(st)}
    assert keys2 == {**keys, ("000102", "m3"): 4}
    assert Store.open(store).study_keyed()[1].collect().height == 5  # keys are never reused

    # a store written before the index existed: the keys are made on the fly, the rows are the same
    (store / "study_members.parquet").unlink()
    old = {(o, m, d, x) for o, m, d, x, _ in _keyed_rows(Store.open(store))}
    assert old == {(o, m, d, x) for o, m, d, x, _ in _keyed_rows(st)}
    # ... and the next ingest keys it again from scratch
    _study_of([("000101", "m4")], "2024-04-01").write_parquet(data / "study" / "d.parquet")
    _, st = run(data, store)
    rows = _keyed_rows(st)
    assert len(rows) == 7 and {k for *_, k in rows} == {0, 1, 2, 3, 4}
    assert len({(o, m) for o, m, *_ in rows}) == 5


def test_a_refused_sheet_is_named_in_the_manifest_of_a_file_whose_other_sheet_was_read(tmp_path: Path) -> None:
    data = registry_folder(tmp_path)
    wb = xlsxwriter.Workbook(data / "台账.xlsx")
    good = wb.add_worksheet("活动")
    good.write_row(0, 0, ["组织编码", "活动日期", "活动类型"])
    good.write_row(1, 0, ["000101", "2024-01-05", "党课"])
    other = wb.add_worksheet("通讯录")
    other.write_row(0, 0, ["姓名", "电话"])
    other.write_row(1, 0, ["张三", "123"])
    wb.close()
    result, st = run(data, tmp_path / "store")
    row = result.files.filter(pl.col("path") == "台账.xlsx").row(0, named=True)
    assert (row["status"], row["rows_read"], row["rows_kept"]) == ("ok", 1, 1)
    assert row["message"] == "工作表“通讯录”：" + st.rejects().filter(pl.col("_sheet") == "通讯录")["reason_zh"][0]
    assert row["message"].startswith("工作表“通讯录”：") and len(row["message"]) > len("工作表“通讯录”：")
    assert st.rejects().select("_file", "_sheet", "reason_code").rows() == [("台账.xlsx", "通讯录", "unknown_layout")]
