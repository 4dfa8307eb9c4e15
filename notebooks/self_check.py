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
#   title: 自评核查
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.decisions.selfcheck import assess_self_scores
from analysis.lab import default_store
from analysis.store import Store
from analysis.views import cached_assess, self_check_tables

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/自评核查"  # 图表 PNG/SVG/PDF 的保存位置
seed = None  # 抽查名单随机抽取的随机种子；None 为规则集的默认种子
spot_share = None  # 随机抽取的比例；None 为默认 0.1（其余报送自评组织的 10%）

# %%
charts.use_offline()
store = Store.open(store_path)
a = cached_assess(store, year, ruleset=ruleset)
given = {k: v for k, v in {"seed": seed, "spot_share": spot_share}.items() if v is not None}
result = assess_self_scores(store, a, given)
chart_note = charts.source_note(store_path, a.as_of)

# %%
display(Markdown(f"# {year}年度自评核查"))

# %% [markdown]
# 各组织报送的自评得分（自评分表的“自查得分”）逐项与按台账核定的得分比较：自评比核定高出 0.5 分以上为“多报”，
# 低 0.5 分以上为“少报”，其余为“一致”。自评总分比核定总分高 5 分及以上（自评虚高）、或按自评得分等次会变化的组织
# 全部列入抽查名单；其余报送自评的组织中再按随机种子抽取一部分，任何组织都可能被抽到。

# %%
if result is None:  # the report runs only when self-scores exist; run by hand without them, it says so
    display(Markdown(f"数据中没有 {year} 年的自评得分，无法核查。"))
    result = {"selfcheck": None}
else:
    tables = self_check_tables(result)
    s = result["settings"].row(0, named=True)
    check = result["selfcheck"]
    flags = dict(check.group_by("flag").len().iter_rows())
    display(
        Markdown(
            f"共 **{result['claims'].height}** 个组织报送了自评得分，共 {check.height} 项："
            f"多报 **{flags.get('多报', 0)}** 项、少报 {flags.get('少报', 0)} 项、一致 {flags.get('一致', 0)} 项。"
            f"抽查名单 **{result['spotcheck'].height}** 个组织（随机抽取比例 {s['spot_share']:.0%}，随机种子 {s['seed']}）。"
        )
    )
ready = result["selfcheck"] is not None

# %% [markdown]
# ## 自评总分与核定总分

# %%
if ready:
    charts.show(
        charts.claims_scatter(result["claims"], result["spotcheck"], s["overclaim_points"], note=chart_note),
        charts_dir,
        "自评总分与核定总分",
    )

# %% [markdown]
# ## 抽查名单

# %%
if ready:
    charts.show_table(tables["spot"], max_rows=None)

# %% [markdown]
# ## 多报的项目及核定依据
#
# “核定依据”是按台账计算该项得分所依据的记录（文件、工作表、行号），抽查时可据此逐项核对。

# %%
if ready and tables["over"].height:
    charts.show_table(tables["over"], max_rows=500)
elif ready:
    display(Markdown("没有多报的项目。"))

# %% [markdown]
# ## 无法核查的自评得分

# %%
if ready and tables["refused"].height:
    display(Markdown("以下自评得分的评分项不在规则集中、超过该项分值，或该项对本组织不适用，未参与核查："))
    charts.show_table(tables["refused"], max_rows=500)
elif ready:
    display(Markdown("全部自评得分均已核查。"))

# %% [markdown]
# ## 各组织自评与核定总分

# %%
if ready:
    charts.show_table(tables["orgs"], max_rows=None)
