"""Moved: the 自评分表 workbook now lives in :mod:`analysis.outputs.excel`.

This module stays so that ``from analysis.excel import write_self_assessment`` (and the other names
below) keeps working; new code imports from :mod:`analysis.outputs`.
"""

from analysis.outputs.excel import (
    HEADERS,
    MAX_WIDTHS,
    PER_ORG_SHEETS_MAX,
    SUMMARY_HEADERS,
    SUMMARY_SHEET,
    sheet_name,
    write_self_assessment,
)

__all__ = [
    "HEADERS",
    "PER_ORG_SHEETS_MAX",
    "SUMMARY_HEADERS",
    "SUMMARY_SHEET",
    "MAX_WIDTHS",
    "sheet_name",
    "write_self_assessment",
]
