"""Canonical names and the Chinese words users see — the one place they live.

Every stage imports its table names, column names, vocabularies and user-facing labels from here,
so a Chinese word is never a literal sprinkled through the code.  The input contract these mirror is
``shared/spec/DATA.md``.  The module is long because it is a glossary: tables of words, one block per
table or vocabulary, with no logic to split by; keeping them in one file is what lets a reviewer check
that every word a person reads is Chinese.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

# --------------------------------------------------------------------------------------------
# Provenance columns carried by every kept row (and every reject).
# --------------------------------------------------------------------------------------------
PROV_FILE = "_file"  #: path of the source file, relative to the folder that was ingested
PROV_SHEET = "_sheet"  #: sheet name for xlsx, "" for other formats
PROV_ROW = "_row"  #: row number as the user sees it (Excel row / text-editor line / record number)
PROVENANCE = (PROV_FILE, PROV_SHEET, PROV_ROW)

ColumnKind = Literal[
    "code",  # text identifier; leading zeros kept; "123.0" from Excel -> "123"
    "text",
    "int",  # whole number >= 0
    "float",  # decimal >= 0
    "date",
    "month",  # a calendar month, stored as the date of its first day
    "bool",  # 是/否
    "org_type",
    "activity_kind",
    "incident_kind",
    "worker_role",  # 书记 / 副书记 / … (WORKER_ROLE_ALIASES)
    "year",
]


@dataclass(frozen=True)
class Column:
    """One canonical column of a table."""

    name: str
    zh: str
    kind: ColumnKind
    required: bool = False
    aliases: tuple[str, ...] = ()  # further header spellings accepted (normalised on compare)


@dataclass(frozen=True)
class Table:
    """One canonical table of the store."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    #: columns whose *absence from the file* means a value rather than "unknown"
    absent_defaults: dict[str, object] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


ORGS = Table(
    "orgs",
    "组织",
    (
        Column("org_id", "组织编码", "code", True),
        Column("name", "组织名称", "text", True),
        Column("org_type", "组织类型", "org_type", True),
        Column("parent_id", "上级组织编码", "code"),
        Column("unit", "所属单位", "text"),
        Column("member_count", "党员人数", "int"),
        Column("secretary", "书记", "text"),
        Column("secretary_mode", "书记配备方式", "text"),
        Column("mid_cadres", "中层以上党员干部人数", "int"),
        Column("term_years", "任期年限", "int"),
        Column("budget_included", "党建经费列入预算", "bool"),
        # optional (national-2019): whether the branch has 党小组 (支部条例 第十三条), and whether the
        # secretary is a (principal) party-member leader of the unit (机关条例 第八条)
        Column("has_party_groups", "党小组", "bool", aliases=("设有党小组", "是否设党小组", "有无党小组", "has_groups")),
        Column(
            "secretary_is_leader",
            "书记为本单位负责人",
            "bool",
            aliases=("书记是否为本单位负责人", "书记由本单位党员负责人担任", "书记为单位负责人", "secretary_leader"),
        ),
    ),
)

ACTIVITIES = Table(
    "activities",
    "活动记录",
    (
        Column("org_id", "组织编码", "code", True),
        Column("date", "活动日期", "date", True),
        Column("kind", "活动类型", "activity_kind", True),
        Column("topic", "主题", "text"),
        Column("attendees", "参加人数", "int"),
        Column("recorded", "有记录", "bool"),
        Column("political_theory", "政治理论", "bool"),
        Column("signed_count", "签订人数", "int"),
    ),
    absent_defaults={"recorded": True},
)

STUDY = Table(
    "study",
    "党员学习",
    (
        Column("member_id", "党员编号", "code", True),
        Column("org_id", "组织编码", "code", True),
        Column("date", "学习日期", "date", True),
        Column("days", "天数", "float", True),
        Column("topic", "学习内容", "text"),
    ),
)

ELECTIONS = Table(
    "elections",
    "换届",
    (
        Column("org_id", "组织编码", "code", True),
        Column("date", "换届日期", "date", True),
        Column("approved", "经批准", "bool"),
    ),
)

DUES = Table(
    "dues",
    "党费",
    (
        Column("org_id", "组织编码", "code", True),
        Column("month", "月份", "month", True),
        Column("due", "应交金额", "float", True),
        Column("paid", "实交金额", "float", True),
        Column("remitted_on", "上交日期", "date"),
    ),
)

INCIDENTS = Table(
    "incidents",
    "否决事项",
    (
        Column("org_id", "组织编码", "code", True),
        Column("date", "发生日期", "date", True),
        Column("kind", "事项类型", "incident_kind", True),
        Column("note", "说明", "text"),
    ),
)

INSPECTIONS = Table(
    "inspections",
    "督查评分",
    (
        Column("org_id", "组织编码", "code", True),
        Column("year", "年度", "year", True),
        Column("item", "评分项", "text", True),
        Column("score", "得分", "float", True),
    ),
)

PARTY_WORKERS = Table(
    "party_workers",
    "党务工作者",
    (
        Column("member_id", "党员编号", "code", True),
        Column("name", "姓名", "text", True, aliases=("党务工作者姓名",)),
        Column("org_id", "组织编码", "code", True),
        Column("role", "职务", "worker_role", True, aliases=("党内职务", "担任职务")),
        Column("since", "任职日期", "date", aliases=("任职时间", "任职起始日期")),
        Column("mode", "专兼职", "text", aliases=("专职/兼职", "专职或兼职")),
    ),
)

#: the scores an org claims for itself (自评); item = rule id or the item's Chinese name, checked at assess
SELF_SCORES = Table(
    "self_scores",
    "自评得分",
    (
        Column("org_id", "组织编码", "code", True),
        Column("year", "年度", "year", True, aliases=("考核年度",)),
        Column("item", "评分项", "text", True),
        Column("score", "自评得分", "float", True, aliases=("自查得分", "自评分", "self_score")),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (ORGS, ACTIVITIES, STUDY, ELECTIONS, DUES, INCIDENTS, INSPECTIONS, PARTY_WORKERS, SELF_SCORES)
}

# --------------------------------------------------------------------------------------------
# Vocabularies: id -> Chinese label, and accepted spellings -> id.
# --------------------------------------------------------------------------------------------
ORG_TYPE_ZH = {"committee": "党委", "general_branch": "党总支", "branch": "党支部"}
ORG_TYPE_ALIASES = {
    "党委": "committee",
    "机关党委": "committee",
    "committee": "committee",
    "党总支": "general_branch",
    "总支": "general_branch",
    "党总支部": "general_branch",
    "general_branch": "general_branch",
    "党支部": "branch",
    "支部": "branch",
    "联合党支部": "branch",
    "branch": "branch",
}

ACTIVITY_KIND_ZH = {
    "committee_meeting": "委员会议",
    "group_study": "集中学习",
    "member_congress": "支部党员大会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "democratic_life_meeting": "民主生活会",
    "org_life_meeting": "组织生活会",
    "heart_talk": "谈心谈话",
    "cadre_training": "党务干部培训",
    "leadership_review": "党组专题研究党建",
    "mass_org_report": "听取工青妇汇报",
    "info_submission": "信息报送",
    "annual_plan": "年度计划",
    "annual_summary": "年度总结",
    "dues_publication": "党费公示",
    "discipline_education": "党纪教育",
    "integrity_pledge": "廉洁责任状",
    "joint_building": "结对共建",
    "themed_party_day": "主题党日",
    "member_review": "民主评议党员",
    # national-2019 (机关条例 第二十六条(六)、第三十九条、第三十五条)
    "cadre_congress": "机关党员干部大会",
    "secretary_report": "书记述职",
    "party_building_report": "党建工作通报",
    "other": "其他",
}
_ACTIVITY_EXTRA_ALIASES = {
    "委员会会议": "committee_meeting",
    "党委会": "committee_meeting",
    "总支委员会": "committee_meeting",
    "支委会": "committee_meeting",
    "支部委员会": "committee_meeting",
    "理论学习": "group_study",
    "政治理论学习": "group_study",
    "党员大会": "member_congress",
    "专题研究党建工作": "leadership_review",
    "工青妇工作汇报": "mass_org_report",
    "年度工作计划": "annual_plan",
    "年度工作总结": "annual_summary",
    "党风廉政教育": "discipline_education",
    "签订廉洁自律责任状": "integrity_pledge",
    "党员示范岗": "joint_building",
    "在职党员进社区": "joint_building",
    "主题党日活动": "themed_party_day",
    "党员干部大会": "cadre_congress",
    "机关党员干部会议": "cadre_congress",
    "书记抓党建述职": "secretary_report",
    "抓党建工作述职": "secretary_report",
    "党组织书记述职": "secretary_report",
    "述职评议": "secretary_report",
    "通报党建工作": "party_building_report",
    "党建工作情况通报": "party_building_report",
    "通报抓机关党建工作情况": "party_building_report",
    "机关党建工作通报": "party_building_report",
}
ACTIVITY_KIND_ALIASES: dict[str, str] = {
    **{zh: k for k, zh in ACTIVITY_KIND_ZH.items()},
    **{k: k for k in ACTIVITY_KIND_ZH},
    **_ACTIVITY_EXTRA_ALIASES,
}
#: aliases that also set political_theory = 是 on the row
POLITICAL_THEORY_ALIASES = frozenset({"政治理论学习"})

INCIDENT_KIND_ZH = {
    "leader_disciplined": "领导班子成员受处分",
    "cadre_heavy_discipline": "中层以上干部受重处分",
    "member_expelled": "党员干部被开除",
    "major_loss": "重大失误和损失",
    "family_planning": "违反计划生育政策",
    "public_safety": "综合治理和平安创建重大问题",
}
INCIDENT_KIND_ALIASES: dict[str, str] = {
    **{zh: k for k, zh in INCIDENT_KIND_ZH.items()},
    **{k: k for k in INCIDENT_KIND_ZH},
}

#: party-affairs roles (DATA.md, table 党务工作者), in the order a committee lists them
WORKER_ROLE_ZH = {
    "secretary": "书记",
    "deputy_secretary": "副书记",
    "full_time_deputy": "专职副书记",
    "organisation": "组织委员",
    "publicity": "宣传委员",
    "discipline": "纪检委员",
    "member": "委员",
    "officer": "党务干事",
}
_WORKER_ROLE_EXTRA_ALIASES = {
    "党委书记": "secretary",
    "党总支书记": "secretary",
    "总支书记": "secretary",
    "党支部书记": "secretary",
    "支部书记": "secretary",
    "党委副书记": "deputy_secretary",
    "党总支副书记": "deputy_secretary",
    "总支副书记": "deputy_secretary",
    "党支部副书记": "deputy_secretary",
    "支部副书记": "deputy_secretary",
    "专职党委副书记": "full_time_deputy",
    "党委专职副书记": "full_time_deputy",
    "组织委员会委员": "organisation",
    "宣传委员会委员": "publicity",
    "纪律检查委员": "discipline",
    "纪委委员": "discipline",
    "党委委员": "member",
    "总支委员": "member",
    "党总支委员": "member",
    "支部委员": "member",
    "支委": "member",
    "干事": "officer",
    "组织员": "officer",
    "deputy secretary": "deputy_secretary",
    "full-time deputy secretary": "full_time_deputy",
    "organization": "organisation",
}
WORKER_ROLE_ALIASES: dict[str, str] = {
    **{zh: k for k, zh in WORKER_ROLE_ZH.items()},
    **{k: k for k in WORKER_ROLE_ZH},
    **_WORKER_ROLE_EXTRA_ALIASES,
}
#: the role whose holder the registry's ``secretary`` names
SECRETARY_ROLE = "secretary"

YES_WORDS = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "已", "t"})
NO_WORDS = frozenset({"否", "无", "n", "no", "false", "0", "×", "✗", "未", "f"})

SECRETARY_MODES = ("兼任", "专职")

# --------------------------------------------------------------------------------------------
# Results vocabulary.
# --------------------------------------------------------------------------------------------
STATUS_ZH = {
    "pass": "达标",
    "fail": "未达标",
    "pending": "届内待办",
    "not_applicable": "不适用",
    "no_data": "无数据",
}
GRADES = ("优秀", "良好", "合格", "不合格")
#: robustness labels of advanced-organization candidates
SELECTION_LABEL_ZH = {"stable": "稳定入选", "marginal": "边缘", "dropped": "落选"}
#: weak-org reason code -> short Chinese name (for filters and legends; the full reason carries the numbers)
WEAK_REASON_ZH: dict[str, str] = {
    "vetoed": "一票否决",
    "failing_grade": "考核不合格",
    "many_failed_rules": "多项规则未达标",
    "secretary_vacant": "书记空缺",
    "few_meetings": "会议次数不足",
    "far_below_peers": "明显低于同级组织",
    "declining": "连续两年得分下降",
}
#: the tiers of the weak list (issue 22): 整顿 for the hard criteria, 关注 for the others
WEAK_TIER_ZH: dict[str, str] = {"rectify": "整顿", "watch": "关注"}
#: what became of an org that was 整顿 last year (后进转化)
TURNAROUND_ZH: dict[str, str] = {"turned": "转化", "improved": "好转", "not_turned": "未转化"}
#: why a party-affairs worker is not eligible (RULES.md, "Excellent party-affairs workers"); placeholders
#: are filled by analysis/decisions/workers.py
WORKER_REASON_ZH: dict[str, str] = {
    "vetoed": "所在组织被一票否决",
    "unqualified": "所在组织考核不合格",
    "weak": "所在组织列入后进名单",
    "unknown_org": "所在组织不在组织名册中",
    "short_tenure": "任职不满{months}个月（{since}起）",
    "short_study": "本人学习 {days} 天，不足 {required} 天",
    "counted_once": "同一人已按{org}{role}参评（只排名一次）",
}
#: short names of the reasons, for counts and filters
WORKER_REASON_SHORT_ZH: dict[str, str] = {
    "vetoed": "所在组织被一票否决",
    "unqualified": "所在组织考核不合格",
    "weak": "所在组织列入后进名单",
    "unknown_org": "所在组织不在组织名册中",
    "short_tenure": "任职时间不足",
    "short_study": "本人学习天数不足",
    "counted_once": "已在另一组织或职务参评",
}
#: data warnings on a worker's row or an org of the workers table
WORKER_WARNING_ZH: dict[str, str] = {
    "since_empty": "任职日期未填，按任职已满{months}个月处理，请核实",
    "not_in_study": "党员学习记录中没有该党员编号，未核对本人学习天数",
    "secretary_differs": "组织名册中书记为“{registry}”，党务工作者表中书记为“{listed}”",
    "secretary_unlisted": "组织名册中书记为“{registry}”，党务工作者表中该组织没有书记",
    "registry_vacant": "组织名册中书记未填，党务工作者表中书记为“{listed}”",
}
#: a score tie on the cut line of the workers list
WORKER_TIE_ZH = {
    "full": "与第{places}名所在组织得分、本人学习天数和任职月数均相同，仅按党员编号排序而{side}，请评选小组裁定",
    "broken": "与第{places}名所在组织同分（{score}分），依次比较本人学习天数、任职月数后{side}",
    "in": "入选",
    "out": "落选",
}
#: the columns of the 优秀党务工作者 sheet and table, in order (column -> Chinese header)
WORKER_COLUMNS_ZH: dict[str, str] = {
    "rank": "排名",
    "name": "姓名",
    "member_id": "党员编号",
    "role": "职务",
    "mode": "专兼职",
    "org_name": "所在组织",
    "org_id": "组织编码",
    "org_type": "组织类型",
    "org_score": "组织得分",
    "org_advanced": "所在组织推荐为先进",
    "study_days": "本人学习天数",
    "months_in_role": "任职月数",
    "since": "任职日期",
    "eligible": "符合条件",
    "reasons": "不符合条件的原因",
    "selected": "推荐",
    "p_selected": "入选概率",
    "rank_p05": "排名（乐观，5%）",
    "rank_p95": "排名（保守，95%）",
    "label": "结论",
    "note": "说明",
    "warning": "数据提示",
    "source": "来源",
}
#: the sheet and workbook beside workers.csv, and the sheet of registry-secretary checks
WORKERS_SHEET = "优秀党务工作者"
SECRETARY_CHECK_SHEET = "名册书记核对"
SECRETARY_CHECK_COLUMNS_ZH = {"org_id": "组织编码", "org_name": "组织名称", "message": "数据提示"}
#: the table of reasons counted (decisions.workers.reason_counts)
REASON_COUNT_COLUMNS_ZH = {"reason": "原因", "workers": "人数"}
#: year-to-date pace colours
PACE_COLOUR_ZH = {"green": "绿", "amber": "黄", "red": "红", "grey": "灰"}


@dataclass(frozen=True)
class PaceCause:
    """Why a month, period or window of a paced rule is not met (``Pace.conditions``, ``Pace.absent``):
    ``name`` for the cause column (pace.csv), ``lost`` after it in a note once it is lost for good ("2月"
    + "未开展政治理论学习"), ``open`` while it can still be met ("6月" + "党费尚未上交").  In the notes
    ``{kinds}`` (the activity kinds the rule counts, else its title), a threshold name (``{studies}``),
    ``{window}`` and ``{end}`` are filled in for the rule, org type and unit."""

    name: str
    lost: str
    open: str
    #: written once before the words of several causes of one unit ("4月" + "党费" + "逾期上交、短缴")
    subject: str = ""


#: causes of the pace notes, by the codes the measures declare (analysis/rules/measures/*.py, ``pace=``)
PACE_CAUSE_ZH: dict[str, PaceCause] = {
    "absent": PaceCause("有时段未开展", "无{kinds}", "尚无{kinds}"),
    "unrecorded": PaceCause("未记录", "无记录", "无记录"),
    "no_study": PaceCause("未开展集中学习", "未开展集中学习", "尚未开展集中学习"),
    "few_studies": PaceCause("集中学习次数不足", "集中学习少于 {studies} 次", "集中学习尚不足 {studies} 次"),
    "no_political": PaceCause("未开展政治理论学习", "未开展政治理论学习", "尚未开展政治理论学习"),
    "dues_absent": PaceCause("未上交", "未上交", "尚未上交", "党费"),
    "dues_short": PaceCause("短缴", "短缴", "尚未交足", "党费"),
    "dues_late": PaceCause("逾期上交", "逾期上交", "尚未上交", "党费"),
    "dues_unremitted": PaceCause("逾期未上交", "逾期未上交", "尚未上交", "党费"),
    "window": PaceCause("逾期未完成", "{end}前无{window}", "尚无{window}"),
    "term": PaceCause("按届考核未达标", "未达标", "尚未完成"),
    "year_short": PaceCause("到年底未完成", "未达到要求", "尚未完成"),
}
#: the documents of a rule's date windows (ruleset ``windows.<name>``), as pace notes name them
PACE_WINDOW_ZH = {"plan": "年度计划", "summary": "年度总结", "publication": "党费张榜公布"}
#: why a rule gets no year-to-date pace (``Pace("none", why=...)``): the grey row's note
PACE_UNPACED_ZH = {
    "registry": "组织名册中的登记项，不按进度预警",
    "inspection": "督查评分在年终考核时给出，不按进度预警",
    "undeclared": "该项没有进度预警",
}
#: term status at the as-of date (RULES.md, Term assessment), in the order a reminder lists them
TERM_IN_PROGRESS, TERM_DUE_SOON, TERM_DUE, TERM_OVERDUE, TERM_NO_RECORD = (
    "任期中",
    "即将届满",
    "已届满",
    "超期未换届",
    "无换届记录",
)
TERM_STATUSES = (TERM_OVERDUE, TERM_DUE, TERM_DUE_SOON, TERM_IN_PROGRESS, TERM_NO_RECORD)
#: statuses whose orgs owe the term report and the term self-scoring table now
TERM_REPORT_DUE = (TERM_DUE_SOON, TERM_DUE, TERM_OVERDUE)
#: the failed-rule prefix of a term-wide rule (``任期:edu.cadre_training``)
TERM_WIDE = "任期"
#: the folders of ``workbench term``'s per-org files, and the narrative headings of the term report that
#: the org writes itself (the Word draft leaves a placeholder under each)
TERM_SHEET_DIR = "任期自评分表"
TERM_REPORT_DIR = "任期考核报告"
TERM_REPORT_SECTIONS = ("一、任期工作总体情况", "二、存在的问题", "三、整改措施和下一届工作打算")
#: how far the due date is, as a reminder says it (days_left > 0, = 0, < 0)
TERM_DAYS_LEFT, TERM_DUE_TODAY, TERM_DAYS_PAST = "剩余 {} 天", "今日届满", "已届满 {} 天"
#: the rows of a term report's year-by-year table (one column per year of the term, then 任期)
TERM_YEAR_ROWS = {
    "days": "任期内天数",
    "weight": "权重（计入任期的比例）",
    "score": "得分",
    "grade": "等级",
    "n_failed": "未达标项数",
}
#: a term year that is not scored: still running at the as-of date, or before the data begins
TERM_YEAR_RUNNING, TERM_YEAR_NO_DATA = "进行中，不计分", "无数据，不计分"
#: a failed item with no source row at all (e.g. no heart talk recorded in the year)
NO_EVIDENCE = "（没有相关记录）"
#: whose incident vetoes the term: the org itself or an org below it
INCIDENT_AT_SELF, INCIDENT_AT_DESCENDANT = "本组织", "下级组织"

# --------------------------------------------------------------------------------------------
# The assessment cycle with the orgs (RULES.md, "Self-assessment check and spot checks"; DATA.md,
# "Templates sent to the orgs"): self-check flags, spot-check reasons, templates, to-do notices and
# submission completeness.
# --------------------------------------------------------------------------------------------
#: the flag of selfcheck.csv: claimed above, below or within the tolerance of the computed points
SELFCHECK_OVER, SELFCHECK_UNDER, SELFCHECK_EVEN = "多报", "少报", "一致"
#: why an org is on the spot-check list (spotcheck.csv ``reason``); ``{seed}`` is the draw's seed
SPOT_REASON_ZH = {
    "inflated": "自评虚高",
    "grade": "等次变化",
    "random": "随机抽取（随机种子 {seed}）",
}
#: why a self-score row is not checked (selfcheck_refused.csv): the ruleset decides, so assess does
SELF_SCORE_REFUSED_ZH = {
    "unknown_item": "评分项“{item}”不在规则集“{ruleset}”中（应填写规则编号或自评分表中的项目名称）",
    "over_points": "自评得分 {score} 超过该项分值 {points}",
    "not_scored": "该项对本组织{status}，不计分",
}
#: the columns of the self-check tables people read (notebook, 自评核查)
SELFCHECK_COLUMNS_ZH = {
    "org_id": "组织编码",
    "name": "组织名称",
    "item": "规则编号",
    "item_zh": "考核项目",
    "claimed": "自评得分",
    "computed": "核定得分",
    "gap": "差额",
    "flag": "核查结论",
    "evidence": "核定依据",
    "claimed_score": "自评总分",
    "computed_score": "核定总分",
    "claimed_grade": "自评等次",
    "grade": "核定等次",
    "overclaim": "多报合计",
    "reason": "抽查原因",
    "file": "文件",
    "sheet": "工作表",
    "row": "行号",
    "score": "自评得分",
    "message": "原因",
}
#: the workbench's own 自评分表 (analysis/outputs/excel.py): the title of an org's table, read back by
#: ingest when the org returns the workbook with its 自查得分 filled in
SELF_SHEET_TITLE = "{name}（{org_id}）{year} 年度党建目标管理责任制自评分表"
SELF_SHEET_TOTAL = "合计"
SELF_SHEET_SUMMARY = "汇总"
#: 待办事项.xlsx (analysis/decisions/todo.py, analysis/outputs/todo.py): the to-do notice of a unit
TODO_WORKBOOK = "待办事项.xlsx"
TODO_TITLE = "{name}（{org_id}）{year} 年度党建工作待办事项（截至 {as_of}）"
TODO_INTRO = (
    "下表列出截至 {as_of} 本单位各党组织本年度尚未完成的考核要求，请按“截止日期”先后抓紧落实。"
    "预警：红＝全年已无法达标（仍须补做，以免再失分），黄＝落后于进度，绿＝进度正常但尚未完成。"
)
TODO_NOTHING = "截至 {as_of}，本单位各党组织本年度的考核要求均已完成或进度正常，暂无待办事项。"
TODO_COLUMNS_ZH = {
    "org_id": "组织编码",
    "name": "组织名称",
    "title": "考核项目",
    "colour_zh": "预警",
    "todo": "待办事项",
    "deadline": "截止日期",
    "done": "已完成",
    "required": "全年要求",
    "note": "说明",
}
#: one to-do sentence: what is still open and by when
TODO_OPEN = "尚未完成：{units}"
TODO_REMAINING = "还差 {remaining}（全年要求 {required}，已完成 {done}）"
TODO_LOST = "全年已无法达标，仍须补做"
#: 整改跟踪: last year's weak orgs, each reason and whether it still holds
FOLLOWUP_TITLE = "整改跟踪：{year} 年列入后进名单的组织（去年的原因目前是否仍存在）"
FOLLOWUP_COLUMNS_ZH = {
    "org_id": "组织编码",
    "name": "组织名称",
    "reason": "去年原因",
    "status": "目前情况",
    "detail": "说明",
}
FOLLOWUP_STATUS_ZH = {
    "holds": "仍存在",
    "behind": "落后于进度",
    "on_pace": "进度正常",
    "cleared": "已改善",
    "year_end": "年终考核时判断",
}
FOLLOWUP_DETAIL_ZH = {
    "vetoed_now": "本年度已有否决事项：{reasons}",
    "vetoed_clear": "本年度至今没有否决事项",
    "lost": "已无法全年达标：{items}",
    "behind": "落后于进度：{items}",
    "on_pace": "去年未达标的项目（{items}）目前进度正常",
    "meetings_on_pace": "{items}目前进度正常",
    "vacant": "组织名册中书记仍未填写",
    "filled": "书记：{measured}",
    "year_end": "须与同级组织比较或看全年得分，年终考核时判断",
}
#: 报送完整性 (analysis/views.py ``submission_completeness``): the monthly tables looked at, and the state
#: of an org's month — every table has rows, some have, none has ("did not send it" vs "did not do it")
COMPLETENESS_TABLES = ("activities", "study", "dues")
COMPLETENESS_STATE_ZH = {"full": "全部报送", "partial": "部分报送", "none": "未报送"}
COMPLETENESS_COLUMNS_ZH = {
    "org_id": "组织编码",
    "name": "组织名称",
    "completeness": "报送完整率",
    "months_full": "全部报送月数",
    "months_partial": "部分报送月数",
    "months_none": "未报送月数",
    "missing": "缺报（月份：缺少的表）",
    "flag": "标记",
}
COMPLETENESS_FLAG = "未完整报送"
#: 台账模板 (analysis/outputs/templates.py): the title on the first cell of its 填写说明 sheet, which is also
#: how ingest knows a returned template (its 填写说明 and 选项 sheets are then not read)
TEMPLATE_TITLE = "{name}（{org_id}）{year} 年度党建工作台账填写模板"
TEMPLATE_GUIDE_SHEET = "填写说明"
TEMPLATE_LIST_SHEET = "选项"
#: the tables a template holds, in sheet order
TEMPLATE_TABLES = ("activities", "study", "dues", "elections", "party_workers")
#: the list sheet's columns (no header of a contract table, so the sheet is never read as one)
TEMPLATE_LISTS = ("本单位组织编码", "组织名称对照", "活动类型选项", "是否选项", "职务选项", "专兼职选项")
WORKER_MODES = ("专职", "兼职")
TEMPLATE_INTRO = (
    "请在各工作表中逐行填写本单位各党组织的台账：一行一条记录，表头（第 1 行）请勿修改、删除或调换顺序，"
    "不要合并单元格。带下拉箭头的单元格请从列表中选择。全年可多次报送，同一行重复报送只计一次。"
    "本工作表和“选项”工作表不会被读入，示例只在本页。"
)
TEMPLATE_PURPOSE_ZH = {
    "activities": "本单位各党组织开展的会议和活动，每次一行：委员会议、集中学习、三会一课、民主生活会、谈心谈话、"
    "党费公示、党纪教育、廉洁责任状、信息报送、结对共建、听取工青妇汇报、年度计划和总结等。",
    "study": "党员参加学习培训的记录，每人每次一行，填写学习天数（半天填 0.5）。",
    "dues": "各党组织每月的党费：应交金额、实交金额和上交日期，每个组织每月一行。",
    "elections": "党组织换届选举，每次换届一行；提前或推迟换届的，注明是否经工委批准。",
    "party_workers": "本单位的党务工作者（书记、副书记、各委员、党务干事），每人每个职务一行；评选优秀党务工作者时使用。",
}
#: what to write in a column, by column (table.column) first, then by the column's kind
TEMPLATE_COLUMN_NOTES = {
    "org_id": "从下拉列表选择本单位的组织编码（编码与名称的对照见本页“本单位党组织”）；按文本填写，开头的 0 保留",
    "member_id": "党员编号，按文本填写，开头的 0 保留；同一党员在各表中编号一致",
    "activities.recorded": "是否有会议记录：从下拉列表选择“是”或“否”；留空视为“否”",
    "activities.political_theory": "集中学习是否为政治理论学习：“是”或“否”；留空视为“否”",
    "activities.signed_count": "廉洁责任状的签订人数（整数）；其他活动不填",
    "activities.attendees": "参加人数（整数），可不填",
    "study.days": "学习天数：大于 0、不超过 31 的数字，半天填 0.5",
    "dues.due": "本月应交党费金额（元）",
    "dues.paid": "本月实交党费金额（元）",
    "dues.remitted_on": "党费上交上级的日期，未上交的不填",
    "elections.approved": "提前或推迟换届是否经工委批准：“是”或“否”；按期换届的不填",
    "party_workers.since": "任现职的日期，可不填",
    "party_workers.mode": "从下拉列表选择“专职”或“兼职”，可不填",
    "date": "日期，如 2024-03-05（也可写 2024/3/5、2024.3.5、2024年3月5日）",
    "month": "月份，如 2024-03（也可写 2024年3月）",
    "activity_kind": "从下拉列表选择活动类型（可用的其他写法见本页末尾）",
    "worker_role": "从下拉列表选择职务：{roles}",
    "bool": "“是”或“否”",
    "int": "整数，不小于 0",
    "float": "数字，不小于 0",
    "text": "文字，可不填",
}
#: one example row of each table, shown in 填写说明 only (``{org_id}`` is one of the unit's codes)
TEMPLATE_EXAMPLES = {
    "activities": ("{org_id}", "{year}-03-05", "支委会", "研究三月份党建工作", "7", "是", "", ""),
    "study": ("000123", "{org_id}", "{year}-04-10", "0.5", "党的二十大精神专题学习"),
    "dues": ("{org_id}", "{year}-03", "1260.5", "1260.5", "{year}-03-28"),
    "elections": ("{org_id}", "{year}-11-21", ""),
    "party_workers": ("000123", "张三", "{org_id}", "书记", "{year_before}-11-21", "兼职"),
}
TEMPLATE_WORDS = {
    "required": "必填",
    "optional": "选填",
    "column": "列",
    "need": "是否必填",
    "how": "填写要求",
    "example": "示例（一行）：",
    "rules": "用于考核项目：",
    "rules_none": "用于评选和核对，不直接计分",
    "section": "{n}、{table}（工作表“{table}”）",
    "orgs": "本单位党组织（组织编码下拉列表的对照）",
    "org_code": "编码",
    "org_name": "名称",
    "org_type": "类型",
    "kinds": "活动类型及可用的其他写法",
    "kind": "活动类型",
    "aliases": "其他写法",
    "pick_code": "请从列表中选择本单位的组织编码",
    "bad_code": "该编码不是本单位的组织编码，请从下拉列表中选择",
    "pick": "请从列表中选择",
    "bad_pick": "请从下拉列表中选择",
    "date_title": "日期",
    "date_outside": "日期不在 {year} 年内，请确认",
    "number": "请填写不小于 0 的数字",
    "days": "学习天数应大于 0 且不超过 31",
}

# --------------------------------------------------------------------------------------------
# Report pages: what an ingest counted, and the words of the sortable tables' controls.
# --------------------------------------------------------------------------------------------
INGEST_TOTALS_ZH = {
    "files": "文件数",
    "files_refused": "整份拒收文件数",
    "rows_read": "读取行数",
    "rows_kept": "保留行数",
    "rows_refused": "拒收行数",
    "rows_duplicate": "重复行数",
}
#: DataTables' own words (its ``language`` option), shown above and in the report pages' tables
TABLE_UI_ZH: dict[str, object] = {
    "search": "筛选：",
    "searchPlaceholder": "输入任意文字",
    "zeroRecords": "没有符合条件的行",
    "emptyTable": "（无记录）",
    "info": "共 _TOTAL_ 行",
    "infoFiltered": "（从 _MAX_ 行中筛选）",
    "infoEmpty": "共 0 行",
    "aria": {"orderable": "：点击排序", "orderableReverse": "：点击反向排序", "orderableRemove": "：点击取消排序"},
}


# --------------------------------------------------------------------------------------------
# The office versions of the result files (考核结果.xlsx, 自评分表.xlsx 汇总): what people read in
# place of the CSV contracts' column names and true/false.
# --------------------------------------------------------------------------------------------
YES, NO = "是", "否"
#: shown where an item that is not scored (不适用, 无数据) would have points
NOT_SCORED = "—"
#: result column (Assessment frames and the CSV contracts) -> the header people read
RESULT_HEADERS: dict[str, str] = {
    "org_id": "组织编码",
    "name": "组织名称",
    "org_type": "组织类型",
    "parent_id": "上级组织编码",
    "top_id": "直属党组织编码",
    "score": "得分",
    "applicable_points": "适用分值",
    "earned_points": "实得分",
    "grade": "等次",
    "qualified": "是否合格",
    "vetoed": "一票否决",
    "veto_reasons": "否决原因",
    "failed_rules": "未达标项",
    "n_failed": "未达标项数",
    "rule_id": "规则编号",
    "clause": "条款",
    "title": "考核项目",
    "category": "类别",
    "status": "状态",
    "measured": "实际",
    "required": "要求",
    "measured_value": "实际值",
    "required_value": "要求值",
    "points": "标准分",
    "earned": "得分",
    "evidence_rows": "依据行数",
    "rank": "排名",
    "selected": "是否推荐",
    "p_selected": "入选概率",
    "rank_p05": "排名（5%分位）",
    "rank_p95": "排名（95%分位）",
    "label": "稳健性",
    "reasons": "原因",
    "tier": "层级",
    "tier_note": "层级说明",
    "last_tier": "上年层级",
    "turnaround": "转化情况",
    "still_holding": "仍存在的原因",
    "done": "已完成",
    "remaining": "尚差",
    "rate_needed": "今后每月需完成",
    "colour": "预警",
    "note": "说明",
}
#: the columns of an org's table in 自评分表.xlsx (the opinion's 《自评分表》 is lost; this layout is ours)
SELF_ASSESSMENT_HEADERS = ("项目", "考核内容及标准", "标准分", "评分方法", "自查得分", "依据")
#: the sheets of 考核结果.xlsx, by the contract each one is the office version of
RESULT_SHEETS: dict[str, str] = {
    "scores": "考核得分",
    "rules": "逐项结果",
    "advanced": "先进推荐",
    "weak": "后进排查",
    "pace": "进度预警",
    "workers": WORKERS_SHEET,
}
#: what an as-of date inside the year does (the CLI's help and output, explain): term status is judged at
#: that date (RULES.md), every other rule counts the year's records the data holds, against the full year
AS_OF_MID_YEAR = "换届和届内培训按该日判断，其余各项按数据中该年已有的全部记录、对照全年要求评分"
#: the kind of value a command-line option takes, as its help shows it (in place of ``<int>``, ``<path>``)
PARAM_TYPE_ZH = {
    "int": "整数",
    "integer": "整数",
    "float": "数字",
    "str": "文本",
    "text": "文本",
    "path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "bool": "是/否",
    "boolean": "是/否",
    "date": "日期",
    "datetime": "日期",
}
#: added to the type of an option that may be given more than once
PARAM_REPEATABLE = "（可重复）"

# --------------------------------------------------------------------------------------------
# Header normalisation.
# --------------------------------------------------------------------------------------------
def normalize_header(text: object) -> str:
    """Normalise a header cell for matching: NFKC (full-width -> half-width), no whitespace,
    lower case, and '*' marks of required columns removed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = "".join(ch for ch in s if not ch.isspace())
    return s.replace("*", "").lower()


def header_lookup(table: Table) -> dict[str, str]:
    """Map every accepted (normalised) header spelling of ``table`` to its canonical column."""
    out: dict[str, str] = {}
    for c in table.columns:
        for spelling in (c.name, c.zh, *c.aliases):
            out[normalize_header(spelling)] = c.name
    return out


# --------------------------------------------------------------------------------------------
# Reasons a row or a file is refused: code -> (Chinese, English).  Placeholders are filled by
# ``reason()``; row-level reasons name the column in the message column, not here.
# --------------------------------------------------------------------------------------------
REASONS: dict[str, tuple[str, str]] = {
    # row level
    "required_empty": ("必填项为空", "required value is empty"),
    "bad_date": ("日期无法识别", "date cannot be read"),
    "date_out_of_range": ("日期超出范围（2000-01-01 至 2100-12-31）", "date outside 2000-01-01 … 2100-12-31"),
    "bad_month": ("月份无法识别", "month cannot be read"),
    "not_a_number": ("不是数字", "not a number"),
    "not_finite": ("不是有效数字", "not a valid number (infinite, NaN or too large)"),
    "negative": ("数值不能为负数", "number is negative"),
    "not_integer": ("应为整数", "not a whole number"),
    "days_out_of_range": ("学习天数应大于0且不超过31", "days must be > 0 and ≤ 31"),
    "bad_year": ("年度无法识别", "year cannot be read"),
    "bad_bool": ("应填写“是”或“否”", "expected 是 or 否 (yes/no)"),
    "unknown_kind": ("活动类型不在规定范围内", "activity kind is not in the vocabulary"),
    "unknown_incident_kind": ("否决事项类型不在规定范围内", "incident kind is not in the vocabulary"),
    "unknown_role": (
        "职务不在规定范围内（书记、副书记、专职副书记、组织委员、宣传委员、纪检委员、委员、党务干事）",
        "role is not in the vocabulary",
    ),
    "unknown_org_type": ("组织类型无法识别（应为党委、党总支或党支部）", "org type is not committee/general branch/branch"),
    "unknown_org": ("组织编码不在组织名册中", "org code is not in the registry"),
    "unknown_parent": ("上级组织编码不在组织名册中", "parent org code is not in the registry"),
    "parent_cycle": ("上级组织关系成环", "parent relation forms a cycle"),
    "conflicting_org": ("组织编码重复且内容不一致（保留先出现的一行）", "org code repeated with different values (the first is kept)"),
    "error_cell": ("单元格为错误值 {value}", "the cell holds the error value {value}"),
    "uncached_formula": (
        "公式没有计算结果，请在 Excel 中打开并保存后再导出",
        "formula without a calculated value: open and save the workbook in Excel, then export again",
    ),
    "unclosed_quote": (
        "该行的引号没有闭合（其后各行已分别读入），请检查该行的引号",
        "the quote opened on this line is never closed (the lines after it were read on their own)",
    ),
    "too_many_fields": ("该行的字段多于表头（可能有未加引号的逗号）", "more fields than the header has (an unquoted comma?)"),
    "duplicate_column": ("表头重复（同一列出现多次）且各列取值不一致", "the header repeats this column and the copies differ"),
    "other_unit": (
        "不是本台账模板所属单位的组织编码（模板只收本单位各党组织的记录）",
        "org code of another unit than the template's",
    ),
    # file level
    "empty_file": ("空文件", "empty file"),
    "header_only": ("只有表头，没有数据行", "header only, no data rows"),
    "unknown_layout": ("无法识别表格：前20行中没有找到至少两个已知列名", "unknown layout: no row with two known column names"),
    "missing_required": ("缺少必填列", "missing required column"),
    "bad_encoding": ("无法识别文件编码（应为UTF-8或GB18030/GBK）", "undecodable text (expected UTF-8 or GB18030/GBK)"),
    "bad_excel": ("Excel文件无法打开（可能已损坏、不完整或加密）", "Excel file cannot be opened (corrupt, truncated or encrypted)"),
    "bad_json": ("JSON文件无法读取（应为记录数组）", "JSON cannot be read (expected an array of records)"),
    "bad_parquet": ("Parquet文件无法读取", "Parquet file cannot be read"),
    "cell_too_large": ("单元格内容过长", "a cell is too large"),
    "file_too_large": ("文件过大", "file too large"),
    "unreadable": ("文件无法读取", "file cannot be read"),
    "too_slow": ("文件读取超时", "reading the file took too long"),
    "unsupported_format": ("不支持的文件格式（支持 xlsx、xls、csv、json、parquet）", "unsupported file format"),
    "too_deep": ("文件嵌套层数过深，无法解析", "nesting too deep to parse"),
    "parse_failed": ("文件无法解析", "the file cannot be parsed"),
}


def reason(code: str, detail: str = "") -> tuple[str, str]:
    """(Chinese, English) reason for ``code``, with an optional detail appended to both.  A reason that
    names the cell's value (``{value}``) is filled in per row by ingest; here it is left out."""
    zh, en = (t.replace(" {value}", "") for t in REASONS[code])
    if detail:
        return f"{zh}：{detail}", f"{en}: {detail}"
    return zh, en
