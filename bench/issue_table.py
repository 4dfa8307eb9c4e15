"""Issue 20's table — what | now | target | met? — from the JSON figures of every part of ``bench/``.

Each bench script writes ``{"rows": [{"key", "value", "unit", "note"}]}`` with ``--json FILE``:
``office.py`` (ingest of office files ÷ a bare read), ``ingest_scale.py`` (ingest at scale ÷ read + sort +
write), ``increment.py`` (adding one file to a big store), ``report.py`` (``workbench report`` on the
sample) and ``run.py`` itself (assess beside its DuckDB and pandas peers).  :func:`run_parts` runs the
scripts, each in its own process, saving their files in one folder; :func:`read_parts` reads such a
folder back (``bench/run.py --from-json DIR``); :func:`table` turns the figures into the issue's rows.
A part that did not run, failed, or left out a figure reads **未测** (not measured) with the reason —
never a number that was not measured.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the size of the issue's scale rows (ingest from Parquet, one more file, assess)
PROVINCE = 200_000
NOT_MEASURED = "未测"


@dataclass(frozen=True)
class Part:
    name: str  #: the JSON file is ``<name>.json``
    script: str  #: under bench/
    keys: tuple[str, ...]  #: the keys its JSON carries


PARTS = (
    Part(
        "office",
        "office.py",
        (
            "office_sample_ratio",
            "office_sample_floor_s",
            "office_sample_ingest_s",
            "office_tree_ratio",
            "office_tree_floor_s",
            "office_tree_ingest_s",
            "office_tree_files",
            "office_tree_rows",
        ),
    ),
    Part("scale", "ingest_scale.py", ("scale_ingest_s", "scale_floor_s", "scale_ingest_ratio", "scale_rows", "scale_ingest_rss_mb")),
    Part("increment", "increment.py", ("increment_s", "increment_process_s", "increment_orgs")),
    Part("report", "report.py", ("report_s", "report_mb", "report_count")),
)
#: run.py's own figures (written by it, read back like the others)
ASSESS = Part(
    "assess",
    "run.py",
    (
        "assess_s",
        "assess_orgs",
        "assess6_s",
        "duckdb_s",
        "pandas_s",
        "assess_duckdb_ratio",
        "assess_pandas_ratio",
        "assess6_duckdb_ratio",
        "assess6_pandas_ratio",
        "assess_rss_mb",
        "duckdb_rss_mb",
        "pandas_rss_mb",
        "assess_baseline_s",
        "assess_cpu_s",
        "assess_baseline_cpu_s",
    ),
)


@dataclass
class Figures:
    """The rows a part wrote, by key, or why there are none (``missing``)."""

    rows: dict[str, dict]
    missing: str = ""

    def value(self, key: str) -> float | None:
        row = self.rows.get(key)
        return None if row is None or row.get("value") is None else float(row["value"])

    def note(self, key: str) -> str:
        return str(self.rows.get(key, {}).get("note") or "")


def load(path: Path) -> Figures:
    """A part's JSON file; a file that is absent or unreadable is a part not measured, with the reason."""
    if not path.is_file():
        return Figures({}, f"no {path}")
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        return Figures({r["key"]: r for r in rows})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Figures({}, f"{path} unreadable ({exc})")


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")


def run_part(part: Part, out: Path, args: list[str], env: dict[str, str] | None = None) -> Figures:
    """Run ``bench/<script> --json out/<name>.json ARGS`` in a fresh process; its figures, or why none."""
    script = HERE / part.script
    if not script.is_file():
        return Figures({}, f"no bench/{script.name} in this checkout")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{part.name}.json"
    target.unlink(missing_ok=True)
    cmd = [sys.executable, str(script), "--json", str(target), *args]
    print(f"== {' '.join(shlex.quote(c) for c in cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    print(f"   {time.perf_counter() - t0:.0f} s, exit {done.returncode}", flush=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return Figures({}, f"bench/{script.name} exited {done.returncode}: {last[:200]}")
    return load(target)


def run_parts(
    out: Path, extra: dict[str, list[str]], env: dict[str, str] | None = None, only: list[str] | None = None
) -> dict[str, Figures]:
    """The parts of :data:`PARTS` (those named in ``only``, when given), one after another, with the
    extra arguments given per part name; a part left out reads as not run."""
    return {
        p.name: run_part(p, out, extra.get(p.name, []), env)
        if only is None or p.name in only
        else Figures({}, f"not run (--parts {' '.join(only)})")
        for p in PARTS
    }


def read_parts(folder: Path) -> dict[str, Figures]:
    """The figures saved in ``folder`` (one ``<name>.json`` per part, run.py's ``assess.json`` too)."""
    return {p.name: load(folder / f"{p.name}.json") for p in (*PARTS, ASSESS)}


#: what ``run.py --issue`` records of its own run beside the parts' files: the size the ingest at scale
#: was asked for (``ingest_scale.py`` does not say it in its JSON)
RUN_FILE = "run.json"


def scale_orgs(folder: Path) -> int | None:
    """The size recorded in ``folder``'s :data:`RUN_FILE`, or None."""
    value = load(folder / RUN_FILE).value("scale_orgs")
    return None if value is None else int(value)


# ---------------------------------------------------------------------------------------------
# The rows
# ---------------------------------------------------------------------------------------------
Row = tuple[str, str, str, str, str]  # what, now, target, met?, note
#: the spread of one stage's time on a shared machine: assess slower than main's by more is a regression
NOISE = 1.05


def _row(
    what: str,
    target: str,
    f: Figures,
    need: tuple[str, ...],
    now: Callable[..., str],
    met: Callable[..., bool],
    extra: tuple[tuple[str, str], ...] = (),
) -> Row:
    """One row: ``now`` and ``met`` take the values of ``need`` (all required, else the row is 未测 with
    why); ``extra`` are (key, format) pairs added to the note when the part gave them."""
    values = [f.value(k) for k in need]
    if f.missing or any(v is None for v in values):
        why = f.missing or "it gave no " + ", ".join(k for k, v in zip(need, values, strict=True) if v is None)
        return what, NOT_MEASURED, target, NOT_MEASURED, why
    notes = [fmt.format(f.value(k)) for k, fmt in extra if f.value(k) is not None]
    notes += [n for k in need if (n := f.note(k))]
    return what, now(*values), target, "yes" if met(*values) else "no", "; ".join(notes)


def _at_province(row: Row, orgs: float | None) -> Row:
    """A scale row measured at fewer orgs than the province's, or at a size nobody recorded: the figure
    stays, ``met?`` is not judged."""
    if orgs == PROVINCE or row[1] == NOT_MEASURED:
        return row
    what, now, target, _, note = row
    at = "at a size not recorded" if orgs is None else f"at {orgs:,.0f} orgs"
    said = f"measured {at}; the target is judged at {PROVINCE:,} (--sizes {PROVINCE})"
    return what, now, target, f"{NOT_MEASURED} ({PROVINCE:,})", "; ".join(t for t in (said, note) if t)


def table(parts: dict[str, Figures], scale_orgs: int | None = None) -> list[Row]:
    """The issue's rows from the parts' figures; ``scale_orgs`` is the size ingest_scale.py was run at
    (it does not say so in its JSON)."""
    office, scale, inc, report = parts["office"], parts["scale"], parts["increment"], parts["report"]
    return [
        _row(
            "ingest of the sample ÷ bare read of its files (process wall, alternating)",
            "≤ 2.5",
            office,
            ("office_sample_ratio",),
            lambda r: f"{r:.2f}",
            lambda r: r <= 2.5,
            (("office_sample_ingest_s", "ingest {:.2f} s"), ("office_sample_floor_s", "read {:.2f} s")),
        ),
        _row(
            "ingest of a tree of workbooks ÷ bare read (the issue: 1,496 workbooks)",
            "≤ 2.0",
            office,
            ("office_tree_ratio",),
            lambda r: f"{r:.2f}",
            lambda r: r <= 2.0,
            (
                ("office_tree_files", "{:,.0f} files"),
                ("office_tree_rows", "{:,.0f} rows"),
                ("office_tree_ingest_s", "ingest {:.1f} s"),
                ("office_tree_floor_s", "read {:.1f} s"),
            ),
        ),
        _at_province(
            _row(
                "ingest, 200,000 orgs from Parquet (s; ÷ reading + sorting + writing the same rows with polars)",
                "≤ 40 s, and ≤ 4×",
                scale,
                ("scale_ingest_s", "scale_ingest_ratio"),
                lambda s, r: f"{s:.1f} s, {r:.2f}×",
                lambda s, r: s <= 40 and r <= 4,
                (
                    ("scale_rows", "{:,.0f} rows"),
                    ("scale_floor_s", "read+sort+write {:.1f} s"),
                    ("scale_ingest_rss_mb", "peak RSS {:,.0f} MB"),
                ),
            ),
            scale_orgs,
        ),
        _at_province(
            _row(
                "adding one file to the 200,000-org store",
                "≤ 3 s",
                inc,
                ("increment_s",),
                lambda s: f"{s:.2f} s",
                lambda s: s <= 3,
                (("increment_process_s", "process wall {:.2f} s"),),
            ),
            inc.value("increment_orgs"),
        ),
        _row(
            "`workbench report` on the sample (target: a quiet machine)",
            "≤ 45 s",
            report,
            ("report_s",),
            lambda s: f"{s:.1f} s",
            lambda s: s <= 45,
            (("report_count", "{:,.0f} reports"),),
        ),
        _row(
            "`workbench report` output size on the sample",
            "≤ 80 MB",
            report,
            ("report_mb",),
            lambda m: f"{m:.0f} MB",
            lambda m: m <= 80,
        ),
        _assess_row(parts["assess"]),
    ]


def _assess_row(ass: Figures) -> Row:
    """assess beside its peers: all 21 rules, and the same call on the peers' six rules (the like-for-like
    ratios); "no regression" is judged against main's assess timed in the same run (``run.py
    --baseline``): at most :data:`NOISE` × its time."""
    row = _row(
        "assess at 200,000 orgs (s; ÷ DuckDB, ÷ pandas computing six of its rules on the same store)",
        "no regression; keep the DuckDB peer",
        ass,
        ("assess_s", "assess6_s", "assess6_duckdb_ratio", "assess6_pandas_ratio"),
        lambda a, s6, d, p: f"{a:.2f} s; six rules {s6:.2f} s, {d:.2f}× DuckDB, {p:.2f}× pandas",
        lambda *_: True,
        (
            ("duckdb_s", "DuckDB {:.2f} s"),
            ("pandas_s", "pandas {:.2f} s"),
            ("assess_duckdb_ratio", "all 21 rules ÷ DuckDB {:.2f}"),
            ("assess_pandas_ratio", "÷ pandas {:.2f}"),
            ("assess_rss_mb", "peak RSS assess {:,.0f} MB"),
            ("duckdb_rss_mb", "DuckDB {:,.0f} MB"),
            ("pandas_rss_mb", "pandas {:,.0f} MB"),
        ),
    )
    base, s = ass.value("assess_baseline_s"), ass.value("assess_s")
    if row[1] != NOT_MEASURED:
        if base is None:
            met, said = NOT_MEASURED, "no --baseline: main's assess was not timed in the same run, so no regression is judged"
        else:
            met, said = ("yes" if s <= NOISE * base else "no"), f"main's assess in the same run {base:.2f} s ({s / base:.2f}×)"
            cpu, base_cpu = ass.value("assess_cpu_s"), ass.value("assess_baseline_cpu_s")
            if cpu is not None and base_cpu:
                said += f", CPU {cpu:.2f} s against {base_cpu:.2f} s ({cpu / base_cpu:.2f}×)"
        row = (row[0], row[1], row[2], met, "; ".join(t for t in (said, row[4]) if t))
    return _at_province(row, ass.value("assess_orgs"))


def markdown(rows: list[Row]) -> list[str]:
    lines = ["| what | now | target | met? | note |", "|---|---:|---:|:---:|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    return lines
