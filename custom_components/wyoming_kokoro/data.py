"""What the integration knows about a server: its `info`, voices and latency.

The `info` event is parsed here from its raw data rather than with the
dataclasses of the wyoming package, because the version that Home Assistant
pins (1.5.4) predates streaming synthesis and would drop the
`supports_synthesize_streaming` flag.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from homeassistant.components.tts import Voice

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


@dataclass(frozen=True)
class Blend:
    """A voice blend configured in the entry's options."""

    voice: str
    """What is sent to the server, such as `af_bella:0.7+af_sky:0.3`."""
    label: str


def parse_blends(text: str) -> list[Blend]:
    """Parse the blends option: one per line, `LABEL = BLEND` or just `BLEND`.

    Raises ValueError naming the first bad line. Only the syntax is checked
    here; whether the voices exist is the caller's question.
    """
    blends: list[Blend] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, sep, voice = line.partition("=")
        if not sep:
            label, voice = "", label
        # Spaces around `+` and `:` are for reading; inside a name they are wrong.
        label, voice = label.strip(), re.sub(r"\s*([+:])\s*", r"\1", voice.strip())
        if not blend_parts(voice):
            raise ValueError(line)
        blends.append(Blend(voice=voice, label=label or voice))
    return blends


def blend_parts(voice: str) -> list[str]:
    """Voice names in a blend `a:0.7+b:0.3`, or [] when the syntax is wrong."""
    names: list[str] = []
    for part in voice.split("+"):
        name, sep, weight = part.partition(":")
        if not name or not all(c.isalnum() or c == "_" for c in name):
            return []
        if sep:
            try:
                if not 0 < float(weight) < float("inf"):
                    return []
            except ValueError:
                return []
        names.append(name)
    return names


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
        first = info.voice(blend_parts(blend.voice)[0])
        if first is not None and language in first.languages:
            voices.append(Voice(voice_id=blend.voice, name=blend.label))
    return voices
