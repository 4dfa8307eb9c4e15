"""The offline intranet route's download list and pip calls (tools/wheelhouse.py, tools/offline_check.py).

The route itself — download, fresh venv, ``pip install --no-index`` with the network cut, ``workbench
assess`` — is tried for real by ``python tools/offline_check.py``, which CI (``.ci/run``) runs after the
tests and which says it is skipped when no package index answers.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str):
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wheelhouse = tool("wheelhouse")
offline_check = tool("offline_check")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_wheelhouse_holds_every_dependency_and_the_build_backend() -> None:
    reqs = wheelhouse.requirements()
    assert reqs == [*PYPROJECT["project"]["dependencies"], *PYPROJECT["build-system"]["requires"]]
    assert "setuptools>=68" in reqs  # an editable install builds the project, offline too
    with_tests = wheelhouse.requirements(extras=["test"])
    assert set(PYPROJECT["project"]["optional-dependencies"]["test"]) <= set(with_tests)


def test_an_unknown_extra_is_refused_in_chinese() -> None:
    with pytest.raises(SystemExit, match="pyproject.toml 中没有可选依赖组 docs（可选：test、bench）"):
        wheelhouse.requirements(extras=["docs"])


def test_a_windows_wheelhouse_takes_wheels_only_for_that_platform_and_python() -> None:
    cmd = wheelhouse.download_command(Path("wh"), ["typer>=0.29"], ["win_amd64"], "3.12")
    assert cmd[1:6] == ["-m", "pip", "download", "--dest", "wh"]
    assert "--only-binary=:all:" in cmd and cmd[-1] == "typer>=0.29"
    flags = " ".join(cmd)
    assert "--platform win_amd64 --python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none" in flags


def test_this_machines_wheelhouse_names_no_platform() -> None:
    cmd = wheelhouse.download_command(Path("wh"), ["typer"])
    assert "--platform" not in cmd and "--python-version" not in cmd and "--only-binary=:all:" in cmd


def test_the_offline_install_ignores_every_pip_setting_of_this_machine(monkeypatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_INDEX_URL", "https://example.invalid/simple")
    env = offline_check.clean_env()
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert [k for k in env if k.startswith("PIP_")] == ["PIP_CONFIG_FILE"]
