"""Hardening, round two (issue 15): eleven classes of hostile input that crashed ingest, lost rows or
kept bad numbers, and user mistakes that were shown as internal errors.

Every test builds its files from bytes, runs the real command (or the ingest it calls), and checks the
exact message, the exit code, the rows kept and refused, and that the run's other files were kept.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from analysis.ingest import ingest
from analysis.store import Store

ROOT = Path(__file__).resolve().parents[1]
#: the two-org registry of the issue's set-up
REGISTRY = "组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,党委,\n000101,第一支部,党支部,000100\n"
GOOD = "组织编码,活动日期,活动类型\n000101,2024-05-01,党课\n"
HEAD = "组织编码,活动日期,活动类型,参加人数\n"


def workbench(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (``workbench …``), with this checkout first on the path."""
    home = tempfile.mkdtemp(prefix="workbench-home-")
    base = {"PATH": "/usr/bin:/bin", "COLUMNS": "250", "HOME": home, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, check=False,
        env={**base, **(env or {})}, timeout=timeout,
    )


def inputs(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    """``tmp_path/in`` with the registry, one good activity file and ``files``."""
    data = tmp_path / "in"
    data.mkdir(exist_ok=True)
    (data / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    (data / "good.csv").write_text(GOOD, encoding="utf-8")
    for name, content in files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return data


def manifest(store: Path) -> dict[str, tuple]:
    """path -> (status, message, rows read, kept, refused, duplicate)."""
    m = Store.open(store).manifest()
    cols = ["status", "message", "rows_read", "rows_kept", "rows_refused", "rows_duplicate"]
    return {r["path"]: tuple(r[c] for c in cols) for r in m.iter_rows(named=True)}


def rejects(store: Path, file: str | None = None) -> list[tuple]:
    """(file, row, column, value, reason_zh) of the store's rejects, in order."""
    r = Store.open(store).rejects()
    if file is not None:
        r = r.filter(pl.col("_file") == file)
    return r.select("_file", "_row", "column", "value", "reason_zh").rows()


def assert_rest_kept(store: Path) -> None:
    """The registry and the good activity file of :func:`inputs` are in the store, whole."""
    m = manifest(store)
    assert m["组织.csv"] == ("ok", "", 2, 2, 0, 0)
    assert m["good.csv"] == ("ok", "", 1, 1, 0, 0)
    st = Store.open(store)
    assert st.table("orgs").collect()["org_id"].sort().to_list() == ["000100", "000101"]
    assert ("000101", "good.csv") in st.table("activities").collect().select("org_id", "_file").rows()


def assert_clean(done: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr


# ---------------------------------------------------------------------------------------------
# 1. A file that cannot be parsed is refused alone
# ---------------------------------------------------------------------------------------------
def test_deeply_nested_json_is_refused_alone_and_the_registry_and_other_files_are_kept(tmp_path: Path) -> None:
    deep_value = '[{"组织编码": ' + "[" * 100_000 + "]" * 100_000 + ', "活动日期": "2024-01-01", "活动类型": "党课"}]'
    data = inputs(tmp_path, {
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "objects.json": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "value.json": deep_value,
    })
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    m = manifest(tmp_path / "s")
    for name in ("deep.json", "objects.json", "value.json"):
        assert m[name] == ("refused", "文件嵌套层数过深，无法解析", 0, 0, 0, 0)
    assert_rest_kept(tmp_path / "s")


# ---------------------------------------------------------------------------------------------
# 2. File and folder names that are not UTF-8
# ---------------------------------------------------------------------------------------------
def test_names_that_are_not_utf8_are_read_and_shown_as_gbk_or_escaped(tmp_path: Path) -> None:
    data = inputs(tmp_path, {})
    root = os.fsencode(data)
    body = "组织编码,活动日期,活动类型\n000101,2024-01-0{},党课\n"
    (Path(os.fsdecode(root + b"/" + "活动记录.csv".encode("gbk")))).write_text(body.format(1), encoding="utf-8")
    folder = root + b"/" + "二支部".encode("gbk")
    os.mkdir(folder)
    Path(os.fsdecode(folder + b"/" + "台账.csv".encode("gbk"))).write_text(body.format(2), encoding="utf-8")
    Path(os.fsdecode(root + b"/\xff\xfe.csv")).write_text(body.format(3), encoding="utf-8")
    (data / "活动记录.csv").write_text(body.format(4), encoding="utf-8")  # reads like the GBK name above
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    m = manifest(tmp_path / "s")
    assert {k: v[2:4] for k, v in m.items() if k not in ("组织.csv", "good.csv")} == {
        "活动记录.csv": (1, 1),  # the UTF-8 name, and the GBK one with its bytes escaped beside it
        "\\xbb\\xee\\xb6\\xaf\\xbc\\xc7\\xc2\\xbc.csv": (1, 1),
        "二支部/台账.csv": (1, 1),
        "\\xff\\xfe.csv": (1, 1),
    }
    assert "二支部/台账.csv" in done.stdout
    assert Store.open(tmp_path / "s").table("activities").collect().height == 5
    assert_rest_kept(tmp_path / "s")


# ---------------------------------------------------------------------------------------------
# 3. Pipes, sockets, devices: passed over with a message
# ---------------------------------------------------------------------------------------------
def test_a_fifo_a_socket_and_a_link_to_a_device_are_passed_over_with_a_message(tmp_path: Path) -> None:
    data = inputs(tmp_path, {})
    os.mkfifo(data / "pipe.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(data / "sock.csv"))
    os.symlink("/dev/zero", data / "zero.csv")
    try:
        done = workbench("ingest", str(data), "--store", str(tmp_path / "s"), timeout=120)
    finally:
        sock.close()
    assert_clean(done)
    assert "注意：3 个路径不是普通文件，未读取：pipe.csv（管道）、sock.csv（套接字）、zero.csv（设备）" in done.stdout
    assert sorted(manifest(tmp_path / "s")) == ["good.csv", "组织.csv"]
    assert_rest_kept(tmp_path / "s")
    alone = workbench("ingest", str(data / "pipe.csv"), "--store", str(tmp_path / "s2"), timeout=120)
    assert_clean(alone)
    assert "pipe.csv（管道）" in alone.stdout


# ---------------------------------------------------------------------------------------------
# 4. Two ingests on one store; readers of a store being written
# ---------------------------------------------------------------------------------------------
def _activity_folder(folder: Path, rows: int, tag: str) -> None:
    folder.mkdir(parents=True)
    body = "".join(f"000101,2024-{1 + i % 12:02d}-{1 + i % 28:02d},党课,{tag}{i}\n" for i in range(rows))
    (folder / f"{tag}.csv").write_text("组织编码,活动日期,活动类型,主题\n" + body, encoding="utf-8")


def _ingest_process(folder: Path, store: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "ingest", str(folder), "--store", str(store), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "250", "PYTHONPATH": str(ROOT), "HOME": str(folder)},
    )


@pytest.mark.parametrize("stagger", [0.0, 0.4, 1.5])
def test_two_ingests_on_one_store_never_lose_the_rows_of_a_run_that_reports_success(tmp_path: Path, stagger: float) -> None:
    store = tmp_path / "s"
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "组织.csv").write_text(REGISTRY, encoding="utf-8")
    assert ingest([tmp_path / "reg"], store=store).totals["rows_kept"] == 2
    _activity_folder(tmp_path / "a", 80_000, "甲")
    _activity_folder(tmp_path / "b", 20_000, "乙")
    first = _ingest_process(tmp_path / "a", store)
    time.sleep(stagger)
    second = _ingest_process(tmp_path / "b", store)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    codes = [first.returncode, second.returncode]
    assert set(codes) <= {0, 2} and 0 in codes, outs
    for code, (_, err) in zip(codes, outs, strict=True):
        if code == 2:  # refused whole, with the holder named: nothing of it is in the store
            assert err.startswith("错误：数据仓库 ") and "正由另一个导入进程（进程号 " in err and "加 --wait" in err
        else:
            assert "Traceback" not in err
    expected = 2 + 80_000 * (codes[0] == 0) + 20_000 * (codes[1] == 0)
    st = Store.open(store)
    assert st.table("activities").collect().height + st.table("orgs").collect().height == expected
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".s.tmp-", ".s.lock", ".s.old"))] == []
    # with --wait the second run waits its turn and both runs' rows are kept
    _activity_folder(tmp_path / "c", 50_000, "丙")
    _activity_folder(tmp_path / "d", 5_000, "丁")
    first = _ingest_process(tmp_path / "c", store, "--wait")
    time.sleep(stagger)
    second = _ingest_process(tmp_path / "d", store, "--wait")
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert Store.open(store).table("activities").collect().height == expected - 2 + 55_000


def test_a_reader_reads_the_last_complete_store_while_and_after_an_ingest_writes(tmp_path: Path) -> None:
    store = tmp_path / "s"
    data = inputs(tmp_path, {})
    ingest([data], store=store)
    _activity_folder(tmp_path / "big", 200_000, "甲")
    writer = _ingest_process(tmp_path / "big", store)
    lock = tmp_path / ".s.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    during = Store.open(store)  # a store being written: the last complete one is read
    assert during.table("activities").collect().height == 1
    assert writer.wait(timeout=300) == 0, writer.communicate()
    assert during.table("activities").collect().height == 1  # the swap changed nothing it reads
    assert during.manifest()["path"].to_list() == ["good.csv", "组织.csv"]
    assert Store.open(store).table("activities").collect().height == 200_001


def _lock_file(tmp_path: Path, pid: int, start: str) -> Path:
    lock = tmp_path / ".s.lock"
    lock.write_text(json.dumps({"pid": pid, "start": start, "host": socket.gethostname()}), encoding="utf-8")
    return lock


def _start_time(pid: int) -> str:
    data = Path(f"/proc/{pid}/stat").read_bytes()
    return data[data.rindex(b")") + 2 :].split()[19].decode()


def test_a_stale_lock_of_a_dead_or_recycled_process_is_taken_over_and_a_live_one_refuses(tmp_path: Path) -> None:
    data = inputs(tmp_path, {})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    _lock_file(tmp_path, int(gone.stdout), "123")
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))  # the holder is dead
    assert_clean(done)
    assert not (tmp_path / ".s.lock").exists()
    holder = subprocess.Popen(["sleep", "60"])
    try:
        _lock_file(tmp_path, holder.pid, "1")  # that pid now belongs to a process started at another time
        (data / "b.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-06-01,党课\n", encoding="utf-8")
        assert_clean(workbench("ingest", str(data), "--store", str(tmp_path / "s")))
        assert manifest(tmp_path / "s")["b.csv"] == ("ok", "", 1, 1, 0, 0)
        lock = _lock_file(tmp_path, holder.pid, _start_time(holder.pid))  # a live holder
        (data / "c.csv").write_text("组织编码,活动日期,活动类型\n000101,2024-07-01,党课\n", encoding="utf-8")
        busy = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
        assert_clean(busy, 2)
        assert busy.stderr.replace("\n", "") == (
            f"错误：数据仓库 {tmp_path / 's'} 正由另一个导入进程（进程号 {holder.pid}）写入，本次未导入。"
            f"请等它完成后再导入，或加 --wait 等待其完成；如确认该进程已不在运行，可删除锁文件 {lock}"
        )
        assert "c.csv" not in manifest(tmp_path / "s") and lock.exists()
    finally:
        holder.kill()
        holder.wait()


# ---------------------------------------------------------------------------------------------
# 5. Non-finite and overflowing numbers, every numeric column, every format
# ---------------------------------------------------------------------------------------------
def test_non_finite_and_overflowing_numbers_are_not_valid_numbers_in_every_format(tmp_path: Path) -> None:
    bad = ["inf", "NaN", "1e400", "99999999999999999999999", "-Infinity"]
    csv_rows = "".join(f"000101,2024-01-{i + 1:02d},党课,{v}\n" for i, v in enumerate(bad)) + "000101,2024-01-09,党课,１２\n"
    dues_json = json.dumps(
        [{"组织编码": "000101", "月份": "2024-01", "应交金额": math.nan, "实交金额": math.inf},
         {"组织编码": "000101", "月份": "2024-02", "应交金额": 10**30, "实交金额": 10},
         {"组织编码": "000101", "月份": "2024-03", "应交金额": 10, "实交金额": 10}]
    )
    data = inputs(tmp_path, {
        "acts.csv": HEAD + csv_rows,
        "dues.json": dues_json,  # NaN, Infinity and 10**30 as JSON numbers
        "orgs.csv": "组织编码,组织名称,组织类型,上级组织编码,党员人数\n000102,第二支部,党支部,000100,inf\n",
    })
    pl.DataFrame({"组织编码": ["000101"] * 3, "党员编号": ["m1", "m2", "m3"], "学习日期": ["2024-02-01"] * 3,
                  "天数": [math.nan, 1e300, 1.5]}).write_parquet(data / "study.parquet")
    pl.DataFrame({"组织编码": ["000101"] * 2, "年度": [2024, 2024], "评分项": ["a", "b"],
                  "得分": [-math.inf, 4.0]}).write_parquet(data / "insp.parquet")
    wb = xlsxwriter.Workbook(data / "acts.xlsx")
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["组织编码", "活动日期", "活动类型", "参加人数"])
    ws.write_row(1, 0, ["000101", "2024-03-01", "党课"])
    ws.write_number(1, 3, 1e30)  # an Excel number past any count
    ws.write_row(2, 0, ["000101", "2024-03-02", "党课", "inf"])
    ws.write_row(3, 0, ["000101", "2024-03-03", "党课", 8])
    wb.close()
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    s = tmp_path / "s"
    invalid = {(f, c, v) for f, _, c, v, why in rejects(s) if why.endswith("】不是有效数字")}
    assert invalid == {
        *{("acts.csv", "attendees", v) for v in bad},
        ("acts.xlsx", "attendees", "1000000000000000019884624838656"), ("acts.xlsx", "attendees", "inf"),
        ("dues.json", "due", "nan"), ("dues.json", "paid", "inf"), ("dues.json", "due", "1000000000000000000000000000000"),
        ("orgs.csv", "member_count", "inf"),
        ("study.parquet", "days", "NaN"), ("study.parquet", "days", "1e+300"),
        ("insp.parquet", "score", "-inf"),
    }
    assert len(rejects(s)) == len(invalid)
    m = manifest(s)
    assert {k: v[2:5] for k, v in m.items() if k not in ("组织.csv", "good.csv")} == {
        "acts.csv": (6, 1, 5), "acts.xlsx": (3, 1, 2), "dues.json": (3, 1, 2), "orgs.csv": (1, 0, 1),
        "study.parquet": (3, 1, 2), "insp.parquet": (2, 1, 1),
    }
    st = Store.open(s)
    assert st.table("activities").filter(pl.col("_file") == "acts.csv").collect()["attendees"].to_list() == [12]
    assert st.table("dues").collect().select("due", "paid").rows() == [(10.0, 10.0)]
    assert_rest_kept(s)


# ---------------------------------------------------------------------------------------------
# 6, 7. Excel: uncalculated formulas, error cells, the 1904 date system
# ---------------------------------------------------------------------------------------------
def test_uncalculated_formulas_and_error_cells_are_refused_with_their_own_reason(tmp_path: Path) -> None:
    data = inputs(tmp_path, {})
    wb = openpyxl.Workbook()  # openpyxl writes formulas without a calculated value, as many tools do
    ws = wb.active
    ws.append([None, "组织编码", "活动日期", "活动类型", "参加人数"])  # column A empty: the reader skips it
    ws.append([None, "000101", "2024-01-01", "党课", "=1+1"])
    ws.append([None, "000101", "=DATE(2024,1,2)", "党课", 3])
    ws.append([None, "000101", "2024-01-03", "党课", "#DIV/0!"])  # openpyxl stores these as error cells
    ws.append([None, "000101", "2024-01-04", "党课", "#N/A"])
    ws.append([None, "000101", "2024-01-05", "党课", "#REF!"])
    ws.append([None, "000101", "2024-01-06", "党课", 7])
    ws.append([None, "=B2", "=C2", "=D2", None])  # a row of formulas only
    wb.save(data / "台账.xlsx")
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    formula = "公式没有计算结果，请在 Excel 中打开并保存后再导出"
    assert rejects(tmp_path / "s", "台账.xlsx") == [
        ("台账.xlsx", 2, "attendees", "=1+1", f"【参加人数】{formula}"),
        ("台账.xlsx", 3, "date", "=DATE(2024,1,2)", f"【活动日期】{formula}"),
        ("台账.xlsx", 4, "attendees", "#DIV/0!", "【参加人数】单元格为错误值 #DIV/0!"),
        ("台账.xlsx", 5, "attendees", "#N/A", "【参加人数】单元格为错误值 #N/A"),
        ("台账.xlsx", 6, "attendees", "#REF!", "【参加人数】单元格为错误值 #REF!"),
        ("台账.xlsx", 8, "date", "=C2", f"【活动日期】{formula}"),
        ("台账.xlsx", 8, "kind", "=D2", f"【活动类型】{formula}"),
        ("台账.xlsx", 8, "org_id", "=B2", f"【组织编码】{formula}"),
    ]
    assert manifest(tmp_path / "s")["台账.xlsx"] == ("ok", "", 7, 1, 6, 0)
    kept = Store.open(tmp_path / "s").table("activities").filter(pl.col("_file") == "台账.xlsx").collect()
    assert kept.select("_row", "attendees").rows() == [(7, 7)]
    assert_rest_kept(tmp_path / "s")


def _xlsx(path: Path, sheet_xml: str, workbook_pr: str = "") -> None:
    """A workbook written part by part: a cached formula value, a date style, the date system."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{workbook_pr}'
        '<sheets><sheet name="活动" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{sheet_xml}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in parts.items():
            zf.writestr(name, text)


def _row(n: int, *cells: str) -> str:
    return f'<row r="{n}">' + "".join(cells) + "</row>"


def _text(ref: str, v: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'


_HEADER_ROW = _row(1, _text("A1", "组织编码"), _text("B1", "活动日期"), _text("C1", "活动类型"), _text("D1", "参加人数"))


def test_a_1904_workbook_reads_plain_serials_and_date_cells_from_1904(tmp_path: Path) -> None:
    sheet = _HEADER_ROW + _row(2, _text("A2", "000101"), '<c r="B2"><v>43900</v></c>', _text("C2", "党课")) + _row(
        3, _text("A3", "000101"), '<c r="B3" s="1"><v>43901</v></c>', _text("C3", "党课"),
        '<c r="D3"><f>2*6</f><v>12</v></c>',  # a calculated formula: its cached value is read
    ) + _row(4, _text("A4", "000101"), '<c r="B4" t="e"><f>1/0</f><v>#DIV/0!</v></c>', _text("C4", "党课"))
    data = inputs(tmp_path, {})
    _xlsx(data / "mac.xlsx", sheet, '<workbookPr date1904="1"/>')
    _xlsx(data / "win.xlsx", sheet)
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    st = Store.open(tmp_path / "s")
    rows = st.table("activities").filter(pl.col("_file").is_in(["mac.xlsx", "win.xlsx"])).collect()
    assert sorted(rows.select("_file", "_row", pl.col("date").cast(pl.String), "attendees").rows()) == [
        ("mac.xlsx", 2, "2024-03-11", None), ("mac.xlsx", 3, "2024-03-12", 12),
        ("win.xlsx", 2, "2020-03-10", None), ("win.xlsx", 3, "2020-03-11", 12),
    ]
    assert [r[2:] for r in rejects(tmp_path / "s")] == [("date", "#DIV/0!", "【活动日期】单元格为错误值 #DIV/0!")] * 2
    assert_rest_kept(tmp_path / "s")


# ---------------------------------------------------------------------------------------------
# 8. CSV: quotes that never close, lines longer than the header, repeated headers
# ---------------------------------------------------------------------------------------------
UNCLOSED = "该行的引号没有闭合（其后各行已分别读入），请检查该行的引号"


def test_an_unterminated_quote_refuses_its_line_and_every_other_line_is_read(tmp_path: Path) -> None:
    data = inputs(tmp_path, {
        # the file: the quote on line 2 ran to the end of the file, swallowing lines 3 and 4
        "eof.csv": '组织编码,活动日期,活动类型\n000101,"2024-01-01,党课\n000101,2024-01-02,党课\n000101,2024-01-03,党课\n',
        # a stray quote closed by another one three lines on; a real multi-line cell is kept
        "later.csv": '组织编码,活动日期,活动类型,主题\n000101,2024-02-01,党课,"两行\n的主题"\n000101,2024-02-02,党课,"没闭合\n'
        '000101,2024-02-03,党课,甲\n000101,2024-02-04,党课,"乙"\n',
    })
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    s = tmp_path / "s"
    assert rejects(s) == [
        ("eof.csv", 2, "", '000101,"2024-01-01,党课', UNCLOSED),
        ("later.csv", 4, "", '000101,2024-02-02,党课,"没闭合', UNCLOSED),
    ]
    m = manifest(s)
    assert m["eof.csv"] == ("ok", "", 3, 2, 1, 0)  # 3 data lines: 2 kept, 1 refused
    assert m["later.csv"] == ("ok", "", 4, 3, 1, 0)
    kept = Store.open(s).table("activities").filter(pl.col("_file") == "later.csv").collect()
    assert kept.select("_row", "topic").rows() == [(2, "两行\n的主题"), (5, "甲"), (6, "乙")]
    assert_rest_kept(s)


def test_more_fields_than_headers_and_disagreeing_repeated_headers_get_a_reason(tmp_path: Path) -> None:
    data = inputs(tmp_path, {
        "wide.csv": "组织编码,活动日期,活动类型\n000101,2024-01-01,党课,多出的一列\n000101,2024-01-02,党课,\n",
        "twice.csv": "组织编码,活动日期,活动类型,活动类型\n000101,2024-02-01,党课,党课\n000101,2024-02-02,党课,支委会\n000101,2024-02-03,党课,\n",
    })
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    s = tmp_path / "s"
    assert rejects(s) == [
        ("twice.csv", 3, "kind", "党课", "【活动类型】表头重复（同一列出现多次）且各列取值不一致"),
        ("wide.csv", 2, "", "000101,2024-01-01,党课,多出的一列", "该行的字段多于表头（可能有未加引号的逗号）"),
    ]
    m = manifest(s)
    assert (m["wide.csv"][2:5], m["twice.csv"][2:5]) == ((2, 1, 1), (3, 2, 1))
    record = json.loads(Store.open(s).rejects().filter(pl.col("_file") == "twice.csv")["record"].item())
    assert record == {"组织编码": "000101", "活动日期": "2024-02-02", "活动类型": "党课", "活动类型（第4列）": "支委会"}
    assert_rest_kept(s)


def test_utf16_csv_and_a_thirteenth_month_get_their_own_messages(tmp_path: Path) -> None:
    text = "组织编码,活动日期,活动类型\n000101,2024-01-01,党课\n"
    data = inputs(tmp_path, {
        "unicode.csv": text.encode("utf-16"),  # Excel's "Unicode text", with its byte-order mark
        "nobom.csv": text.encode("utf-16-le"),
        "dues.csv": "组织编码,月份,应交金额,实交金额\n000101,2024-13,10,10\n000101,2024.13,10,10\n000101,202413,10,10\n000101,202403,10,10\n",
    })
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    m = manifest(tmp_path / "s")
    message = "无法识别文件编码（应为UTF-8或GB18030/GBK）：文件为 UTF-16 编码，请另存为 UTF-8 或 GBK 编码的 CSV"
    assert m["unicode.csv"] == m["nobom.csv"] == ("refused", message, 0, 0, 0, 0)
    assert rejects(tmp_path / "s", "dues.csv") == [
        ("dues.csv", 2, "month", "2024-13", "【月份】月份无法识别"),
        ("dues.csv", 3, "month", "2024.13", "【月份】月份无法识别"),
        ("dues.csv", 4, "month", "202413", "【月份】月份无法识别"),
    ]
    months = Store.open(tmp_path / "s").table("dues").collect()["month"].cast(pl.String).to_list()
    assert months == ["2024-03-01"]
    assert_rest_kept(tmp_path / "s")


# ---------------------------------------------------------------------------------------------
# 9, 10. The identity of content: a changed path is read again; re-checks found by content
# ---------------------------------------------------------------------------------------------
def test_a_file_overwritten_with_another_files_content_loses_its_old_rows(tmp_path: Path) -> None:
    a = "组织编码,活动日期,活动类型\n000101,2024-01-01,党课\n"
    b = "组织编码,活动日期,活动类型\n000101,2024-02-02,党课\n"
    data = inputs(tmp_path, {"a.csv": a, "b.csv": b})
    assert_clean(workbench("ingest", str(data), "--store", str(tmp_path / "s")))
    (data / "a.csv").write_text(b, encoding="utf-8")  # a.csv now holds what b.csv holds
    done = workbench("ingest", str(data), "--store", str(tmp_path / "s"))
    assert_clean(done)
    st = Store.open(tmp_path / "s")
    dates = st.table("activities").filter(pl.col("_file").is_in(["a.csv", "b.csv"])).collect()
    assert dates.select("_file", pl.col("date").cast(pl.String)).rows() == [("a.csv", "2024-02-02")]
    m = manifest(tmp_path / "s")
    assert (m["a.csv"], m["b.csv"]) == (("ok", "", 1, 1, 0, 0), ("ok", "", 1, 0, 0, 1))  # b's row: a duplicate now
    assert_rest_kept(tmp_path / "s")


def test_rows_refused_before_the_registry_came_are_kept_when_the_parent_folder_is_ingested(tmp_path: Path) -> None:
    data = inputs(tmp_path, {
        "2024/活动.csv": "组织编码,活动日期,活动类型\n000101,2024-03-01,党课\n000101,2024-03-02,党课\n",
        "2024/学习.csv": "党员编号,组织编码,学习日期,天数\nm1,000101,2024-03-01,2\n",
    })
    s = tmp_path / "s"
    first = workbench("ingest", str(data / "2024"), "--store", str(s))  # no registry in that folder
    assert_clean(first)
    assert manifest(s) == {"活动.csv": ("ok", "", 2, 0, 2, 0), "学习.csv": ("ok", "", 1, 0, 1, 0)}
    done = workbench("ingest", str(data), "--store", str(s))  # the parent: other names, same content
    assert_clean(done)
    assert "2 个此前导入过的文件有行因组织编码不在名册中被拒收，已按现在的名册重新读取：学习.csv、活动.csv" in done.stdout
    assert rejects(s) == []
    m = manifest(s)
    assert (m["活动.csv"], m["学习.csv"]) == (("ok", "", 2, 2, 0, 0), ("ok", "", 1, 1, 0, 0))
    assert "2024/活动.csv" not in m  # the content keeps the name it was first ingested under
    st = Store.open(s)
    assert (st.table("activities").collect().height, st.table("study").collect().height) == (3, 1)
    assert_rest_kept(s)


# ---------------------------------------------------------------------------------------------
# 11. The error log
# ---------------------------------------------------------------------------------------------
FAIL = """
import sys
import analysis.ingest.run as run

def fail(*args, **kwargs):
    raise RuntimeError("故意的内部错误")

run._plan = fail  # an internal error of the ingest, to see what the user and the log get
{extra}
from analysis.cli import main
sys.argv = ["workbench", "ingest", sys.argv[1], "--store", sys.argv[2]]
main()
"""


def _internal_error(tmp_path: Path, env: dict[str, str], extra: str = "") -> subprocess.CompletedProcess[str]:
    data = inputs(tmp_path, {})
    script = tmp_path / "fail.py"
    script.write_text(FAIL.format(extra=extra), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), str(data), str(tmp_path / "s")], capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "COLUMNS": "250", **env},
    )


def test_the_error_log_is_private_new_and_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("不能被覆盖", encoding="utf-8")
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.symlink(victim, shared / "workbench-error.log")  # the old fixed name in the shared temp folder
    state = tmp_path / "state"
    state.mkdir()
    os.symlink(victim, state / "workbench")  # even the log folder planted as a link is not followed
    home = tmp_path / "home"
    home.mkdir()
    done = _internal_error(tmp_path, {"TMPDIR": str(shared), "XDG_STATE_HOME": str(state), "HOME": str(home)})
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert done.stderr.startswith("内部错误：RuntimeError: 故意的内部错误\n详细信息已写入 ")
    log = Path(done.stderr.split("详细信息已写入 ")[1].split("，请将该文件发给维护人员")[0])
    assert log.parent == home / ".local" / "state" / "workbench"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert "RuntimeError: 故意的内部错误" in log.read_text(encoding="utf-8")
    assert victim.read_text(encoding="utf-8") == "不能被覆盖"
    again = _internal_error(tmp_path, {"TMPDIR": str(shared), "XDG_STATE_HOME": str(state), "HOME": str(home)})
    assert len(list(log.parent.iterdir())) == 2 and again.returncode == 3  # a new log each time


def test_when_no_log_can_be_written_the_user_still_gets_one_message_and_no_traceback(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")  # every folder the log could go to lies under a file
    extra = f"import tempfile\ntempfile.tempdir = {str(blocked / 'tmp')!r}"
    done = _internal_error(tmp_path, {"HOME": str(blocked), "XDG_STATE_HOME": str(blocked / "state")}, extra)
    assert done.returncode == 3
    assert done.stderr == "内部错误：RuntimeError: 故意的内部错误\n详细信息无法写入日志文件，请将以上内容发给维护人员。\n"


# ---------------------------------------------------------------------------------------------
# Also: user mistakes are a plain Chinese message and exit code 2, never an internal error
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("small")
    data = inputs(tmp, {})
    ingest([data], store=tmp / "s")
    return tmp / "s"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2024-02-30"], "错误：截止日期「2024-02-30」无法识别，请写作 2024-06-30"),
        (["--ruleset", "没有这套"], "错误：找不到规则集「没有这套」（内置规则集：changzhou-2009、national-2019；也可以给出 .toml 文件路径）"),
        (["--year", "2019"], "错误：该年度没有任何活动记录：2019 年的活动记录为 0 行（有活动记录的年度：2024）。"
         "请检查 --year；确要按没有活动的数据考核（所有组织都将评为不合格），请加 --allow-empty"),
    ],
)
def test_assess_mistakes_are_one_chinese_line_and_exit_two(small_store: Path, tmp_path: Path, args: list[str], message: str) -> None:
    done = workbench("assess", "--store", str(small_store), "--year", "2024", "--out", str(tmp_path / "o"), "--draws", "0", *args)
    assert_clean(done, 2)
    assert done.stderr.replace("\n", "") == message


def test_a_year_without_activity_stops_assess_and_report_unless_allow_empty(small_store: Path, tmp_path: Path) -> None:
    report = workbench("report", "--store", str(small_store), "--year", "2019", "--out", str(tmp_path / "r"))
    assert_clean(report, 2)
    assert report.stderr.startswith("错误：该年度没有任何活动记录：2019 年的活动记录为 0 行")
    done = workbench("assess", "--store", str(small_store), "--year", "2019", "--out", str(tmp_path / "o"),
                     "--draws", "0", "--allow-empty")
    assert_clean(done)
    scores = pl.read_csv(tmp_path / "o" / "scores.csv", schema_overrides={"org_id": pl.String})
    assert scores.select("org_id", "grade").rows() == [("000100", "不合格"), ("000101", "不合格")]


def test_out_naming_a_file_a_full_disk_and_a_read_only_store_are_user_mistakes(small_store: Path, tmp_path: Path) -> None:
    file = tmp_path / "结果.txt"
    file.write_text("", encoding="utf-8")
    named = workbench("assess", "--store", str(small_store), "--year", "2024", "--out", str(file), "--draws", "0")
    assert_clean(named, 2)
    assert named.stderr.replace("\n", "") == f"错误：--out 应为文件夹，而 {file} 是一个文件；请换一个文件夹名"
    full = tmp_path / "full"
    full.mkdir()
    os.symlink("/dev/full", full / "scores.csv")  # writing scores.csv meets a full disk
    disk = workbench("assess", "--store", str(small_store), "--year", "2024", "--out", str(full), "--draws", "0")
    assert_clean(disk, 2)
    assert disk.stderr.startswith("错误：磁盘空间不足，无法写入")
    data = inputs(tmp_path, {"b.csv": "组织编码,活动日期,活动类型\n000101,2024-08-01,党课\n"})
    folder = tmp_path / "只读"
    assert_clean(workbench("ingest", str(data / "组织.csv"), "--store", str(folder / "s")))
    with read_only(folder):
        ro = workbench("ingest", str(data), "--store", str(folder / "s"))
    assert_clean(ro, 2)
    assert ro.stderr.replace("\n", "") == f"错误：没有权限访问 {folder / 's'}；请换一个位置，或请管理员开放权限（原有数据仓库保持不变）"
    assert sorted(manifest(folder / "s")) == ["组织.csv"]


class read_only:  # noqa: N801 - used as a context manager, named for what it does
    """The folder made read-only for the block: by its mode, or (root ignores modes) its immutable flag."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(self.folder)], check=True)
        else:
            self.folder.chmod(0o555)

    def __exit__(self, *exc: object) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(self.folder)], check=True)
        else:
            self.folder.chmod(0o755)


def test_an_interrupted_wait_is_a_clean_stop(tmp_path: Path) -> None:
    data = inputs(tmp_path, {})
    holder = subprocess.Popen(["sleep", "60"])
    try:
        _lock_file(tmp_path, holder.pid, _start_time(holder.pid))
        waiting = _ingest_process(data, tmp_path / "s", "--wait")
        assert waiting.stderr is not None
        told = waiting.stderr.readline()  # it says it waits, and waits for the holder
        time.sleep(1)
        assert waiting.poll() is None
        waiting.send_signal(signal.SIGINT)
        _, err = waiting.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert told == f"数据仓库 {tmp_path / 's'} 正由另一个导入进程（进程号 {holder.pid}）写入，等待其完成……\n"
    assert (waiting.returncode, err) == (130, "已中止。\n")
    assert not (tmp_path / "s").exists()
