"""A real browser opens the reports with the network cut off: nothing fails, nothing is fetched, the
charts show, the tables sort and search, a list's org code opens the org on its 单位画像, and the print
layout (print media) opens every fold and keeps table rows whole.

Headless Chromium (Debian's ``chromium`` package, driven by playwright) loads the pages from disk.
Every request that is not a local file, a data URI or a ``blob:`` made by the page itself is aborted and
recorded.  Skipped only when ``/usr/bin/chromium`` is missing outside CI; in CI (``CI`` set) a missing
browser fails the test.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from analysis import reports
from tests.test_report_pages import make_department
from tests.test_reports import make_store

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = ("file:", "data:", "about:", "blob:")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="/usr/bin/chromium is not installed (apt-get install chromium); required in CI",
)

# Counts the pixels of a PNG (given as a data URI) that are not (near) white, in the browser itself:
# a data URI image never taints the canvas, so getImageData is allowed.
INK = """async (uri) => {
  const img = new Image();
  img.src = uri;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
  return [ink, c.width * c.height];
}"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    store = make_store(root / "store")
    quality = [r for r in reports.REPORTS if r.title == "数据质量"]
    run = reports.run_reports(store, 2024, root / "out", reports=quality, progress=False)
    assert run.ok, [f.describe() for f in run.failures]
    return root / "out"


def test_index_and_report_open_offline_with_visible_charts(report_dir: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    blocked: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.route("**/*", guard)
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto((report_dir / "index.html").as_uri())
            assert page.title() == "党建目标管理考核报告（2024年度）"
            assert page.locator("html").get_attribute("lang") == "zh"
            index_fonts = page.evaluate("document.fonts.ready.then(() => [...document.fonts].map(f => f.status))")
            assert index_fonts == ["loaded"]
            page.get_by_role("link", name="数据质量", exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith("%E6%95%B0%E6%8D%AE%E8%B4%A8%E9%87%8F.html")  # 数据质量.html
            assert page.title() == "数据质量"

            # the page carries its own CJK font: Chinese reads on a machine with no Chinese font at all
            fonts = page.evaluate("document.fonts.ready.then(() => [...document.fonts].map(f => f.family + ':' + f.status))")
            assert fonts == ["Workbench CJK:loaded"]
            heading = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
            assert heading.startswith('"Workbench CJK"')

            images = page.locator(".jp-RenderedImage img, .jp-RenderedSVG img")
            assert images.count() == 4  # 拒收原因, 各文件拒收行数, 各组织拒收行数, 报送完整性
            inks: list[Any] = []
            for i in range(images.count()):
                image = images.nth(i)
                image.scroll_into_view_if_needed()
                assert image.is_visible()
                assert image.evaluate("img => img.complete && img.naturalWidth > 0")
                box = image.bounding_box()
                assert box is not None and box["width"] > 600 and box["height"] > 300
                shot = base64.b64encode(image.screenshot()).decode("ascii")
                ink, total = page.evaluate(INK, f"data:image/png;base64,{shot}")
                inks.append(ink / total)
            assert all(share > 0.02 for share in inks), inks  # bars, axes and text, not a blank box
        finally:
            browser.close()

    assert blocked == []
    assert failed == []
    assert errors == []


# ------------------------------------------------------------------------------------------------
# Sorting and searching, drill-down and print, on a small department's pages.
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def department(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("department")
    chosen = [r for r in reports.REPORTS if r.title in ("年度考核综合对比", "后进支部排查", "单位画像")]
    run = reports.run_reports(make_department(root / "store"), 2024, root / "out", reports=chosen, progress=False)
    assert run.ok, [f.describe() for f in run.failures]
    return root / "out"


class _Offline:
    """A browser page whose every request off this machine is aborted and recorded."""

    def __init__(self, browser: Any) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1366, "height": 900})
        self.page.route("**/*", self._guard)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _guard(self, route: Any) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, path: Path, fragment: str = "") -> Any:
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_selector("html[data-tables]", state="attached")
        assert self.page.locator("html").get_attribute("data-tables") == "ready"
        return self.page


def _browser(p: Any) -> Any:
    return p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def _codes(page: Any, table: Any) -> list[str]:
    return table.locator("tbody tr td:first-child").all_inner_texts()


def test_tables_sort_and_search_with_the_network_cut_off(department: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            tab = _Offline(browser)
            page = tab.open(department / "年度考核综合对比.html")
            table = page.locator("table.dataframe").first
            page.locator("details").first.evaluate("d => d.open = true")
            assert _codes(page, table) == ["000100", "000110", "000111", "000200", "000120"]  # by score
            header = table.locator("thead th", has_text="组织编码")
            cells = table.locator("tbody tr td:first-child")
            header.click()  # the table script re-orders the rows; wait for it (a loaded machine is slow)
            expect(cells).to_have_text(["000100", "000110", "000111", "000120", "000200"])
            header.click()
            expect(cells).to_have_text(["000200", "000120", "000111", "000110", "000100"])
            assert page.locator(".dt-search").count() == 0  # five rows: sorting, no search box

            page = tab.open(department / "单位画像_机关党委.html")
            fold = page.locator("details").first
            fold.evaluate("d => d.open = true")
            rows = fold.locator("table.dataframe tbody tr")
            assert rows.count() == 21  # every rubric item
            fold.locator(".dt-search input").fill("三会一课")
            assert rows.count() == 1 and "三会一课" in rows.first.inner_text()
            assert fold.locator(".dt-search label").inner_text().strip() == "筛选："
        finally:
            browser.close()
    assert tab.blocked == [] and tab.errors == []


def test_a_weak_branch_code_opens_its_fold_on_the_unit_profile(department: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            tab = _Offline(browser)
            page = tab.open(department / "后进支部排查.html")
            page.locator("table.dataframe a", has_text="000120").click()
            page.wait_for_load_state("load")
            assert page.url.endswith("#org-000120")
            assert "%E5%8D%95%E4%BD%8D%E7%94%BB%E5%83%8F_" in page.url  # 单位画像_…
            fold = page.locator("details#org-000120")
            assert fold.get_attribute("open") is not None
            assert fold.locator("table.dataframe").is_visible()
        finally:
            browser.close()
    assert tab.blocked == [] and tab.errors == []


def test_print_layout_opens_every_fold_and_keeps_rows_whole(department: Path) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            tab = _Offline(browser)
            page = tab.open(department / "单位画像_机关党委.html")
            assert page.evaluate("[...document.querySelectorAll('details')].some(d => d.open)") is False
            page.emulate_media(media="print")
            tables = page.locator("details table.dataframe")
            assert tables.count() == 4
            for i in range(4):
                assert tables.nth(i).bounding_box()["height"] > 200  # the fold's evidence is laid out
            assert page.evaluate("getComputedStyle(document.querySelector('details tbody tr')).breakInside") == "avoid"
            assert page.evaluate("getComputedStyle(document.querySelector('.dt-search')).display") == "none"
            assert page.evaluate("getComputedStyle(document.querySelector('.wb-back')).display") == "none"
            printed = page.pdf(prefer_css_page_size=True)
        finally:
            browser.close()
    assert tab.blocked == [] and tab.errors == []
    import io

    pdf = PdfReader(io.BytesIO(printed))
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    for org in ("机关党委（000100）", "第一党总支（000110）", "第一党支部（000111）", "第二党支部（000120）"):
        assert org in text
    assert text.count("工青妇组织建设") >= 4  # the last rubric item of every organisation's table
