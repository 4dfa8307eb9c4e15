"""The briefing deck (汇报材料): a 16:9 PowerPoint the office presents at the committee meeting.

:func:`briefing_facts` gathers the numbers an officer states (orgs by type, grades, vetoes, the advanced
and weak lists, term reports owed, data quality) from results already computed; :func:`write_briefing`
lays them out with python-pptx.  Charts are the report builders' charts, drawn by vl-convert to PNG at a
16:9 size, so they look the same on every machine; text uses 微软雅黑 (Microsoft YaHei, on every Windows
office machine) for Chinese and Arial for Latin text — WPS on domestic systems substitutes its own
黑体-class font for a missing 微软雅黑, PowerPoint on macOS substitutes 苹方, and neither changes line
lengths enough to overflow, since every line is kept well inside its box (see :func:`text_width_em`).

Long lists split across slides (a fixed number of rows each) instead of shrinking the text.  Each slide
carries speaker notes with the sentences an officer would say, written from the numbers.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from analysis import charts, vocab

#: fonts named in the deck: East Asian text, Latin text
EA_FONT = "微软雅黑"
LATIN_FONT = "Arial"
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
TITLE_PT, BODY_PT, TABLE_PT, NOTE_PT = 28, 20, 14, 11
#: rows of a list per slide (a header row comes on top)
ROWS_PER_SLIDE = 12
#: chart picture on a chart slide: 16:9, centred under the title
PICTURE_W = Inches(10.4)
PICTURE_H = Inches(10.4 * 9 / 16)
CHART_PX = (1280, 720)
GREY = RGBColor(0x66, 0x66, 0x66)
DARK = RGBColor(0x1F, 0x1F, 0x1F)
ACCENT = RGBColor(0xB7, 0x1C, 0x1C)


def text_width_em(text: str) -> float:
    """Width of ``text`` in ems: a CJK or full-width character is 1 em, anything else about 0.6 em
    (Arial digits and letters average below that, so the estimate errs on the safe side)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text)


def fits(text: str, size_pt: float, width: int, height: int | None = None, line_spacing: float = 1.3) -> bool:
    """Whether ``text`` (its explicit lines, none wrapped) fits a box ``width`` × ``height`` EMU at
    ``size_pt``, leaving the text frame's default insets (0.1 in left and right, 0.05 in top and bottom)."""
    usable_w = width - Inches(0.2)
    lines = text.split("\n")
    wide = max((text_width_em(line) for line in lines), default=0.0) * Pt(size_pt)
    if wide > usable_w:
        return False
    if height is None:
        return True
    return len(lines) * Pt(size_pt) * line_spacing <= height - Inches(0.1)


# ---------------------------------------------------------------------------------------------
# The numbers.
# ---------------------------------------------------------------------------------------------
@dataclass
class BriefingFacts:
    """Everything the deck states, computed once from the results (no measure is run here)."""

    year: int
    as_of: date
    ruleset_title: str
    unit: str
    source: str
    by_type: dict[str, int]
    grades: dict[str, int]
    vetoes: list[str]
    advanced: pl.DataFrame  # 序号-ready: name, org_type, score, p_selected, label
    weak: pl.DataFrame  # name, org_type, score, main reasons
    failed_items: pl.DataFrame  # title, orgs failing
    terms_due: pl.DataFrame | None  # name, status, due, days_left
    quality: dict[str, int]
    scores: pl.DataFrame = field(repr=False)
    previous: pl.DataFrame | None = field(default=None, repr=False)
    top_level: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)

    @property
    def n_orgs(self) -> int:
        return sum(self.by_type.values())


def briefing_facts(
    assessment: Any,
    advanced: pl.DataFrame,
    weak: pl.DataFrame,
    quality: dict[str, int],
    unit: str,
    source: str,
    previous: Any | None = None,
    terms: Any | None = None,
) -> BriefingFacts:
    """Collect the deck's numbers from an assessment and the decisions taken on it.

    ``previous`` is last year's assessment (for the year-on-year slide), ``terms`` a
    :class:`analysis.terms.TermAssessment` (for the 换届提醒 slide), ``quality`` the ingest totals
    (files, refused_files, rows_read, rows_kept, rows_refused, rows_duplicate).
    """
    s = assessment.scores
    by_type = {zh: s.filter(pl.col("org_type") == t).height for t, zh in vocab.ORG_TYPE_ZH.items()}
    grades = {g: s.filter(pl.col("grade") == g).height for g in vocab.GRADES}
    vetoes = [f"{r['name']}：{r['veto_reasons']}" for r in s.filter(pl.col("vetoed")).iter_rows(named=True)]
    type_zh = pl.col("org_type").replace_strict(vocab.ORG_TYPE_ZH, default=pl.col("org_type"))
    chosen = advanced.filter(pl.col("selected")).sort("rank")
    adv = chosen.select("name", type_zh.alias("org_type"), "score", "p_selected", "label")
    reason = pl.col("reason_codes").list.unique(maintain_order=True).list.eval(
        pl.element().replace_strict(vocab.WEAK_REASON_ZH, default=pl.element())
    )
    wk = weak.sort("score", "org_id").select(
        "name", type_zh.alias("org_type"), "score", reason.list.join("、").alias("reasons")
    )
    titles = {r.rule_id: r.title_zh for r in assessment.ruleset.items}
    failed = (
        assessment.rules.filter(pl.col("status") == "fail")
        .group_by("rule_id")
        .agg(orgs=pl.len())
        .with_columns(title=pl.col("rule_id").replace_strict(titles, default=pl.col("rule_id")))
        .sort(["orgs", "rule_id"], descending=[True, False])
        .select("title", "orgs")
    )
    due = None
    if terms is not None:
        due = terms.report_due.select(
            "name", "term_status", pl.col("term_due").dt.strftime("%Y-%m-%d").alias("term_due"), "days_left"
        )
    return BriefingFacts(
        year=assessment.year,
        as_of=assessment.as_of,
        ruleset_title=assessment.ruleset.meta.title,
        unit=unit,
        source=source,
        by_type=by_type,
        grades=grades,
        vetoes=vetoes,
        advanced=adv,
        weak=wk,
        failed_items=failed,
        terms_due=due,
        quality=quality,
        scores=s,
        previous=None if previous is None else previous.scores,
        top_level=s.filter(pl.col("parent_id").is_null()),
    )


# ---------------------------------------------------------------------------------------------
# Slide primitives.
# ---------------------------------------------------------------------------------------------
def _style_run(run: Any, size: float, bold: bool = False, color: RGBColor = DARK) -> None:
    """Font size, weight and colour, with the Latin and the East Asian typeface both named."""
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.name = LATIN_FONT
    font.color.rgb = color
    rpr = run._r.get_or_add_rPr()
    for old in rpr.findall(qn("a:ea")):
        rpr.remove(old)
    ea = rpr.makeelement(qn("a:ea"), {"typeface": EA_FONT})
    rpr.find(qn("a:latin")).addnext(ea)


def _text(slide: Any, text: str, left: int, top: int, width: int, height: int, size: float,
          bold: bool = False, color: RGBColor = DARK) -> Any:
    """A text box holding ``text`` (one paragraph per line), each line checked to fit."""
    if not fits(text, size, width, height):
        raise ValueError(f"text does not fit its box: {text[:40]!r}")  # a layout bug, not a user error
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        _style_run(run, size, bold, color)
    return box


def _slide(prs: Any, title: str, facts: BriefingFacts, notes: str) -> Any:
    """A blank slide with its title, the source-and-date note at the foot, and speaker notes."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text(slide, title, MARGIN, Inches(0.3), SLIDE_W - 2 * MARGIN, Inches(0.8), TITLE_PT, bold=True)
    note = f"数据来源：{facts.source} · 截至 {facts.as_of:%Y年%m月%d日} · {facts.unit}"
    _text(slide, note, MARGIN, SLIDE_H - Inches(0.5), SLIDE_W - 2 * MARGIN, Inches(0.4), NOTE_PT, color=GREY)
    slide.notes_slide.notes_text_frame.text = notes
    return slide


def chart_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart drawn at 1280 × 720 (16:9, title and axes included), at twice that in pixels."""
    w, h = CHART_PX
    sized = chart.properties(width=w, height=h, autosize=alt.AutoSizeParams(type="fit", contains="padding"))
    return charts.to_png(sized, scale=2)


def _chart_slide(prs: Any, title: str, chart: alt.TopLevelMixin, facts: BriefingFacts, notes: str) -> Any:
    slide = _slide(prs, title, facts, notes)
    left = int((SLIDE_W - PICTURE_W) / 2)
    slide.shapes.add_picture(io.BytesIO(chart_png(chart)), left, Inches(1.15), PICTURE_W, PICTURE_H)
    return slide


def _column_widths(rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Column widths (EMU) proportional to each column's widest cell, summing to ``total``."""
    ems = [max(text_width_em(str(r[c])) for r in rows) + 1.2 for c in range(len(rows[0]))]
    scale = total / sum(ems)
    return [int(e * scale) for e in ems]


def _table_slides(prs: Any, title: str, header: Sequence[str], rows: list[list[str]],
                  facts: BriefingFacts, notes: str) -> int:
    """The rows as tables of :data:`ROWS_PER_SLIDE` rows, one slide each ("（续）" after the first)."""
    if not rows:
        slide = _slide(prs, title, facts, notes)
        _text(slide, "（无）", MARGIN, Inches(1.3), Inches(6), Inches(0.6), BODY_PT)
        return 1
    widths = _column_widths([list(header), *rows], SLIDE_W - 2 * MARGIN)
    chunks = [rows[i : i + ROWS_PER_SLIDE] for i in range(0, len(rows), ROWS_PER_SLIDE)]
    for k, chunk in enumerate(chunks):
        name = title if k == 0 else f"{title}（续 {k + 1}/{len(chunks)}）"
        first = k * ROWS_PER_SLIDE + 1
        slide = _slide(prs, name, facts, notes if k == 0 else f"续上页：第 {first}–{first + len(chunk) - 1} 个。")
        height = Inches(0.42) * (len(chunk) + 1)
        table = slide.shapes.add_table(len(chunk) + 1, len(header), MARGIN, Inches(1.2),
                                       SLIDE_W - 2 * MARGIN, height).table
        for c, w in enumerate(widths):
            table.columns[c].width = Emu(w)
        for r, values in enumerate([list(header), *chunk]):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                cell.text = ""
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = str(value)
                _style_run(run, TABLE_PT, bold=(r == 0), color=RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else DARK)
    return len(chunks)


# ---------------------------------------------------------------------------------------------
# The deck.
# ---------------------------------------------------------------------------------------------
def _count_text(counts: dict[str, int]) -> str:
    return "、".join(f"{k} {v} 个" for k, v in counts.items() if v)


def _title_slide(prs: Any, f: BriefingFacts) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _text(slide, f"{f.year}年度机关党建工作目标管理考核情况汇报", MARGIN, Inches(2.2),
          SLIDE_W - 2 * MARGIN, Inches(1.0), 36, bold=True, color=ACCENT)
    lines = f"规则：{f.ruleset_title}\n考核截止：{f.as_of:%Y年%m月%d日}\n汇报单位：{f.unit}"
    _text(slide, lines, MARGIN, Inches(3.6), SLIDE_W - 2 * MARGIN, Inches(1.6), BODY_PT, color=GREY)
    slide.notes_slide.notes_text_frame.text = (
        f"各位领导，下面汇报{f.year}年度机关党的工作目标管理考核情况。考核依据{f.ruleset_title}，"
        f"数据截至{f.as_of:%Y年%m月%d日}。"
    )


def _headline_slide(prs: Any, f: BriefingFacts) -> None:
    owed = None if f.terms_due is None else f.terms_due.height
    rows = [
        ["参评党组织", f"{f.n_orgs} 个（{_count_text(f.by_type)}）"],
        ["考核等次", _count_text(f.grades) or "—"],
        ["一票否决", f"{len(f.vetoes)} 个"],
        ["推荐先进基层党组织", f"{f.advanced.height} 个"],
        ["后进（软弱涣散）排查", f"{f.weak.height} 个"],
    ]
    if owed is not None:
        rows.append(["应报送任期考核材料", f"{owed} 个"])
    g = f.grades
    notes = (
        f"今年参评党组织 {f.n_orgs} 个，其中{_count_text(f.by_type)}。考核结果：优秀 {g['优秀']} 个，"
        f"良好 {g['良好']} 个，合格 {g['合格']} 个，不合格 {g['不合格']} 个。"
        f"一票否决 {len(f.vetoes)} 个；推荐先进基层党组织 {f.advanced.height} 个；"
        f"排查出需要关注的后进组织 {f.weak.height} 个。"
        + (f"另有 {owed} 个党组织任期即将届满或已届满，应报送任期考核材料。" if owed else "")
    )
    _table_slides(prs, "总体情况", ["项目", "数量"], rows, f, notes)


def _veto_slide(prs: Any, f: BriefingFacts) -> None:
    if not f.vetoes:
        return
    notes = f"一票否决 {len(f.vetoes)} 个：" + "；".join(f.vetoes) + "。被否决的组织考核为不合格，不能评为先进。"
    rows = [[v.split("：", 1)[0], v.split("：", 1)[1]] for v in f.vetoes]
    _table_slides(prs, "一票否决事项", ["组织", "事项"], rows, f, notes)


def _grade_slide(prs: Any, f: BriefingFacts) -> None:
    share = f.grades["优秀"] / f.n_orgs if f.n_orgs else 0.0
    notes = (
        f"从得分分布看，优秀 {f.grades['优秀']} 个，占 {share:.0%}；不合格 {f.grades['不合格']} 个，"
        "主要集中在低分段。"
    )
    _chart_slide(prs, "考核得分分布", charts.score_histogram(f.scores), f, notes)


def _units_slides(prs: Any, f: BriefingFacts) -> None:
    units = f.top_level.sort(["score", "org_id"], descending=[True, False])
    n = units.height
    step = 15
    for k in range(0, n, step):
        part = units.slice(k, step)
        title = "各直属党组织得分排名" + ("" if n <= step else f"（第 {k + 1}–{k + part.height} 名）")
        best = part.row(0, named=True)
        notes = f"直属党组织共 {n} 个。本页第 {k + 1} 至 {k + part.height} 名，最高为{best['name']}，{best['score']:.1f} 分。"
        _chart_slide(prs, title, charts.ranking_bars(part, n=None), f, notes)


def _advanced_slides(prs: Any, f: BriefingFacts) -> None:
    rows = [
        [str(i + 1), r["name"], r["org_type"], f"{r['score']:.1f}", f"{r['p_selected']:.0%}", r["label"]]
        for i, r in enumerate(f.advanced.iter_rows(named=True))
    ]
    stable = f.advanced.filter(pl.col("label") == vocab.SELECTION_LABEL_ZH["stable"]).height
    notes = (
        f"建议推荐先进基层党组织 {len(rows)} 个。经分值随机扰动检验，其中 {stable} 个稳定入选，"
        f"其余 {len(rows) - stable} 个处在名单边缘，建议党工委重点审议。"
    )
    _table_slides(prs, "先进基层党组织推荐名单", ["序号", "组织名称", "类型", "得分", "入选概率", "稳健性"],
                  rows, f, notes)


def _weak_slides(prs: Any, f: BriefingFacts) -> None:
    rows = [
        [str(i + 1), r["name"], r["org_type"], f"{r['score']:.1f}", r["reasons"]]
        for i, r in enumerate(f.weak.iter_rows(named=True))
    ]
    top = (
        f.weak.select(pl.col("reasons").str.split("、")).explode("reasons")
        .group_by("reasons").agg(n=pl.len()).sort(["n", "reasons"], descending=[True, False])
    )
    main = "、".join(f"{r['reasons']} {r['n']} 个" for r in top.head(3).iter_rows(named=True))
    notes = f"排查出需要关注的后进组织 {len(rows)} 个，主要原因是：{main}。" if rows else "本年度未排查出后进组织。"
    _table_slides(prs, "后进（软弱涣散）党组织排查", ["序号", "组织名称", "类型", "得分", "主要原因"], rows, f, notes)


def _failed_items_slide(prs: Any, f: BriefingFacts) -> None:
    if f.failed_items.is_empty():
        return
    items = f.failed_items.rename({"orgs": "未达标组织数"})
    chart = charts.count_bars(items, "title", "未达标组织数", title="未达标最多的考核项", n=12)
    worst = f.failed_items.row(0, named=True)
    notes = f"全市未达标最多的考核项是“{worst['title']}”，有 {worst['orgs']} 个组织未达标。"
    _chart_slide(prs, "未达标最多的考核项", chart, f, notes)


def _yoy_slide(prs: Any, f: BriefingFacts) -> None:
    if f.previous is None:
        return
    chart = charts.yoy_change(f.scores, f.previous, years=(f.year - 1, f.year), n=20)
    both = f.scores.join(f.previous.select("org_id", prev="score"), on="org_id")
    up = both.filter(pl.col("score") > pl.col("prev")).height
    down = both.filter(pl.col("score") < pl.col("prev")).height
    notes = f"与{f.year - 1}年相比，{up} 个组织得分上升，{down} 个下降。"
    _chart_slide(prs, "得分同比变化", chart, f, notes)


def _terms_slides(prs: Any, f: BriefingFacts) -> None:
    if f.terms_due is None:
        return
    rows = [
        [r["name"], r["term_status"], r["term_due"],
         f"剩 {r['days_left']} 天" if r["days_left"] >= 0 else f"已超 {-r['days_left']} 天"]
        for r in f.terms_due.iter_rows(named=True)
    ]
    overdue = f.terms_due.filter(pl.col("term_status") == vocab.TERM_OVERDUE).height
    notes = (
        f"换届提醒：{len(rows)} 个党组织任期即将届满或已届满，其中超期未换届 {overdue} 个，"
        "请督促按期换届并报送任期考核报告和任期自评分表。"
    )
    _table_slides(prs, "换届提醒", ["组织名称", "任期状态", "届满日期", "时间"], rows, f, notes)


def _quality_slide(prs: Any, f: BriefingFacts) -> None:
    q = f.quality
    rows = [
        ["报送文件", f"{q['files']} 个（整份拒收 {q['refused_files']} 个）"],
        ["读入数据行", f"{q['rows_read']:,} 行"],
        ["保留", f"{q['rows_kept']:,} 行"],
        ["拒收（附原因）", f"{q['rows_refused']:,} 行"],
        ["重复（只计一次）", f"{q['rows_duplicate']:,} 行"],
    ]
    notes = (
        f"本次共汇总各单位报送文件 {q['files']} 个、数据 {q['rows_read']:,} 行，其中 {q['rows_refused']:,} 行"
        "因数据有误被拒收，已逐条列明原因退回各单位核实。"
    )
    _table_slides(prs, "数据质量", ["项目", "情况"], rows, f, notes)


def write_briefing(facts: BriefingFacts, path: str | os.PathLike[str]) -> Path:
    """Write the deck to ``path`` (.pptx) and return it."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    for part in (_title_slide, _headline_slide, _veto_slide, _grade_slide, _units_slides, _advanced_slides,
                 _weak_slides, _failed_items_slide, _yoy_slide, _terms_slides, _quality_slide):
        part(prs, facts)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(out)
    return out
