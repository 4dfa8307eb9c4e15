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
#   title: 先进基层党组织评选
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.decisions import select_advanced, weak_orgs
from analysis.store import Store
from analysis.views import cached_assess, rule_table, years_with_data

# %% tags=["parameters"]
store_path = "data/store"  # 数据仓库文件夹（workbench ingest 生成）
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/先进基层党组织评选"  # 图表 PNG/SVG/PDF 的保存位置
quota = "15%"  # 名额：人数（如 5）或合格组织的比例（如 "15%"）
quota_by = "all"  # "all" 全部组织统一排名；"org_type" 按组织类型分别排名
draws = 1000  # 稳健性检验的模拟次数
seed = 0  # 随机种子（相同种子结果可重复）

# %%
charts.use_offline()
store = Store.open(store_path)
current = cached_assess(store, year, ruleset=ruleset)
years = years_with_data(store)
history = [cached_assess(store, y, ruleset=ruleset) for y in (year - 2, year - 1) if y in years]
weak = weak_orgs(current, history if len(history) == 2 else None)
selection = select_advanced(current, quota=quota, quota_by=quota_by, draws=draws, seed=seed, weak=weak)
chosen = selection.filter(selection["selected"])

# %%
display(Markdown(f"# {year}年度先进基层党组织评选建议名单"))

# %% [markdown]
# 候选范围：考核合格、未被一票否决、也不在“后进支部排查”名单中的组织。按得分从高到低排名，得分相同的依次比较未达标项数和组织编码。
#
# **稳健性检验**：考核细则中各项分值是人为设定的。为检验名单是否依赖于某个分值的设定，把每一项的分值随机上下浮动 20%，
# 重新排名 1000 次，统计每个组织入选的次数比例（入选概率）和排名的变化范围。“稳定入选”表示几乎在每次模拟中都入选；
# “边缘”表示入选与否取决于分值设定，建议评审时重点讨论。

# %%
labels = dict(selection.group_by("label").len().iter_rows())
display(
    Markdown(
        f"候选组织 **{selection.height}** 个，按名额（{quota}）推荐 **{chosen.height}** 个："
        + "，".join(f"{k} {v} 个" for k, v in sorted(labels.items()))
        + f"。另有 {weak.height} 个组织在后进排查名单中，未列为候选。"
    )
)

# %% [markdown]
# ## 建议名单
#
# 点击组织编码可打开该组织所在单位的“单位画像”。

# %%
charts.show_table(
    chosen.select("rank", "org_id", "name", "org_type", "score", "n_failed", "p_selected", "label", "note"),
    max_rows=None,
)

# %% [markdown]
# ## 稳健性：入选概率与排名区间

# %%
charts.show(
    charts.selection_robustness(selection, n=max(40, chosen.height + 10)), charts_dir, "入选概率与排名区间"
)

# %% [markdown]
# ## 候选组织的考核依据
#
# 每个推荐组织逐项的考核结果，以及每一项所依据的原始文件和行号，供评审时核对。

# %%
table = rule_table(current, chosen["org_id"].to_list())
for org_id, name in chosen.select("org_id", "name").iter_rows():
    charts.show_table(
        table.filter(table["org_id"] == org_id).drop("org_id", "name"),
        max_rows=None,
        collapsed=f"{name}（{org_id}）",
    )
