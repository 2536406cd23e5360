"""Check the fields of a synthesize or synthesize-start event.

Clients send anything; every field is type-checked here so that a bad one
gets an error naming it instead of an exception deep in the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .audio import OutputFormat, choose_format
from .config import MAX_SPEED, MIN_SPEED
from .errors import BadRequestError


@dataclass(frozen=True)
class RequestOptions:
    """What a request asks for, validated."""

    voice: str | None
    """Voice, preset or blend name; None for the default."""
    language: str | None
    """A language tag that picks a voice when no name is given."""
    output: OutputFormat
    """PCM or an encoded format, and the rate."""
    speed: float | None
    """Requested speed; None falls back to the preset's or the default."""


def _optional_str(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequestError(f"{field} must be a string, got {type(value).__name__}")
    return value or None


def parse_text(data: dict[str, Any]) -> str:
    """The text of a synthesize or synthesize-chunk event."""
    text = data.get("text", "")
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadRequestError(f"text must be a string, got {type(text).__name__}")
    # NUL and other C0 controls confuse espeak; they are not speech.
    return "".join(ch if ch >= " " or ch in "\n\t" else " " for ch in text)


def parse_options(data: dict[str, Any], default_rate: int) -> RequestOptions:
    """Voice and kokoro options of a synthesize or synthesize-start event."""
    voice = data.get("voice")
    name = language = None
    if voice is not None:
        if not isinstance(voice, dict):
            raise BadRequestError(f"voice must be an object, got {type(voice).__name__}")
        name = _optional_str(voice.get("name"), "voice.name")
        language = _optional_str(voice.get("language"), "voice.language")
    extension = data.get("kokoro")
    if extension is None:
        extension = {}
    if not isinstance(extension, dict):
        raise BadRequestError(f"kokoro must be an object, got {type(extension).__name__}")
    output = choose_format(extension.get("format"), extension.get("rate"), default_rate)
    speed = extension.get("speed")
    if speed is not None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not math.isfinite(speed):
            raise BadRequestError(f"kokoro.speed must be a number, got {speed!r}")
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise BadRequestError(f"kokoro.speed must be {MIN_SPEED} to {MAX_SPEED}; got {speed}")
        speed = float(speed)
    return RequestOptions(voice=name, language=language, output=output, speed=speed)
