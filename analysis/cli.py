"""The ``workbench`` command: thin — parses options, calls the stages, prints in Chinese."""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis.cli_errors import UserError, exit_code, say
from analysis.store import DEFAULT_STORE
from analysis.usage import OPTIONS_METAVAR, SUBCOMMAND_METAVAR, chinese_help
from analysis.vocab import AS_OF_MID_YEAR, TABLES

__all__ = ["UserError", "app", "main"]

chinese_help()

app = typer.Typer(
    name="workbench",
    help="党建目标管理考核工作台：导入各党组织的活动台账，按规则考核评分，评选先进、排查后进，生成报告。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
)
from analysis.cli_assess import parse_quota, run_assessment  # noqa: E402 - the assess command's steps
from analysis.cli_print import (  # noqa: E402 - the consoles and summaries every command prints with
    console,
    err_console,
    print_comparison_summary,
    print_ingest_summary,
    print_terms_due,
    print_terms_summary,
)

#: the bundled sample, found from any working folder (the package sits next to data/ in the project)
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


def out_folder(out: Path) -> Path:
    """``--out`` made ready as a folder (created when missing), or a UserError when it names a file."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out 应为文件夹，而 {out} 是一个文件；请换一个文件夹名")
    out.mkdir(parents=True, exist_ok=True)
    return out


AllowEmptyOption = Annotated[
    bool, typer.Option("--allow-empty", help="考核年度没有任何活动记录时仍照常考核（默认：提示后停止）")
]


def require_activity(st, year: int, allow_empty: bool) -> None:  # type: ignore[no-untyped-def]
    """Stop (UserError) when the year has no activity rows at all: every org would be graded 不合格."""
    from analysis.store import activity_years

    years = activity_years(st)
    if allow_empty or year in years:
        return
    known = "、".join(str(y) for y in years) or "无"
    raise UserError(
        f"该年度没有任何活动记录：{year} 年的活动记录为 0 行（有活动记录的年度：{known}）。"
        "请检查 --year；确要按没有活动的数据考核（所有组织都将评为不合格），请加 --allow-empty"
    )


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------
@app.command("demo", help="生成虚构的示例数据（确定性：同一随机种子生成的文件逐字节相同）。")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")] = SAMPLE_DIR,
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = 2024,
    orgs: Annotated[int | None, typer.Option("--orgs", help="大规模数据的组织数（配合 --format parquet）")] = None,
    years: Annotated[int, typer.Option("--years", help="大规模数据的年数（截至2024年）")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="sample：各单位报送的原始文件；parquet：大规模基准数据")] = "sample",
    force: Annotated[bool, typer.Option("--force", help="输出文件夹非空时先清空")] = False,
) -> None:
    import shutil

    from analysis import synth

    if out.exists() and not out.is_dir():
        raise UserError(f"--out 应为文件夹，而 {out} 是一个文件；请换一个文件夹名")
    if out.exists() and any(out.iterdir()):
        if not (force or out.resolve() == SAMPLE_DIR.resolve()):
            raise UserError(f"输出文件夹 {out} 不是空的；确认要覆盖请加 --force")
        shutil.rmtree(out)

    if fmt == "parquet":
        counts = synth.generate_parquet(out, orgs=orgs or 2000, years=years, seed=seed)
        table = Table("数据表", "行数", title=f"已生成大规模数据：{out}")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        console.print(table)
        return
    if fmt != "sample":
        raise UserError(f"不支持的格式：{fmt}（可选 sample 或 parquet）")
    report = synth.generate_sample(out, seed=seed)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    console.print(f"已生成示例数据：{out}（{len(files)} 个文件，共 {size / 1024 / 1024:.2f} MB，随机种子 {seed}）")
    console.print(f"其中有意加入的错误数据 {len(report.faults)} 处，用于检验导入时的拒收。")


# ---------------------------------------------------------------------------------------------
# ingest
# ---------------------------------------------------------------------------------------------
ProfileOption = Annotated[
    list[Path] | None,
    typer.Option("--profile", help="其他系统导出格式的映射配置（TOML，可重复；也可给出文件夹）"),
]


def run_ingest(paths: list[Path], store: Path, quiet: bool = False, profiles: list[Path] | None = None, wait: bool = False):
    """Ingest with a progress bar; returns the IngestResult."""
    from analysis.ingest import ingest, load_profiles

    profile_list = load_profiles(profiles)

    with Progress(
        TextColumn("[bold]正在读取文件"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,  # a log or a pipe gets the summary, not the bar
    ) as progress:
        task = progress.add_task("", total=None)

        def on_start(n: int) -> None:
            progress.update(task, total=n)

        def on_file(name: str) -> None:
            progress.update(task, advance=1, description=escape(name))

        def on_wait(message: str) -> None:
            progress.console.print(escape(message))

        return ingest(
            paths, store=store, profiles=profile_list, on_start=on_start, on_file=on_file, wait=wait, on_wait=on_wait
        )


@app.command("ingest", help="导入文件或文件夹（任意层级；xlsx/xls/csv/json/parquet），检查每一行并写入数据仓库。")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(metavar="文件或文件夹", help="要导入的文件或文件夹")],
    store: Annotated[Path, typer.Option("--store", help="数据仓库文件夹")] = DEFAULT_STORE,
    strict: Annotated[bool, typer.Option("--strict", help="有任何行、工作表或文件被拒收时以非零状态退出")] = False,
    profile: ProfileOption = None,
    wait: Annotated[bool, typer.Option("--wait", help="数据仓库正由另一个导入进程写入时，等待其完成（默认：提示后退出）")] = False,
) -> None:
    result = run_ingest(paths, store, profiles=profile, wait=wait)
    print_ingest_summary(result)
    t = result.totals
    if strict and (t["rows_refused"] or t["files_refused"] or result.rejects.height):
        raise typer.Exit(code=1)


# ---------------------------------------------------------------------------------------------
# assess, explain
# ---------------------------------------------------------------------------------------------
DataOption = Annotated[Path | None, typer.Option("--data", help="原始台账文件夹：先导入到输出文件夹中的新数据仓库")]
StoreOption = Annotated[Path | None, typer.Option("--store", help="已导入的数据仓库文件夹")]
RulesetOption = Annotated[str, typer.Option("--ruleset", help="规则集名称（changzhou-2009、national-2019）或规则文件路径")]
AS_OF_HELP = f"截止日期（YYYY-MM-DD，默认当年12月31日）。截止日期在年中时：{AS_OF_MID_YEAR}"
RubricOption = Annotated[Path | None, typer.Option("--rubric", help="自定义评分表（TOML），覆盖规则集中的分值与评分方法")]


def resolve_store(data: Path | None, store: Path | None, out: Path, profiles: list[Path] | None = None) -> Path:
    """The store to work on: ``--store`` as given, or ``--data`` ingested into a fresh ``OUT/store``."""
    import shutil

    if data is not None and store is not None:
        raise UserError("--data 和 --store 只能选一个")
    if store is not None:
        return store
    if data is None:
        if DEFAULT_STORE.exists():
            return DEFAULT_STORE
        raise UserError("请用 --data 指定原始台账文件夹，或用 --store 指定已导入的数据仓库")
    if not data.exists():
        raise UserError(f"找不到数据文件夹：{data}")
    target = out / "store"
    if target.exists():
        shutil.rmtree(target)
    result = run_ingest([data], target, profiles=profiles)
    t = result.totals
    console.print(
        f"已导入 {t['files']} 个文件：读入 {t['rows_read']} 行 = 保留 {t['rows_kept']} + 拒收 {t['rows_refused']} "
        f"+ 重复 {t['rows_duplicate']}（整份拒收文件 {t['files_refused']} 个）。数据仓库：{target}"
    )
    return target


@app.command("assess", help="按规则集考核评分：输出 scores.csv、rules.csv、自评分表.xlsx、advanced.csv、weak.csv（后进分整顿、关注两层）、robustness_items.csv 和 robustness_categories.csv（哪些项目和类别决定先进名单）（给出年中截止日期时另有 pace.csv 和 待办事项.xlsx；数据含党务工作者表时另有 workers.csv 和 优秀党务工作者.xlsx；数据含自评得分时另有 selfcheck.csv 和抽查名单 spotcheck.csv），以及这些表的中文版 考核结果.xlsx。")
def assess_cmd(
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
    rubric: RubricOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP + "，并另出进度预警（pace.csv，截至该日的进度）")] = None,
    quota: Annotated[str | None, typer.Option("--quota", help="先进名额：人数（10）或比例（15%）；默认取规则集设置")] = None,
    quota_by: Annotated[str | None, typer.Option("--quota-by", help="名额按 all（总体）或 org_type（分组织类型）分配")] = None,
    draws: Annotated[int | None, typer.Option("--draws", help="稳健性检验的随机抽样次数（默认1000）")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="稳健性检验和抽查名单随机抽取的随机种子")] = None,
    rectify_share: Annotated[float | None, typer.Option("--rectify-share", help="整顿名单上限：占全部组织的比例（如 0.1），按严重程度排序，其余列入关注；默认不设上限")] = None,
    sensitivity_draws: Annotated[int | None, typer.Option("--sensitivity-draws", help="分类权重敏感性分析的抽样数（按 2 的幂取整，默认512；0 为不做）")] = None,
    spot_share: Annotated[float | None, typer.Option("--spot-share", help="抽查名单随机抽取的比例（0–1，默认0.1）")] = None,
    profile: ProfileOption = None,
    allow_empty: AllowEmptyOption = False,
) -> None:
    from analysis.store import Store

    if quota_by is not None and quota_by not in ("all", "org_type"):
        raise UserError("--quota-by 只能是 all 或 org_type")
    if rectify_share is not None and not 0 < rectify_share <= 1:
        raise UserError(f"--rectify-share 应为 0 到 1 之间的比例（如 0.1 表示 10%），收到：{rectify_share}")
    if sensitivity_draws is not None and sensitivity_draws < 0:
        raise UserError(f"--sensitivity-draws 不能为负数，收到：{sensitivity_draws}")
    if spot_share is not None and not 0 <= spot_share <= 1:
        raise UserError(f"--spot-share 应在 0 到 1 之间（例：0.1 即 10%），收到 {spot_share:g}")
    out_folder(out)
    st = Store.open(resolve_store(data, store, out, profile))
    require_activity(st, year, allow_empty)
    overrides = {"quota": None if quota is None else parse_quota(quota), "quota_by": quota_by, "draws": draws, "seed": seed}
    run_assessment(st, year, out, ruleset=ruleset, rubric=rubric, as_of=as_of, overrides=overrides,
                   rectify_share=rectify_share, sensitivity_draws=sensitivity_draws, spot_share=spot_share)


@app.command("explain", help="逐项说明一个组织的考核结果：状态、实际与要求、得分和原始依据（文件、工作表、行号）。")
def explain_cmd(
    org_id: Annotated[str, typer.Argument(metavar="组织编码", help="要说明的组织的编码")],
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
    rubric: RubricOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    rows: Annotated[int, typer.Option("--rows", help="每项最多列出的依据行数")] = 5,
    profile: ProfileOption = None,
) -> None:
    import polars as pl

    from analysis.assess import assess, explain
    from analysis.store import Store

    out = Path(tempfile.mkdtemp(prefix="workbench-explain-")) if data is not None else Path(".")
    st = Store.open(resolve_store(data, store, out, profile))
    a = assess(st, year, ruleset=ruleset, rubric=rubric, as_of=as_of)
    if a.scores.filter(pl.col("org_id") == org_id).height == 0:
        raise UserError(f"组织名册中没有编码为 {org_id} 的组织")
    console.print(explain(a, org_id, limit=rows), soft_wrap=False)


@app.command("compare", help="用两套或多套规则集考核同一批数据：哪些组织的等次或先进入选情况发生变化，由哪些规则引起。")
def compare_cmd(
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    rulesets: Annotated[
        list[str],
        typer.Option(
            "--rulesets",
            help="规则集名称或文件路径，至少两个，第一个为基准；写法均可："
            "--rulesets a --rulesets b、--rulesets a b、--rulesets a,b",
        ),
    ],
    more: Annotated[list[str] | None, typer.Argument(hidden=True, metavar="规则集")] = None,
    data: DataOption = None,
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    quota: Annotated[str | None, typer.Option("--quota", help="先进名额：人数或比例（默认取各规则集设置）")] = None,
    quota_by: Annotated[str | None, typer.Option("--quota-by", help="all 或 org_type")] = None,
    profile: ProfileOption = None,
) -> None:
    import polars as pl

    from analysis.compare import compare_rulesets, write_comparison
    from analysis.store import Store

    names = ruleset_names([*rulesets, *(more or [])])
    out_folder(out)
    st = Store.open(resolve_store(data, store, out, profile))
    cmp = compare_rulesets(
        st, year, names, as_of=as_of, quota=None if quota is None else parse_quota(quota), quota_by=quota_by
    )
    paths = write_comparison(cmp, out)
    changed = cmp.orgs.filter(pl.col("changed"))
    console.print(
        f"{year}年度，{len(cmp.names)} 套规则集（基准：{cmp.names[0]}）：共 {cmp.orgs.height} 个组织，"
        f"其中 {changed.height} 个的等次、先进入选或后进名单发生变化。"
    )
    for r in changed.head(10).iter_rows(named=True):
        console.print(f"  {r['org_id']} {r['name']}：{r['change']}")
    if changed.height > 10:
        console.print(f"  ……其余 {changed.height - 10} 个见 compare.csv")
    print_comparison_summary(cmp)
    console.print("已写出：" + "、".join(str(p) for p in paths.values()))


def ruleset_names(given: list[str]) -> list[str]:
    """The rulesets of ``--rulesets``: repeated, several after one option, or comma-separated (, or ，)."""
    import re

    return [p.strip() for g in given for p in re.split(r"[,，]", g) if p.strip()]


# ---------------------------------------------------------------------------------------------
# term
# ---------------------------------------------------------------------------------------------
@app.command(
    "term",
    help="任期考核：截至某日每个组织本届任期的状态、任期得分和等次，写出 terms.csv；"
    "为应报送任期考核材料的组织（即将届满、已届满、超期未换届）生成任期自评分表（Excel）和任期考核自查报告初稿（Word）。",
)
def term_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="截止日期 YYYY-MM-DD：按这一天判断任期状态")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    data: DataOption = None,
    store: StoreOption = None,
    due_within: Annotated[int, typer.Option("--due-within", help="届满日期在截止日期后这么多个月内的，为“即将届满”")] = 6,
    ruleset: RulesetOption = "changzhou-2009",
    rubric: RubricOption = None,
    profile: ProfileOption = None,
) -> None:
    from analysis.outputs import write_term_files
    from analysis.store import Store
    from analysis.terms import assess_terms, parse_as_of

    a = parse_as_of(as_of)  # checked before anything is ingested; AssessError is exit 2
    if due_within < 0:
        raise UserError(f"--due-within 须为不小于 0 的月数（现为 {due_within}）")
    out.mkdir(parents=True, exist_ok=True)
    st = Store.open(resolve_store(data, store, out, profile))
    ta = assess_terms(st, a, due_within=due_within, ruleset=ruleset, rubric=rubric)
    files = write_term_files(ta, st, out)
    print_terms_summary(ta, files)


@app.command("template", help="为每个直属党组织生成台账填写模板（组织名称_组织编码.xlsx）：活动记录、党员学习、党费、换届、党务工作者各一张表，含填写说明和下拉选项；填好后可直接导入。")
def template_cmd(
    year: Annotated[int, typer.Option("--year", help="模板所属年度")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
) -> None:
    from analysis.cli_cycle import run_templates
    from analysis.store import Store

    out_folder(out)
    _, line = run_templates(Store.open(resolve_store(data, store, out)), year, out, ruleset)
    console.print(line)


# ---------------------------------------------------------------------------------------------
# report: the main job
# ---------------------------------------------------------------------------------------------
@app.command("report", help="生成全部报告（网页、图表、Excel）：不带参数时使用自带的示例数据。")
def report_cmd(
    data: DataOption = None,
    store: StoreOption = None,
    year: Annotated[int | None, typer.Option("--year", help="考核年度（默认：数据中最近的年度）")] = None,
    out: Annotated[Path, typer.Option("--out", help="报告输出文件夹")] = Path("reports"),
    ruleset: RulesetOption = "changzhou-2009",
    workers: Annotated[int | None, typer.Option("--workers", help="并行进程数（默认：CPU核数）")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="只生成这些报告（报告名，可重复），例如 --only 数据质量")] = None,
    notebooks: Annotated[Path | None, typer.Option("--notebooks", help="自定义报告笔记本所在文件夹（默认：项目的 notebooks/）")] = None,
    profile: ProfileOption = None,
    allow_empty: AllowEmptyOption = False,
    under: Annotated[str | None, typer.Option("--under", help="综合对比和后进排查只看这个组织及其下属组织（组织编码）")] = None,
    org_type: Annotated[str | None, typer.Option("--org-type", help="综合对比和后进排查只看一类组织：党委、党总支或党支部")] = None,
    keep_notebooks: Annotated[bool, typer.Option("--keep-notebooks", help="保留执行过的笔记本（notebooks/，供核对）")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="任期考核与换届提醒的截止日期 YYYY-MM-DD（默认：考核年度的12月31日）")] = None,
) -> None:
    from analysis.reports import NOTEBOOKS_DIR, REPORTS, FilterError, check_filter, run_reports
    from analysis.store import Store, years_with_data
    from analysis.terms import assess_terms, parse_as_of

    term_day = parse_as_of(as_of) if as_of is not None else None  # checked before anything is ingested
    if data is None and store is None:
        data = SAMPLE_DIR
        console.print(f"未指定数据，使用自带的示例数据：{SAMPLE_DIR}")
    out_folder(out)
    store_path = resolve_store(data, store, out, profile)
    st = Store.open(store_path)
    if year is None:
        years = years_with_data(st)
        if not years:
            raise UserError("数据仓库中没有任何年度的活动、学习、党费或督查评分记录")
        year = years[-1]
    require_activity(st, year, allow_empty)
    chosen = REPORTS
    if only:
        unknown = sorted(set(only) - {r.title for r in REPORTS})
        if unknown:
            raise UserError(f"没有这些报告：{'、'.join(unknown)}（可选：{'、'.join(r.title for r in REPORTS)}）")
        chosen = tuple(r for r in REPORTS if r.title in only)
    try:
        check_filter(st, under, org_type)
    except FilterError as exc:
        raise UserError(str(exc)) from exc
    terms = None
    if any(r.terms for r in chosen):  # once, in this process, before the batch that reads it starts
        from analysis.assess import assess

        annual = assess(st, year, ruleset=ruleset)
        terms = assess_terms(st, term_day or date(year, 12, 31), ruleset=annual.ruleset, annual={year: annual})

    def office_files() -> None:  # in this process while the workers run the first reports
        a = run_assessment(st, year, out / "考核结果", ruleset=ruleset)
        if terms is not None:
            print_terms_due(terms)
        deck = write_deck(st, year, out / "考核结果" / BRIEFING_FILE, ruleset=ruleset, assessment=a, terms=terms,
                          source=f"{(data or store_path).resolve().name} 报送台账")  # the index links it
        console.print(f"已写出汇报材料：{deck}")

    run = run_reports(
        store_path, year, out, reports=chosen, ruleset=ruleset, workers=workers, notebooks_dir=notebooks or NOTEBOOKS_DIR,
        under=under, org_type=org_type, keep_notebooks=keep_notebooks, terms=terms, meanwhile=office_files,
    )
    for w in run.warnings:
        console.print(f"[yellow]提示：[/yellow]{w}")
    console.print(f"报告目录：{run.index}（{len(run.outputs)} 份报告，用时 {run.seconds:.0f} 秒）")
    if run.failures:
        for f in run.failures:
            err_console.print(f"[red]失败：[/red]{f.describe()}")
        err_console.print(f"共 {len(run.failures)} 份报告生成失败。")
        raise typer.Exit(code=1)


# ---------------------------------------------------------------------------------------------
# lab: JupyterLab in Chinese on the project's notebooks
# ---------------------------------------------------------------------------------------------
@app.command("lab", help="启动中文界面的 JupyterLab 并打开“自由探索”笔记本；不指定数据时使用自带的示例数据。按 Ctrl+C 结束。")
def lab_cmd(
    data: DataOption = None,
    store: StoreOption = None,
    port: Annotated[int | None, typer.Option("--port", help="端口（默认自动选一个空闲端口）")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="不自动打开浏览器（只显示网址）")] = False,
    profile: ProfileOption = None,
) -> None:
    import subprocess

    from analysis.lab import START_NOTEBOOK, free_port, lab_command, lab_environment, lab_home

    project = SAMPLE_DIR.parents[1]
    notebooks = project / "notebooks"
    if not (notebooks / START_NOTEBOOK).is_file():
        raise UserError(f"找不到笔记本文件夹 {notebooks}：请在项目文件夹中以可编辑方式安装（pip install -e .）")
    home = lab_home(project)
    home.mkdir(parents=True, exist_ok=True)
    if data is None and store is None:
        data = SAMPLE_DIR
        console.print(f"未指定数据，使用自带的示例数据：{SAMPLE_DIR}")
    store_path = resolve_store(data, store, home, profile)
    chosen = free_port(port)
    if port is not None and chosen != port:
        raise UserError(f"端口 {port} 已被占用，请换一个（或不写 --port，自动选择）")
    console.print(f"JupyterLab 正在启动：http://127.0.0.1:{chosen}/lab/tree/{START_NOTEBOOK}")
    console.print(f"数据仓库：{store_path}（笔记本从环境变量 WORKBENCH_STORE 读取）。按 Ctrl+C 结束。")
    try:
        rc = subprocess.run(lab_command(notebooks, chosen, not no_browser), env=lab_environment(home, store_path)).returncode
    except KeyboardInterrupt:
        rc = 0
    if rc:
        raise typer.Exit(code=rc)


# ---------------------------------------------------------------------------------------------
# briefing: the deck for the committee meeting
# ---------------------------------------------------------------------------------------------
@app.command("briefing", help="生成汇报材料（PowerPoint，16:9）：总体情况、等次分布、排名、先进与后进名单、换届提醒、数据质量，附讲稿。")
def briefing_cmd(
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    out: Annotated[Path, typer.Option("--out", help="输出的 PowerPoint 文件，例如 汇报材料.pptx")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
    as_of: Annotated[str | None, typer.Option("--as-of", help="截止日期 YYYY-MM-DD（默认当年12月31日）")] = None,
    unit: Annotated[str, typer.Option("--unit", help="汇报单位（写在封面和每页页脚）")] = "市级机关党工委",
    profile: ProfileOption = None,
) -> None:
    from analysis.store import Store

    if out.suffix.lower() != ".pptx":
        raise UserError(f"--out 应为 .pptx 文件（现为 {out}）")
    if out.is_dir():
        raise UserError(f"--out 指向的是文件夹：{out}；请给出文件名，例如 {out / '汇报材料.pptx'}")
    work = out.parent if data is None else Path(tempfile.mkdtemp(prefix="workbench-briefing-"))
    store_path = resolve_store(data, store, work, profile)
    named = data if data is not None else (store_path.parent if store_path.name == "store" else store_path)
    path = write_deck(Store.open(store_path), year, out, ruleset=ruleset, as_of=as_of, unit=unit,
                      source=f"{named.resolve().name} 报送台账")
    console.print(f"已写出汇报材料：{path}")


BRIEFING_FILE = "汇报材料.pptx"


def write_deck(st, year: int, out: Path, ruleset: str = "changzhou-2009", as_of: str | None = None,
               unit: str = "市级机关党工委", source: str = "", assessment=None, terms=None) -> Path:
    """Assess, decide and write the briefing deck (also used by ``workbench report``, which hands in
    the year's ``assessment`` and its ``terms`` made already: each is used when it is of this deck's
    ruleset and as-of date)."""
    from analysis.assess import assess
    from analysis.decisions import history_for, select_advanced, selection_settings, weak_orgs
    from analysis.outputs.briefing import briefing_facts, write_briefing
    from analysis.store import years_with_data
    from analysis.terms import DUE_WITHIN_MONTHS, assess_terms
    from analysis.views import quality

    a = assess(st, year, ruleset=ruleset, as_of=as_of) if assessment is None else assessment
    weak = weak_orgs(a, history_for(st, a))
    advanced = select_advanced(a, weak=weak, **selection_settings(a))
    previous = assess(st, year - 1, ruleset=a.ruleset) if year - 1 in years_with_data(st) else None
    annual = {year: a} if a.as_of == date(year, 12, 31) else None
    if terms is None or terms.as_of != a.as_of or terms.due_within != DUE_WITHIN_MONTHS:
        terms = assess_terms(st, a.as_of, ruleset=a.ruleset, annual=annual)
    facts = briefing_facts(a, advanced, weak, quality(st).totals, unit=unit, source=source or "数据仓库",
                           previous=previous, terms=terms)
    return write_briefing(facts, out)


# ---------------------------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------------------------
profile_app = typer.Typer(
    help="其他系统导出格式的映射配置。",
    no_args_is_help=True,
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
)
app.add_typer(profile_app, name="profile")


@profile_app.command("check", help="检查映射配置文件；给出样例文件时逐列显示映射结果。")
def profile_check_cmd(
    profile: Annotated[Path, typer.Argument(metavar="映射配置", help="映射配置文件（TOML）")],
    sample: Annotated[Path | None, typer.Argument(metavar="样例文件", help="样例导出文件（可选）")] = None,
) -> None:
    from analysis.ingest.profiles import load_profile
    from analysis.ingest.report import profile_mapping

    prof = load_profile(profile)
    console.print(f"映射配置“{prof.name}”有效：对应 {TABLES[prof.table].zh}表，{len(prof.columns)} 个列映射，"
                  f"{len(prof.hierarchy)} 级组织层级。")
    if sample is None:
        return
    result = profile_mapping(prof, sample)
    table = Table(title=f"{sample.name} 的列映射")
    for col in ("工作表", "源列", "标准列", "说明", "样例值"):
        table.add_column(col)
    for r in result.rows:
        table.add_row(*r)
    console.print(table)
    for msg in result.messages:
        console.print(msg)
    if not result.ok:
        raise typer.Exit(code=1)


# ---------------------------------------------------------------------------------------------
# entry point: no traceback reaches the user
# ---------------------------------------------------------------------------------------------
def main() -> None:
    try:
        rc = app(standalone_mode=False)  # click hands back the code of a typer.Exit instead of raising
        if isinstance(rc, int) and rc:
            if rc == 130:  # typer's code for Ctrl-C
                say(err_console, "", "已中止。")
            sys.exit(rc)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        say(err_console, "", "已中止。")
        sys.exit(130)
    except Exception as exc:  # user mistakes, click usage errors and anything unexpected
        sys.exit(exit_code(exc, err_console))
