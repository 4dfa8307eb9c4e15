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
from dataclasses import dataclass
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
# Theme: a 16:9 briefing slide.
# --------------------------------------------------------------------------------------------
THEME_NAME = "dangjian"
SLIDE_WIDTH = 1280  #: px, whole chart (title and axes included)
SLIDE_HEIGHT = 720
PNG_SCALE = 2  #: PNGs are written at twice the slide size, sharp on a projector
PNG_MAX_PIXELS = 16e6  #: about 4 slides' worth of pixels at PNG_SCALE
ROW_STEP = 22  #: px per bar/row when a chart grows with the number of organisations

PRIMARY = "#b3261e"  # party red, for single-series bars
NEUTRAL = "#9e9e9e"
GRADE_COLORS = dict(zip(GRADES, ("#b3261e", "#ef8a17", "#3f7cbf", "#7f7f7f"), strict=True))
STATUS_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "pending": "#f2a900",
    "not_applicable": "#d0d0d0",
    "no_data": "#f3f3f3",
}


def theme() -> dict[str, Any]:
    """The shared chart config: CJK font stack, slide-sized type, white background."""
    return {
        "config": {
            "font": FONT_STACK,
            "background": "white",
            "padding": 16,
            "view": {"stroke": None},
            "title": {"fontSize": 28, "subtitleFontSize": 18, "anchor": "start", "offset": 16},
            "axis": {
                "labelFontSize": 16,
                "titleFontSize": 18,
                "titleFontWeight": "normal",
                "labelLimit": 260,
                "gridColor": "#e6e6e6",
            },
            "legend": {"labelFontSize": 16, "titleFontSize": 18, "orient": "top", "symbolSize": 160},
            "header": {"labelFontSize": 18, "titleFontSize": 18},
            "text": {"fontSize": 15},
            "bar": {"color": PRIMARY},
            "line": {"color": PRIMARY, "strokeWidth": 2},
            "point": {"color": PRIMARY},
        }
    }


alt.theme.register(THEME_NAME, enable=False)(theme)
