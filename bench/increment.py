"""Increment benchmark: adding one small file to a store of many orgs.

Usage::

    python bench/increment.py                  # 20,000 orgs (a store of ~16 M rows), 3 runs
    python bench/increment.py --orgs 200000    # the province (~350 MB of raw data, a full ingest first)
    python bench/increment.py --orgs 200000 --store STORE --json FILE   # reuse a store of that data

The raw Parquet data (:func:`analysis.synth.generate_parquet`, the same as ``bench/run.py``'s, reused from
``bench/data/`` when it is there) is ingested once into a store.  Each run then copies that store (hard
links: the ingest never writes into a part it carries over) and ingests one new CSV of five activities
of existing orgs into the copy, in a fresh process: the table gives the process wall time and the
seconds of the ``ingest()`` call itself (imports excluded), median of the runs, with the full ingest for
scale.  The new rows must be kept (the figure would mean little if the file were skipped or refused).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"


def stage(argv: list[str]) -> None:
    """Child process: ``ingest PATHS... STORE`` or ``generate RAW ORGS``; prints figures as JSON."""
    name, *args = argv
    if name == "generate":
        from analysis.synth import generate_parquet

        counts = generate_parquet(Path(args[0]), orgs=int(args[1]), years=1, seed=1)
        print(json.dumps({"rows": int(sum(counts.values()))}))
        return
    from analysis.ingest import ingest

    t0 = time.perf_counter()
    result = ingest([Path(p) for p in args[:-1]], store=Path(args[-1]))
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "read": result.totals["rows_read"], "kept": result.totals["rows_kept"]}))


CODE = ROOT  #: the checkout whose ingest is timed (--code)


def child(*args: object) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(CODE)}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--stage", *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{done.stderr[-3000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def new_file(store: Path, out: Path) -> Path:
    """A CSV of five activities of three orgs of the store, in a form no earlier run has sent."""
    import polars as pl

    orgs = pl.scan_parquet(store / "orgs" / "*.parquet").select("org_id").head(3).collect()["org_id"].to_list()
    lines = ["组织编码,活动日期,活动类型,主题,参加人数"]
    for i in range(5):
        lines.append(f"{orgs[i % 3]},2024-12-{20 + i},主题党日,增量测试{i},{10 + i}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "增量活动记录.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose ingest is timed (e.g. main's)")
    ap.add_argument("--json", type=Path, help="write the figures for bench/run.py's table")
    ap.add_argument(
        "--store", type=Path, help="a store already ingested from the raw data of --orgs (its full ingest is not run)"
    )
    ap.add_argument("--stage", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.stage:
        stage(args.stage)
        return
    global CODE
    CODE = args.code.resolve()
    raw = DATA / f"raw-{args.orgs}-1y"
    if not (raw / ".complete").exists():
        shutil.rmtree(raw, ignore_errors=True)
        print(f"generating {args.orgs:,} orgs ...", flush=True)
        _, gen = child("generate", raw, args.orgs)
        (raw / ".complete").write_text(json.dumps(gen))
    if args.store:
        base = args.store
        full = {"kept": None, "seconds": None}
    else:
        base = DATA / f"increment-store-{args.orgs}"
        shutil.rmtree(base, ignore_errors=True)
        print(f"[{args.orgs:,} orgs] full ingest ...", flush=True)
        _, full = child("ingest", raw, base)
    add = new_file(base, DATA / f"increment-file-{args.orgs}")
    walls, inner = [], []
    for i in range(args.repeat):
        copy = base.with_name(f"{base.name}-copy-{os.getpid()}")  # beside it: hard links need one file system
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy, copy_function=os.link)
        wall, out = child("ingest", add, copy)
        if out["kept"] != 5:
            raise SystemExit(f"the new file's rows were not kept: {out}")
        walls.append(wall)
        inner.append(out["seconds"])
        print(f"  run {i + 1}: {wall:.2f} s process, {out['seconds']:.2f} s ingest()", flush=True)
        shutil.rmtree(copy, ignore_errors=True)
    kept = "—" if full["kept"] is None else f"{full['kept']:,}"
    whole = "—" if full["seconds"] is None else f"{full['seconds']:.1f}"
    text = (
        f"| {args.orgs:,} | {kept} | {whole} | {statistics.median(walls):.2f} "
        f"| {statistics.median(inner):.2f} ({min(inner):.2f}–{max(inner):.2f}) |"
    )
    print("| orgs | rows in store | full ingest s | add one file: process s | add one file: ingest() s |")
    print("|---:|---:|---:|---:|---:|")
    print(text)
    if args.json:
        note = f"one CSV of 5 activities into a {args.orgs:,}-org store, median of {args.repeat}"
        rows = [
            {"key": "increment_s", "value": statistics.median(inner), "unit": "s", "note": note + ", ingest() alone"},
            {"key": "increment_process_s", "value": statistics.median(walls), "unit": "s", "note": note + ", process wall"},
            {"key": "increment_orgs", "value": args.orgs, "unit": "orgs", "note": "orgs in the store"},
        ]
        args.json.write_text(json.dumps({"rows": rows}, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
