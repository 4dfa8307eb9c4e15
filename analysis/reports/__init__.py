"""Reports: which notebook runs with which parameters (``catalogue``), the planned runs and their outcomes
(``jobs``), the papermill worker pool (``runner``), offline HTML (``html``) and the index page (``index``)."""

from collections.abc import Iterable

from analysis.reports.catalogue import NOTEBOOKS_DIR, PACKAGE_ROOT, REPORTS, Report, top_level_orgs
from analysis.reports.html import (
    FONT_URL,
    TEMPLATE_NAME,
    TEMPLATES_DIR,
    external_refs,
    notebook_to_html,
    write_page_font,
)
from analysis.reports.index import INDEX_TITLE, write_index
from analysis.reports.jobs import ReportFailure, ReportOutput, ReportRun
from analysis.reports.jobs import _Job as _Job  # the tests build jobs and run them one by one
from analysis.reports.runner import KERNEL_LOG, KERNEL_NAME, run_reports
from analysis.reports.runner import _run_job as _run_job
from analysis.views import (  # the frames the notebooks show, importable from here as before
    DEFAULT_RULESET,
    MANIFEST_STATUS_ZH,
    NOT_IN_REGISTRY,
    UNKNOWN_ORG,
    Quality,
    cached_assess,
    evidence_refs,
    grade_summary,
    quality,
    rule_table,
    select_orgs,
    subtree,
    years_with_data,
)

__all__: Iterable[str] = (
    "REPORTS",
    "evidence_refs",
    "grade_summary",
    "rule_table",
    "years_with_data",
    "cached_assess",
    "Quality",
    "Report",
    "ReportFailure",
    "ReportOutput",
    "ReportRun",
    "external_refs",
    "notebook_to_html",
    "quality",
    "run_reports",
    "select_orgs",
    "subtree",
    "top_level_orgs",
    "write_index",
    # not in the old module's __all__, but importable from it (the CLI takes NOTEBOOKS_DIR)
    "DEFAULT_RULESET",
    "FONT_URL",
    "INDEX_TITLE",
    "KERNEL_LOG",
    "KERNEL_NAME",
    "MANIFEST_STATUS_ZH",
    "NOT_IN_REGISTRY",
    "NOTEBOOKS_DIR",
    "PACKAGE_ROOT",
    "TEMPLATE_NAME",
    "TEMPLATES_DIR",
    "UNKNOWN_ORG",
    "write_page_font",
)
