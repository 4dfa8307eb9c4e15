"""The warm kernel of a report worker: started once per worker process and reused by every notebook
it runs, a namespace reset at the head of each, and a client that connects to it without idling.

Starting a kernel and importing altair/polars costs ~3 s; sixty 单位画像 runs would spend most of their
time there.  papermill (nbclient) opens a new client on the kernel for every notebook and waits for it
to be ready; jupyter_client's own wait ends only after 0.2 s in which the kernel says nothing, on
every notebook — :func:`warm_client` waits for the kernel's answer instead.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

KERNEL_NAME = "python3"
#: IPython's history of the batch's cells stays in memory: on disk every cell is a SQLite commit (a
#: sync to disk) in the user's profile, a thousand of them per batch, and nobody reads them
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)

#: the warm kernel of this worker process (see :func:`_worker_kernel`)
_KERNEL: Any = None
#: the first cell of every notebook run on a warm kernel: forget the previous notebook's variables (its
#: imports stay loaded) and open a new history session, so IPython's history never sees a line number
#: twice.  A cell of the notebook itself rather than a separate request, which would cost a client round
#: trip (~0.2 s) per report; ``runner._tidy`` takes it out of the written notebook and numbers the
#: cells from 1.
_RESET_TAG = "workbench-reset"
_RESET_CELL = "# 批量运行：清空上一份报告留下的变量\nget_ipython().reset(new_session=True)"


@functools.cache
def warm_client() -> type:
    """The class :class:`WarmClient` (made on first use: the command that plans the reports need not
    import jupyter_client)."""
    from jupyter_client.blocking.client import BlockingKernelClient

    class WarmClient(BlockingKernelClient):
        """A kernel client whose :meth:`wait_for_ready` returns as soon as the kernel has answered a
        ``kernel_info`` request on the shell channel *and* the IOPub channel has delivered that request's
        ``idle`` status (so IOPub is connected and holds nothing more of it), instead of draining IOPub
        until 0.2 s of silence.  Messages of other requests that may still arrive are not the next
        notebook's: nbclient keeps only the outputs of the cells it sends."""

        def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                if self._answered(msg_id):
                    return
                if not self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        def _answered(self, msg_id: str) -> bool:
            """The reply to ``msg_id`` on shell within 1 s, then its idle status on IOPub within 0.2 s
            (a SUB socket just connected may miss the first messages: then False, and ask again)."""
            from queue import Empty

            try:
                while True:
                    reply = self.get_shell_msg(timeout=1)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
                self._handle_kernel_info_reply(reply)
                while True:
                    msg = self.get_iopub_msg(timeout=0.2)
                    if (
                        msg["parent_header"].get("msg_id") == msg_id
                        and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"
                    ):
                        return True
            except Empty:
                return False

    return WarmClient


def _worker_kernel(cwd: Path, start_timeout: int) -> Any:
    """One kernel per worker process, started once and reused by every notebook the worker runs.

    Each notebook starts with :data:`_RESET_CELL` (a namespace reset) so no variable leaks from one
    notebook into the next; a kernel that died (or a cell that killed it) is replaced before the next
    run.  Its clients are :func:`warm_client`'s.
    """
    global _KERNEL
    from jupyter_client.manager import KernelManager

    if _KERNEL is not None and _KERNEL.is_alive():
        return _KERNEL
    if _KERNEL is not None:
        _KERNEL.cleanup_resources()
    km = KernelManager(kernel_name=KERNEL_NAME, client_factory=warm_client())
    km.start_kernel(cwd=str(cwd), extra_arguments=list(KERNEL_ARGUMENTS))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=start_timeout)
    except RuntimeError:
        km.shutdown_kernel(now=True)
        raise
    finally:
        kc.stop_channels()
    _KERNEL = km
    import atexit

    atexit.register(km.shutdown_kernel, now=True)
    return km
