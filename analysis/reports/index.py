"""The index page of a batch (``index.html``, 目录): every report, with its link, its charts folder or
its failure and the reason."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from analysis.reports.catalogue import Report
from analysis.reports.html import TEMPLATES_DIR
from analysis.reports.jobs import ReportFailure, ReportOutput, _Job

INDEX_TITLE = "党建目标管理考核报告"


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
