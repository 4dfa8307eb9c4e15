"""The runs of a batch: one job per report (or per value of its ``each``) with its parameters and
output files, and what came of it — an output, or a failure saying where it stopped and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.reports.catalogue import Report
from analysis.store import Store


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
