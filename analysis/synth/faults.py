"""The intentional faults of the sample: spoiled copies of valid rows, duplicates, and a file no table
matches; each located (file, sheet, row) as the user sees it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import xlsxwriter

from analysis.synth.city import CITY, Record, _person
from analysis.synth.layout import _LATE
from analysis.synth.writers import _CREATED, _File, _Raw, _Sheet, _text

FAULT_KINDS = ("bad_date", "unknown_kind", "unknown_org", "negative", "duplicate")
FaultKind = Literal["bad_date", "unknown_kind", "unknown_org", "negative", "duplicate"]


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
