"""Fake synthesisers and hostile clients for tests about robustness and timing.

A fake synthesiser stands in for the model (``start_server(synthesize=...)``):
it is called in the scheduler's model thread with ``(text, voice, speed)`` and
returns float32 arrays at 24 kHz, like ``Engine.synthesize``. The helpers
below speak raw bytes to a server, so that tests can send what no well-behaved
client would.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from wyoming.event import Event

from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.voices import VoiceChoice

T = TypeVar("T")


def tone(seconds: float, frequency: float = 220.0) -> np.ndarray:
    """A quiet sine: real-looking audio whose length a test can predict."""
    samples = max(1, int(seconds * MODEL_RATE))
    t = np.arange(samples, dtype=np.float32) / MODEL_RATE
    return (0.2 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


class SynthesisFault(RuntimeError):
    """What a fake model raises when told to fail."""


@dataclass
class FakeSynth:
    """A configurable fake model.

    Audio length follows the text (seconds_per_char), so a longer sentence gives
    more chunks. A sentence containing fail_marker raises; one containing
    slow_marker sleeps slow_seconds first (the thread cannot be interrupted,
    exactly like a stuck model).
    """

    seconds_per_char: float = 0.004
    delay: float = 0.0
    fail_marker: str | None = None
    slow_marker: str | None = None
    slow_seconds: float = 0.0
    calls: list[str] = field(default_factory=list)
    """Every text the model was asked for, in order (recorded as each call starts)."""
    finished: int = 0
    """Calls that have returned or raised."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, text: str, voice: VoiceChoice, speed: float) -> list[np.ndarray]:
        with self._lock:
            self.calls.append(text)
        try:
            if self.fail_marker is not None and self.fail_marker in text:
                raise SynthesisFault(f"fake model failure on {text!r}")
            if self.slow_marker is not None and self.slow_marker in text:
                time.sleep(self.slow_seconds)
            if self.delay:
                time.sleep(self.delay)
            return [tone(max(0.05, len(text) * self.seconds_per_char / speed))]
        finally:
            with self._lock:
                self.finished += 1


def fast_synth() -> FakeSynth:
    """A fake model that answers at once with a little audio per sentence."""
    return FakeSynth()


# -- raw wire helpers ------------------------------------------------------

TIMEOUT = 20.0


def header(obj: Any) -> bytes:
    """One header line as a client would send it (any JSON value)."""
    return json.dumps(obj).encode("utf-8") + b"\n"


def event_bytes(event_type: str, data: dict[str, Any] | None = None,
                payload: bytes = b"") -> bytes:
    """A complete, valid event with its data section and payload."""
    head: dict[str, Any] = {"type": event_type}
    body = b""
    if data:
        body = json.dumps(data).encode("utf-8")
        head["data_length"] = len(body)
    if payload:
        head["payload_length"] = len(payload)
    return header(head) + body + payload


class Endpoint(Protocol):
    """Where a server listens: an in-process RunningServer or a child process."""

    host: str
    port: int


@dataclass
class RawConnection:
    """A socket to the server that sends whatever bytes a test chooses."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    @classmethod
    async def open(cls, server: Endpoint) -> RawConnection:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_event(self, timeout: float = TIMEOUT) -> Event | None:
        """The next event from the server; None once the server has closed."""
        try:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
        except (ConnectionError, asyncio.IncompleteReadError):
            return None
        if not line:
            return None
        head = json.loads(line)
        data = dict(head.get("data") or {})
        if head.get("data_length"):
            data.update(json.loads(await self.reader.readexactly(head["data_length"])))
        payload = None
        if head.get("payload_length"):
            payload = await self.reader.readexactly(head["payload_length"])
        return Event(type=head["type"], data=data, payload=payload)

    async def read_until(self, *ends: str, timeout: float = TIMEOUT) -> list[Event]:
        """Events up to and including one of `ends` or an error; fails if the server closes first."""
        events: list[Event] = []
        deadline = time.monotonic() + timeout
        while True:
            event = await self.read_event(max(0.01, deadline - time.monotonic()))
            assert event is not None, f"server closed early; got {[e.type for e in events]}"
            events.append(event)
            if event.type in ends or event.type == "error":
                return events

    async def events_until_closed(self, timeout: float = TIMEOUT) -> list[Event]:
        """Every event up to the server closing the connection; fails if it never does."""
        events: list[Event] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"server kept the connection open; got {[e.type for e in events]}"
            try:
                event = await self.read_event(left)
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"server kept the connection open; got {[e.type for e in events]}"
                ) from None
            if event is None:
                return events
            events.append(event)

    async def closed_within(self, timeout: float) -> float:
        """Seconds until the server closes this connection (reading and discarding)."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"connection still open after {timeout} s"
            try:
                chunk = await asyncio.wait_for(self.reader.read(65536), left)
            except ConnectionError:
                return time.monotonic() - started
            except asyncio.TimeoutError:
                raise AssertionError(f"connection still open after {timeout} s") from None
            if not chunk:
                return time.monotonic() - started

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (ConnectionError, asyncio.TimeoutError):
            pass


async def within(work: Awaitable[T], seconds: float, what: str) -> T:
    """Await work, failing with a plain assertion (not a deep timeout traceback) if it hangs."""
    try:
        return await asyncio.wait_for(work, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {what} within {seconds} s: the client would hang") from None


async def assert_still_serving(server: Endpoint, timeout: float = TIMEOUT) -> None:
    """A NEW connection gets an answer to describe: the server survived."""
    conn = await RawConnection.open(server)
    try:
        await conn.send(event_bytes("describe"))
        event = await conn.read_event(timeout)
        assert event is not None, "server closed a fresh connection instead of answering describe"
        assert event.type == "info", event.type
        assert event.data["tts"][0]["name"] == "kokoro"
    finally:
        await conn.close()


async def send_and_collect(server: Endpoint, data: bytes,
                           timeout: float = TIMEOUT) -> list[Event]:
    """Send raw bytes on a new connection; return every event until the server closes it."""
    conn = await RawConnection.open(server)
    try:
        await conn.send(data)
        return await conn.events_until_closed(timeout)
    finally:
        await conn.close()


# -- process probes --------------------------------------------------------


def open_fds() -> int:
    """File descriptors this process holds (the server runs in-process)."""
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


async def settle(predicate: Callable[[], bool], timeout: float = 10.0,
                 interval: float = 0.05) -> bool:
    """Wait until predicate() holds (background cleanup takes a few loop turns)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()
