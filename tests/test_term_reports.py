"""The term reports (任期考核, issue 16 "Reports"): the frames the notebook shows, the 换届提醒 order, the
notebook run by papermill on a small store and on the sample, and ``workbench report --as-of``.

The small department is the registry of ``test_rules_helpers`` (C 党委 ⊃ G 党总支 ⊃ B 党支部; T a
直属党支部) with these elections and incidents:

- T (2-year term) elected 2022-07-01: due 2024-07-01, 超期未换届 at 2024-12-31; a perfect record in
  2022–2024 except no heart talk in 2023.
- C (4-year term) elected 2021-03-01: due 2025-03-01, 即将届满 at 2024-12-31, 已届满 at 2025-03-31.
- B (2-year term) elected 2023-08-01: due 2025-08-01, 任期中 at 2024-12-31, 即将届满 at 2025-03-31;
  an incident at B on 2024-05-01 (inside its term and C's) and one on 2021-02-28 (the day before C's
  term starts: ignored).
- G: no election on record.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import nbformat
import polars as pl
import pytest

from analysis import charts, reports
from analysis.store import MANIFEST_SCHEMA, PROVENANCE_SCHEMA, REJECTS_SCHEMA, Store, write_store
from analysis.term_views import (
    save_terms,
    term_assessment,
    term_facts,
    term_failed_items,
    term_incidents,
    term_reminders,
    term_training,
    term_trend,
    term_years_table,
)
from analysis.terms import assess_terms
from analysis.views import cached_assess
from tests.test_cli import workbench
from tests.test_rules_helpers import D, make_store
from tests.test_terms import election, incident, perfect_years

ROOT = Path(__file__).resolve().parents[1]
#: a rule id or an English column name on a page a person reads
MACHINE_WORDS = re.compile(r"\b(?:edu|org|duty|style|mass|manual)\.[a-z_]+|\b(?:term_\w+|days_left|org_id|rule_id)\b")


def department() -> Store:
    tables = perfect_years("T")
    activities = [r for r in tables.pop("activities") if not (r["kind"] == "heart_talk" and r["date"].year == 2023)]
    return make_store(
        activities=activities,
        elections=[election("T", D(2022, 7, 1)), election("C", D(2021, 3, 1)), election("B", D(2023, 8, 1))],
        incidents=[incident("B", D(2024, 5, 1)), incident("B", D(2021, 2, 28))],
        **tables,
    )


def write_department(path: Path) -> Path:
    """The department as a store folder (what ``workbench ingest`` writes), for the notebook runs."""
    store = department()
    names = ("orgs", "activities", "study", "dues", "inspections", "elections", "incidents")
    write_store(
        path,
        {n: store.table(n).collect() for n in names},
        pl.DataFrame(schema={"table": pl.String, **PROVENANCE_SCHEMA}),
        pl.DataFrame(schema=REJECTS_SCHEMA),
        pl.DataFrame(schema=MANIFEST_SCHEMA),
        {n: sorted(store.columns_present(n)) for n in names},
    )
    return path


class _Text(HTMLParser):
    """The text a reader sees on a page (no style, no script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


# ---------------------------------------------------------------------------------------------
# 换届提醒: overdue first, then by the days left (hand-built rows)
# ---------------------------------------------------------------------------------------------
def test_reminders_list_overdue_first_then_by_days_left_then_code() -> None:
    rows = [
        ("a", "即将届满", 30, True),
        ("b", "超期未换届", -400, True),
        ("c", "已届满", -3, True),
        ("d", "任期中", 500, False),
        ("e", "超期未换届", -40, True),
        ("f", "即将届满", 30, True),
        ("g", "无换届记录", None, False),
        ("h", "已届满", 0, True),
    ]
    terms = pl.DataFrame(
        {
            "org_id": [r[0] for r in rows],
            "name": [f"{r[0]}支部" for r in rows],
            "org_type": "branch",
            "parent_id": None,
            "term_due": [None if r[2] is None else date(2025, 1, 1) for r in rows],
            "term_status": [r[1] for r in rows],
            "days_left": [r[2] for r in rows],
            "report_due": [r[3] for r in rows],
        },
        schema_overrides={"parent_id": pl.String, "days_left": pl.Int64},
    )
    out = term_reminders(terms, {"b": "任期考核_b.html", "d": "任期考核_d.html"})
    assert out["org_id"].to_list() == ["b", "e", "c", "h", "a", "f"]
    assert out["when"].to_list() == ["已届满 400 天", "已届满 40 天", "已届满 3 天", "今日届满", "剩余 30 天", "剩余 30 天"]
    assert out["href"].to_list() == ["任期考核_b.html", None, None, None, None, None]


# ---------------------------------------------------------------------------------------------
# The frames of the term report (in-memory department)
# ---------------------------------------------------------------------------------------------
def test_years_table_puts_each_year_of_the_term_in_its_own_column() -> None:
    # at 2024-06-30: 2022 has 184 days in the term (50.4% of 365), 2023 is whole, 2024 is still running
    ta = assess_terms(department(), D(2024, 6, 30))
    table = term_years_table(ta, "T")
    assert table.columns == ["item", "2022年", "2023年", "2024年", "任期"]
    assert table.to_dict(as_series=False) == {
        "item": ["任期内天数", "权重（计入任期的比例）", "得分", "等级", "未达标项数"],
        "2022年": ["184", "50.4%", "100.0", "优秀", "0"],
        "2023年": ["365", "100%", "97.9", "良好", "1"],
        "2024年": ["182", "—", "进行中，不计分", "—", "—"],
        # (0.50411 × 100 + 97.9) ÷ 1.50411 = 98.6; 优秀 lost by the 2023 heart talk
        "任期": ["731", "—", "98.6", "良好", "1"],
    }
    facts = term_facts(ta, "T")
    assert (facts["term_status"], facts["when"], facts["org_type_zh"]) == ("即将届满", "剩余 1 天", "党支部")


def test_trend_chart_says_how_much_of_a_partial_year_counts_and_names_the_term_score() -> None:
    ta = assess_terms(department(), D(2024, 6, 30))
    trend = term_trend(ta, "T")
    assert trend.select("year", "score", "weight").rows() == [(2022, 100.0, pytest.approx(184 / 365)), (2023, 97.9, 1.0)]
    spec = str(charts.to_vega(charts.term_trend(trend, 98.6, "直属党支部")))
    for label in ("2022年（计入 50.4%）", "2023年", "任期得分（98.6）", "同类组织中位数", "任期内各年度得分（2022年–2023年）"):
        assert label in spec


def test_failed_items_name_the_year_the_item_and_the_rows_they_rest_on() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    failed = term_failed_items(ta, "T")
    assert failed.select("year", "rule", "earned", "evidence").rows() == [
        (2023, "谈心谈话", 0.0, "（没有相关记录）"),  # no heart talk at all in 2023
        # overdue since 2024-08-01: the election row is the evidence (in-memory rows are numbered 1..n)
        (2024, "按时换届", 0.0, "<memory> 第1行"),
    ]


def test_incidents_list_a_descendants_veto_inside_the_term_and_not_the_day_before_it() -> None:
    store = department()
    ta = assess_terms(store, D(2024, 12, 31))
    assert term_facts(ta, "C")["vetoed"] is True
    assert term_incidents(store, ta, "C").rows() == [
        (D(2024, 5, 1), "重大失误和损失", "下级组织", "第一党支部（B）", "", "<memory> 第1行")
    ]
    own = term_incidents(store, ta, "B")
    assert own.select("date", "at").rows() == [(D(2024, 5, 1), "本组织")]
    assert term_incidents(store, ta, "T").height == 0


def test_training_is_judged_over_the_term_and_an_org_without_election_shows_nothing() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    training = term_training(ta, "C")
    assert training.select("rule", "status").rows() == [("届内党务干部培训", "pending")]  # due 2025-03-01
    assert term_facts(ta, "G")["has_term"] is False
    assert term_years_table(ta, "G").columns == ["item"]
    assert (term_training(ta, "G").height, term_failed_items(ta, "G").height) == (0, 0)
    assert term_trend(ta, "G").height == 0


def test_unknown_org_is_refused_in_chinese() -> None:
    ta = assess_terms(department(), D(2024, 12, 31))
    with pytest.raises(ValueError, match="组织名册中没有编码为 999 的组织"):
        term_facts(ta, "999")


# ---------------------------------------------------------------------------------------------
# workbench report: the term pages through papermill, as of the report's own as-of date
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_department(tmp_path_factory.mktemp("term-store") / "store")


@pytest.fixture(scope="module")
def default_run(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("term-report") / "r"
    done = workbench(
        "report", "--store", str(small_store), "--year", "2024", "--out", str(out),
        "--only", "任期考核", "--only", "年度考核综合对比", "--keep-notebooks",
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_report_makes_a_term_page_for_each_org_that_owes_its_report_at_31_december(default_run: tuple[Path, str]) -> None:
    out, stdout = default_run
    assert "任期考核（截至 2024-12-31）：应报送任期考核报告的组织 2 个（超期未换届 1 个，即将届满 1 个）" in stdout
    pages = sorted(p.name for p in out.glob("任期考核_*.html"))
    assert pages == ["任期考核_机关党委_C.html", "任期考核_直属党支部_T.html"]
    text = page_text(out / "任期考核_直属党支部_T.html")
    assert "任期考核：直属党支部（截至 2024-12-31）" in text
    assert "2022-07-01 换届，应于 2024-07-01 届满" in text and "超期未换届（已届满 183 天）" in text
    # (184/365 × 100 + 97.9 + 94.8) ÷ (184/365 + 2) = 97.1: 2024 lost the election rule (overdue)
    assert "任期得分 97.1 分，任期等级 良好" in text
    assert "谈心谈话" in text and "按时换届" in text  # the failed items of 2023 and 2024
    c = page_text(out / "任期考核_机关党委_C.html")
    assert "重大失误和损失" in c and "第一党支部（B）" in c and "届内待办" in c
    for page in (out / "任期考核_直属党支部_T.html", out / "任期考核_机关党委_C.html", out / "年度考核综合对比.html"):
        assert MACHINE_WORDS.findall(page_text(page)) == [], page.name
        assert reports.external_refs(page.read_text(encoding="utf-8")) == []
    assert list((out / "charts" / "任期考核_直属党支部_T").glob("*.png"))


def test_term_pages_read_the_assessment_made_once_by_the_parent(default_run: tuple[Path, str]) -> None:
    out, _ = default_run
    saved = out / "notebooks" / reports.TERMS_FILE
    assert saved.is_file()
    for name in ("任期考核_直属党支部_T", "年度考核综合对比"):
        nb = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        params = nb.metadata.papermill.parameters
        assert (params["terms_path"], params["as_of"]) == (str(saved), "2024-12-31")


def test_index_and_overview_remind_overdue_first_and_link_each_term_page(default_run: tuple[Path, str]) -> None:
    out, _ = default_run
    index = (out / "index.html").read_text(encoding="utf-8")
    block = index[index.index("换届提醒") :]
    t, c = (block.index(f'href="{quote(f"任期考核_{n}.html")}"') for n in ("直属党支部_T", "机关党委_C"))
    assert t < c  # T (overdue) before C (due soon)
    assert f'href="{quote("PDF/任期考核_直属党支部_T.pdf")}"' in block  # its print version beside it
    assert "已届满 183 天" in block and "剩余 60 天" in block
    overview = page_text(out / "年度考核综合对比.html")
    assert "应报送任期考核报告的组织 2 个（超期未换届 1 个，即将届满 1 个" in overview
    html = (out / "年度考核综合对比.html").read_text(encoding="utf-8")
    assert html.count("<table") == 2  # 换届提醒 and the score table, each once (a cell ending in show_table)
    for name in ("直属党支部_T", "机关党委_C"):
        assert f'href="{quote(f"任期考核_{name}.html")}"' in html


def test_as_of_option_moves_the_term_reports_to_that_date(small_store: Path, tmp_path: Path) -> None:
    done = workbench(
        "report", "--store", str(small_store), "--year", "2024", "--as-of", "2025-03-31", "--out", str(tmp_path / "r"),
        "--only", "任期考核",
    )
    assert done.returncode == 0, done.stderr
    assert "任期考核（截至 2025-03-31）：应报送任期考核报告的组织 3 个（超期未换届 1 个，已届满 1 个，即将届满 1 个）" in done.stdout
    pages = sorted(p.name for p in (tmp_path / "r").glob("任期考核_*.html"))
    assert pages == ["任期考核_机关党委_C.html", "任期考核_直属党支部_T.html", "任期考核_第一党支部_B.html"]
    assert "截至 2025-03-31" in (tmp_path / "r" / "index.html").read_text(encoding="utf-8")


def test_as_of_that_is_not_a_date_is_one_chinese_line(small_store: Path, tmp_path: Path) -> None:
    done = workbench("report", "--store", str(small_store), "--as-of", "2025-13-01", "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert "截止日期「2025-13-01」无法识别，请写作 2024-12-31" in done.stderr and "Traceback" not in done.stderr


def test_a_notebook_run_alone_assesses_the_terms_once_per_kernel(small_store: Path, tmp_path: Path) -> None:
    store = Store.open(small_store)
    ta = term_assessment(store, 2024)  # no terms_path: as of 31 Dec, the year's assessment reused
    assert ta.as_of == D(2024, 12, 31) and ta.annual[2024] is cached_assess(store, 2024)
    assert term_assessment(store, 2024) is ta
    assert ta.report_due["org_id"].to_list() == ["T", "C"]
    saved = save_terms(ta, tmp_path / "terms.pickle")
    assert term_assessment(store, 2024, terms_path=saved).terms.equals(ta.terms)
    with pytest.raises(ValueError, match="找不到任期考核结果文件"):
        term_assessment(store, 2024, terms_path=tmp_path / "gone.pickle")


# ---------------------------------------------------------------------------------------------
# The sample (two term pages, not seventy)
# ---------------------------------------------------------------------------------------------
def test_term_notebook_runs_on_the_sample(tmp_path: Path) -> None:
    from analysis.ingest import ingest

    ingest([ROOT / "data" / "sample"], tmp_path / "store")
    term = [
        replace(r, values=lambda ta, first=r.values: first(ta)[:2]) for r in reports.REPORTS if r.title == reports.TERM_REPORT
    ]
    run = reports.run_reports(tmp_path / "store", 2024, tmp_path / "out", reports=term, progress=False)
    assert run.ok, [f.describe() for f in run.failures]
    assert run.terms is not None and len(run.outputs) == 2
    first = run.terms.report_due.row(0, named=True)
    text = page_text(run.outputs[0].html)
    assert f"任期考核：{first['name']}（截至 2024-12-31）" in text and first["term_status"] in text
    assert MACHINE_WORDS.findall(text) == []
    assert run.warnings == []
