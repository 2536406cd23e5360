"""The server under load: responsiveness, fairness and throughput.

- describe while the model is fully busy: it must never wait for synthesis.
- a one-sentence request behind a 20-sentence one: round-robin should make it
  wait at most for the sentence that is running.
- closed-loop clients (1, 2, 4, 8): time to first audio and audio seconds per
  wall second, against the direct baseline's serial throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from .client import Exchange, LoadRun, closed_loop, describe, request
from .context import Context
from .texts import FAIR_LONG, FAIR_SENTENCES, SHORT

_LOGGER = logging.getLogger(__name__)

IDLE_PROBES = 20


@dataclass
class DescribeResults:
    """describe latencies in seconds, idle and with the model busy."""

    idle: list[float]
    busy: list[float]
    long_requests: int
    busy_throughout: bool
    """True if every long request was still running when probing ended."""
    errors: int


@dataclass
class FairnessResults:
    """Per round: the short request alone, behind the long one, and one sentence's time."""

    solo: list[float] = field(default_factory=list)
    behind: list[float] = field(default_factory=list)
    sentence: list[float] = field(default_factory=list)


@dataclass
class LoadLevel:
    """One concurrency level and the direct throughput measured next to it."""

    run: LoadRun
    direct_throughput: list[float]
    server_cpu: float
    """Server CPU seconds for the whole level."""

    @property
    def ttfa(self) -> list[float]:
        return [e.ttfa for e in self.run.exchanges if e.ok and e.ttfa is not None]

    @property
    def errors(self) -> int:
        return sum(1 for e in self.run.exchanges if not e.ok)


async def _start_long(ctx: Context, count: int) -> tuple[list[asyncio.Task[Exchange]],
                                                          asyncio.Event]:
    """count 20-sentence requests in flight; the event is set at the first audio."""
    busy = asyncio.Event()
    tasks = [asyncio.create_task(request(ctx.main, FAIR_LONG, first_audio=busy))
             for _ in range(count)]
    return tasks, busy


async def _stop(tasks: list[asyncio.Task[Exchange]]) -> None:
    """Leave: closing the connections makes the server drop those jobs."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def describe_under_load(ctx: Context) -> DescribeResults:
    """describe on new connections every ~20 ms while long requests keep the model busy."""
    plan = ctx.plan
    await ctx.quiet()
    idle = [await describe(ctx.main) for _ in range(IDLE_PROBES)]
    tasks, busy = await _start_long(ctx, plan.describe_load_requests)
    await busy.wait()
    probes: list[asyncio.Task[float]] = []
    ends = time.perf_counter() + plan.describe_seconds
    next_at = time.perf_counter()
    while next_at < ends:
        probes.append(asyncio.create_task(describe(ctx.main)))
        next_at += plan.describe_interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    results = await asyncio.gather(*probes, return_exceptions=True)
    busy_throughout = not any(task.done() for task in tasks)
    await _stop(tasks)
    latencies = [r for r in results if isinstance(r, float)]
    errors = len(results) - len(latencies)
    if not busy_throughout:
        _LOGGER.warning("A long request ended while describe was probed: load was not full")
    return DescribeResults(idle, latencies, plan.describe_load_requests, busy_throughout, errors)


async def fairness(ctx: Context) -> FairnessResults:
    """The short reply alone, then arriving at a random point of a long request's
    sentence; and the direct time of that sentence, which bounds the wait."""
    results = FairnessResults()
    for index in range(ctx.plan.fairness_rounds):
        await ctx.quiet()
        # After the first audio the long request's second sentence is running.
        sentence = (await ctx.direct.sentence(FAIR_SENTENCES[1])).seconds
        results.sentence.append(sentence)
        await ctx.quiet()
        solo = await request(ctx.main, SHORT)
        await ctx.quiet()
        tasks, busy = await _start_long(ctx, 1)
        await busy.wait()
        await asyncio.sleep(ctx.rng.uniform(0.0, 0.9) * sentence)
        behind = await request(ctx.main, SHORT)
        await _stop(tasks)
        if solo.ttfa is not None and behind.ttfa is not None:
            results.solo.append(solo.ttfa)
            results.behind.append(behind.ttfa)
        _LOGGER.info("Fairness round %d/%d: alone %.3f s, behind %.3f s, sentence %.3f s",
                     index + 1, ctx.plan.fairness_rounds, solo.ttfa or -1, behind.ttfa or -1,
                     sentence)
    return results


async def _direct_throughput(ctx: Context) -> float:
    timed = await ctx.direct.sentence(SHORT)
    return timed.audio_seconds / timed.seconds


async def concurrency(ctx: Context) -> list[LoadLevel]:
    """Closed-loop clients sending the short reply, at each level of the plan.

    A direct (serial) measurement sits before and after every level, so each
    level is compared with the machine's speed at that time.
    """
    levels: list[LoadLevel] = []
    await ctx.quiet()
    before = await _direct_throughput(ctx)
    for clients, per_client in ctx.plan.concurrency:
        await ctx.quiet()
        cpu = ctx.main.cpu_seconds()
        run = await closed_loop(ctx.main, SHORT, clients, per_client)
        cpu = ctx.main.cpu_seconds() - cpu
        await ctx.quiet()
        after = await _direct_throughput(ctx)
        levels.append(LoadLevel(run, [before, after], cpu))
        _LOGGER.info("%d clients: %.2f audio s per s (direct %.2f)", clients, run.throughput,
                     (before + after) / 2)
        before = after
    return levels
