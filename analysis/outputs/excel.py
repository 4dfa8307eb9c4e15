"""The 自评分表 workbook: each org's self-scoring table filled in, plus a 汇总 summary sheet.

The source opinion asks every top-level org to fill in a 《党建目标管理责任制自评分表》 before its term ends
(四(1)); its attachment is lost, so the layout here is ours: 项目, 考核内容及标准, 标准分, 评分方法, 自查得分,
依据 — where 依据 is the evidence (status, measured vs required, the first source rows).

Up to ``per_org_sheets_max`` orgs each get their own sheet, which is what an office prints and files.
Above that, one long sheet holds the org blocks one after another (split when a sheet would pass
Excel's row limit), because thousands of sheets are unusable.  Every text cell is written with
``write_string``, so nothing that came from the input can become a formula.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter

from analysis import vocab
from analysis.scoring import OUT_OF_SCOPE

if TYPE_CHECKING:
    from analysis.assess import Assessment

HEADERS = ("项目", "考核内容及标准", "标准分", "评分方法", "自查得分", "依据")
WIDTHS = (24, 46, 8, 26, 9, 60)
SUMMARY_SHEET = "汇总"
LONG_SHEET = "自评分表"
SUMMARY_HEADERS = (
    "组织编码",
    "组织名称",
    "组织类型",
    "上级组织编码",
    "直属党组织编码",
    "得分",
    "适用分值",
    "实得分",
    "等次",
    "是否合格",
    "一票否决",
    "否决原因",
    "未达标项",
)
#: Excel's last row is 1,048,576; stay below it with room for one more block
MAX_SHEET_ROWS = 1_000_000
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
    """Writes org blocks into worksheets with the workbook's formats."""

    def __init__(self, wb: xlsxwriter.Workbook, a: Assessment, sources: pl.DataFrame, limit: int) -> None:
        self.a, self.limit = a, limit
        wrap = {"text_wrap": True, "valign": "top", "border": 1, "font_size": 10}
        self.f_title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.f_info = wb.add_format({"font_size": 10})
        self.f_head = wb.add_format({**wrap, "bold": True, "bg_color": "#D9E1F2", "align": "center"})
        self.f_cat = wb.add_format({**wrap, "bold": True, "bg_color": "#F2F2F2"})
        self.f_text = wb.add_format(wrap)
        self.f_num = wb.add_format({**wrap, "num_format": "0.##"})
        self.f_total = wb.add_format({**wrap, "bold": True})
        self.f_total_num = wb.add_format({**wrap, "bold": True, "num_format": "0.##"})
        self.items = {r.rule_id: r for r in a.ruleset.items}
        self.rules = a.rules.join(sources, on=["org_id", "rule_id"], how="left").partition_by(
            "org_id", as_dict=True, maintain_order=True
        )

    def setup(self, ws: Any) -> None:
        for i, w in enumerate(WIDTHS):
            ws.set_column(i, i, w)

    def block(self, ws: Any, r: int, org: dict[str, Any]) -> int:
        """Write one org's self-scoring table starting at row ``r``; return the next free row."""
        a, last = self.a, len(HEADERS) - 1
        type_zh = vocab.ORG_TYPE_ZH.get(org["org_type"], org["org_type"])
        ws.merge_range(r, 0, r, last, "", self.f_title)
        ws.write_string(
            r, 0, f"{org['name']}（{org['org_id']}）{a.year} 年度党建目标管理责任制自评分表", self.f_title
        )
        ws.merge_range(r + 1, 0, r + 1, last, "", self.f_info)
        ws.write_string(
            r + 1,
            0,
            f"组织类型：{type_zh}    上级组织：{org['parent_id'] or '无（直属党组织）'}    "
            f"考核年度：{a.year}    截止日期：{a.as_of}    规则集：{a.ruleset.name}",
            self.f_info,
        )
        for c, h in enumerate(HEADERS):
            ws.write_string(r + 2, c, h, self.f_head)
        r += 3
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
        ws.write_string(r, 0, "合计", self.f_total)
        ws.write_string(
            r, 1, f"适用分值 {org['applicable_points']:g}，实得 {org['earned_points']:g}", self.f_total
        )
        ws.write_number(r, 2, org["applicable_points"], self.f_total_num)
        ws.write_string(r, 3, "得分 = 实得 ÷ 适用分值 × 100", self.f_total)
        ws.write_number(r, 4, org["earned_points"], self.f_total_num)
        verdict = f"得分 {org['score']:.1f}；等次 {org['grade']}"
        if org["vetoed"]:
            verdict += f"；一票否决：{org['veto_reasons']}"
        ws.write_string(r, 5, verdict, self.f_total)
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
        ws.write_string(r, 0, f"{rule.clause} {rule.title_zh}", self.f_text)
        ws.write_string(r, 1, standard, self.f_text)
        ws.write_number(r, 2, row["points"], self.f_num)
        ws.write_string(r, 3, rule.rubric.describe(), self.f_text)
        if status in OUT_OF_SCOPE:
            ws.write_string(r, 4, vocab.STATUS_ZH[status], self.f_text)
        else:
            ws.write_number(r, 4, row["earned"], self.f_num)
        ws.write_string(r, 5, basis, self.f_text)

    def summary(self, ws: Any) -> None:
        a = self.a
        ws.write_string(
            0,
            0,
            f"{a.year} 年度党建目标管理考核汇总（规则集 {a.ruleset.name}，截止 {a.as_of}）",
            self.f_title,
        )
        for c, h in enumerate(SUMMARY_HEADERS):
            ws.write_string(1, c, h, self.f_head)
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 28)
        ws.set_column(11, 12, 40)
        for i, s in enumerate(a.scores.iter_rows(named=True), start=2):
            texts = (
                s["org_id"],
                s["name"],
                vocab.ORG_TYPE_ZH.get(s["org_type"], s["org_type"]),
                s["parent_id"] or "",
                s["top_id"] or "",
            )
            for c, v in enumerate(texts):
                ws.write_string(i, c, v, self.f_text)
            ws.write_number(i, 5, s["score"], self.f_num)
            ws.write_number(i, 6, s["applicable_points"], self.f_num)
            ws.write_number(i, 7, s["earned_points"], self.f_num)
            ws.write_string(i, 8, s["grade"], self.f_text)
            ws.write_string(i, 9, "是" if s["qualified"] else "否", self.f_text)
            ws.write_string(i, 10, "是" if s["vetoed"] else "否", self.f_text)
            ws.write_string(i, 11, s["veto_reasons"], self.f_text)
            ws.write_string(i, 12, s["failed_rules"], self.f_text)


def write_self_assessment(
    assessment: Assessment,
    path: str | os.PathLike[str],
    per_org_sheets_max: int = 250,
    sources_limit: int = 3,
) -> Path:
    """Write ``自评分表.xlsx``: a 汇总 sheet, then one sheet per org (or one long sheet when there are
    more than ``per_org_sheets_max`` orgs).

    Parameters
    ----------
    assessment
        The result of ``analysis.assess``.
    path
        Where to write the workbook.
    per_org_sheets_max
        Above this many orgs, blocks go into one long sheet instead of a sheet each.
    sources_limit
        How many source rows each 依据 cell names.

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
    try:
        w = _Writer(wb, a, sources, sources_limit)
        w.summary(wb.add_worksheet(SUMMARY_SHEET))
        used: set[str] = set()
        ws, r, part = None, 0, 0
        for org in a.scores.iter_rows(named=True):
            if per_org:
                ws, r = wb.add_worksheet(sheet_name(org["org_id"], org["name"], used)), 0
                w.setup(ws)
            elif ws is None or r > MAX_SHEET_ROWS:
                part += 1
                ws, r = wb.add_worksheet(LONG_SHEET if part == 1 else f"{LONG_SHEET}{part}"), 0
                w.setup(ws)
            r = w.block(ws, r, org)
    finally:
        wb.close()
    return path
