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
# 第一次运行时，如果还没有数据仓库，会先导入自带的示例数据（data/sample）。
# 图表用自带的中文字体离线绘制，不需要联网；`charts.show(图表, 文件夹, "名称")` 同时保存 PNG/SVG/PDF。

# %%
from pathlib import Path

import polars as pl

import analysis
from analysis import charts
from analysis.assess import assess
from analysis.decisions import peer_comparison, select_advanced, weak_orgs
from analysis.ingest import ingest
from analysis.store import Store
from analysis.views import ingest_totals, select_orgs

# %%
PROJECT = Path(analysis.__file__).resolve().parents[1]  # JupyterLab runs a notebook in its own folder

# %% tags=["parameters"]
store_path = str(PROJECT / "data" / "store")  # 数据仓库（workbench ingest 生成）
sample_path = str(PROJECT / "data" / "sample")  # 没有数据仓库时导入的示例数据
year = 2024
ruleset = "changzhou-2009"
charts_dir = str(PROJECT / "out" / "charts" / "自由探索")

# %%
charts.use_offline()  # 图表由 vl-convert 画成 PNG（自带中文字体），不从网络加载任何脚本
if not (Path(store_path) / "store.json").is_file():
    result = ingest([sample_path], store=store_path)
    print("已导入示例数据：")
    charts.show_table(ingest_totals(result.totals))
store = Store.open(store_path)
a = assess(store, year, ruleset=ruleset)
charts.show_table(a.scores.select("org_id", "name", "org_type", "score", "grade", "n_failed"), max_rows=10)

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
charts.show_table(weak_orgs(a).select("org_id", "name", "org_type", "score", "reasons"), max_rows=10)
