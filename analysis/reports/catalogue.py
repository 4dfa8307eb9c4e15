"""The report catalogue: which notebook runs with which parameters, once or once per top-level
organisation.  A report is a jupytext ``py:percent`` notebook in ``notebooks/`` (reviewable in git)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from analysis.store import Store
from analysis.terms import TermAssessment

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  #: the folder that holds ``analysis/``
NOTEBOOKS_DIR = PACKAGE_ROOT / "notebooks"


# --------------------------------------------------------------------------------------------
# The reports.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """One report: which notebook, its Chinese title, and its fixed parameters.

    With ``each`` set, the report runs once per value that ``values(store)`` lists: ``each`` is the
    notebook parameter that receives the value, and ``values`` returns ``(value, label)`` pairs, the
    label naming the run in file names and in the index.

    ``filterable``: the notebook takes ``under`` and ``org_type`` (``workbench report --under …
    --org-type …``).  ``profile``: a report run per top-level organisation (``each="org_id"``) whose
    pages the other reports' 组织编码 link to, at the organisation's own fold (``#org-<编码>``).

    With ``terms`` set, the report reads the batch's term assessment (made once, in the parent process):
    it gets the parameters ``as_of``, ``due_within`` and ``terms_path`` (and, run once, ``term_pages``:
    org code → that org's 任期考核 page), and its ``values`` are called with the
    :class:`~analysis.terms.TermAssessment` instead of the store.
    """

    title: str
    notebook: str  # file name in NOTEBOOKS_DIR, or an absolute path
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    each: str | None = None
    values: Callable[[Any], list[tuple[Any, str]]] | None = None
    filterable: bool = False
    profile: bool = False
    terms: bool = False
    #: run only when ``when(store, year)`` holds (a report on a table the data may not have)
    when: Callable[[Store, int], bool] | None = None

    def notebook_path(self, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
        p = Path(self.notebook)
        return p if p.is_absolute() else notebooks_dir / p


def top_level_orgs(store: Store) -> list[tuple[str, str]]:
    """``(org_id, name)`` of every organisation without a parent in the registry, by code."""
    orgs = store.table("orgs").select("org_id", "name", "parent_id").collect()
    known = orgs["org_id"]
    tops = orgs.filter(
        pl.col("parent_id").is_null()
        | (pl.col("parent_id") == "")
        | ~pl.col("parent_id").is_in(known.implode())
    ).sort("org_id")
    return list(zip(tops["org_id"].to_list(), tops["name"].fill_null(tops["org_id"]).to_list(), strict=True))


def term_report_orgs(ta: TermAssessment) -> list[tuple[str, str]]:
    """``(org_id, "名称_编码")`` of every org that owes its term report at the batch's as-of date,
    overdue first (the 任期考核 runs; the label matches the term 自评分表's file names)."""
    due = ta.report_due
    return [(o, f"{n}_{o}") for o, n in zip(due["org_id"].to_list(), due["name"].to_list(), strict=True)]


TERM_REPORT = "任期考核"  #: the title of the per-org term report (its pages are linked from 换届提醒)

def has_self_scores(store: Store, year: int) -> bool:
    """Whether the store holds self-scores (自评得分) of ``year``: the 自评核查 report runs only then."""
    if not store.has("self_scores"):
        return False
    return store.table("self_scores").filter(pl.col("year") == year).select(pl.len()).collect().item() > 0


REPORTS: tuple[Report, ...] = (
    Report(
        "年度考核综合对比",
        "annual_overview.py",
        "全部组织的得分分布、排名、考核项达标热力图、各类别达标情况和同比变化，以及换届提醒。",
        filterable=True,
        terms=True,
    ),
    Report(
        "先进基层党组织评选",
        "advanced_selection.py",
        "按名额推荐的候选名单、入选概率与排名区间（稳健性）以及各候选的考核依据。",
    ),
    Report(
        "后进支部排查",
        "weak_branches.py",
        "需要重点关注的支部及原因、与同级组织的比较和多年走势。",
        filterable=True,
    ),
    Report(
        "单位画像",
        "org_profile.py",
        "一个党委及其下属组织逐项考核结果和依据，每个党委一份。",
        each="org_id",
        values=top_level_orgs,
        profile=True,
    ),
    Report(
        TERM_REPORT,
        "term_review.py",
        "应报送任期考核报告的组织（即将届满、已届满、超期未换届）每个一份：任期各年度得分、走势、"
        "各年度未达标项及依据、一票否决和届内党务干部培训。",
        each="org_id",
        values=term_report_orgs,
        terms=True,
    ),
    Report(
        "数据质量",
        "data_quality.py",
        "已导入的文件，保留、拒收和重复的行数，拒收原因（按原因、文件和组织），以及各组织逐月的报送完整性。",
    ),
    Report(
        "自评核查",
        "self_check.py",
        "各组织自评得分与按台账核定的得分对比、多报的项目及其依据、抽查名单（数据含自评得分时生成）。",
        when=has_self_scores,
    ),
)
