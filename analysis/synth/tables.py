"""The canonical rows of each table, drawn per org and year from the org's level of work.

Rows are canonical records (column → value); how a file spells them is :mod:`analysis.synth.writers`' job.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from analysis.synth.city import _AS_OF_END, _ORG_TYPE, _PLAIN_KIND, SAMPLE_YEARS, Level, Record, _Org
from analysis.vocab import ACTIVITY_KIND_ZH

#: rubric items scored from the inspection table, with their points (RULES.md rubric)
MANUAL_POINTS = {"manual.style": 6.0, "manual.duty": 5.0, "manual.mass": 4.0}
#: ``duty.info_submissions`` thresholds by org type
INFO_REQUIRED = {"committee": 12, "general_branch": 6, "branch": 3}

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
    "cadre_congress": ("部署年度机关党建工作", "传达上级党建工作会议精神"),
    "secretary_report": ("书记抓基层党建工作述职", "年度述职评议"),
    "party_building_report": ("通报机关党建工作情况", "通报党建工作责任制落实情况"),
}
_STUDY_TOPICS = ("网络培训", "专题辅导", "集中轮训", "读书班")
#: activity kinds written as one row without a head count
_NO_ATTENDEES = frozenset(
    {
        "info_submission", "annual_plan", "annual_summary", "dues_publication", "integrity_pledge",
        "secretary_report", "party_building_report",
    }
)  # fmt: skip
#: probability that a row of (level, kind) was held without minutes
_UNRECORDED: dict[tuple[str, str], float] = {
    ("weak", "committee_meeting"): 0.4,
    ("weak", "democratic_life_meeting"): 0.5,
    ("weak", "member_congress"): 0.2,
    ("weak", "group_meeting"): 0.2,
    ("weak", "party_lecture"): 0.2,
}
#: an average org's slips: one of its habits (``org.habits``) slips with the first chance in the first
#: year, a little less each later year (the city improves), any other slip with the second chance — so
#: an org's score keeps its level from year to year, as a real org's does
SLIPS = (
    "minutes", "study", "meetings", "heart_talk", "info", "plan", "summary", "publication",
    "leadership", "mass", "pledge", "member_study", "dues",
)  # fmt: skip
_SLIP_CHANCE = (0.8, 0.005)
_SLIP_LESS_A_YEAR = 0.05
#: what an exemplary org earns of the inspection points above its usual share
_EXEMPLARY_INSPECTION = 0.15
#: kinds whose rows an org with the ``minutes`` habit sometimes holds without minutes, and how often
_MINUTES_SLIP = {"committee_meeting": 0.15, "democratic_life_meeting": 0.5}


def _slip_chance(habits: frozenset[str], habit: str, year: int) -> float:
    if habit in habits:
        return _SLIP_CHANCE[0] - _SLIP_LESS_A_YEAR * (year - SAMPLE_YEARS[0])
    return _SLIP_CHANCE[1]


def _slips(rng: random.Random, org: _Org, year: int, level: Level, habit: str) -> bool:
    """Whether an org of ``level`` slips on ``habit`` this year: only an average org does (see ``SLIPS``)."""
    slipped = rng.random() < _slip_chance(org.habits, habit, year)
    return slipped and level == "average"


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


#: the months (0 = January) of each quarter and of each half of a year
_QUARTERS = tuple(range(3 * q, 3 * q + 3) for q in range(4))
_HALVES = (range(0, 6), range(6, 12))


@dataclass
class _Plan:
    """One org-year's activity plan while it is drawn: rows of each kind in each month (0 = January).

    The planning steps of :func:`_activity_plan` draw from ``rng`` one after the other, in a fixed order:
    that order is the random stream, so the same seed gives the same plan.
    """

    rng: random.Random
    ex: bool
    weak: bool
    year: int
    habits: frozenset[str] = frozenset()
    counts: dict[str, list[int]] = field(default_factory=dict)

    def put(self, kind: str, months: Iterable[int]) -> None:
        row = self.counts.setdefault(kind, [0] * 12)
        for m in months:
            row[m] += 1

    def pick(self, k: int, pool: Iterable[int] = range(12)) -> list[int]:
        return self.rng.sample(list(pool), k)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def slips(self, habit: str) -> bool:
        """Whether an average org slips on ``habit`` this year (never an exemplary or a weak org)."""
        slipped = self.chance(_slip_chance(self.habits, habit, self.year))
        return slipped and not self.ex and not self.weak


def _activity_plan(
    rng: random.Random, org: _Org, year: int, level: Level
) -> tuple[dict[str, list[int]], list[int]]:
    """How many rows of each kind the org holds in each month, and political studies per month."""
    plan = _Plan(rng, ex=level == "exemplary", weak=level == "weak", year=year, habits=org.habits)
    _plan_committee_meetings(plan)
    political = _plan_studies(plan)
    if org.org_type == "branch":
        _plan_branch_life(plan)
    else:
        _plan_nonbranch_life(plan)
    _plan_life_and_education(plan)
    _plan_paperwork(plan, org)
    if org.is_top:
        _plan_top_duties(plan)
    return plan.counts, political


def _plan_committee_meetings(p: _Plan) -> None:
    """一(5) committee meetings: every bimonthly window (an average org may skip one), or a couple."""
    rng, ex = p.rng, p.ex
    if p.weak:
        p.put("committee_meeting", p.pick(rng.randint(1, 2)))
    else:
        windows = p.pick(5 if not ex and p.chance(0.3) else 6, range(6))
        held = [2 * w + rng.randrange(2) for w in windows]
        p.put("committee_meeting", held)
        if ex:  # a few windows hold a second meeting, in their other month
            p.put("committee_meeting", [m ^ 1 for m in rng.sample(held, rng.randint(0, 2))])


def _plan_studies(p: _Plan) -> list[int]:
    """二(1) two studies a month, one of them political theory; returns the political studies per month."""
    rng = p.rng
    study, political = [0] * 12, [0] * 12
    if p.weak:
        for m in p.pick(rng.randint(5, 8)):
            study[m], political[m] = 1, int(p.chance(0.6))
    else:
        study, political = [2] * 12, [1] * 12
        if p.slips("study"):  # an average org slips in one month: one study short, or no theory
            slip = rng.randrange(12)
            if p.chance(0.5):
                study[slip] = 1
            else:
                political[slip] = 0
    p.counts["group_study"] = study
    return political


def _plan_branch_life(p: _Plan) -> None:
    """A branch's 三会一课 (二(2)), themed party days, organizational life meeting and member review."""
    rng, ex, weak = p.rng, p.ex, p.weak
    if ex:
        p.put("member_congress", [rng.choice(q) for q in _QUARTERS])
        p.put("group_meeting", p.pick(rng.randint(8, 12)))
        p.put("party_lecture", [rng.choice(q) for q in _QUARTERS])
    elif weak:
        p.put("member_congress", p.pick(1))
        p.put("group_meeting", p.pick(rng.randint(1, 2)))
        p.put("party_lecture", p.pick(rng.randint(0, 1)))
    else:
        p.put("member_congress", [rng.choice(q) for q in rng.sample(_QUARTERS, 3)])
        p.put("group_meeting", p.pick(rng.randint(5, 6) if p.slips("meetings") else rng.randint(7, 9)))
        p.put("party_lecture", [rng.choice(q) for q in rng.sample(_QUARTERS, rng.randint(2, 3))])
    p.put(
        "themed_party_day",
        p.pick(rng.randint(2, 3) if weak else rng.randint(8, 12) if ex else rng.randint(6, 10)),
    )
    if not weak or p.chance(0.5):
        p.put("org_life_meeting", p.pick(1, (0, 1, 11)))
    if ex or (not weak and p.chance(0.8)):
        p.put("member_review", p.pick(1, (0, 11)))


def _plan_nonbranch_life(p: _Plan) -> None:
    """A committee's or general branch's party lectures (one a half-year at most) and cadre training."""
    rng, ex, weak = p.rng, p.ex, p.weak
    p.put("party_lecture", [rng.choice(h) for h in _HALVES[: 0 if weak else 2 if ex else 1]])
    if ex or (not weak and p.chance(0.7)):
        p.put("cadre_training", p.pick(1, range(2, 11)))


def _plan_life_and_education(p: _Plan) -> None:
    """Every org: the democratic life meeting, heart talks, discipline education and joint building."""
    rng, ex, weak = p.rng, p.ex, p.weak
    if not weak or p.chance(0.5):
        p.put("democratic_life_meeting", p.pick(1, (0, 1, 11)))
    if ex:
        p.put("heart_talk", [rng.choice(h) for h in _HALVES])
    elif (p.chance(0.4) if weak else not p.slips("heart_talk")):
        p.put("heart_talk", p.pick(1))
    for kind in ("discipline_education", "joint_building"):
        if not weak or p.chance(0.5):
            p.put(kind, p.pick(2 if ex else 1))


def _plan_paperwork(p: _Plan, org: _Org) -> None:
    """Every org: information submissions, the annual plan and summary, the dues publication, now and then
    an ``other`` activity."""
    rng, ex, weak = p.rng, p.ex, p.weak
    required = INFO_REQUIRED[org.org_type]
    if ex:
        n_info = required + rng.randint(0, 3)
    elif weak:
        n_info = max(1, required // 3)
    else:
        n_info = max(1, required + (-1 if p.slips("info") else rng.choice((0, 0, 0, 1))))
    p.put("info_submission", [*range(12), *p.pick(n_info - 12)] if n_info > 12 else p.pick(n_info))
    r = rng.random()
    late = p.slips("plan")
    if ex or (not weak and not late) or (weak and r < 0.5):
        p.put("annual_plan", p.pick(1, range(3)))
    elif not weak or r < 0.75:
        p.put("annual_plan", p.pick(1, (3, 4)))  # late
    if ex or (p.chance(0.4) if weak else not p.slips("summary")):
        p.put("annual_summary", p.pick(1, (11,) if ex or weak else (10, 11)))
    if ex or (p.chance(0.3) if weak else not p.slips("publication")):
        p.put("dues_publication", (11,))
    if p.chance(0.3):
        p.put("other", p.pick(1))


def _plan_top_duties(p: _Plan) -> None:
    """A top-level org: leadership reviews, reports on the mass organizations, the integrity pledge."""
    rng, ex, weak = p.rng, p.ex, p.weak
    if ex or (not weak and not p.slips("leadership")):
        p.put("leadership_review", [rng.choice(h) for h in _HALVES])
    else:
        p.put("leadership_review", p.pick(1, _HALVES[0]))
    if ex:
        p.put("mass_org_report", p.pick(rng.randint(2, 3)))
    else:
        p.put("mass_org_report", p.pick(rng.randint(0, 1) if weak else 1 if p.slips("mass") else 2))
    p.put("integrity_pledge", p.pick(1, (1, 2, 3)))


def _activity_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    counts, political = _activity_plan(rng, org, year, level)
    if level == "average":
        unrecorded = _MINUTES_SLIP if "minutes" in org.habits else {}
    else:
        unrecorded = {k: v for (lv, k), v in _UNRECORDED.items() if lv == level}
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
                    slipped = _slips(rng, org, year, level, "pledge")
                    short = {"exemplary": 0, "average": rng.choice((1, 2)) if slipped else 0, "weak": mid // 2}[level]
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
                        "recorded": rng.random() >= unrecorded.get(kind, 0.0),
                        "political_theory": is_political if kind == "group_study" else None,
                        "signed_count": signed,
                    }
                )
    return rows


def _study_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    """Sessions per member: a full member reaches 12 days, a short one stays below."""
    short = _slips(rng, org, year, level, "member_study")
    full_share = {"exemplary": 1.0, "average": 0.85 if short else 1.0, "weak": 0.4}[level]
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
    late_month = rng.randint(1, 12) if _slips(rng, org, year, level, "dues") else None  # one slip at most
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
    """The three inspection items: an org earns about its usual share (``org.habit``) every year, an
    exemplary one more, a weak one about half."""
    usual = org.habit + _EXEMPLARY_INSPECTION if level == "exemplary" else org.habit
    share = (0.4, 0.65) if level == "weak" else (min(1.0, usual - 0.01), min(1.0, usual + 0.01))
    return [
        {
            "org_id": org.org_id,
            "year": year,
            "item": item,
            "score": round(points * rng.uniform(*share) * 2) / 2,
        }
        for item, points in MANUAL_POINTS.items()
    ]


#: national-2019's yearly duties (机关条例 第二十六条(六)、第三十九条、第三十五条): kind → the months it is
#: held in (0 = January) and which orgs hold it
_DUTY_MONTHS = {"cadre_congress": (0, 1, 2), "secretary_report": (0, 1), "party_building_report": (5, 11)}
#: the chance that an org of a level holds a duty in a year (an average org misses one now and then)
_DUTY_HELD = {"exemplary": 1.0, "average": 0.95, "weak": 0.4}


def _duty_kinds(org: _Org) -> list[str]:
    """The yearly duties national-2019 asks of ``org``: 机关党员干部大会 (a top-level 党委), 书记述职 (an org
    with a secretary: a vacant post has no one to report) and 党建工作通报 (a top-level org)."""
    kinds = ["cadre_congress"] if org.is_top and org.org_type == "committee" else []
    if org.secretary is not None:
        kinds.append("secretary_report")
    if org.is_top:
        kinds.append("party_building_report")
    return kinds


def _duty_rows(rng: random.Random, org: _Org, year: int, level: Level) -> list[Record]:
    """One org-year's 机关党员干部大会, 书记述职 and 党建工作通报: once a year each where it applies (an
    exemplary org reports on its party work twice, at mid-year and at the year's end)."""
    rows: list[Record] = []
    for kind in _duty_kinds(org):
        if rng.random() >= _DUTY_HELD[level]:
            continue
        months = _DUTY_MONTHS[kind]
        held = months if kind == "party_building_report" and level == "exemplary" else (rng.choice(months),)
        for m in held:
            rows.append(
                {
                    "org_id": org.org_id,
                    _ORG_TYPE: org.org_type,
                    "date": rng.choice(_weekdays(year, m + 1)),
                    "kind": kind,
                    "topic": rng.choice(_TOPICS[kind]),
                    "attendees": None
                    if kind in _NO_ATTENDEES
                    else max(1, round(org.member_count * rng.uniform(0.8, 1.0))),
                    "recorded": True,
                    "political_theory": None,
                    "signed_count": None,
                }
            )
    return rows


def _without_groups(rows: list[Record], no_groups: frozenset[str]) -> None:
    """A branch without 党小组 holds no 党小组会: the meetings its plan drew as such are its 党员大会.

    The kind is changed in place after the rows are drawn and sorted, so the stream and every other row
    stay as they were, and changzhou-2009's 三会一课 (党员大会, 党小组会 and 党课 together) counts the same.
    The row is spelled 支部党员大会 without drawing an alias (``_PLAIN_KIND``): the file's later cells keep
    their draws.  A meeting that falls on the day of another 党员大会 of the branch moves to the nearest
    free weekday of its month (two 党员大会 on one day could be an exact duplicate, which ingest drops).
    """
    taken = {(r["org_id"], r["date"]) for r in rows if r["kind"] == "member_congress"}
    for r in rows:
        if r["kind"] != "group_meeting" or r["org_id"] not in no_groups:
            continue
        day: date = r["date"]  # type: ignore[assignment]
        if (r["org_id"], day) in taken:
            free = [d for d in _weekdays(day.year, day.month) if (r["org_id"], d) not in taken]
            day = min(free, key=lambda d: (abs((d - day).days), d))
        taken.add((r["org_id"], day))
        r["kind"], r["date"], r[_PLAIN_KIND] = "member_congress", day, True
