"""JupyterLab for the office analyst: the interface in Chinese, the notebooks opened as notebooks, the
chosen store handed to them — without touching the user's own JupyterLab settings.

``workbench lab`` starts JupyterLab on the project's ``notebooks/`` with:

- its settings in the project's own folder ``.workbench-lab/`` (``JUPYTERLAB_SETTINGS_DIR`` and
  ``JUPYTERLAB_WORKSPACES_DIR`` point there), written fresh each start: the interface language
  ``zh_CN`` (the ``jupyterlab-language-pack-zh-cn`` package), and the py:percent notebooks opened with
  jupytext's "Jupytext Notebook" viewer by default, so no right-click is needed;
- the store in ``WORKBENCH_STORE``, which ``notebooks/explore.py`` reads;
- the explore notebook as the page it opens.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

#: the environment variable the explore notebook reads its store from
STORE_ENV = "WORKBENCH_STORE"
LOCALE = "zh_CN"
#: the notebook JupyterLab opens first, relative to the notebooks folder
START_NOTEBOOK = "explore.py"

SETTINGS: dict[str, dict] = {
    "@jupyterlab/translation-extension/plugin.jupyterlab-settings": {"locale": LOCALE},
    # .py files in notebooks/ are py:percent notebooks: open them as notebooks (jupytext's viewer)
    # (and no autosave: running the shipped notebooks must not rewrite them; an analyst saves on purpose)
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
        "defaultViewers": {"python": "Jupytext Notebook"},
        "autosave": False,
    },
    # every cell in the page (find-in-page works, and nothing is rendered lazily out of view)
    # and the notebook's kernel starts without asking which one
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "autoStartDefaultKernel": True},
    # the analyst's first look should not be a news pop-up asking to fetch from the internet
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def default_store() -> str:
    """The store a notebook opens when nobody passed one: ``WORKBENCH_STORE`` (set by ``workbench lab``),
    else the project's ``data/store`` — so every report notebook also runs as it is in JupyterLab."""
    return os.environ.get(STORE_ENV) or str(Path(__file__).resolve().parents[1] / "data" / "store")


def lab_home(project: Path) -> Path:
    """The project's own JupyterLab folder (settings, workspaces); never the user's global settings."""
    return project / ".workbench-lab"


def write_settings(home: Path) -> Path:
    """Write the project's JupyterLab user settings under ``home``; returns the settings folder."""
    settings = home / "user-settings"
    for rel, values in SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, ensure_ascii=False, indent=2), encoding="utf-8")
    (home / "workspaces").mkdir(parents=True, exist_ok=True)
    return settings


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when it is free on the loopback address, else any free port."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def lab_command(notebooks: Path, port: int, open_browser: bool) -> list[str]:
    """The JupyterLab command line: served on loopback only, rooted at the notebooks folder, opening
    the explore notebook."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{START_NOTEBOOK}",
        "--LabApp.news_url=",
        # offices and CI containers often run as root; JupyterLab refuses to start as root without this
        *(["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
    ]


def lab_environment(home: Path, store: Path) -> dict[str, str]:
    """The process environment JupyterLab and its kernels run with."""
    env = dict(os.environ)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(write_settings(home))
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(home / "workspaces")
    env[STORE_ENV] = str(store.resolve())
    return env
