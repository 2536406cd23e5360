"""A real Wyoming client for the tests, over real sockets."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from wyoming.client import AsyncTcpClient
from wyoming.event import Event

from wyoming_kokoro.process.app import App

TIMEOUT = 60.0


@dataclass
class RunningServer:
    """A server started by the start_server fixture."""

    app: App
    host: str
    port: int

    def client(self) -> AsyncTcpClient:
        return AsyncTcpClient(self.host, self.port)


@dataclass
class AudioResult:
    """Everything a client received for one request."""

    events: list[Event] = field(default_factory=list)
    audio: bytes = b""
    first_audio_at: float | None = None
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.events]

    @property
    def start(self) -> Event:
        return next(e for e in self.events if e.type == "audio-start")

    @property
    def error(self) -> Event | None:
        return next((e for e in self.events if e.type == "error"), None)

    @property
    def chunks(self) -> list[Event]:
        return [e for e in self.events if e.type == "audio-chunk"]

    @property
    def samples(self) -> int:
        return len(self.audio) // 2

    @property
    def ttfa(self) -> float:
        assert self.first_audio_at is not None
        return self.first_audio_at - self.started_at


async def read_until(client: AsyncTcpClient, result: AudioResult, end: str) -> AudioResult:
    """Read events until `end` (or error, or the connection closes)."""
    while True:
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        if event is None:
            break
        result.events.append(event)
        if event.type == "audio-chunk":
            if result.first_audio_at is None:
                result.first_audio_at = time.perf_counter()
            result.audio += event.payload or b""
        if event.type in (end, "error"):
            break
    result.finished_at = time.perf_counter()
    return result


def synthesize_event(text: str, voice: str | None = None, **kokoro: Any) -> Event:
    data: dict[str, Any] = {"text": text}
    if voice is not None:
        data["voice"] = {"name": voice}
    if kokoro:
        data["kokoro"] = kokoro
    return Event(type="synthesize", data=data)


async def synthesize(server: RunningServer, text: str, voice: str | None = None,
                     **kokoro: Any) -> AudioResult:
    """Home Assistant's non-streaming exchange: synthesize, read to audio-stop."""
    async with server.client() as client:
        result = AudioResult(started_at=time.perf_counter())
        await client.write_event(synthesize_event(text, voice, **kokoro))
        return await read_until(client, result, "audio-stop")


async def stream(server: RunningServer, deltas: list[str], voice: str | None = None,
                 compat: bool = True, delay: float = 0.0, **kokoro: Any) -> AudioResult:
    """Home Assistant's streaming exchange, with its compatibility synthesize."""
    data: dict[str, Any] = {}
    if voice is not None:
        data["voice"] = {"name": voice}
    if kokoro:
        data["kokoro"] = kokoro
    async with server.client() as client:
        result = AudioResult(started_at=time.perf_counter())
        await client.write_event(Event(type="synthesize-start", data=data))
        for delta in deltas:
            await client.write_event(Event(type="synthesize-chunk", data={"text": delta}))
            if delay:
                await asyncio.sleep(delay)
        if compat:
            await client.write_event(synthesize_event("".join(deltas), voice))
        await client.write_event(Event(type="synthesize-stop"))
        return await read_until(client, result, "synthesize-stopped")


async def describe(server: RunningServer) -> tuple[Event, float]:
    """Send describe on a new connection; return info and the latency."""
    async with server.client() as client:
        started = time.perf_counter()
        await client.write_event(Event(type="describe"))
        event = await asyncio.wait_for(client.read_event(), TIMEOUT)
        assert event is not None
        return event, time.perf_counter() - started
