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
from analysis.views import cached_assess, grade_summary, scope_zh, select_orgs, years_with_data

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/年度考核综合对比"  # 图表 PNG/SVG/PDF 的保存位置
under = None  # 只看某个组织及其下属组织：填组织编码（文本，如 "001000"）；None 为全部
org_type = None  # 只看一类组织："committee" 党委、"general_branch" 党总支、"branch" 党支部；None 为全部

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
# ## 全部组织得分表

# %%
charts.show_table(
    scores.sort(["score", "org_id"], descending=[True, False]).select(
        "org_id", "name", "org_type", "score", "grade", "vetoed", "veto_reasons", "n_failed"
    ),
    max_rows=None,
    collapsed=f"展开全部 {scores.height} 个组织的得分",
)
