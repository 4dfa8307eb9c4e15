"""Pieces every builder uses: inline data, org labels that tell same-named orgs apart, the size and
note a chart carries, integer count axes, and label columns sized (or wrapped) to their text."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import altair as alt
import polars as pl

from analysis.charts.layout import line_height, text_width, wrap
from analysis.charts.style import META_KEY, Size

_FIT = alt.AutoSizeParams(type="fit", contains="padding")
_REDRAW = "_workbench_redraw"  #: the attribute where :func:`resizable` leaves a chart's redraw at a size
_B = TypeVar("_B", bound=Callable[..., Any])


def resizable(builder: _B) -> _B:
    """Let the charts ``builder`` makes be drawn again at another size (:func:`redraw`): the call's
    arguments are kept on the chart (outside its spec), so that the export can write the A4-portrait
    variant of a slide chart for print without the notebook building it twice."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        chart = builder(*args, **kwargs)
        rest = {k: v for k, v in kwargs.items() if k != "size"}
        # object.__setattr__: altair keeps attributes set the usual way in the chart's spec
        object.__setattr__(chart, _REDRAW, functools.partial(builder, *args, **rest))
        return chart

    return build  # type: ignore[return-value]


def redraw(chart: Any, size: Size) -> Any | None:
    """``chart`` drawn by its builder at ``size`` (the same data, note and options), or None for a
    chart that no :func:`resizable` builder made (a notebook's own altair chart)."""
    again = vars(chart).get(_REDRAW)
    return again(size=size) if again is not None else None


def _data(df: pl.DataFrame) -> alt.Data:
    # Inline values: independent of altair's global data transformer and its 5000-row limit.
    return alt.Data(values=df.to_dicts())


def org_labels(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``_label``: the org name, with its code appended when two orgs share a name
    (there are many "第一党支部")."""
    dup = pl.col("name").is_duplicated() | pl.col("name").is_null()
    return df.with_columns(
        _label=pl.when(dup)
        .then(pl.concat_str(pl.col("name").fill_null(""), pl.lit("（"), pl.col("org_id"), pl.lit("）")))
        .otherwise(pl.col("name"))
    )


def meta(size: Size, note: str | None) -> dict[str, Any]:
    """The ``usermeta`` the export reads: which size preset, which source note."""
    return {META_KEY: {"size": size.name, "note": note}}


def finish(
    chart: Any, size: Size, note: str | None, heading: tuple[str, str | None], height: float | None = None
) -> Any:
    """Fit a single or layered chart to ``size`` (title, axes, legend and note included; ``height``
    px tall instead of the size's, for a chart whose height follows its rows), give it its ``(title,
    subtitle)`` and record its size and note for the export."""
    return chart.properties(
        width=size.width,
        height=size.height if height is None else round(height),
        autosize=_FIT,
        title=title(*heading, size=size),
        usermeta=meta(size, note),
    )


def title(text: str, subtitle: str | None = None, *, size: Size) -> alt.TitleParams:
    """The chart's title and subtitle, each broken into lines as wide as the chart at ``size``."""
    room = size.width - 2 * size.padding
    lines = wrap(text, room, size.title)
    sub = wrap(subtitle, room, size.subtitle) if subtitle else [""]
    return alt.TitleParams(
        text=lines[0] if len(lines) == 1 else lines, subtitle=sub[0] if len(sub) == 1 else sub
    )


def zh_scale(mapping: Mapping[str, str], colors: Mapping[str, str]) -> alt.Scale:
    return alt.Scale(domain=[mapping[k] for k in colors], range=list(colors.values()))


def count_axis(low: float, high: float, **kwargs: Any) -> alt.Axis:
    """An axis of counts from ``low`` to ``high``: whole numbers only (no 0.5 organisation).  The
    ticks are listed, since Vega still puts one at 0.5 on an axis that ends at 1 despite
    ``tickMinStep``."""
    return alt.Axis(format="d", tickMinStep=1, values=int_ticks(low, high), **kwargs)


def int_ticks(low: float, high: float, most: int = 10) -> list[int]:
    """Whole-number ticks from ``low`` to ``high`` at a step of 1, 2 or 5 × 10ⁿ, at most ``most``
    intervals."""
    first, last = math.ceil(low), math.floor(high)
    steps = (k * 10**n for n in range(12) for k in (1, 2, 5))
    step = next(st for st in steps if (last - first) / st <= most)
    start = -(-first // step) * step  # the first multiple of the step at or above ``first``
    return list(range(start, last + 1, step))


def label_lines(
    labels: Iterable[str], max_width: float, font_size: float, max_lines: int
) -> dict[str, list[str]]:
    """``{label: its lines}`` for labels wrapped to ``max_width`` px (at most ``max_lines`` lines)."""
    return {str(t): wrap(str(t), max_width, font_size, max_lines) for t in labels}


def wrapped_y_axis(lines: Mapping[str, list[str]], font_size: float, **kwargs: Any) -> alt.Axis:
    """A y axis whose labels are drawn on their lines, each block centred on its row (Vega puts the
    first line on the tick and the others below, so each label is lifted by half its extra lines)."""
    if all(len(v) == 1 for v in lines.values()):
        return alt.Axis(labelFontSize=font_size, **kwargs)
    table = json.dumps(dict(lines), ensure_ascii=False)
    lift = line_height(font_size) / 2
    return alt.Axis(
        labelFontSize=font_size,
        labelExpr=f"{table}[datum.value]",
        labelOffset=alt.ExprRef(f"-(length({table}[datum.value]) - 1) * {lift:g}"),
        **kwargs,
    )


def lines_width(lines: Mapping[str, list[str]], font_size: float) -> float:
    return max((text_width(line, font_size) for v in lines.values() for line in v), default=0.0)
