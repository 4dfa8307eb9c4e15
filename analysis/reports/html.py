"""Offline HTML: an executed notebook exported to a self-contained page with the ``offline_zh``
nbconvert template (code hidden, no require.js, no MathJax, nothing fetched from the network,
``<html lang="zh">``), the check that a page fetches nothing, and the CJK font embedded in the pages.

The templates stay in ``analysis/templates/`` (package data), one folder above this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "offline_zh"


def notebook_to_html(
    nb_path: str | os.PathLike[str],
    html_path: str | os.PathLike[str],
    title: str | None = None,
    index_href: str | None = None,
) -> Path:
    """Export an executed notebook to a self-contained offline HTML page (see the module doc).

    Output that went to stderr (warnings) is left out: the page is for readers, not developers.
    ``index_href`` adds a "返回报告目录" link at the top.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        language_code="zh",
    )
    body, _ = exporter.from_notebook_node(nb, resources={"index_href": index_href} if index_href else None)
    out = Path(html_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


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
    import re

    finder = _RefFinder()
    finder.feed(html_text)
    refs = list(finder.refs)
    for css in finder.css:
        refs += [a or b for a, b in re.findall(_CSS_REF, css)]
    return [r for r in refs if re.match(r"(?i)^(https?:)?//", r)]

FONT_URL = 'url("fonts/cjk.woff2")'  #: the placeholder the templates name the page font by
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def write_page_font(pages: Iterable[Path]) -> int:
    """Embed in every page the CJK font cut to the characters of all ``pages`` (one WOFF2 of a few
    hundred KB, as a data: URI), so Chinese reads correctly on a machine without any Chinese font.

    Embedded rather than linked: browsers refuse fonts loaded from ``file://`` pages (each file is its
    own origin), and a linked font would also be lost when one page is mailed on its own.
    Returns the size of the font in bytes (0 when no CJK font is available)."""
    import base64
    import tempfile

    from analysis.charts import subset_font

    pages = [Path(p) for p in pages]
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    # the pages are mostly base64 images: look for the non-ASCII characters only (a regex runs in C),
    # and always keep printable ASCII
    found: set[str] = set()
    for text in texts.values():
        found.update(_NON_ASCII.findall(text))
    chars = {c for c in found if c.isprintable()} | {chr(i) for i in range(32, 127)}
    with tempfile.TemporaryDirectory() as tmp:
        font = subset_font("".join(chars), Path(tmp) / "cjk.woff2")
        if font is None:
            return 0
        data = font.read_bytes()
    uri = 'url("data:font/woff2;base64,' + base64.b64encode(data).decode("ascii") + '")'
    for page, text in texts.items():
        page.write_text(text.replace(FONT_URL, uri), encoding="utf-8")
    return len(data)
