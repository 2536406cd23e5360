"""What each output format costs: wall time at the client, and the encoder's CPU.

The wall-time difference to PCM is measured on the server; on a noisy shared
machine it is only meaningful when it exceeds the spread, so the encoder's
own CPU time is also measured directly, on real audio (two sentences of the
long answer), with the server's own output classes (wyoming_kokoro.pipeline.output).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.pipeline.output import FORMATS

from .client import request
from .context import Context
from .texts import LONG_SENTENCES, SHORT

_LOGGER = logging.getLogger(__name__)

ENCODER_REPEATS = 3


@dataclass
class FormatResult:
    """One format: server times (s) and the encoder's CPU seconds on the long answer."""

    format: str
    rate: int = 0
    ttfa: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    extra_ttfa: list[float] = field(default_factory=list)
    """This format's TTFA minus that of a PCM request run right next to it."""
    extra_total: list[float] = field(default_factory=list)
    encoder_cpu: float = 0.0


@dataclass
class EncodingResults:
    formats: dict[str, FormatResult]
    audio_seconds: float
    """Audio the encoders were timed on."""
    synthesis_seconds: float
    """Direct synthesis time of that audio: the encoder's share is against this."""


async def _timed(ctx: Context, fmt: str) -> tuple[float, float] | None:
    await ctx.quiet()
    exchange = await request(ctx.main, SHORT, fmt=fmt)
    if exchange.ok and exchange.total is not None and exchange.ttfa is not None:
        return exchange.ttfa, exchange.total
    return None


async def _server_times(ctx: Context, formats: dict[str, FormatResult]) -> None:
    """Each format paired with a PCM request right before or after it (the order
    alternates): a difference between two requests seconds apart survives the
    machine's drift, which a difference of medians over minutes does not."""
    pcm = formats["pcm"]
    for index in range(ctx.plan.encoding_rounds):
        for position, name in enumerate(FORMATS[1:]):
            pcm_first = (index + position) % 2 == 0
            first = await _timed(ctx, "pcm" if pcm_first else name)
            second = await _timed(ctx, name if pcm_first else "pcm")
            if first is None or second is None:
                continue
            plain, encoded = (first, second) if pcm_first else (second, first)
            result = formats[name]
            result.ttfa.append(encoded[0])
            result.total.append(encoded[1])
            pcm.ttfa.append(plain[0])
            pcm.total.append(plain[1])
            result.extra_ttfa.append(encoded[0] - plain[0])
            result.extra_total.append(encoded[1] - plain[1])


def _encoder_cpu(name: str, audio: list[np.ndarray]) -> tuple[float, int]:
    """The least CPU seconds over a few runs (the least disturbed one), and the rate."""
    from wyoming_kokoro.pipeline.output import choose_format, create_output

    output_format = choose_format(name, None, MODEL_RATE)
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
    seconds = sum(len(a) for a in audio) / MODEL_RATE
    return EncodingResults(formats, seconds, synthesis)
