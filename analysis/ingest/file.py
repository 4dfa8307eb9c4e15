"""Reading one file: every sheet recognised and parsed under a time limit, or the file (or a sheet)
refused with a reason; the result is a :class:`_FileOutcome`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.ingest.profiles import Profile
from analysis.ingest.readers import FileRefused, Limits, read_file
from analysis.ingest.returned import returned_workbook
from analysis.ingest.typed import parse_typed
from analysis.ingest.validate import Parsed, parse_sheet, recognise
from analysis.store import REJECTS_SCHEMA
from analysis.vocab import PROV_FILE, PROV_ROW, PROV_SHEET, reason


@dataclass
class _FileOutcome:
    rel: str
    size: int
    sha: str
    parsed: list[Parsed]
    rejects: list[pl.DataFrame]
    refused_message: str | None
    rows_read: int
    note: str = ""  #: sheets refused in a file whose other sheets were read


def _file_reject(rel: str, sheet: str, code: str, detail: str) -> pl.DataFrame:
    zh, en = reason(code, detail)
    return pl.DataFrame(
        {
            "table": [""],
            PROV_FILE: [rel],
            PROV_SHEET: [sheet],
            PROV_ROW: [None],
            "column": [""],
            "value": [""],
            "reason_code": [code],
            "reason_zh": [zh],
            "reason_en": [en],
            "record": [""],
        },
        schema=REJECTS_SCHEMA,
    )


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise FileRefused("too_slow") after ``seconds`` (POSIX main thread; elsewhere no limit).

    Native readers are interrupted when they hand control back to Python; the size limits bound
    how long that can be."""
    use = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not use:
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        raise FileRefused("too_slow", f"超过 {seconds:g} 秒")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _read_one(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome:
    """Read one file; whatever goes wrong with it refuses this file alone, and the ingest goes on."""
    try:
        with _time_limit(limits.max_seconds_per_file):
            return _read_one_unlimited(path, rel, size, sha, limits, profiles)
    except FileRefused as exc:
        return _refused(rel, size, sha, exc.code, exc.detail)
    except RecursionError:  # nesting deeper than a parser's stack
        return _refused(rel, size, sha, "too_deep", "")
    except Exception as exc:  # a parser failing on input it was never meant for: this file only
        return _refused(rel, size, sha, "parse_failed", f"{type(exc).__name__}: {str(exc)[:200]}")


def _refused(rel: str, size: int, sha: str, code: str, detail: str) -> _FileOutcome:
    return _FileOutcome(rel, size, sha, [], [_file_reject(rel, "", code, detail)], reason(code, detail)[0], 0)


def _read_one_unlimited(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome:
    out = _FileOutcome(rel, size, sha, [], [], None, 0)
    try:
        sheets = returned_workbook(read_file(path, limits), limits.header_scan_rows)
    except FileRefused as exc:
        out.rejects.append(_file_reject(rel, "", exc.code, exc.detail))
        out.refused_message = reason(exc.code, exc.detail)[0]
        return out
    messages = []
    for sheet in sheets:
        if sheet.data.height == 0:
            continue  # an empty sheet (Sheet2, Sheet3) is not a table
        try:
            rec = recognise(sheet, limits, rel, profiles)
            parsed = parse_typed(sheet, rec, rel, limits) or parse_sheet(sheet, rec, rel, limits)
        except FileRefused as exc:
            where = f"工作表“{sheet.sheet}”：" if sheet.sheet else ""
            out.rejects.append(_file_reject(rel, sheet.sheet, exc.code, exc.detail))
            messages.append(where + reason(exc.code, exc.detail)[0])
            continue
        out.parsed.append(parsed)
        out.rejects.append(parsed.rejects)
        out.rows_read += parsed.rows_read
    if not out.parsed:
        out.refused_message = "；".join(messages) or reason("header_only")[0]
        if not messages:
            out.rejects.append(_file_reject(rel, "", "header_only", ""))
    else:
        out.note = "；".join(messages)
    return out
