"""A client can never make the server open a file of its choosing, and the allowlist holds.

Voice names come only from the catalogue (or blends of catalogue names); the
engine loads nothing but ``voices_dir / f"{name}.pt"`` for those names.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.fakes import (
    RawConnection,
    assert_still_serving,
    event_bytes,
    fast_synth,
    send_and_collect,
)
from tests.wyoming_client import synthesize
from wyoming_kokoro.model.engine import Engine
from wyoming_kokoro.model.files import ModelFiles
from wyoming_kokoro.model.voices import CATALOGUE, VoiceChoice

HOSTILE_VOICES = {
    "dotdot": "../../etc/passwd",
    "absolute": "/etc/passwd",
    "url": "http://x/y.pt",
    "name-then-dotdot": "af_heart/../../x",
    "windows-drive": "C:\\x.pt",
    "with-extension": "af_heart.pt",
    "home": "~/.ssh/id_rsa",
    "url-encoded": "%2e%2e%2fetc%2fpasswd",
    "nul-byte": "af_heart\x00.pt",
    "subfolder": "voices/af_heart",
    "upper-case": "AF_HEART",
    "10k-chars": "a" * 10_000,
    "blend-with-path": "af_heart:0.5+../../etc/passwd:0.5",
    "blend-with-absolute": "ef_dora+/etc/passwd",
    "blend-with-drive": "ef_dora:1+C:\\x.pt:1",
    "blend-with-extension": "ef_dora:0.5+em_alex.pt:0.5",
    "blend-of-many": "+".join(["ef_dora"] * 9),
}


class _Spy:
    """Records what reached the file layer while hostile requests run."""

    def __init__(self) -> None:
        self.voice_names: list[str] = []
        self.loaded: list[Path] = []


@pytest.fixture
def file_spy(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    spy = _Spy()
    real_voice_path = ModelFiles.voice_path
    real_load = torch.load

    def voice_path(self: ModelFiles, name: str) -> Path | None:
        spy.voice_names.append(name)
        return real_voice_path(self, name)

    def load(path: Any, *args: Any, **kwargs: Any) -> Any:
        spy.loaded.append(Path(path))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(ModelFiles, "voice_path", voice_path)
    monkeypatch.setattr(torch, "load", load)
    return spy


@pytest.mark.parametrize("name", HOSTILE_VOICES.values(), ids=HOSTILE_VOICES.keys())
async def test_hostile_voice_name_is_rejected(start_server, model_dir, file_spy, name):
    # The real engine: a name that slipped through would reach torch.load.
    server = await start_server()
    events = await send_and_collect(
        server, event_bytes("synthesize", {"text": "Hola.", "voice": {"name": name}}), timeout=15)
    assert [e.type for e in events] == ["error"], [e.type for e in events]
    assert events[0].data["code"] in ("unknown_voice", "bad_blend"), events[0].data
    # The error does not tell a stranger where the model lives.
    assert str(model_dir) not in events[0].data["text"]
    assert all(n in CATALOGUE for n in file_spy.voice_names), file_spy.voice_names
    assert file_spy.loaded == []
    await assert_still_serving(server)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ef_dora+/etc/passwd"])
async def test_hostile_voice_in_a_stream_is_rejected(start_server, file_spy, name):
    server = await start_server()
    events = await send_and_collect(
        server, event_bytes("synthesize-start", {"voice": {"name": name}})
        + event_bytes("synthesize-chunk", {"text": "Hola."}) + event_bytes("synthesize-stop"),
        timeout=15)
    assert [e.type for e in events] == ["error"]
    assert events[0].data["code"] in ("unknown_voice", "bad_blend")
    assert file_spy.loaded == []
    await assert_still_serving(server)


async def test_hostile_language_falls_back_to_a_catalogue_voice(start_server, file_spy):
    synth = fast_synth()
    server = await start_server(synthesize=synth)
    conn = await RawConnection.open(server)
    await conn.send(event_bytes(
        "synthesize", {"text": "Hola.", "voice": {"language": "../../etc/passwd"}}))
    events = await conn.read_until("audio-stop", timeout=15)
    await conn.close()
    assert events[0].type == "audio-start" and events[-1].type == "audio-stop"
    assert file_spy.voice_names and all(n in CATALOGUE for n in file_spy.voice_names)
    await assert_still_serving(server)


async def test_engine_loads_only_catalogue_voice_files(loaded_model, model_dir, file_spy):
    # A fresh engine over the shared model: its voice caches start empty, so
    # every file it needs is loaded (and recorded) here.
    shared = loaded_model.engine
    engine = Engine(shared._model, shared._pipelines, loaded_model.files)
    blend = VoiceChoice("ef_dora:0.7+em_alex:0.3", (("ef_dora", 0.7), ("em_alex", 0.3)), None)
    audio = engine.synthesize("Hola.", blend, 1.0)
    assert audio and sum(len(a) for a in audio) > 0
    voices_dir = (model_dir / "voices").resolve()
    assert sorted(p.resolve() for p in file_spy.loaded) == [
        voices_dir / "ef_dora.pt", voices_dir / "em_alex.pt"]
    assert set(file_spy.voice_names) == {"ef_dora", "em_alex"}
    # Cached after the first use: no file is opened again.
    engine.synthesize("Adiós.", blend, 1.0)
    assert len(file_spy.loaded) == 2


# -- allowed networks ------------------------------------------------------


async def test_client_outside_allowed_networks_is_refused(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(),
                                server={"allowed_networks": ["10.0.0.0/8"]})
    events = await send_and_collect(server, event_bytes("describe"), timeout=5)
    assert events == []
    refused = [r.getMessage() for r in caplog.records if "allowed_networks" in r.getMessage()]
    assert refused and "127.0.0.1" in refused[0]
    assert server.app.running.server.connections == 0


@pytest.mark.parametrize("networks", [["127.0.0.0/8"], ["10.0.0.0/8", "127.0.0.1/32"]])
async def test_client_inside_allowed_networks_is_served(start_server, networks):
    server = await start_server(synthesize=fast_synth(), server={"allowed_networks": networks})
    await assert_still_serving(server)
    result = await synthesize(server, "Hola.", "ef_dora")
    assert result.error is None and result.types[-1] == "audio-stop"


async def test_describe_advertises_only_catalogue_voices(start_server):
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(event_bytes("describe"))
    info = await conn.read_event(10)
    await conn.close()
    assert info is not None
    voices = {voice["name"] for voice in info.data["tts"][0]["voices"]}
    assert voices <= set(CATALOGUE)
