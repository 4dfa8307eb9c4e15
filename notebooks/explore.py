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
#   title: 自由探索
# ---

# %% [markdown]
# # 自由探索
#
# 在 JupyterLab 中打开本文件（右键 → 打开方式 → Notebook），修改下面的参数后逐格运行。
# 图表用本机字体离线绘制，不需要联网；`charts.show(图表, 文件夹, "名称")` 同时保存 PNG/SVG/PDF。

# %%
import polars as pl

from analysis import charts
from analysis.assess import assess
from analysis.reports import select_orgs
from analysis.selection import peer_comparison, select_advanced, weak_orgs
from analysis.store import Store

# %% tags=["parameters"]
store_path = "data/store"
year = 2024
ruleset = "changzhou-2009"
charts_dir = "out/charts/自由探索"

# %%
charts.use_offline()  # altair 图表直接显示为 SVG，不从网络加载任何脚本
store = Store.open(store_path)
a = assess(store, year, ruleset=ruleset)
a.scores.head()

# %% [markdown]
# ## 筛选：某个党委及其下属的党支部

# %%
top = a.scores.filter(pl.col("parent_id").is_null())["org_id"].first()
branches = select_orgs(a.scores, under=top, org_type="branch")
charts.show(charts.ranking_bars(branches, n=None))

# %% [markdown]
# ## 其他图表

# %%
charts.show(charts.score_histogram(a.scores))
charts.show(charts.category_bars(a.rules))
charts.show(charts.sibling_comparison(peer_comparison(a)))

# %%
selection = select_advanced(a, draws=200)
charts.show(charts.selection_robustness(selection))
weak_orgs(a).head(10)
