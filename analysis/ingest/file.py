"""Reading files: every sheet recognised and prepared under a time limit, or the file (or a sheet)
refused with a reason; then the sheets of many files checked together, one plan per layout; the result
is a :class:`_FileOutcome` per file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.ingest.profiles import Profile
from analysis.ingest.readers import FileRefused, Limits, read_file
from analysis.ingest.returned import returned_workbook
from analysis.ingest.typed import parse_typed
from analysis.ingest.validate import (
    MEMO_ROWS,
    Parsed,
    Prepared,
    check_sheets,
    convert_new_values,
    prepare_sheet,
    recognise,
)
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


@dataclass
class _Pending:
    """A file read, its sheets recognised and prepared, waiting for the checks: ``slots`` holds in sheet
    order a prepared sheet, its :class:`Parsed` once checked, or ``(sheet, code, detail)`` of a refused
    sheet; ``failed`` a whole-file refusal found by the checks."""

    outcome: _FileOutcome
    slots: list[Prepared | Parsed | tuple[str, str, str]]
    failed: tuple[str, str] | None = None


def _read_one(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome:
    """Read one file; whatever goes wrong with it refuses this file alone, and the ingest goes on."""
    return read_files([(path, rel, size, sha)], limits, profiles)[0]


#: files of a run worth reading in more than one process (fewer: one process, no start-up cost)
POOL_MIN_FILES = 32
#: processes reading at most (the ingest's own included); ``WORKBENCH_WORKERS`` overrides it (1: off)
MAX_WORKERS = 4


def _workers(files: int) -> int:
    """Processes to read ``files`` files with: one per usable core up to :data:`MAX_WORKERS`, one for few files."""
    if files < POOL_MIN_FILES:
        return 1
    wanted = os.environ.get("WORKBENCH_WORKERS", "")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, int(wanted) if wanted.isdigit() else min(cores, MAX_WORKERS))


@contextmanager
def file_pool(files: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for reading ``files`` files (None: read in this process).  Spawned, not forked:
    polars' thread pool does not survive a fork."""
    n = _workers(files)
    if n <= 1:
        yield None
        return
    with ProcessPoolExecutor(n - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.workers = n - 1  # type: ignore[attr-defined]
        yield pool


def read_files(
    items: list[tuple[Path, str, int, str]],
    limits: Limits,
    profiles: list[Profile],
    pool: ProcessPoolExecutor | None = None,
) -> list[_FileOutcome]:
    """Read files (path, name, size, sha256), in order: each read and its sheets prepared under the time
    limit, then the sheets of all of them checked together, one plan per layout (:func:`_check_all`).
    What goes wrong with a file refuses that file (or sheet) alone, exactly as one file read by itself.

    With a ``pool`` (and :data:`POOL_MIN_FILES` files or more) the files are cut into consecutive slices
    of about equal bytes, one per process, this one reading the first; the outcomes come back in order."""
    if pool is not None and len(items) >= POOL_MIN_FILES:
        slices = _slices(items, pool.workers + 1)  # type: ignore[attr-defined]
        try:
            futures = [pool.submit(read_files, part, limits, profiles) for part in slices[1:]]
        except Exception:  # noqa: BLE001 — no process could be started (a Jupyter kernel's __main__
            return read_files(items, limits, profiles)  # cannot be spawned again): all read here
        out = read_files(slices[0], limits, profiles)
        for part, future in zip(slices[1:], futures, strict=True):
            try:
                out += future.result()
            except Exception:  # noqa: BLE001 — a worker that died: its files are read here instead
                out += read_files(part, limits, profiles)
        return out
    pending = [_prepare_one(*item, limits, profiles) for item in items]
    _check_all([p for p in pending if isinstance(p, _Pending)], limits)
    return [p if isinstance(p, _FileOutcome) else _assemble(p) for p in pending]


#: bytes this process reads while a spawned reading process starts and imports (~0.45 s): its slice is
#: that much larger, so that both finish together
HEAD_START_BYTES = 1 << 20


def _slices(items: list[tuple[Path, str, int, str]], n: int) -> list[list[tuple[Path, str, int, str]]]:
    """``items`` cut into ``n`` consecutive runs of about equal bytes (none empty), the first — read by
    this process, which need not start — longer by :data:`HEAD_START_BYTES` for each other process."""
    total = sum(size for _, _, size, _ in items)
    head = min(total, (total + (n - 1) * HEAD_START_BYTES) // n)
    rest = max(1, total - head)
    out: list[list[tuple[Path, str, int, str]]] = [[] for _ in range(n)]
    seen = 0
    for item in items:
        mid = seen + item[2] // 2  # where the file's middle falls decides whose it is
        k = 0 if mid < head else 1 + min(n - 2, max(0, mid - head) * (n - 1) // rest)
        out[k].append(item)
        seen += item[2]
    return [part for part in out if part]


def _prepare_one(path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]) -> _FileOutcome | _Pending:
    try:
        with _time_limit(limits.max_seconds_per_file):
            return _read_one_unlimited(path, rel, size, sha, limits, profiles)
    except FileRefused as exc:
        return _refused(rel, size, sha, exc.code, exc.detail)
    except RecursionError:  # nesting deeper than a parser's stack
        return _refused(rel, size, sha, "too_deep", "")
    except Exception as exc:  # a parser failing on input it was never meant for: this file only
        return _refused(rel, size, sha, "parse_failed", _failure(exc))


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _refused(rel: str, size: int, sha: str, code: str, detail: str) -> _FileOutcome:
    return _FileOutcome(rel, size, sha, [], [_file_reject(rel, "", code, detail)], reason(code, detail)[0], 0)


def _read_one_unlimited(
    path: Path, rel: str, size: int, sha: str, limits: Limits, profiles: list[Profile]
) -> _FileOutcome | _Pending:
    out = _FileOutcome(rel, size, sha, [], [], None, 0)
    try:
        sheets = returned_workbook(read_file(path, limits), limits.header_scan_rows)
    except FileRefused as exc:
        out.rejects.append(_file_reject(rel, "", exc.code, exc.detail))
        out.refused_message = reason(exc.code, exc.detail)[0]
        return out
    slots: list[Prepared | Parsed | tuple[str, str, str]] = []
    for sheet in sheets:
        if sheet.data.height == 0:
            continue  # an empty sheet (Sheet2, Sheet3) is not a table
        try:
            rec = recognise(sheet, limits, rel, profiles)
            # a large typed table (Parquet) needs only its checks; anything else is prepared for the
            # checks shared by the run's sheets of the same layout
            slots.append(parse_typed(sheet, rec, rel, limits) or prepare_sheet(sheet, rec, rel))
        except FileRefused as exc:
            slots.append((sheet.sheet, exc.code, exc.detail))
    return _Pending(out, slots)


def _check_all(pending: list[_Pending], limits: Limits) -> None:
    """Check every prepared sheet of ``pending``: sheets of one layout together, in runs of at most
    :data:`MEMO_ROWS` rows (a bigger sheet alone).  Should a run fail, its sheets are checked one by one,
    so that a failure refuses its own sheet or file as it would have alone."""
    groups: dict[tuple[object, ...], list[list[tuple[_Pending, int]]]] = {}
    rows: dict[tuple[object, ...], int] = {}
    for p in pending:
        for i, slot in enumerate(p.slots):
            if not isinstance(slot, Prepared):
                continue
            key, n = slot.layout(), slot.data.height
            runs = groups.setdefault(key, [[]])
            if runs[-1] and rows[key] + n > MEMO_ROWS:
                runs.append([])
                rows[key] = 0
            runs[-1].append((p, i))
            rows[key] = rows.get(key, 0) + n
    try:
        convert_new_values([p.slots[i] for runs in groups.values() for run in runs for p, i in run], limits)  # type: ignore[misc]
    except Exception:  # noqa: BLE001 — the values are converted, or the failure found, sheet by sheet below
        pass
    for runs in groups.values():
        for run in runs:
            try:
                checked = check_sheets([p.slots[i] for p, i in run], limits)  # type: ignore[misc]
            except Exception:  # noqa: BLE001 — found again, and refused, sheet by sheet below
                checked = None
            for k, (p, i) in enumerate(run):
                p.slots[i] = checked[k] if checked is not None else _check_alone(p, i, limits)


def _check_alone(p: _Pending, i: int, limits: Limits) -> Parsed | tuple[str, str, str]:
    prepared = p.slots[i]
    assert isinstance(prepared, Prepared)
    try:
        return check_sheets([prepared], limits)[0]
    except FileRefused as exc:
        return (prepared.sheet.sheet, exc.code, exc.detail)
    except RecursionError:
        p.failed = p.failed or ("too_deep", "")
    except Exception as exc:  # noqa: BLE001 — this file only
        p.failed = p.failed or ("parse_failed", _failure(exc))
    return (prepared.sheet.sheet, "parse_failed", "")  # not used: the whole file is refused


def _assemble(p: _Pending) -> _FileOutcome:
    """The file's outcome from its checked sheets, in sheet order."""
    out = p.outcome
    if p.failed is not None:
        return _refused(out.rel, out.size, out.sha, *p.failed)
    messages = []
    for slot in p.slots:
        if isinstance(slot, tuple):
            sheet, code, detail = slot
            where = f"工作表“{sheet}”：" if sheet else ""
            out.rejects.append(_file_reject(out.rel, sheet, code, detail))
            messages.append(where + reason(code, detail)[0])
            continue
        assert isinstance(slot, Parsed)
        out.parsed.append(slot)
        out.rejects.append(slot.rejects)
        out.rows_read += slot.rows_read
    if not out.parsed:
        out.refused_message = "；".join(messages) or reason("header_only")[0]
        if not messages:
            out.rejects.append(_file_reject(out.rel, "", "header_only", ""))
    else:
        out.note = "；".join(messages)
    return out
