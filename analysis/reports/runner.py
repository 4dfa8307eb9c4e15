"""The papermill worker pool: every report of the catalogue run as a batch, exported and indexed.

A report is a jupytext ``py:percent`` notebook in ``notebooks/`` (reviewable in git).  At run time it
is read with jupytext, executed by papermill on its worker's warm ``python3`` kernel
(:mod:`analysis.reports.kernel`) with the run's parameters (passed as Python values, so a code like
``"000123"`` stays a string), and the executed notebook, in memory, exported to a self-contained HTML
page with the ``offline_zh`` nbconvert template:
code hidden, no require.js, no MathJax, nothing fetched from the network, ``<html lang="zh">``.

Layout of an output folder::

    index.html                 目录: the headline numbers, 换届提醒, every report, the failures and their
                               reasons
    <报告名>.html               one page per run (单位画像 once per top-level organisation, 任期考核 once
                               per org that owes its term report)
    PDF/<报告名>.pdf            the same report typeset for print (A4)
    assets/font.js, tables.js  what the pages share: the CJK font, the sortable tables
    charts/<报告名>/*.png|svg|pdf  every chart, for slides and print
    notebooks/<报告名>.ipynb    the executed notebooks, kept with ``keep_notebooks`` (and for a failure),
                               with the batch's term assessment they read (任期考核结果.pickle)

Runs go to worker processes (at most ``os.cpu_count()``); a kernel that fails to start is retried
once; a failing cell does not stop the batch: :func:`run_reports` collects the failure (report, cell,
error) and carries on, and the caller decides the exit code.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from analysis.reports.assets import write_font_script, write_tables_script
from analysis.reports.catalogue import NOTEBOOKS_DIR, PACKAGE_ROOT, REPORTS, Report
from analysis.reports.export import export_job
from analysis.reports.html import external_refs
from analysis.reports.index import write_index
from analysis.reports.jobs import NOTEBOOKS_DIR_NAME, ReportFailure, ReportOutput, ReportRun, _Job, _plan
from analysis.reports.kernel import _RESET_CELL, _RESET_TAG, KERNEL_NAME, _worker_kernel
from analysis.store import Store
from analysis.term_views import save_terms
from analysis.terms import DUE_WITHIN_MONTHS, TermAssessment, assess_terms
from analysis.views import DEFAULT_RULESET, check_filter

KERNEL_LOG = "kernels.log"  #: stderr of the worker processes and their kernels, in out/notebooks/
TERMS_FILE = "任期考核结果.pickle"  #: the batch's term assessment, read by the notebooks that show terms


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


def _execute(job: _Job) -> Any:
    """Run ``job``'s notebook on this worker's warm kernel; returns the executed notebook, its reset
    cell taken out (:func:`_tidy`).  papermill writes it to ``job.ipynb`` once; the export works on
    the notebook in memory (not read back) and keeps or drops that file.  A failed run's file is
    tidied in place, for the user to open."""
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
        executed = papermill.execute_notebook(
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
    _tidy(executed, job.source)
    return executed


def _tidy_executed(path: Path, source: Path) -> list[int | None]:
    """:func:`_tidy` on the notebook file at ``path``, rewritten (a failed run's, kept for the user)."""
    import nbformat

    if not path.is_file():
        return []
    nb = nbformat.read(str(path), as_version=4)
    counts = _tidy(nb, source)
    nbformat.write(nb, str(path))
    return counts


def _tidy(nb: Any, source: Path) -> list[int | None]:
    """Take the reset cell out of an executed notebook (batch plumbing, not part of the report) and
    number its executed cells 1, 2, … as a fresh kernel would (how IPython counts after a reset differs
    between versions).  Returns the number of each cell of the notebook as it was run, without the reset
    cell and papermill's error banners — papermill's numbering of a failed cell (None: not a code cell,
    or not run).  papermill's record of the input names the notebook file (it was handed a notebook
    object, and would keep a copy of the whole thing)."""
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
    return counts


@dataclass(frozen=True)
class _Result:
    index: int
    output: ReportOutput | None
    failure: ReportFailure | None
    warnings: list[str]


def _run_job(index: int, job: _Job, execute: Callable[[_Job], Any] = _execute) -> _Result:
    """Execute one notebook (one retry when its kernel fails to start) and export it; never raises.
    ``execute`` returns the executed notebook, or None when it only wrote ``job.ipynb``."""
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        try:
            executed = execute(job)
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
        pdf, warnings, page = export_job(job, executed)
        refs = external_refs(page)
    except Exception as exc:  # noqa: BLE001
        if executed is not None:
            import nbformat

            nbformat.write(executed, str(job.ipynb))  # the failure names it
        failure = ReportFailure(
            job.report,
            job.label,
            type(exc).__name__,
            f"导出网页失败：{exc}",
            notebook=job.ipynb,
            attempts=attempts,
        )
        return _Result(index, None, failure, [])
    warnings += [f"{job.label}：网页引用了外部网址 {r}，离线时无法显示" for r in refs]
    output = ReportOutput(
        job.report,
        job.label,
        job.parameters,
        job.ipynb if job.ipynb.is_file() else None,
        job.html,
        time.perf_counter() - started,
        attempts,
        pdf,
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



def run_reports(
    store_path: str | os.PathLike[str],
    year: int,
    out_dir: str | os.PathLike[str],
    *,
    reports: Sequence[Report] = REPORTS,
    ruleset: str = DEFAULT_RULESET,
    parameters: Mapping[str, Any] | None = None,
    under: str | None = None,
    org_type: str | None = None,
    keep_notebooks: bool = False,
    pdf: bool = True,
    workers: int | None = None,
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS_DIR,
    start_timeout: int = 120,
    cell_timeout: int | None = 1800,
    progress: bool = True,
    terms: TermAssessment | None = None,
    as_of: date | str | None = None,
    due_within: int = DUE_WITHIN_MONTHS,
    meanwhile: Callable[[], Any] | None = None,
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
        ``ruleset`` and any further parameters for every notebook.
    under, org_type
        The filter of the reports that take one (``Report.filterable``: 年度考核综合对比, 后进支部排查) and
        of the index's headline numbers: an org code and everything below it, a type (党支部, or the id).
    keep_notebooks
        Keep the executed notebooks in ``notebooks/`` (a failed run's is always kept).
    pdf
        Typeset a PDF of every report in ``PDF/``.
    workers
        Parallel notebook runs; default and upper bound ``os.cpu_count()``.
    start_timeout, cell_timeout
        Seconds to wait for a kernel to start, and for one cell (``None``: no limit).
    progress
        Show a progress bar on stderr.
    terms, as_of, due_within
        The term assessment the 任期考核 pages and the 换届提醒 show, made once here in the parent process
        and handed to the notebooks: ``terms`` when the caller already made it, else
        :func:`analysis.terms.assess_terms` at ``as_of`` (default 31 Dec of ``year``).  Only when a chosen
        report needs it (``Report.terms``); one 任期考核 page per org that owes its term report (inside
        ``under``/``org_type``).
    meanwhile
        Work of the caller's to do in this process while the workers run the first reports (the
        office's Excel files and the briefing deck of ``workbench report``), done before the index is
        written (it lists those files).  What it raises is raised here, the reports not yet begun
        cancelled.

    Returns
    -------
    ReportRun
        Outputs, failures (report, cell and error; the batch never stops at the first one) and
        warnings.  ``index.html`` is written in every case.

    Raises
    ------
    analysis.store.StoreError
        The store cannot be opened (message in Chinese).
    analysis.views.FilterError
        ``under`` is not in the registry or ``org_type`` is no type (message in Chinese).

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
    under, org_type = check_filter(store, under, org_type)
    out.mkdir(parents=True, exist_ok=True)
    if not any(r.terms for r in reports):
        terms = None
    elif terms is None:
        terms = assess_terms(store, as_of or date(year, 12, 31), due_within=due_within, ruleset=ruleset)
    handover = tempfile.TemporaryDirectory(prefix="workbench-terms-")
    term_parameters: dict[str, Any] = {}
    if terms is not None:
        saved = save_terms(terms, (out / NOTEBOOKS_DIR_NAME if keep_notebooks else Path(handover.name)) / TERMS_FILE)
        term_parameters = {"as_of": terms.as_of.isoformat(), "due_within": terms.due_within, "terms_path": str(saved)}
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
        filters={"under": under, "org_type": org_type},
        keep_notebooks=keep_notebooks,
        pdf=pdf,
        terms=terms,
        term_parameters=term_parameters,
    )
    results: dict[int, _Result] = {}
    log = out / NOTEBOOKS_DIR_NAME / KERNEL_LOG
    if jobs:
        log.parent.mkdir(parents=True, exist_ok=True)
        results = _run_parallel(jobs, workers, progress, log, meanwhile)
    elif meanwhile is not None:
        meanwhile()
    handover.cleanup()
    outputs = [r.output for _, r in sorted(results.items()) if r.output]
    failures = [r.failure for _, r in sorted(results.items()) if r.failure]
    warnings = [w for _, r in sorted(results.items()) for w in r.warnings]
    if not failures and not keep_notebooks:
        _drop_notebooks_dir(log)
    index = write_index(
        out, year, reports, jobs, outputs, failures, store, ruleset=ruleset, under=under, org_type=org_type,
        terms=terms,
    )
    write_tables_script(out)
    write_font_script(out, [index, *(o.html for o in outputs)])
    return ReportRun(out, index, outputs, failures, warnings, time.perf_counter() - started, terms)


def _drop_notebooks_dir(log: Path) -> None:
    """Without kept notebooks and failures, ``notebooks/`` holds only the kernels' start-up chatter:
    take it away, and the folder with it when nothing else is in it."""
    log.unlink(missing_ok=True)
    if log.parent.is_dir() and not any(log.parent.iterdir()):
        log.parent.rmdir()


def _run_parallel(
    jobs: list[_Job], workers: int | None, progress: bool, log_path: Path, meanwhile: Callable[[], Any] | None = None
) -> dict[int, _Result]:
    import multiprocessing

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cpus = os.cpu_count() or 1
    n = max(1, min(len(jobs), workers or cpus, cpus))
    results: dict[int, _Result] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with ProcessPoolExecutor(
        max_workers=n,
        mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded parent
        initializer=_init_worker,
        initargs=(str(PACKAGE_ROOT), str(log_path)),
    ) as pool:
        futures = {pool.submit(_run_job, i, job): i for i, job in enumerate(jobs)}
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
            task = bar.add_task("生成报告", total=len(jobs))
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
