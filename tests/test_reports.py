"""Reports: the papermill batch, failure collection, offline HTML, the index, and the report helpers.

The batch tests run real kernels on tiny notebooks written into ``tmp_path`` (and on the real
数据质量 notebook over a store written with ``write_store``), so they exercise the same path as
``workbench report``: jupytext -> papermill in worker processes -> nbconvert with the offline template.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest
from papermill.exceptions import PapermillExecutionError

from analysis import reports
from analysis.reports import Report, external_refs, notebook_to_html, run_reports
from analysis.store import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REJECTS_SCHEMA, Store, conform, write_store

HEADER = """\
# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""

#: the parameters cell of the test report notebooks run once per org
PARAMETERS = """
# %% tags=["parameters"]
store_path = ""
year = 0
ruleset = ""
charts_dir = ""
org_id = "none"
"""

# Cell 0 parameters, cell 1 papermill's injected parameters, cell 2 a chart, cell 3 the timestamps.
GOOD = (
    HEADER
    + PARAMETERS
    + """
# %%
import time
started = time.time()
from IPython.display import Markdown, display
import polars as pl
from analysis import charts
charts.show(charts.count_bars(pl.DataFrame({"k": ["甲", "乙"], "rows": [2, 1]}), "k", title="测试图"), charts_dir, "测试图")
display(Markdown(f"参数：{org_id!r} {type(org_id).__name__} {year!r}"))

# %%
time.sleep(2)
print(f"interval {started} {time.time()}")
"""
)

# Cell 0 parameters, 1 injected, 2 fine, 3 fails (executed fourth: In [4]).
FAILING = (
    HEADER
    + """
# %% tags=["parameters"]
store_path = ""
year = 0

# %%
x = 1

# %%
{"a": 1}["没有这一项"]

# %%
print("never reached")
"""
)


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def make_store(path: Path) -> Path:
    """A small store as ingest writes it: a registry, two refused rows and one refused file."""
    orgs = pl.DataFrame(
        {
            "org_id": ["000100", "000101", "000102"],
            "name": ["机关党委", "第一党支部", "第二党支部"],
            "org_type": ["committee", "branch", "branch"],
            "parent_id": [None, "000100", "000100"],
            "_file": "组织.xlsx",
            "_sheet": "名册",
            "_row": [2, 3, 4],
        }
    )
    records = [{"组织编码": "000101", "活动日期": "2024-13-01"}, {"组织 编码*": "009999"}, None]
    rejects = pl.DataFrame(
        {
            "table": ["activities", "activities", ""],
            "_file": ["活动.xlsx", "活动.xlsx", "坏文件.txt"],
            "_sheet": ["2024", "2024", ""],
            "_row": [5, 9, None],
            "column": ["date", "org_id", ""],
            "value": ["2024-13-01", "009999", ""],
            "reason_code": ["bad_date", "unknown_org", "unreadable"],
            "reason_zh": ["日期无法识别", "组织编码不在组织名册中", "文件无法读取"],
            "reason_en": ["bad date", "unknown org", "unreadable"],
            "record": [json.dumps(r, ensure_ascii=False) if r else None for r in records],
        },
        schema=REJECTS_SCHEMA,
    )
    manifest = pl.DataFrame(
        {
            "path": ["组织.xlsx", "活动.xlsx", "坏文件.txt"],
            "size": [100, 200, 5],
            "sha256": ["a", "b", "c"],
            "tables": ["orgs", "activities", ""],
            "status": ["ok", "ok", "refused"],
            "message": ["", "", "无法识别的文件格式"],
            "rows_read": [3, 10, 0],
            "rows_kept": [3, 7, 0],
            "rows_refused": [0, 2, 0],
            "rows_duplicate": [0, 1, 0],
            "ingested_at": "2025-01-01T00:00:00",
        },
        schema=MANIFEST_SCHEMA,
    )
    activities = pl.DataFrame(
        {"org_id": ["000101"] * 2, "date": [date(2023, 5, 1), date(2024, 3, 1)], "kind": "group_study"}
    )
    write_store(
        path,
        {"orgs": conform(orgs, "orgs"), "activities": conform(activities, "activities")},
        pl.DataFrame(schema={"table": pl.String, **PROVENANCE_SCHEMA}),
        rejects,
        manifest,
        {"orgs": ["org_id", "name", "org_type", "parent_id"], "activities": ["org_id", "date", "kind"]},
    )
    return path


# ------------------------------------------------------------------------------------------------
# One batch, shared: a good report run twice (one run per value), a failing report, in parallel.
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> reports.ReportRun:
    root = tmp_path_factory.mktemp("batch")
    store = make_store(root / "store")
    good = _write(root / "good.py", GOOD)
    failing = _write(root / "failing.py", FAILING)
    batch_reports = [
        Report(
            "测试报告",
            str(good),
            each="org_id",
            values=lambda s: [("000123", "甲单位"), ("000456", "乙单位")],
        ),
        Report("出错报告", str(failing)),
    ]
    return run_reports(
        store, 2024, root / "out", reports=batch_reports, workers=2, keep_notebooks=True, progress=False
    )


def test_failing_notebook_is_reported_with_report_name_and_cell(batch: reports.ReportRun) -> None:
    assert len(batch.failures) == 1
    failure = batch.failures[0]
    assert (failure.report, failure.label) == ("出错报告", "出错报告")
    assert (failure.cell_index, failure.exec_count) == (3, 4)
    assert failure.error_name == "KeyError"
    assert "没有这一项" in failure.error_message
    assert failure.cell_source.strip() == '{"a": 1}["没有这一项"]'
    assert failure.notebook is not None and failure.notebook.is_file()
    assert failure.describe() == "出错报告：第 4 个单元格（In [4]）出错：KeyError: '没有这一项'"
    assert not batch.ok


def test_failure_does_not_stop_the_other_reports(batch: reports.ReportRun) -> None:
    assert [o.label for o in batch.outputs] == ["测试报告_甲单位", "测试报告_乙单位"]
    for output in batch.outputs:
        assert output.html.is_file() and output.notebook.is_file()
        assert (batch.out_dir / "charts" / output.label / "测试图.png").is_file()


def test_index_links_every_report_and_names_the_failure(batch: reports.ReportRun) -> None:
    index = batch.index.read_text(encoding="utf-8")
    assert '<html lang="zh">' in index
    assert (
        'href="%E6%B5%8B%E8%AF%95%E6%8A%A5%E5%91%8A_%E7%94%B2%E5%8D%95%E4%BD%8D.html"' in index
    )  # 测试报告_甲单位
    assert "出错报告：第 4 个单元格（In [4]）出错：KeyError" in index
    assert external_refs(index) == []


def test_parameters_reach_the_notebook_as_python_values(batch: reports.ReportRun) -> None:
    nb = nbformat.read(batch.outputs[0].notebook, as_version=4)
    texts = [
        o.get("data", {}).get("text/markdown", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    ]
    assert "参数：'000123' str 2024" in texts


def test_report_runs_overlap_in_time(batch: reports.ReportRun) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the batch runs one notebook at a time")
    intervals = []
    for output in batch.outputs:
        nb = nbformat.read(output.notebook, as_version=4)
        line = next(
            o["text"]
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.get("name") == "stdout"
        )
        _, start, end = line.split()
        intervals.append((float(start), float(end)))
    (a_start, a_end), (b_start, b_end) = intervals
    assert a_start < b_end and b_start < a_end  # the two kernels ran at the same time


#: the only scripts a page loads: the two it shares with the other pages of its batch, next to it
SHARED_SCRIPTS = ["assets/font.js", "assets/tables.js"]


def _script_sources(page: str) -> list[str]:
    return re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", page)


def test_every_report_page_is_offline(batch: reports.ReportRun) -> None:
    for output in batch.outputs:
        page = output.html.read_text(encoding="utf-8")
        assert external_refs(page) == []
        assert page.startswith("<!DOCTYPE html>") and '<html lang="zh">' in page
        assert '<meta charset="utf-8"' in page
        assert _script_sources(page) == SHARED_SCRIPTS
        assert "charts.show" not in page  # code hidden
        assert "data:image/png;base64," in page
        assert len(page) < 200_000  # no JupyterLab stylesheet (0.5 MB), no font, one small chart
    for shared in SHARED_SCRIPTS:
        assert (batch.out_dir / shared).is_file()
    assert batch.warnings == []


# ------------------------------------------------------------------------------------------------
# Retrying a kernel that did not start.
# ------------------------------------------------------------------------------------------------
def _job(tmp_path: Path) -> Any:
    return reports._Job(
        report="测试",
        label="测试",
        source=tmp_path / "x.py",
        parameters={},
        ipynb=tmp_path / "x.ipynb",
        html=tmp_path / "x.html",
        cwd=tmp_path,
        start_timeout=5,
        cell_timeout=None,
    )


LEAKY = (
    HEADER
    + PARAMETERS
    + """
# %%
print("leak" in globals(), org_id)
leak = org_id
"""
)


def test_a_warm_kernel_forgets_the_previous_notebook(tmp_path: Path) -> None:
    # one worker: the three notebooks run one after another in the same kernel
    nb = _write(tmp_path / "leaky.py", LEAKY)
    orgs = [("000001", "甲"), ("000002", "乙"), ("000003", "丙")]
    run = run_reports(
        make_store(tmp_path / "store"), 2024, tmp_path / "out",
        reports=[Report("泄漏", str(nb), each="org_id", values=lambda s: orgs)], workers=1, keep_notebooks=True,
        progress=False,
    )
    assert run.ok and len(run.outputs) == 3
    for output, (org, _) in zip(run.outputs, orgs, strict=True):
        executed = nbformat.read(output.notebook, as_version=4)
        assert executed.metadata.papermill.input_path == str(nb)  # a name, not a copy of the notebook
        cells = [c for c in executed.cells if c.cell_type == "code"]
        # the written notebook starts with its own parameters cell (the reset cell is taken out) ...
        assert "parameters" in cells[0].metadata.get("tags", [])
        # ... its cells are numbered from 1, and the variable of the previous notebook is gone
        assert [c.execution_count for c in cells] == [1, 2, 3]
        assert [o["text"] for o in cells[2].outputs] == [f"False {org}\n"]


def test_kernel_start_failure_is_retried_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def flaky(job: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        nbformat.write(nbformat.v4.new_notebook(), job.ipynb)

    result = reports._run_job(0, _job(tmp_path), execute=flaky)
    assert result.failure is None and result.output is not None
    assert result.output.attempts == 2
    assert result.output.html.is_file()


def test_kernel_that_never_starts_fails_after_two_attempts(tmp_path: Path) -> None:
    def dead(job: Any) -> None:
        raise RuntimeError("Kernel didn't respond in 5 seconds")

    result = reports._run_job(0, _job(tmp_path), execute=dead)
    assert result.failure is not None
    assert (result.failure.error_name, result.failure.attempts) == ("RuntimeError", 2)


def test_cell_timeout_is_not_mistaken_for_a_kernel_that_did_not_start(tmp_path: Path) -> None:
    from nbclient.exceptions import CellTimeoutError

    calls: list[int] = []

    def slow(job: Any) -> None:
        calls.append(1)
        raise CellTimeoutError("A cell timed out while it was being executed, after 1800 seconds.")

    result = reports._run_job(0, _job(tmp_path), execute=slow)
    assert len(calls) == 1
    assert result.failure is not None and result.failure.error_name == "CellTimeoutError"


def test_failing_cell_is_not_retried(tmp_path: Path) -> None:
    calls: list[int] = []

    def broken(job: Any) -> None:
        calls.append(1)
        raise PapermillExecutionError(4, 3, "1/0", "ZeroDivisionError", "division by zero", [])

    result = reports._run_job(0, _job(tmp_path), execute=broken)
    assert len(calls) == 1
    assert result.failure is not None and (result.failure.cell_index, result.failure.attempts) == (4, 1)


# ------------------------------------------------------------------------------------------------
# Offline HTML.
# ------------------------------------------------------------------------------------------------
def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>图</text></svg>'
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 标题\n\n公式 $x^2$ 与 ```mermaid``` 都不应引入外部脚本。"),
        nbformat.v4.new_code_cell(
            "secret_code = 1",
            outputs=[
                nbformat.v4.new_output("display_data", data={"image/svg+xml": svg, "text/plain": "<SVG>"}),
                nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: 用户不需要看到"),
            ],
        ),
    ]
    nbformat.write(nb, path)
    return path


def test_exported_page_loads_nothing_from_the_network(tmp_path: Path) -> None:
    html = notebook_to_html(_notebook(tmp_path / "报告.ipynb"), tmp_path / "报告.html", title="测试报告")
    page = html.read_text(encoding="utf-8")
    assert external_refs(page) == []
    assert _script_sources(page) == SHARED_SCRIPTS
    assert '<html lang="zh">' in page and "<title>测试报告</title>" in page
    assert "secret_code" not in page and "用户不需要看到" not in page
    assert "data:image/svg+xml;base64," in page


def test_stock_lab_template_would_load_from_a_cdn(tmp_path: Path) -> None:
    # The control for the test above: the same notebook through nbconvert's own `lab` template
    # references require.js and MathJax on a CDN, and external_refs finds them.
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_filename(str(_notebook(tmp_path / "x.ipynb")))
    assert any("require" in r for r in external_refs(page))
    assert any("mathjax" in r.lower() for r in external_refs(page))


def test_external_refs_finds_fetches_and_ignores_links() -> None:
    page = """
    <script src="https://cdn.example/vega.js"></script><script>var u = "https://x";</script>
    <link rel="stylesheet" href="//fonts.example/css"><link href="local.css">
    <img src="HTTP://img.example/a.png"><img src="data:image/png;base64,AAAA">
    <style>@import "https://css.example/a.css"; .a { background: url('http://bg.example/b.png') }
    .b { background: url(data:image/svg+xml;base64,AAA) }</style>
    <div style="background-image: url(https://inline.example/c.png)"></div>
    <a href="https://www.example/">链接</a>
    """
    assert external_refs(page) == [
        "https://cdn.example/vega.js",
        "//fonts.example/css",
        "HTTP://img.example/a.png",
        "https://css.example/a.css",
        "http://bg.example/b.png",
        "https://inline.example/c.png",
    ]


# ------------------------------------------------------------------------------------------------
# The 数据质量 report on a real store.
# ------------------------------------------------------------------------------------------------
def test_data_quality_report_runs_on_a_written_store(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    run = run_reports(
        store,
        2024,
        tmp_path / "out",
        reports=[r for r in reports.REPORTS if r.title == "数据质量"],
        keep_notebooks=True,
        progress=False,
    )
    assert run.ok, [f.describe() for f in run.failures]
    page = (tmp_path / "out" / "数据质量.html").read_text(encoding="utf-8")
    assert "共导入 <strong>3</strong> 个文件，其中整份拒收 <strong>1</strong> 个" in page
    assert external_refs(page) == []
    executed = (tmp_path / "out" / "notebooks" / "数据质量.ipynb").read_text(encoding="utf-8")
    chart_svgs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "charts").rglob("*.svg"))
    assert "009999（不在组织名册中）" in chart_svgs  # a bar label of the by-org chart
    assert "image/png" in executed  # charts are shown as PNG drawn with the CJK font
    names = sorted(p.name for p in (tmp_path / "out" / "charts" / "数据质量").iterdir())
    assert "拒收原因.png" in names and "各组织拒收行数.pdf" in names


def test_missing_store_is_refused_in_chinese(tmp_path: Path) -> None:
    from analysis.store import StoreError

    with pytest.raises(StoreError, match="找不到数据仓库"):
        run_reports(tmp_path / "无此仓库", 2024, tmp_path / "out", progress=False)


# ------------------------------------------------------------------------------------------------
# Helpers the notebooks call.
# ------------------------------------------------------------------------------------------------
def test_quality_counts_rejects_by_reason_file_and_org(tmp_path: Path) -> None:
    q = reports.quality(Store.open(make_store(tmp_path / "store")))
    assert q.totals == {
        "files": 3,
        "refused_files": 1,
        "rows_read": 13,
        "rows_kept": 10,
        "rows_refused": 2,
        "rows_duplicate": 1,
    }
    assert q.by_org.rows() == [
        ("000101", "第一党支部", 1),
        ("009999", "009999（不在组织名册中）", 1),
        (None, "（无法识别组织）", 1),
    ]
    assert q.by_file.rows() == [("活动.xlsx", 2), ("坏文件.txt", 1)]
    assert q.files.select("path", "status").rows() == [
        ("坏文件.txt", "整份拒收"),
        ("活动.xlsx", "已导入"),
        ("组织.xlsx", "已导入"),
    ]


def test_top_level_orgs_and_years_with_data(tmp_path: Path) -> None:
    store = Store.open(make_store(tmp_path / "store"))
    assert reports.top_level_orgs(store) == [("000100", "机关党委")]
    assert reports.years_with_data(store) == [2023, 2024]


def test_subtree_and_select_orgs_follow_parents_at_any_depth() -> None:
    scores = pl.DataFrame(
        {
            "org_id": ["1", "11", "111", "12", "2"],
            "parent_id": [None, "1", "11", "1", None],
            "org_type": ["committee", "general_branch", "branch", "branch", "committee"],
        }
    )
    assert reports.subtree(scores, "1")["org_id"].to_list() == ["1", "11", "111", "12"]
    assert reports.subtree(scores, "1", include_root=False)["org_id"].to_list() == ["11", "111", "12"]
    assert reports.select_orgs(scores, under="1", org_type="branch")["org_id"].to_list() == ["111", "12"]
    assert reports.select_orgs(scores)["org_id"].to_list() == ["1", "11", "111", "12", "2"]


def test_evidence_refs_name_file_sheet_and_rows() -> None:
    evidence = pl.DataFrame(
        {
            "org_id": ["1"] * 4,
            "rule_id": ["r"] * 4,
            "table": ["activities"] * 4,
            "_file": ["活动.xlsx", "活动.xlsx", "活动.xlsx", "学习.csv"],
            "_sheet": ["2024", "2024", "2024", ""],
            "_row": [9, 3, 5, 2],
        }
    )
    out = reports.evidence_refs(evidence, max_rows=2)
    assert out.rows() == [("1", "r", "学习.csv 第2行；活动.xlsx[2024] 第3、5行等3行")]


def test_grade_summary_counts_every_grade() -> None:
    scores = pl.DataFrame(
        {"score": [95.0, 85.0, None], "grade": ["优秀", "良好", "不合格"], "vetoed": [False, False, True]}
    )
    assert reports.grade_summary(scores) == {
        "n": 3,
        "grades": {"优秀": 1, "良好": 1, "合格": 0, "不合格": 1},
        "vetoed": 1,
        "mean": 90.0,
        "median": 90.0,
    }


def test_every_declared_notebook_exists_and_has_a_parameters_cell() -> None:
    import jupytext

    for report in reports.REPORTS:
        nb = jupytext.read(report.notebook_path())
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, report.title
        for name in ("store_path", "year", "ruleset", "charts_dir", *([report.each] if report.each else [])):
            assert f"{name} = " in tagged[0].source, (report.title, name)


# ------------------------------------------------------------------------------------------------
# The real notebooks on the synthetic city (one 单位画像 instead of sixty).
# ------------------------------------------------------------------------------------------------
def test_every_report_notebook_runs_on_the_demo_data(tmp_path: Path) -> None:
    synth = pytest.importorskip("analysis.synth")
    pytest.importorskip("analysis.assess")
    from analysis.ingest import ingest

    synth.generate_sample(tmp_path / "files", seed=2024)
    ingest([tmp_path / "files"], tmp_path / "store")
    chosen = [
        replace(r, values=lambda store, first=r.values: first(store)[:1]) if r.values else r
        for r in reports.REPORTS
    ]
    run = run_reports(tmp_path / "store", 2024, tmp_path / "out", reports=chosen, progress=False)
    assert run.ok, [f.describe() for f in run.failures]
    st = Store.open(tmp_path / "store")  # 自评核查 runs only when the data holds self-scores of the year
    assert [o.report for o in run.outputs] == [r.title for r in reports.REPORTS if r.when is None or r.when(st, 2024)]
    assert run.warnings == []
    for output in run.outputs:
        assert external_refs(output.html.read_text(encoding="utf-8")) == []


def test_the_callers_work_meanwhile_is_done_before_the_index_which_lists_its_files(tmp_path: Path) -> None:
    nb = _write(tmp_path / "leaky.py", LEAKY)
    out = tmp_path / "out"

    def office_files() -> None:  # what workbench report writes while the workers run
        (out / "考核结果").mkdir(parents=True)
        (out / "考核结果" / "scores.csv").write_text("org_id\n", encoding="utf-8")

    run = run_reports(make_store(tmp_path / "store"), 2024, out, reports=[Report("泄漏", str(nb))], workers=1,
                      progress=False, meanwhile=office_files)
    assert run.ok and [o.label for o in run.outputs] == ["泄漏"]
    assert "scores.csv" in run.index.read_text(encoding="utf-8")


def test_a_failure_of_the_work_meanwhile_is_raised_and_no_index_is_written(tmp_path: Path) -> None:
    nb = _write(tmp_path / "leaky.py", LEAKY)
    out = tmp_path / "out"

    def broken() -> None:
        raise RuntimeError("考核结果写不出")

    with pytest.raises(RuntimeError, match="考核结果写不出"):
        run_reports(make_store(tmp_path / "store"), 2024, out, reports=[Report("泄漏", str(nb))], workers=1,
                    progress=False, meanwhile=broken)
    assert not (out / "index.html").exists()
