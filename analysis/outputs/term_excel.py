"""The term self-scoring table (任期自评分表): one workbook per org that owes its term report.

RULES.md (Term assessment): "the rubric with a column per completed year (earned points) and the
term-weighted points, plus the current year's year-to-date status; it is what the org hands in before its
election".  The 2009 opinion's attachment is lost, so the layout is ours, and it is made to be printed and
filed: a header block (org, term, status, days left), the rubric (category, clause, item, points), one
column of earned points per scored term year, the term-weighted points, the current year's status with
its note, the yearly totals, then the term verdict (term score and grade, 届内党务干部培训, veto) and a
line for signatures.  A4 landscape, fitted to one page wide, the header row repeated on every page, panes
frozen below it, the org's name in the page header.

Every text cell is written with ``write_string``, so nothing from the input can become a formula.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import xlsxwriter

from analysis import scoring, vocab
from analysis.outputs.term_sheet import TermSheet

SHEET_NAME = "任期自评分表"
#: the fixed columns before the year columns, and after them
LEAD_HEADERS = ("类别", "条款", "考核项目", "标准分")
TERM_POINTS = "任期加权得分"
NOTE = "说明"
#: the yearly totals under the rubric (label, key of TermSheet.years)
TOTALS = (
    ("适用分值", "applicable_points"),
    ("实得分", "earned_points"),
    ("年度得分 / 任期得分", "score"),
    ("年度等次 / 任期等次", "grade"),
    ("年度权重（任期内天数 ÷ 当年天数）", "weight"),
)
POINTS_FORMAT = "0.0"
WEIGHT_FORMAT = "0.0000"
#: width limits (Excel character units) of the fitted columns; text beyond wraps
MIN_WIDTH, MAX_WIDTH = 6, 48
FILLS = {
    "green": "#C6EFCE",
    "amber": "#FFEB9C",
    "red": "#FFC7CE",
    "grey": "#D9D9D9",
    "fail": "#FFC7CE",
    "no_data": "#D9D9D9",
}
#: the term score and grade of a term without a scored year (none completed, or none with data)
NO_SCORE = "暂无（任期内尚无计分的考核年度）"
FONT = "宋体"
#: points per line of 10-point text, for the heights of rows with wrapped text
LINE_HEIGHT = 12.75


def text_width(text: str) -> int:
    """How many Excel character units ``text``'s longest line takes: a Chinese (wide) character two."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.split("\n")
        ),
        default=0,
    )


def header_escape(text: str) -> str:
    """``text`` safe inside an Excel page header (``&`` starts a control code there)."""
    return text.replace("&", "&&")


class _Book:
    """One term workbook: its formats, and the widths its cells ask for."""

    def __init__(self, wb: xlsxwriter.Workbook, n_cols: int) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        cell = {**base, "border": 1, "text_wrap": True}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.label = wb.add_format({**cell, "bold": True, "bg_color": "#F2F2F2"})
        self.value = wb.add_format(cell)
        self.head = wb.add_format({**cell, "bold": True, "bg_color": "#D9E1F2", "align": "center"})
        self.text = wb.add_format(cell)
        self.centre = wb.add_format({**cell, "align": "center"})
        self.num = wb.add_format({**cell, "num_format": POINTS_FORMAT, "align": "center"})
        self.bold_num = wb.add_format({**cell, "num_format": POINTS_FORMAT, "align": "center", "bold": True})
        self.weight = wb.add_format({**cell, "num_format": WEIGHT_FORMAT, "align": "center"})
        self.plain = wb.add_format({**base, "text_wrap": True})
        self.fills = {k: wb.add_format({**cell, "bg_color": v, "align": "center"}) for k, v in FILLS.items()}
        self.widths = [MIN_WIDTH] * n_cols
        #: (row, first col, last col, text) of every text written, to size the rows once widths are known
        self.texts: list[tuple[int, int, int, str]] = []

    def merge(self, ws: Any, r: int, c1: int, c2: int, text: str, fmt: Any, r2: int | None = None) -> None:
        """Merge cells (down to row ``r2`` when given) holding ``text``."""
        ws.merge_range(r, c1, r if r2 is None else r2, c2, text, fmt)
        if r2 is None:
            self.texts.append((r, c1, c2, text))

    def fit(self, ws: Any) -> None:
        """Set the fitted column widths, and row heights for the wrapped lines (LibreOffice and WPS keep a
        row's stored height, so a row without one would cut its wrapped text)."""
        widths = [min(w, MAX_WIDTH) for w in self.widths]
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        lines: dict[int, int] = {}
        for r, c1, c2, text in self.texts:
            room = max(sum(widths[c1 : c2 + 1]), 1)
            n = sum(max(1, -(-text_width(line) // room)) for line in text.split("\n"))
            lines[r] = max(lines.get(r, 1), n)
        for r, n in sorted(lines.items()):
            if n > 1:
                ws.set_row(r, n * LINE_HEIGHT + 3)

    def put(self, ws: Any, r: int, c: int, value: Any, fmt: Any, number_format: str = POINTS_FORMAT) -> None:
        """Write a number as a number and anything else as text, and note the width it needs."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(r, c, value, fmt)
            shown = f"{value:.4f}" if number_format == WEIGHT_FORMAT else f"{value:.1f}"
        else:
            shown = "" if value is None else str(value)
            ws.write_string(r, c, shown, fmt)
            self.texts.append((r, c, c, shown))
        self.widths[c] = max(self.widths[c], text_width(shown) + 2)


def _header_block(ws: Any, b: _Book, s: TermSheet, last: int) -> int:
    """Title and the org's facts in label/value pairs; returns the next free row."""
    o = s.org
    ws.merge_range(0, 0, 0, last, f"{o['name']}任期党建工作责任制考核自评分表", b.title)
    ws.set_row(0, 30)
    days = o["days_left"]
    days_text = f"{days} 天" if days >= 0 else f"已过届满日期 {-days} 天"
    pairs = (
        ("组织名称", o["name"], "组织编码", o["org_id"]),
        (
            "组织类型",
            vocab.ORG_TYPE_ZH.get(o["org_type"], o["org_type"]),
            "上级组织",
            s.parent_name or "无（直属党组织）",
        ),
        ("任期开始", str(o["term_start"]), "任期届满", f"{o['term_due']}（任期 {o['term_years']} 年）"),
        ("任期状态", o["term_status"], "距届满天数", days_text),
        ("截止日期", str(s.as_of), "考核规则", s.ruleset_title),
    )
    for i, (l1, v1, l2, v2) in enumerate(pairs, start=1):
        ws.write_string(i, 0, l1, b.label)
        b.merge(ws, i, 1, 2, v1, b.value)
        ws.write_string(i, 3, l2, b.label)
        b.merge(ws, i, 4, last, v2, b.value)
    return len(pairs) + 2


def _columns(s: TermSheet) -> list[str]:
    years = [f"{y['year']}年\n实得分" for y in s.years]
    return [*LEAD_HEADERS, *years, TERM_POINTS, s.current_label, NOTE]


def _items(ws: Any, b: _Book, s: TermSheet, r: int) -> int:
    """The rubric rows, the category merged down its items; returns the next free row."""
    n_years = len(s.years)
    start: dict[str, int] = {}
    for item in s.items:
        start.setdefault(item["category"], r)
        b.put(ws, r, 1, item["clause"], b.centre)
        b.put(ws, r, 2, item["title"], b.text)
        b.put(ws, r, 3, item["points"], b.num)
        for j, y in enumerate(s.years):
            status, earned = item["by_year"].get(y["year"], ("not_applicable", 0.0))
            if status in scoring.OUT_OF_SCOPE:
                b.put(ws, r, 4 + j, vocab.STATUS_ZH[status], b.centre)
            else:
                b.put(ws, r, 4 + j, earned, b.num)
        c = 4 + n_years
        weighted = item["weighted"]
        b.put(ws, r, c, vocab.STATUS_ZH["not_applicable"] if weighted is None else weighted, b.num)
        b.put(ws, r, c + 1, item["current"], b.fills.get(item["colour"] or "", b.centre))
        b.put(ws, r, c + 2, item["note"], b.text)
        r += 1
    ends = list(start.values())[1:] + [r]
    for (cat, first), end in zip(start.items(), ends, strict=True):
        label = f"{cat}\n（{s.categories.get(cat, 0):g} 分）"
        if end - first > 1:
            b.merge(ws, first, 0, 0, label, b.label, r2=end - 1)
        else:
            ws.write_string(first, 0, label, b.label)
        b.widths[0] = max(b.widths[0], text_width(label) + 2)
    return r


def _totals(ws: Any, b: _Book, s: TermSheet, r: int, last: int) -> int:
    """Per scored year: applicable and earned points, score, grade, weight; the term score and grade in
    the term column."""
    term_col = 4 + len(s.years)
    term = {"score": s.org["term_score"], "grade": s.org["term_grade"]}
    for label, key in TOTALS:
        b.merge(ws, r, 0, 3, label, b.label)
        for j, y in enumerate(s.years):
            fmt = b.weight if key == "weight" else b.centre if key == "grade" else b.bold_num
            b.put(ws, r, 4 + j, y[key], fmt, WEIGHT_FORMAT if key == "weight" else POINTS_FORMAT)
        value = term.get(key)
        b.put(ws, r, term_col, "" if value is None else value, b.bold_num if key == "score" else b.centre)
        ws.merge_range(r, term_col + 1, r, last, "", b.text)
        r += 1
    return r


def _verdict(ws: Any, b: _Book, s: TermSheet, r: int, last: int) -> int:
    """The term verdict and the notes under the table; returns the row after the signature line."""
    o = s.org
    grade = o["term_grade"] or NO_SCORE
    score = (
        NO_SCORE
        if o["term_score"] is None
        else f"{o['term_score']:.1f}（各考核年度得分按任期内天数加权平均）"
    )
    cadre = o["cadre_training"] or vocab.STATUS_ZH["not_applicable"]
    if s.cadre is not None and s.cadre["status"] != "not_applicable":
        cadre += f"：{s.cadre['measured']}"
    veto = f"{o['veto_reasons']}（任期等次为不合格）" if o["vetoed"] else "无"
    rows = [
        ("任期得分", score),
        ("任期等次", grade),
        ("届内党务干部培训", cadre),
        ("一票否决（任期内）", veto),
    ]
    if s.years_without_data:
        unscored = "、".join(f"{y}年" for y in s.years_without_data)
        rows.append(("未计分年度", f"{unscored}：数据中没有该年度的工作台账，未计分"))
    if s.year_done:
        note = f"{s.current_year}年已结束，其得分已计入上表；“{s.current_label}”栏为该年的考核结果。"
    else:
        note = (
            f"{s.current_year}年尚未结束，不计分；“{s.current_label}”栏为进度预警：绿＝进度正常，黄＝落后但仍可完成，"
            "红＝已无法达到全年要求，灰＝无法判断或不按进度预警（无数据、名册登记项、年终督查评分）；"
            "未列进度的项目为截至当日的状态。"
        )
    rows.append(
        ("说明", note + "项目的任期加权得分 = Σ 年度权重 × 实得分 ÷ Σ 年度权重，只计该项目适用的年度。")
    )
    for label, text in rows:
        b.merge(ws, r, 0, 2, label, b.label)
        b.merge(ws, r, 3, last, text, b.value)
        r += 1
    ws.merge_range(
        r + 1,
        0,
        r + 1,
        last,
        "填表人：　　　　　　　　审核人：　　　　　　　　填表日期：　　　　年　　月　　日",
        b.plain,
    )
    return r + 2


def write_term_sheet(sheet: TermSheet, path: str | os.PathLike[str]) -> Path:
    """Write one org's 任期自评分表 to ``path`` (print-ready; see the module docstring)."""
    path = Path(path)
    columns = _columns(sheet)
    last = len(columns) - 1
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        b = _Book(wb, len(columns))
        ws = wb.add_worksheet(SHEET_NAME)
        head = _header_block(ws, b, sheet, last)
        for c, h in enumerate(columns):
            b.put(ws, head, c, h, b.head)
        end = _verdict(ws, b, sheet, _totals(ws, b, sheet, _items(ws, b, sheet, head + 1), last) + 1, last)
        b.fit(ws)
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(head)
        ws.freeze_panes(head + 1, len(LEAD_HEADERS))
        ws.print_area(0, 0, end, last)
        ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
        ws.center_horizontally()
        ws.set_header(f'&C&"-,Bold"{header_escape(sheet.org["name"])}任期自评分表')
        ws.set_footer("&C第 &P 页，共 &N 页")
    finally:
        wb.close()
    return path
