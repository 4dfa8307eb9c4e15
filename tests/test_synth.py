"""Synthetic exports: determinism, coverage of DATA.md, fault locations, ground truth, benchmark Parquet."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from analysis.store import table_schema
from analysis.synth import (
    FAULT_KINDS,
    MANUAL_POINTS,
    SynthReport,
    generate_parquet,
    generate_sample,
    persona_level,
)
from analysis.vocab import (
    ACTIVITIES,
    ACTIVITY_KIND_ALIASES,
    ORG_TYPE_ALIASES,
    ORG_TYPE_ZH,
    ORGS,
    PROVENANCE,
    SELF_ASSESSMENT_HEADERS,
    SELF_SCORES,
    SELF_SHEET_SUMMARY,
    TABLES,
    header_lookup,
    normalize_header,
)

Row = tuple[int, list[object]]
REGISTRY = f"{ORGS.zh}名册.xlsx"
#: how the unit's returned 自评分表 is named, and the header row of each of its org sheets
RETURNED_SHEET = "年自评分表.xlsx"
RETURNED_HEADER = [normalize_header(h) for h in SELF_ASSESSMENT_HEADERS]
#: the tables the benchmark Parquet holds: every table of the store but 自评得分 (self_scores, issue 18), which
#: only the sample has (a benchmark has no claims to check); the sample holds every table
BENCH_TABLES = set(TABLES) - {"self_scores"}


# ---------------------------------------------------------------------------------------------
# Reading the files back, as a user's tools would (no ingest: it is tested on its own).
# ---------------------------------------------------------------------------------------------
def _sheets(path: Path, limit: int | None = None) -> Iterator[tuple[str, list[Row]]]:
    """(sheet name, [(row number as the user sees it, values)]) of every sheet; the header of a JSON or
    Parquet file is given as row 0."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True, max_row=limit)
            yield ws.title, [(i, list(r)) for i, r in enumerate(rows, start=1)]
        wb.close()
    elif path.suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))[:limit]
        yield "", [(i, list(r)) for i, r in enumerate(rows, start=1)]
    elif path.suffix == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        keys = list(records[0])
        yield "", [(0, keys)] + [(i, [r[k] for k in keys]) for i, r in enumerate(records, start=1)]
    else:
        frame = pl.read_parquet(path)
        yield "", [(0, frame.columns)] + [(i, list(r)) for i, r in enumerate(frame.iter_rows(), start=1)]


def _table_of(rows: list[Row]) -> tuple[str, int, list[str | None]] | None:
    """The table whose required columns a row names (the header), its index, and each column's name."""
    for index, (_, values) in enumerate(rows):
        for name, table in TABLES.items():
            lookup = header_lookup(table)
            columns = [lookup.get(normalize_header(v)) for v in values]
            if set(table.required) <= set(columns):
                return name, index, columns
    return None


def _row(root: Path, file: str, sheet: str, row: int) -> tuple[str, dict[str, object]]:
    """The table and the canonical column -> raw value of one row of a file."""
    for name, rows in _sheets(root / file):
        if name == sheet:
            found = _table_of(rows)
            assert found is not None
            table, header, columns = found
            values = dict(rows[header + 1 :])[row]
            return table, {c: v for c, v in zip(columns, values, strict=True) if c}
    raise AssertionError(f"no sheet {sheet!r} in {file}")


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SynthReport:
    return generate_sample(tmp_path_factory.mktemp("synth") / "sample", seed=2024)


# ---------------------------------------------------------------------------------------------
# The sample.
# ---------------------------------------------------------------------------------------------
def test_same_seed_writes_identical_bytes(sample: SynthReport, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again", seed=2024)
    assert _digests(again.root) == _digests(sample.root)
    assert again.faults == sample.faults


def test_other_seed_writes_other_data(sample: SynthReport, tmp_path: Path) -> None:
    other = _digests(generate_sample(tmp_path / "other", seed=7).root)
    mine = _digests(sample.root)
    assert other[REGISTRY] != mine[REGISTRY]
    common = set(other) & set(mine)
    assert sum(other[f] != mine[f] for f in common) == len(common)


def test_generate_sample_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError, match="不是空的"):
        generate_sample(tmp_path)


def test_folder_holds_only_the_reported_export_files(sample: SynthReport) -> None:
    assert set(_digests(sample.root)) == set(sample.files)
    assert sample.files == tuple(sorted(sample.files))
    # registry, elections, incidents, contacts, party workers, 180 activity files, 9 + 2 more, and the
    # 3 yearly files of 书记述职 / 机关党员干部大会 / 党建工作通报; self-scores of 2024: 23 units' files and
    # one unit's returned 自评分表
    assert len(sample.files) == 196 + 3 + 23 + 1
    assert {Path(f).suffix for f in sample.files} == {".xlsx", ".csv", ".json", ".parquet"}


def test_sample_stays_under_five_megabytes(sample: SynthReport) -> None:
    assert sum((sample.root / f).stat().st_size for f in sample.files) < 5_000_000


def test_registry_holds_300_orgs_60_of_them_top_level(sample: SynthReport) -> None:
    (_, rows), *_ = _sheets(sample.root / REGISTRY)
    found = _table_of(rows)
    assert found is not None and found[0] == "orgs" and found[1] == 2  # two title rows above the header
    header = rows[2][1]
    records = [dict(zip(found[2], values, strict=True)) for _, values in rows[3:]]
    assert len(records) == 300 == len(sample.personas)
    assert len({r["org_id"] for r in records}) == 300
    top = [r for r in records if r["parent_id"] is None]
    assert len(top) == 60 == len(sample.top_level)
    assert Counter(ORG_TYPE_ALIASES[str(r["org_type"])] for r in top) == {
        "committee": 46,
        "general_branch": 10,
        "branch": 4,
    }
    assert {r["org_type"] for r in records} > set(ORG_TYPE_ZH.values())  # aliases too
    assert header[0] == ORGS.column("org_id").zh + "*"


def test_codes_are_six_digit_text_cells(sample: SynthReport) -> None:
    ws = openpyxl.load_workbook(sample.root / REGISTRY).active
    assert ws is not None
    codes = [row[0] for row in ws.iter_rows(min_row=4)]
    assert all(c.data_type == "s" and re.fullmatch(r"\d{6}", c.value) for c in codes)
    assert all(c.value.startswith("0") for c in codes)  # leading zeros everywhere
    assert ws.merged_cells.ranges  # the title row is merged across the table


def test_every_table_is_present_and_the_contact_list_matches_none(sample: SynthReport) -> None:
    tables: Counter[str] = Counter()
    for f in sample.files:
        for name, rows in _sheets(sample.root / f, limit=6):
            if f.endswith(RETURNED_SHEET):  # recognised by its layout, not by the table's headers
                if name != SELF_SHEET_SUMMARY:
                    assert [normalize_header(v) for v in rows[2][1]] == RETURNED_HEADER, (f, name)
                    tables["self_scores"] += 1
                continue
            found = _table_of(rows)
            if f in sample.refused_files:
                assert found is None
            else:
                assert found is not None, f
                tables[found[0]] += 1
    assert set(tables) == set(TABLES)
    assert tables["activities"] > 180  # one file per department and year, some with two sheets
    assert sample.refused_files == ("其他/通讯录.xlsx",)


def test_self_scores_come_in_several_formats_with_items_as_ids_and_as_names(sample: SynthReport) -> None:
    files = [f for f in sample.files if SELF_SCORES.zh in f]
    assert len(files) == 23
    assert Counter(Path(f).suffix for f in files) == {".xlsx": 9, ".csv": 10, ".json": 4}
    items: set[str] = set()
    for f in files:
        for _, rows in _sheets(sample.root / f):
            found = _table_of(rows)
            assert found is not None and found[0] == "self_scores", f
            _, header, columns = found
            at = columns.index("item")
            items |= {str(values[at]) for _, values in rows[header + 1 :]}
    assert {"edu.three_meetings_one_lesson", "三会一课"} <= items
    assert all(Path(f).parts[:2] == ("2024", "自评") for f in files)


def test_csv_files_come_in_three_encodings(sample: SynthReport) -> None:
    kinds = set()
    for f in sample.files:
        if f.endswith(".csv"):
            raw = (sample.root / f).read_bytes()
            try:
                raw.decode("utf-8")
                kinds.add("utf-8-bom" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
            except UnicodeDecodeError:
                raw.decode("gb18030")
                kinds.add("gb18030")
    assert kinds == {"utf-8", "utf-8-bom", "gb18030"}


_DATE_FORMS = {
    "iso": r"\d{4}-\d{2}-\d{2}",
    "slash": r"\d{4}/\d{1,2}/\d{1,2}",
    "dot": r"\d{4}\.\d{1,2}\.\d{1,2}",
    "zh": r"\d{4}年\d{1,2}月\d{1,2}日",
    "time": r"\d{4}/\d{1,2}/\d{1,2}  \d{1,2}:\d{2}",
    "midnight": r"\d{4}-\d{2}-\d{2} 00:00:00",
}


def _date_form(value: object) -> str:
    if isinstance(value, datetime):
        return "cell"
    if isinstance(value, int):
        return "serial"
    return next((form for form, rx in _DATE_FORMS.items() if re.fullmatch(rx, str(value))), "unknown")


def test_activity_dates_come_in_every_form_of_the_contract(sample: SynthReport) -> None:
    every = {*_DATE_FORMS, "cell", "serial", "unknown"}  # "unknown": the injected unreadable dates
    seen: set[str] = set()
    for f in sample.files:
        if ACTIVITIES.zh in f and seen != every:
            for _, rows in _sheets(sample.root / f):
                found = _table_of(rows)
                assert found is not None
                at = found[2].index("date")
                seen.update(_date_form(values[at]) for _, values in rows[found[1] + 1 :])
    assert seen == every


def test_faults_cover_every_kind(sample: SynthReport) -> None:
    assert Counter(f.kind for f in sample.faults) == {
        "bad_date": 4,
        "unknown_kind": 3,
        "unknown_org": 3,
        "negative": 3,
        "duplicate": 3,
    }
    assert {f.kind for f in sample.faults} == set(FAULT_KINDS)
    assert list(sample.faults) == sorted(sample.faults, key=lambda f: (f.file, f.sheet, f.row))
    assert {f.value for f in sample.faults if f.kind == "bad_date"} == {
        "2024-13-45",
        "去年",
        "2024/2/30",
        "2024-13",
    }


def test_each_fault_points_at_its_spoiled_cell(sample: SynthReport) -> None:
    for fault in sample.faults:
        if fault.kind == "duplicate":
            continue
        table, row = _row(sample.root, fault.file, fault.sheet, fault.row)
        assert table == fault.table
        value = row[fault.column]
        assert str(value) == fault.value or float(value) == float(fault.value), fault  # type: ignore[arg-type]


def test_each_duplicate_repeats_an_earlier_row_of_another_file(sample: SynthReport) -> None:
    duplicates = [f for f in sample.faults if f.kind == "duplicate"]
    assert Counter(f.table for f in duplicates) == {"activities": 2, "study": 1}
    for dup in duplicates:
        assert dup.duplicate_of is not None
        assert dup.duplicate_of < (dup.file, dup.sheet, dup.row)
        assert dup.duplicate_of[0] != dup.file
        _, copy = _row(sample.root, dup.file, dup.sheet, dup.row)
        table, original = _row(sample.root, *dup.duplicate_of)
        assert table == dup.table
        assert copy["org_id"] == original["org_id"]
        assert str(copy.get("topic") or "") == str(original.get("topic") or "")


def test_rows_valid_are_rows_written_minus_faults(sample: SynthReport) -> None:
    faults = Counter(f.table for f in sample.faults)
    assert {t: sample.rows_written[t] - faults[t] for t in TABLES} == sample.rows_valid
    assert sample.rows_valid["orgs"] == 300
    assert sample.rows_valid["inspections"] == 300 * 3 * len(MANUAL_POINTS)
    assert sample.rows_valid["incidents"] == 3


def test_personas_mix_all_kinds(sample: SynthReport) -> None:
    assert Counter(sample.personas.values()) == {"average": 204, "exemplary": 86, "weak": 4, "declining": 6}
    declining = next(o for o, p in sample.personas.items() if p == "declining")
    assert [sample.level(declining, y) for y in sample.years] == ["exemplary", "average", "weak"]
    assert persona_level("weak", 2022) == "weak"


def test_veto_on_a_branch_reaches_its_top_level_org(sample: SynthReport) -> None:
    assert sample.vetoed[2023] == ()
    vetoed = set(sample.vetoed[2024])
    tops = vetoed & set(sample.top_level)
    assert len(tops) == 2  # a branch two levels down, and a top-level committee itself
    assert len(vetoed) == 4
    assert all(any(o[:3] == t[:3] for t in tops) for o in vetoed)
    assert len(sample.vetoed[2022]) == 2


def test_two_overdue_elections_vacant_secretaries_and_approved_late_elections(sample: SynthReport) -> None:
    first, second = sample.overdue[2024]
    assert sample.overdue == {2022: (), 2023: (first, second), 2024: (first, second)}
    assert len(sample.vacant_secretaries) == 3
    assert len(sample.approved_late) == 2
    (_, rows), *_ = _sheets(sample.root / REGISTRY)
    secretaries = {values[0]: values[6] for _, values in rows[3:]}
    assert {o for o, s in secretaries.items() if s is None} == set(sample.vacant_secretaries)
    (_, rows), *_ = _sheets(sample.root / "换届记录.xlsx")
    approved = {values[0] for _, values in rows[2:] if values[2] == "是"}
    assert approved == set(sample.approved_late)


def _records(path: Path) -> list[dict[str, object]]:
    """Canonical column -> raw value of every data row of every sheet of a file."""
    out: list[dict[str, object]] = []
    for _, rows in _sheets(path):
        found = _table_of(rows)
        assert found is not None, path
        out += [dict(zip(found[2], values, strict=True)) for _, values in rows[found[1] + 1 :]]
    return out


def _registry(sample: SynthReport) -> dict[str, dict[str, object]]:
    return {str(r["org_id"]): r for r in _records(sample.root / REGISTRY)}


def test_registry_says_which_branches_have_party_groups_and_whether_the_secretary_leads_the_unit(
    sample: SynthReport,
) -> None:
    orgs = _registry(sample)
    branch = {o for o, r in orgs.items() if ORG_TYPE_ALIASES[str(r["org_type"])] == "branch"}
    groups = {o: orgs[o]["has_party_groups"] for o in branch}
    assert Counter(groups.values()) == {"是": 161, "否": 59}
    assert {orgs[o]["has_party_groups"] for o in set(orgs) - branch} == {None}  # 党小组会 is a branch rule
    members = {o: int(str(orgs[o]["member_count"])) for o in branch}
    assert all(groups[o] == "是" for o in branch if members[o] >= 15)
    assert all(groups[o] == "否" for o in branch if members[o] < 10)
    leader = {o: r["secretary_is_leader"] for o, r in orgs.items()}
    assert {o for o, v in leader.items() if v is None} == set(sample.vacant_secretaries)
    assert Counter(leader.values()) == {"是": 283, "否": 14, None: 3}


def test_branches_without_party_groups_hold_no_group_meetings(sample: SynthReport) -> None:
    no_groups = {o for o, r in _registry(sample).items() if r["has_party_groups"] == "否"}
    held: Counter[str] = Counter()
    for f in sample.files:
        if ACTIVITIES.zh in f:
            for r in _records(sample.root / f):
                if ACTIVITY_KIND_ALIASES.get(str(r["kind"])) == "group_meeting":
                    held[str(r["org_id"])] += 1
    assert not set(held) & no_groups
    assert len(held) == 161  # every branch with 党小组 held some


_DUTY_FILES = tuple(f"{y}/机关党建述职通报_{y}.xlsx" for y in (2022, 2023, 2024))


def test_the_duties_of_national_2019_are_held_yearly_by_the_orgs_they_apply_to(sample: SynthReport) -> None:
    orgs = _registry(sample)
    top = set(sample.top_level)
    committees = {o for o in top if ORG_TYPE_ALIASES[str(orgs[o]["org_type"])] == "committee"}
    assert set(_DUTY_FILES) <= set(sample.files)
    for path in _DUTY_FILES:
        held: dict[str, set[str]] = {}
        for r in _records(sample.root / path):
            held.setdefault(ACTIVITY_KIND_ALIASES[str(r["kind"])], set()).add(str(r["org_id"]))
        assert set(held) == {"cadre_congress", "secretary_report", "party_building_report"}
        assert held["cadre_congress"] <= committees and len(held["cadre_congress"]) >= len(committees) - 4
        assert held["party_building_report"] <= top and len(held["party_building_report"]) >= len(top) - 4
        assert not held["secretary_report"] & set(sample.vacant_secretaries)  # no one to report
        assert len(held["secretary_report"]) >= 280
        year = int(path[:4])
        exemplary = {o for o in orgs if sample.level(o, year) == "exemplary"}
        assert exemplary - set(sample.vacant_secretaries) <= held["secretary_report"]
        assert exemplary & committees <= held["cadre_congress"]
    rows = {
        p: Counter(ACTIVITY_KIND_ALIASES[str(r["kind"])] for r in _records(sample.root / p))
        for p in _DUTY_FILES
    }
    # (书记述职, 党建工作通报 — twice a year by an exemplary org, 机关党员干部大会) per year
    got = [(c["secretary_report"], c["party_building_report"], c["cadre_congress"]) for c in rows.values()]
    assert got == [(286, 76, 44), (285, 71, 46), (283, 72, 44)]


# ---------------------------------------------------------------------------------------------
# Benchmark Parquet.
# ---------------------------------------------------------------------------------------------
def _canonical(table: str) -> pl.Schema:
    return pl.Schema({c: t for c, t in table_schema(table).items() if c not in PROVENANCE})


def test_parquet_has_the_store_schema_and_the_counts_it_reports(tmp_path: Path) -> None:
    counts = generate_parquet(tmp_path / "bench", orgs=200, years=1, seed=3)
    for table in sorted(BENCH_TABLES):
        frame = pl.read_parquet(tmp_path / "bench" / table / "*.parquet")
        assert frame.schema == _canonical(table), table
        assert frame.height == counts[table], table
    assert counts["orgs"] == 200
    assert counts["dues"] == 200 * 12
    assert counts["inspections"] == 200 * len(MANUAL_POINTS)
    assert counts["elections"] == 200 * 2
    assert 3 * 200 - 10 < counts["party_workers"] <= 5 * 200
    assert 50 * 200 < counts["activities"] < 65 * 200
    orgs = pl.read_parquet(tmp_path / "bench" / "orgs" / "*.parquet")
    assert orgs.filter(pl.col("parent_id").is_null()).height == 5  # one committee per 40 orgs
    members = int(orgs["member_count"].sum())
    assert 18 * members < counts["study"] < 30 * members
    study = pl.read_parquet(tmp_path / "bench" / "study" / "*.parquet")
    assert study.select("member_id", "date").is_unique().all()
    assert study["date"].dt.year().unique().to_list() == [2024]


def test_parquet_rows_grow_with_orgs_and_years(tmp_path: Path) -> None:
    small = generate_parquet(tmp_path / "small", orgs=200, years=1)
    large = generate_parquet(tmp_path / "large", orgs=400, years=[2023, 2024])
    for table in ("activities", "study", "dues", "inspections"):
        assert 3.6 < large[table] / small[table] < 4.4, table
    years = pl.read_parquet(tmp_path / "large" / "activities" / "*.parquet")["date"].dt.year().unique()
    assert years.sort().to_list() == [2023, 2024]


def test_parquet_is_deterministic(tmp_path: Path) -> None:
    generate_parquet(tmp_path / "a", orgs=120, years=2, seed=5)
    generate_parquet(tmp_path / "b", orgs=120, years=2, seed=5)
    generate_parquet(tmp_path / "c", orgs=120, years=2, seed=6)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert (
        _digests(tmp_path / "a")["study/part-2024-0000.parquet"]
        != _digests(tmp_path / "c")["study/part-2024-0000.parquet"]
    )
