"""Drawing a chart (Vega spec, SVG, PNG, PDF), saving it for slides and print, and showing charts and
tables in a notebook without JavaScript.

In notebooks :func:`show` displays a chart as inline SVG (``image/svg+xml``) that nbconvert embeds
as a data-URI ``<img>``: the exported HTML needs no JavaScript and no CDN.  :func:`use_offline`
switches altair's own renderer to ``"svg"`` (vl-convert) for interactive JupyterLab use.  altair's
default ``html`` renderer loads vega from a CDN, and its ``mimetype``/``jupyterlab`` renderers emit
``application/vnd.vegalite.v6.json``, which JupyterLab 4's built-in vega extension (v3-v5 only)
does not render — so neither works on an offline intranet.
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from analysis.charts.common import redraw
from analysis.charts.labels import zh_frame
from analysis.charts.style import (
    DEFAULT_SIZE,
    META_KEY,
    PNG_MAX_PIXELS,
    PNG_SCALE,
    SIZES,
    THEME_NAME,
    FontChoice,
    Size,
    get_size,
    place_note,
    register_cjk_font,
)
from analysis.filenames import safe_filename
from analysis.vocab import NOT_SCORED


# --------------------------------------------------------------------------------------------
# Rendering, export and display.
# --------------------------------------------------------------------------------------------
def chart_meta(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """What a builder recorded on ``chart``: ``{"size": name, "note": text or None}``."""
    usermeta = getattr(chart, "usermeta", None)
    meta = usermeta.get(META_KEY, {}) if isinstance(usermeta, dict) else {}
    return {"size": meta.get("size", DEFAULT_SIZE), "note": meta.get("note")}


def chart_size(chart: alt.TopLevelMixin) -> Size:
    """The size preset ``chart`` was built for (``slide`` when it names none)."""
    return get_size(chart_meta(chart)["size"])


def to_vega(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The compiled Vega spec of ``chart`` under the workbench theme of its size, with its source note
    placed under it (whatever theme is active)."""
    register_cjk_font()
    meta = chart_meta(chart)
    size = get_size(meta["size"])
    with alt.theme.enable(size.theme):
        spec = chart.to_dict(validate=False)
        shape = _shape(spec)
        if shape not in _VALIDATED:
            spec = chart.to_dict()  # altair's check against the Vega-Lite schema, as always
            _VALIDATED.add(shape)
    vega = vlc.vegalite_to_vega(spec)
    return place_note(vega, meta["note"], size) if meta["note"] else vega


#: the shapes of the specs validated in this process (see :func:`_shape`)
_VALIDATED: set[Any] = set()


def _shape(node: Any) -> Any:
    """What the Vega-Lite schema checks of a spec, without its data: the keys at every level and the
    type of every value (a list: the shapes of its items).  altair's validation of a spec walks the
    whole schema (~0.1 s a chart, ~0.25 s of a 任期考核 page's 0.8); a builder draws one shape for
    every org, so each shape is validated once per process and its other specs are not again."""
    if isinstance(node, dict):
        return tuple(sorted((str(k), _shape(v)) for k, v in node.items() if k not in ("values", "datasets")))
    if isinstance(node, list):
        return ("list", tuple(sorted({_shape(v) for v in node}, key=repr)))
    return type(node).__name__


_CONCAT = (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)
_SVG_SIZE = re.compile(r'<svg([^>]*?)\swidth="([\d.]+)"([^>]*?)\sheight="([\d.]+)"([^>]*?)\sviewBox="[^"]*"')


def to_svg(chart: alt.TopLevelMixin) -> str:
    """``chart`` drawn as SVG (text as ``<text>`` in the CJK font stack).

    A builder's concatenated chart (which Vega cannot fit to a size, only lay out inside it) is put
    on a canvas of its full size, so that every chart of a size has the same pixels."""
    svg = vlc.vega_to_svg(to_vega(chart))
    usermeta = getattr(chart, "usermeta", None)
    if isinstance(chart, _CONCAT) and isinstance(usermeta, dict) and META_KEY in usermeta:
        size = chart_size(chart)
        svg = _on_canvas(svg, size.width, size.height)
    return svg


def _on_canvas(svg: str, width: int, height: int) -> str:
    """``svg`` with its drawing left where it is on a white canvas of ``width`` × ``height`` px (a
    drawing larger than that keeps its own size)."""
    m = _SVG_SIZE.search(svg)
    if not m or float(m.group(2)) > width or float(m.group(4)) > height:
        return svg
    head = (
        f'<svg{m.group(1)} width="{width}"{m.group(3)} height="{height}"{m.group(5)} '
        f'viewBox="0 0 {width} {height}"'
    )
    svg = svg[: m.start()] + head + svg[m.end() :]
    close = svg.index(">", m.start()) + 1
    return svg[:close] + f'<rect width="{width}" height="{height}" fill="white"/>' + svg[close:]


def to_png(chart: alt.TopLevelMixin, scale: float | None = None) -> bytes:
    """``chart`` as PNG at ``scale`` (default: its size's, 1600×900 for a slide)."""
    return _png(to_svg(chart), chart_size(chart).png_scale if scale is None else scale)


def _png(svg: str, scale: float) -> bytes:
    """``svg`` rasterised and stored with a palette of 256 colours: a chart has a handful of flat
    colours and the shades of anti-aliased edges, so the picture looks the same and the file is
    about a quarter of vl-convert's RGBA PNG (a 1600×900 chart: ~60–120 KB, not ~450)."""
    from PIL import Image

    image = Image.open(io.BytesIO(vlc.svg_to_png(svg, scale=scale))).convert("RGB")
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, "PNG")
    return out.getvalue()


def to_pdf(chart: alt.TopLevelMixin) -> bytes:
    """``chart`` as a one-page PDF of its physical size (a ``slide`` chart is a 13.33×7.5 in slide,
    an ``a4`` one an A4 page), the CJK font embedded."""
    return _pdf(to_svg(chart))


_PT_PER_PX = 0.75  #: CSS px are 1/96 in, PDF points 1/72 in


def _pdf(svg: str) -> bytes:
    # resvg makes one SVG unit one PDF point; the SVG's width and height in points (its viewBox
    # kept in px) give the page its physical size: 1280 px = 960 pt = 13.33 in.
    m = _SVG_SIZE.search(svg)
    if m:
        width, height = float(m.group(2)) * _PT_PER_PX, float(m.group(4)) * _PT_PER_PX
        head = f'<svg{m.group(1)} width="{width:g}"{m.group(3)} height="{height:g}"{m.group(5)}'
        viewbox = svg[m.end(5) : m.end()]
        svg = svg[: m.start()] + head + viewbox + svg[m.end() :]
    return vlc.svg_to_pdf(svg)


def png_scale(svg: str, max_pixels: float = PNG_MAX_PIXELS, scale: float = PNG_SCALE) -> float:
    """``scale``, lowered for a very tall chart (hundreds of rows) so that its PNG stays under
    ``max_pixels`` — a 2560×14000 image helps nobody and costs seconds and megabytes."""
    m = re.search(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', svg)
    if not m:
        return scale
    area = float(m.group(1)) * float(m.group(2))
    return min(scale, round((max_pixels / area) ** 0.5, 2)) if area > 0 else scale


def _write(
    svg: str, out_dir: str | os.PathLike[str], name_zh: str, scale: float, png: bytes | None = None
) -> list[Path]:
    # PNG and PDF are rasterised/converted from the one SVG: Vega lays the chart out once
    # (the slow step), resvg draws it with the registered fonts (the PDF embeds them).
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(name_zh)
    files = {
        out / f"{stem}.png": png if png is not None else _png(svg, png_scale(svg, scale=scale)),
        out / f"{stem}.svg": svg.encode("utf-8"),
        out / f"{stem}.pdf": _pdf(svg),
    }
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def save_chart(chart: alt.TopLevelMixin, out_dir: str | os.PathLike[str], name_zh: str) -> list[Path]:
    """Write ``chart`` as PNG, SVG (web) and PDF (print) into ``out_dir``, named after ``name_zh``
    (e.g. ``得分分布.png``).  The chart's size preset sets the PNG's pixels (a ``slide`` chart is
    1600×900, an ``a4`` one 1191×1685) and the PDF's page (a 16:9 slide, an A4 page).  Returns the
    three paths.  A slide chart from a builder also gets its A4-portrait variant beside them
    (``得分分布_A4.svg`` and ``.pdf``, see :func:`print_svg`)."""
    files = _write(to_svg(chart), out_dir, name_zh, chart_size(chart).png_scale)
    _write_a4(chart, out_dir, name_zh)
    return files


A4_VARIANT = "_A4"  #: the file-name suffix of a slide chart's A4-portrait variant


def _write_a4(chart: alt.TopLevelMixin, out_dir: str | os.PathLike[str], name_zh: str) -> list[Path]:
    """The A4-portrait variant of a slide chart, drawn again by its builder: SVG and PDF (for print;
    the slide's PNG serves the screen).  Nothing for an A4 chart or one no builder made."""
    a4 = SIZES["a4"]
    variant = None if chart_size(chart) is a4 else redraw(chart, a4)
    if variant is None:
        return []
    svg = to_svg(variant)
    stem = Path(out_dir) / safe_filename(name_zh + A4_VARIANT)
    files = {stem.with_suffix(".svg"): svg.encode("utf-8"), stem.with_suffix(".pdf"): _pdf(svg)}
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def print_svg(saved: str | os.PathLike[str]) -> Path:
    """The SVG that a printed (A4) page draws for the chart saved as ``saved`` (any of its files):
    its A4-portrait variant when one was written, else its own SVG."""
    path = Path(saved)
    a4 = path.with_name(path.stem + A4_VARIANT + ".svg")
    return a4 if a4.is_file() else path.with_suffix(".svg")


def inline_svg(chart: alt.TopLevelMixin) -> Any:
    """``chart`` as an IPython SVG object: displayed inline, exported by nbconvert without JS."""
    from IPython.display import SVG

    return SVG(to_svg(chart))


def show(
    chart: alt.TopLevelMixin,
    out_dir: str | os.PathLike[str] | None = None,
    name_zh: str | None = None,
) -> None:
    """Display ``chart`` inline as a PNG drawn by vl-convert with the CJK font and, given ``out_dir``
    and ``name_zh``, also save its PNG/SVG/PDF there, and a slide chart's A4 variant (see
    :func:`save_chart`).  Returns nothing, so a
    notebook cell ending in ``show(...)`` prints no list of paths under the chart.

    PNG rather than SVG inline: an SVG's text is drawn by the *reader's* fonts, which on a machine
    without a Chinese font are empty boxes; the PNG carries its glyphs."""
    from IPython.display import Image, display

    svg = to_svg(chart)
    scale = png_scale(svg, scale=chart_size(chart).png_scale)
    png = _png(svg, scale)
    width = re.search(r'<svg[^>]*?\swidth="([\d.]+)"', svg)
    display(Image(data=png, format="png", width=int(float(width.group(1))) if width else None))
    if out_dir is not None and name_zh:
        _write(svg, out_dir, name_zh, scale, png)  # the PNG just shown is the file: rasterised once
        _write_a4(chart, out_dir, name_zh)


def show_table(df: pl.DataFrame, max_rows: int | None = 200, collapsed: str | None = None) -> None:
    """Display a frame as a plain HTML table with Chinese headers and values (see :func:`zh_frame`);
    an empty value (null: an item not scored, a missing reference) reads "—", as in the CLI and the
    Excel; long frames are cut at ``max_rows`` with a note saying so.  With ``collapsed`` the table sits
    folded under that heading (an HTML ``<details>``: no JavaScript needed).  Returns nothing, so a
    notebook cell ending in ``show_table(...)`` shows the table once, not a second time as its result."""
    from IPython.display import HTML, display

    part = df if max_rows is None else df.head(max_rows)
    if "p_selected" in part.columns:  # a probability reads best as a percentage
        part = part.with_columns((pl.col("p_selected") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")
    numeric = [dtype.is_numeric() for dtype in part.schema.values()]
    shown = zh_frame(part)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if num else ''}>{NOT_SCORED if v is None else html.escape(str(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in shown.iter_rows()
    )
    note = ""
    if max_rows is not None and df.height > max_rows:
        note = f"<p>仅显示前 {max_rows} 行，共 {df.height} 行。</p>"
    if df.height == 0:
        note = "<p>（无记录）</p>"
    markup = f'<table class="dataframe"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'
    if collapsed:
        markup = f"<details><summary>{html.escape(collapsed)}</summary>{markup}</details>"
    display(HTML(markup))


def use_offline() -> FontChoice:
    """Set up a notebook for offline use: register the CJK font, enable the workbench theme and
    draw altair charts through vl-convert as SVG (no CDN JavaScript).  Returns the font used."""
    font = register_cjk_font()
    alt.theme.enable(THEME_NAME)
    alt.renderers.enable("png")  # drawn by vl-convert with the registered font; no JavaScript, no CDN
    return font
