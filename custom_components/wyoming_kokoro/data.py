"""What the integration knows about a server: its `info`, voices and latency.

The `info` event is parsed here from its raw data rather than with the
dataclasses of the wyoming package, because the version that Home Assistant
pins (1.5.4) predates streaming synthesis and would drop the
`supports_synthesize_streaming` flag.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.components.tts import Voice

from .blends import Blend, parse_blends
from .errors import KokoroNoTtsError


@dataclass(frozen=True)
class VoiceInfo:
    """One voice (or preset) that the server advertises."""

    name: str
    description: str | None
    languages: tuple[str, ...]
    installed: bool

    @property
    def label(self) -> str:
        """Name shown in Home Assistant's voice menu."""
        return self.description or self.name


@dataclass(frozen=True)
class ServerInfo:
    """The first installed text-to-speech program of a Wyoming server."""

    program: str
    description: str | None
    version: str | None
    supports_streaming: bool
    voices: tuple[VoiceInfo, ...]

    @property
    def languages(self) -> list[str]:
        """Languages of the installed voices, in the server's order."""
        seen: dict[str, None] = {}
        for voice in self.voices:
            if voice.installed:
                for language in voice.languages:
                    seen.setdefault(language, None)
        return list(seen)

    def voice(self, name: str) -> VoiceInfo | None:
        """Return the installed voice with this name, if any."""
        for voice in self.voices:
            if voice.installed and voice.name == name:
                return voice
        return None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for diagnostics."""
        return asdict(self)


# parse_blends lives in blends.py; it stays importable from here for older callers.
__all__ = [
    "Latency",
    "ServerInfo",
    "VoiceInfo",
    "parse_blends",
    "parse_info",
    "voices_for_language",
]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_info(data: dict[str, Any]) -> ServerInfo:
    """Build ServerInfo from the data of an `info` event.

    Raises KokoroNoTtsError when no installed TTS program is
    listed. Fields of
    the wrong type are skipped rather than trusted: the data comes off the
    network.
    """
    programs = data.get("tts")
    if not isinstance(programs, list):
        programs = []
    for program in programs:
        if not isinstance(program, dict) or not program.get("installed", False):
            continue
        name = _text(program.get("name"))
        if name is None:
            continue
        voices: list[VoiceInfo] = []
        raw_voices = program.get("voices")
        for raw in raw_voices if isinstance(raw_voices, list) else []:
            if not isinstance(raw, dict) or (voice_name := _text(raw.get("name"))) is None:
                continue
            raw_languages = raw.get("languages")
            languages = tuple(
                lang
                for lang in (raw_languages if isinstance(raw_languages, list) else [])
                if isinstance(lang, str) and lang
            )
            voices.append(
                VoiceInfo(
                    name=voice_name,
                    description=_text(raw.get("description")),
                    languages=languages,
                    installed=bool(raw.get("installed", True)),
                )
            )
        return ServerInfo(
            program=name,
            description=_text(program.get("description")),
            version=_text(program.get("version")),
            supports_streaming=bool(program.get("supports_synthesize_streaming", False)),
            voices=tuple(voices),
        )
    raise KokoroNoTtsError("the server offers no installed text-to-speech program")


@dataclass
class Latency:
    """Timing of one request, as the data layer measured it."""

    mode: str
    """`synthesize` or `stream`."""
    format: str | None
    first_audio_s: float | None = None
    """Seconds from sending the request to the first audio bytes."""
    total_s: float | None = None
    """Seconds from sending the request to the end of the audio."""
    audio_bytes: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for diagnostics."""
        return asdict(self)


def voices_for_language(info: ServerInfo, blends: list[Blend], language: str) -> list[Voice]:
    """Voices (presets included) and configured blends that speak `language`.

    A blend speaks the language of its first voice, as the server decides.
    """
    voices = [
        Voice(voice_id=voice.name, name=voice.label)
        for voice in info.voices
        if voice.installed and language in voice.languages
    ]
    voices.sort(key=lambda voice: voice.name)
    for blend in blends:
        first = info.voice(blend.names[0])
        if first is not None and language in first.languages:
            voices.append(Voice(voice_id=blend.voice, name=blend.label))
    return voices
