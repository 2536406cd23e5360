"""What each output format costs: wall time at the client, and the encoder's CPU.

The wall-time difference to PCM is measured on the server; on a noisy shared
machine it is only meaningful when it exceeds the spread, so the encoder's
own CPU time is also measured directly, on real audio (two sentences of the
long answer), with the server's own output classes (wyoming_kokoro.audio).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .client import request
from .context import Context
from .texts import LONG_SENTENCES, SHORT

_LOGGER = logging.getLogger(__name__)

FORMATS = ("pcm", "wav", "mp3", "opus", "flac", "aac")
ENCODER_REPEATS = 3


@dataclass
class FormatResult:
    """One format: server times (s) and the encoder's CPU seconds on the long answer."""

    format: str
    rate: int = 0
    ttfa: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    encoder_cpu: float = 0.0


@dataclass
class EncodingResults:
    formats: dict[str, FormatResult]
    audio_seconds: float
    """Audio the encoders were timed on."""
    synthesis_seconds: float
    """Direct synthesis time of that audio: the encoder's share is against this."""


async def _server_times(ctx: Context, formats: dict[str, FormatResult]) -> None:
    names = list(FORMATS)
    for index in range(ctx.plan.encoding_rounds):
        # Rotate so no format always runs first after the previous phase.
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            await ctx.quiet()
            exchange = await request(ctx.main, SHORT, fmt=name)
            if exchange.ok and exchange.total is not None and exchange.ttfa is not None:
                formats[name].ttfa.append(exchange.ttfa)
                formats[name].total.append(exchange.total)


def _encoder_cpu(name: str, audio: list[np.ndarray]) -> tuple[float, int]:
    """The least CPU seconds over a few runs (the least disturbed one), and the rate."""
    from wyoming_kokoro.audio import choose_format, create_output

    output_format = choose_format(name, None, 24000)
    best = float("inf")
    for _ in range(ENCODER_REPEATS):
        output = create_output(output_format, 1024)
        started = time.process_time()
        try:
            for piece in audio:
                output.push(piece)
            output.finish()
        finally:
            output.close()
        best = min(best, time.process_time() - started)
    return best, output_format.rate


async def run(ctx: Context) -> EncodingResults:
    """Server wall times per format, then the encoders' CPU on real audio."""
    formats = {name: FormatResult(name) for name in FORMATS}
    await _server_times(ctx, formats)
    await ctx.quiet()
    audio: list[np.ndarray] = []
    synthesis = 0.0
    # Two sentences of real audio are enough to time encoders at ~50-1000× real time.
    for sentence in LONG_SENTENCES[:2]:
        timed, samples = await ctx.direct.sentence_audio(sentence)
        audio.append(samples)
        synthesis += timed.seconds
    for name in FORMATS:
        formats[name].encoder_cpu, formats[name].rate = _encoder_cpu(name, audio)
    seconds = sum(len(a) for a in audio) / 24000
    return EncodingResults(formats, seconds, synthesis)
