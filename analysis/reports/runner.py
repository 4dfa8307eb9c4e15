"""Reports: a declarative list of notebooks, a papermill batch, offline HTML export and an index page.

A report is a jupytext ``py:percent`` notebook in ``notebooks/`` (reviewable in git).  At run time it
is read with jupytext, executed by papermill in a fresh ``python3`` kernel with the run's parameters
(passed as Python values, so a code like ``"000123"`` stays a string), saved as an executed
``.ipynb`` and exported to a self-contained HTML page with the ``offline_zh`` nbconvert template:
code hidden, no require.js, no MathJax, nothing fetched from the network, ``<html lang="zh">``.

Layout of an output folder::

    index.html                 目录: every report, with the failures and their reasons
    <报告名>.html               one page per run (单位画像 once per top-level organisation)
    notebooks/<报告名>.ipynb    the executed notebooks, for checking a number or a failure
    charts/<报告名>/*.png|svg|pdf  every chart, for slides and print

Runs go to worker processes (at most ``os.cpu_count()``); a kernel that fails to start is retried
once; a failing cell does not stop the batch: :func:`run_reports` collects the failure (report, cell,
error) and carries on, and the caller decides the exit code.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl

from analysis.store import Store, years_with_data
from analysis.vocab import GRADES, TABLES, normalize_header

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  #: the folder that holds ``analysis/``
NOTEBOOKS_DIR = PACKAGE_ROOT / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "offline_zh"
KERNEL_NAME = "python3"
KERNEL_LOG = "kernels.log"  #: stderr of the worker processes and their kernels, in out/notebooks/
DEFAULT_RULESET = "changzhou-2009"
INDEX_TITLE = "党建目标管理考核报告"


# --------------------------------------------------------------------------------------------
# The reports.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """One report: which notebook, its Chinese title, and its fixed parameters.

    With ``each`` set, the report runs once per value that ``values(store)`` lists: ``each`` is the
    notebook parameter that receives the value, and ``values`` returns ``(value, label)`` pairs, the
    label naming the run in file names and in the index.
    """

    title: str
    notebook: str  # file name in NOTEBOOKS_DIR, or an absolute path
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    each: str | None = None
    values: Callable[[Store], list[tuple[Any, str]]] | None = None

    def notebook_path(self, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
        p = Path(self.notebook)
        return p if p.is_absolute() else notebooks_dir / p


def top_level_orgs(store: Store) -> list[tuple[str, str]]:
    """``(org_id, name)`` of every organisation without a parent in the registry, by code."""
    orgs = store.table("orgs").select("org_id", "name", "parent_id").collect()
    known = orgs["org_id"]
    tops = orgs.filter(
        pl.col("parent_id").is_null()
        | (pl.col("parent_id") == "")
        | ~pl.col("parent_id").is_in(known.implode())
    ).sort("org_id")
    return list(zip(tops["org_id"].to_list(), tops["name"].fill_null(tops["org_id"]).to_list(), strict=True))


REPORTS: tuple[Report, ...] = (
    Report(
        "年度考核综合对比",
        "annual_overview.py",
        "全部组织的得分分布、排名、考核项达标热力图、各类别达标情况和同比变化；可按上级组织或组织类型筛选。",
    ),
    Report(
        "先进基层党组织评选",
        "advanced_selection.py",
        "按名额推荐的候选名单、入选概率与排名区间（稳健性）以及各候选的考核依据。",
    ),
    Report(
        "后进支部排查",
        "weak_branches.py",
        "需要重点关注的支部及原因、同级比较（漏斗图）和多年走势。",
    ),
    Report(
        "单位画像",
        "org_profile.py",
        "一个党委及其下属组织逐项考核结果和依据，每个党委一份。",
        each="org_id",
        values=top_level_orgs,
    ),
    Report(
        "数据质量",
        "data_quality.py",
        "已导入的文件，保留、拒收和重复的行数，以及拒收原因（按原因、文件和组织）。",
    ),
)


# --------------------------------------------------------------------------------------------
# Helpers the notebooks call (they compute nothing of their own).
# --------------------------------------------------------------------------------------------
def subtree(frame: pl.DataFrame, root_id: str, include_root: bool = True) -> pl.DataFrame:
    """The rows of ``frame`` (which carries ``org_id, parent_id``) for ``root_id`` and every
    organisation below it, at any depth."""
    children: dict[str, list[str]] = {}
    for org, parent in zip(frame["org_id"].to_list(), frame["parent_id"].to_list(), strict=True):
        children.setdefault(parent, []).append(org)
    found, todo = set(), [root_id]
    while todo:
        org = todo.pop()
        if org not in found:
            found.add(org)
            todo.extend(children.get(org, []))
    if not include_root:
        found.discard(root_id)
    return frame.filter(pl.col("org_id").is_in(sorted(found)))


def select_orgs(scores: pl.DataFrame, under: str | None = None, org_type: str | None = None) -> pl.DataFrame:
    """The report filter: organisations at or below ``under`` and of type ``org_type``
    (``committee``/``general_branch``/``branch``); ``None`` keeps all."""
    out = scores if not under else subtree(scores, under)
    if org_type:
        out = out.filter(pl.col("org_type") == org_type)
    return out


_ASSESSMENTS: dict[tuple[Any, ...], Any] = {}


def cached_assess(store: Store, year: int, ruleset: str = DEFAULT_RULESET) -> Any:
    """``assess(store, year, ruleset)``, remembered for the life of the process.

    A report worker keeps one kernel for many notebooks (60 单位画像 runs assess the same store and
    year); the kernel's ``%reset`` clears the notebook's variables but not imported modules, so this
    cache turns 60 assessments into one.  The key includes the store's ``store.json`` modification
    time: a new ingest (which swaps the whole folder) is never served a stale result.
    """
    from analysis.assess import assess

    if store.path is None:
        return assess(store, year, ruleset=ruleset)
    meta = Path(store.path) / "store.json"
    key = (str(Path(store.path).resolve()), meta.stat().st_mtime_ns, int(year), str(ruleset))
    if key not in _ASSESSMENTS:
        if len(_ASSESSMENTS) >= 8:
            _ASSESSMENTS.pop(next(iter(_ASSESSMENTS)))
        _ASSESSMENTS[key] = assess(store, year, ruleset=ruleset)
    return _ASSESSMENTS[key]


def grade_summary(scores: pl.DataFrame) -> dict[str, Any]:
    """The numbers a report's first paragraph quotes: how many organisations, per grade, vetoed,
    and the mean and median score."""
    scored = scores["score"].drop_nulls()
    counts = dict(scores.group_by("grade").len().iter_rows())
    return {
        "n": scores.height,
        "grades": {g: int(counts.get(g, 0)) for g in GRADES},
        "vetoed": int(scores["vetoed"].fill_null(False).sum()),
        "mean": round(float(scored.mean()), 1) if scored.len() else None,
        "median": round(float(scored.median()), 1) if scored.len() else None,
    }


def evidence_refs(evidence: pl.DataFrame, max_rows: int = 12) -> pl.DataFrame:
    """``org_id, rule_id, evidence``: where each result comes from, as a reader can look it up —
    "活动.xlsx[2024] 第3、5、9行" per source, the first ``max_rows`` row numbers of each."""
    sheet = (
        pl.when(pl.col("_sheet").fill_null("") == "")
        .then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit("["), pl.col("_sheet"), pl.lit("]")))
    )
    per_source = (
        evidence.sort("_row")
        .group_by("org_id", "rule_id", "_file", "_sheet", maintain_order=True)
        .agg(rows=pl.col("_row").cast(pl.String), n=pl.len())
        .with_columns(
            text=pl.concat_str(
                pl.col("_file"),
                sheet,
                pl.lit(" 第"),
                pl.col("rows").list.head(max_rows).list.join("、"),
                pl.lit("行"),
                pl.when(pl.col("n") > max_rows)
                .then(pl.concat_str(pl.lit("等"), pl.col("n").cast(pl.String), pl.lit("行")))
                .otherwise(pl.lit("")),
            )
        )
    )
    return per_source.group_by("org_id", "rule_id", maintain_order=True).agg(
        evidence=pl.col("text").str.join("；")
    )


def rule_table(assessment: Any, org_ids: Iterable[str]) -> pl.DataFrame:
    """Rubric results of ``org_ids`` item by item, in rubric order, with the rule title and the
    evidence references: what a 单位画像 or a candidate's file shows."""
    ids = list(org_ids)
    items = list(assessment.ruleset.items)
    order = pl.DataFrame(
        {
            "rule_id": [i.rule_id for i in items],
            "rule": [i.title_zh for i in items],
            "_order": list(range(len(items))),
        },
        schema={"rule_id": pl.String, "rule": pl.String, "_order": pl.Int64},
    )
    names = assessment.scores.select("org_id", "name")
    return (
        assessment.rules.filter(pl.col("org_id").is_in(ids))
        .join(order, on="rule_id", how="left")
        .join(names, on="org_id", how="left")
        .join(evidence_refs(assessment.evidence), on=["org_id", "rule_id"], how="left")
        .with_columns(pl.col("rule").fill_null(pl.col("rule_id")))
        .sort(pl.col("org_id").replace_strict(ids, list(range(len(ids))), return_dtype=pl.Int64), "_order")
        .select(
            "org_id",
            "name",
            "category",
            "rule",
            "status",
            "measured",
            "required",
            "points",
            "earned",
            "evidence",
        )
    )


MANIFEST_STATUS_ZH = {"ok": "已导入", "refused": "整份拒收"}
_ORG_ID_HEADERS = frozenset(
    normalize_header(spelling)
    for table in TABLES.values()
    if "org_id" in table.names
    for spelling in (table.column("org_id").name, table.column("org_id").zh, *table.column("org_id").aliases)
)
UNKNOWN_ORG = "（无法识别组织）"
NOT_IN_REGISTRY = "（不在组织名册中）"


@dataclass(frozen=True)
class Quality:
    """What the 数据质量 report shows, ready to display."""

    files: pl.DataFrame  # one row per ingested file
    totals: dict[str, int]  # files, refused_files, rows_read, rows_kept, rows_refused, rows_duplicate
    by_reason: pl.DataFrame  # reason_zh, rows
    by_file: pl.DataFrame  # _file, rows
    by_org: pl.DataFrame  # org_id, name, rows
    rejects: pl.DataFrame  # the refused rows, with org_id where the source row names one


def _record_org_id(record: str | None) -> str | None:
    if not record:
        return None
    try:
        row = json.loads(record)
    except ValueError:
        return None
    if not isinstance(row, dict):
        return None
    for key, value in row.items():
        if normalize_header(key) in _ORG_ID_HEADERS and value not in (None, ""):
            return str(value)
    return None


def quality(store: Store) -> Quality:
    """Summarise the store's manifest and rejects for the 数据质量 report."""
    manifest = store.manifest()
    rejects = store.rejects().with_columns(
        org_id=pl.col("record").map_elements(_record_org_id, return_dtype=pl.String)
    )
    totals = {
        "files": manifest.height,
        "refused_files": manifest.filter(pl.col("status") == "refused").height,
        **{
            c: int(manifest[c].sum() or 0)
            for c in ("rows_read", "rows_kept", "rows_refused", "rows_duplicate")
        },
    }
    files = manifest.select(
        "path",
        "tables",
        pl.col("status").replace(MANIFEST_STATUS_ZH),
        "rows_read",
        "rows_kept",
        "rows_refused",
        "rows_duplicate",
        "message",
    ).sort("path")
    names = store.table("orgs").select("org_id", "name").collect().unique("org_id")
    count = pl.len().alias("rows")
    by_org = (
        rejects.group_by("org_id")
        .agg(count)
        .join(names, on="org_id", how="left")
        .with_columns(
            name=pl.when(pl.col("name").is_not_null())
            .then(pl.col("name"))
            .when(pl.col("org_id").is_not_null())
            .then(pl.concat_str(pl.col("org_id"), pl.lit(NOT_IN_REGISTRY)))
            .otherwise(pl.lit(UNKNOWN_ORG))
        )
        .select("org_id", "name", "rows")
        .sort(["rows", "org_id"], descending=[True, False], nulls_last=True)
    )
    return Quality(
        files=files,
        totals=totals,
        by_reason=rejects.group_by("reason_zh")
        .agg(count)
        .sort(["rows", "reason_zh"], descending=[True, False]),
        by_file=rejects.group_by("_file").agg(count).sort(["rows", "_file"], descending=[True, False]),
        by_org=by_org,
        rejects=rejects,
    )


# --------------------------------------------------------------------------------------------
# Offline HTML export.
# --------------------------------------------------------------------------------------------
def notebook_to_html(
    nb_path: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    title: str | None = None,
    index_href: str | None = None,
) -> Path:
    """Export an executed notebook to a self-contained offline HTML page (see the module doc).

    Output that went to stderr (warnings) is left out: the page is for readers, not developers.
    ``index_href`` adds a "返回报告目录" link at the top.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        language_code="zh",
    )
    body, _ = exporter.from_notebook_node(nb, resources={"index_href": index_href} if index_href else None)
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


class _RefFinder(HTMLParser):
    _ATTRS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "embed": "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self._ATTRS.get(tag)
        for name, value in attrs:
            if value is None:
                continue
            if name == wanted or name == "srcset" or (tag == "object" and name == "data"):
                self.refs.append(value.strip())
            elif name == "style":
                self.css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


_CSS_REF = r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)"""


def external_refs(html_text: str) -> list[str]:
    """Addresses a page would fetch from the network: ``http(s)://`` or protocol-relative ``//``
    in ``<script src>``, ``<link href>``, ``<img src>`` (and iframe/source/embed/object), and in
    CSS ``url()``/``@import``.  Links a reader may click (``<a href>``) are not fetches."""
    import re

    finder = _RefFinder()
    finder.feed(html_text)
    refs = list(finder.refs)
    for css in finder.css:
        refs += [a or b for a, b in re.findall(_CSS_REF, css)]
    return [r for r in refs if re.match(r"(?i)^(https?:)?//", r)]


# --------------------------------------------------------------------------------------------
# Running.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportOutput:
    """One successful run."""

    report: str
    label: str
    parameters: dict[str, Any]
    notebook: Path
    html: Path
    seconds: float
    attempts: int


@dataclass(frozen=True)
class ReportFailure:
    """One failed run: where it stopped and why."""

    report: str
    label: str
    error_name: str
    error_message: str
    cell_index: int | None = None  # 0-based, in the executed notebook (papermill's numbering)
    exec_count: int | None = None
    cell_source: str = ""
    notebook: Path | None = None
    attempts: int = 1

    def describe(self) -> str:
        """One line in Chinese for the index page and the command line."""
        where = ""
        if self.cell_index is not None:
            where = f"第 {self.cell_index + 1} 个单元格"
            if self.exec_count is not None:
                where += f"（In [{self.exec_count}]）"
            where += "出错："
        msg = self.error_message.strip().splitlines()[0] if self.error_message.strip() else ""
        return f"{self.label}：{where}{self.error_name}: {msg}"


@dataclass(frozen=True)
class ReportRun:
    """Everything a batch produced."""

    out_dir: Path
    index: Path
    outputs: list[ReportOutput]
    failures: list[ReportFailure]
    warnings: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class _Job:
    report: str
    label: str
    source: Path
    parameters: dict[str, Any]
    ipynb: Path
    html: Path
    cwd: Path
    start_timeout: int
    cell_timeout: int | None


_KERNEL_START_MARKERS = ("Kernel died before replying", "didn't respond in")


def _is_kernel_start_failure(exc: BaseException) -> bool:
    """A kernel that never came up (worth one more try), as opposed to a cell that failed or
    timed out (nbclient's CellTimeoutError is a TimeoutError too, and is not retried)."""
    from nbclient.exceptions import CellTimeoutError

    if isinstance(exc, CellTimeoutError):
        return False
    if isinstance(exc, TimeoutError):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in _KERNEL_START_MARKERS)


def _load_notebook(path: Path) -> Any:
    import jupytext
    import nbformat

    if path.suffix == ".ipynb":
        return nbformat.read(str(path), as_version=4)
    return jupytext.read(str(path), fmt="py:percent")


#: the warm kernel of this worker process (see :func:`_worker_kernel`)
_KERNEL: Any = None
#: the first cell of every notebook run on a warm kernel: forget the previous notebook's variables (its
#: imports stay loaded) and open a new history session, so IPython's history never sees a line number
#: twice.  A cell of the notebook itself rather than a separate request, which would cost a client round
#: trip (~0.2 s) per report; :func:`_tidy_executed` takes it out of the written notebook and numbers the
#: cells from 1.
_RESET_TAG = "workbench-reset"
_RESET_CELL = "# 批量运行：清空上一份报告留下的变量\nget_ipython().reset(new_session=True)"


def _worker_kernel(cwd: Path, start_timeout: int) -> Any:
    """One kernel per worker process, started once and reused by every notebook the worker runs.

    Starting a kernel and importing altair/polars costs ~3 s; sixty 单位画像 runs would spend most of
    their time there.  Each notebook starts with :data:`_RESET_CELL` (a namespace reset) so no variable
    leaks from one notebook into the next; a kernel that died (or a cell that killed it) is replaced
    before the next run.
    """
    global _KERNEL
    from jupyter_client.manager import KernelManager

    if _KERNEL is not None and _KERNEL.is_alive():
        return _KERNEL
    if _KERNEL is not None:
        _KERNEL.cleanup_resources()
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=start_timeout)
    except RuntimeError:
        km.shutdown_kernel(now=True)
        raise
    finally:
        kc.stop_channels()
    _KERNEL = km
    import atexit

    atexit.register(km.shutdown_kernel, now=True)
    return km


def _execute(job: _Job) -> None:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = _load_notebook(job.source)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_RESET_CELL, metadata={"tags": [_RESET_TAG]}))
    nb.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    )
    job.ipynb.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            nb,
            str(job.ipynb),
            parameters=job.parameters,
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            log_output=False,
            # written once at the end (also when a cell fails), not after every cell: a 单位画像
            # notebook holds ~1.6 MB of chart images, and 60 of them rewritten cell by cell cost seconds
            request_save_on_cell_execute=False,
            start_timeout=job.start_timeout,
            execution_timeout=job.cell_timeout,
            km=_worker_kernel(job.cwd, job.start_timeout),
        )
    except PapermillExecutionError as exc:
        counts = _tidy_executed(job.ipynb, job.source)
        exc.cell_index -= 1  # as in the notebook written, which has no reset cell
        if 0 <= exc.cell_index < len(counts) and counts[exc.cell_index] is not None:
            exc.exec_count = counts[exc.cell_index]
        raise
    except BaseException:
        _tidy_executed(job.ipynb, job.source)
        raise
    _tidy_executed(job.ipynb, job.source)


def _tidy_executed(path: Path, source: Path) -> list[int | None]:
    """Take the reset cell out of an executed notebook (batch plumbing, not part of the report) and
    number its executed cells 1, 2, … as a fresh kernel would (how IPython counts after a reset differs
    between versions).  Returns the number of each cell of the notebook as it was run, without the reset
    cell and papermill's error banners — papermill's numbering of a failed cell (None: not a code cell,
    or not run).  papermill's record of the input names the notebook file (it was handed a notebook
    object, and would keep a copy of the whole thing)."""
    import nbformat

    if not path.is_file():
        return []
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [c for c in nb.cells if _RESET_TAG not in c.metadata.get("tags", [])]
    if isinstance(nb.metadata.get("papermill"), dict):
        nb.metadata.papermill["input_path"] = str(source)
    counts: list[int | None] = []
    n = 0
    for cell in nb.cells:
        if "papermill-error-cell-tag" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            counts.append(None)
            continue
        n += 1
        cell.execution_count = n
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = n
        counts.append(n)
    nbformat.write(nb, str(path))
    return counts


@dataclass(frozen=True)
class _Result:
    index: int
    output: ReportOutput | None
    failure: ReportFailure | None
    warnings: list[str]


def _run_job(index: int, job: _Job, execute: Callable[[_Job], None] = _execute) -> _Result:
    """Execute one notebook (one retry when its kernel fails to start) and export it; never raises."""
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        try:
            execute(job)
            break
        except PapermillExecutionError as exc:
            return _Result(index, None, _cell_failure(job, exc, attempts), [])
        except Exception as exc:  # noqa: BLE001 — every failure is reported, none stops the batch
            if attempts == 1 and _is_kernel_start_failure(exc):
                continue
            failure = ReportFailure(
                job.report,
                job.label,
                type(exc).__name__,
                str(exc),
                notebook=job.ipynb if job.ipynb.exists() else None,
                attempts=attempts,
            )
            return _Result(index, None, failure, [])
    try:
        notebook_to_html(job.ipynb, job.html, title=job.label, index_href="index.html")
        refs = external_refs(job.html.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001
        failure = ReportFailure(
            job.report,
            job.label,
            type(exc).__name__,
            f"导出网页失败：{exc}",
            notebook=job.ipynb,
            attempts=attempts,
        )
        return _Result(index, None, failure, [])
    warnings = [f"{job.label}：网页引用了外部网址 {r}，离线时无法显示" for r in refs]
    output = ReportOutput(
        job.report, job.label, job.parameters, job.ipynb, job.html, time.perf_counter() - started, attempts
    )
    return _Result(index, output, None, warnings)


def _cell_failure(job: _Job, exc: Any, attempts: int) -> ReportFailure:
    return ReportFailure(
        report=job.report,
        label=job.label,
        error_name=exc.ename,
        error_message=exc.evalue,
        cell_index=exc.cell_index,
        exec_count=exc.exec_count,
        cell_source=exc.source,
        notebook=job.ipynb,
        attempts=attempts,
    )


def _init_worker(pythonpath: str, log_path: str) -> None:
    # Kernels inherit this environment: they must import this very `analysis`.
    parts = [pythonpath, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    # Kernel start-up chatter (e.g. ipykernel's plain-TCP warning) goes to a log, not the terminal;
    # what matters to the user comes back as a ReportFailure.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _plan(
    store: Store,
    store_path: Path,
    year: int,
    out_dir: Path,
    reports: Sequence[Report],
    ruleset: str,
    parameters: Mapping[str, Any],
    notebooks_dir: Path,
    start_timeout: int,
    cell_timeout: int | None,
) -> list[_Job]:
    from analysis.filenames import safe_filename

    jobs: list[_Job] = []
    used: set[str] = set()
    for report in reports:
        runs: list[tuple[str, dict[str, Any]]] = [(report.title, {})]
        if report.each:
            values = report.values(store) if report.values else []
            runs = [(f"{report.title}_{label}", {report.each: value}) for value, label in values]
        for label, own in runs:
            stem = safe_filename(label)
            if stem in used:  # two top-level orgs with one name: the code tells them apart
                label = f"{label}_{next(iter(own.values()), len(jobs))}"
                stem = safe_filename(label)
            used.add(stem)
            params = {
                "store_path": str(store_path),
                "year": year,
                "ruleset": ruleset,
                "charts_dir": str(out_dir / "charts" / stem),
                **report.parameters,
                **parameters,
                **own,
            }
            jobs.append(
                _Job(
                    report=report.title,
                    label=label,
                    source=report.notebook_path(notebooks_dir),
                    parameters=params,
                    ipynb=out_dir / "notebooks" / f"{stem}.ipynb",
                    html=out_dir / f"{stem}.html",
                    cwd=out_dir,
                    start_timeout=start_timeout,
                    cell_timeout=cell_timeout,
                )
            )
    return jobs


def run_reports(
    store_path: str | os.PathLike[str],
    year: int,
    out_dir: str | os.PathLike[str],
    *,
    reports: Sequence[Report] = REPORTS,
    ruleset: str = DEFAULT_RULESET,
    parameters: Mapping[str, Any] | None = None,
    workers: int | None = None,
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS_DIR,
    start_timeout: int = 120,
    cell_timeout: int | None = 1800,
    progress: bool = True,
) -> ReportRun:
    """Run every report for ``year`` on the store at ``store_path`` and write them to ``out_dir``.

    Parameters
    ----------
    store_path
        An ingested store folder (``workbench ingest`` makes one).
    year
        The assessment year, passed to every notebook.
    out_dir
        Output folder; created if needed, existing files of the same names are replaced.
    reports
        Which reports (default: all of :data:`REPORTS`).
    ruleset, parameters
        ``ruleset`` and any further parameters (e.g. ``{"under": "000100"}``) for every notebook.
    workers
        Parallel notebook runs; default and upper bound ``os.cpu_count()``.
    start_timeout, cell_timeout
        Seconds to wait for a kernel to start, and for one cell (``None``: no limit).
    progress
        Show a progress bar on stderr.

    Returns
    -------
    ReportRun
        Outputs, failures (report, cell and error; the batch never stops at the first one) and
        warnings.  ``index.html`` is written in every case.

    Raises
    ------
    analysis.store.StoreError
        The store cannot be opened (message in Chinese).

    Notes
    -----
    Worker processes are *spawned* (not forked: the parent already runs polars' thread pool), so a
    script that calls this must do so under ``if __name__ == "__main__":``; console entry points and
    ``python -m analysis`` already are.
    """
    started = time.perf_counter()
    store_path = Path(store_path).resolve()
    out = Path(out_dir).resolve()
    store = Store.open(store_path)
    out.mkdir(parents=True, exist_ok=True)
    jobs = _plan(
        store,
        store_path,
        year,
        out,
        reports,
        ruleset,
        dict(parameters or {}),
        Path(notebooks_dir),
        start_timeout,
        cell_timeout,
    )
    results: dict[int, _Result] = {}
    if jobs:
        log = out / "notebooks" / KERNEL_LOG
        log.parent.mkdir(parents=True, exist_ok=True)
        results = _run_parallel(jobs, workers, progress, log)
    outputs = [r.output for _, r in sorted(results.items()) if r.output]
    failures = [r.failure for _, r in sorted(results.items()) if r.failure]
    warnings = [w for _, r in sorted(results.items()) for w in r.warnings]
    index = write_index(out, year, reports, jobs, outputs, failures, store_path)
    write_page_font([index, *(o.html for o in outputs)])
    return ReportRun(out, index, outputs, failures, warnings, time.perf_counter() - started)


FONT_URL = 'url("fonts/cjk.woff2")'  #: the placeholder the templates name the page font by
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def write_page_font(pages: Iterable[Path]) -> int:
    """Embed in every page the CJK font cut to the characters of all ``pages`` (one WOFF2 of a few
    hundred KB, as a data: URI), so Chinese reads correctly on a machine without any Chinese font.

    Embedded rather than linked: browsers refuse fonts loaded from ``file://`` pages (each file is its
    own origin), and a linked font would also be lost when one page is mailed on its own.
    Returns the size of the font in bytes (0 when no CJK font is available)."""
    import base64
    import tempfile

    from analysis.charts import subset_font

    pages = [Path(p) for p in pages]
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    # the pages are mostly base64 images: look for the non-ASCII characters only (a regex runs in C),
    # and always keep printable ASCII
    found: set[str] = set()
    for text in texts.values():
        found.update(_NON_ASCII.findall(text))
    chars = {c for c in found if c.isprintable()} | {chr(i) for i in range(32, 127)}
    with tempfile.TemporaryDirectory() as tmp:
        font = subset_font("".join(chars), Path(tmp) / "cjk.woff2")
        if font is None:
            return 0
        data = font.read_bytes()
    uri = 'url("data:font/woff2;base64,' + base64.b64encode(data).decode("ascii") + '")'
    for page, text in texts.items():
        page.write_text(text.replace(FONT_URL, uri), encoding="utf-8")
    return len(data)


def _run_parallel(
    jobs: list[_Job], workers: int | None, progress: bool, log_path: Path
) -> dict[int, _Result]:
    import multiprocessing

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cpus = os.cpu_count() or 1
    n = max(1, min(len(jobs), workers or cpus, cpus))
    results: dict[int, _Result] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
        task = bar.add_task("生成报告", total=len(jobs))
        with ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded parent
            initializer=_init_worker,
            initargs=(str(PACKAGE_ROOT), str(log_path)),
        ) as pool:
            futures = {pool.submit(_run_job, i, job): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    results[i] = future.result()
                except BrokenProcessPool as exc:
                    job = jobs[i]
                    failure = ReportFailure(
                        job.report, job.label, type(exc).__name__, "运行报告的子进程意外退出"
                    )
                    results[i] = _Result(i, None, failure, [])
                bar.update(task, advance=1, description=f"生成报告 · {jobs[i].label}")
    return results


def write_index(
    out_dir: Path,
    year: int,
    reports: Sequence[Report],
    jobs: Sequence[_Job],
    outputs: Sequence[ReportOutput],
    failures: Sequence[ReportFailure],
    store_path: Path,
) -> Path:
    """Write ``index.html``: every report of the run, grouped, with its link or its failure."""
    import jinja2

    done = {o.label: o for o in outputs}
    failed = {f.label: f for f in failures}
    groups: dict[str, list[dict[str, Any]]] = {r.title: [] for r in reports}
    for job in jobs:
        entry: dict[str, Any] = {"label": job.label}
        if job.label in done:
            entry["href"] = urllib.parse.quote(job.html.relative_to(out_dir).as_posix())
            entry["seconds"] = f"{done[job.label].seconds:.1f}"
            charts = job.parameters.get("charts_dir")
            if charts and Path(charts).is_dir():
                entry["charts"] = urllib.parse.quote(Path(charts).relative_to(out_dir).as_posix()) + "/"
        elif job.label in failed:
            entry["failure"] = failed[job.label].describe()
            if failed[job.label].notebook:
                entry["notebook"] = urllib.parse.quote(job.ipynb.relative_to(out_dir).as_posix())
        groups.setdefault(job.report, []).append(entry)
    descriptions = {r.title: r.description for r in reports}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, keep_trailing_newline=True
    )
    page = env.get_template("index.html.j2").render(
        title=f"{INDEX_TITLE}（{year}年度）",
        year=year,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        store=str(store_path),
        groups=[
            {"title": t, "description": descriptions.get(t, ""), "runs": runs} for t, runs in groups.items()
        ],
        n_ok=len(outputs),
        n_failed=len(failures),
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


__all__: Iterable[str] = (
    "REPORTS",
    "evidence_refs",
    "grade_summary",
    "rule_table",
    "years_with_data",
    "cached_assess",
    "Quality",
    "Report",
    "ReportFailure",
    "ReportOutput",
    "ReportRun",
    "external_refs",
    "notebook_to_html",
    "quality",
    "run_reports",
    "select_orgs",
    "subtree",
    "top_level_orgs",
    "write_index",
)
