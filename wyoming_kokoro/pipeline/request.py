"""Requests: check a synthesize or synthesize-start event and build its Synthesis.

Clients send anything; every field is type-checked here so that a bad one
gets an error naming it instead of an exception deep in the pipeline. A
checked request is then turned into a Synthesis with its own voice, speed,
output, job, splitter and normaliser; the connection only delivers it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from wyoming_kokoro.config import MAX_SPEED, MIN_SPEED, Config
from wyoming_kokoro.errors import BadRequestError, KokoroError
from wyoming_kokoro.model.scheduler import Scheduler
from wyoming_kokoro.model.voices import VoiceCatalogue, VoiceChoice
from wyoming_kokoro.pipeline.output import OutputFormat, choose_format, create_output
from wyoming_kokoro.pipeline.sentences import SentenceSplitter
from wyoming_kokoro.pipeline.synthesis import Synthesis, TextFilter

_LOGGER = logging.getLogger(__name__)


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


def choose_speed(requested: float | None, voice: VoiceChoice, default: float) -> float:
    """The request's own speed, else its preset's, else the configured default."""
    return requested or voice.speed or default


@dataclass(frozen=True)
class RequestFactory:
    """Turns a request's event data into a ready Synthesis."""

    config: Config
    catalogue: VoiceCatalogue
    scheduler: Scheduler
    prepare_voice: Callable[[VoiceChoice], Awaitable[None]]
    """Makes sure the voice files are on disk (a download waits only this request)."""
    text_filter: Callable[[str], TextFilter] | None
    """Builds the text normaliser for a language; None turns it off."""
    encoders: Executor
    """Threads for encoding and resampling: off the event loop and the model thread."""

    async def open(self, data: dict[str, Any], streaming: bool, peer: str) -> Synthesis:
        """Check the options, get the voice ready and queue a job for the request.

        Raises a KokoroError (bad request, unknown voice, busy) before anything
        is queued or left open.
        """
        config = self.config
        options = parse_options(data, config.audio.output_rate)
        voice = self.catalogue.resolve(options.voice, options.language)
        await self.prepare_voice(voice)
        speed = choose_speed(options.speed, voice, config.voices.speed)
        output = create_output(options.output, config.audio.samples_per_chunk)
        try:
            job = self.scheduler.open(voice, speed)
        except KokoroError:
            output.close()
            raise
        text_filter = self.text_filter(voice.language.code) if self.text_filter else None
        _LOGGER.debug("Client %s: job %s, voice %s, speed %.2f, %s at %s Hz", peer,
                      job.id, voice.name, speed, options.output.format, options.output.rate)
        return Synthesis(
            job=job,
            output=output,
            splitter=SentenceSplitter.for_speech(config.synthesis.fast_first_clause),
            text_filter=text_filter,
            max_text_length=config.synthesis.max_text_length,
            streaming=streaming,
            encoders=self.encoders,
        )
