"""The data layer's client against a real server, without Home Assistant in between."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest
from conftest import KokoroServer

from custom_components.wyoming_kokoro.client import KokoroClient

HOLD_S = 0.5


async def test_close_keeps_the_callers_cancellation(
    socket_enabled: None, kokoro_server: KokoroServer
) -> None:
    """aclose() waits for its tasks, yet a cancellation of its caller still ends the caller.

    The text stream here takes a while to stop when cancelled (a producer
    that cleans up), so aclose() is still waiting for the sending task when
    its own caller is cancelled.
    """
    stopped = asyncio.Event()
    held = asyncio.Event()

    async def slow_to_stop() -> AsyncGenerator[str]:
        try:
            yield "Hello there. How are you? "
            await asyncio.Event().wait()  # a language model that never finishes
        except asyncio.CancelledError:
            held.set()
            await asyncio.sleep(HOLD_S)
            raise
        finally:
            stopped.set()

    client = KokoroClient(kokoro_server.host, kokoro_server.port)
    stream = await client.open_synthesis(
        text_stream=slow_to_stop(), voice="af_heart", kokoro={"format": "wav"}
    )
    closer = asyncio.create_task(stream.aclose())
    async with asyncio.timeout(10):
        await held.wait()
    assert not closer.done()
    closer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closer
    # The connection was still closed and the request recorded.
    assert client.last_latency is not None
    assert client.last_latency.error == "closed before the end of the audio"
    async with asyncio.timeout(10):
        await stopped.wait()


async def test_close_waits_for_its_tasks(socket_enabled: None, kokoro_server: KokoroServer) -> None:
    """No task of a request outlives aclose(): the text stream has stopped when it returns."""
    stopped = asyncio.Event()

    async def slow_to_stop() -> AsyncGenerator[str]:
        try:
            yield "Hello there. How are you? "
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(HOLD_S)
            raise
        finally:
            stopped.set()

    client = KokoroClient(kokoro_server.host, kokoro_server.port)
    stream = await client.open_synthesis(
        text_stream=slow_to_stop(), voice="af_heart", kokoro={"format": "wav"}
    )
    async with asyncio.timeout(10):
        await stream.aclose()
    assert stopped.is_set()
