"""Settings that might bring first audio sooner, each measured on and off.

- synthesis.fast_first_clause: a long first sentence is cut at its first comma,
  so the first audio waits for a clause rather than the whole sentence.
- model.threads: torch's intra-op threads, 1 against torch's default.

Each variant runs in its own server process; rounds alternate the order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .client import request
from .context import Context
from .server import ServerProcess
from .texts import LONG_FIRST, SHORT

_LOGGER = logging.getLogger(__name__)


@dataclass
class Variant:
    """One setting's samples, in seconds (rtf: seconds per audio second)."""

    label: str
    ttfa: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    rtf: list[float] = field(default_factory=list)
    cpu_per_audio: list[float] = field(default_factory=list)


@dataclass
class Experiment:
    """Variants of one setting on the same text."""

    title: str
    setting: str
    text: str
    variants: list[Variant]


async def _measure(ctx: Context, server: ServerProcess, text: str, variant: Variant) -> None:
    await ctx.quiet()
    cpu = server.cpu_seconds()
    exchange = await request(server, text)
    cpu = server.cpu_seconds() - cpu
    if not exchange.ok or exchange.total is None or exchange.ttfa is None:
        return
    variant.ttfa.append(exchange.ttfa)
    variant.total.append(exchange.total)
    if exchange.audio_seconds > 0:
        variant.rtf.append(exchange.total / exchange.audio_seconds)
        variant.cpu_per_audio.append(cpu / exchange.audio_seconds)


async def _compare(ctx: Context, experiment: Experiment,
                   servers: list[ServerProcess]) -> Experiment:
    for index in range(ctx.plan.experiment_rounds):
        order = list(zip(servers, experiment.variants, strict=True))
        if index % 2:
            order.reverse()
        for server, variant in order:
            await _measure(ctx, server, experiment.text, variant)
    return experiment


async def first_clause(ctx: Context) -> Experiment:
    """A long first sentence with fast_first_clause on (default) and off."""
    experiment = Experiment(
        "Long first sentence: cut at the first comma or not",
        "synthesis.fast_first_clause", LONG_FIRST,
        [Variant("fast_first_clause: true (default)"), Variant("fast_first_clause: false")],
    )
    return await _compare(ctx, experiment, [ctx.main, ctx.no_first_clause])


async def threads(ctx: Context) -> Experiment:
    """The short reply with torch's default threads and with one thread."""
    experiment = Experiment(
        "Torch threads", "model.threads / --threads", SHORT,
        [Variant(f"--threads 0 (torch default: {ctx.default_threads})"), Variant("--threads 1")],
    )
    return await _compare(ctx, experiment, [ctx.main, ctx.threads_one])
