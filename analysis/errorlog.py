"""The error log of an internal error: written safely, and never itself a cause of failure.

A log goes to a folder of the user's own (``$XDG_STATE_HOME/workbench``, else ``~/.local/state/workbench``),
else to a new private temporary folder, under a name of its own (time and process id) that is created
exclusively with mode 0600, never through a symbolic link: a link planted in a shared folder cannot
redirect it onto another file, and two errors at once cannot write into one log.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _folders() -> Iterator[Path]:
    state = os.environ.get("XDG_STATE_HOME")
    if state and os.path.isabs(state):
        yield Path(state) / "workbench"
    try:
        yield Path.home() / ".local" / "state" / "workbench"
    except RuntimeError:  # no home folder known
        pass


def _write_in(folder: Path, name: str, text: str) -> Path:
    """Create ``folder/name`` (the folder only if it is ours, a real folder, and writable by us alone)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(dfd)
        if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise PermissionError(f"{folder} is not a private folder")
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
    finally:
        os.close(dfd)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(text)
    return folder / name


def write_error_log(text: str) -> Path | None:
    """Write ``text`` to a new log file and return its path; None when no log could be written anywhere."""
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in _folders():
        try:
            return _write_in(folder, name, text)
        except (OSError, ValueError):
            continue
    try:
        return _write_in(Path(tempfile.mkdtemp(prefix="workbench-error-")), name, text)
    except (OSError, ValueError):
        return None
