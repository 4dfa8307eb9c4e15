"""A real browser opens the reports with the network cut off: nothing fails, nothing is fetched, the
charts show.

Headless Chromium (Debian's ``chromium`` package, driven by playwright) loads ``index.html`` from disk,
follows the link to the 数据质量 report and screenshots every chart.  Every request that is not a local
file or a data URI is aborted and recorded.  Skipped only when ``/usr/bin/chromium`` is missing outside
CI; in CI (``CI`` set) a missing browser fails the test.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from analysis import reports
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
LOCAL = ("file:", "data:", "about:")

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
            assert images.count() == 3  # 拒收原因, 各文件拒收行数, 各组织拒收行数
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
