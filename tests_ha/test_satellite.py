"""Satellite formats through Home Assistant's TTS component, with its real ffmpeg.

Voice PE and ESPHome satellites ask for wav, 16 kHz, mono, 16-bit. Home
Assistant (2025.4 and 2026.10 alike) runs ffmpeg whenever a request names a
sample rate, channel count or sample width, even when the engine honours
them; the integration passes format and rate to the server, so the audio
that reaches ffmpeg is already what the satellite asked for and ffmpeg only
rewrites the container. A request naming only a format the server speaks
skips ffmpeg altogether. A spy around HA's conversion records which path
each request took and what went into ffmpeg.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import pytest
from conftest import KokoroServer
from homeassistant.components import tts
from homeassistant.core import HomeAssistant
from kokoro_helpers import MODEL_RATE, decode, entity_of, speak
from pytest_homeassistant_custom_component.common import MockConfigEntry

TEXT = "Hello there. How are you today?"
# What an ESPHome satellite with a speaker puts in its TTS options.
SATELLITE = {
    tts.ATTR_PREFERRED_FORMAT: "wav",
    tts.ATTR_PREFERRED_SAMPLE_RATE: 16000,
    tts.ATTR_PREFERRED_SAMPLE_CHANNELS: 1,
    tts.ATTR_PREFERRED_SAMPLE_BYTES: 2,
}


@dataclass
class Conversion:
    """One run of HA's ffmpeg conversion: its arguments and its input."""

    from_extension: str | None
    options: dict[str, Any]
    audio_in: bytearray = field(default_factory=bytearray)

    def wav_in(self) -> tuple[int, int, int]:
        """(rate, channels, bits) from the WAV header that went into ffmpeg."""
        assert self.audio_in[:4] == b"RIFF" and self.audio_in[8:16] == b"WAVEfmt "
        channels, rate = struct.unpack("<HI", self.audio_in[22:28])
        (bits,) = struct.unpack("<H", self.audio_in[34:36])
        return rate, channels, bits


@pytest.fixture
def conversions() -> Generator[list[Conversion]]:
    """Every call of HA's _async_convert_audio, which still does the work."""
    real = tts._async_convert_audio  # noqa: SLF001
    calls: list[Conversion] = []

    def spy(
        hass: HomeAssistant, from_extension: str | None, audio: Any, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes]:
        conversion = Conversion(from_extension, kwargs)
        calls.append(conversion)

        async def recorded() -> AsyncGenerator[bytes]:
            async for chunk in audio:
                conversion.audio_in.extend(chunk)
                yield chunk

        return real(hass, from_extension, recorded(), *args, **kwargs)

    with patch.object(tts, "_async_convert_audio", spy):
        yield calls


async def one_shot_samples(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Samples of TEXT at the model's own rate, asked of the entity directly."""
    _extension, data = await entity_of(hass, entry).async_get_tts_audio(
        TEXT, "en-US", {"preferred_format": "wav", "voice": "af_heart"}
    )
    decoded = decode(data)
    assert decoded.rate == MODEL_RATE
    return decoded.samples


async def test_satellite_wav_16k_mono(
    hass: HomeAssistant,
    kokoro_entry: MockConfigEntry,
    kokoro_server: KokoroServer,
    ffmpeg_binary: str,
    conversions: list[Conversion],
) -> None:
    """wav/16 kHz/mono: correct audio; the server resampled, ffmpeg only re-wrapped."""
    expected = await one_shot_samples(hass, kokoro_entry) * 16000 // MODEL_RATE
    extension, data = await speak(hass, kokoro_entry, TEXT, {**SATELLITE, "voice": "af_heart"})
    assert extension == "wav"
    decoded = decode(data)
    assert (decoded.codec, decoded.rate, decoded.channels) == ("pcm_s16le", 16000, 1)
    assert abs(decoded.samples - expected) <= 64, (decoded.samples, expected)

    # HA took its ffmpeg path once, asked for exactly the satellite's format...
    assert len(conversions) == 1, conversions
    (conversion,) = conversions
    assert conversion.from_extension == "wav"
    assert conversion.options["to_extension"] == "wav"
    assert conversion.options["to_sample_rate"] == 16000
    # ...and what it fed ffmpeg was already 16 kHz mono 16-bit from the
    # server, so ffmpeg resampled nothing.
    assert conversion.wav_in() == (16000, 1, 16)
    assert "wav at 16000 Hz" in kokoro_server.log_text()


async def test_server_format_skips_ffmpeg(
    hass: HomeAssistant,
    kokoro_entry: MockConfigEntry,
    ffmpeg_binary: str,
    conversions: list[Conversion],
) -> None:
    """A format the server makes, with no rate: HA passes the file through."""
    expected = await one_shot_samples(hass, kokoro_entry)
    extension, data = await speak(
        hass, kokoro_entry, TEXT, {tts.ATTR_PREFERRED_FORMAT: "flac", "voice": "af_heart"}
    )
    assert extension == "flac"
    decoded = decode(data)
    assert (decoded.codec, decoded.rate, decoded.channels) == ("flac", MODEL_RATE, 1)
    assert decoded.samples == expected
    assert conversions == []
