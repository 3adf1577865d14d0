"""Jupyter kernels on IPC sockets for the checks that execute notebooks.

A kernel on TCP is handed five free ports by its manager, which finds them by binding to port
0 and closing the socket; another process (a second pytest worker's kernel, a test's local
HTTP server) can take one of them before the kernel binds it, and the kernel dies with
"Address already in use" (seen in CI: ``Kernel died before replying to kernel_info``). A
kernel on Unix-domain sockets in a directory of its own cannot collide with anything.

``IPCKernelManager``/``AsyncIPCKernelManager`` are drop-in managers; passing
``-p tools.kernels`` to pytest makes nbval start its kernels this way, and
``ipc_for_nbconvert()`` does it for nbconvert's ``ExecutePreprocessor`` (which otter-grader
runs: ``make grade`` grades two submissions at a time).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager

_DIRS: list[str] = []


def _socket_prefix() -> str:
    # short (a Unix socket path is limited to ~107 bytes) and unique to this kernel
    d = tempfile.mkdtemp(prefix="svdk-")
    _DIRS.append(d)
    return str(Path(d) / "k")


@atexit.register
def _cleanup() -> None:
    for d in _DIRS:
        shutil.rmtree(d, ignore_errors=True)


class _IPC:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", _socket_prefix())
        super().__init__(*args, **kwargs)


class IPCKernelManager(_IPC, KernelManager):
    """A ``KernelManager`` whose kernel listens on Unix-domain sockets."""


class AsyncIPCKernelManager(_IPC, AsyncKernelManager):
    """An ``AsyncKernelManager`` (what nbclient uses) on Unix-domain sockets."""


def ipc_for_nbconvert() -> None:
    """Make ``nbconvert.preprocessors.ExecutePreprocessor`` start its kernels on IPC."""
    import nbconvert.preprocessors as pp
    from traitlets import default

    if getattr(pp.ExecutePreprocessor, "_svdlab_ipc", False):
        return

    class IPCExecutePreprocessor(pp.ExecutePreprocessor):
        _svdlab_ipc = True

        @default("kernel_manager_class")
        def _ipc_manager(self):
            return AsyncIPCKernelManager

    pp.ExecutePreprocessor = IPCExecutePreprocessor


def pytest_configure(config):  # a pytest plugin too: nbval's kernels go on IPC
    try:
        import nbval.kernel
    except ImportError:
        return
    nbval.kernel.KernelManager = IPCKernelManager
