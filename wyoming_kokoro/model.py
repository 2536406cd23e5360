"""Find or download the weights and voices, and load them strictly.

Failing fast matters: offline, huggingface_hub retries for ~24 s before it
gives up, and kokoro silently keeps random weights when a checkpoint does not
fit. Both are turned into one clear ModelError here.
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

from .config import ModelSettings
from .errors import ModelError

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
    """Find the files, downloading the config, weights and given voices if needed."""
    if settings.dir is not None:
        return _locate_dir(settings.dir, settings)
    cache_dir = settings.data_dir / "hub"
    wanted = [CONFIG_FILE, WEIGHTS_FILE, *(f"voices/{name}.pt" for name in voices)]
    missing = [name for name in wanted if _cached(settings.repo_id, name, cache_dir) is None]
    online = hub_reachable()
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


def _locate_dir(model_dir: Path, settings: ModelSettings) -> ModelFiles:
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if not (model_dir / name).is_file()]
    if missing:
        raise ModelError(
            f"{', '.join(missing)} not found in --model-dir {model_dir}. The folder needs "
            "config.json, kokoro-v1_0.pth and voices/NAME.pt from hexgrad/Kokoro-82M."
        )
    return ModelFiles(
        config=model_dir / CONFIG_FILE, weights=model_dir / WEIGHTS_FILE,
        voices_dir=model_dir / "voices", repo_id=settings.repo_id,
        cache_dir=settings.data_dir / "hub", online=False,
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
