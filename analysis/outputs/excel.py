"""The 自评分表 workbook: each org's self-scoring table filled in, plus a 汇总 summary sheet — ready to print
and hand in.

The source opinion asks every top-level org to fill in a 《党建目标管理责任制自评分表》 before its term ends
(四(1)); its attachment is lost, so the layout here is ours: 项目, 考核内容及标准, 标准分, 评分方法, 自查得分,
依据 — where 依据 is the evidence (status, measured vs required, the first source rows).

Up to ``per_org_sheets_max`` orgs each get their own sheet, which is what an office prints and files.
Above that, each top-level unit gets one sheet holding its orgs' tables one after another, a page
break before each (continued in a further sheet when a sheet would pass Excel's row limit), because
thousands of sheets are unusable and one sheet of every org cannot be handed to anyone.

Every sheet prints on A4 landscape, fitted to the page width, with the table's header row repeated on
each page, the org's (or the unit's) name in the page header and page numbers in the footer; columns
are as wide as their Chinese text (CJK counted as 2, long text wrapped); scores and points show one
decimal.  Every text cell is written with ``write_string``, so nothing from the input becomes a formula.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter

from analysis import vocab
from analysis.outputs.people import SUMMARY_COLUMNS, headers, summary_frame
from analysis.outputs.sheets import (
    MAX_SHEET_ROWS,
    MIN_WIDTH,
    ONE_DECIMAL,
    TableFormats,
    lines_needed,
    print_setup,
    row_height,
    text_width,
    write_table,
)
from analysis.scoring import OUT_OF_SCOPE

if TYPE_CHECKING:
    from analysis.assess import Assessment

HEADERS = vocab.SELF_ASSESSMENT_HEADERS
#: the widest each column of a self-scoring table grows before its text wraps
MAX_WIDTHS = (30, 44, 8, 30, 10, 56)
SUMMARY_SHEET = "汇总"
SUMMARY_HEADERS = tuple(headers(SUMMARY_COLUMNS))
#: above this many orgs, a sheet per top-level unit instead of a sheet per org (docs/ASSUMPTIONS.md)
PER_ORG_SHEETS_MAX = 100
#: the height in points of a title row (14-point text)
TITLE_HEIGHT = 24
#: Excel keeps at most this many manual page breaks in a sheet
MAX_PAGE_BREAKS = 1023
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(org_id: str, name: str, used: set[str]) -> str:
    """A valid, unique (case-insensitively) sheet name of ≤ 31 characters for an org."""
    base = _BAD_SHEET_CHARS.sub("_", f"{org_id} {name}".strip()).strip("'") or "组织"
    base = base[:31]
    candidate, n = base, 1
    while candidate.lower() in used or candidate.lower() in {SUMMARY_SHEET.lower(), "history"}:
        n += 1
        suffix = f"~{n}"
        candidate = base[: 31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


class _Writer:
    """Writes org blocks into worksheets with the workbook's formats, noting how wide each column's
    text is so that the sheet's columns can be fitted when it is done."""

    def __init__(self, wb: xlsxwriter.Workbook, a: Assessment, sources: pl.DataFrame, limit: int) -> None:
        self.a, self.limit = a, limit
        wrap = {"text_wrap": True, "valign": "top", "border": 1, "font_size": 10}
        self.f_title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.f_info = wb.add_format({"font_size": 10})
        self.f_head = wb.add_format({**wrap, "bold": True, "bg_color": "#D9E1F2", "align": "center"})
        self.f_cat = wb.add_format({**wrap, "bold": True, "bg_color": "#F2F2F2"})
        self.f_text = wb.add_format(wrap)
        self.f_num = wb.add_format({**wrap, "num_format": ONE_DECIMAL})
        self.f_total = wb.add_format({**wrap, "bold": True})
        self.f_total_num = wb.add_format({**wrap, "bold": True, "num_format": ONE_DECIMAL})
        self.items = {r.rule_id: r for r in a.ruleset.items}
        self.rules = a.rules.join(sources, on=["org_id", "rule_id"], how="left").partition_by(
            "org_id", as_dict=True, maintain_order=True
        )
        self.widths: list[int] = []

    def start(self) -> None:
        """Begin a sheet: its columns are as wide as the headers until text is written."""
        self.widths = [text_width(h) for h in HEADERS]

    def finish(self, ws: Any) -> None:
        """Fit the sheet's columns to the widest text written in them (within :data:`MAX_WIDTHS`)."""
        for c, (w, hi) in enumerate(zip(self.widths, MAX_WIDTHS, strict=True)):
            ws.set_column(c, c, max(MIN_WIDTH, min(hi, w + 2)))

    def _text(self, ws: Any, r: int, c: int, text: str, fmt: Any) -> None:
        ws.write_string(r, c, text, fmt)
        self.widths[c] = max(self.widths[c], text_width(text))

    def headers(self, ws: Any, r: int) -> None:
        for c, h in enumerate(HEADERS):
            ws.write_string(r, c, h, self.f_head)

    def title(self, org: dict[str, Any]) -> str:
        return vocab.SELF_SHEET_TITLE.format(name=org["name"], org_id=org["org_id"], year=self.a.year)

    def block(self, ws: Any, r: int, org: dict[str, Any], with_header_row: bool) -> int:
        """Write one org's self-scoring table starting at row ``r``; return the next free row."""
        a, last = self.a, len(HEADERS) - 1
        type_zh = vocab.ORG_TYPE_ZH.get(org["org_type"], org["org_type"])
        ws.set_row(r, TITLE_HEIGHT)
        ws.merge_range(r, 0, r, last, "", self.f_title)
        ws.write_string(r, 0, self.title(org), self.f_title)
        ws.merge_range(r + 1, 0, r + 1, last, "", self.f_info)
        ws.write_string(
            r + 1,
            0,
            f"组织类型：{type_zh}    上级组织：{org['parent_id'] or '无（直属党组织）'}    "
            f"考核年度：{a.year}    截止日期：{a.as_of}    规则集：{a.ruleset.name}",
            self.f_info,
        )
        r += 2
        if with_header_row:
            self.headers(ws, r)
            r += 1
        rows = self.rules.get((org["org_id"],))
        by_cat: dict[str, list[dict[str, Any]]] = {}
        for row in rows.iter_rows(named=True) if rows is not None else ():
            by_cat.setdefault(row["category"], []).append(row)
        for cat, pts in a.ruleset.categories.items():
            ws.merge_range(r, 0, r, last, "", self.f_cat)
            ws.write_string(r, 0, f"{cat}（{pts:g} 分）", self.f_cat)
            r += 1
            for row in by_cat.get(cat, []):
                self._item(ws, r, row)
                r += 1
        verdict = f"得分 {org['score']:.1f}；等次 {org['grade']}"
        if org["vetoed"]:
            verdict += f"；一票否决：{org['veto_reasons']}"
        texts = {
            0: "合计",
            1: f"适用分值 {org['applicable_points']:g}，实得 {org['earned_points']:g}",
            3: "得分 = 实得 ÷ 适用分值 × 100",
            5: verdict,
        }
        self.fit_row(ws, r, texts)
        for c, text in texts.items():
            self._text(ws, r, c, text, self.f_total)
        ws.write_number(r, 2, org["applicable_points"], self.f_total_num)
        ws.write_number(r, 4, org["earned_points"], self.f_total_num)
        return r + 2

    def _item(self, ws: Any, r: int, row: dict[str, Any]) -> None:
        rule = self.items[row["rule_id"]]
        status = row["status"]
        standard = rule.standard or rule.title_zh
        if row["required"]:
            standard += f"\n本组织要求：{row['required']}"
        basis = f"{vocab.STATUS_ZH[status]}。{row['measured']}"
        if row["sources"]:
            basis += f"\n来源：{row['sources']}"
            if row["evidence_rows"] > self.limit:
                basis += f"（共 {row['evidence_rows']} 行）"
        texts = {0: f"{rule.clause} {rule.title_zh}", 1: standard, 3: rule.rubric.describe(), 5: basis}
        if status in OUT_OF_SCOPE:
            texts[4] = vocab.STATUS_ZH[status]
        self.fit_row(ws, r, texts)
        for c, text in texts.items():
            self._text(ws, r, c, text, self.f_text)
        ws.write_number(r, 2, row["points"], self.f_num)
        if status not in OUT_OF_SCOPE:
            ws.write_number(r, 4, row["earned"], self.f_num)

    def fit_row(self, ws: Any, r: int, texts: dict[int, str]) -> None:
        """Make row ``r`` tall enough for its wrapped text.  Counted at each column's widest
        (:data:`MAX_WIDTHS`), which is exact: a column narrower than that holds no text that wraps."""
        lines = max(lines_needed(t, MAX_WIDTHS[c]) for c, t in texts.items())
        if lines > 1:
            ws.set_row(r, row_height(lines))


def _summary(wb: xlsxwriter.Workbook, a: Assessment, f_title: Any) -> None:
    """The 汇总 sheet: a title, then one row per org with a frozen, filterable header."""
    ws = wb.add_worksheet(SUMMARY_SHEET)
    title = f"{a.year} 年度党建目标管理考核汇总（规则集 {a.ruleset.name}，截止 {a.as_of}）"
    ws.set_row(0, TITLE_HEIGHT)
    ws.merge_range(0, 0, 0, len(SUMMARY_HEADERS) - 1, "", f_title)
    ws.write_string(0, 0, title, f_title)
    write_table(ws, summary_frame(a), SUMMARY_HEADERS, TableFormats(wb), first_row=1, freeze_columns=2)
    print_setup(ws, title, repeat=(1, 1))


def _units(scores: pl.DataFrame) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The orgs grouped by top-level unit (the unit's own row, its orgs in ``scores`` order)."""
    by_id = {s["org_id"]: s for s in scores.iter_rows(named=True)}
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in by_id.values():
        groups.setdefault(s["top_id"] or s["org_id"], []).append(s)
    return [(by_id.get(top, orgs[0]), orgs) for top, orgs in groups.items()]


def _org_sheets(wb: xlsxwriter.Workbook, w: _Writer, scores: pl.DataFrame, used: set[str]) -> None:
    """One sheet per org: its table from the top, the header row (row 3) repeated on every page."""
    for org in scores.iter_rows(named=True):
        ws = wb.add_worksheet(sheet_name(org["org_id"], org["name"], used))
        w.start()
        w.block(ws, 0, org, with_header_row=True)
        ws.freeze_panes(3, 0)
        print_setup(ws, w.title(org), repeat=(2, 2))
        w.finish(ws)


def _unit_sheets(wb: xlsxwriter.Workbook, w: _Writer, scores: pl.DataFrame, used: set[str]) -> None:
    """One sheet per top-level unit: its orgs' tables one after another, a page break before each."""
    for unit, orgs in _units(scores):
        header = f"{unit['name']}（{unit['org_id']}）及所属党组织 {w.a.year} 年度党建目标管理责任制自评分表"
        ws, r, breaks = None, 0, []
        for org in orgs:
            if ws is None or r > MAX_SHEET_ROWS:
                if ws is not None:
                    ws.set_h_pagebreaks(breaks[:MAX_PAGE_BREAKS])
                    w.finish(ws)
                ws, r, breaks = wb.add_worksheet(sheet_name(unit["org_id"], unit["name"], used)), 1, []
                w.start()
                w.headers(ws, 0)
                ws.freeze_panes(1, 0)
                print_setup(ws, header, repeat=(0, 0))
            elif r > 1:
                breaks.append(r)
            r = w.block(ws, r, org, with_header_row=False)
        if ws is not None:
            ws.set_h_pagebreaks(breaks[:MAX_PAGE_BREAKS])
            w.finish(ws)


def write_self_assessment(
    assessment: Assessment,
    path: str | os.PathLike[str],
    per_org_sheets_max: int = PER_ORG_SHEETS_MAX,
    sources_limit: int = 3,
    created: datetime | None = None,
) -> Path:
    """Write ``自评分表.xlsx``: a 汇总 sheet, then one sheet per org (or, with more than
    ``per_org_sheets_max`` orgs, one sheet per top-level unit).

    Parameters
    ----------
    assessment
        The result of ``analysis.assess``.
    path
        Where to write the workbook.
    per_org_sheets_max
        Above this many orgs, each top-level unit's orgs share one sheet, a page break between orgs.
    sources_limit
        How many source rows each 依据 cell names.
    created
        The workbook's creation time (its document property); now when None.  A fixed time makes the
        same assessment give the same bytes (the demo data's returned 自评分表).

    Returns
    -------
    Path
        ``path``.
    """
    a = assessment
    path = Path(path)
    per_org = a.scores.height <= per_org_sheets_max
    sources = a.sources(sources_limit)
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": not per_org}
    )
    if created is not None:
        wb.set_properties({"created": created})
    try:
        w = _Writer(wb, a, sources, sources_limit)
        _summary(wb, a, w.f_title)
        (_org_sheets if per_org else _unit_sheets)(wb, w, a.scores, set())
    finally:
        wb.close()
    return path
