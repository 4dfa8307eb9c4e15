"""The Chinese words on charts and tables (the vocab holds the registry and status words), and a frame
turned into what a reader sees."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import PurePath
from typing import Any

import polars as pl

from analysis.vocab import ORG_TYPE_ZH, ORGS, STATUS_ZH

LABELS: dict[str, str] = {
    **{c.name: c.zh for c in ORGS.columns},
    "top_id": "所属党委编码",
    "score": "得分",
    "applicable_points": "适用分值",
    "earned_points": "实得分值",
    "grade": "等级",
    "qualified": "合格",
    "vetoed": "一票否决",
    "veto_reasons": "否决原因",
    "failed_rules": "未达标考核项",
    "n_failed": "未达标项数",
    "rule_id": "考核项编号",
    "rule": "考核项",
    "category": "类别",
    "status": "状态",
    "measured": "实际情况",
    "required": "考核要求",
    "measured_value": "实际值",
    "required_value": "要求值",
    "points": "分值",
    "earned": "得分",
    "evidence_rows": "依据行数",
    "table": "数据表",
    "_file": "来源文件",
    "_sheet": "工作表",
    "_row": "行号",
    "rank": "排名",
    "selected": "入选",
    "p_selected": "入选概率",
    "rank_p05": "排名（乐观，5%）",
    "rank_p95": "排名（保守，95%）",
    "label": "结论",
    "reasons": "原因",
    "year": "年度",
    "change": "得分变化",
    "count": "组织数",
    "orgs": "组织数",
    "rows": "行数",
    "path": "文件",
    "tables": "数据表",
    "rows_read": "读取行数",
    "rows_kept": "保留行数",
    "rows_refused": "拒收行数",
    "rows_duplicate": "重复行数",
    "message": "说明",
    "column": "列",
    "value": "原值",
    "reason_zh": "原因",
    "parent_name": "上级组织",
    "evidence": "依据（来源文件与行号）",
    "note": "说明",
    # the term report (任期考核) and the 换届提醒
    "item": "项目",
    "date": "日期",
    "kind": "事项类型",
    "at": "发生在",
    "org": "组织",
    "term_start": "本届换届日期",
    "term_due": "届满日期",
    "term_status": "任期状态",
    "days_left": "距届满天数",
    "when": "距届满",
    "term_score": "任期得分",
    "term_grade": "任期等级",
}
_YES_NO = {True: "是", False: "否"}


def zh_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as a reader sees it: org types and statuses in Chinese, yes/no as 是/否, and
    Chinese column headers (unknown columns keep their name)."""
    exprs: list[pl.Expr] = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if name == "org_type":
            col = col.replace(ORG_TYPE_ZH)
        elif name == "status":
            col = col.replace(STATUS_ZH)
        elif dtype == pl.Boolean:
            col = col.replace_strict(_YES_NO, return_dtype=pl.String)
        exprs.append(col.alias(LABELS.get(name, name)))
    return df.select(exprs)


def rule_titles(ruleset: Any) -> dict[str, str]:
    """``{rule_id: title_zh}`` in rubric order, from an assessment's loaded ruleset."""
    return {item.rule_id: item.title_zh for item in ruleset.items}


def source_note(source: str | os.PathLike[str], as_of: dt.date | str | None = None) -> str:
    """The line under a chart saying where its numbers come from and how recent they are:
    ``数据来源：<store or folder> · 截至 <date>`` (e.g. ``数据来源：data/store · 截至 2024-12-31``).

    A path is named by its last two parts (``reports/store``), as the user knows the folder — not by
    the absolute path of the machine that drew the chart.  A datetime counts by its day."""
    text = str(source)
    if isinstance(source, os.PathLike) or "/" in text or "\\" in text:
        parts = PurePath(text).parts
        text = "/".join(parts[-2:]) if len(parts) > 1 else text
    note = f"数据来源：{text}"
    if as_of:
        day = as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)
        note += f" · 截至 {day[:10]}"
    return note
