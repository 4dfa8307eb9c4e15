"""The files of ``workbench term``: ``terms.csv`` for every registry org and, for each org that owes its
term report (即将届满 / 已届满 / 超期未换届), its 任期自评分表 (xlsx) and 任期考核自查报告 draft (docx)::

    OUT/terms.csv
    OUT/任期自评分表/<组织名称>_<组织编码>.xlsx
    OUT/任期考核报告/<组织名称>_<组织编码>.docx

Files of the same name are overwritten; nothing is written for an org that does not owe its report, and
files an earlier run wrote for other orgs are left as they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from analysis import vocab
from analysis.decisions import pace
from analysis.filenames import safe_filename
from analysis.outputs.tables import write_csv
from analysis.outputs.term_excel import write_term_sheet
from analysis.outputs.term_sheet import current_year_status, term_sheets
from analysis.outputs.term_word import write_term_report
from analysis.store import Store
from analysis.terms import TermAssessment, terms_table

TERMS_CSV = "terms.csv"


@dataclass
class TermFiles:
    """What :func:`write_term_files` wrote: ``terms.csv`` and one xlsx and one docx per org (same order)."""

    terms_csv: Path
    sheets: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)


def year_to_date(store: Store, ta: TermAssessment) -> pl.DataFrame | None:
    """The pace frame of the as-of year (``analysis.decisions.pace``) when the as-of date is before 31 Dec;
    None when the year is over (its own status is then shown)."""
    if ta.as_of == date(ta.as_of.year, 12, 31):
        return None
    return pace(store, ta.current)


def term_file_stem(org_id: str, name: str) -> str:
    """``<组织名称>_<组织编码>``, safe on every file system."""
    return safe_filename(f"{name}_{org_id}", default=org_id)


def write_term_files(ta: TermAssessment, store: Store, out: str | os.PathLike[str]) -> TermFiles:
    """Write ``terms.csv`` and the per-org term files into ``out``.

    Parameters
    ----------
    ta
        The term assessment (:func:`analysis.terms.assess_terms`).
    store
        The store it was made from (the current year's pace is measured on it when the year is not over).
    out
        The output folder (created when missing).

    Returns
    -------
    TermFiles
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = TermFiles(terms_csv=out / TERMS_CSV)
    write_csv(terms_table(ta), files.terms_csv)
    sheets = term_sheets(ta, current_year_status(ta.current.rules, year_to_date(store, ta)))
    if not sheets:
        return files
    xlsx_dir, docx_dir = out / vocab.TERM_SHEET_DIR, out / vocab.TERM_REPORT_DIR
    xlsx_dir.mkdir(exist_ok=True)
    docx_dir.mkdir(exist_ok=True)
    for s in sheets:
        stem = term_file_stem(s.org_id, s.org["name"])
        files.sheets.append(write_term_sheet(s, xlsx_dir / f"{stem}.xlsx"))
        files.reports.append(write_term_report(s, docx_dir / f"{stem}.docx"))
    return files
