"""Download every wheel the workbench needs into a folder, for machines with no package index.

Government intranet machines often cannot reach PyPI.  Run this where an index is reachable::

    python tools/wheelhouse.py                                   # this machine's platform and Python
    python tools/wheelhouse.py --platform win_amd64 --python-version 3.11      # a Windows intranet PC
    python tools/wheelhouse.py --extra test                      # also what the tests need

then copy the project folder, ``wheelhouse/`` included, to the intranet machine and install from it::

    python -m pip install --no-index --find-links wheelhouse -e .

The list is the project's own: ``[project] dependencies`` (plus the extras asked for) and the build
backend of ``[build-system] requires`` (an editable install builds the project, offline too).  Only
wheels are taken (``--only-binary=:all:``), so nothing needs a compiler on the target.  A maintainer
tool: it is not part of the ``analysis`` package.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirements(pyproject: Path = ROOT / "pyproject.toml", extras: list[str] | None = None) -> list[str]:
    """The requirements to download: the project's dependencies, the extras asked for, the build backend."""
    meta = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    reqs = list(meta["project"]["dependencies"])
    optional = meta["project"].get("optional-dependencies", {})
    for extra in extras or []:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml 中没有可选依赖组 {extra}（可选：{'、'.join(optional)}）")
        reqs += optional[extra]
    return reqs + list(meta["build-system"]["requires"])


def download_command(
    dest: Path, reqs: list[str], platforms: list[str] | None = None, python_version: str | None = None
) -> list[str]:
    """The ``pip download`` call: wheels only, for the target platform(s) and Python when given (else
    this interpreter's)."""
    cmd = [sys.executable, "-m", "pip", "download", "--dest", str(dest), "--only-binary=:all:"]
    for p in platforms or []:
        cmd += ["--platform", p]
    if python_version:
        nodot = python_version.replace(".", "")
        cmd += ["--python-version", python_version, "--implementation", "cp"]
        cmd += ["--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none"]
    return cmd + reqs


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*") if p.is_file()) / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="下载工作台所需的全部 wheel 到一个文件夹，供无法联网的电脑离线安装。")
    ap.add_argument("--dest", type=Path, default=ROOT / "wheelhouse", help="下载到的文件夹（默认 wheelhouse/）")
    ap.add_argument("--platform", action="append", help="目标平台标签，可重复，如 win_amd64、manylinux2014_x86_64"
                    "（默认：本机）")
    ap.add_argument("--python-version", help="目标 Python 版本，如 3.11（默认：本机）")
    ap.add_argument("--extra", action="append", default=[], help="另外下载的可选依赖组，如 test")
    args = ap.parse_args(argv)
    if args.platform and not args.python_version:
        ap.error("指定 --platform 时也请给出 --python-version（目标电脑的 Python 版本）")
    args.dest.mkdir(parents=True, exist_ok=True)
    cmd = download_command(args.dest, requirements(extras=args.extra), args.platform, args.python_version)
    done = subprocess.run(cmd, check=False)
    if done.returncode:
        print(f"下载失败（pip 退出码 {done.returncode}）；上面是 pip 的说明。", file=sys.stderr)
        return done.returncode
    n = len(list(args.dest.glob("*.whl")))
    print(f"已下载 {n} 个 wheel 到 {args.dest}（共 {size_mb(args.dest):.0f} MB）。")
    where = os.path.relpath(args.dest, ROOT) if args.dest.resolve().is_relative_to(ROOT) else str(args.dest)
    print(f"在项目文件夹中离线安装：python -m pip install --no-index --find-links {where} -e .")
    return 0


if __name__ == "__main__":
    sys.exit(main())
