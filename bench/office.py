"""Office-file benchmark: `analysis ingest` of a folder of workbooks against a bare read of the same files.

Usage::

    python bench/office.py                    # the bundled sample and a generated tree of 3 cities
    python bench/office.py --cities 8         # a larger tree (8 × 195 files, ~1,500 workbooks and CSVs)
    python bench/office.py --cities 0         # the sample only
    python bench/office.py --baseline /work/main   # also time another checkout's ingest, same rounds
    python bench/office.py --min-files 1496 --json office.json   # enough cities for 1,496 workbooks; JSON rows

The *floor* is the least any reader must do: a fresh Python process that imports polars and reads every
file with ``polars.read_excel`` (calamine, every sheet), ``polars.read_csv``, ``polars.read_json`` or
``polars.read_parquet`` and nothing else — no header search, no checks, no store.  The *ingest* is the
user's command, ``python -m analysis ingest <tree> --store <new folder>``, in a fresh process.  Both are
timed as process wall time (imports included) from this parent, alternating, ``--repeat`` times each;
the table gives the medians and their ratio, and the CPU time (user + system) of the same runs, which a
machine shared with other work disturbs less than wall time.

The generated tree is the sample's generator (:mod:`analysis.synth`) run once per city with its own
seed; each city's org codes get a two-digit city prefix so that every workbook holds distinct rows (the
store skips a file whose content it holds already, and would refuse another city's registry rows for the
same codes as conflicting).  It is written once into ``bench/data/`` and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
SAMPLE = ROOT / "data" / "sample"
_CODES = ("org_id", "parent_id", "member_id")


# ---------------------------------------------------------------------------------------------
# The floor (run in its own process)
# ---------------------------------------------------------------------------------------------
def floor(tree: Path) -> dict:
    """Read every file under ``tree`` with polars' own readers; return files and rows read."""
    import polars as pl

    files = rows = 0
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        try:
            if suffix in (".xlsx", ".xlsm", ".xls"):
                sheets = pl.read_excel(path, sheet_id=0, has_header=False, infer_schema_length=0)
                rows += sum(df.height for df in sheets.values())
            elif suffix == ".csv":
                rows += pl.read_csv(
                    path, has_header=False, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True
                ).height
            elif suffix == ".json":
                rows += pl.read_json(path).height
            elif suffix == ".parquet":
                rows += pl.read_parquet(path).height
            else:
                continue
        except Exception:  # noqa: BLE001 — a file the floor cannot read costs it nothing more
            continue
        files += 1
    return {"files": files, "rows": rows}


# ---------------------------------------------------------------------------------------------
# The generated tree
# ---------------------------------------------------------------------------------------------
def generate_tree(out: Path, cities: int) -> dict:
    """Write ``cities`` synthetic cities side by side under ``out`` (see the module's notes)."""
    from analysis.synth.faults import _inject_faults
    from analysis.synth.layout import _build_sample
    from analysis.synth.writers import _write_file

    files = 0
    for city in range(1, cities + 1):
        sample, rng = _build_sample(2024 + city)
        prefix = f"{city:02d}"
        for f in sample.files:
            for sheet in f.sheets:
                for rec in sheet.records:
                    for key in _CODES:
                        if isinstance(rec.get(key), str) and rec[key]:
                            rec[key] = prefix + rec[key]
        _inject_faults(rng, sample.files)
        root = out / f"城市{prefix}"
        for f in sample.files:
            _write_file(root, f, random.Random(f"{city}:{f.path}"))
            files += 1
    return {"files": files}


def files_per_city() -> int:
    """Files one generated city has (the sample's generator, without writing it)."""
    from analysis.synth.layout import _build_sample

    return len(_build_sample(2025)[0].files)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one child process, and its last line of output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: ingest refused some rows or files, as the sample wants
        raise SystemExit(f"{cmd[:4]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.strip().splitlines()
    return wall, cpu, lines[-1] if lines else ""


def measure(tree: Path, repeat: int, baseline: Path | None = None) -> dict:
    """Floor and ingest of ``tree``, ``repeat`` times each, alternating (and the ingest of the
    ``baseline`` checkout, when given, in the same rounds)."""
    codes = {"ingest": ROOT, **({"baseline": baseline} if baseline else {})}
    runs: dict[str, list[tuple[float, float]]] = {"floor": [], **{k: [] for k in codes}}
    counts: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-office-") as tmp:
        for i in range(repeat):
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            wall, cpu, last = _timed([sys.executable, __file__, "--floor", str(tree)], env)
            runs["floor"].append((wall, cpu))
            counts = json.loads(last)
            for key, code in codes.items():
                store = Path(tmp) / f"{key}-{i}"
                env = {**os.environ, "PYTHONPATH": str(code)}
                # -P: the working folder (this checkout) is not put before PYTHONPATH, so --baseline times its own code
                cmd = [sys.executable, "-P", "-m", "analysis", "ingest", str(tree), "--store", str(store)]
                wall, cpu, _ = _timed(cmd, env)
                runs[key].append((wall, cpu))
                shutil.rmtree(store, ignore_errors=True)
    med = statistics.median
    out = {**counts}
    for key, rs in runs.items():
        out[f"{key}_s"] = med(w for w, _ in rs)
        out[f"{key}_cpu"] = med(c for _, c in rs)
        out[f"{key}_all"] = [w for w, _ in rs]
    return out


def _row(name: str, m: dict, key: str = "ingest") -> str:
    span = f"{min(m[key + '_all']):.2f}–{max(m[key + '_all']):.2f}"
    return (
        f"| {name} | {m['files']:,} | {m['rows']:,} | {m['floor_s']:.2f} | {m[key + '_s']:.2f} ({span}) "
        f"| **{m[key + '_s'] / m['floor_s']:.2f}** | {m['floor_cpu']:.2f} | {m[key + '_cpu']:.2f} "
        f"| {m[key + '_cpu'] / m['floor_cpu']:.2f} | {m['rows'] / m[key + '_s']:,.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cities", type=int, default=3, help="cities in the generated tree (0: the sample only)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "OFFICE-RESULTS.md")
    ap.add_argument(
        "--baseline", type=Path, help="another checkout (e.g. /work/main) whose ingest is timed in the same rounds"
    )
    ap.add_argument(
        "--min-files", type=int, default=0, help="at least so many files in the generated tree (raises --cities to reach it)"
    )
    ap.add_argument("--json", type=Path, help="also write the figures as bench/run.py's rows (keys office_*)")
    ap.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor:
        print(json.dumps(floor(args.floor)))
        return
    if args.min_files:
        args.cities = max(args.cities, -(-args.min_files // files_per_city()))
    trees = [("the sample (data/sample)", SAMPLE)]
    if args.cities:
        tree = DATA / f"office-{args.cities}-cities"
        if not (tree / ".complete").exists():
            shutil.rmtree(tree, ignore_errors=True)
            print(f"generating {args.cities} cities ...", flush=True)
            gen = generate_tree(tree, args.cities)
            (tree / ".complete").write_text(json.dumps(gen))
        trees.append((f"{args.cities} generated cities", tree))
    rows = []
    measured = []
    for name, tree in trees:
        print(f"[{name}] floor and ingest, {args.repeat} runs each, alternating ...", flush=True)
        m = measure(tree, args.repeat, args.baseline)
        measured.append(m)
        rows.append(_row(name, m))
        if args.baseline:
            rows.append(_row(f"{name}, ingest of {args.baseline}", m, "baseline"))
        print("\n".join(rows[-2 if args.baseline else -1 :]), flush=True)
    lines = [
        "# Office-file ingest against a bare read",
        "",
        f"Run: `python bench/office.py --cities {args.cities} --repeat {args.repeat}"
        f"{' --baseline ' + str(args.baseline) if args.baseline else ''}` on {time.strftime('%Y-%m-%d %H:%M')}"
        f" ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end: the machine is shared).",
        "",
        "Process wall time, imports included, median of the runs (ingest's fastest–slowest in brackets); floor "
        "and ingest alternate, so a busy spell hits both. *floor* = a fresh process reading every file with "
        "polars (calamine for workbooks) and nothing else. CPU = user + system seconds of the same runs.",
        "",
        "| tree | files | rows read by the floor | floor s | ingest s | ingest ÷ floor | floor CPU s "
        "| ingest CPU s | CPU ratio | ingest rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"rows": json_rows(measured, args)}, ensure_ascii=False, indent=1), encoding="utf-8")


def json_rows(measured: list[dict], args: argparse.Namespace) -> list[dict]:
    """``office_sample_*`` and ``office_tree_*`` rows for bench/run.py (the tree's only with --cities)."""
    out = []
    for prefix, m in zip(("office_sample", "office_tree"), measured, strict=False):
        base = f"; {args.baseline}'s ingest in the same rounds: {m['baseline_s']:.2f} s" if args.baseline else ""
        ratio = f"median of {args.repeat}, process wall, alternating with the floor"
        if args.baseline:
            ratio += f"; {args.baseline}'s code: {m['baseline_s'] / m['floor_s']:.2f}"
        out += [
            {"key": f"{prefix}_ratio", "value": round(m["ingest_s"] / m["floor_s"], 3), "unit": "ratio", "note": ratio},
            {"key": f"{prefix}_floor_s", "value": round(m["floor_s"], 3), "unit": "s", "note": "bare read (polars/calamine)"},
            {"key": f"{prefix}_ingest_s", "value": round(m["ingest_s"], 3), "unit": "s", "note": "python -m analysis ingest" + base},
        ]
        if prefix == "office_tree":
            note = f"{args.cities} generated cities"
            out += [
                {"key": "office_tree_files", "value": m["files"], "unit": "files", "note": note},
                {"key": "office_tree_rows", "value": m["rows"], "unit": "rows", "note": "rows read by the floor"},
            ]
    return out


if __name__ == "__main__":
    main()
