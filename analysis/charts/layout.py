"""Text measured in Python, so that the builders can lay labels out where they cannot collide: how
wide a label is in the CJK font, where to break a long one, how far apart labels must be, and how much
room a chart's title, legend, axes and note leave for the plot.

Widths come from the advance widths of the font vl-convert draws with (Noto Sans CJK SC), read once
with fontTools; without the font file a CJK character counts 1 em and any other 0.6 em.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from analysis.charts.style import FONT_FAMILY, Size, register_cjk_font

#: a line never starts with these (closing punctuation) and never ends with those (opening)
_NO_LINE_START = set("，。、；：？！）》」』】〕…·,.;:?!)]}%")
_NO_LINE_END = set("（《「『【〔([{")
LINE_GAP = 2  #: px Vega adds between lines of a multi-line text (its default line height is size + 2)


@lru_cache(maxsize=1)
def _advances() -> tuple[dict[int, float], float] | None:
    """``({codepoint: advance in em}, default)`` of the registered CJK font, or None without it."""
    from fontTools.ttLib import TTCollection, TTFont

    path = register_cjk_font().path
    if path is None:
        return None
    if path.suffix.lower() == ".ttc":
        fonts = TTCollection(str(path), lazy=True).fonts
        font = next((f for f in fonts if f["name"].getDebugName(1) == FONT_FAMILY), fonts[0])
    else:
        font = TTFont(str(path), lazy=True)
    em = float(font["head"].unitsPerEm)
    metrics = font["hmtx"].metrics
    advances = {cp: metrics[glyph][0] / em for cp, glyph in font.getBestCmap().items()}
    return advances, metrics[".notdef"][0] / em


def _estimate(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6


def text_width(text: str, font_size: float) -> float:
    """The width in px of one line of ``text`` at ``font_size`` px, as vl-convert draws it."""
    table = _advances()
    if table is None:
        return sum(_estimate(ch) for ch in text) * font_size
    advances, default = table
    return sum(advances.get(ord(ch), default) for ch in text) * font_size


def widest(texts: Iterable[str], font_size: float) -> float:
    """The width in px of the widest of ``texts`` (each may hold line breaks)."""
    return max((text_width(line, font_size) for t in texts for line in str(t).split("\n")), default=0.0)


def line_height(font_size: float) -> float:
    return font_size + LINE_GAP


def wrap(
    text: str, max_width: float, font_size: float, max_lines: int | None = None, balance: bool = False
) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` px.

    Chinese breaks between any two characters, except that a line does not start with closing
    punctuation (，、）…) nor end with an opening one (（《); a run of Latin letters or digits is not
    split (a token wider than the line gets a line of its own).  With ``balance`` the lines are made
    as even as their number allows (年度/计划/和总结, not 年度计/划和总/结).  With ``max_lines`` the
    text is cut to that many lines, the last ending in "…" — the builders size their label room so
    that this does not happen with the names of real data.
    """
    tokens = _tokens(text)
    widths = [text_width(t, font_size) for t in tokens]
    breaks = _greedy(tokens, widths, max_width)
    if balance and breaks:
        breaks = _balanced(tokens, widths, len(breaks) + 1, max_width) or breaks
    lines = ["".join(tokens[a:b]).strip() for a, b in zip([0, *breaks], [*breaks, len(tokens)], strict=False)]
    lines = [line for line in lines if line] or [""]
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", font_size) > max_width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def _tokens(text: str) -> list[str]:
    """Characters, except that runs of ASCII letters and digits stay together."""
    tokens: list[str] = []
    for ch in text:
        if (
            tokens
            and ch.isascii()
            and ch.isalnum()
            and tokens[-1][-1:].isascii()
            and tokens[-1][-1:].isalnum()
        ):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _can_break(tokens: list[str], i: int) -> bool:
    """Whether a line may end before ``tokens[i]``."""
    return tokens[i][:1] not in _NO_LINE_START and tokens[i - 1][-1:] not in _NO_LINE_END


def _greedy(tokens: list[str], widths: list[float], max_width: float) -> list[int]:
    """Where the lines start (after the first), filling each line as far as it goes."""
    breaks: list[int] = []
    start, last_ok, width = 0, None, 0.0
    for i, w in enumerate(widths):
        if i > start and _can_break(tokens, i):
            last_ok = i
        if i > start and width + w > max_width and last_ok is not None and last_ok > start:
            breaks.append(last_ok)
            start = last_ok
            width = sum(widths[start:i])
            last_ok = i if i > start and _can_break(tokens, i) else None
        width += w
    return breaks


def _balanced(tokens: list[str], widths: list[float], n_lines: int, max_width: float) -> list[int] | None:
    """The breaks into ``n_lines`` lines that are most even (least sum of squared room left at the
    line ends), or None if no such breaks fit."""
    n = len(tokens)
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    memo: dict[tuple[int, int], tuple[float, list[int]] | None] = {}

    def solve(start: int, lines: int) -> tuple[float, list[int]] | None:
        if lines == 1:
            width = prefix[n] - prefix[start]
            return ((max_width - width) ** 2, []) if width <= max_width else None
        if (start, lines) not in memo:
            found: tuple[float, list[int]] | None = None
            for cut in range(start + 1, n):
                head = prefix[cut] - prefix[start]
                if head > max_width:
                    break
                rest = solve(cut, lines - 1) if _can_break(tokens, cut) else None
                if rest is not None:
                    cost = (max_width - head) ** 2 + rest[0]
                    if found is None or cost < found[0]:
                        found = (cost, [cut, *rest[1]])
            memo[(start, lines)] = found
        return memo[(start, lines)]

    result = solve(0, n_lines)
    return result[1] if result else None


def dodge(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Positions as close as possible to ``wanted`` with at least ``gap`` between any two, inside
    ``[low, high]`` (when they fit there; ``high - low >= gap * (n - 1)``).

    Labels are placed in order of their wanted position, each at least ``gap`` after the previous;
    then the run is pushed back from ``high`` and, if that went below ``low``, forward again.
    Returned in the order of ``wanted``.
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: list[float] = []
    for i in order:
        y = min(max(wanted[i], low), high)
        placed.append(y if not placed else max(y, placed[-1] + gap))
    for k in range(len(placed) - 1, -1, -1):  # push back below ``high``
        ceiling = high if k == len(placed) - 1 else placed[k + 1] - gap
        placed[k] = min(placed[k], ceiling)
    for k in range(len(placed)):  # and above ``low``
        floor = low if k == 0 else placed[k - 1] + gap
        placed[k] = max(placed[k], floor)
    out = [0.0] * len(wanted)
    for k, i in enumerate(order):
        out[i] = placed[k]
    return out


# --------------------------------------------------------------------------------------------
# The room a chart's furniture leaves for the plot (an estimate on the safe side: Vega fits the
# chart to its size, and the plot it gets is never smaller than this).
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """What a chart has around its plot; :meth:`plot` says how much room that leaves."""

    size: Size
    subtitle: bool = True
    legend_top: bool = False  #: a legend above the plot, with a title
    x_axis: bool = True  #: an x axis with labels under the plot
    x_title: bool = True
    x_label_lines: int = 1
    header: float = 0.0  #: px of column headers above the plot (a heatmap's item names)
    y_labels: float = 0.0  #: px of the widest y-axis label
    y_title: bool = False
    right: float = 0.0  #: px kept on the right of the plot (labels beyond the last value)
    note: bool = True

    def plot(self) -> tuple[float, float]:
        """``(width, height)`` in px that the plot is at least given."""
        s = self.size
        top = s.title + 4 + (s.subtitle + 4 if self.subtitle else 0) + s.padding + 2
        if self.legend_top:
            top += s.label * 2 + 10 + 18
        bottom = 0.0
        if self.x_axis:
            bottom += 10 + self.x_label_lines * line_height(s.label)
            bottom += s.axis_title + 6 if self.x_title else 0
        if self.note:
            bottom += s.padding + line_height(s.note)
        height = s.height - 2 * s.padding - top - bottom - self.header - 8
        left = self.y_labels + 12 + (s.axis_title + 8 if self.y_title else 0)
        width = s.width - 2 * s.padding - left - self.right - 4
        return width, height


def rows_that_fit(frame: Frame, wanted: int) -> int:
    """How many of ``wanted`` rows the plot of ``frame`` holds at its size's smallest row label."""
    _, height = frame.plot()
    return max(1, min(wanted, math.floor(height / row_step(frame.size.min_label))))


def row_step(font_size: float) -> float:
    """The px a row needs for a label of ``font_size`` with a little air above and below."""
    return font_size * 1.25


def row_label_size(frame: Frame, rows: int) -> int:
    """The label size for ``rows`` rows in the plot of ``frame``: the size's own, or smaller when
    the rows are tight (never under ``min_label``; :func:`rows_that_fit` keeps them above it)."""
    _, height = frame.plot()
    fits = math.floor(height / max(rows, 1) / 1.25)
    return max(frame.size.min_label, min(frame.size.label, fits))


def data_room(px: float, plot_px: float, span: float) -> float:
    """The data units that ``px`` pixels take on an axis of ``plot_px`` pixels showing ``span``
    units once the room is added (so the room still is ``px`` wide after the domain grew)."""
    if plot_px <= px:
        return span
    return span * px / (plot_px - px)
