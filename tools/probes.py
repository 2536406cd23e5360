"""Probes of this process, for runs that host the server in-process."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable


def open_fds() -> int:
    """File descriptors this process holds."""
    if os.path.isdir("/proc/self/fd"):
        return len(os.listdir("/proc/self/fd"))
    import psutil

    return int(psutil.Process().num_fds())


def rss_bytes() -> int:
    """Resident memory of this process."""
    import psutil

    return int(psutil.Process().memory_info().rss)


async def settle(predicate: Callable[[], bool], timeout: float = 10.0,
                 interval: float = 0.05) -> bool:
    """Wait until predicate() holds (background cleanup takes a few loop turns)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()
