"""The ``assess`` command's steps (kept beside cli.py, as cli_print and cli_cycle are, so the command
module stays thin): the quota option's parsing, and :func:`run_assessment` — assess, select, find weak
orgs, check self-scores, write the office's files and print the Chinese summary — which ``report`` and
the tests call too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from analysis.cli_errors import UserError
from analysis.cli_print import console, print_scores_summary, weak_tiers_line
from analysis.vocab import AS_OF_MID_YEAR


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


def run_assessment(st, year: int, out: Path, ruleset: str = "changzhou-2009", rubric: Path | None = None,
                   as_of: str | None = None, overrides: dict | None = None, rectify_share: float | None = None,
                   sensitivity_draws: int | None = None, spot_share: float | None = None):
    """Assess, select and find weak orgs (and check self-scores); write the office's files into ``out``;
    print a summary."""
    from analysis.assess import assess
    from analysis.cli_cycle import run_selfcheck, run_todo
    from analysis.decisions import history_for, select_advanced, selection_settings
    from analysis.decisions.history import weak_with_turnaround
    from analysis.outputs import write_outputs, write_results
    from analysis.outputs.robustness import write_robustness

    a = assess(st, year, ruleset=ruleset, rubric=rubric, as_of=as_of)
    paths = write_outputs(a, out)
    history = history_for(st, a)
    last = None if history else history_for(st, a, years_back=1)  # the turnaround needs last year only
    weak, turned = weak_with_turnaround(a, history, {"rectify_share": rectify_share}, last)
    settings = selection_settings(a)
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    advanced = select_advanced(a, weak=weak, **settings)
    pace_rows = None
    if a.as_of < date(year, 12, 31):
        from analysis.decisions import pace

        pace_rows = pace(st, a)
    workers = select_workers_if_any(st, a, weak, advanced, settings)
    written = [*paths.values(), *write_results(a, out, advanced, weak, pace_rows, workers)]
    written += write_robustness(a, advanced, out, sensitivity_draws, int(settings.get("seed", 0)))
    lines = [run_workers(st, a, out, workers, written),
             run_selfcheck(st, a, out, written, settings.get("seed"), spot_share)]
    if pace_rows is not None:
        lines.append(run_todo(st, a, out, pace_rows, written))
    print_scores_summary(a, f"{year}年度考核结果（规则集：{a.ruleset.name}，截止 {a.as_of}）")
    if pace_rows is not None:
        console.print(f"截止日期 {a.as_of} 在年中：{AS_OF_MID_YEAR}；截至该日的进度预警见 pace.csv。")
    n_sel = int(advanced["selected"].sum()) if advanced.height else 0
    console.print(f"先进基层党组织推荐 {n_sel} 个；需关注的后进组织 {weak.height} 个。")
    console.print(weak_tiers_line(weak, a.scores.height, turned))
    console.print("\n".join(lines))
    if a.warnings.height:
        console.print(f"数据提示 {a.warnings.height} 条（例如任期年限与组织类型不符），详见 rules.csv 与自评分表。")
    console.print("已写出：" + "、".join(str(p) for p in written))
    return a


def select_workers_if_any(st, a, weak, advanced, settings: dict):
    """优秀党务工作者 when the data holds the workers table (the Monte Carlo with the org ranking's draws
    and seed), else None."""
    from analysis.decisions.workers import select_workers
    from analysis.vocab import PARTY_WORKERS

    if not st.has(PARTY_WORKERS.name):
        return None
    mc = {k: settings[k] for k in ("draws", "seed", "noise") if k in settings}
    return select_workers(a, st, weak=weak, advanced=advanced, **mc)


def run_workers(st, a, out: Path, workers, written: list[Path]) -> str:
    """Write workers.csv and 优秀党务工作者.xlsx of ``workers`` (appended to ``written``) and return the line
    to print; without the workers table (``workers`` None), the line says so."""
    from analysis.decisions.workers import secretary_checks
    from analysis.outputs.workers import write_workers
    from analysis.vocab import PARTY_WORKERS

    if workers is None:
        return f"数据中没有{PARTY_WORKERS.zh}名单，未评选优秀党务工作者（未写出 workers.csv）。"
    checks = secretary_checks(st)
    paths = write_workers(workers, out, checks)
    written.extend([paths["csv"], paths["xlsx"]])
    eligible = int(workers["eligible"].sum())
    line = (
        f"优秀党务工作者推荐 {int(workers['selected'].sum())} 人"
        f"（{PARTY_WORKERS.zh} {workers['member_id'].n_unique()} 人，符合条件 {eligible} 人）。"
    )
    if checks.height:
        line += f"\n[yellow]注意：[/yellow]{checks.height} 个组织的名册书记与{PARTY_WORKERS.zh}表不一致，请核对："
        line += "".join(f"\n  {r['org_id']} {r['org_name']}：{r['message']}" for r in checks.head(10).iter_rows(named=True))
    return line
