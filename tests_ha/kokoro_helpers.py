"""Helpers shared by the Home Assistant tests: flows, TTS requests, decoding."""

from __future__ import annotations

import asyncio
import io
import subprocess
import wave
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from custom_components.wyoming_kokoro.const import DOMAIN
from custom_components.wyoming_kokoro.tts import KokoroTtsEntity
from tools.audio_decode import decode  # noqa: F401  (the one PyAV decoder; tests import it from here)

SAMPLES_PER_PHONEME = 600
MODEL_RATE = 24000
# Frames per phoneme at speed 1 in the paced model (see paced_model).
PACED_FRAMES = 4

# Run by the server's Python: rewrite a tiny model's duration head so that
# every phoneme lasts round(PACED_FRAMES / speed) frames. The tiny model's
# head (max_dur 1) gives one frame whatever the speed, so its audio cannot
# show a speed; this one halves its length at speed 2.
_PACE_MODEL = r"""
import json, shutil, sys
from pathlib import Path
import torch
source, target, frames = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
shutil.copytree(source, target)
config = json.loads((target / "config.json").read_text(encoding="utf-8"))
config["max_dur"] = frames
(target / "config.json").write_text(json.dumps(config), encoding="utf-8")
checkpoint = torch.load(target / "kokoro-v1_0.pth", weights_only=True)
predictor = checkpoint["predictor"]
weight = predictor["duration_proj.linear_layer.weight"]
# Zero weights and a large bias: each of the `frames` outputs is sigmoid(20),
# 1 to within 1e-8, whatever the text and voice.
predictor["duration_proj.linear_layer.weight"] = torch.zeros(frames, weight.shape[1])
predictor["duration_proj.linear_layer.bias"] = torch.full((frames,), 20.0)
torch.save(checkpoint, target / "kokoro-v1_0.pth")
"""


def paced_model(server_python: Path, tiny_model: Path, target: Path) -> Path:
    """A copy of the tiny model whose phonemes last PACED_FRAMES frames at speed 1."""
    result = subprocess.run(
        [str(server_python), "-c", _PACE_MODEL, str(tiny_model), str(target), str(PACED_FRAMES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not build the paced model:\n{result.stderr[-4000:]}")
    return target


@dataclass
class Listener:
    """A local TCP port that counts the connections made to it."""

    port: int
    connections: int = 0


@asynccontextmanager
async def counting_listener() -> AsyncIterator[Listener]:
    """Listen on 127.0.0.1 and count connections (each is closed at once).

    Point a client here to see whether it opened a connection at all.
    """
    listener = Listener(port=0)

    def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        listener.connections += 1
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        await server.wait_closed()


async def add_entry_by_user_step(hass: HomeAssistant, host: str, port: int) -> ConfigEntry:
    """Run the real user step to the end and wait for the entry to load."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM, result
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_PORT: port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    return result["result"]


def zeroconf_info(name: str, host: str, port: int | None) -> ZeroconfServiceInfo:
    """What Home Assistant's zeroconf component hands a flow for a Wyoming service."""
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        port=port,
        hostname=f"{name}.local.",
        type="_wyoming._tcp.local.",
        name=f"{name}._wyoming._tcp.local.",
        properties={},
    )


async def start_zeroconf_flow(
    hass: HomeAssistant, name: str, host: str, port: int | None
) -> dict[str, Any]:
    """Start a discovery flow as the zeroconf component would."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(name, host, port)
    )


def entity_id_of(hass: HomeAssistant, entry: ConfigEntry) -> str:
    """The entry's TTS entity id, from the entity registry."""
    entity_id = er.async_get(hass).async_get_entity_id("tts", DOMAIN, f"{entry.entry_id}-tts")
    assert entity_id is not None
    return entity_id


def entity_of(hass: HomeAssistant, entry: ConfigEntry) -> KokoroTtsEntity:
    """The live entity object Home Assistant's TTS component holds."""
    entity = get_engine_instance(hass, entity_id_of(hass, entry))
    assert isinstance(entity, KokoroTtsEntity)
    return entity


async def speak(
    hass: HomeAssistant,
    entry: ConfigEntry,
    message: str,
    options: dict[str, Any] | None = None,
    language: str | None = None,
) -> tuple[str, bytes]:
    """Ask Home Assistant's TTS component for audio, as a media player would."""
    media_source_id = tts.generate_media_source_id(
        hass,
        message,
        engine=entity_id_of(hass, entry),
        language=language,
        options=options or {},
        cache=False,
    )
    return await tts.async_get_media_source_audio(hass, media_source_id)


def wav_frames(data: bytes) -> tuple[int, int]:
    """(rate, frames) of a WAV file, read with the stdlib."""
    with wave.open(io.BytesIO(data)) as wav:
        # A streamed header has no real size: count what is there.
        frames = len(wav.readframes(1 << 30)) // (wav.getsampwidth() * wav.getnchannels())
        return wav.getframerate(), frames


async def deltas(parts: Iterable[str]) -> AsyncGenerator[str]:
    """Text deltas as a language model would stream them."""
    for part in parts:
        yield part
