"""The text-to-speech entity: Home Assistant's options in, the server's audio out."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator
from typing import Any

import voluptuous as vol
from homeassistant.components.tts import (
    ATTR_PREFERRED_FORMAT,
    ATTR_PREFERRED_SAMPLE_RATE,
    ATTR_VOICE,
    TextToSpeechEntity,
    TtsAudioType,
    Voice,
)
from homeassistant.components.tts.entity import TTSAudioRequest, TTSAudioResponse
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from voluptuous.humanize import humanize_error

from . import KokoroConfigEntry
from .audio import wav_file, wav_header
from .const import (
    ATTR_SPEED,
    CONF_STREAMING,
    DEFAULT_FORMAT,
    DEFAULT_STREAMING,
    DOMAIN,
    EXTENSIONS,
    FORMATS,
    RATE_MAX,
    RATE_MIN,
    SPEED_MAX,
    SPEED_MIN,
    VOICE_NAME_MAX,
)
from .data import voices_for_language
from .errors import KokoroError, KokoroServerError
from .stream import AudioFormat, AudioStream

_LOGGER = logging.getLogger(__name__)


def _speed(value: Any) -> float:
    """A finite number from 0.5 to 2.0 (a bool is not a speed)."""
    if isinstance(value, bool):
        raise vol.Invalid("expected a number")
    speed = float(value)
    if not math.isfinite(speed) or not SPEED_MIN <= speed <= SPEED_MAX:
        raise vol.Invalid(f"must be from {SPEED_MIN} to {SPEED_MAX}")
    return speed


def _rate(value: Any) -> int:
    """A whole number of Hz from 8000 to 48000."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise vol.Invalid("expected a whole number of Hz")
    rate = int(value)
    if not RATE_MIN <= rate <= RATE_MAX:
        raise vol.Invalid(f"must be from {RATE_MIN} to {RATE_MAX} Hz")
    return rate


# Home Assistant checks only the names of options; the values are ours to check.
# Other keys are left alone: they are Home Assistant's business.
OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_VOICE): vol.Any(
            None, vol.All(str, vol.Strip, vol.Length(max=VOICE_NAME_MAX))
        ),
        vol.Optional(ATTR_SPEED): vol.Any(None, _speed),
        vol.Optional(ATTR_PREFERRED_FORMAT): vol.Any(
            None, vol.All(str, vol.Lower, vol.In(FORMATS))
        ),
        vol.Optional(ATTR_PREFERRED_SAMPLE_RATE): vol.Any(None, _rate),
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KokoroConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the one TTS entity of a server."""
    async_add_entities([KokoroTtsEntity(entry)])


class KokoroTtsEntity(TextToSpeechEntity):
    """Speech from a Kokoro server, streamed and encoded by the server."""

    # Named "<device> Speech"; Home Assistant 2025.4 refuses a TTS engine
    # whose name is None, so the entity cannot take the bare device name.
    _attr_has_entity_name = True
    _attr_translation_key = "speech"
    _attr_supported_options = [
        ATTR_VOICE,
        ATTR_SPEED,
        ATTR_PREFERRED_FORMAT,
        ATTR_PREFERRED_SAMPLE_RATE,
    ]

    def __init__(self, entry: KokoroConfigEntry) -> None:
        """Build the entity from what the server said at setup."""
        self._entry = entry
        self._data = entry.runtime_data
        info = self._data.info
        self._attr_unique_id = f"{entry.entry_id}-tts"
        self._attr_supported_languages = info.languages
        # The server's first voice is its own first language; with no
        # voices at all there is nothing sensible, so fall back to English.
        self._attr_default_language = (info.languages or ["en-US"])[0]
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Kokoro",
            model=info.description or info.program,
            sw_version=info.version,
            entry_type=DeviceEntryType.SERVICE,
        )

    @callback
    def async_get_supported_voices(self, language: str) -> list[Voice] | None:
        """Voices, presets and configured blends for one language."""
        return voices_for_language(self._data.info, self._data.blends, language) or None

    def _streaming_enabled(self) -> bool:
        return self._data.info.supports_streaming and self._entry.options.get(
            CONF_STREAMING, DEFAULT_STREAMING
        )

    def async_supports_streaming_input(self) -> bool:
        """Tell Home Assistant (2025.6 and later) whether to stream text to us.

        Home Assistant 2025.4 never calls this and always uses
        async_stream_tts_audio; later versions call async_get_tts_audio when
        it returns False.
        """
        return self._streaming_enabled()

    @staticmethod
    def _request(options: dict[str, Any]) -> tuple[str | None, str, dict[str, Any]]:
        """Validate options; return (voice, requested format, kokoro object)."""
        try:
            valid = OPTIONS_SCHEMA(dict(options))
        except vol.Invalid as err:
            raise HomeAssistantError(
                f"Invalid Kokoro TTS option: {humanize_error(options, err)}"
            ) from err
        fmt = valid.get(ATTR_PREFERRED_FORMAT) or DEFAULT_FORMAT
        kokoro: dict[str, Any] = {"format": fmt}
        if (rate := valid.get(ATTR_PREFERRED_SAMPLE_RATE)) is not None:
            kokoro["rate"] = rate
        if (speed := valid.get(ATTR_SPEED)) is not None:
            kokoro["speed"] = speed
        return valid.get(ATTR_VOICE) or None, fmt, kokoro

    def _error(self, err: KokoroError, voice: str | None) -> HomeAssistantError:
        """A message a person can act on, naming the server and the cause."""
        client = self._data.client
        where = f"Kokoro server {client.host}:{client.port}"
        if isinstance(err, KokoroServerError):
            if err.code == "unknown_voice":
                return HomeAssistantError(f"{where}: voice {voice!r} is not available: {err}")
            return HomeAssistantError(f"{where} refused the request ({err.code}): {err}")
        return HomeAssistantError(f"{where}: {err}")

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """One `synthesize`; the whole file at once."""
        voice, fmt, kokoro = self._request(options)
        try:
            audio_format, audio = await self._data.client.synthesize(
                message, voice=voice, language=language, kokoro=kokoro
            )
        except KokoroError as err:
            raise self._error(err, voice) from err
        if audio_format is None or audio_format.is_pcm:
            # Raw samples (asked for, or a server without the extension).
            rate, width, channels = (
                (audio_format.rate, audio_format.width, audio_format.channels)
                if audio_format
                else (24000, 2, 1)
            )
            return "wav", wav_file(rate, width, channels, audio)
        return _extension(audio_format, fmt), audio

    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> TTSAudioResponse:
        """Stream text to the server and audio back, both as they come.

        Where streaming is off (option) or the server lacks it, this falls
        back to Home Assistant's default: join the text and call
        async_get_tts_audio.
        """
        if not self._streaming_enabled():
            return await super().async_stream_tts_audio(request)

        voice, fmt, kokoro = self._request(request.options)
        try:
            stream = await self._data.client.open_synthesis(
                text_stream=request.message_gen,
                voice=voice,
                language=request.language,
                kokoro=kokoro,
            )
        except KokoroError as err:
            raise self._error(err, voice) from err

        audio_format = stream.audio_format
        if audio_format is None:
            # The server ended without audio (no text was sent).
            extension = EXTENSIONS[fmt]
        elif audio_format.is_pcm:
            extension = "wav"
        else:
            extension = _extension(audio_format, fmt)
        return TTSAudioResponse(extension, self._audio(stream, voice))

    async def _audio(self, stream: AudioStream, voice: str | None) -> AsyncGenerator[bytes]:
        """Yield the stream's bytes, framed as WAV when they are raw PCM."""
        audio_format = stream.audio_format
        try:
            if audio_format is not None and audio_format.is_pcm:
                # The length is unknown until the end: a streaming header.
                yield wav_header(audio_format.rate, audio_format.width, audio_format.channels, None)
            async for chunk in stream.chunks():
                yield chunk
        except KokoroError as err:
            raise self._error(err, voice) from err
        finally:
            await stream.aclose()


def _extension(audio_format: AudioFormat, requested: str) -> str:
    """File extension of an encoded answer."""
    served = audio_format.format or requested
    if served != requested:
        _LOGGER.debug("Asked for %s, the server sent %s", requested, served)
    return EXTENSIONS.get(served, served)
