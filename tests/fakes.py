"""Test helpers for robustness and timing: a fake model, hostile clients, and probes.

The fake synthesiser, the raw wire helpers and the process probes live in
tools/ (the soak uses them too) and are re-exported here, so that tests import
every helper from one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from wyoming.event import Event

from tools.fake_model import FakeSynth, SynthesisFault, fast_synth, tone
from tools.probes import open_fds, rss_bytes, settle
from tools.raw_wire import TIMEOUT, Endpoint, RawConnection, event_bytes, header

__all__ = [
    "TIMEOUT", "Endpoint", "FakeSynth", "RawConnection", "SynthesisFault", "assert_still_serving",
    "event_bytes", "fast_synth", "header", "open_fds", "rss_bytes", "send_and_collect", "settle",
    "tone", "within",
]

T = TypeVar("T")


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
