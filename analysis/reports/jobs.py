"""The runs of a batch: one job per report (or per value of its ``each``) with its parameters and
output files, and what came of it — an output, or a failure saying where it stopped and why."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analysis.reports.catalogue import Report
from analysis.reports.html import org_anchor
from analysis.store import Store
from analysis.terms import TermAssessment
from analysis.views import select_orgs, subtree

PDF_DIR = "PDF"  #: the reports' PDFs, in this folder of the output
NOTEBOOKS_DIR_NAME = "notebooks"  #: the executed notebooks (kept on request, and for a failed run)


@dataclass(frozen=True)
class ReportOutput:
    """One successful run."""

    report: str
    label: str
    parameters: dict[str, Any]
    notebook: Path | None  # the executed notebook, when kept
    html: Path
    seconds: float
    attempts: int
    pdf: Path | None = None  # None: the PDF could not be made (the run's warnings say why)


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
    terms: TermAssessment | None = None  #: the batch's term assessment, when a report needed one

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
    pdf: Path | None = None  # None: no PDF
    #: org code -> its 单位画像 page and anchor (``单位画像_….html#org-…``), linked from the tables
    links: Mapping[str, str] = field(default_factory=dict)
    keep_notebook: bool = True



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
    filters: Mapping[str, Any] | None = None,
    keep_notebooks: bool = True,
    pdf: bool = True,
    terms: TermAssessment | None = None,
    term_parameters: Mapping[str, Any] | None = None,
) -> list[_Job]:
    """One job per run; ``filters`` (``under``, ``org_type``) go to the reports that take them, and every
    job carries the links from an org code to the 单位画像 run of its top-level organisation.

    Reports with ``terms`` get ``term_parameters`` and, run per org, take their values from ``terms``
    (inside the filter's scope); those run once also get ``term_pages`` (org code → the file name of
    that org's page among the per-org ``terms`` runs), so their 换届提醒 can link each page."""
    from analysis.filenames import safe_filename

    jobs: list[_Job] = []
    used: set[str] = set()
    for report in reports:
        if report.when is not None and not report.when(store, year):
            continue  # e.g. 自评核查 without self-scores
        runs: list[tuple[str, dict[str, Any]]] = [(report.title, {})]
        if report.each:
            values = _values(report, store, terms, filters)
            runs = [(f"{report.title}_{label}", {report.each: value}) for value, label in values]
        own_terms = dict(term_parameters or {}) if report.terms else {}
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
                **({k: v for k, v in (filters or {}).items() if v} if report.filterable else {}),
                **own_terms,
                **parameters,
                **own,
            }
            jobs.append(
                _Job(
                    report=report.title,
                    label=label,
                    source=report.notebook_path(notebooks_dir),
                    parameters=params,
                    ipynb=out_dir / NOTEBOOKS_DIR_NAME / f"{stem}.ipynb",
                    html=out_dir / f"{stem}.html",
                    cwd=out_dir,
                    start_timeout=start_timeout,
                    cell_timeout=cell_timeout,
                    pdf=out_dir / PDF_DIR / f"{stem}.pdf" if pdf else None,
                    keep_notebook=keep_notebooks,
                )
            )
    links = profile_links(store, jobs, {r.title for r in reports if r.profile}, out_dir)
    return _link_term_pages([replace(job, links=links) for job in jobs], reports)


def _values(
    report: Report, store: Store, terms: TermAssessment | None, filters: Mapping[str, Any] | None
) -> list[tuple[Any, str]]:
    """The ``(value, label)`` runs of a per-value report: from the store, or — a ``terms`` report — from
    the batch's term assessment, keeping the orgs inside the filter's scope."""
    if not report.values:
        return []
    if not report.terms:
        return report.values(store)
    if terms is None:
        return []
    values = report.values(terms)
    under, org_type = (filters or {}).get("under"), (filters or {}).get("org_type")
    if under or org_type:
        scope = set(select_orgs(terms.terms, under, org_type)["org_id"].to_list())
        values = [v for v in values if v[0] in scope]
    return values


def _link_term_pages(jobs: list[_Job], reports: Sequence[Report]) -> list[_Job]:
    by_title = {r.title: r for r in reports}
    pages = {
        job.parameters[r.each]: job.html.name
        for job in jobs
        if (r := by_title[job.report]).terms and r.each
    }
    return [
        replace(job, parameters={**job.parameters, "term_pages": pages})
        if by_title[job.report].terms and not by_title[job.report].each
        else job
        for job in jobs
    ]


def profile_links(store: Store, jobs: Sequence[_Job], profiles: set[str], out_dir: Path) -> dict[str, str]:
    """``{org code: "单位画像_….html#org-<code>"}`` for every organisation in the subtree of a planned
    run of a profile report (one run per top-level organisation, which shows all below it)."""
    orgs = store.table("orgs").select("org_id", "parent_id").collect()
    links: dict[str, str] = {}
    for job in jobs:
        if job.report not in profiles or "org_id" not in job.parameters:
            continue
        page = urllib.parse.quote(job.html.relative_to(out_dir).as_posix())
        for org in subtree(orgs, str(job.parameters["org_id"])).get_column("org_id").to_list():
            links.setdefault(org, f"{page}#{urllib.parse.quote(org_anchor(org))}")
    return links
