"""Who touches a store folder, and when.

- **One writer at a time.**  A writer holds the lock file ``.<store>.lock`` beside the store for the whole
  read-merge-write of an ingest (an advisory ``flock`` on it, so the kernel frees it when the writer dies),
  and writes its process id and start time into it.  A lock file left by a dead process — or by a process
  id the system has since given to another program (its start time differs) — is stale and taken over.
- **Temporaries carry their owner's id** (``.<store>.tmp-<pid>-<start>-…``): a sweep removes only those of
  dead owners, never a live writer's.
- **Readers read a snapshot.**  A writer never changes a file of the store in place: it writes a new folder
  and swaps it in.  A reader links (hard links: no copy) the files of the last complete store into
  ``.<store>.read-<pid>-<start>-…`` and reads from there, so a swap during an assessment changes nothing it
  reads; snapshots go when their process ends (or, if it was killed, at the next sweep).

Process start times come from ``/proc/<pid>/stat`` (Linux); elsewhere only the process id is checked.
What the user is told when a store is busy, the disk is full or a folder cannot be written is here too
(:class:`StoreError`, in Chinese).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

#: seconds between two looks at a busy lock, and how long a reader waits for a swap to complete
POLL_SECONDS = 0.2
SWAP_WAIT_SECONDS = 10.0


def _proc_stat(pid: int) -> list[bytes] | None:
    """Fields 3… of ``/proc/<pid>/stat`` (state, parent, …, start time), or None when it cannot be read."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    fields = data[data.rindex(b")") + 2 :].split()
    return fields if len(fields) > 19 else None


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot, or None when it cannot be read."""
    fields = _proc_stat(pid)
    return fields[19].decode() if fields else None  # field 22 of the whole line


@dataclass(frozen=True)
class Owner:
    """A process that holds a lock or owns a temporary folder."""

    pid: int
    start: str = ""  #: start time (see :func:`_start_time`); "" where it could not be read
    host: str = ""

    @classmethod
    def me(cls) -> Owner:
        pid = os.getpid()
        if _ME.get(pid) is None:  # keyed by pid: a forked child is another owner
            _ME[pid] = cls(pid, _start_time(pid) or "", socket.gethostname())
        return _ME[pid]

    def alive(self) -> bool:
        """True unless this process is known to be gone (a process of another machine counts as alive:
        it cannot be checked from here)."""
        if self.host and self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, under another user
        except (OverflowError, ValueError):
            return False
        fields = _proc_stat(self.pid)
        if fields is None:
            return True  # no /proc: the process id exists, that is all that can be told
        if fields[0] in (b"Z", b"X"):  # ended, not yet reaped by its parent
            return False
        return not (self.start and fields[19].decode() != self.start)

    @property
    def tag(self) -> str:
        """The owner as part of a folder name: ``<pid>-<start>``."""
        return f"{self.pid}-{self.start or 0}"

    @classmethod
    def from_tag(cls, text: str) -> Owner | None:
        """The owner named at the start of ``text`` (``<pid>-<start>-…``), or None for another name."""
        parts = text.split("-")
        if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            return None
        return cls(int(parts[0]), "" if parts[1] == "0" else parts[1], "")


_ME: dict[int, Owner] = {}


# ---------------------------------------------------------------------------------------------
# The writers' lock
# ---------------------------------------------------------------------------------------------
class LockHeld(Exception):
    """The store is being written by ``owner`` (None: the lock file cannot be read)."""

    def __init__(self, lock: Path, owner: Owner | None) -> None:
        super().__init__(str(lock))
        self.lock = lock
        self.owner = owner


def lock_path(store: Path) -> Path:
    """The lock file of the store folder ``store``: ``.<name>.lock`` beside it."""
    return store.parent / f".{store.name}.lock"


def _read_owner(fd: int) -> Owner | None:
    try:
        raw = os.pread(fd, 4096, 0)
        info = json.loads(raw.decode("utf-8")) if raw.strip() else None
        return Owner(int(info["pid"]), str(info.get("start", "")), str(info.get("host", ""))) if info else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _try_lock(lock: Path, me: Owner) -> int:
    """Take the lock once: its file descriptor, or :class:`LockHeld`."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockHeld(lock, _read_owner(fd)) from None
            if not _same_file(fd, lock):  # released (and removed) by its holder meanwhile: take the new one
                os.close(fd)
                continue
            holder = _read_owner(fd)
            if holder is not None and holder != me and holder.alive():  # held without flock: another machine
                raise LockHeld(lock, holder)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(me)).encode("utf-8"), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise


@contextlib.contextmanager
def writer_lock(store: Path, wait: bool = False, on_wait: Callable[[LockHeld], None] | None = None) -> Iterator[Path]:
    """Hold the writers' lock of ``store`` for the block.

    Raises :class:`LockHeld` when another live process holds it, unless ``wait``: then ``on_wait`` is told
    once and the lock is taken as soon as it is free.  OSError when the lock file cannot be made.
    """
    lock = lock_path(store)
    me = Owner.me()
    told = False
    while True:
        try:
            fd = _try_lock(lock, me)
            break
        except LockHeld as busy:
            if not wait:
                raise
            if on_wait is not None and not told:
                on_wait(busy)
                told = True
            time.sleep(POLL_SECONDS)
    try:
        yield lock
    finally:
        if _same_file(fd, lock):
            with contextlib.suppress(OSError):
                os.unlink(lock)
        os.close(fd)


def writer_active(store: Path) -> bool:
    """True when a live process holds the writers' lock of ``store``."""
    lock = lock_path(store)
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        owner = _read_owner(fd)
        return owner is not None and owner != Owner.me() and owner.alive()
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# What the user is told
# ---------------------------------------------------------------------------------------------
class StoreError(Exception):
    """A store cannot be opened or written; the message is in Chinese for the user."""


#: errno values of a full disk (or a file-size limit), a read-only disk, and a missing permission
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
READ_ONLY = frozenset({errno.EROFS})
NO_PERMISSION = frozenset({errno.EACCES, errno.EPERM})
_OS_ERROR = re.compile(r"(?:os error|\[errno) (\d+)", re.IGNORECASE)


def error_number(exc: BaseException) -> int | None:
    """The errno of a failed system call behind ``exc``: its own, or the one polars and pyarrow put in
    their messages (``… (os error 28)``)."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    m = _OS_ERROR.search(str(exc))
    return int(m.group(1)) if m else None


def os_error_message(exc: BaseException, where: Path | str | None = None) -> str | None:
    """The Chinese message for a failure a user can fix — a full disk, a read-only disk, a missing
    permission — naming ``where`` (else the file the error names); None for any other failure."""
    code = error_number(exc)
    place = where or getattr(exc, "filename", None) or ""
    at = f" {place}" if place else ""
    if code in NO_SPACE:
        return f"磁盘空间不足，无法写入{at}；请清理磁盘后重试"
    if code in READ_ONLY:
        return f"磁盘为只读，无法写入{at}；请换一个可写的位置"
    if code in NO_PERMISSION:
        return f"没有权限访问{at}；请换一个位置，或请管理员开放权限"
    return None


def store_write_error(exc: BaseException, path: Path) -> StoreError:
    """StoreError for a failed write of the store at ``path`` (the previous store stays as it was)."""
    why = os_error_message(exc, path) or f"无法写入数据仓库 {path}：{getattr(exc, 'strerror', None) or exc}"
    return StoreError(why + "（原有数据仓库保持不变）")


@contextlib.contextmanager
def store_lock(
    path: str | os.PathLike[str], wait: bool = False, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Be the one writer of the store at ``path`` for the block (see :mod:`analysis.store_guard`).

    Raises StoreError (in Chinese) when another ingest is writing it, unless ``wait``: then ``on_wait``
    gets the Chinese message once and the block starts when the other ingest is done.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with writer_lock(p, wait, None if on_wait is None else lambda b: on_wait(_busy(p, b, True))):
            yield
    except LockHeld as busy:
        raise StoreError(_busy(p, busy, False)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(f"数据仓库的锁文件是一个符号链接，出于安全不予使用：{lock_path(p)}") from exc
        raise store_write_error(exc, p) from exc


def _busy(path: Path, busy: LockHeld, waiting: bool) -> str:
    who = "另一个导入进程"
    if busy.owner is not None:
        host = f"，计算机 {busy.owner.host}" if busy.owner.host not in ("", socket.gethostname()) else ""
        who += f"（进程号 {busy.owner.pid}{host}）"
    if waiting:
        return f"数据仓库 {path} 正由{who}写入，等待其完成……"
    return (
        f"数据仓库 {path} 正由{who}写入，本次未导入。请等它完成后再导入，或加 --wait 等待其完成；"
        f"如确认该进程已不在运行，可删除锁文件 {busy.lock}"
    )


# ---------------------------------------------------------------------------------------------
# Owner-tagged folders beside the store: temporaries of writers, snapshots of readers
# ---------------------------------------------------------------------------------------------
def owned_folder(store: Path, kind: str) -> Path:
    """A new empty folder ``.<store>.<kind>-<pid>-<start>-…`` beside the store, owned by this process."""
    prefix = f".{store.name}.{kind}-{Owner.me().tag}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=store.parent))


def sweep(store: Path, kind: str) -> None:
    """Remove the ``kind`` folders beside ``store`` whose owner is gone (and those of an older naming,
    which carry no owner: they date from before owners were recorded)."""
    prefix = f".{store.name}.{kind}-"
    me = Owner.me()
    for folder in store.parent.glob(prefix + "*"):
        owner = Owner.from_tag(folder.name[len(prefix) :])
        if owner is not None and (owner.pid == me.pid or owner.alive()):
            continue
        shutil.rmtree(folder, ignore_errors=True)


_SNAPSHOTS: dict[tuple, Path] = {}


def _generation(store: Path) -> tuple:
    """What identifies one complete store: the folder and its metadata file (a swap changes both)."""
    d, m = os.stat(store), os.stat(store / "store.json")
    return (str(store.resolve()), d.st_dev, d.st_ino, m.st_ino, m.st_mtime_ns)


def _link_tree(src: Path, dst: Path) -> None:
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_dir(follow_symlinks=False):
            target.mkdir()
            _link_tree(Path(entry.path), target)
        elif entry.is_file(follow_symlinks=False):
            os.link(entry.path, target)


def snapshot_folder(store: Path) -> Path | None:
    """A folder holding the files of the store at ``store`` as they are now (hard links), or None when
    none can be made (a read-only folder, a file system without hard links): then read in place.

    One snapshot per store generation and process; it is removed when the process ends."""
    for _ in range(5):
        try:
            before = _generation(store)
        except OSError:
            return None
        known = _SNAPSHOTS.get(before)
        if known is not None and known.is_dir():
            return known
        try:
            snap = owned_folder(store, "read")
        except OSError:
            return None
        try:
            _link_tree(store, snap)
            same = _generation(store) == before
        except OSError:
            same = False
        if same:
            _SNAPSHOTS[before] = snap
            return snap
        shutil.rmtree(snap, ignore_errors=True)
        if not store.is_dir():
            return None
    return None


def wait_for_swap(store: Path, old: Path) -> bool:
    """When ``store`` is missing but its previous version ``old`` is there, a live writer may be between
    the two renames of its swap: wait for the new folder.  False when no writer is at work (the swap was
    cut short: the caller puts the old folder back)."""
    deadline = time.monotonic() + SWAP_WAIT_SECONDS
    while writer_active(store) and time.monotonic() < deadline:
        if store.exists():
            return True
        time.sleep(POLL_SECONDS / 10)
    return store.exists()


@atexit.register
def _remove_snapshots() -> None:
    for snap in _SNAPSHOTS.values():
        shutil.rmtree(snap, ignore_errors=True)
    _SNAPSHOTS.clear()
