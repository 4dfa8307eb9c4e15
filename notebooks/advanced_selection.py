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
import polars as pl
from IPython.display import Markdown, display

from analysis import charts
from analysis.decisions import select_advanced, weak_orgs
from analysis.decisions.sensitivity import (
    category_sensitivity,
    item_checks,
    item_moves,
    leave_one_out,
    sensitivity_paragraph,
)
from analysis.decisions.workers import reason_counts, secretary_checks, select_workers
from analysis.lab import default_store
from analysis.outputs.workers import secretary_sheet, workers_sheet
from analysis.store import Store
from analysis.views import cached_assess, rule_table, years_with_data
from analysis.vocab import REASON_COUNT_COLUMNS_ZH

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度
ruleset = "changzhou-2009"  # 考核细则
charts_dir = "out/charts/先进基层党组织评选"  # 图表 PNG/SVG/PDF 的保存位置
quota = "15%"  # 名额：人数（如 5）或合格组织的比例（如 "15%"）
quota_by = "all"  # "all" 全部组织统一排名；"org_type" 按组织类型分别排名
draws = 1000  # 稳健性检验的模拟次数
seed = 0  # 随机种子（相同种子结果可重复）
noise = 0.2  # 稳健性检验中各项分值的随机浮动幅度（0.2 即 ±20%）
sensitivity_draws = 512  # 分类分值敏感性分析的抽样数（2 的幂；0 为不做）
worker_quota = None  # 优秀党务工作者名额：人数（如 5）或比例（如 "10%"）；None 取考核细则的设置
worker_quota_by = None  # 优秀党务工作者名额 "all" 统一排名 / "org_type" 按组织类型；None 取考核细则的设置

# %%
charts.use_offline()
store = Store.open(store_path)
current = cached_assess(store, year, ruleset=ruleset)
years = years_with_data(store)
history = [cached_assess(store, y, ruleset=ruleset) for y in (year - 2, year - 1) if y in years]
weak = weak_orgs(current, history if len(history) == 2 else None)
selection = select_advanced(
    current, quota=quota, quota_by=quota_by, draws=draws, seed=seed, noise=noise, weak=weak
)
chosen = selection.filter(selection["selected"])
chart_note = charts.source_note(store_path, current.as_of)  # 图下的“数据来源 · 截至”一行

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
    charts.selection_robustness(selection, n=max(40, chosen.height + 10), note=chart_note),
    charts_dir,
    "入选概率与排名区间",
)

# %% [markdown]
# ## 哪些考核项目决定名单
#
# 逐项剔除检验：每次去掉一个考核项目（该项按“不适用”处理，其余各项按原分值重新折算成百分制），候选范围和名额不变，
# 重新排名，看有几个组织因此离开或进入名单。下图列出影响名单最多的项目；不在图中的项目去掉后名单不变。

# %%
loo = leave_one_out(current, selection)
moves = item_moves(loo, current)
if moves.height:
    charts.show(
        charts.count_bars(
            moves,
            "title",
            "orgs",
            title="去掉一项后名单的变化",
            subtitle="离开名单的组织数（进入的同样多）",
            n=15,
            note=chart_note,
        ),
        charts_dir,
        "逐项剔除对名单的影响",
    )
else:
    display(Markdown("去掉任何一个考核项目，名单都不变。"))
by_category = loo.filter((pl.col("item") == "") & (pl.col("n_left") > 0))
for cat, n in by_category.select("category", "n_left").iter_rows():
    display(Markdown(f"- 去掉“{cat}”一整类：{n} 个组织离开名单，{n} 个进入。"))

# %% [markdown]
# ## 名单主要取决于哪一类分值
#
# 把五类分值（组织建设、党员教育管理等）各自随机上下浮动，看候选组织的名次平均变动多少，再用方差分解（Sobol 指数）
# 说明这些变动各由哪一类分值引起。“单独作用”指只由这一类引起的部分，“总作用”还包括它和其他类别共同引起的部分。

# %%
sobol = category_sensitivity(current, selection, draws=sensitivity_draws, noise=noise, seed=seed)
display(Markdown(sensitivity_paragraph(sobol, noise)))
charts.show_table(
    sobol.select(
        pl.col("category").alias("类别"),
        pl.col("S1").round(2).alias("单独作用"),
        pl.col("ST").round(2).alias("总作用"),
        pl.format("{}–{}", pl.col("ST_low").round(2), pl.col("ST_high").round(2)).alias("总作用95%区间"),
    ),
    max_rows=None,
)

# %% [markdown]
# ## 考核项目自查
#
# 两项在各组织的得分率高度一致（相关系数大于 0.9）时，可能是同一件事计了两次分；所有候选组织都达标的项目不能区分候选组织。

# %%
checks = item_checks(current, selection)
if checks.height:
    for sentence in checks["sentence"]:
        display(Markdown(f"- {sentence}"))
else:
    display(Markdown("没有发现高度相关或不能区分候选组织的考核项目。"))

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

# %% [markdown]
# ## 优秀党务工作者推荐名单
#
# 候选范围：所在组织考核合格、未被一票否决、不在后进排查名单中；本人截至考核截止日任职满12个月（任职日期未填的视为符合，
# 并提示核实）；党员学习记录中有本人编号的，本人全年学习不少于12天。排名依次比较所在组织得分、本人学习天数、任职月数，
# 同一人在两个组织（或两个职务）任职的只排名一次，按得分较高的组织计。**入选概率**沿用上面先进组织的稳健性检验：
# 在同一组分值随机浮动下重新计算各组织得分、重新排名，统计每人落在名额之内的次数比例。

# %%
has_workers = store.has("party_workers")
if has_workers:
    workers = select_workers(
        current,
        store,
        weak=weak,
        advanced=selection,
        quota=worker_quota,
        quota_by=worker_quota_by,
        draws=draws,
        seed=seed,
        noise=noise,
    )
    recommended = workers.filter(workers["selected"])
    eligible = workers.filter(workers["eligible"])
    worker_labels = dict(eligible.group_by("label").len().drop_nulls().iter_rows())
    display(
        Markdown(
            f"党务工作者 **{workers['member_id'].n_unique()}** 人，符合条件 **{eligible.height}** 人，"
            f"按名额推荐 **{recommended.height}** 人"
            + ("：" + "，".join(f"{k} {v} 人" for k, v in sorted(worker_labels.items())) if worker_labels else "")
            + "。"
        )
    )
    shown = ("rank", "name", "role", "org_name", "org_type", "org_score", "study_days", "months_in_role")
    charts.show_table(workers_sheet(recommended, (*shown, "p_selected", "label", "warning")), max_rows=None)
    notes = recommended.filter(recommended["note"] != "").group_by("note", maintain_order=True).len()
    for note, n in notes.iter_rows():
        display(Markdown(f"- {n} 人：{note}"))
else:
    display(Markdown("数据中没有党务工作者名单（党务工作者表），本节从略。"))

# %% [markdown]
# ### 入选概率与排名区间

# %%
if has_workers and eligible.height:
    chart_rows = eligible.with_columns(
        name=eligible["name"] + "（" + eligible["org_name"] + "）", org_id=eligible["member_id"]
    )
    robustness = charts.selection_robustness(
        chart_rows, n=max(40, recommended.height + 10), note=chart_note
    ).properties(
        title={
            "text": "优秀党务工作者稳健性：入选概率与排名区间",
            "subtitle": f"推荐 {recommended.height} 人；虚线为名额线，横线越短名次越稳定",
        }
    )
    charts.show(robustness, charts_dir, "党务工作者入选概率与排名区间")

# %% [markdown]
# ### 未列为候选的原因与数据提示

# %%
if has_workers:
    charts.show_table(reason_counts(workers).rename(REASON_COUNT_COLUMNS_ZH), max_rows=None)
    checks = secretary_checks(store)
    if checks.height:
        display(Markdown(f"**名册书记核对**：{checks.height} 个组织的名册书记与党务工作者表不一致，请核实。"))
        charts.show_table(secretary_sheet(checks), max_rows=None)

# %% [markdown]
# ### 推荐人选所在组织的考核依据
#
# 每位推荐人选所在组织逐项的考核结果及原始文件和行号（同一组织的多位推荐人选合并列出）。

# %%
if has_workers and recommended.height:
    per_org = recommended.group_by("org_id", maintain_order=True).agg(
        pl.col("org_name").first(), people=pl.col("name").str.join("、")
    )
    worker_evidence = rule_table(current, per_org["org_id"].to_list())
    for org_id, org_name, people in per_org.iter_rows():
        charts.show_table(
            worker_evidence.filter(worker_evidence["org_id"] == org_id).drop("org_id", "name"),
            max_rows=None,
            collapsed=f"{org_name}（{org_id}）：{people}",
        )
