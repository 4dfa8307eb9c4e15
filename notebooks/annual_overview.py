# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   title: 年度考核综合对比
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.lab import default_store
from analysis.store import Store
from analysis.term_views import term_assessment, term_reminders
from analysis.views import cached_assess, grade_summary, scope_zh, select_orgs, years_with_data
from analysis.vocab import ORG_TYPE_ZH, TERM_STATUSES

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/年度考核综合对比"  # 图表 PNG/SVG/PDF 的保存位置
under = None  # 只看某个组织及其下属组织：填组织编码（文本，如 "001000"）；None 为全部
org_type = None  # 只看一类组织："committee" 党委、"general_branch" 党总支、"branch" 党支部；None 为全部
as_of = None  # 换届提醒的截止日期，如 "2024-12-31"；None 为考核年度的12月31日
due_within = 6  # 届满日期在截止日期后几个月内的，列入换届提醒（即将届满）
terms_path = None  # workbench report 批量运行时传入已算好的任期考核结果；None 则在这里计算
term_pages = None  # 组织编码 → 该组织任期考核报告网页（批量运行时传入）；None 不加链接

# %%
charts.use_offline()
store = Store.open(store_path)
current = cached_assess(store, year, ruleset=ruleset)
scores = select_orgs(current.scores, under, org_type)
rules = current.rules.join(scores.select("org_id"), on="org_id", how="semi")
previous = cached_assess(store, year - 1, ruleset=ruleset) if year - 1 in years_with_data(store) else None
summary = grade_summary(scores)
chart_note = charts.source_note(store_path, current.as_of)  # 图下的“数据来源 · 截至”一行

# %%
scope = scope_zh(current.scores, under, org_type)
display(Markdown(f"# {year}年度党建目标管理考核综合对比" + (f"（{scope}）" if scope else "")))

# %% [markdown]
# 本报告汇总全部参评组织的考核结果：得分分布、排名、每个考核项的达标情况、各类别的达标情况，以及与上一年度相比的变化。
# 得分和等级由考核细则逐项计算，每一项的依据可在“单位画像”报告中查到来源文件和行号。

# %%
g = summary["grades"]
display(
    Markdown(
        f"参评组织 **{summary['n']}** 个：优秀 **{g['优秀']}** 个，良好 **{g['良好']}** 个，"
        f"合格 **{g['合格']}** 个，不合格 **{g['不合格']}** 个（其中一票否决 {summary['vetoed']} 个）。"
        f"平均得分 **{summary['mean']}** 分，中位数 {summary['median']} 分。"
    )
)

# %% [markdown]
# ## 得分分布

# %%
charts.show(charts.score_histogram(scores, note=chart_note), charts_dir, "得分分布")

# %% [markdown]
# ## 排名
#
# 得分相同时按组织编码排列；完整名单见本报告末尾的表格。

# %%
charts.show(charts.ranking_bars(scores, n=30, note=chart_note), charts_dir, "得分排名_前30名")
if scores.height > 30:
    charts.show(charts.ranking_bars(scores, n=30, worst=True, note=chart_note), charts_dir, "得分排名_后30名")

# %% [markdown]
# ## 考核项达标情况
#
# 每一行是一个组织（得分从高到低），每一列是一个考核项。“届内待办”指换届等按任期考核、本年度尚未到期的事项；
# “不适用”指该项不考核这类组织；“无数据”指数据中没有这张表或这一列，无法判断。

# %%
heatmap = charts.status_heatmap(
    rules, scores, charts.rule_titles(current.ruleset), max_orgs=60, size="a4", note=chart_note
)
charts.show(heatmap, charts_dir, "考核项达标情况")
if scores.height > 60:
    display(Markdown("图中只列出得分最低的 60 个组织；每个党委全部下属组织的逐项情况见“单位画像”。"))

# %%
charts.show(charts.category_bars(rules, note=chart_note), charts_dir, "各类别达标情况")

# %% [markdown]
# ## 与上一年度相比

# %%
if previous is None:
    display(Markdown(f"数据中没有 {year - 1} 年度的活动记录，无法比较。"))
else:
    charts.show(
        charts.yoy_change(
            scores, select_orgs(previous.scores, under, org_type), (year - 1, year), note=chart_note
        ),
        charts_dir,
        "得分同比变化",
    )

# %% [markdown]
# ## 换届提醒
#
# 本届任期已超期、已届满或将在截止日期后几个月内届满的组织，应在换届前报送任期考核报告和任期自评分表。
# 超期未换届的排在最前，其余按距届满的天数排列；点击组织名称打开该组织的任期考核报告。

# %%
terms = term_assessment(store, year, ruleset=ruleset, as_of=as_of, due_within=due_within, terms_path=terms_path)
reminders = select_orgs(term_reminders(terms.terms, term_pages), under, org_type)
if reminders.height == 0:
    display(Markdown(f"截至 {terms.as_of}，没有需要报送任期考核报告的组织。"))
else:
    counts = dict(reminders.group_by("term_status").len().iter_rows())
    parts = "，".join(f"{status} {counts[status]} 个" for status in TERM_STATUSES if status in counts)
    head = [charts.LABELS[c] for c in ("name", "org_type", "term_status", "term_due", "when")]
    lines = [
        f"截至 {terms.as_of}，应报送任期考核报告的组织 **{reminders.height}** 个（{parts}；"
        f"“即将届满”指 {terms.due_within} 个月内届满）。",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in reminders.iter_rows(named=True):
        name = f"[{r['name']}]({r['href']})" if r["href"] else r["name"]
        kind = ORG_TYPE_ZH.get(r["org_type"], r["org_type"])
        lines.append(f"| {name}（{r['org_id']}） | {kind} | {r['term_status']} | {r['term_due']} | {r['when']} |")
    display(Markdown("\n".join(lines)))

# %% [markdown]
# ## 全部组织得分表

# %%
charts.show_table(
    scores.sort(["score", "org_id"], descending=[True, False]).select(
        "org_id", "name", "org_type", "score", "grade", "vetoed", "veto_reasons", "n_failed"
    ),
    max_rows=None,
    collapsed=f"展开全部 {scores.height} 个组织的得分",
)
