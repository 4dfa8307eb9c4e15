"""The fictional city 青溪市: its departments and names, the 300 orgs of its registry, their personas and
the special cases (vetoes, an overdue election, vacant secretaries, approved late elections).

Everything is drawn from one ``random.Random`` in a fixed order, so the same seed gives the same city.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from analysis.vocab import ORG_TYPE_ZH, ORGS, SECRETARY_MODES

SAMPLE_YEARS = (2022, 2023, 2024)
PERSONAS = ("exemplary", "average", "weak", "declining")
#: terms of office by org type (RULES.md ``org.term_election``)
TERM_YEARS = {"committee": 4, "general_branch": 3, "branch": 2}

Level = Literal["exemplary", "average", "weak"]
#: canonical column -> value; keys starting with "_" are hints for the writer, never written
Record = dict[str, object]
_ORG_TYPE = "_org_type"  # hint on activity rows: the type of the org, to spell its committee meetings
_PLAIN_KIND = "_plain_kind"  # hint on activity rows: spell the kind by its name, without drawing an alias

CITY = "青溪市"
_N_TOP = 60
_TOP_TYPES = {"committee": 46, "general_branch": 10, "branch": 4}
_SUB_GENERAL_BRANCHES = 24  # general branches under a top-level committee
_N_ORGS = 300
#: the registry columns the synthetic city fills: every column, the optional ones national-2019 reads
#: (党小组, 书记为本单位负责人) included — drawn by :func:`_registry_extras` from a stream of their own
ORG_COLUMNS = ORGS.names
#: a branch of at least this many members has 党小组, one below ``_GROUPS_UNSURE`` has none, one between
#: has them with an even chance (支部条例 第十三条: 党员人数较多的党支部划分党小组)
_GROUPS_FROM, _GROUPS_UNSURE = 15, 10
#: the chance that a named secretary is not a (principal) party-member leader of the unit, by level of work
_NOT_LEADER = {"exemplary": 0.0, "average": 0.04, "weak": 0.3, "declining": 0.1}
_DECLINE: dict[int, Level] = {2022: "exemplary", 2023: "average", 2024: "weak"}
_AS_OF_END = date(SAMPLE_YEARS[-1], 12, 31)

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


def persona_level(persona: str, year: int) -> Level:
    """The level of work a persona does in ``year``: a declining org slides exemplary → average → weak."""
    if persona == "declining":
        return _DECLINE[min(max(year, min(_DECLINE)), max(_DECLINE))]
    if persona not in ("exemplary", "average", "weak"):
        raise ValueError(f"unknown persona: {persona}")
    return persona  # type: ignore[return-value]


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
    #: the share of the inspection points the org usually earns in a year of average work
    habit: float = 0.8
    #: what the org tends to let slip in a year of average work (``analysis.synth.tables.SLIPS``)
    habits: frozenset[str] = frozenset()
    #: 党小组 (branches only; None = not stated) and 书记为本单位负责人 (None where the post is vacant)
    has_party_groups: bool | None = None
    secretary_is_leader: bool | None = None

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
        return {c: getattr(self, c) for c in ORG_COLUMNS}


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


#: (top-level org, other org) -> the chance that a weak or declining org of the first draw stays so
_KEEPS = {"weak": (0.6, 0.15), "declining": (1.0, 0.1)}
#: the usual share of the inspection points of an org in an average year
_HABIT = (0.72, 0.88)
#: how many habits an org has (drawn from this tuple): a few none, most one or two, now and then three
_N_HABITS = (0, 1, 1, 1, 2, 2, 2, 2, 3)


def _settle_personas(seed: int, orgs: list[_Org], slips: tuple[str, ...]) -> None:
    """Bring most of the first draw's weak and declining orgs up to average work, and give every org its
    usual inspection share and its habits (what it lets slip in a year of average work): a city's organ
    system, where most orgs are compliant, a few percent fail and the weak list holds about one org in ten.

    The first draw (:func:`_assign_personas`) made one org in six weak by 2024; its special cases are
    picked from it.  This step draws from a stream of its own, after the cases, so that the registry's
    orgs, the elections and the incidents — and with them the cases and the term statuses — stay as the
    first draw made them.  Every declining top-level org keeps its persona; a weak top-level org that
    improves has its party budget back in the unit's budget.
    """
    rng = random.Random(f"personas-{seed}")
    for o in orgs:
        keep_top, keep_other = _KEEPS.get(o.persona, (1.0, 1.0))
        if rng.random() >= (keep_top if o.is_top else keep_other):
            o.persona = "average"
            if o.is_top:
                o.budget_included = True
    for o in orgs:
        o.habit = rng.uniform(*_HABIT)
        o.habits = frozenset(rng.sample(slips, rng.choice(_N_HABITS)))


@dataclass(frozen=True)
class _Cases:
    """The special cases of the sample, chosen once so that no org plays two of them."""

    veto: tuple[tuple[str, date, str], ...]  # (org_id, date, incident kind)
    overdue: tuple[str, ...]
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
    # a second overdue branch, chosen without a draw so that every other case and row stays as it was
    second = min((o for o in branches if o.persona == "average" and o.org_id[:3] not in used_units),
                 key=lambda o: o.org_id)  # fmt: skip
    used_units.append(second.org_id[:3])
    for o in vacant:
        o.secretary = None
    return _Cases(
        veto=veto,
        overdue=tuple(sorted((overdue.org_id, second.org_id))),
        vacant=tuple(sorted(o.org_id for o in vacant)),
        late=tuple(sorted(o.org_id for o in late)),
    )


def _registry_extras(seed: int, orgs: list[_Org]) -> None:
    """The optional registry columns national-2019 reads, from a stream of their own (drawn after the
    personas are settled), so that every other value of the city stays as the first draws made it.

    A branch has 党小组 when it has many members (``_GROUPS_FROM``; between ``_GROUPS_UNSURE`` and that,
    an even chance); a committee's or general branch's cell stays empty (党小组会 is a branch rule).  A named
    secretary is mostly a leader of the unit, now and then not (more often in a weak org); a vacant post
    leaves the cell empty.
    """
    rng = random.Random(f"registry-{seed}")
    for o in orgs:
        if o.org_type == "branch":
            o.has_party_groups = o.member_count >= _GROUPS_FROM or (
                o.member_count >= _GROUPS_UNSURE and rng.random() < 0.5
            )
        chance = _NOT_LEADER[o.persona]
        is_leader = rng.random() >= chance
        o.secretary_is_leader = None if o.secretary is None else is_leader
