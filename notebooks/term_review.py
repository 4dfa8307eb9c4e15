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
#   title: 任期考核
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.lab import default_store
from analysis.store import Store
from analysis.term_views import (
    term_assessment,
    term_facts,
    term_failed_items,
    term_incidents,
    term_training,
    term_trend,
    term_years_table,
)

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度：未给截止日期时截至该年12月31日
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/任期考核"  # 图表 PNG/SVG/PDF 的保存位置
org_id = "051000"  # 组织编码（文本，保留前导零）
as_of = None  # 截止日期，如 "2024-12-31"；None 为考核年度的12月31日
due_within = 6  # 届满日期在截止日期后几个月内的，任期状态为“即将届满”
terms_path = None  # workbench report 批量运行时传入已算好的任期考核结果；None 则在这里计算

# %%
charts.use_offline()
store = Store.open(store_path)
terms = term_assessment(store, year, ruleset=ruleset, as_of=as_of, due_within=due_within, terms_path=terms_path)
facts = term_facts(terms, org_id)
on = terms.as_of.isoformat()
no_term = "该组织没有换届记录，本项无法考核。"

# %%
display(Markdown(f"# 任期考核：{facts['name']}（截至 {on}）"))

# %%
who = f"**{facts['name']}**（{facts['org_type_zh']}，编码 {org_id}）"
if not facts["has_term"]:
    text = (
        f"{who}截至 {on} 没有换届记录，无法确定本届任期的起止，不作任期考核。"
        "请核实并补报该组织的换届记录（换届日期）。"
    )
else:
    n_years = len(facts["years_scored"] or [])
    text = (
        f"{who}本届任期 {facts['term_years']} 年，{facts['term_start']} 换届，应于 **{facts['term_due']}** 届满。"
        f"截至 {on}，任期状态为 **{facts['term_status']}**（{facts['when']}）"
        + ("，应报送任期考核报告和任期自评分表。" if facts["report_due"] else "。")
    )
    if facts["term_score"] is None:
        text += "任期内还没有完整的考核年度，暂不计任期得分。"
    else:
        text += (
            f"任期内 {n_years} 个完整年度按任期内天数加权，任期得分 **{facts['term_score']:.1f}** 分，"
            f"任期等级 **{facts['term_grade']}**。"
        )
    if facts["vetoed"]:
        text += "任期内发生一票否决事项，任期等级为不合格（见下文“一票否决”）。"
    text += f"党务干部培训（每届一次）：**{facts['cadre_training']}**。"
display(Markdown(text))

# %% [markdown]
# ## 任期各年度得分
#
# 每个完整年度按当年的年度考核计分，以当年在任期内的天数占全年天数的比例为权重；任期得分是各年度得分的加权平均。
# 截止日期所在年度尚未结束的，只列出任期内天数，不计分；数据开始之前的年度同样不计分。
# “任期”一列的未达标项数包括按整个任期考核的党务干部培训。

# %%
if facts["has_term"]:
    charts.show_table(term_years_table(terms, org_id), max_rows=None)
else:
    display(Markdown(no_term))

# %% [markdown]
# ## 得分走势

# %%
trend = term_trend(terms, org_id)
if trend.height:
    charts.show(charts.term_trend(trend, facts["term_score"], facts["name"]), charts_dir, "任期内各年度得分")
else:
    display(Markdown(no_term if not facts["has_term"] else "任期内还没有完整的考核年度，无法显示走势。"))

# %% [markdown]
# ## 各年度未达标项及依据
#
# 每个完整年度中未达标的考核项：实际情况、考核要求、得分，以及所依据的原始文件、工作表和行号。

# %%
failed = term_failed_items(terms, org_id)
if failed.height:
    charts.show_table(failed, max_rows=None)
elif facts["has_term"]:
    display(Markdown("任期内各个完整年度都没有未达标的考核项。"))
else:
    display(Markdown(no_term))

# %% [markdown]
# ## 一票否决
#
# 任期内（换届日期至截止日期）本组织或下级组织发生的一票否决事项，使整个任期考核为不合格，不论得分高低。

# %%
incidents = term_incidents(store, terms, org_id)
if incidents.height:
    display(Markdown(f"任期内（{facts['term_start']} 至 {on}）发生以下 {incidents.height} 项一票否决事项："))
    charts.show_table(incidents, max_rows=None)
elif facts["has_term"]:
    display(Markdown(f"任期内（{facts['term_start']} 至 {on}）本组织及下级组织没有一票否决事项。"))
else:
    display(Markdown(no_term))

# %% [markdown]
# ## 党务干部培训（每届一次）
#
# 按整个任期考核：任期内组织过即达标；尚未届满且还没有组织的为“届内待办”；届满仍未组织的为“未达标”。

# %%
training = term_training(terms, org_id)
if training.height:
    charts.show_table(training, max_rows=None)
else:
    display(Markdown(no_term))
