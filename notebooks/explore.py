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
# 用 `workbench lab` 打开时，本笔记本已经在 JupyterLab 中以笔记本形式打开，数据仓库由启动命令指定。
# 修改下面“参数”一格中的单位、考核项、组织或文件，再从菜单“运行 → 运行所有单元格”即可重新分析。
# 每一节都可以单独再运行；图表用自带的中文字体离线绘制，不需要联网。
#
# 各节：一、已载入的数据；二、一个单位的组织和得分；三、一项考核项在全部组织中的情况；
# 四、一个组织的逐项结果和原始依据（文件、工作表、行号）；五、一个文件的拒收行；六、两个年度对比。

# %%
from pathlib import Path

import polars as pl

import analysis
from analysis import charts
from analysis.assess import assess
from analysis.ingest import ingest
from analysis.lab import default_store
from analysis.store import Store, years_with_data
from analysis.views import quality, rule_table, select_orgs

# %%
PROJECT = Path(analysis.__file__).resolve().parents[1]  # JupyterLab runs a notebook in its own folder

# %% tags=["parameters"]
# 数据仓库：workbench lab 通过环境变量 WORKBENCH_STORE 传入；直接打开时用项目的 data/store
store_path = default_store()
sample_path = str(PROJECT / "data" / "sample")  # 没有数据仓库时导入的示例数据
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 规则集
unit_id = ""  # 要查看的直属党组织编码；空 = 得分最低的直属党组织
rule_id = "edu.three_meetings_one_lesson"  # 要查看的考核项（规则编号），例如 三会一课
org_id = ""  # 要查看依据的组织编码；空 = 该单位中得分最低的组织
reject_file = ""  # 要查看拒收行的文件；空 = 拒收行最多的文件
charts_dir = str(PROJECT / "out" / "charts" / "自由探索")

# %%
charts.use_offline()  # 图表由 vl-convert 画成 PNG（自带中文字体），不从网络加载任何脚本
if not (Path(store_path) / "store.json").is_file():
    result = ingest([sample_path], store=store_path)
    t = result.totals
    print(f"已导入示例数据：{t['files']} 个文件，读入 {t['rows_read']} 行，保留 {t['rows_kept']} 行，拒收 {t['rows_refused']} 行。")
store = Store.open(store_path)
a = assess(store, year, ruleset=ruleset)
titles = charts.rule_titles(a.ruleset)
q = quality(store)

# %% [markdown]
# ## 一、已载入的数据

# %%
years = years_with_data(store)
loaded = pl.DataFrame(
    {
        "项目": ["数据仓库", "文件", "读入行数", "保留行数", "拒收行数", "重复行数", "有数据的年度", "名册中的组织"],
        "情况": [
            str(Path(store_path).resolve()),
            f"{q.totals['files']} 个（整份拒收 {q.totals['refused_files']} 个）",
            f"{q.totals['rows_read']:,}",
            f"{q.totals['rows_kept']:,}",
            f"{q.totals['rows_refused']:,}",
            f"{q.totals['rows_duplicate']:,}",
            "、".join(str(y) for y in years) or "（无）",
            f"{a.scores.height} 个",
        ],
    }
)
charts.show_table(loaded)

# %% [markdown]
# ## 二、一个单位的组织和得分

# %%
tops = a.scores.filter(pl.col("parent_id").is_null()).sort("score", "org_id")
unit = unit_id or tops["org_id"].first()
unit_name = tops.filter(pl.col("org_id") == unit)["name"].first()
orgs = select_orgs(a.scores, under=unit)
print(f"单位：{unit_name}（{unit}），共 {orgs.height} 个组织")
charts.show(charts.ranking_bars(orgs, n=None))
charts.show_table(orgs.select("org_id", "name", "org_type", "score", "grade", "vetoed", "n_failed"))

# %% [markdown]
# ## 三、一项考核项在全部组织中的情况

# %%
one_rule = a.rules.filter(pl.col("rule_id") == rule_id).join(a.scores.select("org_id", "name"), on="org_id")
print(f"考核项：{titles.get(rule_id, rule_id)}")
by_status = one_rule.group_by("status").agg(count=pl.len()).sort("count", descending=True)
charts.show_table(by_status)
charts.show_table(
    one_rule.filter(pl.col("status") == "fail").select("org_id", "name", "measured", "required", "earned", "points"),
    max_rows=30,
)

# %% [markdown]
# ## 四、一个组织的逐项结果和原始依据

# %%
chosen = org_id or orgs.sort("score", "org_id")["org_id"].first()
print(f"组织：{a.scores.filter(pl.col('org_id') == chosen)['name'].first()}（{chosen}）")
charts.show_table(rule_table(a, [chosen]), max_rows=None)
evidence = (
    a.evidence.filter(pl.col("org_id") == chosen)
    .with_columns(rule=pl.col("rule_id").replace_strict(titles, default=pl.col("rule_id")))
    .select("rule", "_file", "_sheet", "_row")
)
charts.show_table(evidence, max_rows=50, collapsed=f"原始依据（共 {evidence.height} 行，点击展开）")

# %% [markdown]
# ## 五、一个文件的拒收行

# %%
rejects = q.refused_rows  # the column named by the header typed in the user's own file
if rejects.height:
    worst_file = rejects.group_by("_file").agg(n=pl.len()).sort(["n", "_file"], descending=[True, False])["_file"].first()
    file = reject_file or worst_file
    print(f"文件：{file}")
    charts.show_table(rejects.filter(pl.col("_file") == file).drop("_file"))
else:
    print("没有被拒收的行。")

# %% [markdown]
# ## 六、两个年度对比

# %%
earlier = [y for y in years if y < year]
if earlier:
    b = assess(store, earlier[-1], ruleset=ruleset)
    charts.show(charts.yoy_change(a.scores, b.scores, years=(earlier[-1], year), n=20))
else:
    print(f"数据中没有 {year} 年以前的年度，无法对比。")
