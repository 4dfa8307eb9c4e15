"""Scale benchmark: ingest, assess beside its DuckDB and pandas peers, selection and the polars floor at
2,000 / 20,000 / 200,000 orgs; with ``--issue``, every other part of ``bench/`` too, and issue 20's table.

Usage::

    python bench/run.py                                  # 2,000 and 20,000 orgs (a few minutes)
    python bench/run.py --sizes 2000 20000 200000        # the province too (~20 GB of disk, ~20 min)
    python bench/run.py --years 3 --sizes 2000
    python bench/run.py --baseline /work/main            # main's assess timed in the same rounds
    python bench/run.py --issue --baseline /work/main    # + office.py, ingest_scale.py, increment.py,
                                                         #   report.py: issue 20's table (what | now | target | met?)
    python bench/run.py --issue --sizes 200000 --baseline /work/main   # the issue's figures, at its size
    python bench/run.py --from-json bench/data/issue     # the table again from the JSON of the last --issue run
    python bench/run.py --sizes --issue --part-args office="--cities 8"   # no scale sizes; one part's own flags

Every stage runs in a fresh Python process so its wall time and peak RSS are its own; the data of a size
is generated once into ``bench/data/`` and reused.  The peers (``bench/peers.py``) compute six count rules
and, in the first run of each size, assert their results equal assess's.  With ``--issue`` the other
scripts run one after another, each writing ``--json`` into ``--json-dir`` (the increment and the ingest
at scale at the largest ``--sizes``), and :mod:`issue_table` prints their figures in the issue's shape; a
part that did not run or failed reads 未测 with the reason.  The tables are printed and written, with the
machine's description, to ``bench/RESULTS.md``.  Nothing here is asserted but the peers' results: targets
are read off the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import issue_table

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


def stage_assess(store: Path, year: int, six: bool = False) -> dict:
    """assess of the whole ruleset, or with ``six`` of the peers' six rules only (the same code, the
    like-for-like figure beside the peers)."""
    from analysis.assess import assess
    from analysis.rules import load_ruleset
    from analysis.store import Store

    rs = load_ruleset("changzhou-2009")
    if six:
        import peers

        rs = rs.model_copy(update={"rules": {k: rs.rules[k] for k in peers.PEER_RULES}})
    t0, c0 = time.perf_counter(), _cpu_s()
    a = assess(Store.open(store), year=year, ruleset=rs)
    return {"seconds": time.perf_counter() - t0, "cpu_s": _cpu_s() - c0, "orgs": a.scores.height, "rules": len(rs.items)}


def stage_select(store: Path, year: int, draws: int) -> dict:
    from analysis.assess import assess
    from analysis.decisions import select_advanced
    from analysis.store import Store

    a = assess(Store.open(store), year=year)
    t0 = time.perf_counter()
    sel = select_advanced(a, draws=draws, seed=1)
    return {"rows": sel.height, "seconds": time.perf_counter() - t0}


def stage_peer(engine: str, store: Path, year: int, check: bool) -> dict:
    """A peer (bench/peers.py) computing six count rules; with ``check``, then asserts its results equal
    assess's (after its time and peak memory are taken, so neither includes the assessment)."""
    import peers

    c0 = _cpu_s()
    frame, seconds = peers.timed(engine, store, year)
    out = {"seconds": seconds, "cpu_s": _cpu_s() - c0, "results": frame.height, "peak_rss_mb": _peak_rss_mb(), "checked": check}
    if check:
        from analysis.assess import assess
        from analysis.store import Store

        peers.check(frame, assess(Store.open(store), year=year).rules)
    return out


def _cpu_s() -> float:
    """CPU seconds (user + system, all threads) of this process so far: less disturbed than wall time by
    other work on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    elif name in ("assess", "assess6"):
        out = stage_assess(Path(args[0]), int(args[1]), six=name == "assess6")
    elif name == "select":
        out = stage_select(Path(args[0]), int(args[1]), int(args[2]))
    elif name in ("duckdb", "pandas"):
        __import__(name)  # the engine's import is a fixed cost too
        t0 = time.perf_counter()
        out = stage_peer(name, Path(args[0]), int(args[1]), args[2] == "check")
    else:
        raise SystemExit(f"unknown stage {name}")
    out["process_s"] = time.perf_counter() - t0
    out.setdefault("seconds", out["process_s"])
    out.setdefault("peak_rss_mb", _peak_rss_mb())
    print(json.dumps(out, default=str))


#: the checkout whose ``analysis`` the stages import (``--baseline`` times another one's assess)
CODE = HERE.parent


def child(*args: object, code: Path | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", *map(str, args)]
    env = {**os.environ, "PYTHONPATH": str(code or CODE)}
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=code or CODE, check=False, env=env)
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


def measure_size(n: int, args: argparse.Namespace, year: int = 2024) -> dict:
    """Every stage at ``n`` orgs: generate (once), ingest, then floor, assess (and main's assess with
    ``--baseline``), DuckDB and pandas ``--repeat`` times each, alternating, then the selection."""
    raw = DATA / f"raw-{n}-{args.years}y"
    store = args.stores / f"store-{n}-{args.years}y"
    if not (raw / ".complete").exists():
        if raw.exists():
            shutil.rmtree(raw)
        print(f"generating {n:,} orgs × {args.years} year(s) ...", flush=True)
        gen = child("generate", raw, n, args.years)
        (raw / ".complete").write_text(json.dumps(gen))
    saved = args.stores / f"ingest-{n}-{args.years}y.json"
    if args.skip_ingest and saved.is_file() and (store / "store.json").is_file():
        print(f"[{n:,} orgs] ingest: figures of the last run, store reused", flush=True)
        ing = json.loads(saved.read_text())
    else:
        print(f"[{n:,} orgs] ingest ...", flush=True)
        ing = child("ingest", raw, store)
        saved.write_text(json.dumps(ing))
    print(f"[{n:,} orgs] floor, assess, DuckDB and pandas, {args.repeat} runs each, alternating ...", flush=True)
    runs: dict[str, list[dict]] = {"floor": [], "assess": [], "baseline": [], "assess6": [], "duckdb": [], "pandas": []}
    for i in range(args.repeat):  # alternating, so a slow spell of the machine hits all alike
        check = "check" if i == 0 else "-"  # the peers' results are checked against assess's once
        runs["floor"].append(child("floor", store))
        runs["assess"].append(child("assess", store, year))
        if args.baseline:
            runs["baseline"].append(child("assess", store, year, code=args.baseline))
        runs["assess6"].append(child("assess6", store, year))
        runs["duckdb"].append(child("duckdb", store, year, check))
        runs["pandas"].append(child("pandas", store, year, check))
    out = {k: median_run(v) for k, v in runs.items() if v}
    print(f"[{n:,} orgs] selection ({args.draws} draws) ...", flush=True)
    out.update(n=n, ingest=ing, select=child("select", store, year, args.draws))
    return out


def scale_lines(results: list[dict], args: argparse.Namespace) -> list[str]:
    """The scale table (and the peers' table) of ``results``, as Markdown lines."""
    lines = [
        "| orgs | rows in store | ingest s | ingest rows/s | floor s | floor +member s | assess s | assess rows/s "
        "| assess ÷ floor | assess ÷ (floor +member) | selection s | peak RSS ingest / assess / selection MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        n, ing, flo, ass, sel = r["n"], r["ingest"], r["floor"], r["assess"], r["select"]
        fm = flo["seconds"] + flo["member_group_s"]
        lines.append(
            f"| {n:,} | {flo['rows']:,} | {ing['seconds']:.1f} | {ing['rows'] / ing['seconds']:,.0f} | {spread(flo)} "
            f"| {fm:.2f} | {spread(ass)} | {flo['rows'] / ass['seconds']:,.0f} | {ass['seconds'] / flo['seconds']:.2f} "
            f"| {ass['seconds'] / fm:.2f} | {sel['seconds']:.2f} "
            f"| {ing['peak_rss_mb']:,.0f} / {ass['peak_rss_mb']:,.0f} / {sel['peak_rss_mb']:,.0f} |"
        )
    if len(results) > 1:
        r0, r1 = results[0], results[-1]
        n0, n1 = r0["n"], r1["n"]
        lines += [
            "",
            f"Growth from {n0:,} to {n1:,} orgs (×{n1 / n0:g}): assess ×{r1['assess']['seconds'] / r0['assess']['seconds']:.1f}, "
            f"floor ×{r1['floor']['seconds'] / r0['floor']['seconds']:.1f} — linear would be ×{n1 / n0:g}.",
        ]
    return lines + peer_lines(results, args)


def peer_lines(results: list[dict], args: argparse.Namespace) -> list[str]:
    """The table of assess beside its peers."""
    base_head, base_rule = ("main's assess s | ", "---:|") if args.baseline else ("", "")
    lines = [
        "",
        "### assess beside its peers",
        "",
        "*DuckDB* and *pandas* (`bench/peers.py`) compute six count rules of changzhou-2009 (委员会议, 党组专题研究党建, "
        "三会一课, 民主生活会, 信息报送, 听取工青妇汇报: status, measured and required value, earned points, rows "
        "counted, for every registry org) from the same store's Parquet parts; in the first run of each size their "
        "results were asserted equal to assess's `rules` frame for those rules, exactly. *assess* computes all 21 "
        "rules, the vetoes and the scores; *assess, six rules* is the same call with a ruleset of those six rules "
        "only — the like-for-like figure. Ratios are of the medians (below 1: assess is faster)."
        + (f" *main's assess*: the assess stage with `PYTHONPATH={args.baseline}`, in the same rounds." if args.baseline else ""),
        "",
        f"| orgs | assess s | {base_head}assess, six rules s | DuckDB s | pandas s | assess ÷ DuckDB | assess ÷ pandas "
        "| six rules ÷ DuckDB | six rules ÷ pandas | peak RSS assess / six / DuckDB / pandas MB "
        f"| CPU s assess / {'main / ' if args.baseline else ''}six / DuckDB / pandas |",
        f"|---:|---:|{base_rule}---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ass, six, duck, pand = (r[k] for k in ("assess", "assess6", "duckdb", "pandas"))
        base = f"{spread(r['baseline'])} | " if args.baseline else ""
        a, s6, d, p = (x["seconds"] for x in (ass, six, duck, pand))
        rss = " / ".join(f"{x['peak_rss_mb']:,.0f}" for x in (ass, six, duck, pand))
        cpu = " / ".join(f"{x['cpu_s']:.2f}" for x in (ass, *([r["baseline"]] if args.baseline else []), six, duck, pand))
        lines.append(
            f"| {r['n']:,} | {spread(ass)} | {base}{spread(six)} | {spread(duck)} | {spread(pand)} "
            f"| {a / d:.2f} | {a / p:.2f} | {s6 / d:.2f} | {s6 / p:.2f} | {rss} | {cpu} |"
        )
    return lines


def assess_figures(results: list[dict]) -> list[dict]:
    """The largest size's assess beside its peers, as ``--json`` rows (issue_table's ``assess`` part)."""
    if not results:
        return []
    r = results[-1]
    a, s6, d, p = (r[k]["seconds"] for k in ("assess", "assess6", "duckdb", "pandas"))
    values = {
        "assess_s": (a, "s", f"{r['n']:,} orgs, median of {len(r['assess']['all_s'])}, all 21 rules and the scores"),
        "assess_orgs": (r["n"], "orgs", ""),
        "assess6_s": (s6, "s", "assess with the six rules the peers compute"),
        "duckdb_s": (d, "s", ""),
        "pandas_s": (p, "s", ""),
        "assess_duckdb_ratio": (a / d, "ratio", ""),
        "assess_pandas_ratio": (a / p, "ratio", ""),
        "assess6_duckdb_ratio": (s6 / d, "ratio", ""),
        "assess6_pandas_ratio": (s6 / p, "ratio", ""),
        "assess_rss_mb": (r["assess"]["peak_rss_mb"], "MB", ""),
        "duckdb_rss_mb": (r["duckdb"]["peak_rss_mb"], "MB", ""),
        "pandas_rss_mb": (r["pandas"]["peak_rss_mb"], "MB", ""),
    }
    values["assess_cpu_s"] = (r["assess"]["cpu_s"], "s", "CPU (user + system) of the median run")
    if "baseline" in r:
        values["assess_baseline_s"] = (r["baseline"]["seconds"], "s", "main's assess, same rounds")
        values["assess_baseline_cpu_s"] = (r["baseline"]["cpu_s"], "s", "CPU of main's median run")
    return [{"key": k, "value": v, "unit": u, "note": n} for k, (v, u, n) in values.items()]


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000, 20000], help="orgs; 200000 for the issue's scale rows")
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of floor, assess and the peers per size; the median is reported")
    ap.add_argument(
        "--skip-ingest",
        action="store_true",
        help="reuse the store of the last run and its ingest figures (only when the store format did not change)",
    )
    ap.add_argument("--stores", type=Path, default=DATA, help="where the stores are ingested (default bench/data)")
    ap.add_argument("--baseline", type=Path, help="another checkout (e.g. main's) whose assess is timed in the same rounds")
    ap.add_argument("--issue", action="store_true", help="also run office.py, ingest_scale.py, increment.py, report.py and print issue 20's table")
    ap.add_argument("--parts", nargs="+", choices=[p.name for p in issue_table.PARTS], help="with --issue: run only these parts")
    ap.add_argument("--from-json", type=Path, metavar="DIR", help="print issue 20's table from the JSON files saved in DIR; run nothing")
    ap.add_argument("--json-dir", type=Path, default=DATA / "issue", help="where --issue keeps every part's JSON")
    ap.add_argument("--part-args", action="append", default=[], metavar="PART=ARGS",
                    help='extra arguments of one part, e.g. office="--cities 8" (parts: office, scale, increment, report)')
    ap.add_argument("--json", type=Path, help="also write the largest size's assess and peer figures as JSON")
    ap.add_argument("--stage", nargs=argparse.REMAINDER)
    ap.add_argument("--out", type=Path, help="default bench/RESULTS.md (with --from-json: print only)")
    return ap.parse_args()


#: the flag by which a part times another checkout alternately with this one (increment.py has none)
BASELINE_FLAGS = {"office": "--baseline", "scale": "--baseline", "report": "--against"}


def part_args(args: argparse.Namespace) -> dict[str, list[str]]:
    """Each part's arguments: the increment and the ingest at scale run at the largest size asked for."""
    top = max(args.sizes, default=None)
    extra: dict[str, list[str]] = {"increment": ["--orgs", str(top)], "scale": ["--orgs", str(top)]} if top else {}
    if args.baseline:  # each part times main's code in the same rounds too, under its own flag
        for name, flag in BASELINE_FLAGS.items():
            extra.setdefault(name, []).extend([flag, str(args.baseline)])
    for item in args.part_args:
        name, _, value = item.partition("=")
        extra[name] = extra.get(name, []) + shlex.split(value)
    return extra


def flag_value(argv: list[str], flag: str) -> str | None:
    """The value of the last ``flag`` in ``argv`` (the one argparse keeps), or None."""
    at = [i for i, a in enumerate(argv[:-1]) if a == flag]
    return argv[at[-1] + 1] if at else None


def issue_lines(parts: dict, scale_orgs: int | None) -> list[str]:
    return [
        "## Issue 20: what | now | target | met?",
        "",
        "Every part in its own process, one after another (`bench/run.py --issue`); 未测 = not measured in this "
        "run, with the reason. The notes give each part's own figures and how many runs its median is of.",
        "",
        *issue_table.markdown(issue_table.table(parts, scale_orgs)),
        "",
        "Where a target is missed, the measured reason (a profile of where the time goes) and what was tried "
        "are in `docs/SCALE.md`, section \"Issue 20: where the time goes now\".",
        "",
    ]


def main() -> None:
    args = parse_args()
    if args.stage:
        run_stage(args.stage)
        return
    command = "python bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    head = ["# Benchmark results", "", f"Machine: {machine()}  ", f"Run: `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", ""]
    if args.from_json:
        lines = head + issue_lines(issue_table.read_parts(args.from_json), issue_table.scale_orgs(args.from_json))
        emit(lines, args.out)
        return
    if args.baseline:
        args.baseline = args.baseline.resolve()
    results = [measure_size(n, args) for n in args.sizes]
    figures = assess_figures(results)
    if args.json:
        issue_table.write(args.json, figures)
    lines = list(head)
    if args.issue:
        issue_table.write(args.json_dir / "assess.json", figures)
        extra = part_args(args)
        env = {**os.environ, "PYTHONPATH": str(CODE)}
        parts = issue_table.run_parts(args.json_dir, extra, env, args.parts)
        parts["assess"] = (
            issue_table.load(args.json_dir / "assess.json")
            if results
            else issue_table.Figures({}, "no --sizes: assess and its peers were not run")
        )
        orgs = flag_value(extra.get("scale", []), "--orgs")
        orgs = int(orgs) if orgs else None
        issue_table.write(args.json_dir / issue_table.RUN_FILE, [{"key": "scale_orgs", "value": orgs, "unit": "orgs", "note": ""}])
        lines += issue_lines(parts, orgs)
    if results:
        lines += ["## Scale: ingest, assess and its peers, selection", "", SCALE_NOTE.format(repeat=args.repeat, draws=args.draws), ""]
        lines += scale_lines(results, args)
    emit(lines, args.out or HERE / "RESULTS.md")


SCALE_NOTE = (
    "Seconds are the stage's own work in a fresh process, after imports (a fixed ~1.5 s). Floor, assess and the "
    "peers ran {repeat} times each, alternating: the median, and in brackets the fastest and slowest run; "
    "the ratios are of the medians; CPU seconds (user + system, all threads) are those of the median runs. "
    "*floor* = one "
    "scan of every table with a group-by count per org; *+member* = the floor plus polars' group-by of the "
    "study rows per member key, the grouping the 12-days-per-member rule needs (assess sums those rows "
    "member by member as they stream, in store order, which costs less). *selection* = the Monte Carlo "
    "robustness check alone ({draws} draws)."
)


def emit(lines: list[str], out: Path | None) -> None:
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
