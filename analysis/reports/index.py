"""The index page of a batch (``index.html``, 目录): the headline numbers on one screen, the 换届提醒 (the
orgs that owe their term report, each linked to its 任期考核 page), the reports with their PDF and chart
folders, the 单位画像 grouped by the kind of unit, the files to hand in, and any failure with its reason."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from analysis.reports.catalogue import Report
from analysis.reports.html import TEMPLATES_DIR
from analysis.reports.jobs import ReportFailure, ReportOutput, _Job
from analysis.store import Store
from analysis.term_views import term_reminders
from analysis.terms import TermAssessment
from analysis.views import DEFAULT_RULESET, Headline, cached_assess, headline, select_orgs
from analysis.vocab import ORG_TYPE_ZH

INDEX_TITLE = "党建目标管理考核报告"
RESULTS_DIR = "考核结果"  #: the office's files, written by ``workbench report`` beside the pages
_KIND_OF_FILE = {".xlsx": "Excel 表格", ".csv": "CSV 数据（供其他系统导入）", ".docx": "Word 文档", ".pdf": "PDF",
                 ".pptx": "PowerPoint 汇报材料（党工委会议用，附讲稿）"}


def _href(path: Path, out_dir: Path) -> str:
    return urllib.parse.quote(path.relative_to(out_dir).as_posix())


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def _entry(job: _Job, out_dir: Path, done: dict[str, ReportOutput], failed: dict[str, ReportFailure]) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": job.label}
    if job.label in done:
        output = done[job.label]
        entry["href"] = _href(job.html, out_dir)
        if output.pdf is not None and output.pdf.is_file():
            entry["pdf"] = _href(output.pdf, out_dir)
        charts = job.parameters.get("charts_dir")
        if charts and Path(charts).is_dir() and any(Path(charts).iterdir()):
            entry["charts"] = _href(Path(charts), out_dir) + "/"
    elif job.label in failed:
        entry["failure"] = failed[job.label].describe()
        if failed[job.label].notebook:
            entry["notebook"] = _href(job.ipynb, out_dir)
    return entry


def _units(store: Store, year: int, ruleset: str, entries: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The 单位画像 runs grouped by the kind of their top-level organisation, each with its score."""
    try:
        scores = cached_assess(store, year, ruleset=ruleset).scores
    except Exception:  # noqa: BLE001 — the links are still worth listing without the scores
        scores = pl.DataFrame(schema={"org_id": pl.String, "org_type": pl.String, "score": pl.Float64, "grade": pl.String})
    known = {r["org_id"]: r for r in scores.select("org_id", "org_type", "score", "grade").iter_rows(named=True)}
    groups: dict[str, list[dict[str, Any]]] = {zh: [] for zh in ORG_TYPE_ZH.values()}
    for org_id, entry in entries:
        row = known.get(org_id, {})
        entry = {**entry, "score": row.get("score"), "grade": row.get("grade")}
        groups.setdefault(ORG_TYPE_ZH.get(row.get("org_type") or "", "其他"), []).append(entry)
    return [{"kind": kind, "runs": runs} for kind, runs in groups.items() if runs]


def _files(out_dir: Path) -> list[dict[str, str]]:
    folder = out_dir / RESULTS_DIR
    if not folder.is_dir():
        return []
    return [
        {"name": p.name, "href": _href(p, out_dir), "kind": _KIND_OF_FILE.get(p.suffix.lower(), ""), "size": _size(p)}
        for p in sorted(folder.iterdir(), key=lambda p: (p.suffix.lower() != ".xlsx", p.name))
        if p.is_file() and not p.name.startswith((".", "~$"))
    ]


def _headline(
    store: Store, year: int, ruleset: str, under: str | None, org_type: str | None, terms: TermAssessment | None
) -> Headline | None:
    try:
        return headline(store, year, ruleset=ruleset, under=under, org_type=org_type, terms=terms)
    except Exception:  # noqa: BLE001 — the index is written in every case; the reports say what failed
        return None


def write_index(
    out_dir: Path,
    year: int,
    reports: Sequence[Report],
    jobs: Sequence[_Job],
    outputs: Sequence[ReportOutput],
    failures: Sequence[ReportFailure],
    store: Store,
    ruleset: str = DEFAULT_RULESET,
    under: str | None = None,
    org_type: str | None = None,
    terms: TermAssessment | None = None,
) -> Path:
    """Write ``index.html``: the headline numbers, the 换届提醒 (given the batch's term assessment: the
    orgs in scope that owe their term report, :func:`term_reminder_rows`), every report of the run
    (grouped, the 单位画像 by the kind of unit; the per-org 任期考核 pages are the reminders' links) with
    its page, PDF and charts or its failure, and the result files."""
    import jinja2

    done = {o.label: o for o in outputs}
    failed = {f.label: f for f in failures}
    by_report: dict[str, list[tuple[str, dict[str, Any]]]] = {r.title: [] for r in reports}
    for job in jobs:
        by_report.setdefault(job.report, []).append(
            (str(job.parameters.get("org_id", "")), _entry(job, out_dir, done, failed))
        )
    profiles = {r.title for r in reports if r.profile}
    links = {r.title: e for r in reports for _, e in by_report.get(r.title, [])[:1] if "href" in e}
    groups = [
        {
            "title": r.title,
            "description": r.description,
            "runs": [e for _, e in by_report.get(r.title, [])],
            "units": _units(store, year, ruleset, by_report[r.title]) if r.title in profiles else [],
            "filterable": r.filterable,
            "reminded": bool(r.terms and r.each),  # its pages are listed in 换届提醒
        }
        for r in reports
    ]
    reminders = []
    if terms is not None:
        scope = select_orgs(terms.terms, under, org_type)
        reminders = term_reminder_rows(scope, *_term_pages(out_dir, reports, jobs, outputs))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, keep_trailing_newline=True
    )
    page = env.get_template("index.html.j2").render(
        title=f"{INDEX_TITLE}（{year}年度）",
        year=year,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        headline=_headline(store, year, ruleset, under, org_type, terms),
        reminders=reminders,
        as_of=(terms.as_of if terms is not None else f"{year}-12-31"),
        links=links,
        groups=groups,
        files=_files(out_dir),
        results_dir=RESULTS_DIR,
        n_ok=len(outputs),
        n_failed=len(failures),
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _term_pages(
    out_dir: Path, reports: Sequence[Report], jobs: Sequence[_Job], outputs: Sequence[ReportOutput]
) -> tuple[dict[str, str], dict[str, str]]:
    """Org code → the address (relative to ``out_dir``) of its page, and of its PDF, among the per-org
    term reports that this batch made (a failed page is not linked; it is named among the failures)."""
    per_org = {r.title: r.each for r in reports if r.terms and r.each}
    made = {o.label: o for o in outputs}
    pages, pdfs = {}, {}
    for job in jobs:
        if job.report in per_org and job.label in made:
            org = job.parameters[per_org[job.report]]
            pages[org] = _href(job.html, out_dir)
            pdf = made[job.label].pdf
            if pdf is not None and pdf.is_file():
                pdfs[org] = _href(pdf, out_dir)
    return pages, pdfs


def term_reminder_rows(
    terms: pl.DataFrame, pages: Mapping[str, str] | None = None, pdfs: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """换届提醒 as the index page lists it: the orgs of ``terms`` (rows of ``TermAssessment.terms``) that
    owe their term report, overdue first, then by the days left (:func:`analysis.term_views.term_reminders`),
    each a dict of ``org_id, name, org_type`` (in Chinese), ``term_status, term_due`` (ISO date),
    ``when`` (剩余 N 天 / 已届满 N 天), ``href`` and ``pdf`` (its term report page in ``pages`` and its PDF
    in ``pdfs``, None when there is none)."""
    rows = term_reminders(terms, pages).with_columns(
        pl.col("org_type").replace_strict(ORG_TYPE_ZH, default=pl.col("org_type")),
        pl.col("term_due").dt.strftime("%Y-%m-%d"),
        pdf=pl.col("org_id").replace_strict(dict(pdfs or {}), default=None, return_dtype=pl.String),
    )
    return rows.select("org_id", "name", "org_type", "term_status", "term_due", "when", "href", "pdf").to_dicts()
