"""`workbench lab` in a real browser: JupyterLab in Chinese, the explore notebook opened as a notebook and
run top to bottom through the interface, with the network cut off except loopback.

Headless Chromium (Debian's ``chromium``, driven by playwright) talks to a JupyterLab the command started
on a free loopback port.  A screenshot is saved beside the test's temporary files on failure; the server
is stopped at the end whatever happens.  Skipped only when ``/usr/bin/chromium`` is missing outside CI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.ingest import ingest
from analysis.lab import SETTINGS, free_port, lab_home, write_settings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "workbench-lab-test"

browser_needed = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="/usr/bin/chromium is not installed (apt-get install chromium); required in CI",
)


def test_settings_are_the_projects_own_and_chinese(tmp_path: Path) -> None:
    settings = write_settings(tmp_path / "home")
    locale = json.loads((settings / "@jupyterlab/translation-extension/plugin.jupyterlab-settings").read_text("utf-8"))
    viewers = json.loads((settings / "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings").read_text("utf-8"))
    assert locale == {"locale": "zh_CN"}
    assert viewers == {"defaultViewers": {"python": "Jupytext Notebook"}, "autosave": False}
    assert len(list(settings.rglob("*.jupyterlab-settings"))) == len(SETTINGS)
    assert lab_home(ROOT) == ROOT / ".workbench-lab"
    assert (ROOT / "notebooks" / "jupytext.toml").read_text("utf-8").count('formats = "py:percent"') == 1


def test_port_already_taken_is_a_plain_message(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        store = _store(tmp_path)
        r = subprocess.run([sys.executable, "-m", "analysis", "lab", "--store", str(store), "--port", str(port),
                            "--no-browser"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert f"端口 {port} 已被占用" in r.stderr


def _store(tmp_path: Path) -> Path:
    data = tmp_path / "in"
    data.mkdir(exist_ok=True)
    (data / "组织.csv").write_text(
        "组织编码,组织名称,组织类型,上级组织编码\n000100,机关党委,党委,\n000101,第一支部,党支部,000100\n", encoding="utf-8"
    )
    (data / "活动.csv").write_text(
        "组织编码,活动日期,活动类型\n000101,2024-01-05,党课\n000101,2023-03-01,党课\n"
        "000100,2024-02-01,委员会议\n000100,2023-02-01,委员会议\n000101,2024-13-01,党课\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    ingest([data], store=store)
    return store


def _wait_for_server(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"workbench lab ended early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("JupyterLab did not answer within the time limit")


@browser_needed
def test_lab_opens_in_chinese_and_runs_the_explore_notebook(tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    store = _store(tmp_path)
    notebook = ROOT / "notebooks" / "explore.py"
    before = notebook.read_bytes()
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis", "lab", "--store", str(store), "--port", str(port), "--no-browser"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    blocked: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith((f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page = None
    try:
        _wait_for_server(port, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.route("**/*", guard)
                sockets: list[str] = []
                page.on("websocket", lambda ws: sockets.append(ws.url))
                page.goto(f"http://127.0.0.1:{port}/lab/tree/explore.py?token={TOKEN}")
                page.wait_for_selector(".lm-MenuBar-itemLabel", timeout=90_000)
                menus = [m.inner_text() for m in page.locator(".lm-MenuBar-itemLabel").all()]
                assert menus[:4] == ["文件", "编辑", "查看", "运行"]
                # opened as a notebook (not as a text file), with all its cells
                page.wait_for_function(
                    "document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').length >= 10", timeout=90_000
                )
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=240_000)
                # the kernel's channel open: a "run all" sent before it is dropped by JupyterLab
                deadline = time.monotonic() + 120
                while not any("/api/kernels/" in u for u in sockets) and time.monotonic() < deadline:
                    page.wait_for_timeout(500)
                page.wait_for_timeout(2000)
                page.locator(".lm-MenuBar-itemLabel", has_text="运行").click()
                page.locator(".lm-Menu-itemLabel", has_text="运行所有单元格").first.click()
                code_cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
                n = code_cells.count()
                assert n >= 10
                deadline = time.monotonic() + 480
                while time.monotonic() < deadline:
                    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()
                    if all(t.strip() not in ("[ ]:", "[*]:") for t in prompts) and len(prompts) == n:
                        break
                    page.wait_for_timeout(1000)
                else:
                    raise AssertionError(f"the notebook did not finish: {prompts}")
                errors = page.locator(".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']")
                assert errors.count() == 0, errors.all_inner_texts()[:3]
                text = page.locator(".jp-NotebookPanel").inner_text()
                assert "Traceback" not in text and "Error" not in text
                assert "已载入的数据" in text and "第一支部" in text
                charts = page.locator(".jp-NotebookPanel .jp-RenderedImage img")
                assert charts.count() >= 2  # the unit's ranking and the year-on-year change
                assert all(c.evaluate("img => img.complete && img.naturalWidth > 600") for c in charts.all())
            except BaseException:
                if page is not None:
                    page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
                    print(f"screenshot: {tmp_path / 'lab-failure.png'}")
                raise
            finally:
                browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert blocked == []
    assert notebook.read_bytes() == before  # running it through the interface did not rewrite the shipped file
