"""Outputs: the files users get — the CSV contracts (``tables``: scores.csv, rules.csv; ``results``: advanced.csv,
weak.csv, pace.csv), the 自评分表 workbook (``excel``), 考核结果.xlsx (``results``, ``people``, ``sheets``), the
term files (``term_files``, ``term_excel``, ``term_word``, ``term_sheet``), workers.csv (``workers``) and the
briefing deck (``briefing``)."""

from analysis.outputs.excel import HEADERS, SUMMARY_HEADERS, sheet_name, write_self_assessment
from analysis.outputs.results import RESULTS_WORKBOOK, office_tables, write_results, write_results_workbook
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
    "RESULTS_WORKBOOK",
    "HEADERS",
    "RULES_CSV_COLUMNS",
    "SCORES_CSV_COLUMNS",
    "SUMMARY_HEADERS",
    "TermFiles",
    "as_text_cell",
    "office_tables",
    "rules_table",
    "scores_table",
    "sheet_name",
    "write_csv",
    "write_outputs",
    "write_results",
    "write_results_workbook",
    "write_self_assessment",
    "write_term_files",
]
