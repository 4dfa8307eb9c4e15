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
#   title: 单位画像
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.lab import default_store
from analysis.store import Store
from analysis.views import cached_assess, grade_summary, rule_table, subtree

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/单位画像"  # 图表 PNG/SVG/PDF 的保存位置
org_id = "001000"  # 党委的组织编码（文本，保留前导零）

# %%
charts.use_offline()
store = Store.open(store_path)
current = cached_assess(store, year, ruleset=ruleset)
unit = subtree(current.scores, org_id)
if unit.height == 0:
    raise ValueError(f"组织名册中没有编码为 {org_id} 的组织")
head = unit.filter(unit["org_id"] == org_id).row(0, named=True)
below = unit.filter(unit["org_id"] != org_id)
rules = current.rules.join(unit.select("org_id"), on="org_id", how="semi")
table = rule_table(current, unit.sort(["score", "org_id"], descending=[True, False])["org_id"].to_list())
summary = grade_summary(below)
chart_note = charts.source_note(store_path, current.as_of)  # 图下的“数据来源 · 截至”一行

# %%
display(Markdown(f"# 单位画像：{head['name']}（{year}年度）"))

# %%
veto = f"，一票否决：{head['veto_reasons']}" if head["vetoed"] else ""
g = summary["grades"]
display(
    Markdown(
        f"**{head['name']}**（编码 {org_id}）本年度得分 **{head['score']}** 分，等级 **{head['grade']}**{veto}。"
        f"下属组织 **{summary['n']}** 个：优秀 {g['优秀']} 个，良好 {g['良好']} 个，合格 {g['合格']} 个，"
        f"不合格 {g['不合格']} 个；平均得分 {summary['mean']} 分。"
    )
)

# %% [markdown]
# ## 下属组织得分

# %%
if below.height:
    charts.show(charts.ranking_bars(below, n=None, size="a4", note=chart_note), charts_dir, "下属组织得分")

# %% [markdown]
# ## 逐项达标情况

# %%
charts.show(
    charts.status_heatmap(rules, unit, charts.rule_titles(current.ruleset), size="a4", note=chart_note),
    charts_dir,
    "逐项达标情况",
)

# %% [markdown]
# ## 逐项考核结果与依据
#
# 每个组织一张表（点击展开）：考核项、要求、实际情况、得分，以及所依据的原始文件和行号。

# %%
for oid, name, score in (
    unit.sort(["score", "org_id"], descending=[True, False]).select("org_id", "name", "score").iter_rows()
):
    charts.show_table(
        table.filter(table["org_id"] == oid).drop("org_id", "name"),
        max_rows=None,
        collapsed=f"{name}（{oid}）：{score} 分",
    )
