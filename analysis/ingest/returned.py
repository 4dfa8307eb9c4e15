"""The workbench's own workbooks coming back from the orgs, read before the usual recognition: a returned
自评分表 (:mod:`analysis.ingest.self_sheet`) and a filled-in 台账模板 (:mod:`analysis.ingest.template_book`).
Any other file's sheets pass through unchanged."""

from __future__ import annotations

from analysis.ingest.readers import RawSheet
from analysis.ingest.self_sheet import returned_self_scores
from analysis.ingest.template_book import returned_template


def returned_workbook(sheets: list[RawSheet], scan: int = 20) -> list[RawSheet]:
    """``sheets`` as the usual recognition should see them (see the two modules)."""
    return returned_template(returned_self_scores(sheets, scan))
