"""Ingest at scale from Parquet against a polars floor of the same rows.

Usage::

    python bench/ingest_scale.py --orgs 20000 --repeat 3 --baseline /work/main --json /tmp/scale.json
    python bench/ingest_scale.py --orgs 200000 --repeat 1     # the province: 159 M rows

The raw data is :func:`analysis.synth.generate_parquet`'s (the same as ``bench/run.py``'s, generated into
``bench/data/raw-<orgs>-1y`` when absent).  Each run is a fresh process, and the runs alternate — floor,
ingest, (the baseline's ingest) — so a slow spell of a shared machine hits all alike; the median is
reported.  Seconds are the stage's own work after imports.

*floor* = the least a store of these rows costs with polars: every input file read
(``pl.read_parquet``), its rows sorted into the store's order (:data:`analysis.store.PART_ORDER`; the study
rows by ``org_id, member_id, date``, the order their member keys follow) and written (``write_parquet``,
zstd) — no checks, no hashes, no duplicates, no member index.  *ingest* = ``analysis.ingest.ingest`` of the
folder into a new store.  ``--baseline`` times another checkout's ingest (e.g. main's) in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"


def stage_floor(raw: Path, out: Path) -> dict:
    import polars as pl

    from analysis.store import MEMBER_KEY, PART_ORDER

    shutil.rmtree(out, ignore_errors=True)
    rows = 0
    t0 = time.perf_counter()
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        order = [c for c in PART_ORDER.get(folder.name, ()) if c != MEMBER_KEY]
        if folder.name == "study":
            order = ["org_id", "member_id", "date"]
        (out / folder.name).mkdir(parents=True)
        for f in sorted(folder.glob("*.parquet")):
            df = pl.read_parquet(f)
            if order:
                df = df.sort(order, nulls_last=True, maintain_order=True)
            df.write_parquet(out / folder.name / f.name, compression="zstd")
            rows += df.height
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def stage_ingest(raw: Path, store: Path) -> dict:
    from analysis.ingest import ingest

    shutil.rmtree(store, ignore_errors=True)
    t0 = time.perf_counter()
    result = ingest([raw], store=store)
    return {"seconds": time.perf_counter() - t0, "rows": result.totals["rows_read"], "kept": result.totals["rows_kept"]}


def run_stage(argv: list[str]) -> None:
    name, *args = argv
    import polars  # noqa: F401  — imports are a fixed cost, not part of any stage's figure

    import analysis.ingest  # noqa: F401

    if name == "generate":
        from analysis.synth import generate_parquet

        counts = generate_parquet(Path(args[0]), orgs=int(args[1]), years=1, seed=1)
        out = {"rows": int(sum(counts.values())), "counts": counts}
    elif name == "floor":
        out = stage_floor(Path(args[0]), Path(args[1]))
    elif name == "ingest":
        out = stage_ingest(Path(args[0]), Path(args[1]))
    else:
        raise SystemExit(f"unknown stage {name}")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, default=str))


def child(code: Path, *args: object) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def raw_data(orgs: int) -> Path:
    """The raw Parquet of ``orgs`` orgs × one year, generated (and marked complete) when absent."""
    raw = DATA / f"raw-{orgs}-1y"
    if not (raw / ".complete").exists():
        shutil.rmtree(raw, ignore_errors=True)
        print(f"generating {orgs:,} orgs ...", flush=True)
        gen = child(ROOT, "generate", raw, orgs)
        (raw / ".complete").write_text(json.dumps(gen))
    return raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", type=Path, help="another checkout whose ingest is timed too (e.g. /work/main)")
    ap.add_argument("--json", type=Path, help="write the figures for bench/run.py's table")
    ap.add_argument("--keep", action="store_true", help="keep the stores (bench/data/ingest-scale-<orgs>/store)")
    ap.add_argument("--stage", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.stage:
        run_stage(args.stage)
        return
    raw = raw_data(args.orgs)
    work = DATA / f"ingest-scale-{args.orgs}"
    runs: dict[str, list[dict]] = {"floor": [], "ingest": [], "baseline": []}
    for i in range(args.repeat):  # alternating
        runs["floor"].append(child(ROOT, "floor", raw, work / "floor"))
        runs["ingest"].append(child(ROOT, "ingest", raw, work / "store"))
        if args.baseline:
            runs["baseline"].append(child(args.baseline.resolve(), "ingest", raw, work / "store-baseline"))
        line = ", ".join(f"{k} {v[-1]['seconds']:.1f} s" for k, v in runs.items() if v)
        print(f"  run {i + 1}: {line}", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items() if v}
    ing = runs["ingest"]
    rows = ing[0]["rows"]
    rss = statistics.median(r["peak_rss_mb"] for r in ing)
    note = f"{args.orgs:,} orgs, median of {args.repeat}, alternating with the floor"
    out = [
        {"key": "scale_ingest_s", "value": med["ingest"], "unit": "s", "note": note},
        {"key": "scale_floor_s", "value": med["floor"], "unit": "s", "note": "polars read + sort (store order) + write"},
        {"key": "scale_ingest_ratio", "value": med["ingest"] / med["floor"], "unit": "ratio", "note": "ingest ÷ floor"},
        {"key": "scale_rows", "value": rows, "unit": "rows", "note": f"rows read, {args.orgs:,} orgs"},
        {"key": "scale_ingest_rss_mb", "value": rss, "unit": "MB", "note": "peak RSS of the ingest process"},
    ]
    if args.baseline:
        out += [
            {"key": "scale_ingest_baseline_s", "value": med["baseline"], "unit": "s", "note": f"ingest of {args.baseline}"},
            {"key": "scale_ingest_vs_baseline", "value": med["ingest"] / med["baseline"], "unit": "ratio", "note": "ingest ÷ baseline's"},
        ]
    print("| key | value | unit | note |\n|---|---:|---|---|")
    for r in out:
        print(f"| {r['key']} | {r['value']:,.2f} | {r['unit']} | {r['note']} |")
    if args.json:
        args.json.write_text(json.dumps({"rows": out}, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
