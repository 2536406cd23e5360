"""Helpers shared by the Home Assistant tests: flows, TTS requests, decoding."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncGenerator, Iterable
from ipaddress import ip_address
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
