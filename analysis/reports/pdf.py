"""The printable PDF of a report, typeset by typst (the ``typst`` wheel bundles the compiler: no system
browser, no LaTeX, nothing but PyPI) from the same executed notebook as the page.

The notebook's prose (markdown cells and ``Markdown`` outputs), its tables (the ``table.dataframe``
of :func:`analysis.charts.show_table`, with a fold's heading as the table's title) and its charts
become one typst document: A4 portrait, the report's title in the page header, 第 N 页 / 共 M 页 in the
footer, table headers repeated on every page and no row split across two.  A chart saved next to the
report is drawn from its SVG (vector, small, its text searchable) — the A4-portrait variant of a slide
chart (``charts.print_svg``), whose type is sized for the page; any other picture from its PNG.
Text is set in the bundled Noto Sans CJK, whose glyphs the PDF embeds.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.reports.images import PNG, digest

#: the text area of an A4 page with the margins below, in mm: a picture taller than this is fit by height
_BODY_MM = (186.0, 252.0)
_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')
_LONG_TEXT = 14  #: a column whose longest cell has more characters than this gets the free width


@dataclass
class _Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Typst source.
# --------------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _str(text: str) -> str:
    """A typst string literal of ``text`` (shown as it is: no markup inside)."""
    text = _CONTROL.sub("", text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", " ").replace("\t", " ") + '"'


def _preamble(title: str, family: str) -> str:
    return f"""#set document(title: {_str(title)})
#set page(
  paper: "a4",
  margin: (x: 12mm, top: 18mm, bottom: 16mm),
  header: context {{
    if counter(page).get().first() > 1 {{
      set text(8pt, fill: luma(110))
      {_str(title)}
      v(-6pt)
      line(length: 100%, stroke: 0.4pt + luma(180))
    }}
  }},
  footer: context {{
    set text(8pt, fill: luma(110))
    align(center)[第 #counter(page).display() 页 / 共 #counter(page).final().first() 页]
  }},
)
#set text(font: ({_str(family)}, "Noto Sans CJK SC"), size: 10pt, lang: "zh", region: "cn")
#set par(leading: 0.75em, spacing: 0.9em)
#show heading: set text(weight: "bold")
#show heading.where(level: 1): it => block(below: 10pt, stroke: (bottom: 1.5pt + rgb("#b3261e")), inset: (bottom: 6pt), width: 100%, text(16pt, it.body))
#show heading.where(level: 2): set text(13pt)
#show heading.where(level: 3): set text(11pt)
#set table(stroke: 0.4pt + luma(170), inset: (x: 4pt, y: 3pt))
#set table.cell(breakable: false)
#show table: set text(7.5pt)
#show table.cell.where(y: 0): set text(weight: "bold")
"""


def _inline(tokens: list[Any]) -> str:
    """markdown-it inline tokens as typst code: strings, ``strong``, ``emph``."""
    out: list[str] = []
    wrap: list[str] = []
    prev = ""
    for tok in tokens:
        kind = tok.type
        if kind in ("text", "code_inline"):
            if not tok.content:
                continue
            out.append(_str(tok.content))
            prev = tok.content[-1:] or prev
        elif kind in ("softbreak", "hardbreak"):
            # a line break in Chinese prose joins the two lines; between Latin words it is a space
            out.append('" "' if prev.isascii() and prev.strip() else "")
        elif kind in ("strong_open", "em_open"):
            wrap.append(kind)
            out.append("#strong[" if kind == "strong_open" else "#emph[")
        elif kind in ("strong_close", "em_close") and wrap:
            wrap.pop()
            out.append("]")
    out.extend("]" for _ in wrap)
    return "".join(part if part.startswith(("#", "]")) or not part else f"#{part}" for part in out)


def _plain(tok: Any) -> str:
    """The text of an inline token (a link's text without its address)."""
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline"))


def _md_table(tokens: list[Any], start: int) -> str:
    """The markdown table opening at ``tokens[start]`` as a typst table (as the notebook tables are)."""
    t = _Table(title="", header=[])
    row: list[str] | None = None
    for tok in tokens[start:]:
        if tok.type == "table_close":
            break
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(_plain(tok))
        elif tok.type == "tr_close" and row is not None:
            if t.header:
                t.rows.append(row)
            else:
                t.header = row
            row = None
    t.numeric = [False] * len(t.header)
    return _table_typst(t)


def markdown_to_typst(text: str) -> str:
    """Markdown (the subset reports write: headings, paragraphs, bold, lists, rules, tables) as typst."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[str] = []
    depth = 0
    cells = 0  # inside a table: its cells' paragraphs are the table's
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            out.append(_md_table(tokens, i))
            cells += 1
        elif tok.type == "table_close":
            cells -= 1
        elif cells:
            continue
        elif tok.type == "heading_open":
            level = int(tok.tag[1:])
            out.append(f"#heading(level: {level})[{_inline(tokens[i + 1].children or [])}]")
        elif tok.type == "paragraph_open" and not (i and tokens[i - 1].type == "list_item_open"):
            out.append(f"#par[{_inline(tokens[i + 1].children or [])}]")
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open":
            para = tokens[i + 2] if i + 2 < len(tokens) and tokens[i + 1].type == "paragraph_open" else None
            body = _inline(para.children or []) if para is not None else ""
            out.append(f"#pad(left: {depth * 10}pt)[• {body}]")
        elif tok.type == "hr":
            out.append("#line(length: 100%, stroke: 0.4pt + luma(180))")
    return "\n".join(out)


def _table_typst(t: _Table) -> str:
    if not t.header:
        return ""
    widths = []
    for j in range(len(t.header)):
        longest = max((len(r[j]) for r in t.rows if j < len(r)), default=0)
        widths.append("1fr" if longest > _LONG_TEXT else "auto")
    if "1fr" not in widths:
        widths[-1] = "1fr"
    align = ", ".join("right" if n else "left" for n in t.numeric) or "left"
    head = ", ".join(_str(h) for h in t.header)
    body = ",\n  ".join(", ".join(_str(c) for c in (r + [""] * len(t.header))[: len(t.header)]) for r in t.rows)
    parts = []
    if t.title:
        parts.append(f"#block(above: 12pt, below: 4pt, breakable: false, strong({_str(t.title)}))")
    parts.append(
        f"#table(\n  columns: ({', '.join(widths)},),\n  align: ({align},),\n"
        f"  table.header({head}),\n  {body}\n)"
    )
    parts += [f"#par(text(8pt, {_str(n)}))" for n in t.notes]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Reading the notebook.
# --------------------------------------------------------------------------------------------
def _tables(html_text: str) -> Iterator[_Table | str]:
    """The tables of one HTML output, each with the heading of the fold it sits in, and the text of
    any paragraph outside a table (a "仅显示前 N 行" note)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_text, "html.parser")
    for node in soup.find_all(["table", "p"]):
        if node.name == "p":
            if node.find_parent("table") is None and node.get_text(strip=True):
                yield node.get_text(" ", strip=True)
            continue
        details = node.find_parent("details")
        summary = details.find("summary") if details else None
        cells_of = [row.find_all(["td", "th"], recursive=False) for row in node.select("tbody tr")]
        yield _Table(
            title=summary.get_text(strip=True) if summary else "",
            header=[th.get_text(strip=True) for th in node.select("thead th")],
            rows=[[c.get_text(" ", strip=True) for c in cells] for cells in cells_of],
            numeric=["num" in (c.get("class") or []) for c in (cells_of[0] if cells_of else [])],
        )


def _blocks(nb: Any, pictures: dict[str, bytes], charts: Mapping[str, Path]) -> Iterator[str]:
    """The notebook, cell by cell and output by output, as typst; pictures to write go in ``pictures``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield markdown_to_typst(cell.source)
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PNG in data:
                yield _picture(base64.b64decode(data[PNG]), pictures, charts)
            elif "text/html" in data:
                for part in _tables("".join(data["text/html"])):
                    if isinstance(part, _Table):
                        if part.rows:
                            yield _table_typst(part)
                        elif part.title:
                            yield f"#strong({_str(part.title)})"
                    else:
                        yield f"#par(text(8pt, {_str(part)}))"
            elif "text/markdown" in data:
                yield markdown_to_typst("".join(data["text/markdown"]))
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                yield f"#par({_str(''.join(out.get('text', '')))})"


def _picture(png: bytes, pictures: dict[str, bytes], charts: Mapping[str, Path]) -> str:
    """A picture of the notebook: a saved chart as the SVG of its A4-portrait variant (or its own SVG),
    as tall as it is drawn up to the page's body; any other picture as its PNG."""
    import struct

    from analysis.charts import print_svg

    width, height = struct.unpack(">II", png[16:24]) if png[:8] == b"\x89PNG\r\n\x1a\n" else (16, 9)
    chart = charts.get(digest(png))
    svg = print_svg(chart) if chart is not None else None
    name = f"picture-{len(pictures) + 1}"
    if svg is not None and svg.is_file():
        name += ".svg"
        pictures[name] = svg.read_bytes()
        drawn = _SVG_SIZE.search(pictures[name][:2000].decode("utf-8", "replace"))
        if drawn:
            width, height = float(drawn[1]), float(drawn[2])
    else:
        name += ".png"
        pictures[name] = png
    tall = height / max(width, 1) > _BODY_MM[1] / _BODY_MM[0]
    size = f"height: {_BODY_MM[1] - 20:.0f}mm" if tall else "width: 100%"
    return f'#align(center, image("{name}", {size}))'


# --------------------------------------------------------------------------------------------
# Compiling.
# --------------------------------------------------------------------------------------------
_FONTS: dict[str, Any] = {}


def _fonts() -> tuple[Any, str]:
    """typst's font book with the workbench's CJK font (loaded once per process) and its family."""
    import typst

    from analysis.charts import register_cjk_font

    choice = register_cjk_font()
    key = str(choice.path)
    if key not in _FONTS:
        paths = [str(choice.path.parent)] if choice.path is not None else []
        _FONTS[key] = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=paths)
    return _FONTS[key], choice.family


def typst_source(nb: Any, title: str, charts: Mapping[str, Path] | None = None) -> tuple[str, dict[str, bytes]]:
    """The typst document of an executed notebook, and the pictures it names (file name -> bytes)."""
    _, family = _fonts()
    pictures: dict[str, bytes] = {}
    body = [b for b in _blocks(nb, pictures, charts or {}) if b]
    return _preamble(title, family) + "\n\n".join(body) + "\n", pictures


def notebook_to_pdf(
    nb: Any, pdf_path: str | os.PathLike[str], title: str, charts: Mapping[str, Path] | None = None
) -> Path:
    """Typeset the executed notebook ``nb`` (a path or the notebook itself) as an A4 PDF at ``pdf_path``.

    Raises
    ------
    typst.TypstError
        The document did not compile (a bug of this module, not of the data: every text is a string).
    """
    import nbformat
    import typst

    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(str(nb), as_version=4)
    source, pictures = typst_source(nb, title, charts)
    fonts, _ = _fonts()
    out = Path(pdf_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        root = Path(tmp)
        for name, data in pictures.items():
            (root / name).write_bytes(data)
        (root / "report.typ").write_text(source, encoding="utf-8")
        compiler = typst.Compiler(root=str(root), font_paths=fonts, ignore_system_fonts=True)
        pdf = compiler.compile(str(root / "report.typ"), format="pdf", pdf_tags=False)
    out.write_bytes(pdf)
    return out
