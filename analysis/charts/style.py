"""The CJK font and the chart theme: which font vl-convert draws Chinese with, a font cut for web pages,
and the 16:9 briefing-slide look every chart shares.

Charts are drawn by vl-convert (a Vega engine inside the Python wheel: no browser, no network).  It
only knows the fonts it is told about, so before anything is drawn :func:`register_cjk_font` points
it at the Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` package (on Windows, when
that package font is missing, at the system's Microsoft YaHei / SimHei).  Without it every Chinese
character is drawn as the same empty box.

The chart theme names a CSS font stack that starts with "Noto Sans CJK SC" and falls through to the
usual Windows/macOS/Linux CJK fonts: vl-convert takes the first family it has, and a browser showing
an SVG does the same with its own fonts (a browser that can show the report's Chinese prose can show
the chart's Chinese labels).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from analysis.vocab import GRADES

# --------------------------------------------------------------------------------------------
# Fonts.
# --------------------------------------------------------------------------------------------
FONT_FAMILY = "Noto Sans CJK SC"
#: CSS font stack used by every chart; the first family vl-convert (or the browser) has wins.
FONT_STACK = (
    '"Noto Sans CJK SC", "Microsoft YaHei", "SimHei", "PingFang SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", sans-serif'
)
_WINDOWS_FONTS = (("Microsoft YaHei", ("msyh.ttc", "msyh.ttf")), ("SimHei", ("simhei.ttf",)))


@dataclass(frozen=True)
class FontChoice:
    """The CJK font vl-convert was pointed at."""

    family: str
    path: Path | None  # the font file, None when no CJK font was found


_registered: FontChoice | None = None


def _package_font() -> Path | None:
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def _windows_font() -> tuple[str, Path] | None:
    fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    for family, files in _WINDOWS_FONTS:
        for name in files:
            if (fonts / name).is_file():
                return family, fonts / name
    return None


def register_cjk_font() -> FontChoice:
    """Point vl-convert at a CJK font once per process and say which one.

    The ``noto-cjk-sans-otc`` package font comes first; on Windows, when it is missing, the system's
    Microsoft YaHei or SimHei.  Calling it again is free.  When no CJK font is found the charts still
    render, with boxes in place of Chinese characters (``FontChoice.path is None``).
    """
    global _registered
    if _registered is not None:
        return _registered
    choice = FontChoice(FONT_FAMILY, None)
    package = _package_font()
    if package is not None:
        vlc.register_font_directory(str(package.parent))
        choice = FontChoice(FONT_FAMILY, package)
    elif sys.platform == "win32" and (found := _windows_font()) is not None:
        vlc.register_font_directory(str(found[1].parent))
        choice = FontChoice(found[0], found[1])
    _registered = choice
    return choice


def subset_font(text: str, out_path: str | os.PathLike[str]) -> Path | None:
    """Write a WOFF2 font holding just the glyphs of ``text``, cut from the CJK font, for web pages.

    A whole Noto Sans CJK is ~20 MB; the characters of a run's reports make a font of a few hundred KB
    that the pages load from ``fonts/`` next to them (offline, no system font needed).  Returns None
    when no CJK font file is known (the pages then use the reader's system fonts).
    """
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    font = register_cjk_font()
    if font.path is None:
        return None
    path = Path(font.path)
    if path.suffix.lower() == ".ttc":
        number = 0
        for i, f in enumerate(TTCollection(str(path), lazy=True).fonts):
            if f["name"].getDebugName(1) == FONT_FAMILY:
                number = i
                break
        tt = TTFont(str(path), fontNumber=number, lazy=False)
    else:
        tt = TTFont(str(path))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(set(text) | set(" 0123456789.,:%-()（）"))))
    sub.subset(tt)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(tt, str(out), options)
    return out


# --------------------------------------------------------------------------------------------
# Sizes and theme: a 16:9 briefing slide or an A4 portrait page.
# --------------------------------------------------------------------------------------------
THEME_NAME = "dangjian"
META_KEY = "workbench"  #: the key of a chart's ``usermeta`` where the builders leave its size and note


@dataclass(frozen=True)
class Size:
    """A chart size preset: the whole chart in CSS px (title, axes and note included), the PNG
    scale, and the type sizes that keep labels readable at that size."""

    name: str
    width: int
    height: int
    png_scale: float  #: PNG pixels per CSS px
    title: int
    subtitle: int
    label: int  #: axis and legend labels
    axis_title: int
    text: int  #: numbers and names drawn next to marks
    note: int  #: the source note under the chart
    padding: int
    min_label: int  #: the smallest row label a chart with many rows may shrink to

    @property
    def fixed_height(self) -> bool:
        """A slide is a fixed 16:9 frame; on a page (``a4``) a chart of rows may be shorter."""
        return self.name == "slide"

    def figure(self) -> Size:
        """The size of a chart that is not a list of rows (a histogram, a line chart, the 同级 dot
        rows): a slide as it is; on a page 4:3 — a term's three years are not a page of lines."""
        return self if self.fixed_height else replace(self, height=round(self.width * FIGURE_RATIO))

    @property
    def theme(self) -> str:
        """The altair theme registered for this size."""
        return THEME_NAME if self.name == "slide" else f"{THEME_NAME}-{self.name}"


#: ``slide``: 1280×720 px is the 13.33×7.5 in of a 16:9 PowerPoint/WPS slide (the PDF is that page),
#: written as a 1600×900 PNG.  ``a4``: 794×1123 px is A4 portrait at 96 px per inch (the PDF is an A4
#: page), written as a 1191×1685 PNG (144 px per inch on paper; print from the PDF for more).
SIZES: dict[str, Size] = {
    "slide": Size("slide", 1280, 720, 1.25, 28, 18, 16, 18, 15, 14, 16, 12),
    "a4": Size("a4", 794, 1123, 1.5, 22, 15, 13, 14, 12, 11, 12, 10),
}
DEFAULT_SIZE = "slide"
FIGURE_RATIO = 0.75  #: height / width of a chart without rows on a page (:meth:`Size.figure`)
SLIDE_WIDTH = SIZES["slide"].width  #: px, whole chart (title and axes included)
SLIDE_HEIGHT = SIZES["slide"].height
PNG_SCALE = 2  #: the default of :func:`to_png`; saved charts use their size's ``png_scale``
PNG_MAX_PIXELS = 16e6  #: about 4 slides' worth of pixels at PNG_SCALE
ROW_STEP = 22  #: px per bar/row when a chart grows with the number of organisations

#: lines and names picked out on a white chart: dark enough to read as text
HIGHLIGHT_COLORS = (
    "#1f5fa8", "#c62828", "#2e7d32", "#6a3d9a", "#b35806", "#00838f", "#ad1457", "#5d4037", "#455a64",
    "#827717",
)  # fmt: skip
PRIMARY = "#b3261e"  # party red, for single-series bars
NEUTRAL = "#9e9e9e"
NOTE_COLOR = "#595959"
GRADE_COLORS = dict(zip(GRADES, ("#b3261e", "#ef8a17", "#3f7cbf", "#7f7f7f"), strict=True))
STATUS_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "pending": "#f2a900",
    "not_applicable": "#d0d0d0",
    "no_data": "#f3f3f3",
}


def get_size(size: str | Size) -> Size:
    """The :class:`Size` named ``size`` (``"slide"`` or ``"a4"``); a ``Size`` is returned as is."""
    if isinstance(size, Size):
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"图表尺寸只能是 {'、'.join(SIZES)}，不是 {size!r}") from None


def theme(size: str | Size = DEFAULT_SIZE) -> dict[str, Any]:
    """The shared chart config at ``size``: CJK font stack, type sizes, white background."""
    s = get_size(size)
    return {
        "config": {
            "font": FONT_STACK,
            "background": "white",
            "padding": s.padding,
            "view": {"stroke": None},
            "title": {
                "fontSize": s.title,
                "subtitleFontSize": s.subtitle,
                "anchor": "start",
                "offset": s.padding,
                "subtitlePadding": 4,
                "limit": 0,  # never cut a title: the builders keep theirs short enough
            },
            "axis": {
                "labelFontSize": s.label,
                "titleFontSize": s.axis_title,
                "titleFontWeight": "normal",
                "labelLimit": 0,  # the builders size label columns to their longest label
                "gridColor": "#e6e6e6",
            },
            "legend": {
                "labelFontSize": s.label,
                "titleFontSize": s.label,
                "titleFontWeight": "normal",
                "orient": "top",
                "symbolSize": s.label * 10,
                "labelLimit": 0,
            },
            "header": {"labelFontSize": s.axis_title, "titleFontSize": s.axis_title},
            "text": {"fontSize": s.text},
            "bar": {"color": PRIMARY},
            "line": {"color": PRIMARY, "strokeWidth": 2},
            "point": {"color": PRIMARY},
        }
    }


for _size in SIZES.values():
    alt.theme.register(_size.theme, enable=False)(lambda _s=_size: theme(_s))


def place_note(vega: dict[str, Any], note: str, size: str | Size = DEFAULT_SIZE) -> dict[str, Any]:
    """Put ``note`` (the source-and-date line) under the chart of the compiled Vega spec ``vega``.

    The note is drawn as the one label of a legend at the bottom, with no symbol: Vega lays bottom
    legends out below the axes and counts them when it fits the chart to its size, so the note never
    overlaps the chart and never falls off the canvas.  Works for single, layered and concatenated
    charts alike (a title could do it for one chart only, and Vega has one title per chart).
    """
    s = get_size(size)
    spec = dict(vega)
    spec["scales"] = [*spec.get("scales", []), {"name": "_note", "type": "ordinal", "domain": [note]}]
    spec["legends"] = [
        *spec.get("legends", []),
        {
            "fill": "_note",
            "orient": "bottom",
            "direction": "horizontal",
            "offset": s.padding,
            "padding": 0,
            "symbolSize": 0,
            "symbolStrokeWidth": 0,
            "symbolOpacity": 0,
            "symbolOffset": 0,
            "labelOffset": 0,
            "labelFontSize": s.note,
            "labelFont": FONT_STACK,
            "labelColor": NOTE_COLOR,
            "labelLimit": 0,
            "zindex": 0,
        },
    ]
    return spec
