"""Where a report run spends its time: kernel start, notebook execution (queries and charts, in the kernel),
image compaction, PDF typesetting and HTML export — measured in this process, one run after another.

Usage::

    python bench/report_phases.py STORE [--profiles 10]

Runs the first ``--profiles`` 单位画像 runs, the first ``--terms`` 任期考核 runs and one run of every other report through the runner's own
steps (``runner._execute`` and the steps of ``export.export_job``), on one kernel as a worker does, and
prints the seconds per step (mean per run).  Measuring only: it reads the runner's functions, it does not
change them.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", type=Path)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--profiles", type=int, default=10)
    ap.add_argument("--terms", type=int, default=10, help="how many 任期考核 runs (default 10)")
    args = ap.parse_args()

    from analysis.reports import export, runner
    from analysis.reports.catalogue import NOTEBOOKS_DIR, REPORTS, TERM_REPORT
    from analysis.reports.jobs import _plan
    from analysis.store import Store
    from analysis.term_views import save_terms
    from analysis.terms import assess_terms
    from analysis.views import DEFAULT_RULESET

    seconds: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    current = [""]

    def timed(name: str, fn):  # noqa: ANN001, ANN202 — a measuring wrapper
        def inner(*a, **k):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                seconds[current[0]][name] += time.perf_counter() - t0

        return inner

    export.compact_run = timed("images (compact_run)", export.compact_run)
    export.notebook_to_pdf = timed("PDF", export.notebook_to_pdf)
    export.render_page = timed("HTML export", export.render_page)
    runner._worker_kernel = timed("kernel start or check", runner._worker_kernel)

    out = Path(tempfile.mkdtemp(prefix="bench-report-phases-"))
    store = Store.open(args.store)
    terms = assess_terms(store, date(args.year, 12, 31))
    saved = save_terms(terms, out / "terms.pickle")
    term_parameters = {"as_of": terms.as_of.isoformat(), "due_within": terms.due_within, "terms_path": str(saved)}
    jobs = _plan(store, args.store.resolve(), args.year, out, REPORTS, DEFAULT_RULESET, {}, Path(NOTEBOOKS_DIR), 120, 1800,
                 terms=terms, term_parameters=term_parameters)
    limit = {"单位画像": args.profiles, TERM_REPORT: args.terms}
    picked: list = []
    taken: collections.Counter[str] = collections.Counter()
    for job in jobs:
        if taken[job.report] >= limit.get(job.report, 1):
            continue
        taken[job.report] += 1
        picked.append(job)
    runs: collections.Counter[str] = collections.Counter()
    for job in picked:
        current[0] = job.report
        runs[job.report] += 1
        t0 = time.perf_counter()
        executed = runner._execute(job)
        t1 = time.perf_counter()
        export.export_job(job, executed)
        t2 = time.perf_counter()
        seconds[job.report]["execute (papermill, total)"] += t1 - t0
        seconds[job.report]["export (total)"] += t2 - t1
    print("| report | runs | step | mean s per run |")
    print("|---|---:|---|---:|")
    for report, steps in seconds.items():
        for step, s in sorted(steps.items()):
            print(f"| {report} | {runs[report]} | {step} | {s / runs[report]:.2f} |")


if __name__ == "__main__":
    main()
