"""To-do notices (催报/整改通知) of a mid-year assessment: for each org what is still owed this year and by
when, read off the pace frame (:func:`analysis.decisions.pace.pace`), and for last year's weak orgs which
of last year's reasons still hold (整改跟踪).

- :func:`todo_rows`: every pace row that is not grey and still has something to do (a count remaining or
  periods still needed), worst first within an org (红, 黄, 绿), then by deadline; ``todo`` says it in a
  secretary's words (lost for the year, the open periods or the count still missing), ``deadline`` the
  nearest deadline, ``note`` the pace note.
- :func:`followup`: per weak org of last year and reason code (``vocab.WEAK_REASON_ZH``) its state now:
  a veto this year; last year's failed items (不合格, 多项未达标) red or amber now; the secretary still
  vacant; the meeting rules red or amber now.  Peer comparison and decline need the whole year: 年终判断.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from analysis import vocab
from analysis.decisions.settings import _settings
from analysis.decisions.weak import DEFAULT_WEAK

_RANK = {"red": 0, "amber": 1, "green": 2}
TODO_COLUMNS = ("org_id", "name", "top_id", "rule_id", "title", "colour", "colour_zh", "todo", "deadline", "done", "required", "note")
FOLLOWUP_COLUMNS = ("org_id", "name", "top_id", "reason_code", "reason", "status", "detail")


def day_text(d: date | None) -> str:
    """2024年8月31日."""
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _todo_text(row: dict[str, Any]) -> str:
    parts = []
    if row["colour"] == "red":
        parts.append(vocab.TODO_LOST)
    if row["open_units"]:
        parts.append(vocab.TODO_OPEN.format(units="、".join(row["open_units"])))
    elif (row["remaining"] or 0) > 0:
        parts.append(vocab.TODO_REMAINING.format(remaining=_num(row["remaining"]), required=_num(row["required"]), done=_num(row["done"])))
    return "；".join(parts)


def todo_rows(pace: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """What each org still owes this year (:data:`TODO_COLUMNS`), from the pace frame and the orgs'
    top-level org (``scores``: org_id, top_id)."""
    owed = pace.filter(
        (pl.col("colour") != "grey")
        & ((pl.col("remaining").fill_null(0) > 0) | (pl.col("units_needed").fill_null(0) > 0))
    )
    todo = [_todo_text(r) for r in owed.iter_rows(named=True)]
    return (
        owed.with_columns(
            todo=pl.Series(todo, dtype=pl.String),
            _rank=pl.col("colour").replace_strict(_RANK, default=3, return_dtype=pl.Int64),
        )
        .join(scores.select("org_id", "top_id"), on="org_id", how="left")
        .sort(["org_id", "_rank", "deadline"], nulls_last=True, maintain_order=True)
        .select(TODO_COLUMNS)
    )


def _items(frame: pl.DataFrame) -> str:
    return "、".join(frame["title"].to_list())


def _state(code: str, org: str, ctx: dict[str, Any]) -> tuple[str, str]:
    """(status key, detail) of one of last year's reasons for ``org`` now."""
    s, d = vocab.FOLLOWUP_STATUS_ZH, vocab.FOLLOWUP_DETAIL_ZH
    pace: pl.DataFrame = ctx["pace"].filter(pl.col("org_id") == org)
    if code == "vetoed":
        now = ctx["scores"].filter(pl.col("org_id") == org)
        if now.height and now["vetoed"][0]:
            return s["holds"], d["vetoed_now"].format(reasons=now["veto_reasons"][0])
        return s["cleared"], d["vetoed_clear"]
    if code == "secretary_vacant":
        row = ctx["rules"].filter((pl.col("org_id") == org) & (pl.col("rule_id") == ctx["secretary_rule"]))
        if row.height and row["status"][0] == "fail":
            return s["holds"], d["vacant"]
        return s["cleared"], d["filled"].format(measured=row["measured"][0] if row.height else "")
    if code in ("failing_grade", "many_failed_rules", "few_meetings"):
        if code == "few_meetings":
            rules = list(ctx["meeting_rules"])
        else:
            failed = ctx["prev_rules"].filter((pl.col("org_id") == org) & (pl.col("status") == "fail"))
            rules = failed["rule_id"].to_list()
        rows = pace.filter(pl.col("rule_id").is_in(rules))
        red, amber = rows.filter(pl.col("colour") == "red"), rows.filter(pl.col("colour") == "amber")
        if red.height:
            return s["holds"], d["lost"].format(items=_items(red)) + (
                "；" + d["behind"].format(items=_items(amber)) if amber.height else ""
            )
        if amber.height:
            return s["behind"], d["behind"].format(items=_items(amber))
        key = "meetings_on_pace" if code == "few_meetings" else "on_pace"
        return s["on_pace"], d[key].format(items=_items(rows) or "—")
    return s["year_end"], d["year_end"]


def followup(prev_weak: pl.DataFrame, prev: Any, a: Any, pace: pl.DataFrame) -> pl.DataFrame:
    """Last year's weak orgs (``prev_weak`` of the assessment ``prev``), one row per reason code, with its
    state at ``a.as_of`` (:data:`FOLLOWUP_COLUMNS`), in last year's order."""
    cfg = _settings(a, "weak", DEFAULT_WEAK, None)
    ctx = {
        "pace": pace,
        "scores": a.scores,
        "rules": a.rules,
        "prev_rules": prev.rules,
        "secretary_rule": cfg["secretary_rule"],
        "meeting_rules": cfg["half_count_rules"],
    }
    tops = dict(a.scores.select("org_id", "top_id").iter_rows())
    rows = []
    for w in prev_weak.iter_rows(named=True):
        for code in dict.fromkeys(w["reason_codes"] or []):
            status, detail = _state(code, w["org_id"], ctx)
            rows.append((w["org_id"], w["name"], tops.get(w["org_id"]), code, vocab.WEAK_REASON_ZH.get(code, code), status, detail))
    return pl.DataFrame(rows, schema=dict.fromkeys(FOLLOWUP_COLUMNS, pl.String), orient="row")
