"""What becomes of an executed notebook: its pictures made small (pixel for pixel the same), its offline
page, its PDF, and the notebook itself kept only when asked for — all from one reading of it."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from analysis.reports.html import notebook_to_html
from analysis.reports.images import compact_run
from analysis.reports.jobs import _Job
from analysis.reports.pdf import notebook_to_pdf


def export_job(job: _Job) -> tuple[Path | None, list[str]]:
    """Write ``job``'s page (and PDF) from its executed notebook; returns the PDF written (None when it
    could not be made) and warnings for the user.  A failing export of the page raises."""
    import nbformat

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
    notebook_to_html(
        nb,
        job.html,
        title=title,
        index_href="index.html",
        pdf_href=pdf_href,
        links=job.links,
        charts=charts,
    )
    if job.keep_notebook:
        nbformat.write(nb, str(job.ipynb))  # with the smaller pictures
    else:
        job.ipynb.unlink(missing_ok=True)
    return pdf, warnings
