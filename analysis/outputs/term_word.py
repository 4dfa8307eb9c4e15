"""The term self-check report draft (任期考核自查报告): one Word document per org that owes its report.

The 2009 opinion: "当本届委员会任期届满时,应向党工委提出任期党建工作责任制考核的报告"; the 自评分表 "与任期工作报告、
换届报告在换届前一并报送".  The workbench cannot write the org's own account of its term, so the draft holds
what the data says — the term's facts, each term year's weight, score and grade, the rubric with earned
points per year and the term-weighted points, the failed items per year (measured vs required), the
term-wide 届内党务干部培训 and the veto — under headed places for the narrative, each with a highlighted
【…】 line the office overwrites in Word or WPS.

Fonts are set for East Asian text (``w:eastAsia``: 仿宋 body, 黑体 headings, 宋体 tables and title), with
the document language zh-CN, so Word and WPS render the Chinese as intended; the page is A4 with the
margins of GB/T 9704 (37/35/28/26 mm).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from analysis import scoring, vocab
from analysis.outputs.term_sheet import TermSheet

#: top, bottom, left, right (GB/T 9704), and the width of A4 left between the margins
MARGINS_MM = (37, 35, 28, 26)
TEXT_WIDTH_MM = 210 - MARGINS_MM[2] - MARGINS_MM[3]
BODY_FONT, HEADING_FONT, TABLE_FONT, LATIN_FONT = "仿宋", "黑体", "宋体", "Times New Roman"
TITLE_STYLE, TABLE_STYLE, PLACEHOLDER_STYLE = "报告标题", "表格文字", "待填写"
#: the data part of section 一, in order
DATA_HEADINGS = (
    "（一）基本情况",
    "（二）各年度考核结果",
    "（三）任期自评分",
    "（四）未达标项目",
    "（五）届内党务干部培训和一票否决",
)
#: the 【…】 line under each narrative heading (vocab.TERM_REPORT_SECTIONS), for the org to overwrite
PLACEHOLDERS = (
    "【请概述本届委员会任期内执行党建目标管理责任制的总体情况：主要工作、取得的成效和特色做法。下列表格由考核数据生成，请核对。】",
    "【请结合上列未达标项目和日常工作，逐条写明本届任期内存在的问题及原因。】",
    "【请针对存在的问题写明整改措施、责任人和完成时限，以及对下一届委员会工作的打算和建议。】",
)


def zh_date(d: date | None) -> str:
    """2024年12月31日."""
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _fonts(element: Any, east_asia: str) -> None:
    """Set a style's or run's Latin and East Asian fonts explicitly (theme fonts removed)."""
    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    for attr, font in (
        ("w:ascii", LATIN_FONT),
        ("w:hAnsi", LATIN_FONT),
        ("w:cs", LATIN_FONT),
        ("w:eastAsia", east_asia),
    ):
        rfonts.set(qn(attr), font)


def _style(
    doc: DocxDocument, name: str, east_asia: str, size: float, bold: bool = False, base: str = "Normal"
) -> Any:
    styles = doc.styles
    st = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != base:
        st.base_style = styles[base]
    _fonts(st.element, east_asia)
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.color.rgb = RGBColor(0, 0, 0)
    return st


def _document() -> DocxDocument:
    """An empty A4 document with the report's Chinese styles."""
    doc = Document()
    lang = doc.styles.element.find(qn("w:docDefaults")).find(
        f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
    )
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    body = _style(doc, "Normal", BODY_FONT, 14)
    body.paragraph_format.first_line_indent = Pt(28)
    body.paragraph_format.line_spacing = 1.3
    body.paragraph_format.space_after = Pt(0)
    for name, size in (("Heading 1", 16), ("Heading 2", 14)):
        h = _style(doc, name, HEADING_FONT, size, bold=name == "Heading 2")
        h.paragraph_format.first_line_indent = Pt(0 if name == "Heading 1" else 28)
        h.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 6)
        h.paragraph_format.space_after = Pt(6)
    title = _style(doc, TITLE_STYLE, TABLE_FONT, 20, bold=True)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.space_after = Pt(12)
    cell = _style(doc, TABLE_STYLE, TABLE_FONT, 10.5)
    cell.paragraph_format.first_line_indent = Pt(0)
    cell.paragraph_format.line_spacing = 1.0
    _style(doc, PLACEHOLDER_STYLE, BODY_FONT, 14)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM[0]), Mm(MARGINS_MM[1])
    section.left_margin, section.right_margin = Mm(MARGINS_MM[2]), Mm(MARGINS_MM[3])
    _page_number(section.footer.paragraphs[0])
    return doc


def _page_number(p: Any) -> None:
    """A centred PAGE field: Word and WPS fill in the page number."""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)


def _placeholder(doc: DocxDocument, text: str) -> None:
    run = doc.add_paragraph(style=PLACEHOLDER_STYLE).add_run(text)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _table(
    doc: DocxDocument,
    header: list[str] | None,
    rows: list[list[str]],
    widths: list[float] | None = None,
    label_cols: tuple[int, ...] = (),
) -> Any:
    """A bordered table in the table style; the header row (if any) bold and repeated on every page,
    the ``label_cols`` bold; short cells centred; an empty value leaves its cell empty (to be merged)."""
    lines = [header, *rows] if header else rows
    t = doc.add_table(rows=len(lines), cols=len(lines[0]))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths:  # the grid too: LibreOffice and WPS lay a table out by its grid columns
        t.autofit = False
        for column, w in zip(t.columns, widths, strict=True):
            column.width = Mm(w)
    style_id = doc.styles[TABLE_STYLE].style_id
    for i, (row, values) in enumerate(zip(t.rows, lines, strict=True)):
        is_head = bool(header) and i == 0
        for j, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            if widths:
                cell.width = Mm(widths[j])
            p = cell.paragraphs[0]
            p._p.style = style_id  # by id: looking the style up by name per cell is slow
            if is_head or len(value) <= 8:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if value:
                p.add_run(value).bold = is_head or j in label_cols or None
    if header:
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        t.rows[0]._tr.get_or_add_trPr().append(flag)
    return t


def _pts(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def _facts(doc: DocxDocument, s: TermSheet) -> None:
    o = s.org
    days = o["days_left"]
    days_text = f"{days} 天" if days >= 0 else f"已过届满日期 {-days} 天"
    rows = [
        ["组织名称", o["name"], "组织编码", o["org_id"]],
        [
            "组织类型",
            vocab.ORG_TYPE_ZH.get(o["org_type"], o["org_type"]),
            "上级组织",
            s.parent_name or "无（直属党组织）",
        ],
        [
            "本届任期",
            f"{zh_date(o['term_start'])}起，任期 {o['term_years']} 年",
            "应换届日期",
            zh_date(o["term_due"]),
        ],
        ["任期状态", o["term_status"], "距届满", days_text],
    ]
    _table(doc, None, rows, widths=[26, 52, 26, 52], label_cols=(0, 2))
    doc.add_paragraph(
        f"本报告的考核数据截至{zh_date(s.as_of)}，按“{s.ruleset_title}”计算；本届任期自{zh_date(o['term_start'])}起"
        f"至截止日期，共涉及{len(o['years'] or [])}个年度，其中已结束并计分的年度{len(s.years)}个。"
    )


def _years(doc: DocxDocument, s: TermSheet) -> None:
    o = s.org
    if not s.years:
        doc.add_paragraph("任期内尚无计分的考核年度（已结束且有工作台账的年度），暂无任期得分。")
    else:
        rows = [
            [f"{y['year']}年", f"{y['weight']:.4f}", _pts(y["score"]), y["grade"], str(y["n_failed"])]
            for y in s.years
        ]
        total_w = sum(y["weight"] for y in s.years)
        rows.append(
            ["任期", f"{total_w:.4f}", _pts(o["term_score"]), o["term_grade"] or "", str(o["n_failed"])]
        )
        header = ["年度", "权重（任期内天数÷当年天数）", "得分", "等次", "未达标项目数"]
        _table(doc, header, rows, widths=[22, 52, 26, 26, 30])
        doc.add_paragraph(
            f"任期得分为各年度得分按权重的加权平均：{_pts(o['term_score'])}分，任期等次为{o['term_grade']}。"
            "任期等次按年度等次的分数线评定；评为优秀还须任期内各年度均无未达标项目，且届内党务干部培训没有未达标；"
            "任期内有一票否决事项的为不合格。"
        )
    if s.years_without_data:
        unscored = "、".join(f"{y}年" for y in s.years_without_data)
        doc.add_paragraph(f"{unscored}在任期内，但数据中没有该年度的工作台账，未计分。")
    if not s.year_done:
        doc.add_paragraph(
            f"{s.current_year}年尚未结束，不计入任期得分；其截至{zh_date(s.as_of)}的进度见任期自评分表。"
        )


def _rubric(doc: DocxDocument, s: TermSheet) -> None:
    header = ["类别", "考核项目", "标准分", *[f"{y['year']}年" for y in s.years], "任期加权"]
    rows, spans = [], []
    for item in s.items:
        new = not spans or item["category"] != s.items[spans[-1][0]]["category"]
        if new:
            spans.append([len(rows), len(rows)])
        spans[-1][1] = len(rows)
        cells = [item["category"] if new else "", f"{item['clause']} {item['title']}", _pts(item["points"])]
        for y in s.years:
            status, earned = item["by_year"].get(y["year"], ("not_applicable", 0.0))
            cells.append(vocab.STATUS_ZH[status] if status in scoring.OUT_OF_SCOPE else _pts(earned))
        cells.append(
            vocab.STATUS_ZH["not_applicable"] if item["weighted"] is None else _pts(item["weighted"])
        )
        rows.append(cells)
    n = len(s.years)
    year_w, cat_w = (16, 20) if n <= 3 else (14, 16)
    t = _table(
        doc, header, rows, widths=[cat_w, TEXT_WIDTH_MM - cat_w - 33 - year_w * n, 15, *[year_w] * n, 18]
    )
    for first, last in spans:  # each category merged down its items (row 0 is the header)
        if last > first:
            t.cell(first + 1, 0).merge(t.cell(last + 1, 0))
    doc.add_paragraph(
        "任期加权得分 = Σ 年度权重 × 该年实得分 ÷ Σ 年度权重，只计该项目适用的年度；“不适用”的项目不计分。"
    )


def _failed(doc: DocxDocument, s: TermSheet) -> None:
    if not s.failed:
        doc.add_paragraph("本届任期内各考核年度的所有项目均达标。")
        return
    rows = [
        [
            vocab.TERM_WIDE if f["year"] is None else f"{f['year']}年",
            f["title"],
            f["measured"],
            f["required"],
            f"{_pts(f['earned'])}/{_pts(f['points'])}",
        ]
        for f in s.failed
    ]
    _table(
        doc, ["年度", "考核项目", "实际情况", "考核要求", "得分/标准分"], rows, widths=[17, 32, 42, 42, 23]
    )


def _term_wide(doc: DocxDocument, s: TermSheet) -> None:
    o = s.org
    cadre = o["cadre_training"] or vocab.STATUS_ZH["not_applicable"]
    detail = (
        f"（{s.cadre['measured']}）" if s.cadre is not None and s.cadre["status"] != "not_applicable" else ""
    )
    doc.add_paragraph(f"届内党务干部培训：{cadre}{detail}。")
    period = f"自{zh_date(o['term_start'])}至{zh_date(s.as_of)}"
    if o["vetoed"]:
        doc.add_paragraph(
            f"一票否决：本届任期内（{period}）有一票否决事项：{o['veto_reasons']}。任期考核等次为不合格。"
        )
    else:
        whose = "本组织及下级组织" if s.veto_reaches_up else "本组织"
        doc.add_paragraph(f"一票否决：本届任期内（{period}）{whose}均无一票否决事项。")


def write_term_report(sheet: TermSheet, path: str | os.PathLike[str]) -> Path:
    """Write one org's 任期考核自查报告 draft to ``path`` (see the module docstring)."""
    path = Path(path)
    o = sheet.org
    doc = _document()
    doc.add_paragraph(f"{o['name']}任期党建工作责任制考核自查报告", style=TITLE_STYLE)
    sub = doc.add_paragraph(
        f"（初稿：表格由考核数据生成，数据截至{zh_date(sheet.as_of)}；【】内文字请本单位改写后删除提示）",
        style=TABLE_STYLE,
    )
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    overall, problems, plans = vocab.TERM_REPORT_SECTIONS
    doc.add_heading(overall, level=1)
    _placeholder(doc, PLACEHOLDERS[0])
    for heading, part in zip(DATA_HEADINGS, (_facts, _years, _rubric, _failed, _term_wide), strict=True):
        doc.add_heading(heading, level=2)
        part(doc, sheet)
    for heading, text in ((problems, PLACEHOLDERS[1]), (plans, PLACEHOLDERS[2])):
        doc.add_heading(heading, level=1)
        _placeholder(doc, text)
    for i, line in enumerate((f"{o['name']}（盖章）", "　　年　　月　　日")):
        p = doc.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if i == 0:
            p.paragraph_format.space_before = Pt(36)
    doc.save(str(path))
    return path
