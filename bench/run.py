"""Scale benchmark: ingest, assess, selection and the polars floor at 2,000 / 20,000 / 200,000 orgs.

Usage::

    python bench/run.py                      # all three sizes (200,000 orgs needs ~20 GB of disk, ~15 min)
    python bench/run.py --sizes 2000 20000   # a quicker run
    python bench/run.py --years 3 --sizes 2000

Every stage runs in a fresh Python process so its wall time and peak RSS are its own; the data of a size
is generated once into ``bench/data/`` and reused.  The table is printed and written, with the machine's
description, to ``bench/RESULTS.md``.  Nothing here is asserted: targets are read off the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


# ---------------------------------------------------------------------------------------------
# Stages (each run in its own process by main())
# ---------------------------------------------------------------------------------------------
def stage_generate(raw: Path, orgs: int, years: int) -> dict:
    from analysis.synth import generate_parquet

    counts = generate_parquet(raw, orgs=orgs, years=years, seed=1)
    return {"rows": int(sum(counts.values())), "counts": counts}


def stage_ingest(raw: Path, store: Path) -> dict:
    from analysis.ingest import ingest

    if store.exists():
        shutil.rmtree(store)
    result = ingest([raw], store=store)
    return {"rows": result.totals["rows_read"], "kept": result.totals["rows_kept"]}


def _table_files(store: Path) -> list[list[Path]]:
    """The Parquet files of each canonical table in the store (a folder of parts, or one older file)."""
    from analysis.store import table_parts
    from analysis.vocab import TABLES

    return [parts for name in TABLES if (parts := table_parts(store, name))]


def _rows_in_store(store: Path) -> int:
    import polars as pl

    return sum(pl.scan_parquet(parts).select(pl.len()).collect().item() for parts in _table_files(store))


def stage_floor(store: Path) -> dict:
    """The least any engine must do: scan every table once and count rows per org.

    Also timed: the same plus the one grouping no per-org engine can avoid for the 12-days-per-member
    rule — study rows grouped per member key with polars' group-by (assess sums them run by run in
    store order instead, which costs less) — so the table shows where assess's time goes."""
    import polars as pl

    from analysis.store import MEMBER_KEY, Store, table_parts

    t0 = time.perf_counter()
    frames = [pl.scan_parquet(parts).group_by("org_id").agg(pl.len()) for parts in _table_files(store)]
    pl.collect_all(frames)
    floor = time.perf_counter() - t0
    t1 = time.perf_counter()
    if table_parts(store, "study"):
        rows, _ = Store.open(store).study_keyed()  # by the member key, as assess does
        rows.group_by(MEMBER_KEY).agg(pl.col("days").sum()).collect()
    member = time.perf_counter() - t1
    return {"rows": _rows_in_store(store), "seconds": floor, "member_group_s": member}


def stage_assess(store: Path, year: int) -> dict:
    from analysis.assess import assess
    from analysis.store import Store

    t0 = time.perf_counter()
    a = assess(Store.open(store), year=year)
    return {"seconds": time.perf_counter() - t0, "orgs": a.scores.height}


def stage_select(store: Path, year: int, draws: int) -> dict:
    from analysis.assess import assess
    from analysis.decisions import select_advanced
    from analysis.store import Store

    a = assess(Store.open(store), year=year)
    t0 = time.perf_counter()
    sel = select_advanced(a, draws=draws, seed=1)
    return {"rows": sel.height, "seconds": time.perf_counter() - t0}


def run_stage(argv: list[str]) -> None:
    """Entry of a child process: run one stage, print its figures as JSON on the last line."""
    name, *args = argv
    import polars  # noqa: F401  — imports are a fixed cost, not part of any stage's figure

    import analysis.assess  # noqa: F401
    import analysis.decisions  # noqa: F401
    import analysis.ingest  # noqa: F401

    t0 = time.perf_counter()
    if name == "generate":
        out = stage_generate(Path(args[0]), int(args[1]), int(args[2]))
    elif name == "ingest":
        out = stage_ingest(Path(args[0]), Path(args[1]))
    elif name == "floor":
        out = stage_floor(Path(args[0]))
    elif name == "assess":
        out = stage_assess(Path(args[0]), int(args[1]))
    elif name == "select":
        out = stage_select(Path(args[0]), int(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown stage {name}")
    out["process_s"] = time.perf_counter() - t0
    out.setdefault("seconds", out["process_s"])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, default=str))


def child(*args: object) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    """The run with the median ``seconds`` (the lower middle of an even count), with every run's
    seconds in ``all_s``: one stage on a shared 2-core machine varies by ±5 %."""
    ranked = sorted(runs, key=lambda r: r["seconds"])
    return {**ranked[(len(ranked) - 1) // 2], "all_s": [r["seconds"] for r in runs]}


def spread(run: dict) -> str:
    """``median (min–max)`` of a stage's runs, or the one figure."""
    s = run.get("all_s", [run["seconds"]])
    return f"{run['seconds']:.2f}" if len(s) < 2 else f"{run['seconds']:.2f} ({min(s):.2f}–{max(s):.2f})"


# ---------------------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import polars as pl

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, polars {pl.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 200000])
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs of floor and assess per size; the median is reported"
    )
    ap.add_argument(
        "--skip-ingest",
        action="store_true",
        help="reuse the store of the last run and its ingest figures (only when the store format did not change)",
    )
    ap.add_argument("--stage", nargs=argparse.REMAINDER)
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()
    if args.stage:
        run_stage(args.stage)
        return

    year = 2024
    rows = []
    for n in args.sizes:
        raw = DATA / f"raw-{n}-{args.years}y"
        store = DATA / f"store-{n}-{args.years}y"
        if not (raw / ".complete").exists():
            if raw.exists():
                shutil.rmtree(raw)
            print(f"generating {n:,} orgs × {args.years} year(s) ...", flush=True)
            gen = child("generate", raw, n, args.years)
            (raw / ".complete").write_text(json.dumps(gen))
        saved = DATA / f"ingest-{n}-{args.years}y.json"
        if args.skip_ingest and saved.is_file() and (store / "store.json").is_file():
            print(f"[{n:,} orgs] ingest: figures of the last run, store reused", flush=True)
            ing = json.loads(saved.read_text())
        else:
            print(f"[{n:,} orgs] ingest ...", flush=True)
            ing = child("ingest", raw, store)
            saved.write_text(json.dumps(ing))
        print(f"[{n:,} orgs] floor and assess, {args.repeat} runs each, alternating ...", flush=True)
        flos, asss = [], []
        for _ in range(args.repeat):  # alternating, so a slow spell of the machine hits both alike
            flos.append(child("floor", store))
            asss.append(child("assess", store, year))
        flo, ass = median_run(flos), median_run(asss)
        print(f"[{n:,} orgs] selection ({args.draws} draws) ...", flush=True)
        sel = child("select", store, year, args.draws)
        rows.append((n, ing, flo, ass, sel))

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}  ",
        f"Run: `python bench/run.py --sizes {' '.join(map(str, args.sizes))} --years {args.years} --draws {args.draws} "
        f"--repeat {args.repeat}` on {time.strftime('%Y-%m-%d')}.",
        "",
        "Seconds are the stage's own work in a fresh process, after imports (a fixed ~1.5 s). Floor and assess "
        f"ran {args.repeat} times each, alternating: the median, and in brackets the fastest and slowest run; "
        "the ratios are of the medians. *floor* = one "
        "scan of every table with a group-by count per org; *+member* = the floor plus polars' group-by of the "
        "study rows per member key, the grouping the 12-days-per-member rule needs (assess sums those rows "
        "member by member as they stream, in store order, which costs less). *selection* = the Monte Carlo "
        f"robustness check alone ({args.draws} draws).",
        "",
        "| orgs | rows in store | ingest s | ingest rows/s | floor s | floor +member s | assess s | assess rows/s "
        "| assess ÷ floor | assess ÷ (floor +member) | selection s | peak RSS ingest / assess / selection MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, ing, flo, ass, sel in rows:
        fm = flo["seconds"] + flo["member_group_s"]
        lines.append(
            f"| {n:,} | {flo['rows']:,} | {ing['seconds']:.1f} | {ing['rows'] / ing['seconds']:,.0f} | {spread(flo)} "
            f"| {fm:.2f} | {spread(ass)} | {flo['rows'] / ass['seconds']:,.0f} | {ass['seconds'] / flo['seconds']:.2f} "
            f"| {ass['seconds'] / fm:.2f} | {sel['seconds']:.2f} "
            f"| {ing['peak_rss_mb']:,.0f} / {ass['peak_rss_mb']:,.0f} / {sel['peak_rss_mb']:,.0f} |"
        )
    if len(rows) > 1:
        (n0, _, f0, a0, _), (n1, _, f1, a1, _) = rows[0], rows[-1]
        lines += [
            "",
            f"Growth from {n0:,} to {n1:,} orgs (×{n1 / n0:g}): assess ×{a1['seconds'] / a0['seconds']:.1f}, "
            f"floor ×{f1['seconds'] / f0['seconds']:.1f} — linear would be ×{n1 / n0:g}.",
        ]
    lines += [
        "",
        "Office files (ingest of workbooks ÷ a bare polars read of them): `python bench/office.py`, written to "
        "`bench/OFFICE-RESULTS.md`. Adding one file to a store: `python bench/increment.py`. Both are summarised "
        "in `docs/SCALE.md`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
