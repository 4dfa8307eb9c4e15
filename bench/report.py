"""Report benchmark: the full `workbench report` on the bundled sample, as a user runs it.

Usage::

    python bench/report.py [--rounds 3] [--against /work/main] [--json FILE]
    python bench/report.py --each            # also each notebook against an empty one (REPORT-RESULTS.md)

1. Times the real main job, ``workbench report`` with no arguments (a fresh process, output in a
   temporary folder, this checkout's ``analysis`` first on ``PYTHONPATH`` — the report workers and their
   kernels inherit it), ``--rounds`` times; with ``--against`` it alternates with that checkout's code
   run the same way, and prints both medians and their ratio.  Also: the seconds of the batch (the
   command's own "用时 N 秒": from the start of the report workers to the index; the office's Excel
   files and the deck are made meanwhile), the output's size without the store, and how many reports.
2. ``--each`` runs every report once more through :func:`analysis.reports.run_reports` on the store that
   run made, next to an *empty* notebook run the same way, so each report's time can be read against
   the fixed cost (worker start, kernel start or reset, papermill, HTML export).

``--json FILE`` writes ``{"rows": [{"key", "value", "unit", "note"}]}`` with the keys ``report_s``,
``report_batch_s``, ``report_mb``, ``report_count`` (this checkout's medians) and ``report_cpu_s`` for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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

EMPTY = '# %% tags=["parameters"]\nstore_path = ""\nyear = 2024\nruleset = ""\ncharts_dir = ""\n\n# %%\npass\n'
_DONE = re.compile(r"（(\d+) 份报告，用时 (\d+) 秒）")


def run_once(checkout: Path, out: Path) -> dict[str, float]:
    """One ``workbench report --out OUT`` with ``checkout``'s code; its wall seconds, batch seconds,
    output MB (without the store), number of reports and CPU seconds (user + system of the command, its
    workers and their kernels: on a shared machine less noisy than the wall time)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "analysis", "report", "--out", str(out)], cwd=checkout, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: workbench report failed\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    found = _DONE.search(done.stdout)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and "store" not in p.relative_to(out).parts)
    return {"report_s": wall, "report_batch_s": float(found[2]) if found else float("nan"),
            "report_mb": size / 1e6, "report_count": float(found[1]) if found else float("nan"), "report_cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--against", type=Path, help="another checkout (e.g. /work/main), run alternately")
    ap.add_argument("--json", type=Path, help="write the figures for bench/run.py here")
    ap.add_argument("--each", action="store_true", help="also time each report against an empty notebook")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    checkouts = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in checkouts}
    for r in range(args.rounds):
        for name, checkout in checkouts.items():
            out = tmp / f"{name}-{r}"
            runs[name].append(run_once(checkout, out))
            print(f"round {r + 1} {name} ({checkout}): " + ", ".join(f"{k} {v:.1f}" for k, v in runs[name][-1].items()))
            if not (args.each and name == "this" and r == 0):
                shutil.rmtree(out, ignore_errors=True)
    med = {name: {k: statistics.median(x[k] for x in rs) for k in rs[0]} for name, rs in runs.items()}
    for name, m in med.items():
        print(f"median of {args.rounds}, {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in m.items()))
    note = f"median of {args.rounds}, bundled sample, {os.cpu_count()} cores"
    if args.against:
        ratio = med["this"]["report_s"] / med["against"]["report_s"]
        cpu_ratio = med["this"]["report_cpu_s"] / med["against"]["report_cpu_s"]
        print(f"report_s this ÷ against: {ratio:.2f}; report_cpu_s this ÷ against: {cpu_ratio:.2f}")
        note += f"; {args.against}: {med['against']['report_s']:.1f} s (this ÷ that {ratio:.2f}, CPU {cpu_ratio:.2f}, alternating)"
    if args.json:
        units = {"report_s": "s", "report_batch_s": "s", "report_mb": "MB", "report_count": "reports", "report_cpu_s": "s"}
        rows = [{"key": k, "value": round(v, 2), "unit": units[k], "note": note} for k, v in med["this"].items()]
        args.json.write_text(json.dumps({"rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.each:
        each_report(tmp / "this-0" / "store", med["this"]["report_s"], tmp)


def each_report(store: Path, full: float, tmp: Path) -> None:
    from analysis.reports import REPORTS, Report, run_reports

    empty_nb = tmp / "empty.py"
    empty_nb.write_text(EMPTY, encoding="utf-8")
    empty = run_reports(store, 2024, tmp / "empty", reports=[Report("空白笔记本", str(empty_nb))], workers=1, progress=False)
    each = run_reports(store, 2024, tmp / "each", reports=REPORTS, workers=1, progress=False)
    base = empty.outputs[0].seconds

    by_report: dict[str, list[float]] = {}
    for o in each.outputs:
        by_report.setdefault(o.report, []).append(o.seconds)
    lines = [
        "# Report benchmark",
        "",
        f"`python bench/report.py --each` on {time.strftime('%Y-%m-%d')}, bundled sample, {os.cpu_count()} cores.",
        "",
        f"- Full `workbench report` (ingest + assess + Excel + {len(each.outputs)} reports on 2 workers, "
        f"as a user runs it): **{full:.1f} s** (target ≤ 45 s).",
        f"- An empty notebook through the same path (one worker, cold kernel): **{base:.2f} s** — the fixed cost.",
        "",
        "Each report alone on one worker (the first run of a worker pays the kernel start; later runs reuse it):",
        "",
        "| report | runs | mean s | first run s | mean ÷ empty |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, secs in by_report.items():
        mean = sum(secs) / len(secs)
        lines.append(f"| {name} | {len(secs)} | {mean:.2f} | {secs[0]:.2f} | {mean / base:.1f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "REPORT-RESULTS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
