"""Finding the files: every candidate under the given paths, in name order, and its content hash.

Names are recorded as a person should read them: a name that is not valid UTF-8 (what unzipping a Windows
zip gives: GBK bytes) is decoded as GBK where that works, else its bytes are escaped.  Only regular files
are read: a pipe, socket or device is passed over with a message (opening a pipe would wait forever).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.ingest.result import IngestError

#: what a path that is not a regular file is, in words
_KINDS = ((stat.S_ISFIFO, "管道"), (stat.S_ISSOCK, "套接字"), (stat.S_ISCHR, "设备"), (stat.S_ISBLK, "设备"))


class NotRegular(OSError):
    """The path is not a regular file (a pipe, socket or device): it is passed over, never opened."""


@dataclass
class Inputs:
    """The files to read, as (path on disk, name to record) sorted by name, and the paths passed over."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    passed_over: list[str] = field(default_factory=list)  #: "name（what it is）" of each path that is not a file


def display_name(name: str) -> str:
    """``name`` (one path component, as the OS gave it) as a person should read it.

    Python hands undecodable bytes over as surrogate escapes, which no file or terminal can hold: such a
    name is decoded as GB18030 (a superset of GBK) where that works, else shown with its bytes escaped
    (``\\xbb``)."""
    if _is_utf8(name):
        return name
    raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def escaped_name(name: str) -> str:
    """``name`` with every byte past ASCII escaped (``\\xbb``): unique for every distinct name."""
    return "".join(chr(b) if b < 0x80 else f"\\x{b:02x}" for b in os.fsencode(name))


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file ("管道", "套接字", "设备", "特殊文件"); None for a
    regular file and for a path that cannot be looked at (the reader then refuses it as unreadable)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    return next((word for test, word in _KINDS if test(mode)), "特殊文件")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> Inputs:
    """Every candidate file under ``paths``, sorted by the name recorded for it.

    Folders are walked without following symbolic links to folders, so link loops cannot trap the
    walk; hidden files and Office lock files (``~$…``) are passed over silently, anything that is not a
    regular file with a message.  A name that reads like another once decoded as GBK (``活动记录.csv``
    in UTF-8 and in GBK bytes side by side) keeps its bytes escaped: the UTF-8 name keeps its own.
    """
    candidates: list[tuple[list[str], Path]] = []
    for p in paths:
        root = Path(p)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith((".", "~$")):
                        full = Path(dirpath) / name
                        candidates.append((list(full.relative_to(root).parts), full))
        elif root.exists() or root.is_symlink():
            candidates.append(([root.name], root))
        else:
            raise IngestError(f"找不到路径：{display_path(root)}")
    found: dict[str, Path] = {}
    out = Inputs()
    for parts, full in sorted(candidates, key=lambda c: not all(_is_utf8(p) for p in c[0])):  # UTF-8 names first
        rel = "/".join(display_name(p) for p in parts)
        if rel in found and found[rel] != full:
            rel = "/".join(p if _is_utf8(p) else escaped_name(p) for p in parts)
        kind = not_regular(full)
        if kind is not None:
            out.passed_over.append(f"{rel}（{kind}）")
        else:
            found.setdefault(rel, full)
    out.files = sorted(((path, rel) for rel, path in found.items()), key=lambda x: x[1])
    out.passed_over.sort()
    return out


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, str]]:
    """Every candidate file under ``paths`` as (path on disk, name to record), sorted by name (see
    :func:`find_inputs`, which also says which paths were passed over)."""
    return find_inputs(paths).files


def display_path(path: Path) -> str:
    """A whole path as a person should read it (see :func:`display_name`)."""
    return "/".join(display_name(p) for p in str(path).split("/"))


def content_hash(path: Path) -> tuple[int, str]:
    """(size, SHA-256) of the regular file at ``path``.

    The file is opened without waiting (a pipe put in its place since the walk would otherwise block
    here, before any time limit starts) and checked to be a regular file before it is read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(not_regular(path) or "特殊文件")
        h = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return st.st_size, h.hexdigest()
