"""The benchmark's peers of assess (bench/peers.py) and issue 20's table (bench/issue_table.py).

The pandas peer is run here against assess on a small generated store.  The DuckDB peer is not: duckdb is
in the ``bench`` extra, not the ``test`` one (the offline wheelhouse of the tests would carry a 40 MB
engine nobody at an office runs), so its check is its own — ``bench/run.py`` asserts its results equal
assess's in the first run of every size and stops if they do not.  The check itself (:func:`peers.check`)
is pinned here on both sides: equal results pass, one changed value fails and is named.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis.assess import assess
from analysis.ingest import ingest
from analysis.store import Store
from analysis.synth import generate_parquet

ROOT = Path(__file__).resolve().parents[1]


def bench_module(name: str):
    """A script of bench/ as a module (bench/ is not a package: its scripts import each other by name)."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    return importlib.import_module(name)


peers = bench_module("peers")
issue_table = bench_module("issue_table")


#: rows at the edges, added to the generated activities of the top-level committee 000001: two meetings
#: just outside 2024, one on its last day with ``recorded`` empty (an unrecorded meeting), an unrecorded
#: 民主生活会 on its first day, and a 党组专题研究 and a 听取工青妇汇报 on the day a half ends
EDGES = pl.DataFrame(
    {
        "org_id": ["000001"] * 6,
        "date": [date(2023, 12, 31), date(2025, 1, 1), date(2024, 12, 31), date(2024, 1, 1), date(2024, 6, 30), date(2024, 6, 30)],
        "kind": ["committee_meeting", "committee_meeting", "committee_meeting", "democratic_life_meeting",
                 "leadership_review", "mass_org_report"],
        "topic": [f"边界{i}" for i in range(6)],
        "recorded": [True, True, None, False, True, None],
    }
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A store of 50 generated orgs (two top-level committees) with :data:`EDGES`, and assess's rules
    frame for 2024."""
    tmp = tmp_path_factory.mktemp("peers")
    generate_parquet(tmp / "raw", orgs=50, years=1, seed=7)
    EDGES.write_parquet(tmp / "raw" / "activities" / "part-edges.parquet")
    ingest([tmp / "raw"], store=tmp / "store")
    return tmp / "store", assess(Store.open(tmp / "store"), year=2024).rules


def test_the_pandas_peer_gives_assess_results_for_its_six_rules(generated: tuple[Path, pl.DataFrame]) -> None:
    store, rules = generated
    frame = peers.run_pandas(store, 2024, peers.peer_rules())
    peers.check(frame, rules)  # raises on any difference
    counts = {(rule, status): n for rule, status, n in frame.group_by("rule_id", "status").len().iter_rows()}
    assert counts == {
        ("org.committee_meetings", "pass"): 34,
        ("org.committee_meetings", "fail"): 16,
        ("org.leadership_review", "pass"): 2,  # the two top-level committees of 50 orgs
        ("org.leadership_review", "not_applicable"): 48,
        ("edu.three_meetings_one_lesson", "pass"): 34,
        ("edu.three_meetings_one_lesson", "fail"): 8,
        ("edu.three_meetings_one_lesson", "not_applicable"): 8,  # branches only
        ("edu.democratic_life_meeting", "pass"): 43,
        ("edu.democratic_life_meeting", "fail"): 7,
        ("duty.info_submissions", "pass"): 47,
        ("duty.info_submissions", "fail"): 3,
        ("mass.reports_heard", "pass"): 2,
        ("mass.reports_heard", "not_applicable"): 48,
    }
    # EDGES: 7 meetings in 2024 (not the two outside it), one unrecorded — a fail, and 6 points less 1 for
    # it; two 民主生活会, one unrecorded — a fail of a yes/no item, 0 points
    assert frame.filter(pl.col("org_id") == "000001").rows() == [
        ("000001", "org.committee_meetings", "fail", 7.0, 5.0, 5.0, 7),
        ("000001", "org.leadership_review", "pass", 3.0, 2.0, 3.0, 3),
        ("000001", "edu.three_meetings_one_lesson", "not_applicable", None, None, 0.0, 0),
        ("000001", "edu.democratic_life_meeting", "fail", 2.0, 1.0, 0.0, 2),
        ("000001", "duty.info_submissions", "pass", 12.0, 12.0, 6.0, 12),
        ("000001", "mass.reports_heard", "pass", 2.0, 2.0, 6.0, 2),
    ]


def test_check_names_the_results_that_differ(generated: tuple[Path, pl.DataFrame]) -> None:
    store, rules = generated
    frame = peers.expected(rules)
    peers.check(frame, rules)
    first = pl.int_range(pl.len()) == 0
    off = frame.with_columns(pl.when(first).then(pl.col("earned") + 0.01).otherwise(pl.col("earned")).alias("earned"))
    with pytest.raises(AssertionError, match=r"^1 \(org, rule\) results differ"):
        peers.check(off, rules)
    with pytest.raises(AssertionError):
        peers.check(frame.head(10), rules)


def test_peer_rules_are_read_from_the_ruleset_and_only_plain_counts() -> None:
    by_id = {r.rule_id: r for r in peers.peer_rules()}
    assert list(by_id) == list(peers.PEER_RULES)
    cm = by_id["org.committee_meetings"]
    assert (cm.kinds, cm.period_months, cm.require_recorded, cm.per_unrecorded) == (("committee_meeting",), 2, True, 1.0)
    assert cm.count == {"committee": 5.0, "general_branch": 5.0, "branch": 5.0} == cm.periods
    info = by_id["duty.info_submissions"]
    assert (info.count, info.periods, info.method) == ({"committee": 12.0, "general_branch": 6.0, "branch": 3.0}, None, "ratio")
    assert by_id["mass.reports_heard"].top_level_only
    with pytest.raises(ValueError, match="not a count rule"):
        peers.peer_rules(rule_ids=("edu.dues",))


# ---------------------------------------------------------------------------------------------
# issue 20's table
# ---------------------------------------------------------------------------------------------
FIGURES = {
    "office": {"office_sample_ratio": 2.4, "office_sample_ingest_s": 1.2, "office_sample_floor_s": 0.5, "office_tree_ratio": 3.1,
               "office_tree_files": 585},
    "scale": {"scale_ingest_s": 38.0, "scale_ingest_ratio": 3.5, "scale_rows": 159_000_000},
    "increment": {"increment_s": 0.4, "increment_process_s": 1.1, "increment_orgs": 200_000},
    "report": {"report_s": 50.0, "report_mb": 70.0, "report_count": 75},
    "assess": {"assess_s": 3.5, "assess_orgs": 20_000, "assess6_s": 1.0, "duckdb_s": 2.0, "pandas_s": 10.0,
               "assess_duckdb_ratio": 1.75, "assess6_duckdb_ratio": 0.5, "assess6_pandas_ratio": 0.1, "assess_baseline_s": 3.4},
}


def save(folder: Path, figures: dict[str, dict[str, float]]) -> None:
    for part, values in figures.items():
        rows = [{"key": k, "value": v, "unit": "", "note": ""} for k, v in values.items()]
        (folder / f"{part}.json").write_text(json.dumps({"rows": rows}), encoding="utf-8")


def test_the_issue_table_judges_every_target_from_the_saved_figures(tmp_path: Path) -> None:
    save(tmp_path, FIGURES)
    rows = issue_table.table(issue_table.read_parts(tmp_path), scale_orgs=200_000)
    assert [r[1:4] for r in rows] == [
        ("2.40", "≤ 2.5", "yes"),
        ("3.10", "≤ 2.0", "no"),
        ("38.0 s, 3.50×", "≤ 40 s, and ≤ 4×", "yes"),
        ("0.40 s", "≤ 3 s", "yes"),
        ("50.0 s", "≤ 45 s", "no"),
        ("70 MB", "≤ 80 MB", "yes"),
        ("3.50 s; six rules 1.00 s, 0.50× DuckDB, 0.10× pandas", "no regression; keep the DuckDB peer", "未测 (200,000)"),
    ]
    assert rows[0][4] == "ingest 1.20 s; read 0.50 s"
    assert rows[1][4] == "585 files"
    assert rows[6][4].startswith("measured at 20,000 orgs; the target is judged at 200,000")
    assert rows[6][4].endswith(
        "main's assess in the same run 3.40 s (1.03×); DuckDB 2.00 s; pandas 10.00 s; all 21 rules ÷ DuckDB 1.75"
    )


def test_a_part_not_measured_reads_weice_with_the_reason_never_a_number(tmp_path: Path) -> None:
    figures = {k: v for k, v in FIGURES.items() if k != "report"}
    figures["assess"] = {k: v for k, v in FIGURES["assess"].items() if k != "assess_baseline_s"} | {"assess_orgs": 200_000}
    figures["office"] = {k: v for k, v in FIGURES["office"].items() if k != "office_tree_ratio"}
    save(tmp_path, figures)
    rows = issue_table.table(issue_table.read_parts(tmp_path), scale_orgs=20_000)
    by_what = {r[0]: r for r in rows}
    report = by_what["`workbench report` on the sample (target: a quiet machine)"]
    assert report[1:4] == ("未测", "≤ 45 s", "未测")
    assert report[4] == f"no {tmp_path / 'report.json'}"
    assert rows[1][1:5] == ("未测", "≤ 2.0", "未测", "it gave no office_tree_ratio")
    assert rows[2][3] == "未测 (200,000)" and rows[2][4].startswith("measured at 20,000 orgs")
    assert rows[6][3] == "未测" and rows[6][4].startswith("no --baseline")


def test_run_part_reads_a_script_that_wrote_its_json_and_says_why_one_failed(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text(
        textwrap.dedent(
            """
            import json, sys
            out = sys.argv[sys.argv.index("--json") + 1]
            json.dump({"rows": [{"key": "report_s", "value": 41.5, "unit": "s", "note": "quiet"}]}, open(out, "w"))
            """
        ),
        encoding="utf-8",
    )
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nsys.exit('the sample is missing')\n", encoding="utf-8")
    got = issue_table.run_part(issue_table.Part("report", str(ok), ("report_s",)), tmp_path / "out", [])
    assert (got.missing, got.value("report_s"), got.note("report_s")) == ("", 41.5, "quiet")
    failed = issue_table.run_part(issue_table.Part("report", str(bad), ("report_s",)), tmp_path / "out", [])
    assert failed.missing == "bench/bad.py exited 1: the sample is missing"
    absent = issue_table.run_part(issue_table.Part("report", "no_such_script.py", ()), tmp_path / "out", [])
    assert absent.missing == "no bench/no_such_script.py in this checkout"


def test_run_py_from_json_prints_the_issue_table_and_runs_nothing(tmp_path: Path) -> None:
    save(tmp_path, {k: v for k, v in FIGURES.items() if k != "scale"})
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--from-json", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    lines = done.stdout.splitlines()
    assert "| what | now | target | met? | note |" in lines
    assert "| `workbench report` output size on the sample | 70 MB | ≤ 80 MB | yes |  |" in lines
    scale = next(line for line in lines if line.startswith("| ingest, 200,000 orgs from Parquet"))
    assert scale.endswith(f"| 未测 | ≤ 40 s, and ≤ 4× | 未测 | no {tmp_path / 'scale.json'} |")
    assert not any(line.startswith("| orgs |") for line in lines)  # no scale table: nothing was measured


def test_the_parts_run_at_the_largest_size_against_the_baseline_unless_told_otherwise() -> None:
    run = bench_module("run")
    args = argparse.Namespace(sizes=[2000, 200000], baseline=Path("/main"), part_args=['scale=--orgs 2000 --repeat 1'])
    extra = run.part_args(args)
    assert extra == {
        "increment": ["--orgs", "200000"],
        "scale": ["--orgs", "200000", "--baseline", "/main", "--orgs", "2000", "--repeat", "1"],
        "office": ["--baseline", "/main"],
        "report": ["--against", "/main"],
    }
    assert run.flag_value(extra["scale"], "--orgs") == "2000"  # the last one, as argparse keeps it
    assert run.flag_value(extra["scale"], "--cities") is None
    assert run.part_args(argparse.Namespace(sizes=[], baseline=None, part_args=[])) == {}


def test_a_scale_row_is_judged_only_at_the_size_the_run_recorded(tmp_path: Path) -> None:
    save(tmp_path, FIGURES)
    judged = issue_table.table(issue_table.read_parts(tmp_path), issue_table.scale_orgs(tmp_path))[2]
    assert judged[3:] == ("未测 (200,000)", "measured at a size not recorded; the target is judged at 200,000 "
                          "(--sizes 200000); 159,000,000 rows")
    issue_table.write(tmp_path / issue_table.RUN_FILE, [{"key": "scale_orgs", "value": 200_000, "unit": "orgs", "note": ""}])
    judged = issue_table.table(issue_table.read_parts(tmp_path), issue_table.scale_orgs(tmp_path))[2]
    assert judged[3:] == ("yes", "159,000,000 rows")
