"""The interactive notebook runs top to bottom on a fresh folder: it loads the sample by itself."""

from __future__ import annotations

from pathlib import Path

from analysis.reports import Report, run_reports

ROOT = Path(__file__).resolve().parents[1]


def test_explore_notebook_ingests_the_sample_when_no_store_exists(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "store.json").write_text('{"version": 2, "tables": {}}', encoding="utf-8")  # run_reports opens it
    fresh = tmp_path / "fresh-store"
    run = run_reports(
        store, 2024, tmp_path / "out",
        reports=[Report("自由探索", str(ROOT / "notebooks" / "explore.py"))],
        parameters={"store_path": str(fresh), "sample_path": str(ROOT / "data" / "sample")},
        workers=1, progress=False,
    )
    assert run.ok, [f.describe() for f in run.failures]
    assert (fresh / "store.json").is_file()
    page = (tmp_path / "out" / "自由探索.html").read_text(encoding="utf-8")
    assert "已导入示例数据" in page and "data:image/png;base64" in page
    # what is loaded, and one unit's scores, as tables with Chinese headers (no raw dict)
    assert "<th>项目</th>" in page and "读入行数" in page and "<th>组织名称</th>" in page
    assert "{'files'" not in page and "'rows_read':" not in page  # no raw dict of the ingest totals
