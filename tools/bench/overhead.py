"""Where the server's time goes: its own work, measured around the model call.

A black-box ratio on a shared machine carries the noise of two model runs.
Here the server runs in this process (the App the tests use), with the
engine's synthesize wrapped in a timer: for one request, the time before the
model starts (connect, parse, normalise, split, queue) and the time after it
returns (PCM conversion, events, the client reading them) are the server's own
cost, and the model's run itself drops out of the comparison.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .client import request
from .context import Context
from .texts import SHORT, VOICE

_LOGGER = logging.getLogger(__name__)

SPACING = 0.5
"""Seconds of quiet before each request."""


@dataclass
class _Endpoint:
    host: str
    port: int
    requests: int = 0


@dataclass
class OverheadCase:
    """Per request: seconds before the model, in it (first sentence), and after it."""

    label: str
    once: bool = False
    """A single sample (the first request), not a steady-state figure."""
    before: list[float] = field(default_factory=list)
    model: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    ttfa: list[float] = field(default_factory=list)

    @property
    def own(self) -> list[float]:
        """The server's own time to first audio: TTFA minus the model's run."""
        return [b + a for b, a in zip(self.before, self.after, strict=True)]


async def run(ctx: Context, model_dir: Path, device: str) -> list[OverheadCase]:
    """The short reply, non-streaming and streaming, on an instrumented in-process server."""
    from wyoming_kokoro.config import validate
    from wyoming_kokoro.process.app import App, load_model

    config = validate({
        "server": {"uri": "tcp://127.0.0.1:0"},
        "model": {"dir": str(model_dir), "device": device},
        "voices": {"default": VOICE},
        "zeroconf": {"enabled": False},
    })
    # The in-process server's INFO lines would interleave with the bench's own.
    logging.getLogger("wyoming_kokoro").setLevel(logging.WARNING)
    await ctx.quiet()
    loaded = await asyncio.to_thread(load_model, config)
    engine = loaded.engine
    spans: list[tuple[float, float]] = []

    def timed(text: str, voice: Any, speed: float) -> list[np.ndarray]:
        started = time.perf_counter()
        audio = engine.synthesize(text, voice, speed)
        spans.append((started, time.perf_counter()))
        return audio

    app = App(config, loaded)
    app.synthesize_fn = timed
    running = await app.startup()
    assert running.server.port is not None
    endpoint = _Endpoint("127.0.0.1", running.server.port)
    first = OverheadCase("First request after start-up, non-streaming", once=True)
    cases = [OverheadCase("Short reply, non-streaming"), OverheadCase("Short reply, streaming")]
    # The server's warm-up runs the model only: the first request also pays for
    # the first use of the text and delivery path, so it is shown on its own.
    plan = [(first, False)] + [(case, streaming) for _ in range(ctx.plan.overhead_rounds)
                               for case, streaming in zip(cases, (False, True), strict=True)]
    try:
        for case, streaming in plan:
            await ctx.quiet()
            # Requests seconds apart, as a voice assistant sends them: right after a
            # request torch's threads still spin for a while and slow the next one.
            await asyncio.sleep(SPACING)
            spans.clear()
            exchange = await request(endpoint, SHORT, streaming=streaming)
            if not exchange.ok or exchange.first_audio is None or not spans:
                continue
            started, ended = spans[0]
            case.before.append(started - exchange.started)
            case.model.append(ended - started)
            case.after.append(exchange.first_audio - ended)
            case.ttfa.append(exchange.first_audio - exchange.started)
    finally:
        await app.shutdown()
    # This process held a second copy of the model: let it go before the next phase.
    app.synthesize_fn = None
    del app, loaded
    gc.collect()
    return [first, *cases]
