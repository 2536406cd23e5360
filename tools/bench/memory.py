"""The server's resident memory: idle, at peak, over a soak, and with idle connections.

The soak cycles every output format and both exchanges, since a per-request
encoder that is not released would show up as growth here.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field

from wyoming_kokoro.pipeline.output import FORMATS

from .client import open_idle, request
from .context import Context
from .texts import TINY

_LOGGER = logging.getLogger(__name__)



@dataclass
class MemoryResults:
    """Bytes of RSS of the main server."""

    idle: int = 0
    """After start-up and warm-up, before any request."""
    startup_peak: int = 0
    serving_peak: int = 0
    checkpoints: list[tuple[int, int]] = field(default_factory=list)
    """(requests answered so far, RSS) during the soak."""
    soak_errors: int = 0
    connections: int = 0
    before_connections: int = 0
    with_connections: int = 0
    after_connections: int = 0


async def soak(ctx: Context, results: MemoryResults) -> None:
    """Top the server up to plan.soak_total requests (at least plan.soak_min here),
    sampling RSS on an idle server between batches."""
    plan = ctx.plan
    count = max(plan.soak_min, plan.soak_total - ctx.main.requests)
    batch = max(plan.soak_clients, count // 8)
    kinds = itertools.cycle(itertools.product(FORMATS, (False, True)))
    await ctx.quiet()
    results.checkpoints.append((ctx.main.requests, ctx.main.rss()))
    # At most soak_clients requests in flight, like that many clients.
    semaphore = asyncio.Semaphore(plan.soak_clients)

    async def one(fmt: str, streaming: bool) -> bool:
        async with semaphore:
            return (await request(ctx.main, TINY, fmt=fmt, streaming=streaming)).ok

    done = 0
    while done < count:
        size = min(batch, count - done)
        jobs = [next(kinds) for _ in range(size)]

        oks = await asyncio.gather(*(one(fmt, streaming) for fmt, streaming in jobs))
        results.soak_errors += sum(1 for ok in oks if not ok)
        done += size
        await ctx.quiet()
        results.checkpoints.append((ctx.main.requests, ctx.main.rss()))
    _LOGGER.info("Soak: %d requests, RSS %.0f → %.0f MB", count,
                 results.checkpoints[0][1] / 2**20, results.checkpoints[-1][1] / 2**20)


async def idle_connections(ctx: Context, results: MemoryResults) -> None:
    """RSS with plan.idle_connections open connections that each did a describe."""
    await ctx.quiet()
    results.connections = ctx.plan.idle_connections
    results.before_connections = ctx.main.rss()
    clients = await open_idle(ctx.main, ctx.plan.idle_connections)
    await asyncio.sleep(0.5)
    results.with_connections = ctx.main.rss()
    for client in clients:
        await client.disconnect()
    await asyncio.sleep(0.5)
    results.after_connections = ctx.main.rss()
