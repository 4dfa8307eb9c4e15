"""Where the whole `workbench report` command spends its time, step by step.

Usage::

    python bench/report_steps.py [workbench report options, e.g. --out /tmp/rep]

Runs the command in this process with timers around the steps it calls (ingest, the assessments, the
office's files, the term assessment, the deck, the report batch, the index and the shared assets) and
prints each step's seconds when it ends.  Steps that run meanwhile (the office's files and the deck,
made while the report workers run) overlap the batch: their seconds are inside ``_run_parallel``'s.
Measuring only: it wraps the functions, it does not change them.
"""

from __future__ import annotations

import atexit
import sys
import time
from typing import Any

_STEPS: list[tuple[str, float]] = []
_STARTED = time.perf_counter()


def _timed(module: Any, name: str) -> None:
    fn = getattr(module, name)

    def inner(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            _STEPS.append((f"{module.__name__.rsplit('.', 1)[-1]}.{name}", time.perf_counter() - t0))

    setattr(module, name, inner)


def _print() -> None:
    print("\n| step | s |\n|---|---:|", file=sys.stderr)
    for name, s in _STEPS:
        print(f"| {name} | {s:.2f} |", file=sys.stderr)
    print(f"| whole command (after imports) | {time.perf_counter() - _STARTED:.2f} |", file=sys.stderr)


def main() -> None:
    import analysis.assess as assess
    import analysis.cli as cli
    import analysis.cli_assess as cli_assess
    import analysis.cli_cycle as cli_cycle
    import analysis.outputs as outputs
    import analysis.outputs.robustness as robustness
    import analysis.reports as reports
    import analysis.reports.runner as runner
    import analysis.terms as terms

    for module, name in [
        (cli, "resolve_store"), (assess, "assess"), (terms, "assess_terms"), (cli, "run_assessment"),
        (outputs, "write_outputs"), (outputs, "write_results"), (robustness, "write_robustness"),
        (cli_assess, "select_workers_if_any"), (cli_assess, "run_workers"), (cli_cycle, "run_selfcheck"),
        (cli, "write_deck"), (reports, "run_reports"), (runner, "_run_parallel"), (runner, "write_index"),
        (runner, "write_tables_script"), (runner, "write_font_script"),
    ]:
        _timed(module, name)
    atexit.register(_print)
    sys.argv = ["workbench", "report", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":  # the report workers are spawned: they import this module, they do not run it
    main()
