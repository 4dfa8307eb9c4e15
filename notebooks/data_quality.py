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
#   title: 数据质量
# ---

# %%
from IPython.display import Markdown, display

from analysis import charts
from analysis.lab import default_store
from analysis.store import Store
from analysis.views import completeness_table, quality, submission_completeness

# %% tags=["parameters"]
store_path = default_store()  # 数据仓库：workbench lab 传入的，或项目的 data/store
year = 2024  # 考核年度（文件和拒收情况不按年度筛选；报送完整性按该年度逐月统计）
ruleset = "changzhou-2009"
charts_dir = "out/charts/数据质量"  # 图表 PNG/SVG/PDF 的保存位置

# %%
charts.use_offline()
store = Store.open(store_path)
q = quality(store)
chart_note = charts.source_note(store_path, store.manifest()["ingested_at"].max())  # 截至导入之日
t = q.totals

# %% [markdown]
# # 数据质量报告
#
# 本报告说明导入了哪些文件、每个文件保留和拒收了多少行，以及被拒收的行为什么被拒收。
# 被拒收的行不参与考核计算：如果拒收较多，请按下面的原因和行号在原始表格中修改后重新导入。

# %%
display(
    Markdown(
        f"共导入 **{t['files']}** 个文件，其中整份拒收 **{t['refused_files']}** 个。"
        f"共读取 {t['rows_read']} 行：保留 **{t['rows_kept']}** 行，拒收 **{t['rows_refused']}** 行，"
        f"重复 {t['rows_duplicate']} 行（完全相同的行只保留一行）。"
    )
)

# %% [markdown]
# ## 各文件导入情况

# %%
charts.show_table(q.files, max_rows=None)

# %% [markdown]
# ## 拒收原因

# %%
if q.rejects.height:
    charts.show(
        charts.count_bars(
            q.by_reason,
            "reason_zh",
            title="拒收原因",
            subtitle=f"共拒收 {q.rejects.height} 行",
            note=chart_note,
        ),
        charts_dir,
        "拒收原因",
    )
    charts.show(
        charts.count_bars(q.by_file, "_file", title="各文件拒收行数", note=chart_note),
        charts_dir,
        "各文件拒收行数",
    )
    charts.show(
        charts.count_bars(q.by_org, "name", title="各组织拒收行数", note=chart_note),
        charts_dir,
        "各组织拒收行数",
    )
else:
    display(Markdown("没有被拒收的行。"))

# %% [markdown]
# ## 拒收明细
#
# 行号与在 Excel 或文本编辑器中看到的行号一致；“列”是文件中填写的表头。

# %%
charts.show_table(q.refused_rows, max_rows=500)

# %% [markdown]
# ## 报送完整性
#
# 逐月看每个组织是否报送了活动记录、党员学习、党费三张表：某月某张表一行也没有，是“没有报送”，
# 而不一定是“没有开展”——请先向该组织催报，再据此判断工作是否落实。

# %%
per_org, months = submission_completeness(store, year)
incomplete = per_org.filter(per_org["completeness"] < 1)
if months.height == 0:
    display(Markdown(f"{year} 年没有任何活动记录、党员学习或党费记录。"))
elif incomplete.height:
    display(
        Markdown(
            f"{year} 年（1–{months['month'].max()} 月）共 {per_org.height} 个组织，"
            f"其中 **{incomplete.height}** 个未完整报送（标记为“未完整报送”），按报送完整率从低到高列出。"
        )
    )
    charts.show_table(completeness_table(per_org), max_rows=None)
    charts.show(charts.completeness_heatmap(per_org, months, note=chart_note), charts_dir, "报送完整性")
else:
    display(Markdown(f"{year} 年（1–{months['month'].max()} 月）全部 {per_org.height} 个组织每月三张表均有报送。"))
