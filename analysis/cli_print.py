"""What the commands print: the ingest, assessment and term summaries, in Chinese, on the shared consoles.

Kept apart from :mod:`analysis.cli` (which parses options and calls the stages) so that each file has one
reason to change: the wording and layout of a summary here, a command's options there.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analysis.vocab import TABLES

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _first_names(names: list[str], n: int = 10) -> str:
    """The first ``n`` names joined the Chinese way, with 等 when there are more."""
    return "、".join(names[:n]) + ("等" if len(names) > n else "")


#: a run of more files than this gets a summary per table and the files with refusals, not one row a file
SUMMARY_FILES = 40
#: files with refusals listed by name in that summary
SUMMARY_REFUSED = 20


def print_ingest_summary(result) -> None:
    from analysis.ingest import display_path

    files = result.files
    title = escape(f"导入结果（数据仓库：{display_path(result.store)}）")
    if files.height > SUMMARY_FILES:
        _print_ingest_by_table(files, title)
        where = escape(display_path(result.store / "manifest.parquet"))
        console.print(f"每个文件的读入、保留、拒收、重复行数见数据仓库中的 manifest.parquet（{where}），或运行数据质量报告。")
    else:
        console.print(_files_table(files, title))
    _print_ingest_totals(result)


def _files_table(files, title: str) -> Table:
    """One row a file: its tables, rows read, kept, refused, duplicate, and what was refused."""
    table = Table(title=title, show_lines=False)
    for col in ("文件", "数据表", "读入行", "保留", "拒收", "重复", "说明"):
        table.add_column(col, justify="right" if col in ("读入行", "保留", "拒收", "重复") else "left")
    for row in files.iter_rows(named=True):
        style = "red" if row["status"] == "refused" else None
        table.add_row(
            escape(row["path"]),
            "、".join(TABLES[t].zh for t in row["tables"].split(",") if t),
            str(row["rows_read"]),
            str(row["rows_kept"]),
            str(row["rows_refused"]),
            str(row["rows_duplicate"]),
            escape(row["message"] or ("" if row["status"] == "ok" else "已拒收")),
            style=style,
        )
    return table


def _print_ingest_by_table(files, title: str) -> None:
    """A large run: files and rows per table (the tables a file holds), then only the files with refusals."""
    import polars as pl

    counts = ["rows_read", "rows_kept", "rows_refused", "rows_duplicate"]
    per = files.group_by("tables").agg(pl.len().alias("files"), *(pl.col(c).sum() for c in counts)).sort("tables")
    table = Table(title=title, show_lines=False)
    for col in ("数据表", "文件数", "读入行", "保留", "拒收", "重复"):
        table.add_column(col, justify="left" if col == "数据表" else "right")
    for row in per.iter_rows(named=True):
        names = "、".join(TABLES[t].zh for t in row["tables"].split(",") if t) or "（整份拒收）"
        table.add_row(names, str(row["files"]), *(str(row[c]) for c in counts))
    console.print(table)
    refused = files.filter((pl.col("status") == "refused") | (pl.col("rows_refused") > 0))
    if refused.height:
        shown = refused.head(SUMMARY_REFUSED)
        more = f"，列出前 {shown.height} 个" if refused.height > shown.height else ""
        console.print(_files_table(shown, f"有拒收的文件（共 {refused.height} 个{more}）"))


def _print_ingest_totals(result) -> None:
    """The totals, the registry conflicts, the files re-read, skipped or passed over, where the rejects are."""
    import polars as pl

    from analysis.ingest import display_path

    files = result.files
    t = result.totals
    console.print(
        f"共读取 {t['files']} 个文件（整份拒收 {t['files_refused']} 个）；"
        f"读入 {t['rows_read']} 行 = 保留 {t['rows_kept']} + 拒收 {t['rows_refused']} + 重复 {t['rows_duplicate']}。"
    )
    conflicts = result.conflicts
    if conflicts.height:
        console.print(
            f"[yellow]注意：[/yellow]{conflicts['org_id'].n_unique()} 个组织编码在名册和导出数据中的名称或类型不一致，"
            "已按名册为准并列出，请核对（数据仓库 conflicts.parquet）："
        )
        for r in conflicts.head(10).iter_rows(named=True):
            console.print(escape(f"  {r['org_id']} {r['field']}：名册“{r['registry_value']}”，{r['_file']} 第{r['_row']}行“{r['derived_value']}”"))
    if result.rechecked:
        console.print(
            f"{len(result.rechecked)} 个此前导入过的文件有行因组织编码不在名册中被拒收，已按现在的名册重新读取："
            + escape(_first_names(result.rechecked))
        )
    if result.fixable:
        console.print(
            f"[yellow]注意：[/yellow]{len(result.fixable)} 个文件中有行此前因组织编码不在名册中被拒收，而名册现在已有这些组织："
            + escape(_first_names(result.fixable))
            + "。把它们所在的文件夹再导入一次，这些行就会保留。"
        )
    if result.skipped:
        console.print(f"另有 {len(result.skipped)} 个文件此前已导入（内容相同），本次跳过。")
    if result.passed_over:
        console.print(f"[yellow]注意：[/yellow]{len(result.passed_over)} 个路径不是普通文件，未读取：" + escape(_first_names(result.passed_over)))
    partly = files.filter((pl.col("status") == "ok") & (pl.col("message") != ""))
    for r in partly.iter_rows(named=True):
        console.print(f"[yellow]注意：[/yellow]{escape(r['path'])} 中有工作表未导入——{escape(r['message'])}")
    if t["rows_refused"] or t["files_refused"] or partly.height:
        where = escape(display_path(result.store / "rejects.parquet"))
        console.print(f"拒收明细见数据仓库中的 rejects.parquet（{where}），或运行数据质量报告。")


def print_scores_summary(a, title: str) -> None:
    import polars as pl

    from analysis.vocab import GRADES, ORG_TYPE_ZH

    s = a.scores
    table = Table(title=title)
    table.add_column("组织类型")
    for g in GRADES:
        table.add_column(g, justify="right")
    table.add_column("其中一票否决", justify="right")
    table.add_column("平均分", justify="right")
    for t, zh in ORG_TYPE_ZH.items():
        part = s.filter(pl.col("org_type") == t)
        if part.height == 0:
            continue
        counts = [str(part.filter(pl.col("grade") == g).height) for g in GRADES]
        table.add_row(zh, *counts, str(part.filter(pl.col("vetoed")).height), f"{part['score'].mean():.1f}")
    console.print(table)


def print_terms_due(ta) -> None:
    """One line for ``workbench report``: how many orgs owe their term report at the as-of date, per
    status (each gets a 任期考核 page)."""
    from analysis.vocab import TERM_REPORT_DUE, TERM_STATUSES

    due = ta.report_due
    counts = dict(due.group_by("term_status").len().iter_rows())
    parts = "，".join(f"{s} {counts[s]} 个" for s in TERM_STATUSES if s in TERM_REPORT_DUE and s in counts)
    console.print(f"任期考核（截至 {ta.as_of}）：应报送任期考核报告的组织 {due.height} 个" + (f"（{parts}）。" if parts else "。"))


def print_terms_summary(ta, files, limit: int = 40) -> None:
    """Orgs per term status, the overdue ones, the ones that owe their report; the files written."""
    import polars as pl

    from analysis.vocab import TERM_OVERDUE, TERM_SHEET_DIR, TERM_STATUSES

    terms = ta.terms
    counts = Table(title=f"任期状态（截至 {ta.as_of}，“即将届满”为 {ta.due_within} 个月内届满）")
    counts.add_column("任期状态")
    counts.add_column("组织数", justify="right")
    counts.add_column("应报送任期考核材料", justify="right")
    for status in TERM_STATUSES:
        part = terms.filter(pl.col("term_status") == status)
        counts.add_row(status, str(part.height), str(part.filter(pl.col("report_due")).height))
    counts.add_row("合计", str(terms.height), str(terms.filter(pl.col("report_due")).height), style="bold")
    console.print(counts)
    overdue = terms.filter(pl.col("term_status") == TERM_OVERDUE).sort("term_due")
    if overdue.height:
        console.print(
            f"[red]超期未换届 {overdue.height} 个：[/red]"
            + "；".join(f"{r['name']}（{r['org_id']}，应于 {r['term_due']} 换届，已超 {-r['days_left']} 天）"
                       for r in overdue.iter_rows(named=True))
        )
    due = ta.report_due
    if due.height == 0:
        console.print("没有需要报送任期考核材料的组织，未生成任期自评分表和任期考核报告。")
    else:
        table = Table(title=f"应报送任期考核材料的组织（{due.height} 个，超期的在前）", box=box.SIMPLE_HEAD)
        for col in ("编码", "组织名称", "任期状态", "届满日期", "剩余天数", "得分", "等次"):
            right = col in ("剩余天数", "得分")
            table.add_column(col, justify="right" if right else "left", overflow="fold", no_wrap=col != "组织名称")
        for r in due.head(limit).iter_rows(named=True):
            table.add_row(
                r["org_id"], r["name"], r["term_status"], str(r["term_due"]), str(r["days_left"]),
                "" if r["term_score"] is None else f"{r['term_score']:.1f}", r["term_grade"] or "",
                style="red" if r["vetoed"] or r["term_status"] == TERM_OVERDUE else None,
            )  # fmt: skip
        console.print(table)
        if due.height > limit:
            console.print(f"……其余 {due.height - limit} 个见 terms.csv 和{TERM_SHEET_DIR}文件夹。")
    written = [f"{files.terms_csv}（{terms.height} 个组织）"]
    if files.sheets:
        written.append(f"{files.sheets[0].parent}（{len(files.sheets)} 份 Excel）")
        written.append(f"{files.reports[0].parent}（{len(files.reports)} 份 Word 初稿）")
    console.print("已写出：" + "、".join(written))



def weak_tiers_line(weak, n_orgs: int, turned) -> str:
    """The weak list's tiers (the 整顿 share beside national practice, the cut line of a cap) and, when
    last year is known, what became of last year's 整顿 orgs."""
    from analysis.decisions.weak_tiers import tier_summary, turnaround_summary

    line = tier_summary(weak, n_orgs)
    return line + ("\n" + turnaround_summary(turned) if turned is not None else "")


def print_comparison_summary(cmp, top: int = 8) -> None:
    """The weak list's counts per ruleset and reason, and the rules whose results differ for most orgs,
    each with why (compare_weak.csv, compare_by_rule.csv)."""
    import polars as pl

    w = cmp.weak_counts
    console.print(
        "后进名单："
        + "，".join(f"{n} {w.row(0, named=True)[n]} 个" for n in cmp.names)
        + "；按原因（一个组织可有多个原因）："
        + "；".join(f"{r['reason']} " + "→".join(str(r[n]) for n in cmp.names) for r in w.slice(1).iter_rows(named=True))
    )
    by_rule = cmp.by_rule
    if by_rule.height == 0:
        return
    for name in cmp.names[1:]:
        rows = (
            by_rule.filter((pl.col("ruleset") == name) & (pl.col("orgs_differ") > 0))
            .sort("orgs_differ", descending=True, maintain_order=True)
            .head(top)
        )
        console.print(f"与 {cmp.names[0]} 相比，{name} 结果不同的组织最多的规则：")
        for r in rows.iter_rows(named=True):
            console.print(
                f"  「{escape(r['title'])}」{r['orgs_differ']} 个组织不同（得分降低 {r['orgs_lower']}、提高 "
                f"{r['orgs_higher']}）：{escape(r['why'])}"
            )
