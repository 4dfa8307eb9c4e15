"""What becomes of an executed notebook: its pictures made small (pixel for pixel the same), its offline
page, its PDF, and the notebook itself kept only when asked for — all from one reading of it."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

from analysis.reports.html import render_page
from analysis.reports.images import compact_run
from analysis.reports.jobs import _Job
from analysis.reports.pdf import notebook_to_pdf


def export_job(job: _Job, nb: Any = None) -> tuple[Path | None, list[str], str]:
    """Write ``job``'s page (and PDF) from its executed notebook ``nb`` (None: read from
    ``job.ipynb``); returns the PDF written (None when it could not be made), warnings for the user and
    the page's HTML.  A failing export of the page raises."""
    import nbformat

    if nb is None:
        nb = nbformat.read(str(job.ipynb), as_version=4)
    charts_dir = job.parameters.get("charts_dir")
    charts = compact_run(nb, Path(charts_dir) if charts_dir else None)
    pdf_href = None
    if job.pdf is not None:
        pdf_href = urllib.parse.quote(job.pdf.relative_to(job.html.parent).as_posix())
    title = job.label.replace("_", "：", 1)  # 单位画像：市委办公室机关党委
    warnings: list[str] = []
    pdf = None
    if job.pdf is not None:
        try:
            pdf = notebook_to_pdf(nb, job.pdf, title, charts)
        except Exception as exc:  # noqa: BLE001 — the page is still worth having without its PDF
            warnings.append(f"{job.label}：PDF 未能生成（{type(exc).__name__}: {exc}）")
            pdf_href = None
    page = render_page(nb, title=title, index_href="index.html", pdf_href=pdf_href, links=job.links, charts=charts)
    job.html.parent.mkdir(parents=True, exist_ok=True)
    job.html.write_text(page, encoding="utf-8")
    if job.keep_notebook:
        nbformat.write(nb, str(job.ipynb))  # with the smaller pictures
    else:
        job.ipynb.unlink(missing_ok=True)
    return pdf, warnings, page
