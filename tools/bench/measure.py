"""Statistics over samples, and what the machine is.

The machine is shared, so single numbers mean little: every figure is kept as
its samples, summarised by median and tail percentiles, and compared to the
direct baseline measured in the same rounds.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stats:
    """Summary of one metric's samples."""

    n: int
    median: float
    p95: float
    p99: float
    mean: float
    min: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats | None:
        """None when there are no samples (a phase that failed or was skipped)."""
        values = np.asarray([s for s in samples if s is not None], dtype=float)
        if values.size == 0:
            return None
        # Linear interpolation: with few samples p95 lies between the two largest.
        p95, p99 = np.percentile(values, [95, 99])
        return cls(
            n=int(values.size),
            median=float(np.median(values)),
            p95=float(p95),
            p99=float(p99),
            mean=float(values.mean()),
            min=float(values.min()),
            max=float(values.max()),
        )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def median_of(stats: Stats | None) -> float | None:
    return stats.median if stats is not None else None


def med(values: Sequence[float]) -> float | None:
    stats = Stats.of(values)
    return stats.median if stats else None


def p95(values: Sequence[float]) -> float | None:
    stats = Stats.of(values)
    return stats.p95 if stats else None


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (Linux), else platform's guess."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str) -> dict[str, str]:
    """What the numbers were measured on; written at the top of the report."""
    import psutil
    import torch

    try:
        import kokoro

        kokoro_version = getattr(kokoro, "__version__", "?")
    except ImportError:
        kokoro_version = "not installed"
    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if cuda else "none"
    physical = psutil.cpu_count(logical=False) or os.cpu_count() or 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "CPU": cpu_model(),
        "Cores": f"{physical} physical, {os.cpu_count()} logical",
        "Memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "Python": platform.python_version(),
        "torch": f"{torch.__version__} ({torch.get_num_threads()} intra-op threads by default)",
        "kokoro": kokoro_version,
        "Device": device,
        "CUDA GPU": gpu,
        "OS": f"{platform.system()} {platform.release()}",
        "Load average at start (1, 5, 15 min)": load,
    }


def load_average() -> str:
    """The 1-minute load average: shows how busy the shared machine was."""
    return f"{os.getloadavg()[0]:.2f}"
