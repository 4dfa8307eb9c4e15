"""The sample's folder tree: which file holds which rows, in which of the layouts offices send, drawn
together with the city and every table's rows by :func:`_build_sample`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from analysis.synth.city import (
    _AS_OF_END,
    CITY,
    ORG_COLUMNS,
    SAMPLE_YEARS,
    Record,
    _assign_personas,
    _build_orgs,
    _Cases,
    _Org,
    _pick_cases,
    _registry_extras,
    _settle_personas,
    persona_level,
)
from analysis.synth.tables import (
    _TOPICS,
    SLIPS,
    _activity_rows,
    _dues_rows,
    _duty_rows,
    _election_rows,
    _inspection_rows,
    _study_rows,
    _weekdays,
    _without_groups,
)
from analysis.synth.workers import worker_rows
from analysis.synth.writers import FileFormat, _File, _Sheet, _Style
from analysis.vocab import (
    ACTIVITIES,
    DUES,
    ELECTIONS,
    INCIDENTS,
    INSPECTIONS,
    ORGS,
    PARTY_WORKERS,
    STUDY,
    TABLES,
)

_LATE = "补报"  # folder and file names of late reports
_INCIDENT_NOTES = {
    "member_expelled": "党员干部违纪被开除党籍",
    "major_loss": "项目管理失误造成重大损失",
    "cadre_heavy_discipline": "中层干部受撤职处分",
}
#: kinds of the 三会一课 sheet when a workbook splits its activities in two sheets
_MEETING_KINDS = ("committee_meeting", "member_congress", "group_meeting", "party_lecture")
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
    """A file of one sheet holding every column of ``table`` the city fills."""
    columns = list(ORG_COLUMNS) if table == "orgs" else list(TABLES[table].names)
    return _File(path, fmt, [_Sheet(table, columns, records, style or _Style(), sheet, title)])


#: name of the yearly files of national-2019's duties (机关党员干部大会, 书记述职, 党建工作通报)
DUTY_FILE = "机关党建述职通报"


@dataclass
class _Sample:
    orgs: list[_Org]
    cases: _Cases
    files: list[_File]
    #: files added after the faults are injected and written last (see generate_sample)
    later_files: list[_File]


def _duty_files(seed: int, orgs: list[_Org]) -> list[_File]:
    """Each year's file of 机关党员干部大会, 书记述职 and 党建工作通报 — the 机关党委's own ledger of the
    duties national-2019 adds — drawn from a stream of their own, so every other file keeps its rows."""
    rng = random.Random(f"duties-{seed}")
    columns = [c for c in ACTIVITIES.names if c not in ("political_theory", "signed_count")]
    files: list[_File] = []
    for year in SAMPLE_YEARS:
        rows = [r for o in orgs for r in _duty_rows(rng, o, year, persona_level(o.persona, year))]
        rows.sort(key=lambda r: (r["org_id"], r["date"], r["kind"]))
        style = _Style(dates=("cell", "zh"), headers="plain", alias_rate=0.3)
        title = (f"{CITY}市级机关{year}年书记述职、党员干部大会和党建工作通报登记表",)
        sheet = _Sheet("activities", columns, rows, style, f"{year}年", title)
        files.append(_File(f"{year}/{DUTY_FILE}_{year}.xlsx", "xlsx", [sheet]))
    return files


def _build_sample(seed: int) -> tuple[_Sample, random.Random]:
    rng = random.Random(seed)
    orgs = _build_orgs(rng)
    _assign_personas(rng, orgs)
    cases = _pick_cases(rng, orgs)
    _settle_personas(seed, orgs, SLIPS)
    _registry_extras(seed, orgs)
    no_groups = frozenset(o.org_id for o in orgs if o.has_party_groups is False)
    tops = [o for o in orgs if o.is_top]
    unit_orgs = {t.org_id[:3]: [o for o in orgs if o.org_id[:3] == t.org_id[:3]] for t in tops}
    files: list[_File] = []

    election_case = {**dict.fromkeys(cases.overdue, "overdue"), **dict.fromkeys(cases.late, "late")}
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
            _without_groups(rows, no_groups)
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
    files.append(
        _one(f"{PARTY_WORKERS.zh}名单.xlsx", "xlsx", "party_workers", worker_rows(seed, orgs),
             _Style(dates=("iso", "zh", "cell")), "名单", (f"{CITY}市级机关{PARTY_WORKERS.zh}名单",))
    )  # fmt: skip
    return _Sample(orgs, cases, files, _duty_files(seed, orgs)), rng
