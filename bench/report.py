"""Report benchmark: the full `workbench report` on the bundled sample, and each notebook against an empty one.

Usage::

    python bench/report.py            # writes bench/REPORT-RESULTS.md

1. Times the real main job, ``workbench report`` with no arguments, as a user runs it (fresh process,
   output in a temporary folder).
2. Runs every report once more through :func:`analysis.reports.run_reports` on the store that run made,
   next to an *empty* notebook run the same way, so each report's time can be read against the fixed
   cost (worker start, kernel start or reset, papermill, HTML export).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

EMPTY = '# %% tags=["parameters"]\nstore_path = ""\nyear = 2024\nruleset = ""\ncharts_dir = ""\n\n# %%\npass\n'


def main() -> None:
    from analysis.reports import REPORTS, Report, run_reports

    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "analysis", "report", "--out", str(tmp / "full")], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    full = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    store = tmp / "full" / "store"

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
        f"`python bench/report.py` on {time.strftime('%Y-%m-%d')}, bundled sample (300 orgs, 2022–2024), 2 cores.",
        "",
        f"- Full `workbench report` (ingest + assess + Excel + {len(each.outputs)} reports on 2 workers, "
        f"as a user runs it): **{full:.1f} s** (target ≤ 90 s).",
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
