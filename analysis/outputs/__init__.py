"""Outputs: the files users get from an assessment — the CSV contracts (``tables``: scores.csv, rules.csv)
and the 自评分表 workbook (``excel``) — and from a term assessment (``term_files``: terms.csv, each due org's
任期自评分表 from ``term_excel`` and 任期考核自查报告 draft from ``term_word``, both filled from ``term_sheet``)."""

from analysis.outputs.excel import HEADERS, SUMMARY_HEADERS, sheet_name, write_self_assessment
from analysis.outputs.tables import (
    FORMULA_START,
    RULES_CSV_COLUMNS,
    SCORES_CSV_COLUMNS,
    as_text_cell,
    rules_table,
    scores_table,
    write_csv,
    write_outputs,
)
from analysis.outputs.term_files import TermFiles, write_term_files

__all__ = [
    "FORMULA_START",
    "HEADERS",
    "RULES_CSV_COLUMNS",
    "SCORES_CSV_COLUMNS",
    "SUMMARY_HEADERS",
    "TermFiles",
    "as_text_cell",
    "rules_table",
    "scores_table",
    "sheet_name",
    "write_csv",
    "write_outputs",
    "write_self_assessment",
    "write_term_files",
]
