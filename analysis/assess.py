"""One assessment: run a ruleset over a store for a year and score it — it computes, it writes nothing.

``assess(store, 2024)`` returns an :class:`Assessment` (the contract in docs/CONTRACTS.md): a score
row per registry org, a row per org × rubric item, and the evidence — every source row each result
counted.  The evidence can be far larger than the results (one row per study record), so it stays a
lazy plan until somebody asks for it (``assessment.evidence``, :func:`explain`, the xlsx).

:func:`explain` tells why one org got its score, as text for the terminal.  The files people read
(``scores.csv``, ``rules.csv``, ``自评分表.xlsx``) are written by :mod:`analysis.outputs`.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from rich.cells import cell_len, chop_cells
from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from analysis import scoring, vocab
from analysis.rules import Context, Ruleset, evaluate, load_ruleset
from analysis.rules.common import ORG_INDEX
from analysis.store import Store
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET

ORG = "org_id"


class AssessError(ValueError):
    """An assessment cannot be run or explained as asked; the message is in Chinese."""


@dataclass
class Assessment:
    """The result of :func:`assess` (docs/CONTRACTS.md).

    ``evidence`` is materialised on first access (and cached); ``evidence_plan`` is the same rows as a
    LazyFrame for callers that only need a slice.  ``warnings`` lists data problems the rules met
    (org_id, rule_id, message), e.g. a registry term length that does not fit the org.
    """

    scores: pl.DataFrame
    rules: pl.DataFrame
    year: int
    as_of: date
    ruleset: Ruleset
    evidence_plan: pl.LazyFrame = field(repr=False)
    warnings: pl.DataFrame = field(repr=False)
    _evidence: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def evidence(self) -> pl.DataFrame:
        """``org_id, rule_id, table, _file, _sheet, _row``, sorted, one row per source row counted."""
        if self._evidence is None:
            self._evidence = self.evidence_plan.sort(
                ORG, "rule_id", "table", PROV_FILE, PROV_SHEET, PROV_ROW
            ).collect()
        return self._evidence

    def sources(self, limit: int = 3, org_ids: list[str] | None = None) -> pl.DataFrame:
        """The first ``limit`` source rows of each org × rule as text (``org_id, rule_id, sources``).

        "First" is in (file, sheet, row) order, so the text does not depend on read order; the
        smallest rows are picked per group without sorting the whole evidence.
        """
        ev = self.evidence_plan if self._evidence is None else self._evidence.lazy()
        if org_ids is not None:
            ev = ev.filter(pl.col(ORG).is_in(org_ids))
        key = [PROV_FILE, PROV_SHEET, PROV_ROW]
        e = pl.element().struct
        where = pl.format(
            "{} {}第 {} 行",
            e.field(PROV_FILE),
            pl.when(e.field(PROV_SHEET) == "")
            .then(pl.lit(""))
            .otherwise(pl.format("[{}] ", e.field(PROV_SHEET))),
            e.field(PROV_ROW),
        )
        return (
            ev.group_by(ORG, "rule_id")
            .agg(first=pl.struct(key).bottom_k_by(key, limit).sort())
            .select(ORG, "rule_id", sources=pl.col("first").list.eval(where).list.join("；"))
            .sort(ORG, "rule_id")
            .collect(engine="streaming")
        )


def _as_date(value: date | str | None, year: int) -> date:
    if value is None:
        return date(year, 12, 31)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise AssessError(f"截止日期「{value}」无法识别，请写作 2024-06-30") from exc


def assess(
    store: Store,
    year: int,
    ruleset: str | os.PathLike[str] | Ruleset = "changzhou-2009",
    rubric: str | os.PathLike[str] | None = None,
    as_of: date | str | None = None,
) -> Assessment:
    """Assess every registry org for ``year``.

    Parameters
    ----------
    store
        The data (``Store.open(path)`` or ``Store.from_frames``).
    year
        The assessment year (1 Jan – 31 Dec).
    ruleset
        A built-in ruleset name, a ruleset TOML path, or an already loaded :class:`Ruleset` (e.g. one
        re-weighted with ``Ruleset.with_points``).
    rubric
        Optional rubric TOML overriding points/methods (see ``load_ruleset``).
    as_of
        The date term status is judged at; 31 Dec of ``year`` by default.

    Returns
    -------
    Assessment

    Raises
    ------
    RulesetError
        The ruleset or rubric file is invalid.
    AssessError
        The as-of date cannot be read, or a rubric was given with an already loaded ruleset.
    """
    if isinstance(ruleset, Ruleset):
        if rubric is not None:
            raise AssessError("已载入的规则集不能再叠加评分表；请把规则文件路径和评分表一起传入")
        rs = ruleset
    else:
        rs = load_ruleset(ruleset, rubric)
    ctx = Context(store, rs, int(year), _as_date(as_of, int(year)))
    ev = evaluate(ctx)
    rules_lf = pl.concat([scoring.score_rule(ev.frames[r.rule_id], r, i) for i, r in enumerate(rs.items)])
    closure = scoring.ancestors(ctx.orgs)
    periods = (
        scoring.term_periods(ctx.terms, ctx.year, ctx.as_of)
        if rs.veto.period == "term"
        else scoring.year_periods(ctx.orgs, ctx.year)
    )
    vetoes = scoring.veto(store.table("incidents"), closure, periods, rs)
    rules, veto_df, warnings = pl.collect_all(
        [rules_lf, vetoes, ev.warnings.sort(ORG, "rule_id", "message")], engine="streaming"
    )
    rules = scoring.order_rules(rules, rs.items)
    scores = scoring.summarise(rules, ctx.orgs, closure, veto_df, rs)
    rules = rules.drop(ORG_INDEX, "_order")
    return Assessment(
        scores=scores,
        rules=rules,
        year=ctx.year,
        as_of=ctx.as_of,
        ruleset=rs,
        evidence_plan=ev.evidence,
        warnings=warnings,
    )


# ---------------------------------------------------------------------------------------------
# Explain one org.
# ---------------------------------------------------------------------------------------------
def _evidence_line(rows: pl.DataFrame, limit: int) -> str:
    """The first ``limit`` source rows as one line, rows of the same file and sheet together:
    ``来源：换届记录.xlsx [Sheet1] 第 5、6 行；…（共 9 行）``."""
    groups: list[tuple[str, list[str]]] = []
    for x in rows.head(limit).iter_rows(named=True):
        where = f"{x[PROV_FILE]}{f' [{x[PROV_SHEET]}]' if x[PROV_SHEET] else ''}"
        if groups and groups[-1][0] == where:
            groups[-1][1].append(str(x[PROV_ROW]))
        else:
            groups.append((where, [str(x[PROV_ROW])]))
    if not groups:
        return "来源：—"
    more = f"（共 {rows.height} 行）" if rows.height > limit else ""
    return "来源：" + "；".join(f"{w} 第 {'、'.join(n)} 行" for w, n in groups) + more


def _grade(s: dict) -> str:
    """The grade as one phrase: 等次 良好（合格）, 等次 合格, 等次 不合格（一票否决）."""
    if s["vetoed"]:
        return f"等次 {s['grade']}（一票否决）"
    if s["qualified"] and s["grade"] != scoring.QUALIFIED:
        return f"等次 {s['grade']}（{scoring.QUALIFIED}）"
    return f"等次 {s['grade']}"


#: an unbreakable run: ASCII (a number, a date, a file name part) or one CJK character, with the opening
#: punctuation that must not end a line before it and the closing punctuation that must not start one after
_TOKEN = re.compile(r"\s+|[（「“]*[\x21-\x7e≥≤×÷]+[，。；：、）」”]*|[（「“]*.[，。；：、）」”]*", re.S)


def wrap_cells(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` cells the way Chinese is set: between any two CJK
    characters, at spaces, never inside a number or a date, never before closing punctuation (rich
    breaks only at spaces, so a run of CJK would be moved whole to the next line and folded there)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for tok in _TOKEN.findall(paragraph):
            if tok.isspace():
                line += " " if line else ""
                continue
            if cell_len(line + tok) <= width:
                line += tok
                continue
            if line.strip():
                out.append(line.rstrip())
            while cell_len(tok) > width:  # wider than the column: folded
                head = chop_cells(tok, width)[0]
                out.append(head)
                tok = tok[len(head):]
            line = tok
        out.append(line.rstrip())
    return "\n".join(out)


class _Items:
    """The item lines of :func:`explain`: one table row per item (name, status, points, measured,
    required), the evidence as a second, full-width line under it, so that it wraps well at 80
    columns.  Column widths follow the console's width (at most :data:`MAX_WIDTH`), the same for every
    item; the text is wrapped by :func:`wrap_cells`."""

    MAX_WIDTH = 120
    FIXED = (8, 9)  # 状态, 得分
    GAP = 2  # cells between two columns

    def __init__(self, rows: list[tuple[tuple[str, Text, str, str, str], str | None]]) -> None:
        self.rows = rows

    def _table(self, widths: list[int], header: bool) -> Table:
        t = Table(box=None, show_header=header, header_style="bold", show_edge=False, pad_edge=False,
                  padding=(0, self.GAP // 2))
        names = (vocab.RESULT_HEADERS[c] for c in ("title", "status", "earned", "measured", "required"))
        for name, w in zip(names, widths, strict=True):
            t.add_column(name, width=w, overflow="fold")
        return t

    def __rich_console__(self, console: Console, options):  # type: ignore[no-untyped-def]
        width = min(options.max_width, self.MAX_WIDTH)
        free = max(15, width - sum(self.FIXED) - 4 * self.GAP)
        item, measured = free * 3 // 11, free * 4 // 11
        widths = [item, *self.FIXED, measured, free - item - measured]
        yield self._table(widths, header=True)
        yield Rule(style="dim")
        for (name, status, points, got, wanted), evidence in self.rows:
            t = self._table(widths, header=False)
            t.add_row(wrap_cells(name, widths[0]), status, points,
                      wrap_cells(got, widths[3]), wrap_cells(wanted, widths[4]))
            yield t
            if evidence is not None:
                yield Padding(Text(wrap_cells(evidence, width - 4), style="dim"), (0, 0, 0, 4))


def explain(assessment: Assessment, org_id: str, limit: int = 5) -> Group:
    """Why an org got its score: for each rubric item the status, points, measured vs required and,
    on a second line, the source rows (file, sheet, row) — a rich renderable (print it with
    ``rich.print``, wrapping on).  Items are named in Chinese; items not scored show “—” for their
    points and no source line.

    Raises
    ------
    AssessError
        ``org_id`` is not in the registry.
    """
    a = assessment
    row = a.scores.filter(pl.col(ORG) == org_id)
    if row.is_empty():
        raise AssessError(f"组织编码 {org_id} 不在组织名册中")
    s = row.row(0, named=True)
    rules = a.rules.filter(pl.col(ORG) == org_id)
    ev = (
        a.evidence_plan.filter(pl.col(ORG) == org_id)
        .sort("rule_id", "table", PROV_FILE, PROV_SHEET, PROV_ROW)
        .collect()
    )
    titles = {r.rule_id: f"{r.clause} {r.title_zh}" for r in a.ruleset.items}

    head = Text()
    head.append(
        f"{s['name']}（{org_id}，{vocab.ORG_TYPE_ZH.get(s['org_type'], s['org_type'])}）", style="bold"
    )
    head.append(f"\n{a.year} 年度  规则集 {a.ruleset.name}  截止 {a.as_of}")
    if a.as_of < date(a.year, 12, 31):
        head.append(f"（年中：{vocab.AS_OF_MID_YEAR}）")
    head.append(
        f"\n得分 {s['score']:.1f}（实得 {s['earned_points']:g} ÷ 适用分值 {s['applicable_points']:g} × 100）  "
        f"{_grade(s)}"
    )
    if s["vetoed"]:
        head.append(f"\n一票否决：{s['veto_reasons']}", style="red")
    if s["failed_rules"]:
        head.append(f"\n未达标：{a.ruleset.item_names(s['failed_rules'])}")

    items = []
    for r in rules.iter_rows(named=True):
        status = r["status"]
        style = {"pass": "green", "fail": "red", "pending": "yellow"}.get(status, "dim")
        scored = status not in scoring.OUT_OF_SCOPE
        cells = (
            titles.get(r["rule_id"], r["rule_id"]),
            Text(vocab.STATUS_ZH[status], style=style),
            f"{r['earned']:g} / {r['points']:g}" if scored else vocab.NOT_SCORED,
            r["measured"] or vocab.NOT_SCORED,
            r["required"] or vocab.NOT_SCORED,
        )
        evidence = ev.filter(pl.col("rule_id") == r["rule_id"])
        items.append((cells, _evidence_line(evidence, limit) if scored or evidence.height else None))
    parts: list = [head, Text(""), _Items(items)]
    warn = a.warnings.filter(pl.col(ORG) == org_id)
    if warn.height:
        parts.append(Text("数据提示：\n" + "\n".join(f"- {m}" for m in warn["message"]), style="yellow"))
    return Group(*parts)


def explain_text(assessment: Assessment, org_id: str, limit: int = 5, width: int = 140) -> str:
    """:func:`explain` rendered as plain text (for logs, tests and non-terminal output)."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(explain(assessment, org_id, limit))
    return console.export_text()
