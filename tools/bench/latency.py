"""Time to first audio and real-time factor: the server against kokoro in-process.

Every server request is paired with the direct measurement of the same work,
run right before or after it (the order swaps every round), so a burst of
load from other work on this shared machine tends to hit both halves of a
pair. Nothing is timed until the server is idle.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .client import Exchange, request
from .context import Context
from .direct import Timed
from .measure import Stats
from .texts import LONG, LONG_SENTENCES, SHORT

_LOGGER = logging.getLogger(__name__)

SHORT_NS = "Short reply (6 words), non-streaming"
SHORT_ST = "Short reply (6 words), streaming"
LONG_NS = "Long answer (5 sentences), non-streaming"
LONG_ST = "Long answer (5 sentences), streaming"
CASES = (SHORT_NS, SHORT_ST, LONG_NS, LONG_ST)
A = TypeVar("A")
B = TypeVar("B")


@dataclass
class TtfaCase:
    """Time to first audio for one kind of request, in seconds; server[i] and
    direct[i] are one pair."""

    label: str
    server: list[float] = field(default_factory=list)
    direct: list[float] = field(default_factory=list)
    """The first sentence's G2P + infer in-process."""
    naive: list[float] = field(default_factory=list)
    """The plain KPipeline call's first audio (not paired)."""

    @property
    def paired_ratios(self) -> list[float]:
        return [s / d for s, d in zip(self.server, self.direct, strict=True) if d > 0]

    @property
    def paired_ratio(self) -> float | None:
        """Median of server ÷ direct over the pairs: drift between pairs cancels."""
        stats = Stats.of(self.paired_ratios)
        return stats.median if stats else None


@dataclass
class RtfCase:
    """Compute per second of audio for one text, server and direct."""

    label: str
    server: list[float] = field(default_factory=list)
    """Wall seconds from connect to audio-stop ÷ audio seconds."""
    direct: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    """Server process CPU seconds ÷ audio seconds."""
    direct_cpu: list[float] = field(default_factory=list)
    server_audio: list[float] = field(default_factory=list)
    direct_audio: list[float] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)


@dataclass
class LatencyResults:
    """Both tables' samples."""

    ttfa: dict[str, TtfaCase]
    rtf: dict[str, RtfCase]
    control: list[float] = field(default_factory=list)
    """A/A control: the second direct run of a sentence ÷ the first, in the same
    round. Its spread is the noise a server ratio is read against."""


async def _served(ctx: Context, text: str, streaming: bool = False,
                  leave_early: bool = False) -> tuple[Exchange, float]:
    """A request on the idle main server, with the server's CPU seconds it took."""
    await ctx.quiet()
    cpu = ctx.main.cpu_seconds()
    exchange = await request(ctx.main, text, streaming=streaming,
                             leave_after_first_audio=leave_early)
    return exchange, ctx.main.cpu_seconds() - cpu


async def _direct(ctx: Context, sentences: tuple[str, ...]) -> list[Timed]:
    await ctx.quiet()
    return await ctx.direct.sentences(sentences)


async def _pair(server_first: bool, server: Callable[[], Awaitable[A]],
                direct: Callable[[], Awaitable[B]]) -> tuple[A, B]:
    if server_first:
        served = await server()
        return served, await direct()
    timed = await direct()
    return await server(), timed


def _add_ttfa(case: TtfaCase, exchange: Exchange, timed: list[Timed]) -> None:
    """Keep the pair only if the request succeeded (a failure is logged by the client)."""
    if exchange.ttfa is not None:
        case.server.append(exchange.ttfa)
        case.direct.append(timed[0].seconds)


def _add_rtf(case: RtfCase, exchange: Exchange, cpu: float, timed: list[Timed]) -> None:
    if not (exchange.ok and exchange.total is not None and exchange.audio_seconds > 0):
        return
    case.server.append(exchange.total / exchange.audio_seconds)
    case.server_cpu.append(cpu / exchange.audio_seconds)
    case.server_audio.append(exchange.audio_seconds)
    audio = sum(t.audio_seconds for t in timed)
    case.direct.append(sum(t.seconds for t in timed) / audio)
    case.direct_cpu.append(sum(t.cpu_seconds for t in timed) / audio)
    case.direct_audio.append(audio)


async def _round(ctx: Context, index: int, results: LatencyResults, with_long: bool) -> None:
    first = index % 2 == 0
    plan = ctx.plan
    ttfa, rtf = results.ttfa, results.rtf
    (exchange, cpu), timed = await _pair(first, lambda: _served(ctx, SHORT),
                                         lambda: _direct(ctx, (SHORT,)))
    _add_ttfa(ttfa[SHORT_NS], exchange, timed)
    _add_rtf(rtf["short"], exchange, cpu, timed)
    short_first = timed[0].seconds
    (exchange, _), timed = await _pair(first, lambda: _served(ctx, SHORT, streaming=True),
                                       lambda: _direct(ctx, (SHORT,)))
    _add_ttfa(ttfa[SHORT_ST], exchange, timed)
    results.control.append(timed[0].seconds / short_first)
    if not with_long:
        return
    if index < plan.long_full_rounds:
        (exchange, cpu), timed = await _pair(first, lambda: _served(ctx, LONG),
                                             lambda: _direct(ctx, LONG_SENTENCES))
        _add_rtf(rtf["long"], exchange, cpu, timed)
        long_first = timed[0].seconds
    else:
        # Only the first sentence matters here: leave at first audio.
        (exchange, _), timed = await _pair(
            first, lambda: _served(ctx, LONG, leave_early=True),
            lambda: _direct(ctx, LONG_SENTENCES[:1]))
        long_first = timed[0].seconds
    _add_ttfa(ttfa[LONG_NS], exchange, timed)
    (exchange, _), timed = await _pair(
        first, lambda: _served(ctx, LONG, streaming=True, leave_early=True),
        lambda: _direct(ctx, LONG_SENTENCES[:1]))
    _add_ttfa(ttfa[LONG_ST], exchange, timed)
    results.control.append(timed[0].seconds / long_first)

    await ctx.quiet()
    naive = await ctx.direct.naive(SHORT)
    for label in (SHORT_NS, SHORT_ST):
        ttfa[label].naive.append(naive.ttfa)
    rtf["short"].naive.append(naive.total / naive.audio_seconds)
    if index < plan.naive_long_rounds:
        naive = await ctx.direct.naive(LONG)
        for label in (LONG_NS, LONG_ST):
            ttfa[label].naive.append(naive.ttfa)
        rtf["long"].naive.append(naive.total / naive.audio_seconds)


async def run(ctx: Context) -> LatencyResults:
    """plan.rounds rounds of four server/direct pairs and the naive call, then
    plan.short_extra_rounds rounds of the two short-reply pairs."""
    results = LatencyResults({label: TtfaCase(label) for label in CASES},
                             {"short": RtfCase("Short reply"), "long": RtfCase("Long answer")})
    total = ctx.plan.rounds + ctx.plan.short_extra_rounds
    for index in range(total):
        await _round(ctx, index, results, with_long=index < ctx.plan.rounds)
        case = results.ttfa[SHORT_NS]
        _LOGGER.info("Latency round %d/%d: short reply server %.2f s, direct %.2f s",
                     index + 1, total, case.server[-1] if case.server else -1,
                     case.direct[-1] if case.direct else -1)
    return results
