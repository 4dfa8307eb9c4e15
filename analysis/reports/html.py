"""Offline HTML: an executed notebook exported to a page with the ``offline_zh`` nbconvert template
(code hidden, no require.js, no MathJax, nothing fetched from the network, ``<html lang="zh">``), its
tables linked to the 单位画像 pages, and the check that a page fetches nothing.  The font and the
table script the pages share are written by :mod:`analysis.reports.assets`.

The templates stay in ``analysis/templates/`` (package data), one folder above this module.
"""

from __future__ import annotations

import base64
import copy
import os
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from analysis.reports.images import digest
from analysis.vocab import ORGS

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "offline_zh"


def notebook_to_html(
    nb: Any,
    html_path: str | os.PathLike[str],
    title: str | None = None,
    index_href: str | None = None,
    pdf_href: str | None = None,
    links: Mapping[str, str] | None = None,
    charts: Mapping[str, Path] | None = None,
) -> Path:
    """Export an executed notebook (a path or the notebook itself) to an offline HTML page (see the
    module doc and :func:`render_page`)."""
    import nbformat

    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(str(nb), as_version=4)
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_page(nb, title, index_href, pdf_href, links, charts), encoding="utf-8")
    return out


def render_page(
    nb: Any,
    title: str | None = None,
    index_href: str | None = None,
    pdf_href: str | None = None,
    links: Mapping[str, str] | None = None,
    charts: Mapping[str, Path] | None = None,
) -> str:
    """The offline HTML page of the executed notebook ``nb`` (left as it is).

    Output that went to stderr (warnings) is left out: the page is for readers, not developers.
    ``index_href`` adds a "返回报告目录" link at the top, ``pdf_href`` a link to the page's PDF.
    ``links`` maps an org code to the page (and ``#org-…`` anchor) of its 单位画像: every code in a
    table's 组织编码 column becomes that link.  ``charts`` (:func:`analysis.reports.images.compact_run`)
    names each picture after its chart.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    if title:
        nb.metadata["title"] = title
    resources = {k: v for k, v in (("index_href", index_href), ("pdf_href", pdf_href)) if v}
    body, _ = _exporter().from_notebook_node(nb, resources=resources or None)
    return polish(body, links or {}, charts or {})


_EXPORTERS: list[Any] = []


def _exporter() -> Any:
    """The page exporter, made once per process: its templates are compiled on first use (~0.1 s),
    and a worker exports dozens of pages."""
    if not _EXPORTERS:
        from nbconvert import HTMLExporter

        _EXPORTERS.append(
            HTMLExporter(
                template_name=TEMPLATE_NAME,
                extra_template_basedirs=[str(TEMPLATES_DIR)],
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
                exclude_anchor_links=True,
                embed_images=True,
                language_code="zh",
            )
        )
    return _EXPORTERS[0]


ORG_ANCHOR = "org-"  #: ``#org-<code>``: an organisation's fold on its 单位画像 page
_ORG_HEADER = ORGS.column("org_id").zh
_CODE_IN_SUMMARY = re.compile(r"（([^（）]+)）")


def org_anchor(org_id: str) -> str:
    return ORG_ANCHOR + org_id


def polish(page: str, links: Mapping[str, str], charts: Mapping[str, Path]) -> str:
    """The exported page made ready to read: each picture named (its chart's name, else 图表, never
    nbconvert's English placeholder), the org codes of every 组织编码 column linked to their
    单位画像, and each fold headed "名称（编码）…" given the ``org-<编码>`` anchor those links name."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for img in soup.select("img"):
        src = str(img.get("src", ""))
        name = "图表"
        if src.startswith("data:image/png;base64,"):
            chart = charts.get(digest(base64.b64decode(src.split(",", 1)[1])))
            name = chart.stem if chart is not None else name
        img["alt"] = name
    for table in soup.select("table.dataframe"):
        heads = [th.get_text() for th in table.select("thead th")]
        if _ORG_HEADER not in heads:
            continue
        col = heads.index(_ORG_HEADER)
        for row in table.select("tbody tr"):
            cells = row.find_all("td", recursive=False)
            code = cells[col].get_text() if col < len(cells) else ""
            if code in links:
                cells[col].clear()
                a = soup.new_tag("a", href=links[code])
                a.string = code
                cells[col].append(a)
    for details in soup.select("details"):
        summary = details.find("summary")
        found = _CODE_IN_SUMMARY.findall(summary.get_text()) if summary else []
        code = next((c for c in found if c in links), None)
        if code is not None and not details.get("id"):
            details["id"] = org_anchor(code)
    return str(soup)


class _RefFinder(HTMLParser):
    _ATTRS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src", "embed": "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self._ATTRS.get(tag)
        for name, value in attrs:
            if value is None:
                continue
            if name == wanted or name == "srcset" or (tag == "object" and name == "data"):
                self.refs.append(value.strip())
            elif name == "style":
                self.css.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


_CSS_REF = r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)"""


def external_refs(html_text: str) -> list[str]:
    """Addresses a page would fetch from the network: ``http(s)://`` or protocol-relative ``//``
    in ``<script src>``, ``<link href>``, ``<img src>`` (and iframe/source/embed/object), and in
    CSS ``url()``/``@import``.  Links a reader may click (``<a href>``) are not fetches."""
    finder = _RefFinder()
    finder.feed(html_text)
    refs = list(finder.refs)
    for css in finder.css:
        refs += [a or b for a, b in re.findall(_CSS_REF, css)]
    return [r for r in refs if re.match(r"(?i)^(https?:)?//", r)]
