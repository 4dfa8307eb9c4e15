"""Hostile and broken inputs, the accounting identity, fuzzing, and a store that survives a kill."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest import Limits, ingest
from analysis.store import Store
from analysis.vocab import ACTIVITY_KIND_ALIASES, TABLES

from .test_ingest import write_registry

FUZZ_EXAMPLES = int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "25"))


def refused_codes(store: Path, name: str) -> list[str]:
    return Store.open(store).rejects().filter(pl.col("_file") == name)["reason_code"].to_list()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("nul.csv", "组织编码,活动日期,活动类型\n000101,2024-01-01,党课\x00\n".encode(), "bad_encoding"),
        ("mixed.csv", "组织编码,活动日期,活动类型\n".encode() + "000101,2024-01-01,党课\n".encode("gbk") + "000101,2024-01-02,党课\n".encode(), "bad_encoding"),
        ("oldxls.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "bad_excel"),  # OLE2: old .xls or encrypted
        ("fake.xls", "组织编码,活动日期\n000101,2024-01-01\n".encode(), "bad_excel"),
        ("array.json", b'[1, 2, 3]', "bad_json"),
        ("broken.json", b'[{"org_id": "000101",', "bad_json"),
        ("oneline.csv", b"a," * (2 * 1024 * 1024), "file_too_large"),  # a 4 MB single line of columns
    ],
)
def test_hostile_file_is_refused_with_one_message(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    (data / name).write_bytes(content)
    result = ingest([data], store=tmp_path / "s")
    assert refused_codes(tmp_path / "s", name) == [code]
    assert result.files.filter(pl.col("path") == name)["status"].to_list() == ["refused"]
    assert Store.open(tmp_path / "s").table("orgs").collect().height == 3


def test_fifty_megabyte_single_line_csv_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "huge.csv").write_bytes(b"x" * (50 * 1024 * 1024))
    ingest([data], store=tmp_path / "s")
    assert refused_codes(tmp_path / "s", "huge.csv") == ["cell_too_large"]


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    ingest([data], store=tmp_path / "s", limits=Limits(max_file_bytes=10))
    assert refused_codes(tmp_path / "s", "组织.csv") == ["file_too_large"]


def test_mixed_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    (data / "a.csv").write_bytes("组织编码,活动日期,活动类型\r\n000101,2024-01-01,党课\n000101,2024-01-02,跳舞\r\n".encode())
    ingest([data], store=tmp_path / "s")
    st_ = Store.open(tmp_path / "s")
    assert st_.rejects().select("_row", "reason_code").rows() == [(3, "unknown_kind")]


def test_symlink_loop_and_broken_link_do_not_trap_the_walk(tmp_path: Path) -> None:
    data = tmp_path / "in"
    (data / "sub").mkdir(parents=True)
    write_registry(data / "sub")
    os.symlink(data, data / "sub" / "loop")
    os.symlink(data / "gone.csv", data / "dangling.csv")
    result = ingest([data], store=tmp_path / "s")
    assert sorted(result.files["path"].to_list()) == ["dangling.csv", "sub/组织.csv"]
    assert refused_codes(tmp_path / "s", "dangling.csv") == ["unreadable"]


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root reads anything: simulate a file that vanishes between listing and reading instead
        data = tmp_path / "in"
        data.mkdir()
        write_registry(data)
        from analysis.ingest import file as ingest_module

        target = data / "组织.csv"
        real = ingest_module._read_one_unlimited

        def vanish(path, *args, **kwargs):  # the file disappears after it was listed and hashed
            target.unlink(missing_ok=True)
            return real(path, *args, **kwargs)

        ingest_module._read_one_unlimited = vanish
        try:
            ingest([data], store=tmp_path / "s")
        finally:
            ingest_module._read_one_unlimited = real
        assert refused_codes(tmp_path / "s", "组织.csv") == ["unreadable"]


# ---------------------------------------------------------------------------------------------
# Property-based: random tables never crash the ingest, and rows read = kept + refused + duplicate.
# ---------------------------------------------------------------------------------------------
_FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
_number_cell = st.one_of(
    st.sampled_from(["inf", "-inf", "+Infinity", "NaN", "nan", "1e400", "-1e400", "1e308", "99999999999999999999999"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=10**20).map(lambda n: str(n).translate(_FULL_WIDTH)),  # １２３
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(lambda d: str(d).translate(_FULL_WIDTH)),
)
_HEADERS = sorted({c.zh for t in TABLES.values() for c in t.columns} | {c.name for t in TABLES.values() for c in t.columns})
_cell = st.one_of(
    st.just(""),
    st.sampled_from(["000101", "000102", "000100", "999999", "101"]),
    st.sampled_from(sorted(ACTIVITY_KIND_ALIASES)),
    st.sampled_from(["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "2019/2/3  14:30", "45356", "2024-13-45", "昨天"]),
    st.sampled_from(["是", "否", "1", "-2", "3.5", "abc", "党委", "支部", "2024-03"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    _number_cell,
)


@st.composite
def random_csv(draw: st.DrawFn) -> tuple[str, bytes]:
    header = draw(st.lists(st.one_of(st.sampled_from(_HEADERS), st.text(max_size=6)), min_size=1, max_size=7))
    rows = draw(st.lists(st.lists(_cell, min_size=len(header), max_size=len(header)), max_size=12))
    title = draw(st.booleans())
    lines = (["2024年登记表"] if title else []) + [",".join(_quote(h) for h in header)]
    lines += [",".join(_quote(c) for c in r) for r in rows]
    text = "\n".join(lines) + "\n"
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return enc, text.encode(enc)


def _quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(random_csv(), min_size=1, max_size=4))
def test_random_tables_never_crash_and_the_accounting_holds(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in"
        data.mkdir()
        write_registry(data)
        for i, (_, content) in enumerate(files):
            (data / f"f{i}.csv").write_bytes(content)
        result = ingest([data], store=Path(tmp) / "s")  # raises IngestError if the identity fails
        m = Store.open(Path(tmp) / "s").manifest()
        assert m.height == len({content for _, content in files}) + 1  # identical files are read once
        assert (m["rows_read"] == m["rows_kept"] + m["rows_refused"] + m["rows_duplicate"]).all()
        t = result.totals
        assert t["rows_read"] == t["rows_kept"] + t["rows_refused"] + t["rows_duplicate"]


#: the number columns of three tables, with the text cells a valid row needs
_NUMBER_TABLES = {
    "activities": ("组织编码,活动日期,活动类型,参加人数", "000101,2024-03-{day:02d},党课,{n}"),
    "dues": ("组织编码,月份,应交金额,实交金额", "000101,2024-{day:02d},{n},{n}"),
    "study": ("党员编号,组织编码,学习日期,天数", "m{day},000101,2024-03-{day:02d},{n}"),
}


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(table=st.sampled_from(sorted(_NUMBER_TABLES)), cells=st.lists(_number_cell, min_size=1, max_size=12))
def test_random_number_cells_never_keep_a_number_that_is_not_finite_or_too_large(table: str, cells: list[str]) -> None:
    header, line = _NUMBER_TABLES[table]
    rows = [line.format(day=i + 1, n=_quote(c)) for i, c in enumerate(cells)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in"
        data.mkdir()
        write_registry(data)
        (data / "n.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        ingest([data], store=Path(tmp) / "s")
        st_ = Store.open(Path(tmp) / "s")
        m = st_.manifest().filter(pl.col("path") == "n.csv").row(0, named=True)
        assert m["rows_read"] == len(cells) == m["rows_kept"] + m["rows_refused"] + m["rows_duplicate"]
        numbers = [c for c, t in st_.table(table).collect_schema().items() if t.is_numeric() and not c.startswith("_")]
        kept = st_.table(table).select(numbers).collect()
        for col in kept.columns:
            values = kept[col].drop_nulls().cast(pl.Float64)
            assert values.is_finite().all() and (values.abs() <= Limits().max_number).all()
        refused = st_.rejects().filter(pl.col("reason_code") == "not_finite")["value"].to_list()
        for value in refused:
            x = float(value.translate({ord(a): b for b, a in zip("0123456789.-", "０１２３４５６７８９．－", strict=True)}).replace(",", ""))
            assert not math.isfinite(x) or abs(x) > Limits().max_number


_name_bytes = st.binary(min_size=1, max_size=16).filter(lambda b: b"/" not in b and b"\x00" not in b and not b.startswith((b".", b"~$")))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(names=st.lists(_name_bytes, min_size=1, max_size=6, unique=True), folder=st.one_of(st.none(), _name_bytes))
def test_random_file_names_are_all_read_once_and_shown_as_text(names: list[bytes], folder: bytes | None) -> None:
    import contextlib
    import io

    from analysis.cli import print_ingest_summary

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "in"
        data.mkdir()
        write_registry(data)
        where = os.fsencode(data) + (b"/" + folder if folder else b"")
        os.makedirs(where, exist_ok=True)
        for i, name in enumerate(names):
            body = f"组织编码,活动日期,活动类型,主题\n000101,2024-03-05,党课,第{i}个文件\n"
            Path(os.fsdecode(where + b"/" + name + b".csv")).write_text(body, encoding="utf-8")
        result = ingest([data], store=Path(tmp) / "s")
        paths = Store.open(Path(tmp) / "s").manifest()["path"].to_list()
        assert len(paths) == len(set(paths)) == len(names) + 1  # every file once, names kept apart
        assert all(p.encode("utf-8") for p in paths)  # text a file or a terminal can hold
        assert result.totals["rows_kept"] == len(names) + 3
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            print_ingest_summary(result)  # no name breaks the printed summary
        assert f"保留 {len(names) + 3}" in out.getvalue()


# ---------------------------------------------------------------------------------------------
# A killed ingest leaves the previous store intact and the next ingest completes.
# ---------------------------------------------------------------------------------------------
def _big_csv(path: Path, rows: int) -> None:
    body = "".join(f"000101,2024-{1 + i % 12:02d}-{1 + i % 28:02d},党课,第{i}次\n" for i in range(rows))
    path.write_text("组织编码,活动日期,活动类型,主题\n" + body, encoding="utf-8")


def test_killed_ingest_leaves_previous_store_readable(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    store = tmp_path / "s"
    ingest([data], store=store)
    assert Store.open(store).table("orgs").collect().height == 3
    _big_csv(data / "big.csv", 200_000)
    cmd = [sys.executable, "-m", "analysis", "ingest", str(data), "--store", str(store)]
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        st_ = Store.open(store)  # never half-written: either the old store or the complete new one
        acts = st_.table("activities").collect().height
        assert acts in (0, 200_000)
        assert st_.table("orgs").collect().height == 3
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert Store.open(store).table("activities").collect().height == 200_000
    # stale temp folders swept, the lock released (this process's own read snapshots stay until it ends)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".s.tmp-", ".s.old", ".s.lock"))] == []


def test_xlsx_with_hundreds_of_thousands_of_empty_styled_rows_reads_its_one_row(tmp_path: Path) -> None:
    import xlsxwriter

    data = tmp_path / "in"
    data.mkdir()
    write_registry(data)
    wb = xlsxwriter.Workbook(data / "styled.xlsx", {"constant_memory": True})
    ws = wb.add_worksheet()
    yellow = wb.add_format({"bg_color": "yellow"})
    ws.write_row(0, 0, ["组织编码", "活动日期", "活动类型"])
    ws.write_row(1, 0, ["000101", "2024-01-01", "党课"])
    for r in range(2, 300_000):
        ws.write_blank(r, 0, None, yellow)
        ws.write_blank(r, 1, None, yellow)
    wb.close()
    result = ingest([data], store=tmp_path / "s")
    row = result.files.filter(pl.col("path") == "styled.xlsx").row(0, named=True)
    assert (row["status"], row["rows_read"], row["rows_kept"]) == ("ok", 1, 1)


def test_password_protected_workbook_is_refused_with_a_hint(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    # an encrypted .xlsx is an OLE2 compound file, not a zip
    (data / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    result = ingest([data], store=tmp_path / "s")
    message = result.files.filter(pl.col("path") == "加密.xlsx")["message"].item()
    assert message.startswith("Excel文件无法打开") and "加密" in message
