"""Give freed memory back to the system when the server goes idle.

glibc keeps memory that torch and the encoders freed in per-thread arenas,
so RSS drifts up and down by tens of MB between requests. Trimming once the
queue runs empty keeps a long-running server's footprint flat, at a cost of
a millisecond or two when nothing is waiting anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


def _load_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc (musl, macOS): nothing to trim
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _load_trim()


def trim_memory() -> None:
    """Return free heap memory to the system, where the C library allows it."""
    if _TRIM is not None:
        _TRIM(0)
