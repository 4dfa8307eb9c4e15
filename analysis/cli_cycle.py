"""The assessment cycle's steps of the ``workbench`` commands (issue 18): the self-check of ``assess``
when the data holds self-scores, the to-do notices of a mid-year ``assess`` and the ``template`` command's
work.  Kept beside cli.py (as cli_print is) so the command module stays thin: each function calls the
stages and returns the Chinese line(s) the command prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.vocab import SELF_SCORES


def run_selfcheck(st: Any, a: Any, out: Path, written: list[Path], seed: int | None = None,
                  spot_share: float | None = None) -> str:
    """自评核查 when the store holds self-scores for the year: write selfcheck.csv, spotcheck.csv (and
    selfcheck_refused.csv), append them to ``written`` and return the line to print; else say there are none."""
    from analysis.decisions.selfcheck import assess_self_scores
    from analysis.outputs.selfcheck import write_selfcheck
    from analysis.vocab import SELFCHECK_OVER

    given = {k: v for k, v in {"seed": seed, "spot_share": spot_share}.items() if v is not None}
    result = assess_self_scores(st, a, given)
    if result is None:
        return f"数据中没有 {a.year} 年的{SELF_SCORES.zh}，未做自评核查（未写出 selfcheck.csv、spotcheck.csv）。"
    written.extend(write_selfcheck(result, out))
    check, claims, spot = result["selfcheck"], result["claims"], result["spotcheck"]
    seed_used = int(result["settings"]["seed"][0])
    over = claims.filter(claims["overclaim"] > 0).height
    line = (
        f"自评核查：{claims.height} 个组织报送了自评得分，共 {check.height} 项，其中{SELFCHECK_OVER} "
        f"{(check['flag'] == SELFCHECK_OVER).sum()} 项（涉及 {over} 个组织）；抽查名单 {spot.height} 个组织"
        f"（随机抽取的随机种子 {seed_used}）。"
    )
    if result["refused"].height:
        line += f"\n[yellow]注意：[/yellow]{result['refused'].height} 条自评得分无法核查（评分项不明、超过分值或不适用），见 selfcheck_refused.csv。"
    return line


def run_templates(st: Any, year: int, out: Path, ruleset: str) -> tuple[list[Path], str]:
    """Write one 台账模板 per top-level org of the store's registry into ``out``; the paths and the line to
    print.  A store without a registry is the user's mistake (UserError)."""
    from analysis.cli_errors import UserError
    from analysis.outputs.templates import template_tables, write_templates
    from analysis.rules import load_ruleset
    from analysis.vocab import ORGS

    orgs = st.table(ORGS.name).collect() if st.has(ORGS.name) else None
    if orgs is None or orgs.height == 0:
        raise UserError(f"数据中没有{ORGS.zh}名册，无法生成台账模板：请先导入组织名册")
    paths = write_templates(orgs, year, out, load_ruleset(ruleset))
    sheets = "、".join(t.zh for t in template_tables())
    return paths, f"已为 {len(paths)} 个直属党组织生成 {year} 年度台账模板（工作表：填写说明、{sheets}），保存在 {out}。"


def run_todo(st: Any, a: Any, out: Path, pace_rows: Any, written: list[Path]) -> str:
    """待办事项.xlsx of a mid-year assessment: what each org still owes (from ``pace_rows``) and, when the
    store holds last year, 整改跟踪 of last year's weak orgs; the path is appended to ``written``."""
    import polars as pl

    from analysis.assess import assess
    from analysis.decisions import history_for, weak_orgs
    from analysis.decisions.todo import FOLLOWUP_COLUMNS, followup, todo_rows
    from analysis.outputs.todo import write_todo
    from analysis.store import years_with_data
    from analysis.vocab import TODO_WORKBOOK

    todo = todo_rows(pace_rows, a.scores)
    follow = pl.DataFrame(schema=dict.fromkeys(FOLLOWUP_COLUMNS, pl.String))
    if a.year - 1 in years_with_data(st):
        prev = assess(st, a.year - 1, ruleset=a.ruleset)
        follow = followup(weak_orgs(prev, history_for(st, prev)), prev, a, pace_rows)
    path = write_todo(todo, follow, a.scores, a.year, str(a.as_of), out / TODO_WORKBOOK)
    written.append(path)
    orgs = todo["org_id"].n_unique()
    tracked = f"；{follow['org_id'].n_unique()} 个去年的后进组织列入整改跟踪" if follow.height else ""
    return f"待办事项：{orgs} 个组织尚有 {todo.height} 项本年度要求未完成{tracked}，见 {TODO_WORKBOOK}（每个直属党组织一张表）。"
