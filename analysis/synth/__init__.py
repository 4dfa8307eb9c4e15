"""Synthetic exports of a fictional city's 市级机关 party organizations.

Two generators, both deterministic for a seed (same seed, same bytes):

- :func:`generate_sample` writes a small folder tree (under 5 MB) the way offices really send their files —
  workbooks with a title row above the header, GB18030 and UTF-8 CSV, JSON arrays, Parquet — covering every
  table of ``shared/spec/DATA.md``.  Its organizations have personas worth analysing (exemplary, average,
  weak, declining), a few special cases (a veto, an overdue election, vacant secretaries, approved late
  elections) and a handful of injected faults.  The returned :class:`SynthReport` holds that ground truth;
  nothing but export files is written to the folder, because every file in it gets ingested.
- :func:`generate_parquet` writes canonical Parquet at benchmark scale, vectorised and in chunks so that
  memory stays bounded at hundreds of thousands of organizations.

Assumptions and caveats
-----------------------
- The registry is one snapshot (the end of the last year) used for every year.
- Inspection items and their points (``manual.style`` 6, ``manual.duty`` 5, ``manual.mass`` 4) follow the
  rubric of ``shared/spec/RULES.md``; scores never exceed the points.
- An injected fault is an *extra* row: a copy of a valid row of the same file with exactly one value spoiled,
  so refusing it leaves the personas' data intact.  Duplicates are extra copies of valid rows, and the late
  reports' new rows (an ``other`` activity, an extra study day of an exemplary member) change no result.
- Exemplary orgs meet every rule of the ``changzhou-2009`` ruleset in every year they are exemplary (a
  declining org is exemplary in 2022, average in 2023, weak in 2024); weak ones hold at most two committee
  meetings and, as branches, fewer than half the 三会一课.  A veto makes an exemplary ancestor 不合格 anyway.
"""

from __future__ import annotations

import calendar
import csv
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import xlsxwriter

from analysis.store import table_schema
from analysis.vocab import (
    ACTIVITIES,
    ACTIVITY_KIND_ALIASES,
    ACTIVITY_KIND_ZH,
    DUES,
    ELECTIONS,
    INCIDENT_KIND_ZH,
    INCIDENTS,
    INSPECTIONS,
    NO_WORDS,
    ORG_TYPE_ALIASES,
    ORG_TYPE_ZH,
    ORGS,
    POLITICAL_THEORY_ALIASES,
    PROVENANCE,
    SECRETARY_MODES,
    STUDY,
    TABLES,
    YES_WORDS,
)

# ---------------------------------------------------------------------------------------------
# Public vocabulary of the generator.
# ---------------------------------------------------------------------------------------------
SAMPLE_YEARS = (2022, 2023, 2024)
PERSONAS = ("exemplary", "average", "weak", "declining")
FAULT_KINDS = ("bad_date", "unknown_kind", "unknown_org", "negative", "duplicate")
#: rubric items scored from the inspection table, with their points (RULES.md rubric)
MANUAL_POINTS = {"manual.style": 6.0, "manual.duty": 5.0, "manual.mass": 4.0}
#: terms of office by org type (RULES.md ``org.term_election``)
TERM_YEARS = {"committee": 4, "general_branch": 3, "branch": 2}
#: ``duty.info_submissions`` thresholds by org type
INFO_REQUIRED = {"committee": 12, "general_branch": 6, "branch": 3}

Level = Literal["exemplary", "average", "weak"]
FileFormat = Literal["xlsx", "csv-gb18030", "csv-utf8", "csv-utf8-bom", "json", "parquet"]
FaultKind = Literal["bad_date", "unknown_kind", "unknown_org", "negative", "duplicate"]
#: canonical column -> value; keys starting with "_" are hints for the writer, never written
Record = dict[str, object]
_ORG_TYPE = "_org_type"  # hint on activity rows: the type of the org, to spell its committee meetings

CITY = "青溪市"
_N_TOP = 60
_TOP_TYPES = {"committee": 46, "general_branch": 10, "branch": 4}
_SUB_GENERAL_BRANCHES = 24  # general branches under a top-level committee
_N_ORGS = 300
_DECLINE: dict[int, Level] = {2022: "exemplary", 2023: "average", 2024: "weak"}
_CREATED = datetime(2025, 1, 15, 9, 0, 0)  # fixed workbook property: files carry no clock time
_AS_OF_END = date(SAMPLE_YEARS[-1], 12, 31)
_LATE = "补报"  # folder and file names of late reports
_YES_ZH, _NO_ZH = "是", "否"
_YES_EN, _NO_EN = "yes", "no"
assert {_YES_ZH, _YES_EN} <= YES_WORDS and {_NO_ZH, _NO_EN} <= NO_WORDS

_DEPARTMENTS = (
    "市委办公室", "市人大常委会办公室", "市政府办公室", "市政协办公室", "市纪委监委",
    "市委组织部", "市委宣传部", "市委统战部", "市委政法委", "市委政策研究室",
    "市委编办", "市委党校", "市委网信办", "市发展和改革委员会", "市教育局",
    "市科学技术局", "市工业和信息化局", "市公安局", "市民政局", "市司法局",
    "市财政局", "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局",
    "市城市管理局", "市交通运输局", "市水利局", "市农业农村局", "市商务局",
    "市文化广电和旅游局", "市卫生健康委员会", "市退役军人事务局", "市应急管理局", "市审计局",
    "市国资委", "市市场监督管理局", "市体育局", "市统计局", "市医疗保障局",
    "市信访局", "市机关事务管理局", "市数据局", "市地方金融管理局", "市行政审批局",
    "市中级人民法院", "市人民检察院", "市总工会", "团市委", "市妇联",
    "市科协", "市文联", "市侨联", "市残联", "市红十字会",
    "市档案馆", "市地方志办公室", "市公共资源交易中心", "市住房公积金管理中心", "市供销合作总社",
)  # fmt: skip
_OFFICES = (
    "办公室", "综合处", "政策法规处", "规划处", "财务处", "人事处", "监督检查处", "信息中心",
    "执法支队", "服务中心", "研究室", "宣传处", "审批处", "督查处", "行政处", "后勤中心",
)  # fmt: skip
_SUB_UNITS = ("直属单位", "离退休干部", "事业单位", "执法大队", "机关服务")
_NUMERALS = "一二三四五六七八九十"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宁晨阳海燕亮"

#: topics of activity rows; political study topics are kept apart
_TOPICS: dict[str, tuple[str, ...]] = {
    "committee_meeting": ("研究部署党建工作", "研究发展党员工作", "讨论年度工作要点", "研究党费收缴"),
    "group_study": ("业务知识学习", "法律法规学习", "保密知识学习"),
    "political": ("学习党的二十大精神", "学习党章", "学习新时代中国特色社会主义思想", "学习纪律处分条例"),
    "party_lecture": ("书记讲党课", "专题党课"),
    "themed_party_day": ("志愿服务", "参观红色教育基地", "重温入党誓词"),
    "heart_talk": ("书记与班子成员谈心", "与新进党员谈心"),
    "joint_building": ("与社区结对共建", "党员志愿服务进社区"),
    "info_submission": ("党建工作动态", "活动简报"),
    "discipline_education": ("警示教育", "观看警示教育片"),
    "other": ("读书分享", "知识竞赛"),
}
_STUDY_TOPICS = ("网络培训", "专题辅导", "集中轮训", "读书班")
_INCIDENT_NOTES = {
    "member_expelled": "党员干部违纪被开除党籍",
    "major_loss": "项目管理失误造成重大损失",
    "cadre_heavy_discipline": "中层干部受撤职处分",
}
#: activity kinds written as one row without a head count
_NO_ATTENDEES = frozenset(
    {"info_submission", "annual_plan", "annual_summary", "dues_publication", "integrity_pledge"}
)
#: probability that a row of (level, kind) was held without minutes
_UNRECORDED: dict[tuple[str, str], float] = {
    ("average", "committee_meeting"): 0.05,
    ("average", "democratic_life_meeting"): 0.1,
    ("weak", "committee_meeting"): 0.4,
    ("weak", "democratic_life_meeting"): 0.5,
    ("weak", "member_congress"): 0.2,
    ("weak", "group_meeting"): 0.2,
    ("weak", "party_lecture"): 0.2,
}
#: kinds of the 三会一课 sheet when a workbook splits its activities in two sheets
_MEETING_KINDS = ("committee_meeting", "member_congress", "group_meeting", "party_lecture")


def persona_level(persona: str, year: int) -> Level:
    """The level of work a persona does in ``year``: a declining org slides exemplary → average → weak."""
    if persona == "declining":
        return _DECLINE[min(max(year, min(_DECLINE)), max(_DECLINE))]
    if persona not in ("exemplary", "average", "weak"):
        raise ValueError(f"unknown persona: {persona}")
    return persona  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    """One injected bad row, located as the user sees it.

    ``row`` is the Excel row number (title rows and header counted), the CSV line number (header line
    counted) or the JSON/Parquet record number starting at 1.  ``column`` is the canonical column holding
    the spoiled value ("" for a duplicate).  For a duplicate, ``duplicate_of`` is the (file, sheet, row) of
    the copy that ingest keeps: the first in (file, sheet, row) order.
    """

    file: str
    sheet: str
    row: int
    table: str
    column: str
    kind: FaultKind
    value: str
    duplicate_of: tuple[str, str, int] | None = None


@dataclass(frozen=True)
class SynthReport:
    """What :func:`generate_sample` wrote, and the ground truth tests check results against.

    Attributes
    ----------
    root : Path
        The sample folder.
    seed : int
    years : tuple of int
    files : tuple of str
        Every file written, relative POSIX paths, sorted.
    rows_written : dict
        Data rows written per canonical table, faults and duplicates included.
    rows_valid : dict
        Rows an ingest must keep per table (written minus faults minus duplicates).
    faults : tuple of Fault
        Injected bad rows and duplicates, sorted by (file, sheet, row).
    refused_files : tuple of str
        Files whose layout no table matches; ingest refuses them whole.
    top_level : tuple of str
        Org ids of the top-level organizations (直属党组织).
    personas : dict
        Org id → persona (``exemplary``, ``average``, ``weak``, ``declining``); see :func:`persona_level`.
    vetoed : dict
        Year → org ids vetoed that year (the org named by an incident and all its ancestors).
    overdue : dict
        Year → org ids whose term is more than a month overdue on 31 December.
    vacant_secretaries : tuple of str
        Orgs with an empty 书记 in the registry.
    approved_late : tuple of str
        Orgs that held an approved election 4–5 months after its due date.
    """

    root: Path
    seed: int
    years: tuple[int, ...]
    files: tuple[str, ...]
    rows_written: dict[str, int]
    rows_valid: dict[str, int]
    faults: tuple[Fault, ...]
    refused_files: tuple[str, ...]
    top_level: tuple[str, ...]
    personas: dict[str, str]
    vetoed: dict[int, tuple[str, ...]]
    overdue: dict[int, tuple[str, ...]]
    vacant_secretaries: tuple[str, ...]
    approved_late: tuple[str, ...]

    def level(self, org_id: str, year: int) -> Level:
        """The level of work ``org_id`` did in ``year``."""
        return persona_level(self.personas[org_id], year)


# ---------------------------------------------------------------------------------------------
# The organizations.
# ---------------------------------------------------------------------------------------------
@dataclass
class _Org:
    org_id: str
    name: str
    org_type: str
    parent_id: str | None
    unit: str
    member_count: int
    secretary: str | None
    secretary_mode: str
    mid_cadres: int | None
    term_years: int
    budget_included: bool | None
    persona: str = "average"

    @property
    def is_top(self) -> bool:
        return self.parent_id is None

    @property
    def term(self) -> int:
        """The term the rules use: the type's, or 4 y for a general branch registered with 4."""
        if self.org_type == "general_branch" and self.term_years == 4 and not self.is_top:
            return 4
        return TERM_YEARS[self.org_type]

    def record(self) -> Record:
        return {c: getattr(self, c) for c in ORGS.names}


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _new_org(
    rng: random.Random, org_id: str, org_type: str, name: str, parent: _Org | None, unit: str
) -> _Org:
    top = parent is None
    low, high = {"committee": (5, 15), "general_branch": (5, 12), "branch": (5, 30)}[org_type]
    return _Org(
        org_id=org_id,
        name=name,
        org_type=org_type,
        parent_id=None if parent is None else parent.org_id,
        unit=unit,
        member_count=rng.randint(low, high) + (rng.randint(1, 10) if rng.random() < 0.1 else 0),
        secretary=_person(rng),
        secretary_mode=SECRETARY_MODES[int(org_type == "committee" and rng.random() < 0.4)],
        mid_cadres=rng.randint(4, 25) if top else None,
        term_years=TERM_YEARS[org_type],
        budget_included=True if top else None,
    )


def _build_orgs(rng: random.Random) -> list[_Org]:
    """Sixty top-level orgs and their general branches and branches: exactly 300 orgs.

    Codes are ``DDD000`` for the top-level org of department ``DDD`` and ``DDDnnn`` below it.
    """
    types = [t for t, n in _TOP_TYPES.items() for _ in range(n)]
    rng.shuffle(types)
    with_sub = set(rng.sample([i for i, t in enumerate(types) if t == "committee"], _SUB_GENERAL_BRANCHES))
    # Holders of branches: each top org that is not a branch (level 0) and each sub general branch
    # (level 1).  Every holder gets two branches, the rest are spread at random.
    holders = [(i, 0) for i, t in enumerate(types) if t != "branch"] + [(i, 1) for i in sorted(with_sub)]
    held = dict.fromkeys(holders, 2)
    for _ in range(_N_ORGS - _N_TOP - _SUB_GENERAL_BRANCHES - 2 * len(holders)):
        held[rng.choice(holders)] += 1

    orgs: list[_Org] = []
    for i, (dept, top_type) in enumerate(zip(_DEPARTMENTS, types, strict=True)):
        prefix = f"{i + 1:03d}"
        codes = (f"{prefix}{k:03d}" for k in range(1000))
        branch_zh = ORG_TYPE_ZH["branch"]
        top = _new_org(rng, next(codes), top_type, f"{dept}机关{ORG_TYPE_ZH[top_type]}", None, dept)
        orgs.append(top)
        offices = rng.sample(_OFFICES, held.get((i, 0), 0))
        orgs += [_new_org(rng, next(codes), "branch", f"{dept}{o}{branch_zh}", top, dept) for o in offices]
        if i in with_sub:
            sub_unit = rng.choice(_SUB_UNITS)
            name = f"{dept}{sub_unit}{ORG_TYPE_ZH['general_branch']}"
            sub = _new_org(rng, next(codes), "general_branch", name, top, dept)
            sub.term_years = rng.choice((3, 4))  # 4 is allowed under a committee (RULES.md)
            orgs.append(sub)
            orgs += [
                _new_org(
                    rng, next(codes), "branch", f"{dept}{sub_unit}第{_NUMERALS[k]}{branch_zh}", sub, dept
                )
                for k in range(held[(i, 1)])
            ]
    return orgs


def _assign_personas(rng: random.Random, orgs: list[_Org]) -> None:
    bases = ["exemplary"] * 14 + ["average"] * 37 + ["weak"] * 5 + ["declining"] * 4
    rng.shuffle(bases)
    base_of = dict(zip((o.org_id for o in orgs if o.is_top), bases, strict=True))
    for o in orgs:
        base = base_of[o.org_id[:3] + "000"]
        r = rng.random()
        if o.is_top or base == "declining":
            o.persona = base
        elif base == "exemplary":
            o.persona = "average" if r < 0.2 else "exemplary"
        elif base == "weak":
            o.persona = "average" if r < 0.3 else "weak"
        else:
            o.persona = "weak" if r < 0.06 else "exemplary" if r < 0.24 else "average"
        if o.is_top and o.persona == "weak" and rng.random() < 0.5:
            o.budget_included = False


@dataclass(frozen=True)
class _Cases:
    """The special cases of the sample, chosen once so that no org plays two of them."""

    veto: tuple[tuple[str, date, str], ...]  # (org_id, date, incident kind)
    overdue: str
    vacant: tuple[str, ...]
    late: tuple[str, ...]


def _pick_cases(rng: random.Random, orgs: list[_Org]) -> _Cases:
    by_id = {o.org_id: o for o in orgs}
    used_units: list[str] = []

    def pick(candidates: Iterable[_Org]) -> _Org:
        pool = [o for o in candidates if o.org_id[:3] not in used_units]
        chosen = rng.choice(pool)
        used_units.append(chosen.org_id[:3])
        return chosen

    def average_unit(o: _Org) -> bool:
        return by_id[o.org_id[:3] + "000"].persona == "average"

    branches = [o for o in orgs if o.org_type == "branch" and not o.is_top]
    # 2024: a branch under a general branch under a committee (the veto climbs two levels), and a top org.
    deep = pick(
        o
        for o in branches
        if average_unit(o) and o.persona == "average" and not by_id[o.parent_id or ""].is_top
    )
    top = pick(o for o in orgs if o.is_top and o.org_type == "committee" and o.persona == "average")
    early = pick(o for o in branches if average_unit(o) and o.persona == "average")
    veto = (
        (deep.org_id, date(2024, 5, 14), "member_expelled"),
        (top.org_id, date(2024, 9, 3), "major_loss"),
        (early.org_id, date(2022, 6, 21), "cadre_heavy_discipline"),
    )
    overdue = pick(o for o in branches if o.persona == "average")
    vacant = [pick(o for o in branches if o.persona in ("average", "weak")) for _ in range(3)]
    late = [pick(o for o in branches if o.persona == p) for p in ("exemplary", "average")]
    for o in vacant:
        o.secretary = None
    return _Cases(
        veto=veto,
        overdue=overdue.org_id,
        vacant=tuple(sorted(o.org_id for o in vacant)),
        late=tuple(sorted(o.org_id for o in late)),
    )


# ---------------------------------------------------------------------------------------------
# Canonical rows of each table.
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _weekdays(year: int, month: int | None = None) -> tuple[date, ...]:
    """Monday–Friday dates of a month, or of the whole year."""
    months = range(1, 13) if month is None else (month,)
    return tuple(
        date(year, m, d)
        for m in months
        for d in range(1, calendar.monthrange(year, m)[1] + 1)
        if date(year, m, d).weekday() < 5
    )


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _activity_plan(rng: random.Random, org: _Org, level: Level) -> tuple[dict[str, list[int]], list[int]]:
    """How many rows of each kind the org holds in each month, and political studies per month."""
    counts: dict[str, list[int]] = {}
    ex, weak = level == "exemplary", level == "weak"
    quarters = [range(3 * q, 3 * q + 3) for q in range(4)]
    halves = [range(0, 6), range(6, 12)]

    def put(kind: str, months: Iterable[int]) -> None:
        row = counts.setdefault(kind, [0] * 12)
        for m in months:
            row[m] += 1

    def pick(k: int, pool: Iterable[int] = range(12)) -> list[int]:
        return rng.sample(list(pool), k)

    def chance(p: float) -> bool:
        return rng.random() < p

    # 一(5) committee meetings: every bimonthly window (an average org may skip one), or a couple.
    if weak:
        put("committee_meeting", pick(rng.randint(1, 2)))
    else:
        windows = pick(5 if not ex and chance(0.3) else 6, range(6))
        held = [2 * w + rng.randrange(2) for w in windows]
        put("committee_meeting", held)
        if ex:  # a few windows hold a second meeting, in their other month
            put("committee_meeting", [m ^ 1 for m in rng.sample(held, rng.randint(0, 2))])
    # 二(1) two studies a month, one of them political theory.
    study, political = [0] * 12, [0] * 12
    if weak:
        for m in pick(rng.randint(5, 8)):
            study[m], political[m] = 1, int(chance(0.6))
    else:
        study, political = [2] * 12, [1] * 12
        if not ex and chance(0.35):  # an average org slips in one month: one study short, or no theory
            slip = rng.randrange(12)
            if chance(0.5):
                study[slip] = 1
            else:
                political[slip] = 0
    counts["group_study"] = study
    if org.org_type == "branch":
        # 二(2) 三会一课
        if ex:
            put("member_congress", [rng.choice(q) for q in quarters])
            put("group_meeting", pick(rng.randint(8, 12)))
            put("party_lecture", [rng.choice(q) for q in quarters])
        elif weak:
            put("member_congress", pick(1))
            put("group_meeting", pick(rng.randint(1, 2)))
            put("party_lecture", pick(rng.randint(0, 1)))
        else:
            put("member_congress", [rng.choice(q) for q in rng.sample(quarters, 3)])
            put("group_meeting", pick(rng.randint(6, 9)))
            put("party_lecture", [rng.choice(q) for q in rng.sample(quarters, rng.randint(2, 3))])
        put(
            "themed_party_day",
            pick(rng.randint(2, 3) if weak else rng.randint(8, 12) if ex else rng.randint(6, 10)),
        )
        if not weak or chance(0.5):
            put("org_life_meeting", pick(1, (0, 1, 11)))
        if ex or (not weak and chance(0.8)):
            put("member_review", pick(1, (0, 11)))
    else:
        put("party_lecture", [rng.choice(h) for h in halves[: 0 if weak else 2 if ex else 1]])
        if ex or (not weak and chance(0.7)):
            put("cadre_training", pick(1, range(2, 11)))
    if not weak or chance(0.5):
        put("democratic_life_meeting", pick(1, (0, 1, 11)))
    if ex:
        put("heart_talk", [rng.choice(h) for h in halves])
    elif chance(0.4 if weak else 0.9):
        put("heart_talk", pick(1))
    for kind in ("discipline_education", "joint_building"):
        if not weak or chance(0.5):
            put(kind, pick(2 if ex else 1))
    required = INFO_REQUIRED[org.org_type]
    if ex:
        n_info = required + rng.randint(0, 3)
    elif weak:
        n_info = max(1, required // 3)
    else:
        n_info = max(1, required + rng.choice((0, 0, 0, 1, -1)))
    put("info_submission", [*range(12), *pick(n_info - 12)] if n_info > 12 else pick(n_info))
    r = rng.random()
    if ex or (not weak and r < 0.9) or (weak and r < 0.5):
        put("annual_plan", pick(1, range(3)))
    elif not weak or r < 0.75:
        put("annual_plan", pick(1, (3, 4)))  # late
    if ex or chance(0.4 if weak else 0.9):
        put("annual_summary", pick(1, (11,) if ex or weak else (10, 11)))
    if ex or chance(0.3 if weak else 0.9):
        put("dues_publication", (11,))
    if chance(0.3):
        put("other", pick(1))
    if org.is_top:
        if ex or (not weak and chance(0.85)):
            put("leadership_review", [rng.choice(h) for h in halves])
        else:
            put("leadership_review", pick(1, halves[0]))
        if ex:
            put("mass_org_report", pick(rng.randint(2, 3)))
        else:
            put("mass_org_report", pick(rng.randint(0, 1) if weak else 2 if chance(0.8) else 1))
        put("integrity_pledge", pick(1, (1, 2, 3)))
    return counts, political


def _activity_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    counts, political = _activity_plan(rng, org, level)
    rows: list[Record] = []
    for kind in ACTIVITY_KIND_ZH:  # vocabulary order: deterministic
        for month, k in enumerate(counts.get(kind, ()), start=1):
            for i, day in enumerate(sorted(rng.sample(_weekdays(year, month), k))):
                is_political = kind == "group_study" and i < political[month - 1]
                if kind in _NO_ATTENDEES:
                    attendees = None
                elif kind == "committee_meeting":
                    attendees = min(org.member_count, rng.randint(3, 7))
                elif kind in ("leadership_review", "heart_talk"):
                    attendees = rng.randint(2, 9)
                else:
                    attendees = max(1, round(org.member_count * rng.uniform(0.7, 1.0)))
                signed = None
                if kind == "integrity_pledge":
                    mid = org.mid_cadres or 0
                    short = {"exemplary": 0, "average": rng.choice((0, 0, 0, 1, 2)), "weak": mid // 2}[level]
                    signed = max(0, mid - short)
                topics = _TOPICS.get("political" if is_political else kind, ())
                rows.append(
                    {
                        "org_id": org.org_id,
                        _ORG_TYPE: org.org_type,
                        "date": day,
                        "kind": kind,
                        "topic": rng.choice(topics) if topics and rng.random() < 0.85 else None,
                        "attendees": attendees,
                        "recorded": rng.random() >= _UNRECORDED.get((level, kind), 0.0),
                        "political_theory": is_political if kind == "group_study" else None,
                        "signed_count": signed,
                    }
                )
    return rows


def _study_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    """Sessions per member: a full member reaches 12 days, a short one stays below."""
    full_share = {"exemplary": 1.0, "average": 1.0 if rng.random() < 0.65 else 0.85, "weak": 0.4}[level]
    absent_share = {"exemplary": 0.0, "average": 0.0, "weak": 0.15}[level]
    rows: list[Record] = []
    for k in range(1, org.member_count + 1):
        r = rng.random()
        if r < full_share:
            n = rng.randint(4, 6)
            days = [3.0] * 4 if n == 4 else [rng.choice((2.5, 3.0)) for _ in range(n)]
        elif r < 1.0 - absent_share:
            days = [rng.choice((0.5, 1.0, 1.5, 2.0, 2.5)) for _ in range(rng.randint(1, 4))]
        else:
            continue
        for d, when in zip(days, sorted(rng.sample(_weekdays(year), len(days))), strict=True):
            topic = rng.choice(_STUDY_TOPICS) if rng.random() < 0.3 else None
            rows.append(
                {
                    "member_id": f"{org.org_id}{k:03d}",
                    "org_id": org.org_id,
                    "date": when,
                    "days": d,
                    "topic": topic,
                }
            )
    return rows


def _dues_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    rate = rng.randint(25, 60) + rng.choice((0.0, 0.5))
    due = round(org.member_count * rate, 2)
    rows: list[Record] = []
    late_month = rng.randint(1, 12) if level == "average" and rng.random() < 0.3 else None  # one slip at most
    for m in range(1, 13):
        late = {"exemplary": 0.0, "average": 1.0 if m == late_month else 0.0, "weak": 0.25}[level]
        short = {"exemplary": 0.0, "average": 0.0, "weak": 0.2}[level]
        if level == "weak" and rng.random() < 0.08:
            continue  # a month never paid
        pay_month = _add_months(date(year, m, 1), 2 if rng.random() < late else 1)
        rows.append(
            {
                "org_id": org.org_id,
                "month": date(year, m, 1),
                "due": due,
                "paid": round(due * 0.8, 2) if rng.random() < short else due,
                "remitted_on": rng.choice(_weekdays(pay_month.year, pay_month.month)[2:18]),
            }
        )
    return rows


def _election_rows(rng: random.Random, org: _Org, case: str) -> list[Record]:
    """Election history since 2012: each within 20 days of its due date, except the special cases.

    ``case`` is ``late`` (the election due in 2023 is held 4–5 months late, approved), ``overdue`` (no
    election since 2021) or ``normal``.
    """
    term = org.term
    if case == "normal":
        held = date(2012, 1, 1) + timedelta(days=rng.randrange(term * 365))
    else:
        held = date(2013, 3 if case == "late" else 4, rng.randint(1, 20))
    rows: list[Record] = []
    approved: bool | None = None
    while held <= _AS_OF_END and not (case == "overdue" and held.year >= 2023):
        rows.append({"org_id": org.org_id, "date": held, "approved": approved})
        due = _add_months(held, 12 * term)
        if case == "late" and due.year == 2023:
            held, approved = due + timedelta(days=rng.randint(120, 150)), True
        else:
            held, approved = due + timedelta(days=rng.randint(-20, 20)), None
    return rows


def _inspection_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    share = {"exemplary": (0.92, 1.0), "average": (0.7, 0.9), "weak": (0.4, 0.65)}[level]
    return [
        {
            "org_id": org.org_id,
            "year": year,
            "item": item,
            "score": round(points * rng.uniform(*share) * 2) / 2,
        }
        for item, points in MANUAL_POINTS.items()
    ]


# ---------------------------------------------------------------------------------------------
# Files: a sheet is canonical records plus the way they are spelled.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Raw:
    """A value written verbatim, whatever the column (used for faults)."""

    value: str | int | float


@dataclass(frozen=True)
class _Style:
    lang: Literal["zh", "en"] = "zh"
    dates: tuple[str, ...] = ("iso",)  # drawn per cell: iso slash dot zh time midnight cell serial
    month: Literal["dash", "zh"] = "dash"
    headers: Literal["plain", "star", "spaced", "fullwidth", "upper"] = "plain"
    alias_rate: float = 0.0
    blank_no: bool = False  # 否 written as an empty cell where the contract allows it


@dataclass
class _Sheet:
    table: str
    columns: list[str]
    records: list[Record]
    style: _Style = field(default_factory=_Style)
    name: str = ""
    title: tuple[str, ...] = ()


@dataclass
class _File:
    path: str
    fmt: FileFormat
    sheets: list[_Sheet]

    def first_row(self, sheet: _Sheet) -> int:
        """The row number, as the user sees it, of the sheet's first record."""
        if self.fmt == "xlsx":
            return len(sheet.title) + 2
        return 2 if self.fmt.startswith("csv") else 1


def _header(table: str, column: str, style: _Style) -> str:
    col = TABLES[table].column(column)
    if style.lang == "en":
        text = col.name
        if style.headers == "upper":
            return text.upper()
        if style.headers == "fullwidth":
            return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)
        return f" {text} " if style.headers == "spaced" else text
    text = col.zh
    if style.headers == "star" and col.required:
        return text + "*"
    if style.headers == "fullwidth" and col.required:
        return text + "＊"
    if style.headers == "spaced":
        return f"{text[:2]} {text[2:]}" if len(text) > 3 else text + "\u3000"
    return text


def _type_mark(org_type: str) -> str:
    """The shortest Chinese spelling of an org type (党委, 总支, 支部): how a word names that type."""
    return min((a for a, t in ORG_TYPE_ALIASES.items() if t == org_type and not a.isascii()), key=len)


@cache
def _aliases(kind: str, key: str, org_type: str = "") -> tuple[str, ...]:
    """The other Chinese spellings the vocabulary accepts for org type or activity kind ``key``.

    Aliases that also set political_theory are left out: they are used only for political studies.  A
    committee meeting is spelled for the org that held it: 党委会 for a committee, 总支委员会 for a general
    branch, and for a branch any spelling that names no other type.
    """
    accepted, labels = (
        (ORG_TYPE_ALIASES, ORG_TYPE_ZH) if kind == "org_type" else (ACTIVITY_KIND_ALIASES, ACTIVITY_KIND_ZH)
    )
    spellings = [
        a
        for a, k in accepted.items()
        if k == key and not a.isascii() and a != labels[key] and a not in POLITICAL_THEORY_ALIASES
    ]
    if key == "committee_meeting" and org_type == "branch":
        others = [_type_mark(t) for t in ORG_TYPE_ZH if t != org_type]
        spellings = [a for a in spellings if not any(m in a for m in others)]
    elif key == "committee_meeting":
        spellings = [a for a in spellings if _type_mark(org_type) in a]
    return tuple(sorted(spellings))


@cache
def _kind_of(table: str, column: str) -> str:
    return TABLES[table].column(column).kind


def _render_date(d: date, how: str, rng: random.Random) -> object:
    if how == "cell":
        return d
    if how == "serial":
        return (d - date(1899, 12, 30)).days
    text = {
        "iso": f"{d:%Y-%m-%d}",
        "midnight": f"{d:%Y-%m-%d} 00:00:00",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "zh": f"{d.year}年{d.month}月{d.day}日",
    }.get(how)
    return text or f"{d.year}/{d.month}/{d.day}  {rng.randint(8, 17)}:{rng.choice((0, 15, 30, 45)):02d}"


def _render(sheet: _Sheet, rec: Record, column: str, rng: random.Random) -> object:
    """The cell value of one canonical value, as this sheet spells it (``None`` = empty cell)."""
    value, style = rec.get(column), sheet.style
    if isinstance(value, _Raw):
        return value.value
    if value is None:
        return None
    kind = _kind_of(sheet.table, column)
    en = style.lang == "en"
    if kind == "bool":
        if value:
            return _YES_EN if en else _YES_ZH
        return None if style.blank_no else _NO_EN if en else _NO_ZH
    if kind == "date":
        return _render_date(value, rng.choice(style.dates), rng)  # type: ignore[arg-type]
    if kind == "month":
        d: date = value  # type: ignore[assignment]
        return f"{d.year}-{d.month:02d}" if style.month == "dash" else f"{d.year}年{d.month}月"
    if en or kind not in ("org_type", "activity_kind", "incident_kind"):
        return value
    if kind == "incident_kind":
        return INCIDENT_KIND_ZH[value]  # type: ignore[index]
    # A political study is spelled 政治理论学习 when the file has no 政治理论 column to say so.
    if kind == "activity_kind" and rec.get("political_theory"):
        if rng.random() < style.alias_rate or "political_theory" not in sheet.columns:
            return min(POLITICAL_THEORY_ALIASES)
    aliases = _aliases(kind, value, str(rec.get(_ORG_TYPE, "")))  # type: ignore[arg-type]
    if kind == "org_type":  # the registry spells a type with a word of the org's name (机关党委)
        aliases = tuple(a for a in aliases if a in str(rec.get("name")))
    if aliases and rng.random() < style.alias_rate:
        return rng.choice(aliases)
    return (ORG_TYPE_ZH if kind == "org_type" else ACTIVITY_KIND_ZH)[value]  # type: ignore[index]


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else f"{cell:.2f}".rstrip("0")
    return str(cell)


def _write_file(root: Path, f: _File, rng: random.Random) -> None:
    path = root / f.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.fmt == "xlsx":
        _write_xlsx(path, f.sheets, rng)
        return
    (sheet,) = f.sheets
    headers = [_header(sheet.table, c, sheet.style) for c in sheet.columns]
    if f.fmt == "parquet":
        schema = _canonical_schema(sheet.table)
        frame = pl.DataFrame(
            {c: [rec.get(c) for rec in sheet.records] for c in sheet.columns},
            schema={c: schema[c] for c in sheet.columns},
        )
        frame.rename(dict(zip(sheet.columns, headers, strict=True))).write_parquet(path)
        return
    rows = [[_render(sheet, rec, c, rng) for c in sheet.columns] for rec in sheet.records]
    if f.fmt == "json":
        lines = (
            json.dumps(dict(zip(headers, row, strict=True)), ensure_ascii=False, separators=(",", ":"))
            for row in rows
        )
        path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
        return
    encoding = {"csv-gb18030": "gb18030", "csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig"}[f.fmt]
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows([_text(cell) for cell in row] for row in rows)


def _write_xlsx(path: Path, sheets: Sequence[_Sheet], rng: random.Random) -> None:
    # in_memory: zip members get Excel's fixed 1980 timestamp rather than a local-time one.
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False, "in_memory": True})
    wb.set_properties({"created": _CREATED, "author": CITY})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name or None)
        width = max(len(sheet.columns), 2)
        for r, title in enumerate(sheet.title):
            ws.merge_range(r, 0, r, width - 1, title, title_fmt if r == 0 else None)
        top = len(sheet.title)
        for c, column in enumerate(sheet.columns):
            ws.write_string(top, c, _header(sheet.table, column, sheet.style), head_fmt)
        ws.set_column(0, width - 1, 14)
        for r, rec in enumerate(sheet.records, start=top + 1):
            for c, column in enumerate(sheet.columns):
                cell = _render(sheet, rec, column, rng)
                if cell is None:
                    continue
                if isinstance(cell, date):
                    ws.write_datetime(r, c, datetime.combine(cell, time()), date_fmt)
                elif isinstance(cell, bool | str):
                    ws.write_string(r, c, str(cell))
                else:
                    ws.write_number(r, c, cell)  # type: ignore[arg-type]
    wb.close()


def _canonical_schema(table: str) -> dict[str, pl.DataType]:
    """The store schema of ``table`` without provenance columns."""
    return {c: t for c, t in table_schema(table).items() if c not in PROVENANCE}


# ---------------------------------------------------------------------------------------------
# The folder tree.
# ---------------------------------------------------------------------------------------------
#: layouts of the departments' activity files, with their weights (most offices send workbooks)
_ACTIVITY_FORMATS = (
    ("xlsx", 9),
    ("xlsx-sheets", 3),
    ("xlsx-serial", 1),
    ("csv-gb18030", 2),
    ("csv-utf8-bom", 1),
    ("csv-en", 1),
    ("json", 1),
)


def _activity_file(rng: random.Random, dept: str, year: int, layout: str, rows: list[Record]) -> _File:
    """One department's activities of one year, in one of the layouts offices and platforms send."""
    path = f"{year}/{dept}_{year}年{ACTIVITIES.zh}"
    columns = list(ACTIVITIES.names)
    if not any(r["kind"] == "integrity_pledge" for r in rows):
        columns.remove("signed_count")
    if all(r["recorded"] for r in rows) and rng.random() < 0.4:
        columns.remove("recorded")  # a missing column means every row was recorded
    if layout not in ("csv-en", "json") and rng.random() < 0.3:
        columns.remove("political_theory")  # political studies then say so in their kind
    headers = rng.choice(("plain", "star", "spaced", "fullwidth"))
    title = (f"{dept}{year}年党建{ACTIVITIES.zh}登记表", f"填报单位：{dept}　　填报时间：{year + 1}年1月")
    if layout == "xlsx":
        style = _Style(dates=("cell",), headers=headers, alias_rate=0.2)
        return _File(
            path + ".xlsx",
            "xlsx",
            [_Sheet("activities", columns, rows, style, f"{year}年", title[: rng.randint(1, 2)])],
        )
    if layout == "xlsx-serial":
        style = _Style(dates=("serial",), alias_rate=0.1)
        return _File(path + ".xlsx", "xlsx", [_Sheet("activities", columns, rows, style, "Sheet1")])
    if layout == "xlsx-sheets":
        style = _Style(dates=("zh", "slash", "iso", "cell"), headers="spaced", alias_rate=0.3, blank_no=True)
        meetings = [r for r in rows if r["kind"] in _MEETING_KINDS]
        others = [r for r in rows if r["kind"] not in _MEETING_KINDS]
        return _File(
            path + ".xlsx",
            "xlsx",
            [
                _Sheet("activities", columns, meetings, style, "三会一课", (f"{year}年三会一课登记表",)),
                _Sheet("activities", columns, others, style, "其他活动", (f"{year}年其他{ACTIVITIES.zh}",)),
            ],
        )
    if layout == "csv-gb18030":
        style = _Style(dates=("slash", "time"), headers=headers, alias_rate=0.25)
        return _File(path + ".csv", "csv-gb18030", [_Sheet("activities", columns, rows, style)])
    if layout == "csv-utf8-bom":
        style = _Style(dates=("dot", "zh"), headers=headers, alias_rate=0.25, blank_no=True)
        return _File(path + ".csv", "csv-utf8-bom", [_Sheet("activities", columns, rows, style)])
    if layout == "csv-en":
        style = _Style(
            lang="en", dates=("iso", "midnight"), headers=rng.choice(("plain", "upper", "fullwidth"))
        )
        return _File(path + ".csv", "csv-utf8", [_Sheet("activities", columns, rows, style)])
    lang: Literal["zh", "en"] = rng.choice(("zh", "en"))
    style = _Style(lang=lang, dates=("iso", "zh"), alias_rate=0.2)
    return _File(path + ".json", "json", [_Sheet("activities", columns, rows, style)])


def _one(
    path: str,
    fmt: FileFormat,
    table: str,
    records: list[Record],
    style: _Style | None = None,
    sheet: str = "",
    title: tuple[str, ...] = (),
) -> _File:
    """A file of one sheet holding every column of ``table``."""
    return _File(
        path, fmt, [_Sheet(table, list(TABLES[table].names), records, style or _Style(), sheet, title)]
    )


@dataclass
class _Sample:
    orgs: list[_Org]
    cases: _Cases
    files: list[_File]


def _build_sample(seed: int) -> tuple[_Sample, random.Random]:
    rng = random.Random(seed)
    orgs = _build_orgs(rng)
    _assign_personas(rng, orgs)
    cases = _pick_cases(rng, orgs)
    tops = [o for o in orgs if o.is_top]
    unit_orgs = {t.org_id[:3]: [o for o in orgs if o.org_id[:3] == t.org_id[:3]] for t in tops}
    files: list[_File] = []

    election_case = {cases.overdue: "overdue", **dict.fromkeys(cases.late, "late")}
    elections = [r for o in orgs for r in _election_rows(rng, o, election_case.get(o.org_id, "normal"))]
    elections.sort(key=lambda r: (r["org_id"], r["date"]))
    incidents: list[Record] = [
        {"org_id": o, "date": d, "kind": k, "note": _INCIDENT_NOTES[k]} for o, d, k in sorted(cases.veto)
    ]
    files.extend([
        _one(f"{ORGS.zh}名册.xlsx", "xlsx", "orgs", [o.record() for o in orgs], _Style(headers="star", alias_rate=0.3),
             "名册", (f"{CITY}市级机关{ORGS.zh}名册", f"截至{_AS_OF_END.year}年12月31日")),
        _one(f"{ELECTIONS.zh}记录.xlsx", "xlsx", "elections", elections, _Style(dates=("cell", "zh", "slash"), blank_no=True),
             "Sheet1", (f"{CITY}市级机关基层党组织{ELECTIONS.zh}情况",)),
        _one(f"{INCIDENTS.zh}.json", "json", "incidents", incidents, _Style(dates=("zh",))),
    ])  # fmt: skip

    layouts = [name for name, weight in _ACTIVITY_FORMATS for _ in range(weight)]
    n_files = len(tops) * len(SAMPLE_YEARS)
    layouts = (layouts * (n_files // len(layouts) + 1))[:n_files]
    rng.shuffle(layouts)
    per_year: dict[str, dict[int, list[Record]]] = {t: {} for t in ("study", "dues", "inspections")}
    for year in SAMPLE_YEARS:
        for table in per_year.values():
            table[year] = []
        for top in tops:
            rows: list[Record] = []
            for o in unit_orgs[top.org_id[:3]]:
                level = persona_level(o.persona, year)
                rows += _activity_rows(rng, o, year, level)
                per_year["study"][year] += _study_rows(rng, o, year, level)
                per_year["dues"][year] += _dues_rows(rng, o, year, level)
                per_year["inspections"][year] += _inspection_rows(rng, o, year, level)
            rows.sort(key=lambda r: (r["org_id"], r["date"], r["kind"]))
            files.append(_activity_file(rng, top.unit, year, layouts.pop(), rows))

    study, dues, insp = per_year["study"], per_year["dues"], per_year["inspections"]
    en = _Style(lang="en")
    files += [
        _one(f"2022/{STUDY.zh}_2022.xlsx", "xlsx", "study", study[2022], _Style(dates=("cell",)), "2022年"),
        _one(f"2023/{STUDY.zh}_2023.parquet", "parquet", "study", study[2023], en),
        _one(f"2024/{STUDY.zh}_2024.parquet", "parquet", "study", study[2024], en),
        _one(f"2022/{DUES.zh}_2022.xlsx", "xlsx", "dues", dues[2022], _Style(dates=("cell",), month="zh"), "2022年",
             (f"2022年{DUES.zh}收缴台账",)),
        _one(f"2023/{DUES.zh}_2023.csv", "csv-gb18030", "dues", dues[2023], _Style(dates=("zh",))),
        _one(f"2024/{DUES.zh}_2024.csv", "csv-utf8", "dues", dues[2024], _Style(lang="en", dates=("dot",))),
        _one(f"2022/{INSPECTIONS.zh}_2022.xlsx", "xlsx", "inspections", insp[2022], _Style(headers="spaced"), "汇总",
             (f"2022年度{INSPECTIONS.zh}汇总表",)),
        _one(f"2023/{INSPECTIONS.zh}_2023.csv", "csv-utf8-bom", "inspections", insp[2023]),
        _one(f"2024/{INSPECTIONS.zh}_2024.json", "json", "inspections", insp[2024], en),
    ]  # fmt: skip
    # Late reports of 2024: a few new rows (faults and copies of rows already sent are injected later).
    # The new rows cannot change a result: an extra 'other' activity, extra study for exemplary members.
    late_activities: list[Record] = [
        {"org_id": o.org_id, "date": d, "kind": "other", "topic": f"{_LATE}：{_TOPICS['other'][i % 2]}",
         "attendees": o.member_count, "recorded": True, "political_theory": None, "signed_count": None}
        for i, (o, d) in enumerate(zip(rng.sample(orgs, 3), rng.sample(_weekdays(2024), 3), strict=True))
    ]  # fmt: skip
    exemplary = [o for o in orgs if persona_level(o.persona, 2024) == "exemplary"]
    late_study: list[Record] = [
        {"member_id": f"{o.org_id}001", "org_id": o.org_id, "date": d, "days": 1.0, "topic": _LATE}
        for o, d in zip(rng.sample(exemplary, 6), rng.sample(_weekdays(2024), 6), strict=True)
    ]
    files += [
        _one(f"2024/{_LATE}/{_LATE}{ACTIVITIES.zh}.csv", "csv-gb18030", "activities", late_activities,
             _Style(dates=("slash", "zh"))),
        _one(f"2024/{_LATE}/{STUDY.zh}{_LATE}.csv", "csv-gb18030", "study", late_study, _Style(dates=("slash",))),
    ]  # fmt: skip
    return _Sample(orgs, cases, files), rng


# ---------------------------------------------------------------------------------------------
# Faults.
# ---------------------------------------------------------------------------------------------
@dataclass
class _Pending:
    file: _File
    sheet: _Sheet
    record: Record
    column: str
    kind: FaultKind
    source: tuple[_File, _Sheet, Record] | None = None  # the original of a duplicate


_UNKNOWN_ORGS = ("099901", "099902", "099903")
#: (table, file format, column, fault kind, value written); the file is drawn among those that match
_FAULT_PLAN: tuple[tuple[str, str, str, FaultKind, str | int | float], ...] = (
    ("activities", "xlsx", "date", "bad_date", "2024-13-45"),
    ("activities", "csv-gb18030", "date", "bad_date", "去年"),
    ("study", _LATE, "date", "bad_date", "2024/2/30"),
    ("dues", "csv-utf8", "month", "bad_date", "2024-13"),
    ("activities", "xlsx", "kind", "unknown_kind", "座谈会"),
    ("activities", "json", "kind", "unknown_kind", "联欢会"),
    ("activities", _LATE, "kind", "unknown_kind", "读书会"),
    ("activities", "csv-utf8", "org_id", "unknown_org", _UNKNOWN_ORGS[0]),
    ("dues", "csv-gb18030", "org_id", "unknown_org", _UNKNOWN_ORGS[1]),
    ("study", _LATE, "org_id", "unknown_org", _UNKNOWN_ORGS[2]),
    ("activities", "xlsx", "attendees", "negative", -6),
    ("study", _LATE, "days", "negative", -1.5),
    ("dues", "xlsx", "paid", "negative", -120.0),
)


def _inject_faults(rng: random.Random, files: list[_File]) -> list[_Pending]:
    """Add one spoiled copy of a valid row per planned fault, and copies of three valid rows elsewhere."""
    late = [f for f in files if _LATE in f.path]

    def sheets(table: str, where: str) -> list[tuple[_File, _Sheet]]:
        chosen = late if where == _LATE else [f for f in files if f.fmt == where and f not in late]
        return [(f, s) for f in chosen for s in f.sheets if s.table == table and s.records]

    def valid(s: _Sheet, column: str) -> list[Record]:
        return [
            r
            for r in s.records
            if r.get(column) is not None and r.get("kind") != "group_study" and not _is_spoiled(r)
        ]

    pending: list[_Pending] = []
    for table, where, column, kind, value in _FAULT_PLAN:
        f, s = rng.choice(sheets(table, where))
        rec = dict(rng.choice(valid(s, column)))
        rec[column] = value if kind == "unknown_org" else _Raw(value)
        s.records.insert(rng.randrange(min(3, len(s.records)), len(s.records) + 1), rec)
        pending.append(_Pending(f, s, rec, column, kind))

    late_activities, late_study = (
        next((f, s) for f in late for s in f.sheets if s.table == t) for t in ("activities", "study")
    )
    copies = (
        (late_activities, sheets("activities", "xlsx")),
        (late_activities, sheets("activities", "csv-utf8-bom") + sheets("activities", "json")),
        (late_study, sheets("study", "parquet")),
    )
    for (target_file, target), candidates in copies:
        f, s = rng.choice(candidates)
        original = rng.choice(valid(s, "org_id"))
        rec = dict(original)
        target.records.insert(rng.randrange(len(target.records) + 1), rec)
        pending.append(_Pending(target_file, target, rec, "", "duplicate", (f, s, original)))
    return pending


def _is_spoiled(rec: Record) -> bool:
    return any(isinstance(v, _Raw) for v in rec.values()) or rec.get("org_id") in _UNKNOWN_ORGS


def _locate(f: _File, s: _Sheet, rec: Record) -> tuple[str, str, int]:
    index = next(i for i, r in enumerate(s.records) if r is rec)
    return f.path, s.name, f.first_row(s) + index


def _resolve(p: _Pending) -> Fault:
    here = _locate(p.file, p.sheet, p.record)
    if p.source is None:
        value = p.record[p.column]
        return Fault(
            *here, p.sheet.table, p.column, p.kind, _text(value.value if isinstance(value, _Raw) else value)
        )
    first = _locate(*p.source)
    later, earlier = max(here, first), min(here, first)
    return Fault(*later, p.sheet.table, "", "duplicate", "", duplicate_of=earlier)


def _write_contacts(root: Path, rng: random.Random) -> str:
    """A contact list people keep next to their exports; no table matches its layout, so ingest refuses it."""
    path = "其他/通讯录.xlsx"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(root / path), {"constant_memory": False, "in_memory": True})
    wb.set_properties({"created": _CREATED, "author": CITY})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ("姓名", "电话", "职务"))
    for r in range(1, 13):
        phone = f"13{rng.randint(100000000, 999999999)}"
        ws.write_row(r, 0, (_person(rng), phone, rng.choice(("书记", "委员", "组织员"))))
    wb.close()
    return path


# ---------------------------------------------------------------------------------------------
# Entry points.
# ---------------------------------------------------------------------------------------------
def _prepare(out_dir: Path) -> Path:
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"输出文件夹不是空的：{out}（请指定一个新的或空的文件夹）")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _ancestors(org_id: str, parent: dict[str, str | None]) -> list[str]:
    chain = [org_id]
    while (p := parent[chain[-1]]) is not None:
        chain.append(p)
    return chain


def _overdue(orgs: list[_Org], elections: list[Record], as_of: date) -> tuple[str, ...]:
    """Orgs more than a month past their current term's due date at ``as_of`` (RULES.md)."""
    last: dict[str, date] = {}
    for r in elections:
        held, org_id = r["date"], str(r["org_id"])
        if isinstance(held, date) and held <= as_of:
            last[org_id] = max(held, last.get(org_id, held))
    term = {o.org_id: o.term for o in orgs}
    due = {o: _add_months(d, 12 * term[o]) for o, d in last.items()}
    return tuple(sorted(o for o, d in due.items() if as_of > _add_months(d, 1)))


def generate_sample(out_dir: Path, seed: int = 2024) -> SynthReport:
    """Write the sample exports of a fictional city's 市级机关 party organizations.

    Sixty top-level organizations (mostly 机关党委, some 党总支 and a few 党支部) with their general
    branches and branches, 300 orgs in all, over 2022–2024, in a folder tree::

        组织名册.xlsx                      the registry (title rows, codes as text cells)
        换届记录.xlsx                      election history since 2012
        否决事项.json                      veto incidents
        其他/通讯录.xlsx                   a contact list: no table matches it, ingest refuses it
        <year>/<department>_<year>年活动记录.xlsx|csv|json
                                           each department's activities, in varied layouts
        <year>/党员学习_<year>.xlsx|parquet  study attendance per member
        <year>/党费_<year>.xlsx|csv         dues per org and month
        <year>/督查评分_<year>.xlsx|csv|json  inspection scores
        2024/补报/补报活动记录.csv          late reports: a few new rows, copies of rows already
        2024/补报/党员学习补报.csv          sent (duplicates) and some of the faults

    Files come as workbooks (title rows above the header, merged; dates as date cells, serial numbers or
    text), GB18030 CSV, UTF-8 CSV with and without BOM, JSON arrays and Parquet; headers in Chinese or
    English, some with spaces, full-width characters or ``*`` marks; dates in every form of DATA.md.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created when missing.  It must be empty: every file in it is an export.
    seed : int
        Seed of the ``random.Random`` that draws everything; the same seed gives the same bytes.

    Returns
    -------
    SynthReport
        The files, row counts, injected faults and ground truth (personas, vetoes, overdue terms, ...).

    Raises
    ------
    FileExistsError
        When ``out_dir`` exists and is not empty.
    """
    root = _prepare(out_dir)
    sample, rng = _build_sample(seed)
    pending = _inject_faults(rng, sample.files)
    for f in sample.files:
        _write_file(root, f, rng)
    contacts = _write_contacts(root, rng)

    faults = tuple(sorted((_resolve(p) for p in pending), key=lambda x: (x.file, x.sheet, x.row)))
    written = dict.fromkeys(TABLES, 0)
    for f in sample.files:
        for s in f.sheets:
            written[s.table] += len(s.records)
    valid = dict(written)
    for fault in faults:
        valid[fault.table] -= 1

    orgs, cases = sample.orgs, sample.cases
    parent = {o.org_id: o.parent_id for o in orgs}
    vetoed = {
        y: tuple(sorted({a for o, d, _ in cases.veto if d.year == y for a in _ancestors(o, parent)}))
        for y in SAMPLE_YEARS
    }
    elections = next(s.records for f in sample.files for s in f.sheets if s.table == "elections")
    return SynthReport(
        root=root,
        seed=seed,
        years=SAMPLE_YEARS,
        files=tuple(sorted([*(f.path for f in sample.files), contacts])),
        rows_written=written,
        rows_valid=valid,
        faults=faults,
        refused_files=(contacts,),
        top_level=tuple(o.org_id for o in orgs if o.is_top),
        personas={o.org_id: o.persona for o in orgs},
        vetoed=vetoed,
        overdue={y: _overdue(orgs, elections, date(y, 12, 31)) for y in SAMPLE_YEARS},
        vacant_secretaries=cases.vacant,
        approved_late=cases.late,
    )


# ---------------------------------------------------------------------------------------------
# Scale: canonical Parquet, vectorised.
# ---------------------------------------------------------------------------------------------
_SCALE_BLOCK = 40  # orgs per top-level committee
_SCALE_CHUNK = 5_000  # orgs per part file
_TYPES = ("committee", "general_branch", "branch")
_WHO = ("all", "branch", "nonbranch", "top", "committee")
#: activity slots of one org-year: (kind, first month 0-11, months it may slide over, who holds it, political)
_SCALE_SLOTS: tuple[tuple[str, int, int, str, bool], ...] = (
    *(("committee_meeting", m, 2, "all", False) for m in range(0, 12, 2)),
    *(("group_study", m, 1, "all", True) for m in range(12)),
    *(("group_study", m, 1, "all", False) for m in range(12)),
    *(("member_congress", m, 3, "branch", False) for m in range(0, 12, 3)),
    *(("group_meeting", m, 2, "branch", False) for m in range(0, 12, 2)),
    *(("party_lecture", m, 3, "all", False) for m in range(0, 12, 3)),
    *(("themed_party_day", m, 2, "branch", False) for m in range(0, 12, 2)),
    *(("info_submission", m, 1, "all", False) for m in range(1, 12, 2)),
    *(("info_submission", m, 1, "committee", False) for m in range(0, 12, 2)),
    ("democratic_life_meeting", 0, 2, "all", False),
    ("org_life_meeting", 0, 2, "branch", False),
    ("heart_talk", 2, 3, "all", False),
    ("heart_talk", 8, 3, "all", False),
    ("cadre_training", 3, 6, "nonbranch", False),
    ("leadership_review", 0, 6, "top", False),
    ("leadership_review", 6, 6, "top", False),
    ("mass_org_report", 3, 3, "top", False),
    ("mass_org_report", 9, 3, "top", False),
    ("annual_plan", 0, 3, "all", False),
    ("annual_summary", 11, 1, "all", False),
    ("dues_publication", 11, 1, "all", False),
    ("discipline_education", 4, 6, "all", False),
    ("integrity_pledge", 1, 3, "top", False),
    ("joint_building", 3, 6, "all", False),
    ("member_review", 11, 1, "branch", False),
)
_SLOT_KIND = pl.Series("kind", [s[0] for s in _SCALE_SLOTS], dtype=pl.String)
_SLOT_BASE = np.array([s[1] for s in _SCALE_SLOTS])
_SLOT_SPAN = np.array([s[2] for s in _SCALE_SLOTS])
_SLOT_WHO = np.array([_WHO.index(s[3]) for s in _SCALE_SLOTS])
_SLOT_POLITICAL = np.array([s[4] for s in _SCALE_SLOTS])
_SLOT_NO_ATTENDEES = np.array([s[0] in _NO_ATTENDEES for s in _SCALE_SLOTS])
_SLOT_PLEDGE = np.array([s[0] == "integrity_pledge" for s in _SCALE_SLOTS])
_SCALE_TOPICS = pl.Series("topic", sorted({t for ts in _TOPICS.values() for t in ts}), dtype=pl.String)


def _scale_years(years: list[int] | int) -> list[int]:
    if isinstance(years, int):
        if years < 1:
            raise ValueError("years must be at least 1")
        return list(range(SAMPLE_YEARS[-1] - years + 1, SAMPLE_YEARS[-1] + 1))
    if not years:
        raise ValueError("years must not be empty")
    return sorted(set(years))


def _epoch_days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


@dataclass(frozen=True)
class _ScaleOrgs:
    """Per-org arrays of the benchmark registry."""

    ids: pl.Series
    type_idx: np.ndarray  # index into _TYPES
    is_top: np.ndarray
    members: np.ndarray
    mid_cadres: np.ndarray

    def take(self, sl: slice) -> _ScaleOrgs:
        return _ScaleOrgs(
            self.ids[sl], self.type_idx[sl], self.is_top[sl], self.members[sl], self.mid_cadres[sl]
        )


def _masked(values: np.ndarray | pl.Series, keep: np.ndarray, dtype: pl.DataType) -> pl.Series:
    """``values`` where ``keep``, null elsewhere."""
    frame = pl.DataFrame({"v": values, "k": keep})
    return frame.select(pl.when(pl.col("k")).then(pl.col("v").cast(dtype))).to_series()


def _scale_registry(rng: np.random.Generator, n: int) -> tuple[_ScaleOrgs, pl.DataFrame]:
    """Blocks of 40 orgs: a top-level committee, three general branches under it, and branches held by the
    committee or one of its general branches."""
    idx = np.arange(n)
    block, pos = idx // _SCALE_BLOCK * _SCALE_BLOCK, idx % _SCALE_BLOCK
    type_idx = np.where(pos == 0, 0, np.where(pos <= 3, 1, 2))
    parent = np.where(pos == 0, -1, np.where(pos <= 3, block, block + pos % 4))
    is_top = pos == 0
    ids = pl.Series("org_id", (idx + 1).astype(str)).str.zfill(max(6, len(str(n))))
    members = rng.integers(5, 56, n)
    mid = rng.integers(4, 26, n)
    surnames, given = np.array(list(_SURNAMES)), np.array(list(_GIVEN))
    secretary = np.char.add(
        surnames[rng.integers(0, len(surnames), n)], given[rng.integers(0, len(given), n)]
    )
    mode = np.array(SECRETARY_MODES)[((type_idx == 0) & (rng.random(n) < 0.4)).astype(int)]
    frame = pl.DataFrame(
        {
            "org_id": ids,
            "name": ids + pl.Series(np.array([ORG_TYPE_ZH[t] for t in _TYPES])[type_idx]),
            "org_type": np.array(_TYPES)[type_idx],
            "parent_id": _masked(ids.gather(np.maximum(parent, 0)), parent >= 0, pl.String()),
            "unit": pl.Series((block // _SCALE_BLOCK + 1).astype(str)).str.zfill(5),
            "member_count": members,
            "secretary": _masked(secretary, rng.random(n) >= 0.02, pl.String()),
            "secretary_mode": mode,
            "mid_cadres": _masked(mid, is_top, pl.Int64()),
            "term_years": np.array([TERM_YEARS[t] for t in _TYPES])[type_idx],
            "budget_included": _masked(rng.random(n) < 0.95, is_top, pl.Boolean()),
        }
    )
    return _ScaleOrgs(ids, type_idx, is_top, members, np.where(is_top, mid, 0)), frame


def _month_starts(year: int) -> np.ndarray:
    """Epoch days of the first day of each month of ``year``, and of January ``year + 1``."""
    return np.array([_epoch_days(date(year + m // 12, m % 12 + 1, 1)) for m in range(13)])


def _scale_activities(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    """About 60 rows per org: the slots of :data:`_SCALE_SLOTS` the org holds, each kept with the org's
    diligence.  A slot's kind, month and political flag never repeat within an org, so rows are unique."""
    n = len(orgs.ids)
    holds = np.stack(
        [np.ones(n, bool), orgs.type_idx == 2, orgs.type_idx != 2, orgs.is_top, orgs.type_idx == 0], axis=1
    )
    diligence = rng.beta(9.0, 1.0, n)
    keep = holds[:, _SLOT_WHO] & (rng.random((n, len(_SCALE_SLOTS))) < diligence[:, None])
    org_i, slot_i = np.nonzero(keep)
    m = len(org_i)
    month = _SLOT_BASE[slot_i] + (rng.random(m) * _SLOT_SPAN[slot_i]).astype(int)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "date": _dates(_month_starts(year)[month] + rng.integers(0, 28, m)),
            "kind": _SLOT_KIND.gather(slot_i),
            "topic": _SCALE_TOPICS.gather(rng.integers(0, len(_SCALE_TOPICS), m)),
            "attendees": _masked(
                rng.binomial(orgs.members[org_i], 0.85), ~_SLOT_NO_ATTENDEES[slot_i], pl.Int64()
            ),
            "recorded": rng.random(m) < 0.97,
            "political_theory": _SLOT_POLITICAL[slot_i],
            "signed_count": _masked(orgs.mid_cadres[org_i], _SLOT_PLEDGE[slot_i], pl.Int64()),
        }
    )


def _scale_study(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    """18–30 sessions per member; session k of s falls on a day of the k-th of s whole-day slices of the
    year, so a member never has two sessions on one day."""
    members = orgs.members
    n_members = int(members.sum())
    member_org = np.repeat(np.arange(len(members)), members)
    member_no = np.arange(n_members) - np.repeat(np.cumsum(members) - members, members) + 1
    member_ids = orgs.ids.gather(member_org) + pl.Series(member_no.astype(str)).str.zfill(4)
    sessions = rng.integers(18, 31, n_members)
    row_member = np.repeat(np.arange(n_members), sessions)
    k = np.arange(len(row_member)) - np.repeat(np.cumsum(sessions) - sessions, sessions)
    n_days = 366 if calendar.isleap(year) else 365
    per_member = sessions[row_member]
    start = k * n_days // per_member
    offset = start + (rng.random(len(k)) * ((k + 1) * n_days // per_member - start)).astype(np.int64)
    days = np.array([0.5, 1.0, 1.5, 2.0, 3.0])[rng.choice(5, len(k), p=[0.2, 0.4, 0.15, 0.15, 0.1])]
    return pl.DataFrame(
        {
            "member_id": member_ids.gather(row_member),
            "org_id": orgs.ids.gather(member_org[row_member]),
            "date": _dates(_epoch_days(date(year, 1, 1)) + offset),
            "days": days,
            "topic": pl.Series([None] * len(k), dtype=pl.String),
        }
    )


def _scale_dues(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    n = len(orgs.ids)
    org_i, month = np.repeat(np.arange(n), 12), np.tile(np.arange(12), n)
    due = np.round(orgs.members * rng.integers(25, 61, n), 2)[org_i].astype(float)
    paid = np.where(rng.random(12 * n) < 0.03, np.round(due * 0.8, 2), due)
    late = np.where(rng.random(12 * n) < 0.05, 31, 0)
    starts = _month_starts(year)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "month": _dates(starts[month]),
            "due": due,
            "paid": paid,
            "remitted_on": _dates(starts[month + 1] + rng.integers(0, 25, 12 * n) + late),
        }
    )


def _scale_elections(rng: np.random.Generator, orgs: _ScaleOrgs, last_year: int) -> pl.DataFrame:
    """The last two elections of each org, the later one within its term at the end of ``last_year``."""
    n = len(orgs.ids)
    term_days = np.round(np.array([TERM_YEARS[t] for t in _TYPES])[orgs.type_idx] * 365.25).astype(np.int64)
    last = _epoch_days(date(last_year, 12, 31)) - (rng.random(n) * term_days).astype(np.int64)
    previous = last - term_days + rng.integers(-20, 21, n)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(np.repeat(np.arange(n), 2)),
            "date": _dates(np.column_stack([previous, last]).ravel()),
            "approved": np.zeros(2 * n, bool),
        }
    )


def _scale_incidents(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    org_i = np.flatnonzero(rng.random(len(orgs.ids)) < 0.002)
    kinds = pl.Series(list(INCIDENT_KIND_ZH), dtype=pl.String)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(org_i),
            "date": _dates(_epoch_days(date(year, 1, 1)) + rng.integers(0, 365, len(org_i))),
            "kind": kinds.gather(rng.integers(0, len(kinds), len(org_i))),
            "note": pl.Series([None] * len(org_i), dtype=pl.String),
        }
    )


def _scale_inspections(rng: np.random.Generator, orgs: _ScaleOrgs, year: int) -> pl.DataFrame:
    n, k = len(orgs.ids), len(MANUAL_POINTS)
    points = np.tile(np.array(list(MANUAL_POINTS.values())), n)
    return pl.DataFrame(
        {
            "org_id": orgs.ids.gather(np.repeat(np.arange(n), k)),
            "year": np.full(n * k, year),
            "item": np.tile(np.array(list(MANUAL_POINTS)), n),
            "score": np.round(points * rng.beta(6.0, 1.5, n * k) * 2) / 2,
        }
    )


def generate_parquet(out_dir: Path, orgs: int, years: list[int] | int = 1, seed: int = 1) -> dict[str, int]:
    """Write a benchmark dataset straight to canonical Parquet, one folder of part files per table.

    The layout is ``<table>/part-*.parquet``: the registry in one part, the other tables in parts of at
    most 5,000 orgs (and one year), so memory stays bounded whatever ``orgs`` is.  Columns are the canonical
    English names in the store's dtypes, without provenance.  Per org and year: about 60 activities, about
    30 members with 18–30 study sessions each, 12 dues months, 3 inspection scores; two elections per org;
    incidents for about 0.2 % of orgs a year.  One top-level committee heads each block of 40 orgs.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created when missing, and it must be empty.
    orgs : int
        Number of organizations (codes are 6-digit zero-padded, wider beyond 999,999).
    years : list of int or int
        The years, or how many years ending in 2024 (``1`` → 2024, ``3`` → 2022–2024).
    seed : int
        Seed of the ``numpy.random.PCG64`` generators; the same seed gives the same data.

    Returns
    -------
    dict
        Rows written per canonical table.

    Raises
    ------
    ValueError
        When ``orgs`` or ``years`` is empty.
    FileExistsError
        When ``out_dir`` exists and is not empty.
    """
    if orgs < 1:
        raise ValueError("orgs must be at least 1")
    year_list = _scale_years(years)
    root = _prepare(out_dir)
    registry, frame = _scale_registry(np.random.Generator(np.random.PCG64(seed)), orgs)
    counts = dict.fromkeys(TABLES, 0)

    def write(table: str, data: pl.DataFrame, part: str) -> None:
        (root / table).mkdir(exist_ok=True)
        schema = _canonical_schema(table)
        data.select(pl.col(c).cast(t) for c, t in schema.items()).write_parquet(
            root / table / f"part-{part}.parquet"
        )
        counts[table] += data.height

    write("orgs", frame, "0000")
    per_year = (
        ("activities", _scale_activities),
        ("study", _scale_study),
        ("dues", _scale_dues),
        ("incidents", _scale_incidents),
        ("inspections", _scale_inspections),
    )
    for chunk, start in enumerate(range(0, orgs, _SCALE_CHUNK)):
        rng = np.random.Generator(np.random.PCG64([seed, chunk]))
        part = registry.take(slice(start, start + _SCALE_CHUNK))
        write("elections", _scale_elections(rng, part, year_list[-1]), f"{chunk:04d}")
        for year in year_list:
            for table, make in per_year:
                write(table, make(rng, part, year), f"{year}-{chunk:04d}")
    return counts
