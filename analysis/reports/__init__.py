"""Reports: which notebook runs with which parameters (``catalogue``), the planned runs and their outcomes
(``jobs``), the papermill worker pool (``runner``), what becomes of a run (``export``: pictures made
small by ``images``, the offline page by ``html``, its PDF by ``pdf``), what the pages share (``assets``)
and the index page (``index``)."""

from collections.abc import Iterable

from analysis.reports.assets import ASSETS_DIR, FONT_SCRIPT, TABLES_SCRIPT
from analysis.reports.catalogue import (
    NOTEBOOKS_DIR,
    PACKAGE_ROOT,
    REPORTS,
    TERM_REPORT,
    Report,
    term_report_orgs,
    top_level_orgs,
)
from analysis.reports.html import TEMPLATE_NAME, TEMPLATES_DIR, external_refs, notebook_to_html, org_anchor
from analysis.reports.images import compact_png
from analysis.reports.index import INDEX_TITLE, term_reminder_rows, write_index
from analysis.reports.jobs import ReportFailure, ReportOutput, ReportRun
from analysis.reports.jobs import _Job as _Job  # the tests build jobs and run them one by one
from analysis.reports.pdf import notebook_to_pdf
from analysis.reports.runner import KERNEL_LOG, KERNEL_NAME, TERMS_FILE, run_reports
from analysis.reports.runner import _run_job as _run_job
from analysis.views import (  # the frames the notebooks show, importable from here as before
    DEFAULT_RULESET,
    MANIFEST_STATUS_ZH,
    NOT_IN_REGISTRY,
    UNKNOWN_ORG,
    FilterError,
    Quality,
    cached_assess,
    check_filter,
    evidence_refs,
    grade_summary,
    headline,
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
    "check_filter",
    "compact_png",
    "external_refs",
    "FilterError",
    "headline",
    "notebook_to_html",
    "notebook_to_pdf",
    "org_anchor",
    "quality",
    "run_reports",
    "select_orgs",
    "subtree",
    "term_reminder_rows",
    "term_report_orgs",
    "top_level_orgs",
    "write_index",
    # not in the old module's __all__, but importable from it (the CLI takes NOTEBOOKS_DIR)
    "ASSETS_DIR",
    "DEFAULT_RULESET",
    "FONT_SCRIPT",
    "INDEX_TITLE",
    "KERNEL_LOG",
    "KERNEL_NAME",
    "MANIFEST_STATUS_ZH",
    "NOT_IN_REGISTRY",
    "NOTEBOOKS_DIR",
    "PACKAGE_ROOT",
    "TEMPLATE_NAME",
    "TEMPLATES_DIR",
    "TABLES_SCRIPT",
    "TERM_REPORT",
    "TERMS_FILE",
    "UNKNOWN_ORG",
)
