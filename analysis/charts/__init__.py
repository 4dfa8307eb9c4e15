"""Charts for the reports: the CJK font, sizes and theme (``style``), Chinese labels (``labels``),
text measured for layout (``layout``), the altair builders (``builders``, ``peers``), PNG/SVG/PDF
export and offline display (``export``), and a check of the labels as drawn (``check``)."""

from collections.abc import Sequence

from analysis.charts.builders import (
    _data as _data,  # the tests draw their own small charts with it
)
from analysis.charts.builders import (
    category_bars,
    count_bars,
    ranking_bars,
    score_histogram,
    selection_robustness,
    sibling_comparison,
    status_heatmap,
    term_trend,
    trend_lines,
    yoy_change,
)
from analysis.charts.check import Layout, TextBox, layout
from analysis.charts.common import redraw
from analysis.charts.completeness import completeness_heatmap
from analysis.charts.export import (
    A4_VARIANT,
    chart_size,
    inline_svg,
    png_scale,
    print_svg,
    save_chart,
    show,
    show_table,
    to_pdf,
    to_png,
    to_svg,
    to_vega,
    use_offline,
)
from analysis.charts.labels import LABELS, rule_titles, source_note, zh_frame
from analysis.charts.layout import text_width, wrap
from analysis.charts.selfcheck import claims_scatter
from analysis.charts.style import (
    DEFAULT_SIZE,
    FONT_FAMILY,
    FONT_STACK,
    GRADE_COLORS,
    NEUTRAL,
    PNG_MAX_PIXELS,
    PNG_SCALE,
    PRIMARY,
    ROW_STEP,
    SIZES,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    STATUS_COLORS,
    THEME_NAME,
    FontChoice,
    Size,
    get_size,
    register_cjk_font,
    subset_font,
    theme,
)
from analysis.filenames import safe_filename

__all__: Sequence[str] = (
    "FONT_FAMILY",
    "FONT_STACK",
    "FontChoice",
    "LABELS",
    "SIZES",
    "Layout",
    "Size",
    "TextBox",
    "category_bars",
    "chart_size",
    "claims_scatter",
    "completeness_heatmap",
    "count_bars",
    "get_size",
    "inline_svg",
    "layout",
    "print_svg",
    "ranking_bars",
    "redraw",
    "register_cjk_font",
    "rule_titles",
    "safe_filename",
    "save_chart",
    "score_histogram",
    "selection_robustness",
    "show",
    "show_table",
    "sibling_comparison",
    "source_note",
    "status_heatmap",
    "text_width",
    "term_trend",
    "theme",
    "to_pdf",
    "to_png",
    "to_svg",
    "to_vega",
    "trend_lines",
    "use_offline",
    "wrap",
    "yoy_change",
    "zh_frame",
    # not in the old module's __all__, but importable from it and used by the tests and the reports
    "A4_VARIANT",
    "DEFAULT_SIZE",
    "GRADE_COLORS",
    "NEUTRAL",
    "PNG_MAX_PIXELS",
    "PNG_SCALE",
    "PRIMARY",
    "ROW_STEP",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "STATUS_COLORS",
    "THEME_NAME",
    "png_scale",
    "subset_font",
)
