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
#   title: 后进支部排查
# ---

# %%
import polars as pl
from IPython.display import Markdown, display

from analysis import charts
from analysis.decisions import WEAK_REASON_ZH, peer_comparison
from analysis.decisions.history import weak_with_turnaround
from analysis.decisions.weak_tiers import RECTIFY, tier_summary, turnaround_summary
from analysis.lab import default_store
from analysis.store import Store
from analysis.views import cached_assess, select_orgs, years_with_data

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/后进支部排查"  # 图表 PNG/SVG/PDF 的保存位置
under = None  # 只看某个组织及其下属组织：填组织编码（文本）；None 为全部
org_type = None  # 只看一类组织："committee"、"general_branch"、"branch"；None 为全部
trend_years = 5  # 走势图最多显示的年数
rectify_share = None  # 整顿名单上限：占全部组织的比例（如 0.1）；None 不设上限

# %%
charts.use_offline()
store = Store.open(store_path)
current = cached_assess(store, year, ruleset=ruleset)
years = [y for y in years_with_data(store) if year - trend_years < y <= year]
history = {y: cached_assess(store, y, ruleset=ruleset) for y in years if y != year}
earlier = [history[y] for y in (year - 2, year - 1) if y in history]
weak_all, turned = weak_with_turnaround(
    current,
    earlier if len(earlier) == 2 else None,
    {"rectify_share": rectify_share},
    [history[year - 1]] if year - 1 in history else None,
)
weak = weak_all.join(select_orgs(current.scores, under, org_type).select("org_id"), on="org_id", how="semi")
names = current.scores.select("org_id", parent_name="name")
weak_table = weak.join(names, left_on="parent_id", right_on="org_id", how="left")
chart_note = charts.source_note(store_path, current.as_of)  # 图下的“数据来源 · 截至”一行

# %%
display(Markdown(f"# {year}年度后进支部排查"))

# %% [markdown]
# 以下组织符合考核细则中“后进”的任一条件：一票否决；考核不合格；多项规则未达标；书记空缺；会议次数不足要求的一半；
# 得分明显低于同一上级下的其他组织；得分连续两年下降。每个组织列出全部原因和相应数字，供约谈和整改时使用。
#
# 名单分两层：有一票否决、考核不合格、书记空缺、会议次数不超过要求一半这类“硬性”原因的列为**整顿**，需限期整改；
# 其余（多项未达标、明显低于同级、连续下降）列为**关注**，由上级党组织跟踪提醒。一个组织只列一次，列在较高的一层，原因全部列出。

# %%
if len(earlier) < 2:
    display(Markdown(f"数据中缺少 {year - 2}、{year - 1} 年度的记录，本次未检查“得分连续两年下降”。"))
display(Markdown(f"共排查出 **{weak.height}** 个需要重点关注的组织。" + tier_summary(weak_all, current.scores.height)))

# %% [markdown]
# ## 名单与原因
#
# 点击组织编码可打开该组织所在单位的“单位画像”，查看逐项考核结果和原始依据。

# %%
charts.show_table(
    weak_table.sort(pl.col("tier") != RECTIFY, maintain_order=True).select(
        "org_id", "name", "org_type", "parent_name", "score", pl.col("tier").alias("层级"), "reasons",
        pl.col("tier_note").alias("层级说明"),
    ),
    max_rows=None,
)

# %%
if weak.height:
    reasons = (
        weak.select("reason_codes")
        .explode("reason_codes")
        .group_by("reason_codes")
        .len("orgs")
        .with_columns(pl.col("reason_codes").replace(WEAK_REASON_ZH))
    )
    charts.show(
        charts.count_bars(
            reasons,
            "reason_codes",
            "orgs",
            title="后进原因分布",
            subtitle="一个组织可有多项原因",
            note=chart_note,
        ),
        charts_dir,
        "后进原因分布",
    )

# %% [markdown]
# ## 后进转化
#
# 上一年度列为整顿的组织今年的情况：**转化**——今年不在整顿和关注名单中；**好转**——今年降为关注；**未转化**——今年仍需整顿。
# “仍存在的原因”列出今年仍然存在的、与上年同类的问题。

# %%
display(Markdown(turnaround_summary(turned)))
if turned is not None and turned.height:
    shown = turned.join(select_orgs(current.scores, under, org_type).select("org_id"), on="org_id", how="semi")
    charts.show_table(
        shown.select(
            "org_id",
            "name",
            pl.col("turnaround").alias("转化情况"),
            pl.col("last_reasons").alias("上年原因"),
            pl.col("still_holding").alias("仍存在的原因"),
        ),
        max_rows=None,
    )

# %% [markdown]
# ## 与同级组织比较
#
# 每行一个明显低于同级的组织（圈出），点是它同一上级下的全部组织。黑色短线是这一组的得分中位数，红色短线是“明显低于同级”的下限
# （中位数减去 2 倍稳健标准差，且至少低 10 分；同级不足 3 个时为低 20 分）。

# %%
peers = select_orgs(peer_comparison(current), under, org_type)
charts.show(
    charts.sibling_comparison(peers, highlight=weak["org_id"].to_list(), note=chart_note),
    charts_dir,
    "同级组织比较",
)

# %% [markdown]
# ## 多年走势

# %%
if history:
    scores_by_year = {y: select_orgs(a.scores, under, org_type) for y, a in history.items()}
    scores_by_year[year] = select_orgs(current.scores, under, org_type)
    focus = weak.sort("score", nulls_last=True).head(8)["org_id"].to_list()
    charts.show(
        charts.trend_lines(dict(sorted(scores_by_year.items())), highlight=focus, note=chart_note),
        charts_dir,
        "多年得分走势",
    )
    if weak.height > 8:
        display(Markdown(f"图中只标出得分最低的 8 个；其余 {weak.height - 8} 个见上表。"))
else:
    display(Markdown("数据中只有本年度的记录，无法显示走势。"))
