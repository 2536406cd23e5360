"""Raw Wyoming wire helpers: speak bytes to a server, so a client can send what no
well-behaved client would, and read events back without the wyoming package's
own parser standing between the test and the server."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from wyoming.event import Event

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
