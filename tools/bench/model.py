"""The model the bench runs: real weights when they are here, random ones otherwise.

Random weights are built with the real Kokoro-82M architecture (or the tiny
test model for --quick), so compute per sentence matches the real model; the
duration weights are tuned to about three frames per phoneme so the audio has
realistic lengths. Real weights are used as they are found, never downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .texts import VOICE

_LOGGER = logging.getLogger(__name__)

REPO_ID = "hexgrad/Kokoro-82M"
DEFAULT_DATA_DIR = Path("~/.local/share/wyoming-kokoro").expanduser()
DEFAULT_CACHE_DIR = Path("~/.cache/wyoming-kokoro-bench").expanduser()
_ROOT = Path(__file__).resolve().parents[2]
_BUILD_INPUTS = (_ROOT / "tools" / "random_model.py", _ROOT / "tests" / "data" / "kokoro-82m-config.json")


@dataclass(frozen=True)
class ModelChoice:
    """A folder in --model-dir layout and what it holds."""

    dir: Path
    kind: str
    """real, random-full or random-tiny."""
    description: str
    temporary: bool
    """True when the bench built it and removes it afterwards."""


def _has_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in
               ("config.json", "kokoro-v1_0.pth", f"voices/{VOICE}.pt"))


def cached_real_weights(data_dir: Path) -> Path | None:
    """The HF cache snapshot the server would use, if it holds everything needed."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    cache = data_dir / "hub"
    found = try_to_load_from_cache(REPO_ID, "config.json", cache_dir=str(cache))
    if not isinstance(found, str):
        return None
    # A snapshot folder has the --model-dir layout (its files link into blobs).
    snapshot = Path(found).parent
    return snapshot if _has_files(snapshot) else None


def choose(model_dir: Path | None, data_dir: Path, quick: bool, seed: int,
           cache_dir: Path | None) -> ModelChoice:
    """--model-dir wins; then real weights in the HF cache (not with --quick); else random."""
    if model_dir is not None:
        if not _has_files(model_dir):
            raise SystemExit(
                f"--model-dir {model_dir} needs config.json, kokoro-v1_0.pth and voices/{VOICE}.pt"
            )
        return ModelChoice(model_dir, "real", f"weights from {model_dir}", temporary=False)
    if not quick:
        cached = cached_real_weights(data_dir)
        if cached is not None:
            return ModelChoice(cached, "real", f"real {REPO_ID} weights from the HF cache "
                               f"({cached})", temporary=False)
    return build_random("tiny" if quick else "full", seed, cache_dir)


def _cache_key(size: str, seed: int) -> str:
    """Changes whenever the builder or the config it reads changes."""
    digest = hashlib.sha256()
    for path in _BUILD_INPUTS:
        digest.update(path.read_bytes())
    return f"{size}-seed{seed}-{digest.hexdigest()[:12]}"


def build_random(size: str, seed: int, cache_dir: Path | None) -> ModelChoice:
    """Random weights, from the cache if built before (building needs kokoro imported
    first, ~10 s, before any server can start), else built now."""
    if size == "full":
        text = ("random weights, full Kokoro-82M architecture (tests/data/kokoro-82m-config.json), "
                "duration weights tuned to ~3 frames per phoneme")
    else:
        text = "random weights, tiny test architecture (tools/random_model.py --size tiny)"
    if cache_dir is None:
        folder = Path(tempfile.mkdtemp(prefix=f"kokoro-bench-{size}-"))
        _build(folder, size, seed)
        return ModelChoice(folder, f"random-{size}", text, temporary=True)
    final = cache_dir / _cache_key(size, seed)
    if not _has_files(final):
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Build beside it and rename: a concurrent run never sees half a model.
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=cache_dir))
        _build(staging, size, seed)
        try:
            os.rename(staging, final)
        except OSError:  # another run got there first
            shutil.rmtree(staging, ignore_errors=True)
    else:
        _LOGGER.info("Using the cached %s random-weight model in %s", size, final)
    return ModelChoice(final, f"random-{size}", text, temporary=False)


def _build(folder: Path, size: str, seed: int) -> None:
    from tools.random_model import build

    _LOGGER.info("Building a %s random-weight model in %s", size, folder)
    build(folder, size, (VOICE,), seed)
