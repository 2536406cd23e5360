"""Load generation with real Wyoming clients (wyoming's AsyncTcpClient) over TCP.

The exchanges are Home Assistant's: `synthesize` read to `audio-stop`, and the
streaming `synthesize-start` / `synthesize-chunk`… / `synthesize` (HA's copy for
old servers) / `synthesize-stop` read to `synthesize-stopped`. Every clock starts
before the connection is opened, so connecting is part of what is measured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from wyoming.client import AsyncTcpClient
from wyoming.event import Event

from wyoming_kokoro.config import MODEL_RATE

from .texts import VOICE, deltas

_LOGGER = logging.getLogger(__name__)

TIMEOUT = 300.0
"""Per event: a sentence of the full model on a busy 2-core machine can take long."""


class Endpoint(Protocol):
    """Where requests go, and a count of them (the memory soak needs the total)."""

    host: str
    port: int
    requests: int


@dataclass
class Exchange:
    """What one request saw, with perf_counter times."""

    started: float
    first_audio: float | None = None
    finished: float | None = None
    pcm_bytes: int = 0
    """Audio bytes, counted for PCM only (an encoded payload says nothing of its length)."""
    rate: int = MODEL_RATE
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.first_audio is not None

    @property
    def ttfa(self) -> float | None:
        return None if self.first_audio is None else self.first_audio - self.started

    @property
    def total(self) -> float | None:
        return None if self.finished is None else self.finished - self.started

    @property
    def audio_seconds(self) -> float:
        return self.pcm_bytes / (2 * self.rate)


def _options(fmt: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"voice": {"name": VOICE}}
    if fmt is not None:
        data["kokoro"] = {"format": fmt}
    return data


async def request(
    server: Endpoint,
    text: str,
    *,
    streaming: bool = False,
    fmt: str | None = None,
    leave_after_first_audio: bool = False,
    first_audio: asyncio.Event | None = None,
) -> Exchange:
    """One request; with leave_after_first_audio the client disconnects at the
    first audio-chunk (the server then drops the rest of the job). first_audio,
    if given, is set when the first audio arrives (the model is then busy)."""
    server.requests += 1
    exchange = Exchange(started=time.perf_counter())
    client = AsyncTcpClient(server.host, server.port)
    await client.connect()
    try:
        if streaming:
            await client.write_event(Event(type="synthesize-start", data=_options(fmt)))
            for delta in deltas(text):
                await client.write_event(Event(type="synthesize-chunk", data={"text": delta}))
            await client.write_event(Event(type="synthesize", data={"text": text,
                                                                    **_options(fmt)}))
            await client.write_event(Event(type="synthesize-stop"))
            end = "synthesize-stopped"
        else:
            await client.write_event(Event(type="synthesize", data={"text": text,
                                                                    **_options(fmt)}))
            end = "audio-stop"
        await _read(client, exchange, end, fmt is None or fmt == "pcm", leave_after_first_audio,
                    first_audio)
    except (OSError, asyncio.TimeoutError) as err:
        exchange.error = f"{type(err).__name__}: {err}"
    finally:
        await client.disconnect()
    if exchange.error:
        _LOGGER.warning("Request failed: %s", exchange.error)
    return exchange


async def _read(client: AsyncTcpClient, exchange: Exchange, end: str, pcm: bool,
                leave_early: bool, first_audio: asyncio.Event | None) -> None:
    while True:
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        if event is None:
            exchange.error = "the server closed the connection"
            return
        if event.type == "audio-chunk":
            if exchange.first_audio is None:
                exchange.first_audio = time.perf_counter()
                if first_audio is not None:
                    first_audio.set()
            if pcm:
                exchange.pcm_bytes += len(event.payload or b"")
                exchange.rate = int(event.data.get("rate", exchange.rate))
            if leave_early:
                exchange.finished = exchange.first_audio
                return
        elif event.type == "error":
            exchange.error = f"{event.data.get('code')}: {event.data.get('text')}"
            return
        elif event.type == end:
            exchange.finished = time.perf_counter()
            return


async def describe(server: Endpoint) -> float:
    """Latency of describe → info on a new connection, connecting included."""
    started = time.perf_counter()
    async with AsyncTcpClient(server.host, server.port) as client:
        await client.write_event(Event(type="describe"))
        while True:
            event = await asyncio.wait_for(client.read_event(), TIMEOUT)
            if event is None:
                raise ConnectionError("no info: the server closed the connection")
            if event.type == "info":
                return time.perf_counter() - started


@dataclass
class LoadRun:
    """Closed-loop load: several clients, each sending its requests back to back."""

    clients: int
    exchanges: list[Exchange]
    wall: float

    @property
    def audio_seconds(self) -> float:
        return sum(e.audio_seconds for e in self.exchanges)

    @property
    def throughput(self) -> float:
        """Seconds of audio produced per wall-clock second."""
        return self.audio_seconds / self.wall if self.wall > 0 else 0.0


async def closed_loop(server: Endpoint, text: str, clients: int, per_client: int) -> LoadRun:
    """clients concurrent clients, each sending per_client requests one after another."""
    exchanges: list[Exchange] = []

    async def client() -> None:
        for _ in range(per_client):
            exchanges.append(await request(server, text))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    return LoadRun(clients, exchanges, wall)


async def open_idle(server: Endpoint, count: int) -> list[AsyncTcpClient]:
    """Open count connections that each did a describe and then stay silent."""
    clients: list[AsyncTcpClient] = []
    for _ in range(count):
        client = AsyncTcpClient(server.host, server.port)
        await client.connect()
        await client.write_event(Event(type="describe"))
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        if event is None or event.type != "info":
            raise ConnectionError("an idle connection got no info")
        clients.append(client)
    return clients
