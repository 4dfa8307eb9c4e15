"""The ``workbench`` command: thin — parses options, calls the stages, prints in Chinese."""

from __future__ import annotations

import sys
import tempfile
import traceback
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis.store import DEFAULT_STORE
from analysis.vocab import TABLES


def _click_modules() -> list:
    """Typer ≥ 0.24 vendors click as ``typer._click``; older versions use click itself."""
    mods = []
    for name in ("typer._click", "click"):
        try:
            mods.append(__import__(name, fromlist=["core", "exceptions"]))
        except ImportError:
            continue
    return mods


def _chinese_help() -> None:
    """Put the framework's own help words into Chinese (users read Chinese)."""
    import typer.rich_utils as ru

    ru.OPTIONS_PANEL_TITLE = "选项"
    ru.COMMANDS_PANEL_TITLE = "命令"
    ru.ARGUMENTS_PANEL_TITLE = "参数"
    ru.ERRORS_PANEL_TITLE = "错误"
    ru.REQUIRED_LONG_STRING = "[必填]"
    ru.DEFAULT_STRING = "[默认：{}]"
    ru.ABORTED_TEXT = "已中止。"
    for mod in _click_modules():
        command = mod.core.Command
        original = command.get_help_option
        if getattr(original, "_chinese", False):
            continue

        def get_help_option(self, ctx, _original=original):  # type: ignore[no-untyped-def]
            opt = _original(self, ctx)
            if opt is not None:
                opt.help = "显示本帮助并退出。"
            return opt

        get_help_option._chinese = True  # type: ignore[attr-defined]
        command.get_help_option = get_help_option


_chinese_help()

app = typer.Typer(
    name="workbench",
    help="党建目标管理考核工作台：导入各党组织的活动台账，按规则考核评分，评选先进、排查后进，生成报告。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

#: the bundled sample, found from any working folder (the package sits next to data/ in the project)
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


class UserError(Exception):
    """An error the user can fix; printed as one Chinese line, exit code 2."""


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


def run_ingest(paths: list[Path], store: Path, quiet: bool = False, profiles: list[Path] | None = None):
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
        disable=quiet,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_start(n: int) -> None:
            progress.update(task, total=n)

        def on_file(name: str) -> None:
            progress.update(task, advance=1, description=name)

        return ingest(paths, store=store, profiles=profile_list, on_start=on_start, on_file=on_file)


def _first_names(names: list[str], n: int = 10) -> str:
    """The first ``n`` names joined the Chinese way, with 等 when there are more."""
    return "、".join(names[:n]) + ("等" if len(names) > n else "")


def print_ingest_summary(result) -> None:
    import polars as pl

    files = result.files
    table = Table(title=f"导入结果（数据仓库：{result.store}）", show_lines=False)
    for col in ("文件", "数据表", "读入行", "保留", "拒收", "重复", "说明"):
        table.add_column(col, justify="right" if col in ("读入行", "保留", "拒收", "重复") else "left")
    for row in files.iter_rows(named=True):
        style = "red" if row["status"] == "refused" else None
        table.add_row(
            row["path"],
            "、".join(TABLES[t].zh for t in row["tables"].split(",") if t),
            str(row["rows_read"]),
            str(row["rows_kept"]),
            str(row["rows_refused"]),
            str(row["rows_duplicate"]),
            row["message"] or ("" if row["status"] == "ok" else "已拒收"),
            style=style,
        )
    console.print(table)
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
            console.print(f"  {r['org_id']} {r['field']}：名册“{r['registry_value']}”，{r['_file']} 第{r['_row']}行“{r['derived_value']}”")
    if result.rechecked:
        console.print(
            f"{len(result.rechecked)} 个此前导入过的文件有行因组织编码不在名册中被拒收，已按现在的名册重新读取："
            + _first_names(result.rechecked)
        )
    if result.fixable:
        console.print(
            f"[yellow]注意：[/yellow]{len(result.fixable)} 个文件中有行此前因组织编码不在名册中被拒收，而名册现在已有这些组织："
            + _first_names(result.fixable)
            + "。把它们所在的文件夹再导入一次，这些行就会保留。"
        )
    if result.skipped:
        console.print(f"另有 {len(result.skipped)} 个文件此前已导入（内容相同），本次跳过。")
    partly = files.filter((pl.col("status") == "ok") & (pl.col("message") != ""))
    for r in partly.iter_rows(named=True):
        console.print(f"[yellow]注意：[/yellow]{r['path']} 中有工作表未导入——{r['message']}")
    if t["rows_refused"] or t["files_refused"] or partly.height:
        console.print(f"拒收明细见数据仓库中的 rejects.parquet（{result.store / 'rejects.parquet'}），或运行数据质量报告。")


@app.command("ingest", help="导入文件或文件夹（任意层级；xlsx/xls/csv/json/parquet），检查每一行并写入数据仓库。")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="要导入的文件或文件夹")],
    store: Annotated[Path, typer.Option("--store", help="数据仓库文件夹")] = DEFAULT_STORE,
    strict: Annotated[bool, typer.Option("--strict", help="有任何行、工作表或文件被拒收时以非零状态退出")] = False,
    profile: ProfileOption = None,
) -> None:
    result = run_ingest(paths, store, profiles=profile)
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


def parse_quota(text: str) -> int | str:
    t = text.strip()
    if t.endswith("%"):
        try:
            float(t[:-1])
        except ValueError as exc:
            raise UserError(f"名额写法有误：{text}（例：--quota 10 或 --quota 15%）") from exc
        return t
    try:
        return int(t)
    except ValueError as exc:
        raise UserError(f"名额写法有误：{text}（例：--quota 10 或 --quota 15%）") from exc


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


@app.command("assess", help="按规则集考核评分：输出 scores.csv、rules.csv、自评分表.xlsx、advanced.csv、weak.csv（给出年中截止日期时另有 pace.csv）。")
def assess_cmd(
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
    rubric: RubricOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截止日期 YYYY-MM-DD（默认当年12月31日；年中则另出进度预警）")] = None,
    quota: Annotated[str | None, typer.Option("--quota", help="先进名额：人数（10）或比例（15%）；默认取规则集设置")] = None,
    quota_by: Annotated[str | None, typer.Option("--quota-by", help="名额按 all（总体）或 org_type（分组织类型）分配")] = None,
    draws: Annotated[int | None, typer.Option("--draws", help="稳健性检验的随机抽样次数（默认1000）")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="稳健性检验的随机种子")] = None,
    profile: ProfileOption = None,
) -> None:
    from analysis.store import Store

    if quota_by is not None and quota_by not in ("all", "org_type"):
        raise UserError("--quota-by 只能是 all 或 org_type")
    out.mkdir(parents=True, exist_ok=True)
    st = Store.open(resolve_store(data, store, out, profile))
    overrides = {"quota": None if quota is None else parse_quota(quota), "quota_by": quota_by, "draws": draws, "seed": seed}
    run_assessment(st, year, out, ruleset=ruleset, rubric=rubric, as_of=as_of, overrides=overrides)


def run_assessment(st, year: int, out: Path, ruleset: str = "changzhou-2009", rubric: Path | None = None,
                   as_of: str | None = None, overrides: dict | None = None):
    """Assess, select and find weak orgs; write the office's files into ``out``; print a summary."""
    from analysis.assess import assess
    from analysis.decisions import (
        advanced_table,
        history_for,
        select_advanced,
        selection_settings,
        weak_orgs,
        weak_table,
    )
    from analysis.outputs import write_csv, write_outputs

    a = assess(st, year, ruleset=ruleset, rubric=rubric, as_of=as_of)
    paths = write_outputs(a, out)
    weak = weak_orgs(a, history_for(st, a))
    settings = selection_settings(a)
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    advanced = select_advanced(a, weak=weak, **settings)
    write_csv(advanced_table(advanced), out / "advanced.csv")
    write_csv(weak_table(weak), out / "weak.csv")
    written = [paths["scores"], paths["rules"], paths["xlsx"], out / "advanced.csv", out / "weak.csv"]
    if a.as_of < date(year, 12, 31):
        from analysis.decisions import pace, pace_table

        write_csv(pace_table(pace(st, a)), out / "pace.csv")
        written.append(out / "pace.csv")
    print_scores_summary(a, f"{year}年度考核结果（规则集：{a.ruleset.name}，截止 {a.as_of}）")
    n_sel = int(advanced["selected"].sum()) if advanced.height else 0
    console.print(f"先进基层党组织推荐 {n_sel} 个；需关注的后进组织 {weak.height} 个。")
    if a.warnings.height:
        console.print(f"数据提示 {a.warnings.height} 条（例如任期年限与组织类型不符），详见 rules.csv 与自评分表。")
    console.print("已写出：" + "、".join(str(p) for p in written))
    return a


@app.command("explain", help="逐项说明一个组织的考核结果：状态、实际与要求、得分和原始依据（文件、工作表、行号）。")
def explain_cmd(
    org_id: Annotated[str, typer.Argument(help="组织编码")],
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    data: DataOption = None,
    store: StoreOption = None,
    ruleset: RulesetOption = "changzhou-2009",
    rubric: RubricOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截止日期 YYYY-MM-DD")] = None,
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
    console.print(explain(a, org_id, limit=rows))


@app.command("compare", help="用两套或多套规则集考核同一批数据：哪些组织的等次或先进入选情况发生变化，由哪些规则引起。")
def compare_cmd(
    year: Annotated[int, typer.Option("--year", help="考核年度")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")],
    rulesets: Annotated[list[str], typer.Option("--rulesets", help="规则集名称或文件路径（至少两个，第一个为基准）")],
    data: DataOption = None,
    store: StoreOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截止日期 YYYY-MM-DD")] = None,
    quota: Annotated[str | None, typer.Option("--quota", help="先进名额：人数或比例（默认取各规则集设置）")] = None,
    quota_by: Annotated[str | None, typer.Option("--quota-by", help="all 或 org_type")] = None,
    profile: ProfileOption = None,
) -> None:
    import polars as pl

    from analysis.compare import compare_rulesets, write_comparison
    from analysis.store import Store

    out.mkdir(parents=True, exist_ok=True)
    st = Store.open(resolve_store(data, store, out, profile))
    cmp = compare_rulesets(
        st, year, list(rulesets), as_of=as_of, quota=None if quota is None else parse_quota(quota), quota_by=quota_by
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
    console.print("已写出：" + "、".join(str(p) for p in paths.values()))


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
    under: Annotated[str | None, typer.Option("--under", help="综合对比和后进排查只看这个组织及其下属组织（组织编码）")] = None,
    org_type: Annotated[str | None, typer.Option("--org-type", help="综合对比和后进排查只看一类组织：党委、党总支或党支部")] = None,
    keep_notebooks: Annotated[bool, typer.Option("--keep-notebooks", help="保留执行过的笔记本（notebooks/，供核对）")] = False,
) -> None:
    from analysis.reports import NOTEBOOKS_DIR, REPORTS, FilterError, check_filter, run_reports
    from analysis.store import Store, years_with_data

    if data is None and store is None:
        data = SAMPLE_DIR
        console.print(f"未指定数据，使用自带的示例数据：{SAMPLE_DIR}")
    out.mkdir(parents=True, exist_ok=True)
    store_path = resolve_store(data, store, out, profile)
    st = Store.open(store_path)
    if year is None:
        years = years_with_data(st)
        if not years:
            raise UserError("数据仓库中没有任何年度的活动、学习、党费或督查评分记录")
        year = years[-1]
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
    run_assessment(st, year, out / "考核结果", ruleset=ruleset)
    run = run_reports(
        store_path, year, out, reports=chosen, ruleset=ruleset, workers=workers, notebooks_dir=notebooks or NOTEBOOKS_DIR,
        under=under, org_type=org_type, keep_notebooks=keep_notebooks,
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
# profile
# ---------------------------------------------------------------------------------------------
profile_app = typer.Typer(help="其他系统导出格式的映射配置。", no_args_is_help=True)
app.add_typer(profile_app, name="profile")


@profile_app.command("check", help="检查映射配置文件；给出样例文件时逐列显示映射结果。")
def profile_check_cmd(
    profile: Annotated[Path, typer.Argument(help="映射配置文件（TOML）")],
    sample: Annotated[Path | None, typer.Argument(help="样例导出文件（可选）")] = None,
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
    from analysis.ingest import IngestError, ProfileError
    from analysis.store import StoreError

    try:
        rc = app(standalone_mode=False)  # click hands back the code of a typer.Exit instead of raising
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except (UserError, IngestError, StoreError, ProfileError) as exc:
        err_console.print(f"[red]错误：[/red]{exc}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("已中止。")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        click_errors = tuple(m.exceptions.ClickException for m in _click_modules())
        if isinstance(exc, click_errors):
            cmd = exc.ctx.command_path if getattr(exc, "ctx", None) else "workbench"
            err_console.print(f"[red]用法错误：[/red]{exc.format_message()}\n运行 {cmd} --help 查看用法。")
            sys.exit(exc.exit_code)
        log = Path(tempfile.gettempdir()) / "workbench-error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err_console.print(f"[red]内部错误：[/red]{type(exc).__name__}: {exc}\n详细信息已写入 {log}，请将该文件发给维护人员。")
        sys.exit(3)
