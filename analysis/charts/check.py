"""Check a chart's labels as Vega lays them out: every text's box, and whether two boxes overlap,
a box leaves the canvas, or a label is cut short with "…".

The layout is vl-convert's scenegraph (the positions the SVG and PNG are drawn from); the width of
each text is measured in the CJK font (:func:`analysis.charts.layout.text_width`), its height is its
font size (lines apart by Vega's line height), and rotated labels are rotated boxes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert as vlc

from analysis.charts.export import to_vega
from analysis.charts.layout import LINE_GAP, text_width

_ASCENT = 0.8  #: of the font size, above an alphabetic baseline
TOLERANCE = 1.0  #: px two boxes may share (anti-aliasing, rounding) before they count as overlapping


@dataclass(frozen=True)
class TextBox:
    """One text as drawn: its corners on the canvas (clockwise from the top left of the text)."""

    text: str
    role: str
    corners: tuple[tuple[float, float], ...]
    width: float  #: of the widest line, as measured
    limit: float  #: Vega's truncation limit (0: none)

    @property
    def truncated(self) -> bool:
        return self.limit > 0 and self.width > self.limit + 0.5


@dataclass(frozen=True)
class Layout:
    """The canvas size, the plot size and every text box of a rendered chart."""

    width: float
    height: float
    plot: tuple[float, float]
    boxes: tuple[TextBox, ...]

    def problems(self) -> list[str]:
        """Overlapping, cut and off-canvas labels, one line each (empty when the chart is clean)."""
        found = [
            f"outside the {self.width:g}×{self.height:g} canvas: {b.text!r}"
            for b in self.boxes
            if not _inside(b, self.width, self.height)
        ]
        found += [
            f"cut short: {b.text!r} ({b.width:.0f} px > limit {b.limit:g})" for b in self.boxes if b.truncated
        ]
        boxes = self.boxes
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                if _overlap(a.corners, b.corners) > TOLERANCE:
                    found.append(f"overlap: {a.text!r} ({a.role}) and {b.text!r} ({b.role})")
        return found


def layout(chart: alt.TopLevelMixin) -> Layout:
    """Lay ``chart`` out as the exports do (theme of its size, source note) and measure its texts."""
    scene = vlc.vega_to_scenegraph(to_vega(chart))
    ox, oy = scene.get("origin", (0, 0))
    root = scene["scenegraph"]
    first = (root.get("items") or [{}])[0]
    boxes = tuple(_walk(root, ox, oy, ""))
    return Layout(
        float(scene["width"]),
        float(scene["height"]),
        (float(first.get("width", 0)), float(first.get("height", 0))),
        boxes,
    )


def _walk(mark: dict[str, Any], ox: float, oy: float, role: str) -> Iterator[TextBox]:
    role = mark.get("role") or role
    for item in mark.get("items", []):
        if mark.get("marktype") == "group":
            x, y = ox + item.get("x", 0), oy + item.get("y", 0)
            for child in item.get("items", []):
                yield from _walk(child, x, y, role)
        elif mark.get("marktype") == "text":
            box = _box(item, ox, oy, role)
            if box is not None:
                yield box


def _box(item: dict[str, Any], ox: float, oy: float, role: str) -> TextBox | None:
    text = item.get("text")
    lines = [str(t) for t in text] if isinstance(text, list) else [] if text in (None, "") else [str(text)]
    if not any(lines) or item.get("opacity", 1) == 0 or item.get("fillOpacity", 1) == 0:
        return None
    size = float(item.get("fontSize", 11))
    step = float(item.get("lineHeight") or size + LINE_GAP)
    width = max(text_width(line, size) for line in lines)
    limit = float(item.get("limit") or 0)
    drawn = min(width, limit) if limit > 0 else width
    # Vega sets the first line on the baseline and the others below it, whatever the baseline.
    height = size + step * (len(lines) - 1)
    left = {"left": 0.0, "center": -drawn / 2, "right": -drawn}[item.get("align", "left")]
    top = {
        "top": 0.0,
        "line-top": 0.0,
        "middle": -size / 2,
        "bottom": -size,
        "line-bottom": -size,
    }.get(item.get("baseline", "alphabetic"), -_ASCENT * size)
    left += float(item.get("dx", 0))
    top += float(item.get("dy", 0))
    local = ((left, top), (left + drawn, top), (left + drawn, top + height), (left, top + height))
    angle = math.radians(float(item.get("angle", 0)))
    cos, sin = math.cos(angle), math.sin(angle)
    ax, ay = ox + float(item.get("x", 0)), oy + float(item.get("y", 0))
    corners = tuple((ax + u * cos - v * sin, ay + u * sin + v * cos) for u, v in local)
    return TextBox(" / ".join(lines), role, corners, width, limit)


def _inside(box: TextBox, width: float, height: float) -> bool:
    return all(
        -TOLERANCE <= x <= width + TOLERANCE and -TOLERANCE <= y <= height + TOLERANCE for x, y in box.corners
    )


def _overlap(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...]) -> float:
    """How deep two convex quadrilaterals overlap, in px (0 when apart): the least overlap of their
    projections over the axes of their edges (separating axis theorem)."""
    depth = math.inf
    for quad in (a, b):
        for (x1, y1), (x2, y2) in zip(quad, quad[1:] + quad[:1], strict=True):
            nx, ny = y1 - y2, x2 - x1
            norm = math.hypot(nx, ny)
            if norm == 0:
                continue
            nx, ny = nx / norm, ny / norm
            pa = [x * nx + y * ny for x, y in a]
            pb = [x * nx + y * ny for x, y in b]
            depth = min(depth, min(max(pa), max(pb)) - max(min(pa), min(pb)))
            if depth <= 0:
                return 0.0
    return depth
